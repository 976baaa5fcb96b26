"""Before grading: can this Python grade at all? Said once, before any test runs, as the
problem of the environment it is, never as a failure of the student's code.

- A package the student's requirements.txt pins is not installed (the venv was not made,
  or not activated): every test would fail on an import inside the grader.
- As root, student code runs as an unprivileged uid (privileges.py), which cannot start
  a Python installed under a private folder (pyenv or conda under /root, as in many
  containers): every test would fail to start its sandbox.
"""
import importlib.metadata
import os
import re
import sys

from .sandbox import privileges

# In a student zip's requirements.txt, the lines after this one are for the student's
# own work (Jupyter, say), not needed to grade (release/student_zip.py writes it).
EXTRAS_MARK = "# For working on"


class EnvironmentProblem(Exception):
    """This Python cannot grade; the message says what to do."""


def required_packages(folder):
    """[(distribution, requirement line)] that grading needs, from folder/requirements.txt
    ([] when there is none: a checkout, where `make setup` installed everything)."""
    path = os.path.join(folder, "requirements.txt")
    if not os.path.isfile(path):
        return []
    found = []
    with open(path) as f:
        for line in f:
            if line.startswith(EXTRAS_MARK):
                break
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-"):
                found.append((re.split(r"[=<>!~;\[ ]", line)[0], line))
    return found


def missing_packages(folder):
    """The requirement lines of folder/requirements.txt whose package is not installed."""
    missing = []
    for name, line in required_packages(folder):
        try:
            importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(line)
    return missing


def check_packages(folder):
    missing = missing_packages(folder)
    if missing:
        names = ", ".join(re.split(r"[=<>!~;\[ ]", m)[0] for m in missing)
        raise EnvironmentProblem(
            f"this Python ({sys.executable}) lacks {names}, which requirements.txt lists: "
            "the grader needs them to run your code, so nothing was checked. This is your "
            "environment, not your code. Activate the assignment's venv "
            "(`. .venv/bin/activate`) and run `python -m pip install -r requirements.txt` "
            f"in {folder}, then check again.")


def check_runtime(identity):
    """EnvironmentProblem when the sandbox user of `identity` cannot start this Python."""
    blocked = privileges.blocked_runtime(identity)
    if blocked:
        raise EnvironmentProblem(
            "you are running as root, so the grader runs your code as an unprivileged user "
            f"(uid {identity.uid}), as Gradescope does, and that user cannot start this Python:\n"
            + "".join(f"  - {b}\n" for b in blocked)
            + "Nothing was graded. Do one of these: run the checks as a normal user (not root); "
            "or use a Python installed where every user can read it (such as /usr/bin/python3), "
            "with your venv and assignment folder outside /root; or let other users through "
            "the folders named above (chmod o+x on each folder on the way, o+rx on the Python "
            "installation).")


def check(folder):
    """Raise EnvironmentProblem when grading `folder` here cannot work."""
    check_packages(folder)
    identity = privileges.lease_identity()  # None unless root
    try:
        check_runtime(identity)
    finally:
        if identity is not None:
            identity.release()
