"""Forged replies: student code takes over the worker's reply pipe and sends frames built
to exhaust or crash the grader's decoder. Each must cost the student the tests whose
replies it forged (the message blames their reply, never the grader), leave the other
tests as they were, keep the trusted process's memory bounded and leave a valid
results.json.

The attack is written as a student would: code at the top of word2vec.py replaces the
worker's request handler and frame writer (student code can do anything in its process)
so that every reply to a call of `sigmoid` is the forged frame.
"""
import json
import re
import struct

import pytest

from autograder import config as configmod
from hostile_support import assert_no_gain, strict_results
from support import grade, lost, make_submission, output_of

A2 = configmod.load("a2")
SIGMOID_CALLS = {"1.1", "4.1"}  # the tests that call sigmoid itself (the rest go through probes)
MiB = 1 << 20

TAKEOVER = '''

# ---- the attack: forge the reply to every call of sigmoid ----
import sys as _sys, json as _json, struct as _struct

_W, _C = _sys.modules.get("_nlpgrade_worker"), _sys.modules.get("_nlpgrade_codec")
if _W is not None and _C is not None:
    _handle, _write, _forging = _W.Worker.handle, _C.write_frame, [False]

    def _frame(header, buffers=()):
        head = header if isinstance(header, bytes) else _json.dumps(header).encode()
        parts = [_struct.pack(">Q", len(head)), head, _struct.pack(">Q", len(buffers))]
        for buf in buffers:
            parts += [_struct.pack(">Q", len(buf)), buf]
        return b"".join(parts)

    def _my_handle(self, req):
        _forging[0] = req.get("op") == "call" and req.get("function") == "sigmoid"
        return _handle(self, req)

    def _my_write(fileobj, message):
        if not _forging[0]:
            return _write(fileobj, message)
%s
        fileobj.write(_struct.pack(">Q", declared) + frame)
        fileobj.flush()

    _W.Worker.handle = _my_handle
    _C.write_frame = _my_write
'''

ATTACKS = {
    # one 16 MiB buffer named 40 times: 640 MiB of copies for the old decoder
    "aliased_buffer": '''
        arr = {"__ndarray__": 0, "dtype": "|u1", "shape": [16 * 2**20]}
        frame = _frame({"__dict__": [["ok", True], ["value", [arr] * 40]]}, [bytes(16 * 2**20)])
        declared = len(frame)''',
    # json.loads raised RecursionError: "The grader could not check this result"
    "deep_header": '''
        frame = _frame(b"[" * 100000 + b"]" * 100000)
        declared = len(frame)''',
    "many_values": '''
        frame = _frame(b"[" + b"[]," * 2000000 + b"[]]")
        declared = len(frame)''',
    "huge_declared_shape": '''
        arr = {"__ndarray__": 0, "dtype": "<f8", "shape": [2**40, 2**40]}
        frame = _frame({"__dict__": [["ok", True], ["value", arr]]}, [bytes(8)])
        declared = len(frame)''',
    "huge_declared_frame": '''
        frame = b"x" * 64
        declared = 2**62''',
    "not_a_reply": '''
        frame = _frame({"__dict__": [["ok", "yes"], ["value", 0.5]]})
        declared = len(frame)''',
    "error_that_is_not_an_error": '''
        frame = _frame({"__dict__": [["ok", False], ["error", [1, 2]]]})
        declared = len(frame)''',
}


def vm_kib(field):
    with open("/proc/self/status") as f:
        return int(re.search(rf"{field}:\s+(\d+)", f.read()).group(1))


