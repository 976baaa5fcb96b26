"""Helpers for tests of the harness: build submissions from the reference, grade them."""
import ast
import contextlib
import dataclasses
import os
import random
import shutil
import tempfile

import pytest

from autograder import config as configmod
from autograder import grading

ROOT = configmod.ROOT


def replace_function(source, name, new_source):
    """`source` with the top-level function `name` (or method, "Class.method") replaced
    by `new_source` (a method's replacement written at its indentation)."""
    body = ast.parse(source).body
    *outer, name = name.split(".")
    for class_name in outer:
        body = next((n.body for n in body if isinstance(n, ast.ClassDef) and n.name == class_name), [])
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            lines = source.splitlines(keepends=True)
            start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            return "".join(lines[:start]) + new_source.strip("\n") + "\n" + "".join(lines[node.end_lineno:])
    raise KeyError(f"no function {'.'.join(outer + [name])}")


def replace_function_in_notebook(text, name, new_source):
    """Notebook JSON `text` with the function `name` replaced in the code cell defining it."""
    import nbformat

    nb = nbformat.reads(text, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            try:
                cell.source = replace_function(cell.source, name, new_source)
                return nbformat.writes(nb)
            except (KeyError, SyntaxError):
                continue
    raise KeyError(f"no code cell defines {name}")


def make_submission(dest, assignment="a2", patches=None, files=None, drop=(), base=None):
    """A submission folder: the reference's student files, with functions replaced
    (`patches`: {file: {function: source}}), whole files replaced (`files`: {file: text})
    and files left out (`drop`)."""
    cfg = configmod.load(assignment)
    base = base or cfg.reference_dir
    os.makedirs(dest, exist_ok=True)
    for rel in cfg.student_files:
        if rel in drop:
            continue
        with open(os.path.join(base, rel)) as f:
            text = f.read()
        replace = replace_function_in_notebook if rel.endswith(".ipynb") else replace_function
        for fn, new in (patches or {}).get(rel, {}).items():
            text = replace(text, fn, new)
        if files and rel in files:
            text = files[rel]
        path = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    for rel, text in (files or {}).items():
        if rel not in cfg.student_files:
            with open(os.path.join(dest, rel), "w") as f:
                f.write(text)
    return str(dest)


def grade(path, assignment="a2", hidden=True, results_path=None, thresholds=None, **limits):
    """Grade in-process (the trusted side; student code still runs in sandboxes)."""
    cfg = configmod.load(assignment)
    if thresholds:
        cfg = dataclasses.replace(cfg, thresholds={**cfg.thresholds, **thresholds})
    if limits:
        cfg = dataclasses.replace(cfg, limits=dataclasses.replace(cfg.limits, **limits))
    results_path = results_path or os.path.join(os.path.dirname(str(path)), "results.json")
    return grading.grade(assignment, str(path), hidden=hidden, results_path=results_path,
                         assignment=cfg, log=lambda text: None)


def scores(results):
    return {t["number"]: t["score"] for t in results["tests"]}


def lost(results):
    """Numbers of the tests that did not get full marks."""
    return {t["number"] for t in results["tests"] if t["score"] < t["max_score"]}


def output_of(results, number):
    return next(t["output"] for t in results["tests"] if t["number"] == number)


def copy_tree(src, dest):
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return str(dest)


def neg_sampling_per_word_loop(name="negSamplingLossAndGradient"):
    """a2's negSamplingLossAndGradient with the right values and a Python loop over the
    vocabulary (it fails the timing test 4.12), as the source of a function `name`: a
    known-buggy variant, and the base of the hostile timing attacks."""
    return f"""
def {name}(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    negSampleWordIndices = getNegativeSamples(outsideWordIdx, dataset, K)
    loss = 0.0
    gradCenterVec = np.zeros(centerWordVec.shape)
    gradOutsideVecs = np.zeros(outsideVectors.shape)
    for w in range(outsideVectors.shape[0]):
        z = outsideVectors[w] @ centerWordVec
        if w == outsideWordIdx:
            loss -= np.log(sigmoid(z))
            gradCenterVec += (sigmoid(z) - 1) * outsideVectors[w]
            gradOutsideVecs[w] += (sigmoid(z) - 1) * centerWordVec
        n = negSampleWordIndices.count(w)
        if n:
            loss -= n * np.log(sigmoid(-z))
            gradCenterVec += n * sigmoid(z) * outsideVectors[w]
            gradOutsideVecs[w] += n * sigmoid(z) * centerWordVec
    return loss, gradCenterVec, gradOutsideVecs
"""


# ----- known-buggy variants (tests/assignments/aN/test_variants.py) ---------------
def variant_names(variants, serial=()):
    """The names of `variants` for parametrize; those in `serial` marked serial: they
    prove that a Python loop fails a timing ratio, which wants the machine to itself
    (make test runs serial tests after the others, alone)."""
    unknown = set(serial) - set(variants)
    assert not unknown, f"not variants: {unknown}"
    return [pytest.param(n, marks=pytest.mark.serial) if n in serial else n for n in sorted(variants)]


def pin_seed(monkeypatch, seed=None):
    """The grading seed of one test: `seed` if given, else $NLPGRADE_SEED (to replay a
    failure whose message named it), else a fresh one. Set for the grader and returned
    for the failure messages."""
    if seed is None:
        seed = int(os.environ.get("NLPGRADE_SEED") or random.randrange(2**31))
    monkeypatch.setenv("NLPGRADE_SEED", str(seed))
    return seed


def check_variants_cover(variants, test_functions, assignment):
    """Together the variants fail every graded test, and each test names its functions."""
    covered = set().union(*(expected for _, expected in variants.values()))
    assert covered == set(assignment.points), {"never failed": sorted(set(assignment.points) - covered),
                                               "not a test": sorted(covered - set(assignment.points))}
    assert set(test_functions) == set(assignment.points)


def check_variant_result(res, name, expected, test_functions, seed):
    """The variant lost exactly `expected`, each with a readable message naming a function."""
    import re

    tests = {t["number"]: t for t in res["tests"]}
    got = lost(res)
    assert got == expected, (
        f"{name} (NLPGRADE_SEED={seed}): lost {sorted(got)}, expected {sorted(expected)}; "
        + "; ".join(f"{n}: {tests[n]['output'][:400]}" for n in sorted(got ^ expected)))
    for number in sorted(got):
        entry = tests[number]
        output = entry["output"]
        # a failure the student can read: no grader error, no traceback of the grader
        assert "grader_traceback" not in entry.get("extra_data", {}), entry
        assert not output.startswith("The grader could not check"), output
        assert "Traceback" not in output and "autograder" not in output, output
        names = test_functions[number]
        assert any(re.search(rf"\b{re.escape(n)}\b", output) for n in names), (number, names, output)


@contextlib.contextmanager
def module_sandbox(folder, source, limits, name="m"):
    """A Sandbox over `folder`/sub holding one student module `name`.py with `source`,
    readable by the sandbox's user (`folder`: an open_tmp)."""
    from autograder.sandbox import Sandbox

    sub = os.path.join(str(folder), "sub")
    os.makedirs(sub)
    with open(os.path.join(sub, name + ".py"), "w") as f:
        f.write(source)
    for path, mode in ((str(folder), 0o755), (sub, 0o755), (os.path.join(sub, name + ".py"), 0o644)):
        os.chmod(path, mode)
    sb = Sandbox(sub, limits, student_files=[name + ".py"])
    try:
        yield sb
    finally:
        sb.close()


@contextlib.contextmanager
def open_workdir(prefix):
    """A temporary folder outside pytest's private tree that the sandbox's user may enter."""
    path = tempfile.mkdtemp(prefix=prefix)
    os.chmod(path, 0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# ----- quickly trained models, cached (tests/assignments/aN/quick_model_aN.py) ----------
def trained_once(assignment, settings, script, trained_by, train, folder=None):
    """The folder of a quickly trained model of `assignment`'s reference: under
    data/<assignment>-quick/<key>/ (git-ignored), keyed by the reference's files in
    `trained_by`, the `settings` and the training `script`, so a changed reference trains
    anew. `train(folder)` fills the folder and returns it (it returns at once when the
    models are there). The two test processes of make test train once: the second waits
    for the first on a file lock."""
    import fcntl
    import hashlib
    import json

    if folder is None:
        digest = hashlib.sha256((json.dumps(settings, sort_keys=True) + script).encode())
        reference = configmod.load(assignment).reference_dir
        for name in trained_by:
            with open(os.path.join(reference, name), "rb") as f:
                digest.update(name.encode() + f.read())
        folder = os.path.join(ROOT, "data", f"{assignment}-quick", digest.hexdigest()[:16])
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return train(folder)
