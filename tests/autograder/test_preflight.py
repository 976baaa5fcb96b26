"""Before grading, `check` says when this Python cannot grade at all (a package the
student's requirements.txt lists is missing; as root, a Python the sandbox user cannot
start), once, as the environment's problem; and it leaves the student's folder as it was."""
import os
import stat
import zipfile

import pytest

from autograder import config as configmod
from autograder import preflight, student
from autograder.release import student_zip, write_zip
from autograder.sandbox import privileges

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox uid is used only as root")


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory):
    """The real a2 student zip, unpacked where the sandbox user can read it, as a student
    leaves it: folders 755."""
    base = tmp_path_factory.mktemp("student")
    os.chmod(base, 0o755)
    path = write_zip(str(base / "a2-student.zip"), student_zip.entries(configmod.load("a2")))
    with zipfile.ZipFile(path) as z:
        z.extractall(base / "unpacked")
    os.chmod(base / "unpacked", 0o755)
    for root, dirs, _ in os.walk(base / "unpacked"):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
    return base / "unpacked" / "a2"


def test_a_missing_package_is_named_and_blamed_on_the_environment(unpacked, capsys, monkeypatch):
    """The a1 zip shipped without nbformat: every test then failed on the notebook."""
    real = preflight.importlib.metadata.version

    def version(name):
        if name == "jsonschema":
            raise preflight.importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(preflight.importlib.metadata, "version", version)
    assert student.check_main(["--folder", str(unpacked)]) == 1
    out, err = capsys.readouterr()
    assert "lacks jsonschema" in err and "environment, not your code" in err
    assert "pip install -r requirements.txt" in err
    assert "Public checks" not in out  # nothing was graded


def test_what_only_the_student_works_with_is_not_required(tmp_path):
    (tmp_path / "requirements.txt").write_text(
        "# Packages\nnumpy==2.2.6\nno-such-package-nlpgrade==1.0\n"
        f"{preflight.EXTRAS_MARK} a1 (the grader does not need these):\nnot-installed-either==7.6.3\n")
    assert preflight.missing_packages(str(tmp_path)) == ["no-such-package-nlpgrade==1.0"]
    assert preflight.missing_packages(str(tmp_path / "elsewhere")) == []  # a checkout: no such file


@needs_root
def test_a_python_the_sandbox_user_cannot_start_is_refused_before_grading(unpacked, open_tmp,
                                                                          capsys, monkeypatch):
    """pyenv or conda under /root (0700), as in many containers: as root the checks drop
    to a sandbox uid, which cannot run that interpreter."""
    home = open_tmp / "root-home"
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "python3.11").write_bytes(b"#!/bin/sh\n")
    os.chmod(home / "bin" / "python3.11", 0o755)
    os.chmod(home, 0o700)
    real = privileges.runtime_paths()
    monkeypatch.setattr(privileges, "runtime_paths",
                        lambda: {**real, str(home / "bin" / "python3.11"): "the Python interpreter"})
    assert student.check_main(["--folder", str(unpacked)]) == 1
    out, err = capsys.readouterr()
    assert f"the Python interpreter ({home}/bin/python3.11): {home} is drwx------" in err
    assert "as a normal user" in err and "Nothing was graded" in err
    assert "Public checks" not in out


@needs_root
def test_bits_that_look_closed_are_tried_as_the_sandbox_user_before_refusing(open_tmp):
    """A file the sandbox uid owns, mode 0400: closed to 'others' by its bits, but that
    user reads it; an interpreter started as that user says so, and nothing is refused."""
    identity = privileges.lease_identity()
    try:
        mine = open_tmp / "own.py"
        mine.write_text("")
        os.chmod(mine, 0o400)
        os.chown(mine, identity.uid, identity.gid)
        assert privileges.closed_to_others(str(mine))
        real = privileges.runtime_paths
        try:
            privileges.runtime_paths = lambda: {**real(), str(mine): "the grading engine"}
            assert privileges.blocked_runtime(identity) == []
        finally:
            privileges.runtime_paths = real
        assert privileges.blocked_runtime(identity) == []  # this machine's own Python
    finally:
        identity.release()


@needs_root
def test_check_as_root_leaves_the_students_folder_permissions_alone(unpacked, capsys):
    """`check` turned the student's data/ from 755 to 700: the grader's own private
    folders are made private, never a student's."""
    before = {p: stat.S_IMODE(os.stat(unpacked / p).st_mode) for p in ("data", "tests", ".")}
    (unpacked / ".git").mkdir(exist_ok=True)
    os.chmod(unpacked / ".git", 0o755)
    assert student.check_main(["--folder", str(unpacked)]) == 1  # the template fails its checks
    assert "Public checks of a2: 0/" in capsys.readouterr().out
    after = {p: stat.S_IMODE(os.stat(unpacked / p).st_mode) for p in ("data", "tests", ".")}
    assert after == before and before["data"] == 0o755
    assert stat.S_IMODE(os.stat(unpacked / ".git").st_mode) == 0o755
