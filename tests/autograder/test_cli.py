"""The `nlpgrade` command as a user runs it."""
import json
import os
import subprocess
import sys

from autograder import results
from autograder.config import ROOT

NLPGRADE = [sys.executable, "-m", "autograder"]


def run(*args, cwd=ROOT):
    return subprocess.run(NLPGRADE + list(args), cwd=cwd, capture_output=True, text=True, timeout=300)


def test_grade_prints_a_table_and_writes_results(tmp_path):
    out = tmp_path / "res.json"
    proc = run("grade", "a2", os.path.join(ROOT, "student_template", "a2"), "--results", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "1.1" in proc.stdout and "Total" in proc.stdout and "0/13" in proc.stdout
    assert "not implemented yet" in proc.stdout
    res = json.loads(out.read_text())
    results.validate(res)
    # below the compact table, every failed test's whole reason, for instructors too
    table, _, below = proc.stdout.partition("What each failed test found:")
    assert "sigmoid is still the starter stub" in table and "in place of" not in table  # rows stay compact
    for t in res["tests"]:
        assert f"{t['number']} {t['name']} (0/{t['max_score']:g}):" in below
    assert "sigmoid is still the starter stub: write your code where it says YOUR CODE HERE, in place of" in below
    assert "sigmoid() is not implemented yet (it raises NotImplementedError)" in below


def test_grade_zip_with_hidden_tests(tmp_path):
    import zipfile

    zpath = tmp_path / "submission.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for name in ("word2vec.py", "sgd.py", "sampling.py", "information.py"):
            z.write(os.path.join(ROOT, "solutions", "a2", name), f"mywork/{name}")
    out = tmp_path / "res.json"
    proc = run("grade", "a2", str(zpath), "--hidden", "--results", str(out))
    assert proc.returncode == 0, proc.stderr
    res = json.loads(out.read_text())
    assert res["score"] == sum(t["max_score"] for t in res["tests"]) > 13


def test_usage_errors_exit_non_zero():
    assert run("grade", "a99", ".").returncode == 2
    assert run("grade", "a2", "/no/such/path").returncode == 2
    assert run("frobnicate").returncode == 2


def test_python_dash_m_and_console_script_agree():
    script = os.path.join(os.path.dirname(sys.executable), "nlpgrade")
    proc = subprocess.run([script, "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "grade" in proc.stdout
