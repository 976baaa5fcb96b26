"""The engine, the graders and the references must run on Python 3.10 (Gradescope's
Ubuntu 22.04): no syntax and no standard library newer than 3.10."""
import os
import subprocess
import sys

from autograder.config import ROOT

VERMIN = os.path.join(os.path.dirname(sys.executable), "vermin")
CHECKED = ["autograder", "assignments", "solutions", "bench"]


def vermin(*paths):
    return subprocess.run([VERMIN, "-t=3.10-", "--violations", "--no-tips", "--eval-annotations",
                           *paths], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_engine_graders_and_references_need_at_most_python_310():
    proc = vermin(*CHECKED)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_check_catches_python_311_code(tmp_path):
    newer = tmp_path / "newer.py"
    newer.write_text("import tomllib\n\ntry:\n    pass\nexcept* ValueError:\n    pass\n")
    proc = vermin(str(newer))
    assert proc.returncode != 0
    assert "tomllib" in proc.stdout and "except*" in proc.stdout
