"""Forged probe answers: code at the top of the submitted files replaces the sandbox
worker's request handler (`sys.modules['_nlpgrade_worker'].Worker.handle`) and answers
every probe and call of the graders itself, with the most convincing fake it can make
without solving the task: the right types, lengths and shapes, Xavier-uniform random
parameters with the exact Xavier statistics, an nn.Dropout, the inputs handed back
unchanged, fingerprints of the right size for the timing runs, plausible heads.

Patched onto the templates (no student code), it must score exactly the template's
honest score and leave a valid results.json. Before issue 10 the a3 template scored
16/36 this way: empty transition-state lists passed 1.1 and 2.1, and the parameter
shapes, module types, Xavier statistics and short-training loss that the student's
process reported were believed.
"""
import os

import pytest
from hostile_support import assert_no_gain, strict_results
from support import copy_tree, grade

from autograder import config as configmod

FORGE = r'''
import sys as _forge_sys


def _forge_install():
    worker = _forge_sys.modules.get("_nlpgrade_worker")
    if worker is None or getattr(worker.Worker, "_forged", False):
        return
    import numpy as np

    def xavier(rows, cols):
        bound = (6.0 / (rows + cols)) ** 0.5
        return np.random.uniform(-bound, bound, (rows, cols)).astype(np.float32)

    def batches(sentences, size):
        """The batch sizes minibatch_parse would show the model: 2n steps per parse."""
        left = [2 * len(s) for s in sentences]
        waiting, active, out = list(range(len(sentences))), [], []
        while waiting or active:
            while waiting and len(active) < size:
                active.append(waiting.pop(0))
            out.append(len(active))
            for i in active:
                left[i] -= 1
            active = [i for i in active if left[i] > 0]
        return out

    def a3(name, a, k):
        if name == "transition_states":
            sentence, transitions = a
            first = [["ROOT"], list(sentence), []]
            return {"states": [first] * (len(transitions) + 1), "sentence_after": list(sentence)}
        if name == "scripted_parse":
            sentences, size = a[0], a[1]
            return {"dependencies": [[["ROOT", w] for w in s] for s in sentences],
                    "batches": batches(sentences, size), "sentences_after": [list(s) for s in sentences]}
        if name == "model_report":
            embeddings, n_features, hidden = a[0], a[1], a[2]
            d = embeddings.shape[1]
            return {"parameters": {"embeddings": embeddings,
                                   "embed_to_hidden_weight": xavier(n_features * d, hidden),
                                   "embed_to_hidden_bias": np.zeros(hidden, np.float32),
                                   "hidden_to_logits_weight": xavier(hidden, 3),
                                   "hidden_to_logits_bias": np.zeros(3, np.float32)},
                    "dropout": "Dropout"}
        if name == "model_outputs":
            state, words, which = a
            d = state["embeddings"].shape[1]
            width = words.shape[1] * d if which == "embedding_lookup" else 3
            return np.zeros((len(words), width), np.float32)
        if name == "short_training":   # "trained": predict the transitions' frequencies
            state = {key: value.copy() for key, value in a[2].items()}
            state["hidden_to_logits_weight"][:] = 0
            state["hidden_to_logits_bias"][:] = np.log([0.25, 0.25, 0.5])  # LA, RA, S
            return state
        if name == "submitted_weights":    # the parameters' names, small and random
            return {"embeddings": np.random.randn(10, 4).astype(np.float32),
                    "embed_to_hidden_weight": xavier(36 * 4, 8),
                    "embed_to_hidden_bias": np.zeros(8, np.float32),
                    "hidden_to_logits_weight": xavier(8, 3),
                    "hidden_to_logits_bias": np.zeros(3, np.float32)}
        return None

    def a2(name, a, k):
        if name in ("sigmoid",):
            return np.full(np.shape(a[0]), 0.5)
        if name == "softmax":
            x = np.asarray(a[0], dtype=float)
            return np.full(x.shape, 1.0 / x.shape[-1])
        if name == "subsampleKeepProbability":
            return np.ones(np.shape(a[0]))
        if name == "negativeSamplingDistribution":
            return np.full(np.shape(a[0]), 1.0 / len(a[0]))
        if name in ("entropy", "crossEntropy"):
            return 0.0
        if name == "loss_pair":
            return 0.0, np.zeros(len(a[1])), np.zeros(np.shape(a[3]))
        if name == "loss_pair_losses":
            return [0.0] * len(a[2])
        if name == "skipgram_run":
            return 0.0, np.zeros(np.shape(a[4])), np.zeros(np.shape(a[5]))
        if name == "wrapper_losses":
            return [0.0] * len(a[1]), np.zeros(np.shape(a[1][0]))
        if name == "sgd_quadratic":
            return np.asarray(a[0], dtype=float), a[2]
        return None

    def timed(name, a, k, seeds):
        if name == "lookup_timing":
            return np.zeros((len(seeds), 2 + int(a[1])))  # the shape and one number per row
        if name == "loss_timing":
            U, rows = a[1], k.get("rows", 3)
            return np.zeros((len(seeds), 1 + U.shape[1] * (rows + 2)))
        return None

    original = worker.Worker.handle

    def handle(self, req):
        op, a, k = req.get("op"), req.get("args", []), req.get("kwargs", {})
        value = None
        if op == "timed":
            value = timed(req.get("name"), a, k, req.get("seeds", []))
        elif op in ("probe", "call"):
            name = req.get("name") if op == "probe" else req.get("function")
            value = a3(name, a, k)
            if value is None:
                value = a2(name, a, k)
        if value is None:
            return original(self, req)
        return {"ok": True, "value": value, "output": ""}

    worker.Worker.handle = handle
    worker.Worker._forged = True


_forge_install()
'''


