"""A CS224N Winter 2021 a3 submission drops into our harness unchanged.

Requirement: a 2021-course `parser_transitions.py`, `parser_model.py` and `run.py`, with
the `model.weights` its run.py saved, must score full marks exactly as the reference
does: every a3 test is one of the functions the 2021 course asked for (a3 has no files
of ours that a 2021 submission lacks), and the 2021 model's state_dict keys
(`embeddings`, `embed_to_hidden_weight`, ...) are the ones the grader loads.

The stand-in submission lives in course2021/ (written for these tests, not copied from
the course), in a typical 2021 student's style: `unfinished_parses = partial_parses[:]`
with finished parses removed from it, `torch.index_select` and `view` for the lookup,
`train` that returns nothing. It keeps the 2021 starter's imports, names and entry
points, including two quirks that a harness can trip over: run.py parses the command
line (`-d`) when it is imported, not only when it is run, and the starter's DummyModel
compares strings with `is` (a SyntaxWarning on Python 3.8+). Running the entry points
against our provided utils/ checks that they serve 2021 code: `parser_transitions.py
part_c|part_d`, `parser_model.py -e|-f`, `run.py -d`, and run.py without -d, whose
final `parser.parse(test_data)` gets test_data None (students have no test set) and
must end with a message and a NaN UAS, after the weights are saved.

The stand-ins' top-level names import the same names as the reference's and other
assignments' modules (utils, run, ...), so they only ever run in subprocesses or in the
grader's sandboxes, never in the test process.
"""
import ast
import glob
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from autograder import config as configmod
from autograder import data as datamod
from autograder import results as resultsmod
from quick_model import QUICK_THRESHOLDS
from support import grade, lost, output_of

A3 = configmod.load("a3")
HERE = os.path.dirname(os.path.abspath(__file__))
COURSE = os.path.join(HERE, "course2021")
CODE = ("parser_transitions.py", "parser_model.py", "run.py")


def course_file(name):
    with open(os.path.join(COURSE, name)) as f:
        return f.read()


def test_the_2021_files_are_all_the_code_we_grade():
    assert sorted(CODE) == sorted(f for f in A3.student_files if f.endswith(".py"))
    assert [f for f in A3.student_files if not f.endswith(".py")] == ["model.weights"]


# --- graded as the reference is graded -----------------------------------------------------

def test_2021_submission_scores_like_the_reference(tmp_path, quick_weights, shared_heldout_parses):
    """Full marks on every test, as test_reference_full_marks gets with the same weights."""
    sub = tmp_path / "sub"
    sub.mkdir()
    for name in CODE:
        (sub / name).write_text(course_file(name))
    shutil.copy(quick_weights, sub / "model.weights")

    res = grade(sub, assignment="a3", results_path=tmp_path / "results.json",
                thresholds=QUICK_THRESHOLDS)
    tests = {t["number"]: t for t in res["tests"]}
    assert set(tests) == set(A3.points)
    short = {n: (tests[n]["score"], tests[n]["max_score"], tests[n]["output"][:1500])
             for n in sorted(lost(res))}
    assert not short, f"the 2021 submission lost points: {short}"
    assert all(t["max_score"] == A3.points[n] for n, t in tests.items())
    assert res["score"] == A3.total_points
    # the starter's `is "right"` warning is the course's, not output of the student's code
    assert not [n for n, t in tests.items() if "SyntaxWarning" in t["output"]]
    resultsmod.validate(json.loads((tmp_path / "results.json").read_text()))
    (board,) = res["leaderboard"]
    assert board["name"] == "UAS (held-out)" and 65 < board["value"] < 100, board
    assert f"UAS on 2077 held-out sentences: {board['value']:.2f}" in output_of(res, "2.12")


# --- the 2021 entry points run against our provided modules --------------------------------

def course_folder(dest):
    """A folder laid out like the 2021 a3 starter: our provided utils/, the three files, and
    a data folder with the training and dev sets only, as students have them (the test set
    is held out)."""
    for rel in A3.provided:
        os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
        shutil.copyfile(os.path.join(A3.reference_dir, rel), os.path.join(dest, rel))
    for name in CODE:
        with open(os.path.join(dest, name), "w") as f:
            f.write(course_file(name))
    data = os.path.join(dest, "data")
    for rel in A3.sandbox_data:
        os.makedirs(os.path.dirname(os.path.join(data, rel)), exist_ok=True)
        os.symlink(datamod.path(rel), os.path.join(data, rel))
    return str(dest)


