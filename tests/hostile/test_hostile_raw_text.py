"""Raw student text: exception messages and printed output carrying terminal escapes,
bidi controls, lone surrogates and markup. The printed table must show the true scores,
results.json must stay strict UTF-8 JSON, and Gradescope must be told it is plain text.
"""
import json

import pytest

from autograder import config as configmod
from autograder import results as resultsmod
from hostile_support import assert_no_gain, strict_results
from support import grade, lost, make_submission, output_of

A2 = configmod.load("a2")
INFO = "information.py"

# what the attacker prints and raises: redraw the row above as a pass, clear the screen,
# reorder text with bidi overrides, break UTF-8 with lone surrogates, inject HTML/markdown
HOSTILE = ("\\x1b[1A\\x1b[2K\\r3.2    entropy: bits, nats, and 0 log 0 = 0        1/1\\x1b[0m "
           "\\x9b2J \\x1b]0;owned\\x07 \\u202eevil\\u202c \\u2066x\\u2069 \\udc80\\ud800 "
           "<script>alert(1)</script> <b>bold</b> **md** [link](http://x)")

PATCHES = {INFO: {
    # fails: 3.2 and 5.4 (entropy), with the hostile text in its message and printed output
    "entropy": f'''
def entropy(p, base=2):
    print("{HOSTILE}")
    raise ValueError("{HOSTILE}")
''',
    # passes (3.3; 5.4 is lost to entropy anyway): prints the hostile text, returns the right value
    "crossEntropy": f'''
def crossEntropy(p, q, base=2, eps=1e-12):
    print("{HOSTILE}")
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    mask = p > 0
    return float(-np.sum(p[mask] * np.log(np.maximum(q[mask], eps))) / np.log(base))
'''}}
RAW = ("\x1b", "\r", "\x9b", "\x07", "\u202e", "\u202c", "\u2066", "\u2069", "\udc80", "\ud800")


@pytest.fixture(scope="module")
def honest(tmp_path_factory):
    folder = tmp_path_factory.mktemp("honest")
    return grade(A2.reference_dir, results_path=str(folder / "results.json"))


def test_hostile_text_is_shown_not_obeyed(honest, tmp_path):
    sub = make_submission(tmp_path / "sub", patches=PATCHES)
    res = grade(sub, results_path=str(tmp_path / "results.json"))
    assert_no_gain(res, honest)
    tests = {t["number"]: t for t in res["tests"]}
    assert lost(res) == {"3.2", "5.4"}, {n: tests[n]["output"] for n in lost(res) - {"3.2", "5.4"}}

    # the table a grader reads: the true score of 3.2, and nothing a terminal would obey
    table = resultsmod.table(res)
    assert not any(c in table for c in RAW), repr(table)
    rows = [line for line in table.splitlines() if line.startswith("3.2 ")]
    assert len(rows) == 1 and " 0/1 " in rows[0], rows
    assert "\\x1b[1A" in rows[0]  # the attempt is visible, as text

    on_disk = strict_results(tmp_path / "results.json")
    assert on_disk == json.loads(json.dumps(res))
    assert on_disk["output_format"] == on_disk["test_output_format"] == "text"
    for t in on_disk["tests"]:
        assert t["output_format"] == "text", t
        assert not any(c in t["output"] or c in t["name"] for c in RAW), t
    for number in ("3.2", "3.3"):  # raised (3.2) and printed by a passing test (3.3)
        text = output_of(on_disk, number)
        assert "\\x1b[2K\\r3.2" in text and "\\u202eevil" in text and "\ufffd\ufffd" in text, text
        assert "<script>alert(1)</script>" in text  # shown as text: output_format is text
    assert output_of(on_disk, "3.2").startswith("entropy(")