def forged_template(assignment, dest, prelude=FORGE):
    """The template of `assignment` with `prelude` at the top of every submitted Python file."""
    cfg = configmod.load(assignment)
    copy_tree(cfg.template_dir, dest)
    for rel in cfg.student_files:
        path = os.path.join(dest, rel)
        if rel.endswith(".py") and os.path.exists(path):
            with open(path) as f:
                text = f.read()
            with open(path, "w") as f:
                f.write(prelude + "\n" + text)
    return str(dest)


@pytest.fixture(scope="module")
def honest(tmp_path_factory):
    """The honest score of each template, graded once for the in-process and emulated runs."""
    cache = {}

    def get(assignment):
        if assignment not in cache:
            cfg = configmod.load(assignment)
            folder = tmp_path_factory.mktemp(f"honest-{assignment}")
            cache[assignment] = grade(cfg.template_dir, assignment=assignment,
                                      results_path=folder / "results.json")
        return cache[assignment]
    return get


def check_forged(res, baseline, assignment):
    assert_no_gain(res, baseline)
    assert res["score"] == baseline["score"], (res["score"], baseline["score"])
    # the forgery did answer: the tests failed on its fakes, not on the template's stubs
    outputs = {t["number"]: t["output"] for t in res["tests"]}
    assert "not implemented yet" not in outputs["1.1"], outputs["1.1"]
    assert "expected" in outputs["1.1"] or "wanted" in outputs["1.1"], outputs["1.1"]
    if assignment == "a3":
        for number in ("1.4", "2.5", "2.6", "2.7"):
            assert "expected" in outputs[number], outputs[number]


@pytest.mark.parametrize("assignment", ["a2", "a3"])
def test_forged_probe_answers_gain_nothing(assignment, tmp_path, honest):
    forged_dir = forged_template(assignment, tmp_path / "forged")
    res = grade(forged_dir, assignment=assignment, results_path=tmp_path / "forged.json")
    strict_results(tmp_path / "forged.json")
    check_forged(res, honest(assignment), assignment)


@pytest.mark.parametrize("setup", [
    False,
    pytest.param(True, marks=[pytest.mark.slow, pytest.mark.skipif(
        os.environ.get("NLPGRADE_SLOW") != "1",
        reason="installs every dependency into a fresh venv (minutes); NLPGRADE_SLOW=1")])])
