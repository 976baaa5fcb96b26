"""The Gradescope autograder zip: its layout, its content, its reproducibility, its scripts."""
import hashlib
import json
import os
import shutil
import subprocess
import types
import zipfile

import pytest

from autograder import config as configmod
from autograder.release import autograder_zip, write_zip

ASSIGNMENT = "a2"
# Top-level names the zip may hold; anything else (tests/, .venv, dist, other
# assignments' folders) is a leak or junk.
ALLOWED_TOP = {"setup.sh", "run_autograder", "requirements.txt", "pyproject.toml", "README.md",
               "data-manifest.json", "autograder", "assignments", "solutions", "data"}


@pytest.fixture(scope="module")
def assignment():
    return configmod.load(ASSIGNMENT)


@pytest.fixture(scope="module")
def built(assignment, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("dist") / f"{ASSIGNMENT}-autograder.zip")
    write_zip(path, autograder_zip.entries(assignment))
    return path


def test_scripts_sit_at_the_root_and_are_executable(built):
    with zipfile.ZipFile(built) as z:
        infos = {i.filename: i for i in z.infolist()}
    for name in ("setup.sh", "run_autograder"):
        assert name in infos
        assert infos[name].external_attr >> 16 & 0o111, f"{name} is not executable"
    assert infos["requirements.txt"].external_attr >> 16 & 0o111 == 0


def test_holds_the_engine_the_assignment_and_the_reference_and_nothing_else(built, assignment):
    with zipfile.ZipFile(built) as z:
        names = set(z.namelist())
    for name in ("pyproject.toml", "requirements.txt", "README.md",
                 "autograder/__init__.py", "autograder/cli.py", "autograder/sandbox/worker.py",
                 "autograder/schemas/gradescope-results.schema.json",
                 "autograder/release/gradescope/setup.sh",
                 f"assignments/{ASSIGNMENT}/config.json",
                 f"assignments/{ASSIGNMENT}/tests/public/test_a2_public.py",
                 f"assignments/{ASSIGNMENT}/tests/hidden/test_a2_hidden.py",
                 f"solutions/{ASSIGNMENT}/word2vec.py", f"solutions/{ASSIGNMENT}/utils/utils.py"):
        assert name in names, f"{name} missing from the autograder zip"
    for rel in assignment.student_files + assignment.provided:
        assert f"solutions/{ASSIGNMENT}/{rel}" in names
    assert {n.split("/")[0] for n in names} <= ALLOWED_TOP
    others = {n.split("/")[1] for n in names if n.startswith(("assignments/", "solutions/"))}
    assert others == {ASSIGNMENT}
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or ".egg-info" in n]
    assert not [n for n in names if n.startswith("data/")]  # a2 has no hidden data


def test_two_builds_are_byte_identical(assignment, tmp_path):
    first, second = tmp_path / "one.zip", tmp_path / "two.zip"
    write_zip(str(first), autograder_zip.entries(assignment))
    write_zip(str(second), autograder_zip.entries(assignment))
    assert hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest()


def test_run_autograder_has_the_assignment_baked_in(assignment):
    text = autograder_zip.entries(assignment)["run_autograder"][0].decode()
    assert f"ASSIGNMENT={ASSIGNMENT}\n" in text
    assert autograder_zip.ASSIGNMENT_MARK not in text
    assert text.startswith("#!")


def test_requirements_pin_the_cpu_build_of_torch():
    fix = autograder_zip.gradescope_requirements
    assert fix("# torch==2.13.0 here\ntorch==2.13.0\nnumpy==2.2.6\n") == \
        "# torch==2.13.0 here\ntorch==2.13.0+cpu\nnumpy==2.2.6\n"
    assert fix("torch==2.13.0+cpu\n") == "torch==2.13.0+cpu\n"
    assert fix("torchvision==0.1\n") == "torchvision==0.1\n"


def test_staff_tools_packages_stay_out_of_gradescopes_image(assignment):
    fix = autograder_zip.gradescope_requirements
    assert fix("dask==1\ndistributed==1\nnumpy==2\ncopydetect==0.5.0\ndask-jobqueue==1\n") == \
        "numpy==2\ndask-jobqueue==1\n"
    shipped = autograder_zip.entries(assignment)["requirements.txt"][0].decode()
    assert "numpy==" in shipped and not any(
        line.split("==")[0] in autograder_zip.STAFF_ONLY for line in shipped.splitlines())


def test_hidden_data_is_checked_against_the_manifest(tmp_path):
    data = b"gold labels\n"
    (tmp_path / "data" / "set").mkdir(parents=True)
    (tmp_path / "data" / "set" / "gold.txt").write_bytes(data)
    entry = {"path": "set/gold.txt", "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
             "url": "-", "license": "-", "dataset": "set"}
    (tmp_path / "data-manifest.json").write_text(json.dumps({"files": [entry]}))
    fake = types.SimpleNamespace(name="aX", root=str(tmp_path))
    got = autograder_zip._data_entries(fake, ["set/gold.txt"])
    assert got["data/set/gold.txt"] == (data, False) and "data-manifest.json" in got
    with pytest.raises(autograder_zip.ReleaseError, match="not in data-manifest"):
        autograder_zip._data_entries(fake, ["set/other.txt"])
    (tmp_path / "data" / "set" / "gold.txt").write_bytes(b"tampered\n")
    with pytest.raises(autograder_zip.ReleaseError, match="sha256"):
        autograder_zip._data_entries(fake, ["set/gold.txt"])


def test_scripts_parse_and_pass_shellcheck(assignment, tmp_path):
    entries = autograder_zip.entries(assignment)
    for name in ("setup.sh", "run_autograder"):
        path = tmp_path / name
        path.write_bytes(entries[name][0])
        proc = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        if shutil.which("shellcheck"):
            proc = subprocess.run(["shellcheck", "-s", "bash", str(path)], capture_output=True, text=True)
            assert proc.returncode == 0, proc.stdout


def test_engine_package_data_ships_the_scripts():
    # setup.sh installs the engine with pip; the templates must travel with it.
    with open(os.path.join(configmod.ROOT, "pyproject.toml")) as f:
        assert '"release/gradescope/*"' in f.read()


def test_zips_are_written_for_their_owner_alone(tmp_path):
    """The autograder zip holds the reference and hidden tests: no other user (a sandbox
    uid included) may read it, whatever the umask, from its first byte."""
    old = os.umask(0o022)
    try:
        path = write_zip(str(tmp_path / "dist" / "x.zip"), {"a.txt": (b"secret", False)})
    finally:
        os.umask(old)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert os.stat(tmp_path / "dist").st_mode & 0o077 == 0
    with zipfile.ZipFile(path) as z:  # the entries keep their own modes
        assert z.getinfo("a.txt").external_attr >> 16 == 0o100644
