"""The sandboxes of one grading run, set up and torn down in one place.

Used by `nlpgrade grade` and by graded tests run under plain pytest (a student at home,
or staff checking a folder): both stage the submission the same way, so the same
limits and privileges apply.
"""
import os
import shutil
import stat
import tempfile

from . import data as datamod
from . import harness
from .sandbox import Budget, Sandbox
from .sandbox.privileges import (become_subreaper, give_to, kill_leftovers,
                                 protect_private_paths, sandbox_identity)
from .submission import Submission, SubmissionProblem, all_files, collect, stage


def _private_tempdir():
    base = tempfile.mkdtemp(prefix="nlpgrade-")
    # The sandbox user may pass through to its own folder, but not list ours.
    os.chmod(base, stat.S_IRWXU | stat.S_IXGRP | stat.S_IXOTH)
    return base


def stage_data(assignment, folder):
    """Copy the config's "sandbox_data" under folder/data/ (the sandbox's data folder).

    Copies, not links: the staged folder is handed to the sandbox user."""
    data_dir = os.path.join(assignment.root, "data")
    for rel in assignment.sandbox_data:
        target = os.path.join(folder, "data", rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(datamod.path(rel, data_dir), target)


class Session:
    """Stages `submission_path` (a folder or a zip) and opens the sandboxes over it.

    `provided_from` is where the provided modules come from: the reference when there is
    one (the grader's copy, never the student's), else the submission folder itself.
    """

    def __init__(self, assignment, submission_path, with_reference):
        self.assignment = assignment
        self.scratch = _private_tempdir()
        self.identity = None
        self.context = None
        try:
            self._open(submission_path, with_reference)
        except BaseException:
            self.close()
            raise

    def _open(self, submission_path, with_reference):
        a = self.assignment
        has_reference = os.path.isdir(a.reference_dir)
        starter = all_files(a.reference_dir) if has_reference else list(a.provided)
        try:
            sub = collect(submission_path, a.student_files, os.path.join(self.scratch, "upload"),
                          starter=starter)
        except SubmissionProblem as exc:
            sub = Submission(missing=list(a.student_files), notes=[f"Problem with your upload: {exc}"])
        self.notes = list(sub.notes)
        if sub.missing:
            self.notes.append("missing from your submission: " + ", ".join(sub.missing)
                              + " (tests that need these files fail)")
        provided_from = a.reference_dir if has_reference else submission_path
        student_dir = stage(sub, provided_from, [p for p in a.provided
                                                 if os.path.exists(os.path.join(provided_from, p))],
                            os.path.join(self.scratch, "student"))
        stage_data(a, student_dir)
        self.identity = sandbox_identity()
        if self.identity is not None:
            become_subreaper()
        protect_private_paths(a.root, self.identity)
        give_to(student_dir, self.identity)
        os.chmod(student_dir, 0o700)
        self.budget = Budget(a.limits.total_s)
        student = Sandbox(student_dir, a.limits, a.student_files, present=list(sub.files),
                          budget=self.budget)
        reference = None
        if with_reference and has_reference:
            ref_dir = os.path.join(self.scratch, "reference")
            shutil.copytree(a.reference_dir, ref_dir,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            stage_data(a, ref_dir)
            os.chmod(ref_dir, 0o700)
            reference = Sandbox(ref_dir, a.limits, untrusted=False, label="the reference")
        self.context = harness.GradingContext(a, student, reference)

    def close(self):
        if self.context is not None:
            self.context.close()
        kill_leftovers(self.identity)
        shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
