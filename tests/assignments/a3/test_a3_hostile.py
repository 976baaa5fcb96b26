"""a3 submissions whose model.weights is missing, corrupt or does not fit: only the
held-out UAS test is lost, with a message that says why."""
import json
import shutil

import numpy as np
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
    # how to make one, for a student and for an instructor grading the reference folder
    assert "python run.py --output model.weights" in output_of(res, "2.12")
    assert "`make vectors` once, then `cd solutions/a3" in output_of(res, "2.12")
    assert "missing from your submission: model.weights" in res["output"]


# (a file that starts as a zip but is not a torch file takes the same path: one grading;
# weights of another vocabulary, a debug-mode run's, are the variant suite's)
def test_corrupt_weights(tmp_path):
    res = graded_public_and_heldout(tmp_path, submission(tmp_path, weights_bytes=b""))
    assert lost(res) == {"2.12"}
    assert "could not be read with torch.load" in output_of(res, "2.12")


def test_weights_of_another_model(tmp_path, quick_weights):
    state = torch.load(quick_weights, weights_only=True)
    del state["hidden_to_logits_bias"]
    res = graded_public_and_heldout(tmp_path, submission(tmp_path, state=state))
    assert lost(res) == {"2.12"}
    assert "model.weights does not fit the grader's parser" in output_of(res, "2.12")
    assert "hidden_to_logits_bias" in output_of(res, "2.12")


def test_weights_in_another_layout_are_parsed_as_they_are(tmp_path, quick_weights):
    """A 2021 student's layout: weights stored as nn.Linear stores them (out, in), a bias of
    shape (1, h), a weight matrix saved as a plain tensor: the reference's parser uses them
    all the same (by name and number of elements) and the UAS is the one of the weights."""
    state = torch.load(quick_weights, weights_only=True)
    state["embed_to_hidden_weight"] = state["embed_to_hidden_weight"].t().contiguous()
    state["hidden_to_logits_weight"] = state["hidden_to_logits_weight"].t().clone()
    state["embed_to_hidden_bias"] = state["embed_to_hidden_bias"].reshape(1, -1)
    state["word_dropout_keep"] = torch.ones(3)  # an extra entry is left alone
    res = graded_public_and_heldout(tmp_path, submission(tmp_path, state=state))
    assert not lost(res), {n: output_of(res, n)[:400] for n in lost(res)}
    assert "parsed by the reference's parser with your weights" in output_of(res, "2.12")  # its note


def test_fit_state_maps_by_name_and_size():
    import importlib.util

    spec = importlib.util.spec_from_file_location("_probes_a3", f"{A3.tests_dir('public')}/probes_a3.py")
    probes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probes)
    fit_state = probes.fit_state

    wanted = {"w": (6, 4), "b": (4,), "u": (4, 3)}
    state = {"w": np.arange(24.0).reshape(4, 6), "b": np.ones((1, 4)), "u": np.zeros((3, 5)), "x": np.ones(2)}
    fitted, problems = fit_state(state, wanted)
    assert fitted["w"].shape == (6, 4) and (fitted["w"] == np.arange(24.0).reshape(4, 6).T).all()
    assert fitted["b"].shape == (4,) and "x" not in fitted
    assert problems == ["'u' has shape (3, 5), wanted (4, 3)"]
    _, problems = fit_state({"w": np.zeros(24), "b": np.zeros(4)}, wanted)  # flat: not a guess
    assert problems[0] == "'w' has shape (24,), wanted (6, 4)" and "no entry 'u'" in problems[1]


def test_a_state_dict_that_is_not_one(tmp_path):
    res = graded_public_and_heldout(tmp_path, submission(tmp_path, state={"weights": [1, 2, 3]}))
    assert lost(res) == {"2.12"}
    assert "holds no state_dict" in output_of(res, "2.12")


def test_load_weights_fills_the_models_own_layout():
    """What 2.8, 2.9, 2.11 and 2.13 load a student's ParserModel with (inside its sandbox):
    only the names asked for, into nn.Parameters and plain tensors alike, a (1, h) bias
    and a transposed weight in the model's own layout; a missing tensor is said by name."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_probes_a3", f"{A3.tests_dir('public')}/probes_a3.py")
    probes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probes)

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embeddings = torch.nn.Parameter(torch.zeros(5, 2))
            self.embed_to_hidden_bias = torch.nn.Parameter(torch.zeros(1, 4))
            self.hidden_to_logits_weight = torch.zeros(3, 4)  # plain, stored (out, in)

    state = {"embeddings": np.arange(10.0).reshape(5, 2), "embed_to_hidden_bias": np.arange(4.0),
             "hidden_to_logits_weight": np.arange(12.0).reshape(4, 3)}
    model = Model()
    probes.load_weights(model, state, ["embeddings"])
    assert (model.embeddings.detach().numpy() == state["embeddings"]).all()
    assert not model.embed_to_hidden_bias.detach().numpy().any()  # not asked for: left alone
    probes.load_weights(model, state, list(state))
    assert (model.embed_to_hidden_bias.detach().numpy() == np.arange(4.0).reshape(1, 4)).all()
    assert (model.hidden_to_logits_weight.numpy() == state["hidden_to_logits_weight"].T).all()
    with pytest.raises(ValueError, match=r"ParserModel has no tensor self\.embed_to_hidden_weight"):
        probes.load_weights(model, {"embed_to_hidden_weight": np.zeros((2, 4))}, ["embed_to_hidden_weight"])