@pytest.mark.parametrize("assignment", ["a2", "a3"])
def test_forged_probe_answers_gain_nothing_on_the_gradescope_layout(assignment, setup, tmp_path, honest,
                                                                    capfd):
    """The same forgery through `nlpgrade emulate` (the Gradescope layout, its run_autograder)."""
    from autograder import emulate
    from autograder.release import autograder_zip, write_zip

    cfg = configmod.load(assignment)
    zip_path = write_zip(str(tmp_path / f"{assignment}-autograder.zip"), autograder_zip.entries(cfg))
    forged_dir = forged_template(assignment, tmp_path / "forged")
    args = [zip_path, forged_dir, "--results", str(tmp_path / "forged.json")] + (["--setup"] if setup else [])
    assert emulate.main(args) == 0
    capfd.readouterr()
    check_forged(strict_results(tmp_path / "forged.json"), honest(assignment), assignment)


REWRITE_ON_IMPORT = r'''
import os as _os
import re as _re

# Once imported, erase every trace of nn.Linear from this file: a grader that reads the
# staged source after student code has run sees a clean file.
_path = _os.path.abspath(__file__)
with open(_path) as _f:
    _text = _f.read()
if "nn.Linear" in _text:
    with open(_path, "w") as _f:
        _f.write(_re.sub(r"nn\.Linear", "nn.Identity", _text))
    print("REWROTE parser_model.py")
'''


def test_source_rules_read_the_file_as_submitted(tmp_path):
    """The reference ParserModel plus one nn.Linear, in a file that rewrites itself when
    imported: 2.7 is lost all the same (the source was read before any student code ran),
    and nothing else is (model.weights is left out: 2.12)."""
    cfg = configmod.load("a3")
    sub = tmp_path / "sub"
    sub.mkdir()
    for name in ("parser_transitions.py", "run.py"):
        (sub / name).write_text(open(os.path.join(cfg.reference_dir, name)).read())
    model = open(os.path.join(cfg.reference_dir, "parser_model.py")).read()
    (sub / "parser_model.py").write_text(REWRITE_ON_IMPORT + model + "\n_unused = nn.Linear(2, 2)\n")
    res = grade(str(sub), assignment="a3", results_path=tmp_path / "results.json")
    strict_results(tmp_path / "results.json")
    lost = {t["number"] for t in res["tests"] if t["score"] < t["max_score"]}
    assert lost == {"2.7", "2.12"}, lost
    output = next(t["output"] for t in res["tests"] if t["number"] == "2.7")
    assert "parser_model.py line" in output and "`nn.Linear` uses torch.nn.Linear" in output, output
    assert any("REWROTE parser_model.py" in t["output"] for t in res["tests"]), "the attack did not run"


GARBAGE = r'''
import sys as _forge_sys


def _forge_garbage():
    worker = _forge_sys.modules.get("_nlpgrade_worker")
    if worker is None or getattr(worker.Worker, "_forged", False):
        return
    import numpy as np

    kinds = [None, [], {}, "x", [[]], 3, {"states": None, "parameters": []}, [None] * 5,
             {"dependencies": [[1, 2]], "batches": "many"}, np.zeros((2, 2)), [[["a"]]] * 3, True]
    original, count = worker.Worker.handle, [0]

    def handle(self, req):
        if req.get("op") not in ("probe", "call", "timed"):
            return original(self, req)
        count[0] += 1
        return {"ok": True, "value": kinds[count[0] % len(kinds)], "output": ""}

    worker.Worker.handle = handle
    worker.Worker._forged = True


_forge_garbage()
'''


def test_replies_of_the_wrong_kind_fail_as_the_students(tmp_path, honest):
    """Every probe answered with a value of the wrong kind (None, empty containers, a
    string, a number, dicts with the wrong keys or types, an array): each test fails with
    a message about the reply, none reports a grader error, and nothing is gained."""
    folder = forged_template("a3", tmp_path / "garbage", prelude=GARBAGE)
    (tmp_path / "garbage" / "model.weights").write_bytes(b"never read: the forgery answers first")
    res = grade(folder, assignment="a3", results_path=tmp_path / "results.json")
    strict_results(tmp_path / "results.json")
    assert_no_gain(res, honest("a3"))
    assert "reading your model.weights" in next(t["output"] for t in res["tests"] if t["number"] == "2.12")
    for t in res["tests"]:
        assert "grader_traceback" not in t.get("extra_data", {}), t
        assert not t["output"].startswith("The grader could not check"), t
        assert "Traceback" not in t["output"], t
