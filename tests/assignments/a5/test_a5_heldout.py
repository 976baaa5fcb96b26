"""a5 2.14 and 2.15: held-out accuracy of the submitted vanilla.finetune.params and
synthesizer.finetune.params.

The reference with the quick models (quick_model_a5.py) scores full marks under bars
measured from them; points scale between the bars; a missing, corrupt or mismatched
params file, a file of the other variant or of another vocabulary, and a model that
emits nothing each get the right message and cost their own test alone; a table of
answers installed by the submission's code scores 0. Those gradings run only
test_a5_heldout.py (the params files are read by no other test), and each writes a valid
results.json.
"""
import json
import os
import shutil

import pytest
import torch

from autograder import config as configmod
from autograder import data as datamod
from autograder import grading
from autograder import results as resultsmod
from quick_model_a5 import FILES, QUICK_THRESHOLDS, quick_model
from support import grade, lost, make_submission, output_of, scores

A5 = configmod.load("a5")
MINE = "test_a5_heldout.py"
NUMBER = {"vanilla": "2.14", "synthesizer": "2.15"}


@pytest.fixture(scope="module")
def quick_dir():
    """The folder holding the quick models (trained once, about a minute; data/a5-quick/)."""
    return quick_model()


def submission(folder, quick_dir=None, files=None):
    """The reference's code; the quick models' params files when `quick_dir` is given."""
    make_submission(folder, assignment="a5", drop=tuple(FILES.values()), files=files)
    if quick_dir:
        for name in FILES.values():
            shutil.copy(os.path.join(quick_dir, name), os.path.join(folder, name))
    return folder


def graded(tmp_path, folder, monkeypatch, **thresholds):
    """Grade `folder` with test_a5_heldout.py alone; the results.json it writes is valid."""
    every = grading.test_files
    monkeypatch.setattr(grading, "test_files", lambda assignment, hidden: [
        (kind, path) for kind, path in every(assignment, hidden) if os.path.basename(path) == MINE])
    res = grade(folder, assignment="a5", results_path=tmp_path / "results.json",
                thresholds={**QUICK_THRESHOLDS, **thresholds})
    resultsmod.validate(json.loads((tmp_path / "results.json").read_text()))
    assert set(scores(res)) == {"2.14", "2.15"}, scores(res)
    return res


def boards(res):
    return {b["name"]: b["value"] for b in res.get("leaderboard") or []}


def accuracy_of(res, variant):
    (value,) = [v for k, v in boards(res).items() if k.lower().startswith(variant)]
    return value


def test_reference_with_the_quick_models_full_marks_and_points_scale(tmp_path, quick_dir, monkeypatch):
    """Full marks under bars below the quick models' accuracy; then, with the bar for full
    credit above it, each test earns its share of the points."""
    folder = submission(tmp_path / "sub", quick_dir)
    res = graded(tmp_path, folder, monkeypatch)
    assert lost(res) == set(), {n: output_of(res, n)[:500] for n in lost(res)}
    got = {v: accuracy_of(res, v) for v in NUMBER}
    assert all(0.5 <= a < 100 for a in got.values()), got
    for variant, number in NUMBER.items():
        note = output_of(res, number)
        assert f"{variant} accuracy on 366 held-out questions: {got[variant]:.2f}% (" in note, note
        assert "366 of 366 answers equal those of the handout's GPT holding your weights" in note, note
    # the bars from the config's scale: full at twice the accuracy, floor at a quarter
    bars = {}
    for variant, value in got.items():
        bars.update({f"{variant}_full": 2 * value, f"{variant}_floor": value / 4})
    res = graded(tmp_path, folder, monkeypatch, **bars)
    assert lost(res) == {"2.14", "2.15"}
    for variant, number in NUMBER.items():
        share = (got[variant] - got[variant] / 4) / (2 * got[variant] - got[variant] / 4)
        assert abs(scores(res)[number] - round(A5.points[number] * share, 2)) < 0.02, (number, scores(res))
        assert f"below the {2 * got[variant]:g}% needed for full credit" in output_of(res, number)


def test_missing_models(tmp_path, monkeypatch):
    res = graded(tmp_path, submission(tmp_path / "sub"), monkeypatch)
    assert lost(res) == {"2.14", "2.15"} and scores(res) == {"2.14": 0, "2.15": 0}
    for variant, number in NUMBER.items():
        out = output_of(res, number)
        assert f"{FILES[variant]} is missing from your submission" in out, out
        assert f"python src/run.py pretrain {variant} wiki.txt" in out and "make bench" in out  # how to make one
    assert not res.get("leaderboard")


