"""a5 2.12 (run.py as the course ran it) and 2.13 (london_baseline.py): the reference gets
both, the template neither, and each bug loses the test it is for with a message that
says which command did what. Those gradings run only the hidden test_a5_scripts.py.
"""
import json
import os

import pytest

from autograder import config as configmod
from autograder import grading
from autograder import results as resultsmod
from support import grade, lost, make_submission, output_of, scores

A5 = configmod.load("a5")
MINE = "test_a5_scripts.py"
PARAMS = ("vanilla.finetune.params", "synthesizer.finetune.params")


def graded(tmp_path, folder, monkeypatch):
    every = grading.test_files
    monkeypatch.setattr(grading, "test_files", lambda assignment, hidden: [
        (kind, path) for kind, path in every(assignment, hidden) if os.path.basename(path) == MINE])
    res = grade(folder, assignment="a5", results_path=tmp_path / "results.json")
    resultsmod.validate(json.loads((tmp_path / "results.json").read_text()))
    assert set(scores(res)) == {"2.12", "2.13"}, scores(res)
    return res


def reference_text(rel):
    with open(os.path.join(A5.reference_dir, rel), encoding="utf-8") as f:
        return f.read()


def patched(rel, *replacements):
    text = reference_text(rel)
    for old, new in replacements:
        assert old in text, (rel, old)
        text = text.replace(old, new)
    return text


def test_reference_gets_both(tmp_path, monkeypatch):
    res = graded(tmp_path, make_submission(tmp_path / "sub", assignment="a5", drop=PARAMS), monkeypatch)
    assert lost(res) == set(), {n: output_of(res, n)[:800] for n in lost(res)}
    assert "run.py pretrained on a CharCorruptionDataset of the given corpus" in output_of(res, "2.12")
    assert "london_baseline.py printed" in output_of(res, "2.13")


def test_template_gets_neither(tmp_path, monkeypatch):
    res = graded(tmp_path, make_submission(tmp_path / "sub", assignment="a5", drop=PARAMS, base=A5.template_dir),
                 monkeypatch)
    assert scores(res) == {"2.12": 0, "2.13": 0}


PRETRAIN_CALL = "trainer.Trainer(gpt, pretrain_dataset, None, tconf).train()"
LOAD = 'gpt.load_state_dict(torch.load(args.reading_params_path, map_location="cpu"))'
FINETUNE_CALL = "trainer.Trainer(gpt, finetune_dataset, None, tconf).train()"
LONDON_PRINT = 'print("Correct: {} out of {}: {}%".format(correct, total, correct / total * 100))'

# (name, run.py replacements, london_baseline.py replacements, what 2.12 says, what 2.13 says)
BUGS = [
    ("pretrain never trains, London printed as a constant",
     [(PRETRAIN_CALL, "pass")],
     [(LONDON_PRINT, 'print("Correct: 25.0 out of 500.0: 5.0%")')],
     "python src/run.py pretrain vanilla wiki.txt --writing_params_path vanilla.pretrain.params` never trained",
     "wanted the accuracy of predicting London"),
    ("finetune ignores the pretrained weights, London counted over one line too many",
     [(LOAD, "pass")],
     [("correct / total * 100", "correct / (total + 1) * 100")],
     "did not start from the weights in vanilla.pretrain.params (--reading_params_path)",
     "wanted the accuracy of predicting London"),
    ("finetune on the pretraining dataset",
     [(FINETUNE_CALL, FINETUNE_CALL.replace("finetune_dataset", "pretrain_dataset"))], [],
     "trained on a CharCorruptionDataset; wanted a NameDataset of the fine-tuning corpus", None),
    ("the synthesizer variant builds the vanilla model",
     [('synthesizer=args.variant == "synthesizer"', "synthesizer=False")], [],
     "pretrain synthesizer wiki.txt --writing_params_path synthesizer.pretrain.params` trained a GPT whose blocks use "
     "CausalSelfAttention; the synthesizer model uses SynthesizerAttention", None),
    ("evaluate predicts London", [("prediction = completion.split(mask)[1]", 'prediction = "London"')], [],
     "predicted 'London' for", None),
    ("pretrain saves a new model, not the trained one",
     [("tconf = trainer_config(PRETRAIN, len(pretrain_dataset), args.writing_params_path)",
       "tconf = trainer_config(PRETRAIN, len(pretrain_dataset), None)"),
      ("    torch.save(gpt.state_dict(), args.writing_params_path)\n    ### END SOLUTION\n"
       "elif args.function == \"finetune\"",
       "    torch.save(model.GPT(mconf).state_dict(), args.writing_params_path)\nelif args.function == \"finetune\"")],
     [],
     "wrote a vanilla.pretrain.params whose weights are not the ones training left", None),
]


@pytest.mark.parametrize("name, run_fix, london_fix, says_12, says_13", BUGS, ids=[b[0] for b in BUGS])
def test_bug_loses_its_test(tmp_path, monkeypatch, name, run_fix, london_fix, says_12, says_13):
    files = {"src/run.py": patched("src/run.py", *run_fix)}
    if london_fix:
        files["src/london_baseline.py"] = patched("src/london_baseline.py", *london_fix)
    res = graded(tmp_path, make_submission(tmp_path / "sub", assignment="a5", drop=PARAMS, files=files), monkeypatch)
    assert lost(res) == ({"2.12", "2.13"} if says_13 else {"2.12"}), {n: output_of(res, n)[:600] for n in lost(res)}
    assert says_12 in output_of(res, "2.12"), output_of(res, "2.12")
    if says_13:
        assert says_13 in output_of(res, "2.13"), output_of(res, "2.13")
