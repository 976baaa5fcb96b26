"""The commands students run in their assignment folder (the unpacked student zip):

    python -m autograder check     the public tests, graded as the grader grades them
    python -m autograder submit    the same checks, then ASSIGNMENT-submission.zip

The folder is the root of its own small repository: config.json on top, the public tests
in tests/public/, the engine in autograder/, and no solutions/, so the provided modules
(utils/ ...) come from the folder itself (see session.py).
"""
import argparse
import os
import shutil
import sys
import tempfile
import zipfile

from . import config as configmod
from . import grading, preflight, presubmit, results

FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # same files, same zip bytes


class Refusal(Exception):
    """The command cannot go on; the message says what to do."""


def load_assignment(folder):
    path = os.path.join(folder, "config.json")
    if not os.path.isfile(path):
        raise Refusal(f"there is no config.json in {folder}. Run this from your assignment "
                      "folder (the one with handout.md and config.json), or pass --folder.")
    assignment = configmod.load_file(path, root=folder)
    try:  # an incomplete venv, or a Python the sandbox user cannot run: say so once
        preflight.check(folder)
    except preflight.EnvironmentProblem as exc:
        raise Refusal(str(exc)) from None
    return assignment


def missing_files(assignment, folder):
    return [f for f in assignment.student_files if not os.path.isfile(os.path.join(folder, f))]


def syntax_errors(assignment, folder):
    """["file:line: message"] for the student files that do not compile."""
    problems = []
    for rel in assignment.student_files:
        path = os.path.join(folder, rel)
        if rel.endswith(".py") and os.path.isfile(path):
            with open(path, "rb") as f:
                source = f.read()
            try:
                compile(source, rel, "exec")
            except SyntaxError as exc:
                problems.append(f"{rel}:{exc.lineno}: {exc.msg}")
            except ValueError as exc:  # e.g. a null byte
                problems.append(f"{rel}: {exc}")
    return problems


def run_checks(assignment, folder):
    """Grade the folder with the public tests; the grader's results dict.

    Only the files the grader would get are staged: the student files and the provided
    modules. So a check that passes here does not rely on anything else in the folder,
    and the report is not cluttered with the handout, tests and engine being "not graded".
    """
    with tempfile.TemporaryDirectory(prefix="nlpgrade-check-") as scratch:
        staged = os.path.join(scratch, "submission")
        os.makedirs(staged)
        for rel in assignment.student_files + assignment.provided:
            src, dest = os.path.join(folder, rel), os.path.join(staged, rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            if os.path.isdir(src):
                shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            elif os.path.isfile(src):
                shutil.copyfile(src, dest)
        return grading.grade(assignment.name, staged, hidden=False, assignment=assignment,
                             results_path=os.path.join(scratch, "results.json"))


def report(assignment, res):
    """Print the grader's table, the full reasons of failed tests, and the score."""
    if res.get("output"):
        print(res["output"])
        print()
    print(results.table(res))
    failed = [t for t in res["tests"] if t["status"] != "passed"]
    if failed:  # the table shows the start of each reason; here every one in full
        print("\nWhat each failed test found:\n")
        print(results.reasons(res))
    total = sum(t["max_score"] for t in res["tests"])
    passed = len(res["tests"]) - len(failed)
    print(f"\nPublic checks of {assignment.name}: {res['score']:g}/{total:g} "
          f"points, {passed} of {len(res['tests'])} tests passed. Hidden tests run on "
          "Gradescope after you submit; they are not included here.")
    return not failed


def write_submission(assignment, folder, out):
    """Zip exactly the student files (at their paths in the folder); return the names."""
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    names = sorted(assignment.student_files)
    tmp = out + ".tmp"  # a failed write never leaves half a zip under the real name
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for rel in names:
            with open(os.path.join(folder, rel), "rb") as f:
                data = f.read()
            info = zipfile.ZipInfo(rel, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            z.writestr(info, data)
    os.replace(tmp, out)
    return names


def _parser(command, text):
    p = argparse.ArgumentParser(prog=f"python -m autograder {command}", description=text)
    p.add_argument("--folder", default=".",
                   help="your assignment folder, with config.json (default: the current one)")
    return p


def check_main(argv=None):
    """`check`: exit 0 when every public test passes, 1 otherwise."""
    p = _parser("check", "Run the public tests on your files, as the grader does.")
    args = p.parse_args(argv)
    folder = os.path.abspath(args.folder)
    try:
        assignment = load_assignment(folder)
    except (Refusal, configmod.ConfigError) as exc:
        print(f"check: {exc}", file=sys.stderr)
        return 1
    print(f"Checking {assignment.name} ({assignment.title}) in {folder}\n")
    return 0 if report(assignment, run_checks(assignment, folder)) else 1


def submit_main(argv=None):
    """`submit`: exit 0 when the zip was written (whatever the score), 1 when refused."""
    p = _parser("submit", "Run the public tests, then zip the files you submit.")
    p.add_argument("--out", help="the zip to write (default: FOLDER/ASSIGNMENT-submission.zip)")
    args = p.parse_args(argv)
    folder = os.path.abspath(args.folder)
    try:
        assignment = load_assignment(folder)
    except (Refusal, configmod.ConfigError) as exc:
        print(f"submit: {exc}", file=sys.stderr)
        return 1
    out = os.path.abspath(args.out or os.path.join(folder, f"{assignment.name}-submission.zip"))
    missing = missing_files(assignment, folder)
    if missing:
        for rel in missing:
            print(f"submit: {rel} is missing (looked for {os.path.join(folder, rel)}).",
                  file=sys.stderr)
        print(f"submit: no zip written: a submission of {assignment.name} needs all of "
              f"{', '.join(assignment.student_files)}.", file=sys.stderr)
        if os.path.exists(out):  # so nobody uploads it thinking it is new
            print(f"submit: {out} is from an earlier run; it was not updated.", file=sys.stderr)
        return 1
    refused = presubmit.problems(folder)  # what the assignment knows the grader would reject
    if refused:
        for reason in refused:
            print(f"submit: {reason}", file=sys.stderr)
        print("submit: no zip written.", file=sys.stderr)
        return 1
    # A file that does not compile is still packed: the other files can earn points.
    broken = syntax_errors(assignment, folder)
    for problem in broken:
        print(f"WARNING: {problem}: this file does not compile, so every test that uses it "
              "will fail. Packing it anyway.")
    if broken:
        print()
    print(f"Checking {assignment.name} ({assignment.title}) in {folder}\n")
    report(assignment, run_checks(assignment, folder))
    names = write_submission(assignment, folder, out)
    print(f"\nWrote {out} with {len(names)} files:")
    for rel in names:
        print(f"  {rel} ({os.path.getsize(os.path.join(folder, rel)):,} bytes)")
    print("Upload this zip to Gradescope.")
    return 0