def reset_peak_rss():
    """Reset this process's peak RSS (VmHWM) to its current RSS; False where Linux won't."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def honest(tmp_path_factory):
    """The reference graded: the baseline (and it warms up imports before any measurement)."""
    folder = tmp_path_factory.mktemp("honest")
    return grade(A2.reference_dir, results_path=str(folder / "results.json"))


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_forged_replies_are_the_students_failure(name, honest, tmp_path):
    with open(f"{A2.reference_dir}/word2vec.py") as f:
        source = f.read() + TAKEOVER % ATTACKS[name]
    sub = make_submission(tmp_path / "sub", files={"word2vec.py": source})
    measured = reset_peak_rss()
    before = vm_kib("VmRSS")
    res = grade(sub, results_path=str(tmp_path / "results.json"))
    grown_mib = (vm_kib("VmHWM") - before) / 1024
    if measured:  # the old decoder grew by 640+ MiB on the aliased buffer
        assert grown_mib < 150, f"the grader's memory grew by {grown_mib:.0f} MiB"
    assert_no_gain(res, honest)
    assert lost(res) == SIGMOID_CALLS, {n: output_of(res, n)[:300] for n in lost(res)}
    for number in SIGMOID_CALLS:
        text = output_of(res, number)
        assert text.startswith("sigmoid("), text
        assert "your function returned something the grader cannot read" in text, text
        entry = next(t for t in res["tests"] if t["number"] == number)
        assert "grader_traceback" not in entry.get("extra_data", {}), entry
    on_disk = strict_results(tmp_path / "results.json")
    assert on_disk == json.loads(json.dumps(res))


# A 400-digit integer where a number is wanted (the codec carried ints up to 4300 digits):
# the trusted side's float conversions raised OverflowError (timing.verify) or TypeError
# (a1's plot_check), and the test showed "The grader could not check this result".
BIG_TIMED = '''
import sys as _s

_w = _s.modules.get("_nlpgrade_worker")
if _w is not None and not getattr(_w.Worker, "_big", False):
    _orig = _w.Worker.handle

    def _handle(self, req):
        if req.get("op") == "timed":
            return {"ok": True, "value": [[10 ** 400] for _ in req["seeds"]], "output": ""}
        return _orig(self, req)

    _w.Worker.handle = _handle
    _w.Worker._big = True
'''

BIG_PLOT = '''
def distinct_words(corpus):
    """The reference's distinct_words; its first call also patches the grader's worker
    so that the plot probe's report holds a 400-digit integer."""
    import sys
    w = sys.modules.get("_nlpgrade_worker")
    if w is not None and not getattr(w.Worker, "_big", False):
        orig = w.Worker.handle

        def handle(self, req):
            if req.get("name") == "plotted":
                return {"ok": True, "value": {"points": [[10 ** 400, 0.0]], "labels": []}, "output": ""}
            return orig(self, req)

        w.Worker.handle = handle
        w.Worker._big = True
    return _distinct_words_impl(corpus)
'''


def _no_grader_error(res, numbers):
    for number in numbers:
        text = output_of(res, number)
        assert "could not check" not in text, text
        entry = next(t for t in res["tests"] if t["number"] == number)
        assert "grader_traceback" not in entry.get("extra_data", {}), entry


def test_a_huge_integer_in_timed_replies_is_the_students_failure(honest, tmp_path):
    with open(f"{A2.reference_dir}/word2vec.py") as f:
        source = BIG_TIMED + f.read()
    sub = make_submission(tmp_path / "sub", files={"word2vec.py": source})
    res = grade(sub, results_path=str(tmp_path / "results.json"))
    assert_no_gain(res, honest)
    assert lost(res) == {"4.11", "4.12"}, {n: output_of(res, n)[:300] for n in lost(res)}
    _no_grader_error(res, {"4.11", "4.12"})
    # refused by the worker's encoder; a frame written by hand is refused by the decoder
    assert re.search(r"something the grader cannot read: .*integer of 401 digits.*over 64 bits",
                     output_of(res, "4.11")), output_of(res, "4.11")
    assert strict_results(tmp_path / "results.json") == json.loads(json.dumps(res))


def test_a_huge_integer_in_the_plot_report_is_the_students_failure(tmp_path):
    import ast

    a1 = configmod.load("a1")
    notebook = next(f for f in a1.student_files if f.endswith(".ipynb"))
    with open(f"{a1.reference_dir}/{notebook}") as f:
        cells = [c for c in json.load(f)["cells"] if c["cell_type"] == "code"]
    cell = next("".join(c["source"]) for c in cells if "def distinct_words" in "".join(c["source"]))
    node = next(n for n in ast.parse(cell).body if isinstance(n, ast.FunctionDef) and n.name == "distinct_words")
    impl = ast.get_source_segment(cell, node).replace("def distinct_words(", "def _distinct_words_impl(", 1)
    base = grade(a1.reference_dir, assignment="a1", results_path=str(tmp_path / "base.json"))
    sub = make_submission(tmp_path / "sub", "a1", patches={notebook: {"distinct_words": impl + "\n\n" + BIG_PLOT}})
    res = grade(sub, assignment="a1", results_path=str(tmp_path / "results.json"))
    assert_no_gain(res, base)
    assert lost(res) == {"1.4", "2.8"}, {n: output_of(res, n)[:300] for n in lost(res)}
    _no_grader_error(res, {"1.4", "2.8"})
    assert "cannot read" in output_of(res, "1.4"), output_of(res, "1.4")
    assert strict_results(tmp_path / "results.json") == json.loads(json.dumps(res))
