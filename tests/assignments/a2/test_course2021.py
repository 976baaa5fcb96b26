"""A CS224N Winter 2021 a2 submission drops into our harness unchanged.

Requirement: a 2021-course `word2vec.py` and `sgd.py` dropped into a submission must
score on the 2021 parts exactly as ours would. The 2021 parts are the tests of the
functions the 2021 course asked for (word2vec.py and sgd.py): the public 1.x and the
hidden 4.x. Parts 2.x, 3.x and 5.x test `sampling.py` and `information.py`, files of ours
that a 2021 submission does not have: they score 0 and say which file is missing.

The stand-in submissions live in course2021/ (written for these tests, not copied from
the course): `word2vec.py` in the most common 2021 style (utils' softmax, -log of the
picked probability, a Python loop over the negative samples), `word2vec_vectorized.py`
in another student's style (own log-sum-exp, np.add.at), and a 2021-style `sgd.py`. All
keep the 2021 starter's imports, names and `__main__` entry points, so running them also
checks that our provided utils/ serve 2021 code.
"""
import ast
import os
import shutil
import subprocess
import sys

import pytest

from autograder import config as configmod
from support import grade, make_submission, pin_seed, replace_function

A2 = configmod.load("a2")
HERE = os.path.dirname(os.path.abspath(__file__))
COURSE = os.path.join(HERE, "course2021")
VARIANTS = ["word2vec.py", "word2vec_vectorized.py"]

# the tests of the 2021 functions, as numbered in assignments/a2/tests/{public,hidden}
PARTS_2021 = {f"1.{i}" for i in range(1, 7)} | {f"4.{i}" for i in range(1, 14)}
# the other tests, and the file of ours each one needs
MISSING = {"2.1": "sampling.py", "2.2": "sampling.py", "5.1": "sampling.py", "5.2": "sampling.py",
           "3.1": "information.py", "3.2": "information.py", "3.3": "information.py",
           "5.3": "information.py", "5.4": "information.py"}


STUDENT_PARTS = ["sigmoid", "naiveSoftmaxLossAndGradient", "negSamplingLossAndGradient", "skipgram"]


def _read(name):
    with open(os.path.join(COURSE, name)) as f:
        return f.read()


def course_file(name):
    """A stand-in file's text; word2vec_vectorized.py is word2vec.py with the student
    functions of word2vec_vectorized_parts.py in place of its own."""
    if name != "word2vec_vectorized.py":
        return _read(name)
    parts, text = _read("word2vec_vectorized_parts.py"), _read("word2vec.py")
    tree = ast.parse(parts)
    lines = parts.splitlines(keepends=True)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in STUDENT_PARTS:
            text = replace_function(text, node.name, "".join(lines[node.lineno - 1:node.end_lineno]))
    return text


def test_parts_cover_the_configured_tests():
    assert PARTS_2021 | set(MISSING) == set(A2.points)
    assert not PARTS_2021 & set(MISSING)


@pytest.mark.parametrize("variant", VARIANTS)
def test_2021_submission_scores_like_the_reference(tmp_path, monkeypatch, variant):
    seed = pin_seed(monkeypatch)  # fresh each run, as in real grading
    sub = make_submission(tmp_path / "sub", files={"word2vec.py": course_file(variant),
                                                   "sgd.py": course_file("sgd.py")},
                          drop=["sampling.py", "information.py"])
    assert sorted(os.listdir(sub)) == ["sgd.py", "word2vec.py"]
    res = grade(sub, results_path=tmp_path / "results.json")
    tests = {t["number"]: t for t in res["tests"]}
    assert set(tests) == set(A2.points), f"NLPGRADE_SEED={seed}"

    # 2021 parts: full marks, as the reference gets (test_reference_full_marks)
    short = {n: (t["score"], t["max_score"], t["output"]) for n, t in tests.items()
             if n in PARTS_2021 and not t["score"] == t["max_score"] == A2.points[n]}
    assert not short, f"{variant} lost points on 2021 parts (NLPGRADE_SEED={seed}): {short}"

    # our additions: zero, naming the missing file
    for n, needed in MISSING.items():
        t = tests[n]
        assert t["score"] == 0, (n, t, seed)
        assert f"{needed} is not in your submission" in t["output"], (n, t["output"], seed)

    assert res["score"] == sum(A2.points[n] for n in PARTS_2021), f"NLPGRADE_SEED={seed}"


# --- the 2021 entry points run against our provided modules ------------------------------

