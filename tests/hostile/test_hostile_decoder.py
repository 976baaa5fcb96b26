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