def run_script(cwd, *args, timeout=120):
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1",
           "NLPGRADE_DATA_DIR": os.path.join(cwd, "data")}
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.mark.parametrize("part, printed", [
    ("part_c", ["SHIFT test passed!", "LEFT-ARC test passed!", "RIGHT-ARC test passed!",
                "parse test passed!"]),
    ("part_d", ["minibatch_parse test passed!"]),
])
def test_2021_parser_transitions_main_runs(tmp_path, part, printed):
    proc = run_script(course_folder(tmp_path), "parser_transitions.py", part)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.split("\n") == printed + [""], proc.stdout


def test_2021_parser_transitions_main_wants_a_part(tmp_path):
    proc = run_script(course_folder(tmp_path), "parser_transitions.py")
    assert proc.returncode != 0
    assert "'part_c' or 'part_d'" in proc.stderr, proc.stderr


@pytest.mark.parametrize("flags, printed", [
    (["-e"], ["Embedding_lookup sanity check passes!"]),
    (["-f"], ["Forward sanity check passes!"]),
    (["-e", "-f"], ["Embedding_lookup sanity check passes!", "Forward sanity check passes!"]),
])
def test_2021_parser_model_main_runs(tmp_path, flags, printed):
    proc = run_script(course_folder(tmp_path), "parser_model.py", *flags)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.split("\n") == printed + [""], proc.stdout


STATE_SHAPES = r'''
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from parser_model import ParserModel
model = ParserModel(np.zeros((120, 50), dtype=np.float32))
print(json.dumps({k: list(v.shape) for k, v in model.state_dict().items()}))
'''