def course_folder(dest, variant):
    """A folder laid out like the 2021 a2 starter: our provided utils/ and the two files."""
    for rel in A2.provided:
        os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
        shutil.copyfile(os.path.join(A2.reference_dir, rel), os.path.join(dest, rel))
    for name, target in ((variant, "word2vec.py"), ("sgd.py", "sgd.py")):
        with open(os.path.join(dest, target), "w") as f:
            f.write(course_file(name))
    return str(dest)


def run_script(cwd, *args):
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


@pytest.mark.parametrize("variant", VARIANTS)
def test_2021_word2vec_main_runs_on_our_utils(tmp_path, variant):
    cwd = course_folder(tmp_path, variant)
    proc = run_script(cwd, "word2vec.py")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    # gradcheck_naive: 2 + 2 loss-level checks, 2 through the sgd wrapper, and 3 + 3 in
    # grad_tests_softmax / grad_tests_negsamp
    assert out.count("Gradient check passed!") == 12, out
    assert "Gradient check failed" not in out, out
    assert "Tests for sigmoid passed!" in out, out
    assert out.count("All tests passed!") == 2, out
    assert "Some tests failed." not in out, out


def test_2021_word2vec_main_dispatches_on_a_function_name(tmp_path):
    cwd = course_folder(tmp_path, "word2vec.py")
    proc = run_script(cwd, "word2vec.py", "negSamplingLossAndGradient")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "==== Gradient check for negSamplingLossAndGradient ====" in proc.stdout
    assert proc.stdout.count("Gradient check passed!") == 2, proc.stdout
    assert "skip-gram" not in proc.stdout


def test_2021_sgd_main_runs(tmp_path):
    cwd = course_folder(tmp_path, "word2vec.py")
    proc = run_script(cwd, "sgd.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ALL TESTS PASSED" in proc.stdout, proc.stdout


# --- the stand-ins keep the 2021 starter's shape (so the checks above mean something) ------

WORD2VEC_IMPORTS = ["import argparse", "import numpy as np", "import random",
                    "from utils.gradcheck import gradcheck_naive, grad_tests_softmax, grad_tests_negsamp",
                    "from utils.utils import normalizeRows, softmax"]
WORD2VEC_FUNCTIONS = {
    "sigmoid": "x",
    "naiveSoftmaxLossAndGradient": "centerWordVec, outsideWordIdx, outsideVectors, dataset",
    "getNegativeSamples": "outsideWordIdx, dataset, K",
    "negSamplingLossAndGradient": "centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10",
    "skipgram": "currentCenterWord, windowSize, outsideWords, word2Ind, centerWordVectors, "
                "outsideVectors, dataset, word2vecLossAndGradient=naiveSoftmaxLossAndGradient",
    "word2vec_sgd_wrapper": "word2vecModel, word2Ind, wordVectors, dataset, windowSize, "
                            "word2vecLossAndGradient=naiveSoftmaxLossAndGradient",
    "test_sigmoid": "", "getDummyObjects": "", "test_naiveSoftmaxLossAndGradient": "",
    "test_negSamplingLossAndGradient": "", "test_skipgram": "", "test_word2vec": "",
}
SGD_IMPORTS = ["import pickle", "import glob", "import random", "import numpy as np",
               "import os.path as op"]
SGD_FUNCTIONS = {
    "load_saved_params": "", "save_params": "iter, params",
    "sgd": "f, x0, step, iterations, postprocessing=None, useSaved=False, PRINT_EVERY=10",
    "sanity_check": "",
}


def shape_of(source):
    tree = ast.parse(source)
    imports = [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    functions = {n.name: ast.unparse(n.args) for n in tree.body if isinstance(n, ast.FunctionDef)}
    has_main = any(isinstance(n, ast.If) and ast.unparse(n.test) == "__name__ == '__main__'"
                   for n in tree.body)
    return imports, functions, has_main


@pytest.mark.parametrize("name, imports, functions", [
    (VARIANTS[0], WORD2VEC_IMPORTS, WORD2VEC_FUNCTIONS),
    (VARIANTS[1], WORD2VEC_IMPORTS, WORD2VEC_FUNCTIONS),
    ("sgd.py", SGD_IMPORTS, SGD_FUNCTIONS),
])
def test_stand_ins_have_the_2021_shape(name, imports, functions):
    got_imports, got_functions, has_main = shape_of(course_file(name))
    assert got_imports == imports
    assert got_functions == functions
    assert has_main
