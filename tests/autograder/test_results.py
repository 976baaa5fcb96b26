import json

import jsonschema
import pytest

from autograder import results


def test_entries_build_and_validate(tmp_path):
    tests = [results.test_entry("b", "1.10", 1, 2, "half"), results.test_entry("a", "1.2", 3, 3)]
    res = results.build(tests, 1.23456, "notes", leaderboard=[{"name": "acc", "value": 0.5, "order": "desc"}])
    results.validate(res)
    assert [t["number"] for t in res["tests"]] == ["1.2", "1.10"]  # numeric order
    assert res["score"] == 4 and isinstance(res["execution_time"], float)
    assert res["tests"][1]["status"] == "failed" and res["tests"][0]["status"] == "passed"
    path = tmp_path / "out" / "results.json"
    results.write(res, path)
    assert json.loads(path.read_text()) == res


@pytest.mark.parametrize("broken", [
    {"tests": [{"score": 1, "status": "ok"}]},
    {"score": "10"},
    {"score": 1, "visibility": "students"},
    {"score": 1, "tests": [{"score": 1, "number": 1.1}]},
    {"score": 1, "unknown_key": 1},
])
def test_schema_rejects_what_gradescope_rejects(broken):
    with pytest.raises(jsonschema.ValidationError):
        results.validate(broken)


def test_nan_scores_never_reach_the_file():
    entry = results.test_entry("x", "1", float("nan"), 1)
    assert entry["score"] == 0.0
    results.validate(results.build([entry], 0.1))


def test_long_outputs_are_clipped():
    entry = results.test_entry("x", "1", 0, 1, "y" * 100000)
    assert len(entry["output"]) < results.MAX_TEST_OUTPUT + 100 and "more characters cut" in entry["output"]


def test_table_lists_every_test_and_the_total():
    res = results.build([results.test_entry("sigmoid", "1.1", 0, 1, "sigmoid(0) returned 0.4\nmore"),
                         results.test_entry("softmax", "1.2", 2, 2)], 0.5)
    text = results.table(res)
    assert "1.1" in text and "0/1" in text and "sigmoid(0) returned 0.4" in text and "more" not in text
    assert text.splitlines()[-1].split()[-1] == "2/3"


def test_reasons_show_every_failure_whole_and_wrapped_below_the_table():
    long_reason = ("gradCenterVec is [0.1, 0.2, 0.3], expected [0.4, 0.5, 0.6]; first mismatch at index 0: "
                   "got 0.1, expected 0.4 (3 of 3 values differ)")
    res = results.build([results.test_entry("naive softmax", "1.2", 0, 2, long_reason + "\n\nYour code printed:\nhi"),
                         results.test_entry("sigmoid", "1.1", 1, 1, "a passing test's note"),
                         results.test_entry("skipgram", "1.4", 0, 1, "")], 0.5)
    table = results.table(res)
    assert "first mismatch" not in table  # the row stays compact
    text = results.reasons(res, width=60)
    lines = text.splitlines()
    assert lines[0] == "1.2 naive softmax (0/2):"
    assert all(len(line) <= 60 for line in lines[1:])
    assert " ".join(" ".join(lines[1:5]).split()).startswith(long_reason)  # all of it, in order
    assert "    Your code printed:" in lines and "    hi" in lines
    assert "a passing test's note" not in text and "1.4 skipgram (0/1):\n    (no reason given)" in text
    assert results.reasons(results.build([results.test_entry("sigmoid", "1.1", 1, 1)], 0.1)) == ""
    assert "\x1b" not in results.reasons(results.build([results.test_entry("x", "1", 0, 1, "\x1b[2Jx")], 0.1))


# ----- student text in outputs ----------------------------------------------------------
ANSI_REDRAW = "\x1b[1A\x1b[2K\r1.1    sigmoid    1/1\x1b[0m"  # moves up and rewrites the row
BIDI = "loss \u202eevil\u202c \u2066x\u2069 \u200f"
HOSTILE = f"{ANSI_REDRAW} \x9b2J \x00\x07\x08\x7f {BIDI} \udc80\ud83d <b>bold</b> **md** \u2028end"


def test_visible_neutralises_controls_bidi_and_surrogates_but_keeps_tabs_and_newlines():
    from autograder.describe import visible

    shown = visible(HOSTILE + "\ta\nb é😀")
    for c in "\x1b\r\x9b\x00\x07\x08\x7f\u202e\u202c\u2066\u2069\u200f\u2028\udc80\ud83d":
        assert c not in shown, repr(c)
    assert "\\x1b[1A" in shown and "\\r1.1" in shown and "\\u202eevil" in shown and "\\x9b2J" in shown
    assert "\ufffd\ufffd" in shown and shown.endswith("\ta\nb é😀")
    assert visible(shown) == shown  # idempotent
    shown.encode("utf-8")  # strict


def test_student_text_cannot_redraw_the_table_or_break_strict_json(tmp_path):
    # a 0/1 test whose output tries to overwrite its own row with "1/1"
    res = results.build([results.test_entry("sigmoid" + BIDI, "1.1", 0, 1, HOSTILE,
                                            tags=["t\x1b"], extra_data={"k\x1b": ["\udc80"]}),
                         results.test_entry("softmax", "1.2", 2, 2, "printed \udcff")], 0.5,
                        output="top \x1b[2J\udc80")
    results.validate(res)
    text = results.table(res)
    assert "\x1b" not in text and "\r" not in text and "\u202e" not in text
    row = next(line for line in text.splitlines() if line.startswith("1.1"))
    assert " 0/1 " in row
    path = tmp_path / "results.json"
    results.write(res, path)
    raw = path.read_bytes()
    raw.decode("utf-8")
    on_disk = json.loads(raw)
    assert "\\ud" not in raw.decode("ascii", "replace").lower().replace("\\ufffd", "")  # no escaped surrogate
    for t in on_disk["tests"]:
        t["output"].encode("utf-8")
        t["name"].encode("utf-8")
    assert on_disk["tests"][0]["extra_data"] == {"k\\x1b": ["\ufffd"]}


def test_every_output_is_declared_plain_text():
    res = results.build([results.test_entry("x", "1", 0, 1, "<script>alert(1)</script> **bold**")], 0.1)
    assert res["output_format"] == res["test_output_format"] == res["test_name_format"] == "text"
    assert all(t["output_format"] == t["name_format"] == "text" for t in res["tests"])
    assert res["tests"][0]["output"] == "<script>alert(1)</script> **bold**"  # shown, not rendered
    results.validate(res)


@pytest.mark.parametrize("bad", ["\udc80", "\x1b[31m", "a\rb", "\u202e"])
def test_validate_refuses_text_that_is_not_strict_or_not_neutralised(bad):
    res = results.build([results.test_entry("x", "1", 0, 1)], 0.1)
    for where in ("output", "name"):
        broken = json.loads(json.dumps(res))
        broken["tests"][0][where] = f"text {bad}"
        with pytest.raises(ValueError, match="surrogate|control"):
            results.validate(broken)
    broken = json.loads(json.dumps(res))
    broken["extra_data"] = {"note": bad}
    with pytest.raises(ValueError):
        results.validate(broken)
