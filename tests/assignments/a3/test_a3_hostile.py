"""a3 submissions whose model.weights is missing, corrupt or does not fit: only the
held-out UAS test is lost, with a message that says why."""
import json
import shutil

import pytest
import torch

from autograder import config as configmod
from autograder import results as resultsmod
from quick_model import QUICK_THRESHOLDS
from support import grade, lost, output_of

A3 = configmod.load("a3")
CODE = ("parser_transitions.py", "parser_model.py", "run.py")


def submission(tmp_path, weights_bytes=None, state=None):
    folder = tmp_path / "sub"
    folder.mkdir()
    for name in CODE:
        shutil.copy(f"{A3.reference_dir}/{name}", folder / name)
    if weights_bytes is not None:
        (folder / "model.weights").write_bytes(weights_bytes)
    if state is not None:
        torch.save(state, folder / "model.weights")
    return folder


def graded_public_and_heldout(tmp_path, folder):
    res = grade(folder, assignment="a3", results_path=tmp_path / "results.json", thresholds=QUICK_THRESHOLDS)
    resultsmod.validate(json.loads((tmp_path / "results.json").read_text()))
    return res


def test_missing_weights(tmp_path):
    res = graded_public_and_heldout(tmp_path, submission(tmp_path))
    assert lost(res) == {"2.12"}
    assert "model.weights is not in your submission" in output_of(res, "2.12")
    assert "missing from your submission: model.weights" in res["output"]


@pytest.mark.parametrize("content, message", [
    (b"", "could not be read with torch.load"),
    (b"PK\x03\x04 this is not a torch file", "could not be read with torch.load"),
])
def test_corrupt_weights(tmp_path, content, message):
    res = graded_public_and_heldout(tmp_path, submission(tmp_path, weights_bytes=content))
    assert lost(res) == {"2.12"}
    assert message in output_of(res, "2.12")


def test_weights_of_another_vocabulary(tmp_path, quick_weights):
    state = torch.load(quick_weights, weights_only=True)
    state["embeddings"] = state["embeddings"][:1000]  # as from a debug-mode (-d) run
    res = graded_public_and_heldout(tmp_path, submission(tmp_path, state=state))
    assert lost(res) == {"2.12"}
    assert "trained with another vocabulary" in output_of(res, "2.12")


def test_weights_of_another_model(tmp_path, quick_weights):
    state = torch.load(quick_weights, weights_only=True)
    del state["hidden_to_logits_bias"]
    res = graded_public_and_heldout(tmp_path, submission(tmp_path, state=state))
    assert lost(res) == {"2.12"}
    assert "model.weights does not fit your ParserModel" in output_of(res, "2.12")
    assert "hidden_to_logits_bias" in output_of(res, "2.12")


def test_a_state_dict_that_is_not_one(tmp_path):
    res = graded_public_and_heldout(tmp_path, submission(tmp_path, state={"weights": [1, 2, 3]}))
    assert lost(res) == {"2.12"}
    assert "holds no state_dict" in output_of(res, "2.12")