def state_shapes(folder):
    proc = subprocess.run([sys.executable, "-c", STATE_SHAPES, folder], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_2021_model_has_the_reference_state_dict(tmp_path):
    """The weights a 2021 run.py saves load into our reference's ParserModel and back."""
    ours = state_shapes(A3.reference_dir)
    theirs = state_shapes(course_folder(tmp_path))
    assert theirs == ours
    assert set(ours) == {"embeddings", "embed_to_hidden_weight", "embed_to_hidden_bias",
                         "hidden_to_logits_weight", "hidden_to_logits_bias"}


# `python run.py -d`, the script unchanged, with the random generators seeded first: the 2021
# run.py seeds nothing, and its dev UAS after 10 debug epochs (72.2 once) is judged against
# the handout's 65, a bound an unlucky draw should not decide
SEEDED_DEBUG_MODE = r'''
import random, runpy, sys
import numpy as np, torch
random.seed(0)
np.random.seed(0)
torch.manual_seed(0)
sys.argv = ["run.py", "-d"]
runpy.run_path("run.py", run_name="__main__")
'''


def test_2021_run_debug_mode_trains_and_saves(tmp_path):
    """`python run.py -d` as the 2021 handout says: 10 epochs on the debug subsets (about
    30 seconds on one thread), weights in results/<timestamp>/model.weights, no test set
    evaluation. The handout expected a dev UAS above 65 after it."""
    cwd = course_folder(tmp_path)
    proc = run_script(cwd, "-c", SEEDED_DEBUG_MODE, timeout=400)
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    for epoch in range(1, 11):
        assert f"Epoch {epoch} out of 10" in out, out[-3000:]
    assert "New best dev UAS! Saving model." in out
    assert "TESTING" not in out
    (weights,) = glob.glob(os.path.join(cwd, "results", "*", "model.weights"))
    assert re.fullmatch(r"\d{8}_\d{6}", os.path.basename(os.path.dirname(weights)))
    uas = [float(u) for u in re.findall(r"- dev UAS: ([\d.]+)", out)]
    losses = [float(x) for x in re.findall(r"Average Train Loss: ([\d.]+)", out)]
    assert len(uas) == len(losses) == 10, out[-3000:]
    assert max(uas) > 65, uas
    assert losses[-1] < 0.7 * losses[0], losses


# run.py's __main__ without -d on the debug data cut down further (full training takes ~20
# minutes): only the data loader is replaced, the script runs as `python run.py` would
FULL_MODE = r'''
import runpy, sys
import utils.parser_utils as pu
real = pu.load_and_preprocess_data
def smaller(reduced=True, vectors="auto"):
    assert reduced is False, reduced  # run.py passes debug, False here
    parser, embeddings, train, dev, test = real(True, vectors)
    return parser, embeddings, train[:4000], dev[:100], test
pu.load_and_preprocess_data = smaller
sys.argv = ["run.py"]
runpy.run_path("run.py", run_name="__main__")
'''


def test_2021_run_full_mode_ends_without_a_test_set(tmp_path):
    """Without -d, the 2021 run.py restores its best weights and parses test_data, which is
    None where the test file is missing: our Parser.parse says so and returns NaN, so the
    script ends normally with its weights saved."""
    cwd = course_folder(tmp_path)
    proc = run_script(cwd, "-c", FULL_MODE, timeout=300)
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    assert "Epoch 10 out of 10" in out
    assert "TESTING" in out and "Restoring the best model weights found on the dev set" in out
    assert "No test set here (the grader holds it out): no test UAS." in out, out[-2000:]
    assert "- test UAS: nan" in out and out.rstrip().endswith("Done!"), out[-2000:]
    assert len(glob.glob(os.path.join(cwd, "results", "*", "model.weights"))) == 1


# --- the stand-ins keep the 2021 starter's shape (so the checks above mean something) ------

PT_IMPORTS = ["import sys"]
PT_FUNCTIONS = {
    "minibatch_parse": "sentences, model, batch_size",
    "test_step": "name, transition, stack, buf, deps, ex_stack, ex_buf, ex_deps",
    "test_parse_step": "", "test_parse": "",
    "test_dependencies": "name, deps, ex_deps", "test_minibatch_parse": "",
}
PT_CLASSES = {
    "PartialParse": {"__init__": "self, sentence", "parse_step": "self, transition",
                     "parse": "self, transitions"},
    "DummyModel": {"__init__": "self, mode='unidirectional'", "predict": "self, partial_parses",
                   "unidirectional_predict": "self, partial_parses",
                   "interleave_predict": "self, partial_parses"},
}
PM_IMPORTS = ["import argparse", "import numpy as np", "import torch", "import torch.nn as nn",
              "import torch.nn.functional as F"]
PM_CLASSES = {"ParserModel": {
    "__init__": "self, embeddings, n_features=36, hidden_size=200, n_classes=3, dropout_prob=0.5",
    "embedding_lookup": "self, w", "forward": "self, w"}}
RUN_IMPORTS = ["from datetime import datetime", "import os", "import pickle", "import math",
               "import time", "import argparse", "from torch import nn, optim", "import torch",
               "from tqdm import tqdm", "from parser_model import ParserModel",
               "from utils.parser_utils import minibatches, load_and_preprocess_data, AverageMeter"]
RUN_FUNCTIONS = {
    "train": "parser, train_data, dev_data, output_path, batch_size=1024, n_epochs=10, lr=0.0005",
    "train_for_epoch": "parser, train_data, dev_data, optimizer, loss_func, batch_size",
}
# the 2021 run.py builds its argparse parser and parses sys.argv at import time
RUN_TOP_LEVEL = ["parser = argparse.ArgumentParser(description='Train neural dependency parser in pytorch')",
                 "parser.add_argument('-d', '--debug', action='store_true', help='whether to enter debug mode')",
                 "args = parser.parse_args()"]


def shape_of(source):
    tree = ast.parse(source)
    imports = [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    functions = {n.name: ast.unparse(n.args) for n in tree.body if isinstance(n, ast.FunctionDef)}
    classes = {n.name: {m.name: ast.unparse(m.args) for m in n.body if isinstance(m, ast.FunctionDef)}
               for n in tree.body if isinstance(n, ast.ClassDef)}
    statements = [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Assign, ast.Expr))
                  and not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    has_main = any(isinstance(n, ast.If) and ast.unparse(n.test) == "__name__ == '__main__'"
                   for n in tree.body)
    return imports, functions, classes, statements, has_main


@pytest.mark.parametrize("name, imports, functions, classes, statements", [
    ("parser_transitions.py", PT_IMPORTS, PT_FUNCTIONS, PT_CLASSES, []),
    ("parser_model.py", PM_IMPORTS, {}, PM_CLASSES, []),
    ("run.py", RUN_IMPORTS, RUN_FUNCTIONS, {}, RUN_TOP_LEVEL),
])
def test_stand_ins_have_the_2021_shape(name, imports, functions, classes, statements):
    got_imports, got_functions, got_classes, got_statements, has_main = shape_of(course_file(name))
    assert got_imports == imports
    assert got_functions == functions
    assert got_classes == classes
    assert got_statements == statements
    assert has_main


def test_stand_ins_are_written_in_the_students_style():
    """What makes them differ from the reference (so the grading above is not the reference
    graded twice)."""
    pt, pm, run = (course_file(n) for n in CODE)
    assert "unfinished_parses = partial_parses[:]" in pt and "unfinished_parses.remove(" in pt
    assert 'is "right"' in pt  # the starter's DummyModel
    assert "torch.index_select(" in pm and ".view(" in pm and "nn.init.xavier_uniform_(" in pm
    assert "nn.Linear" not in pm and "nn.Embedding" not in pm
    train = next(n for n in ast.parse(run).body if isinstance(n, ast.FunctionDef) and n.name == "train")
    assert not any(isinstance(n, ast.Return) for n in ast.walk(train))  # 2021's train returns nothing
    assert "parser.parse(test_data)" in run and "load_and_preprocess_data(debug)" in run
