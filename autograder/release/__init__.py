"""`nlpgrade release ASSIGNMENT [--out dist/]`: the student zip and the Gradescope zip.

Both zips are reproducible (fixed timestamps, sorted entries, fixed permissions), and the
student zip is checked for leaks of anything the grader keeps private before it is kept.
"""
import argparse
import os
import sys
import zipfile

from .. import config as configmod

FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold


class ReleaseError(ValueError):
    """A zip cannot be built: a stale template, a missing handout or data file, a bad pin."""


def write_zip(path, entries):
    """Write a reproducible zip. `entries` maps archive path -> (bytes, executable).

    Same entries give byte-identical zips: sorted names, one fixed timestamp, modes 0644
    or 0755, fixed compression level, no extra fields.
    """
    os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o700, exist_ok=True)
    tmp = f"{path}.tmp"
    # ours alone from the first byte: the autograder zip holds the reference and hidden
    # tests, and a grading as root runs student code as other users
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as out, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name in sorted(entries):
            data, executable = entries[name]
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the mode below is honoured
            info.external_attr = ((0o100755 if executable else 0o100644) & 0xFFFF) << 16
            z.writestr(info, data, compresslevel=9)
    os.replace(tmp, path)
    return path


def read_tree(folder, prefix="", skip=("__pycache__", ".pytest_cache")):
    """{prefix + relative path: (bytes, executable)} of every file under `folder`."""
    entries = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in skip and not d.endswith(".egg-info"))
        for name in sorted(files):
            if name.endswith(".pyc"):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, folder).replace(os.sep, "/")
            with open(path, "rb") as f:
                entries[prefix + rel] = (f.read(), bool(os.stat(path).st_mode & 0o111))
    return entries


def main(argv=None):
    from . import autograder_zip, leaks, student_zip

    parser = argparse.ArgumentParser(prog="nlpgrade release",
                                     description="Build the student zip and the Gradescope autograder zip.")
    parser.add_argument("assignment")
    parser.add_argument("--out", default="dist", help="output folder (default dist/)")
    args = parser.parse_args(argv)
    try:
        assignment = configmod.load(args.assignment)
    except configmod.ConfigError as exc:
        print(f"nlpgrade release: {exc}", file=sys.stderr)
        return 2
    try:
        student = student_zip.entries(assignment)
        problems = leaks.check(assignment, student)
    except ReleaseError as exc:
        print(f"nlpgrade release: {exc}", file=sys.stderr)
        return 1
    if problems:
        print("nlpgrade release: the student zip would leak; nothing written:", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    try:
        grader = autograder_zip.entries(assignment)
    except ReleaseError as exc:
        print(f"nlpgrade release: {exc}", file=sys.stderr)
        return 1
    for name, entries in ((f"{assignment.name}-student.zip", student),
                          (f"{assignment.name}-autograder.zip", grader)):
        path = write_zip(os.path.join(args.out, name), entries)
        print(f"{path}: {len(entries)} files")
        for entry in sorted(entries):
            print(f"  {entry}")
    return 0
