"""a1: the reference notebook scores full marks; the student notebook scores zero."""
import json

from autograder import config as configmod
from autograder import results as resultsmod
from support import grade, lost, scores

A1 = configmod.load("a1")


def test_reference_full_marks(tmp_path):
    res = grade(A1.reference_dir, assignment="a1", results_path=tmp_path / "results.json")
    assert lost(res) == set(), [t for t in res["tests"] if t["score"] < t["max_score"]]
    assert res["score"] == A1.total_points
    assert {t["number"] for t in res["tests"]} == set(A1.points)
    resultsmod.validate(json.loads((tmp_path / "results.json").read_text()))


def test_template_scores_zero(tmp_path):
    res = grade(A1.template_dir, assignment="a1", results_path=tmp_path / "results.json")
    assert res["score"] == 0
    assert set(scores(res)) == set(A1.points)
    for t in res["tests"]:
        assert "not implemented yet" in t["output"], t
        # named as the starter stub it still is (checks/stubs.py), whichever function the test runs
        assert " is still the starter stub: write your code where it says YOUR CODE HERE" in t["output"], t
