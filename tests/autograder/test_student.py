"""`python -m autograder check|submit` as a student runs them: in the unpacked student zip,
with the engine bundled there and no solutions/ anywhere near."""
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from autograder import config as configmod
from autograder import student
from autograder.release import student_zip, write_zip

SOLUTIONS = os.path.join(configmod.ROOT, "solutions", "a2")
STUDENT_FILES = ["information.py", "sampling.py", "sgd.py", "word2vec.py"]


def run(folder, *args):
    """`python -m autograder ARGS` in `folder`, the repository's own engine out of reach:
    with -m the current directory comes first on sys.path, so the bundled copy is used."""
    env = dict(os.environ, PYTHONPATH=str(folder))
    env.pop("NLPGRADE_SUBMISSION", None)
    env.pop("NLPGRADE_ROOT", None)
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def unpacked(open_tmp):
    """The real a2 student zip, unpacked where the sandbox user can read it."""
    path = write_zip(str(open_tmp / "a2-student.zip"), student_zip.entries(configmod.load("a2")))
    with zipfile.ZipFile(path) as z:
        z.extractall(open_tmp / "unpacked")
    for root, dirs, _ in os.walk(open_tmp / "unpacked"):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
    return open_tmp / "unpacked" / "a2"


def add_reference(folder):
    for rel in STUDENT_FILES:
        shutil.copy(os.path.join(SOLUTIONS, rel), folder / rel)


def test_student_zip_end_to_end(unpacked, tmp_path):
    where = subprocess.run([sys.executable, "-c", "import autograder, utils.treebank as t; "
                            "print(autograder.__file__); print(t.default_corpus_path())"],
                           cwd=unpacked, capture_output=True, text=True, env=dict(
                               os.environ, PYTHONPATH=str(unpacked)))
    engine, corpus = where.stdout.split()
    assert engine == str(unpacked / "autograder" / "__init__.py")
    assert corpus == str(unpacked / "data" / "wiki-en-10M" / "wiki-en-2015-10M.txt.gz")

    # the template: every public check fails, saying why
    proc = run(unpacked, "check")
    assert proc.returncode == 1, proc.stderr
    assert "not implemented yet" in proc.stdout and "0/13" in proc.stdout
    # every reason whole below the table; no starter at hand in the student's folder, the
    # functions that always raise are still named as the starter stubs
    assert "What each failed test found:" in proc.stdout
    assert "sigmoid is still the starter stub: write your code where it says YOUR CODE HERE" in proc.stdout

    # the reference's files: every public check passes
    add_reference(unpacked)
    proc = run(unpacked, "check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "13/13" in proc.stdout and "11 of 11 tests passed" in proc.stdout

    proc = run(unpacked, "submit")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    zpath = unpacked / "a2-submission.zip"
    assert f"Wrote {zpath} with 4 files:" in proc.stdout
    for rel in STUDENT_FILES:
        assert f"  {rel} (" in proc.stdout
    with zipfile.ZipFile(zpath) as z:
        assert z.namelist() == STUDENT_FILES

    # what students upload grades in full, hidden tests included
    results = tmp_path / "results.json"
    graded = subprocess.run([sys.executable, "-m", "autograder", "grade", "a2", str(zpath),
                             "--hidden", "--results", str(results)], cwd=configmod.ROOT,
                            capture_output=True, text=True, timeout=300)
    assert graded.returncode == 0, graded.stderr
    res = json.loads(results.read_text())
    assert res["score"] == sum(t["max_score"] for t in res["tests"]) == configmod.load("a2").total_points

    # a missing file: refused, nothing new written
    os.remove(unpacked / "sampling.py")
    before = zpath.read_bytes()
    proc = run(unpacked, "submit")
    assert proc.returncode == 1
    assert "sampling.py is missing" in proc.stderr and "no zip written" in proc.stderr
    assert "earlier run" in proc.stderr and zpath.read_bytes() == before


def test_plain_pytest_runs_the_public_checks_on_the_folder(unpacked):
    add_reference(unpacked)
    # started from elsewhere, on the tests folder: conftest.py points at the folder
    env = dict(os.environ)
    env.pop("NLPGRADE_SUBMISSION", None)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(unpacked / "tests")], cwd="/", env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout
    assert "11 passed" in proc.stdout


# ----- in-process: the pieces ------------------------------------------------------
@pytest.fixture
def starter(tmp_path):
    """A starter folder without the engine: config.json, tests, utils and the template."""
    a2 = configmod.load("a2")
    folder = tmp_path / "a2"
    shutil.copytree(a2.template_dir, folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(os.path.join(a2.folder, "config.json"), folder / "config.json")
    return folder


def test_commands_outside_an_assignment_folder_say_where_to_run(tmp_path, capsys):
    assert student.check_main(["--folder", str(tmp_path)]) == 1
    assert student.submit_main(["--folder", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count(f"there is no config.json in {tmp_path}") == 2


def test_missing_and_broken_files(starter):
    a2 = student.load_assignment(str(starter))
    assert a2.name == "a2" and a2.root == str(starter)  # the folder is its own root
    assert student.missing_files(a2, str(starter)) == []
    os.remove(starter / "sgd.py")
    (starter / "sampling.py").write_text("def f(:\n")
    assert student.missing_files(a2, str(starter)) == ["sgd.py"]
    assert student.syntax_errors(a2, str(starter)) == ["sampling.py:1: invalid syntax"]


def test_submit_packs_a_broken_file_with_a_warning(starter, capsys, monkeypatch):
    # the checks themselves are tested end to end above
    monkeypatch.setattr(student, "run_checks", lambda a, f: {"tests": [], "score": 0})
    (starter / "sampling.py").write_text("def f(:\n")
    out = starter / "out" / "mine.zip"
    assert student.submit_main(["--folder", str(starter), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "WARNING: sampling.py:1: invalid syntax" in printed and "Packing it anyway" in printed
    with zipfile.ZipFile(out) as z:
        assert z.namelist() == STUDENT_FILES
        assert z.read("sampling.py") == b"def f(:\n"
    first = out.read_bytes()
    assert student.submit_main(["--folder", str(starter), "--out", str(out)]) == 0
    assert out.read_bytes() == first  # same files, same zip
