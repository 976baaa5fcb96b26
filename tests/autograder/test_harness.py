"""Graded tests also run under plain pytest, as students run the public checks at home."""
import os
import subprocess
import sys

from autograder import config as configmod
from autograder.config import ROOT


def pytest_on(submission, tests):
    env = dict(os.environ, NLPGRADE_SUBMISSION=os.path.join(ROOT, submission))
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", tests],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_reference_passes_public_and_hidden_under_pytest():
    proc = pytest_on("solutions/a2", "assignments/a2/tests")
    assert proc.returncode == 0, proc.stdout[-3000:]
    n = len(configmod.load("a2").points)  # every graded test, public and hidden
    assert f"{n} passed" in proc.stdout, proc.stdout[-3000:]


def test_template_fails_with_readable_messages_under_pytest():
    proc = pytest_on("student_template/a2", "assignments/a2/tests/public")
    assert proc.returncode == 1
    assert "11 failed" in proc.stdout
    assert "sigmoid() is not implemented yet (it raises NotImplementedError)" in proc.stdout
