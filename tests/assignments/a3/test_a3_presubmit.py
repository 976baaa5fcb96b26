"""`python -m autograder submit` in an a3 folder refuses a model.weights the grader would
reject (config "pre_submit": assignments/a3/tests/public/presubmit_a3.py), before it
runs the checks or packs anything: a debug-mode (`run.py -d`) model has a smaller
vocabulary than the full training set's, and the held-out UAS test would score 0."""
import json
import shutil

import torch

from autograder import config as configmod
from autograder import presubmit, student

A3 = configmod.load("a3")


def student_folder(tmp_path, weights=None, raw=None):
    """An a3 folder as a student has it: the code, the provided utils/, config.json and
    the public tests (with the pre-submit check), and a model.weights."""
    folder = tmp_path / "a3"
    shutil.copytree(A3.reference_dir, folder, ignore=shutil.ignore_patterns("__pycache__", "results"))
    shutil.copy(f"{A3.folder}/config.json", folder / "config.json")
    shutil.copytree(A3.tests_dir("public"), folder / "tests" / "public",
                    ignore=shutil.ignore_patterns("__pycache__"))
    if weights is not None:
        torch.save(weights, folder / "model.weights")
    else:
        (folder / "model.weights").write_bytes(raw)
    return folder


def test_a3_declares_its_pre_submit_check():
    with open(f"{A3.folder}/config.json") as f:
        assert json.load(f)["pre_submit"] == "tests/public/presubmit_a3.py"


def test_debug_mode_weights_are_refused(tmp_path, quick_weights, capsys):
    state = torch.load(quick_weights, weights_only=True)
    full = state["embeddings"].shape[0]
    state["embeddings"] = state["embeddings"][:5000]  # a debug run's vocabulary is smaller
    folder = student_folder(tmp_path, state)
    assert student.submit_main(["--folder", str(folder)]) == 1
    err = capsys.readouterr().err
    assert f"model.weights has embeddings for 5000 tokens, but the full training vocabulary has {full}" in err
    assert "trained in debug mode" in err and "python run.py --output model.weights" in err, err
    assert "no zip written" in err and not (folder / "a3-submission.zip").exists()


def test_full_vocabulary_weights_pass(tmp_path, quick_weights):
    folder = student_folder(tmp_path, torch.load(quick_weights, weights_only=True))
    assert presubmit.problems(str(folder)) == []


def test_unreadable_or_foreign_weights_are_refused(tmp_path):
    folder = student_folder(tmp_path, raw=b"not a torch file")
    (reason,) = presubmit.problems(str(folder))
    assert reason.startswith("model.weights could not be read with torch.load"), reason
    torch.save({"embed_to_hidden.weight": torch.zeros(2, 2)}, folder / "model.weights")
    (reason,) = presubmit.problems(str(folder))
    assert "model.weights has no embeddings, embed_to_hidden_weight" in reason, reason


def test_an_assignment_without_a_pre_submit_check_refuses_nothing(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"assignment": "a9"}))
    assert presubmit.problems(str(tmp_path)) == []
