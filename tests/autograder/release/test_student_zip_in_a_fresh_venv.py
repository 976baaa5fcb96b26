"""Each student zip, followed by its own README in a fresh virtual environment: make the
venv, `pip install -r requirements.txt`, `python -m autograder check` on the template
(every public check fails) and on the reference's files (every one passes).

Slow (pip installs numpy, scipy, Jupyter, torch...): NLPGRADE_SLOW=1. The cheap, static
half of this (requirements cover the imports, README gives the steps) always runs, in
test_student_instructions.py."""
import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from autograder import config as configmod
from autograder.release import student_zip, write_zip

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    os.environ.get("NLPGRADE_SLOW") != "1",
    reason="installs each zip's requirements into a fresh venv (minutes); NLPGRADE_SLOW=1")]

PIP_TIMEOUT_S = 1800  # torch is large; nothing here is a bound on speed


def readme_commands(readme, header):
    """The shell lines of the first ```sh block after `header` in the README."""
    section = readme.split(header, 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [ln.split("#", 1)[0].strip() for ln in block.splitlines() if ln.split("#", 1)[0].strip()]


@pytest.fixture
def unpacked(name, open_tmp, monkeypatch):
    """The zip of `name`, unpacked into a folder any user may read (the sandbox user
    loads the bundled engine from it when the test runs as root)."""
    vectors = os.path.join(student_zip.generated_data_dir(), "vectors", "wiki-sgns-100d.bin")
    if not os.path.isfile(vectors):  # the public checks do not read them: a stand-in will do
        fake = open_tmp / "vectors"
        (fake / "vectors").mkdir(parents=True)
        (fake / "vectors" / "wiki-sgns-100d.bin").write_bytes(b"1 3\nthe " + bytes(12) + b"\n")
        monkeypatch.setattr(student_zip, "generated_data_dir", lambda: str(fake))
    path = write_zip(str(open_tmp / f"{name}-student.zip"), student_zip.entries(configmod.load(name)))
    with zipfile.ZipFile(path) as z:
        z.extractall(open_tmp / "home")
    for root, dirs, files in os.walk(open_tmp / "home"):
        os.chmod(root, 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    return open_tmp / "home" / name


def sh(folder, line, timeout=600):
    """One README line, run in `folder` with the venv's bin first on PATH (what
    `. .venv/bin/activate` does)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NLPGRADE_", "PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{folder}/.venv/bin:{env.get('PATH', '/usr/bin:/bin')}"
    env["VIRTUAL_ENV"] = f"{folder}/.venv"
    line = re.sub(r"^python3 ", f"{sys.base_prefix}/bin/python3 ", line)  # the machine's Python
    return subprocess.run(["bash", "-c", line], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.parametrize("name", ["a1", "a2", "a3"])
def test_following_the_readme_in_a_fresh_venv(name, unpacked):
    assignment = configmod.load(name)
    readme = (unpacked / "README.md").read_text()
    setup = [ln for ln in readme_commands(readme, "## Set up") if not ln.startswith((". ", "cd "))]
    assert setup == ["python3 -m venv .venv", "python -m pip install -r requirements.txt"], setup
    for line in setup:
        proc = sh(unpacked, line, timeout=PIP_TIMEOUT_S)
        assert proc.returncode == 0, f"{line}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    check = "python -m autograder check"
    assert check in readme_commands(readme, "## Check and submit")

    template = sh(unpacked, check)
    assert template.returncode == 1, template.stdout[-3000:] + template.stderr[-3000:]
    score, total = public_score(name, template.stdout)
    assert score == 0 and total > 0, template.stdout[-3000:]

    for rel in assignment.student_files:  # (a3's model.weights is trained, not in solutions/)
        if os.path.isfile(os.path.join(assignment.reference_dir, rel)):
            shutil.copyfile(os.path.join(assignment.reference_dir, rel), unpacked / rel)
    reference = sh(unpacked, check)
    assert reference.returncode == 0, reference.stdout[-5000:] + reference.stderr[-3000:]
    assert public_score(name, reference.stdout) == (total, total), reference.stdout[-5000:]
    if any(f.endswith(".ipynb") for f in assignment.student_files):  # README: open it with Jupyter
        assert sh(unpacked, "jupyter notebook --version").returncode == 0


def public_score(name, out):
    """(score, out of) from check's last line."""
    found = re.search(rf"Public checks of {name}: ([\d.]+)/([\d.]+) points", out)
    assert found, out[-3000:]
    return float(found[1]), float(found[2])