def test_corrupt_model_costs_its_own_test(tmp_path, monkeypatch, quick_dir):
    folder = submission(tmp_path / "sub", quick_dir)
    (folder / FILES["vanilla"]).write_bytes(os.urandom(100_000))
    res = graded(tmp_path, folder, monkeypatch)
    assert lost(res) == {"2.14"}
    out = output_of(res, "2.14")
    assert ("vanilla.finetune.params could not be used: vanilla.finetune.params is not a file "
            "torch.load(..., weights_only=True) can read") in out, out
    assert "--writing_params_path vanilla.finetune.params" in out


def test_mismatched_models(tmp_path, monkeypatch, quick_dir):
    """Another vocabulary (vanilla), and a state dict missing a parameter (synthesizer)."""
    folder = submission(tmp_path / "sub", quick_dir)
    state = torch.load(os.path.join(quick_dir, FILES["vanilla"]), weights_only=True)
    for name in ("tok_emb.weight", "head.weight"):
        state[name] = torch.cat([state[name], state[name][:3]])
    torch.save(state, folder / FILES["vanilla"])
    state = torch.load(os.path.join(quick_dir, FILES["synthesizer"]), weights_only=True)
    del state["blocks.1.mlp.0.bias"]
    torch.save(state, folder / FILES["synthesizer"])
    res = graded(tmp_path, folder, monkeypatch)
    assert lost(res) == {"2.14", "2.15"}
    out = output_of(res, "2.14")
    assert "holds a model of a vocabulary of 259 characters" in out and "wiki.txt has 256" in out, out
    out = output_of(res, "2.15")
    assert "does not fit the GPT of the sizes it implies" in out and "blocks.1.mlp.0.bias" in out, out


def test_models_swapped_and_shapes_wrong(tmp_path, monkeypatch, quick_dir):
    """The vanilla model submitted as the synthesizer; a vanilla model whose MLP is wider
    than model.py builds."""
    folder = submission(tmp_path / "sub", quick_dir)
    shutil.copy(os.path.join(quick_dir, FILES["vanilla"]), folder / FILES["synthesizer"])
    state = torch.load(os.path.join(quick_dir, FILES["vanilla"]), weights_only=True)
    state["blocks.0.mlp.0.weight"] = torch.zeros(8 * 64, 64)
    torch.save(state, folder / FILES["vanilla"])
    res = graded(tmp_path, folder, monkeypatch)
    assert lost(res) == {"2.14", "2.15"}
    out = output_of(res, "2.15")
    assert "synthesizer.finetune.params holds a vanilla model" in out and "not a synthesizer one" in out, out
    out = output_of(res, "2.14")
    assert "does not fit the GPT" in out and "size mismatch for blocks.0.mlp.0.weight" in out, out


def silent_state(path):
    """The model at `path` made to write ⁇ (id 1) first, whatever the question: the final
    LayerNorm gives ones, and only the head's row for ⁇ sees them."""
    state = torch.load(path, weights_only=True)
    state["ln_f.weight"].zero_()
    state["ln_f.bias"].fill_(1.0)
    state["head.weight"].zero_()
    state["head.weight"][1] = 1.0
    return state


def test_model_that_emits_nothing_gets_its_accuracy(tmp_path, monkeypatch, quick_dir):
    folder = submission(tmp_path / "sub", quick_dir)
    torch.save(silent_state(os.path.join(quick_dir, FILES["synthesizer"])), folder / FILES["synthesizer"])
    res = graded(tmp_path, folder, monkeypatch)
    assert lost(res) == {"2.15"} and scores(res)["2.15"] == 0
    assert accuracy_of(res, "synthesizer") == 0.0
    out = output_of(res, "2.15")
    assert "synthesizer accuracy on 366 held-out questions: 0.00% (0 correct)" in out, out
    assert "366 of the answers are empty" in out, out


