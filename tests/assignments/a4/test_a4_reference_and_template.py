"""a4: the reference (with the quick model's model.bin) scores full marks on every test,
the template zero, each of its tests saying what is missing."""
import json

from autograder import config as configmod
from autograder import results as resultsmod
from quick_model_a4 import QUICK_THRESHOLDS
from support import grade, lost, make_submission, output_of, scores

A4 = configmod.load("a4")
# the stub each public test reaches first (NMT.__init__ builds ModelEmbeddings before anything)
STUBS = {"1.1": "pad_sents", "1.2": "ModelEmbeddings.__init__", "1.3": "ModelEmbeddings.__init__",
         "1.4": "ModelEmbeddings.__init__", "1.5": "ModelEmbeddings.__init__", "1.6": "ModelEmbeddings.__init__"}


def test_reference_full_marks(tmp_path, with_quick_model):
    sub = make_submission(tmp_path / "sub", assignment="a4", drop=("model.bin", "model.json"))
    with_quick_model(sub)
    res = grade(sub, assignment="a4", results_path=tmp_path / "results.json", thresholds=QUICK_THRESHOLDS)
    assert set(scores(res)) == set(A4.points)
    assert lost(res) == set(), [(t["number"], t["output"][:800]) for t in res["tests"] if t["score"] < t["max_score"]]
    assert res["score"] == A4.total_points
    assert all(t["max_score"] == A4.points[t["number"]] for t in res["tests"])
    resultsmod.validate(json.loads((tmp_path / "results.json").read_text()))
    (board,) = res["leaderboard"]
    assert board["name"] == "BLEU (held-out)" and board["order"] == "desc"
    assert board["value"] >= QUICK_THRESHOLDS["bleu_full"]
    assert "BLEU" in output_of(res, "2.12") and "%.2f" % board["value"] in output_of(res, "2.12")


def test_template_scores_zero(tmp_path):
    res = grade(A4.template_dir, assignment="a4", results_path=tmp_path / "results.json")
    assert res["score"] == 0
    assert set(scores(res)) == set(A4.points)
    for t in res["tests"]:
        if t["number"] == "2.12":
            assert "model.bin is missing from your submission" in t["output"], t
        else:
            assert "not implemented yet" in t["output"], (t["number"], t["output"][:800])
    # each public test names the function still to write that it reached
    for number, function in STUBS.items():
        assert function in output_of(res, number), (number, output_of(res, number)[:800])
    resultsmod.validate(json.loads((tmp_path / "results.json").read_text()))
