"""The sandboxes of one grading run, set up and torn down in one place.

Used by `nlpgrade grade` and by graded tests run under plain pytest (a student at home,
or staff checking a folder): both stage the submission the same way, so the same
limits and privileges apply.

Isolation of one grading, as root: its own sandbox uid (privileges.lease_identity),
which owns the staging folder (0700) and nothing else; the grader's private folders
made unreadable to others; the kernel layers of confine.py in the worker. The student's
writes are capped (`GuardedSandbox`): bytes and files added to the staging folder are
checked while each request runs and after it, and, where Landlock is off, files the uid
left in /tmp, /var/tmp and /dev/shm are found after each request, removed and reported
as the student's failure. When the session closes every process of the uid is killed
and every file it owns there removed, before the uid is released.
"""
import os
import shutil
import signal
import stat
import sys
import tempfile
import threading

from . import data as datamod
from . import harness, preflight
from .sandbox import Budget, Sandbox
from .sandbox.errors import SubmissionError
from .sandbox.privileges import (become_subreaper, give_to, holds_grader_secrets, kill_all,
                                 kill_leftovers, lease_identity, protect_private_paths,
                                 sweep_files, sweep_ipc)
from .submission import Submission, SubmissionProblem, all_files, collect, stage

DISK_MB = 512         # bytes a grading may add to its staging folder (weights, plots, scratch)
FILES = 5000          # files and folders it may add there
WATCH_S = 0.5         # how often the staging folder is measured while a request runs


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


class QuotaExceeded(SubmissionError):
    """The student's code wrote more, or elsewhere, than a grading may."""


def usage(folder):
    """(bytes on disk, entries) under `folder`, not following links."""
    size, count = 0, 0
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            size += st.st_blocks * 512
            count += 1
    return size, count


class GuardedSandbox(Sandbox):
    """The student's sandbox, with its writes capped and checked on the trusted side."""

    def __init__(self, *args, disk_mb=None, files=None, **kwargs):
        super().__init__(*args, **kwargs)
        disk_mb = DISK_MB if disk_mb is None else disk_mb
        files = FILES if files is None else files
        self.base_bytes, self.base_files = usage(self.workdir)
        self._staged = {os.path.join(r, n) for r, ds, fs in os.walk(self.workdir) for n in ds + fs}
        self.cap_bytes, self.cap_files = disk_mb * 2**20, files

    def _over(self):
        size, count = usage(self.workdir)
        added_bytes, added_files = size - self.base_bytes, count - self.base_files
        if added_bytes > self.cap_bytes or added_files > self.cap_files:
            return (f"your code wrote {added_files} files and {added_bytes / 2**20:.0f} MB in its "
                    f"working folder, over the grader's limit ({self.cap_files} files, "
                    f"{self.cap_bytes // 2**20} MB)")
        return None

    def _watch(self, done, proc):
        while not done.wait(WATCH_S):
            if self._over():  # stop it now: the check after the request says why
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                return

    def _request(self, req, timeout, what, *args, **kwargs):
        if req.get("op") == "ping":
            return super()._request(req, timeout, what, *args, **kwargs)
        done = threading.Event()
        watcher = None
        if not self.budget.exhausted():
            self.start()  # (no-op when running) so that the first request is watched too
        if self.proc is not None:
            watcher = threading.Thread(target=self._watch, args=(done, self.proc), daemon=True)
            watcher.start()
        try:
            return super()._request(req, timeout, what, *args, **kwargs)
        finally:
            done.set()
            if watcher is not None:
                watcher.join()
            self._check(what)

    def _check(self, what):
        over = self._over()
        outside = []
        if self.identity is not None and not self.confinement.get("landlock", "").startswith("on"):
            outside = sweep_files(self.identity.uid, skip=[self.workdir])
        if not over and not outside:
            return
        self.kill()
        if over:
            self._remove_added()
        what = what() if callable(what) else what
        if over:
            raise QuotaExceeded(f"{what}: {over}; they were removed and the process running "
                                "your code was restarted")
        shown = ", ".join(outside[:5]) + (f" and {len(outside) - 5} more" if len(outside) > 5 else "")
        raise QuotaExceeded(f"{what}: your code wrote files outside its working folder ({shown}); "
                            "they were removed. Write scratch files in the working folder, or "
                            "through the tempfile module")

    def _remove_added(self):
        """Bring the folder back to what was staged: everything the student's code added
        goes (the worker is restarted with a fresh TMPDIR), so that later tests start
        under the caps again."""
        for root, dirs, files in os.walk(self.workdir, topdown=False):
            for name in files + dirs:
                path = os.path.join(root, name)
                if path in self._staged:
                    continue
                try:
                    if os.path.isdir(path) and not os.path.islink(path):
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        os.unlink(path)
                except OSError:
                    pass


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
        self.left_behind = []
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
        self.identity = lease_identity()  # this grading's own uid (None unless root)
        # Said once, here, rather than as a failure of every test:
        preflight.check_runtime(self.identity)  # can that uid start this Python?
        if not holds_grader_secrets(a.root):  # a student's folder: is its venv complete?
            preflight.check_packages(a.root)
        if self.identity is not None:
            become_subreaper()
        protect_private_paths(a.root, self.identity)
        give_to(student_dir, self.identity)
        os.chmod(student_dir, 0o700)
        self.budget = Budget(a.limits.total_s)
        student = GuardedSandbox(student_dir, a.limits, a.student_files, present=list(sub.files),
                                 budget=self.budget, identity=self.identity)
        reference = None
        if with_reference and has_reference:
            ref_dir = os.path.join(self.scratch, "reference")
            shutil.copytree(a.reference_dir, ref_dir,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            stage_data(a, ref_dir)
            os.chmod(ref_dir, 0o700)
            # the student files' names: their folders (src/) on the reference worker's path too
            reference = Sandbox(ref_dir, a.limits, a.student_files, untrusted=False, label="the reference")
        self.context = harness.GradingContext(a, student, reference)

    @property
    def isolation(self):
        """Which isolation layers protected this grading: for staff only (results.json's
        top-level extra_data, which Gradescope does not show students, and our stderr)."""
        student = self.context.student if self.context is not None else None
        layers = {"user": f"own uid {self.identity.uid}" if self.identity is not None
                  else "off: not root, student code runs as the grader's user"}
        confinement = getattr(student, "confinement", None) or {}
        layers["landlock"] = confinement.get("landlock", "not started")
        layers["seccomp"] = confinement.get("seccomp", "not started")
        return layers

    def close(self):
        if self.context is not None:
            if os.geteuid() == 0:  # staff log; a student at home is told nothing
                layers = self.isolation
                note = "; ".join(f"{k}: {v}" for k, v in layers.items())
                if any(v.startswith("off") for v in layers.values()):
                    note += " (a layer is off: the grading is less isolated than designed)"
                print(f"nlpgrade: sandbox isolation: {note}", file=sys.stderr)
            self.context.close()
        if self.identity is not None:
            kill_all(self.identity)
        kill_leftovers(self.identity)  # and reap those that were our children
        shutil.rmtree(self.scratch, ignore_errors=True)
        if self.identity is not None:
            sweep_ipc(self.identity.uid)
            self.left_behind = sweep_files(self.identity.uid)
            if self.left_behind:
                print(f"nlpgrade: removed {len(self.left_behind)} files the sandbox left outside "
                      f"its folder: {', '.join(self.left_behind[:5])}", file=sys.stderr)
            self.identity.release()
            self.identity = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
