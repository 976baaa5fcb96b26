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