# A table of answers: the submission's attention.py, when imported (the grader's probe is
# running), replaces the probe's answering helper with a table. The table here is the
# grader's own gold (what a student's extractor over wiki.txt would at best reach): before
# the cross-check it would score every point. The reference's GPT holding the
# submission's weights answers every question, and the table's answers are not what the
# weights give.
TABLE = r'''

_TABLE = %r


def _table_install():
    import sys

    frame = sys._getframe()
    while frame is not None:
        namespace = frame.f_globals
        if namespace.get("__name__") == "__probe__" and "_answers" in namespace:
            namespace["_answers"] = lambda net, stoi, itos, questions, **kw: [_TABLE.get(q, "") for q in questions]
        frame = frame.f_back


_table_install()
'''


def test_a_table_of_answers_gains_nothing(tmp_path, monkeypatch, quick_dir):
    import sys

    sys.path.insert(0, A5.tests_dir("hidden"))
    try:
        from a5_gold import heldout_gold
    finally:
        sys.path.remove(A5.tests_dir("hidden"))
    table = dict(heldout_gold(os.path.dirname(datamod.path("birth-places/wiki.txt"))))
    folder = submission(tmp_path / "sub", quick_dir)
    with open(folder / "src" / "attention.py", "a", encoding="utf-8") as f:
        f.write(TABLE % table)
    # the default bars: the table would earn every point there
    res = graded(tmp_path, folder, monkeypatch, **{k: A5.thresholds[k] for k in QUICK_THRESHOLDS})
    assert scores(res) == {"2.14": 0, "2.15": 0}, {n: output_of(res, n)[:300] for n in NUMBER.values()}
    for variant, number in NUMBER.items():
        out = output_of(res, number)
        assert f"the answers your submission returned are not what {FILES[variant]} gives" in out, out
    assert all(v != 100.0 for v in boards(res).values())


# the pre-submit check (config "pre_submit"), on a student's folder
def student_folder(tmp_path, quick_dir=None):
    folder = tmp_path / "a5"
    shutil.copytree(A5.reference_dir, folder, ignore=shutil.ignore_patterns("__pycache__", "*.png", "*.params"))
    if quick_dir:
        for name in FILES.values():
            shutil.copy(os.path.join(quick_dir, name), folder / name)
    shutil.copytree(A5.tests_dir("public"), folder / "tests" / "public", ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "data" / "birth-places").mkdir(parents=True)
    shutil.copy(datamod.path("birth-places/wiki.txt"), folder / "data" / "birth-places" / "wiki.txt")
    config = json.loads(open(os.path.join(A5.folder, "config.json")).read())
    config.setdefault("pre_submit", "tests/public/presubmit_a5.py")
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_a5_declares_its_pre_submit_check():
    with open(os.path.join(A5.folder, "config.json")) as f:
        assert json.load(f).get("pre_submit") == "tests/public/presubmit_a5.py"


def test_presubmit_accepts_the_quick_models_and_refuses_bad_ones(tmp_path, quick_dir):
    from autograder import presubmit

    folder = student_folder(tmp_path, quick_dir)
    assert presubmit.problems(str(folder)) == []
    os.remove(folder / FILES["vanilla"])
    (reason,) = presubmit.problems(str(folder))
    assert reason.startswith("vanilla.finetune.params is not in") and "python src/run.py pretrain vanilla" in reason
    (folder / FILES["vanilla"]).write_bytes(b"not a torch file")
    shutil.copy(os.path.join(quick_dir, FILES["vanilla"]), folder / FILES["synthesizer"])
    first, second = presubmit.problems(str(folder))
    assert first.startswith("vanilla.finetune.params cannot be used: torch.load(..., weights_only=True)"), first
    assert second.startswith("synthesizer.finetune.params holds a vanilla model, not a synthesizer one"), second
    state = torch.load(os.path.join(quick_dir, FILES["vanilla"]), weights_only=True)
    state["blocks.0.mlp.2.weight"] = torch.zeros(64, 128)
    torch.save(state, folder / FILES["vanilla"])
    state = torch.load(os.path.join(quick_dir, FILES["synthesizer"]), weights_only=True)
    for name in ("tok_emb.weight", "head.weight"):
        state[name] = state[name][:-1]
    torch.save(state, folder / FILES["synthesizer"])
    first, second = presubmit.problems(str(folder))
    assert "does not fit the provided GPT" in first and "blocks.0.mlp.2.weight has shape (64, 128), wanted (64, 256)" \
        in first, first
    assert "a vocabulary of 255 characters" in second and "wiki.txt has 256" in second, second
