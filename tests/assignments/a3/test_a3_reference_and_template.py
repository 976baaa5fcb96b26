"""a3: the reference (with a quickly trained model.weights) scores full marks, the template
zero; the held-out UAS test scales its points between the configured bars."""
import json
import shutil

from autograder import config as configmod
from autograder import results as resultsmod
from quick_model import QUICK_THRESHOLDS
from support import grade, lost, output_of, scores

A3 = configmod.load("a3")
CODE = ("parser_transitions.py", "parser_model.py", "run.py")


def reference_submission(folder, weights):
    folder.mkdir()
    for name in CODE:
        shutil.copy(f"{A3.reference_dir}/{name}", folder / name)
    shutil.copy(weights, folder / "model.weights")
    return folder


def test_reference_full_marks(tmp_path, quick_weights):
    """(The one grading that always parses the held-out set: no shared_heldout_parses.)"""
    sub = reference_submission(tmp_path / "sub", quick_weights)
    res = grade(sub, assignment="a3", results_path=tmp_path / "results.json", thresholds=QUICK_THRESHOLDS)
    assert lost(res) == set(), [t for t in res["tests"] if t["score"] < t["max_score"]]
    assert res["score"] == A3.total_points
    resultsmod.validate(json.loads((tmp_path / "results.json").read_text()))
    (board,) = res["leaderboard"]
    assert board["name"] == "UAS (held-out)" and board["order"] == "desc" and 65 < board["value"] < 100
    assert f"UAS on 2077 held-out sentences: {board['value']:.2f}" in output_of(res, "2.12")


def test_uas_points_scale_between_the_bars(tmp_path, quick_weights, shared_heldout_parses):
    sub = reference_submission(tmp_path / "sub", quick_weights)
    res = grade(sub, assignment="a3", results_path=tmp_path / "r.json",
                thresholds={"uas_full": 95.0, "uas_floor": 55.0})
    uas = res["leaderboard"][0]["value"]
    points = A3.points["2.12"]
    assert lost(res) == {"2.12"}
    assert abs(scores(res)["2.12"] - round(points * (uas - 55) / 40, 2)) < 0.02
    assert "below the 95 needed for full credit" in output_of(res, "2.12")


def test_template_scores_zero(tmp_path):
    res = grade(A3.template_dir, assignment="a3", results_path=tmp_path / "results.json")
    assert res["score"] == 0
    assert set(scores(res)) == set(A3.points)
    for t in res["tests"]:
        if t["number"] == "2.12":
            assert "model.weights is not in your submission" in t["output"], t
        else:
            assert "not implemented yet" in t["output"], t
    # a stub __init__ is named with its class: which of the two classes is unwritten
    assert "PartialParse.__init__() is not implemented yet" in output_of(res, "1.1")
    assert "ParserModel.__init__() is not implemented yet" in output_of(res, "1.4")


def test_handout_states_the_configured_uas_bars():
    """Recalibrating the bars in config.json without the handout would mislead students."""
    with open(f"{A3.folder}/handout.md") as f:
        handout = " ".join(f.read().split())
    bars = A3.thresholds
    assert f"A UAS of {bars['uas_full']:g} or more earns all {A3.points['2.12']} points" in handout
    assert f"{bars['uas_floor']:g} or less none" in handout


def test_student_zip_takes_torch_from_the_cpu_index(monkeypatch):
    """pip on a laptop without a GPU must not fetch the multi-gigabyte CUDA build of the
    pinned torch; the README says how to get a GPU build instead."""
    from autograder.release import student_zip

    monkeypatch.setattr(student_zip, "generated_entries", lambda paths, prefix: {})  # vectors: not needed here
    entries = student_zip.entries(A3)
    lines = entries["a3/requirements.txt"][0].decode().splitlines()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    assert any(line.startswith("torch==") for line in lines)
    readme = entries["a3/README.md"][0].decode()
    assert "CPU index" in readme and "--index-url https://download.pytorch.org/whl/cu" in readme
