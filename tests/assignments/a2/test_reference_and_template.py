"""The reference scores full marks; the template scores zero on every student part."""
import json

from autograder import config as configmod
from autograder import results as resultsmod
from support import grade, lost, scores

A2 = configmod.load("a2")


def test_reference_full_marks(tmp_path):
    res = grade(A2.reference_dir, results_path=tmp_path / "results.json")
    assert lost(res) == set(), [t for t in res["tests"] if t["score"] < t["max_score"]]
    assert res["score"] == A2.total_points
    assert {t["number"] for t in res["tests"]} == set(A2.points)  # every configured test ran
    resultsmod.validate(json.loads((tmp_path / "results.json").read_text()))


def test_template_scores_zero(tmp_path):
    res = grade(A2.template_dir, results_path=tmp_path / "results.json")
    assert res["score"] == 0
    assert set(scores(res)) == set(A2.points)
    for t in res["tests"]:
        assert "not implemented yet" in t["output"], t


def test_public_only_by_default(tmp_path):
    res = grade(A2.reference_dir, hidden=False, results_path=tmp_path / "r.json")
    numbers = {t["number"] for t in res["tests"]}
    assert numbers and all(n.split(".")[0] in {"1", "2", "3"} for n in numbers)
