"""`nlpgrade emulate AUTOGRADER_ZIP SUBMISSION [--setup] [--results FILE] [--keep]
[--gradescope-limits [--memory-mb MB] [--cpus N] [--minutes M]]`

Reproduces a Gradescope run on this machine, before anything is uploaded. A temporary
root is laid out like /autograder:

    source/                    the autograder zip, unpacked (private to root)
    run_autograder             copied from source/, as Gradescope does
    submission/                the upload: a folder copied, a zip unpacked
    submission_metadata.json   a plausible one
    results/                   where run_autograder must write results.json

then `run_autograder` runs with NLPGRADE_AUTOGRADER_ROOT pointing there, and the
results.json it leaves is validated against the schema, as Gradescope would read it.

Without --setup, the engine and dependencies come from this interpreter's environment
(but assignments, tests and the reference from the unpacked zip). With --setup,
setup.sh's installation steps first build ROOT/venv from the zip's requirements and
engine (the system step, apt-get, is skipped), so the zip's own engine is what grades:
slow (minutes), but the whole image is tried.

As on Gradescope, everything in the root but the venv and the run_autograder script is
private to root: the sandbox uid of the grading may pass through the root to the venv's
python and nothing else (the layout is written with umask 077).

With --gradescope-limits, run_autograder runs with Gradescope's default resources (768
MB of memory for everything, no swap, 0.5 CPU, 10 minutes; each can be changed) in a
cgroup of its own (cgroups.py), and the peak memory of the whole process tree, its CPU
and wall time and any out-of-memory kill are reported. Where no cgroup can be made the
limits are not enforced: the run is only measured, and the report says so.
"""
import argparse
import dataclasses
import datetime
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

from . import cgroups
from . import results as resultsmod
from .submission import SubmissionProblem, safe_unzip

RUN_TIMEOUT_S = 600      # Gradescope's default limit for one run
SETUP_TIMEOUT_S = 3600   # generous: pip installs torch


class EmulateError(Exception):
    pass


def unpack_autograder(zip_path, dest):
    """Unpack our own autograder zip, keeping executable bits as unzip does. Unlike a
    student's upload, an unsafe entry here means a broken zip: refuse it."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise EmulateError(f"{zip_path} is not a zip file ({exc})") from None
    with archive:
        for info in archive.infolist():
            parts = [p for p in info.filename.split("/") if p not in ("", ".")]
            mode = info.external_attr >> 16
            if info.filename.startswith("/") or ".." in parts or stat.S_ISLNK(mode):
                raise EmulateError(f"{zip_path}: unsafe entry {info.filename!r}")
            target = os.path.join(dest, *parts)
            if info.is_dir():
                os.makedirs(target, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with archive.open(info) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
            os.chmod(target, 0o755 if mode & 0o111 else 0o644)
    for name in ("setup.sh", "run_autograder"):
        if not os.path.isfile(os.path.join(dest, name)):
            raise EmulateError(f"{zip_path} is not an autograder zip: no {name} at its root")


def place_submission(path, dest):
    """Put the upload where Gradescope does: a folder's files as they are, a zip's
    contents unpacked. A file that is not a zip stays as it is (Gradescope keeps
    uploads it cannot unpack)."""
    if os.path.isdir(path):
        shutil.copytree(path, dest, ignore=shutil.ignore_patterns("__pycache__"))
        return
    os.makedirs(dest)
    if zipfile.is_zipfile(path):
        try:
            safe_unzip(path, dest)
            return
        except SubmissionProblem as exc:
            print(f"nlpgrade emulate: {exc}; keeping the upload as it is")
    shutil.copy(path, os.path.join(dest, os.path.basename(path)))


def metadata():
    """A plausible submission_metadata.json (fields as Gradescope documents them)."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    due = now + datetime.timedelta(days=7)
    return {
        "id": 123456789,
        "created_at": now.isoformat(),
        "assignment": {"id": 1000, "title": "emulated assignment", "due_date": due.isoformat(),
                       "late_due_date": None, "group_submission": False, "total_points": "0.0",
                       "release_date": (now - datetime.timedelta(days=7)).isoformat()},
        "submission_method": "upload",
        "users": [{"email": "student@example.edu", "id": 4242, "name": "Emulated Student",
                   "assignment": {"due_date": due.isoformat(), "release_date": None}}],
        "previous_submissions": [],
    }


def layout(zip_path, submission, root):
    """Lay out `root` like /autograder for one submission."""
    source = os.path.join(root, "source")
    unpack_autograder(zip_path, source)
    shutil.copy2(os.path.join(source, "run_autograder"), os.path.join(root, "run_autograder"))
    place_submission(submission, os.path.join(root, "submission"))
    with open(os.path.join(root, "submission_metadata.json"), "w") as f:
        json.dump(metadata(), f, indent=2)
    os.makedirs(os.path.join(root, "results"))
    # As on Gradescope after setup.sh: the sandbox user may pass through root/ (to a
    # venv's python) but never read source/ (reference, hidden tests, hidden data).
    os.chmod(root, 0o711)
    os.chmod(source, 0o700)


def run_script(argv, env, cwd, timeout):
    """Run a script in its own process group, its output going to ours; kill the whole
    group past `timeout`. Returns the exit status, or None on timeout."""
    sys.stdout.flush()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, start_new_session=True)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return None
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise


def emulate(root, setup=False, timeout=RUN_TIMEOUT_S, limits=None):
    """Run the autograder in `root` (laid out by `layout`); return the results path.
    `limits` ({"memory_mb", "cpus"}) runs it in a cgroup with those resources (setup.sh
    is not limited: Gradescope builds the image apart) and reports what it used."""
    env = dict(os.environ, NLPGRADE_AUTOGRADER_ROOT=root)
    env.pop("NLPGRADE_ROOT", None)  # run_autograder sets its own
    if setup:
        # No PyTorch index here: pip finds the +cpu wheel through its own configuration
        # (a mirror, a wheel folder); set NLPGRADE_TORCH_INDEX to use the real one.
        setup_env = dict(env, NLPGRADE_SETUP_SYSTEM="0")
        setup_env.setdefault("NLPGRADE_TORCH_INDEX", "")
        started = time.monotonic()
        status = run_script(["bash", os.path.join(root, "source", "setup.sh")], setup_env,
                            root, SETUP_TIMEOUT_S)
        print(f"nlpgrade emulate: setup.sh took {time.monotonic() - started:.1f} s")
        if status != 0:
            raise EmulateError(f"setup.sh failed (exit status {status}); Gradescope would not "
                               "build the image")
        env.pop("NLPGRADE_PYTHON", None)  # run_autograder's default: ROOT/venv/bin/python
    else:
        env["NLPGRADE_PYTHON"] = sys.executable
    started = time.monotonic()
    if limits is None:
        status = run_script([os.path.join(root, "run_autograder")], env, root, timeout)
    else:
        # run_autograder stops the engine RUN_TIMEOUT_S - 30 s in, to write results
        env.setdefault("NLPGRADE_RUN_TIMEOUT_S", str(max(1, int(timeout) - 30)))
        status, usage = cgroups.run([os.path.join(root, "run_autograder")], env=env, cwd=root,
                                    timeout=timeout, memory_mb=limits["memory_mb"],
                                    cpus=limits["cpus"])
        report_usage(usage)
        limits["usage"] = usage
    elapsed = time.monotonic() - started
    if status is None:
        raise EmulateError(f"run_autograder ran past {timeout} s: Gradescope would stop it "
                           "and give 0 with no test output")
    print(f"nlpgrade emulate: run_autograder exited with status {status} after {elapsed:.1f} s")
    return os.path.join(root, "results", "results.json")


def report_usage(usage):
    print("\n== resources (--gradescope-limits) ==")
    for line in usage.lines():
        print(f"nlpgrade emulate: {line}")
    print()


def check_results(path):
    """The parsed results.json, or EmulateError saying what Gradescope would show."""
    if not os.path.isfile(path):
        raise EmulateError("run_autograder wrote no results.json: students would see "
                           "\"The autograder failed to execute correctly\"")
    try:
        with open(path) as f:
            res = json.load(f)
        resultsmod.validate(res)
    except Exception as exc:  # bad JSON or schema violation: both fatal on Gradescope
        raise EmulateError(f"results.json is invalid ({type(exc).__name__}: "
                           f"{str(exc).splitlines()[0] if str(exc) else ''}): students would "
                           "see \"The autograder failed to execute correctly\"") from None
    return res


class RunOutput:
    """Our standard output while run_autograder runs (its output and the engine's go to
    our file descriptor 1), passed through line by line and kept, so that `main` prints
    the results table only when the grader did not, and drops the grader's "results
    written to ROOT/..." line when the temporary root is about to be removed."""

    def __init__(self, removed_root=None):
        self.removed_root = removed_root
        self.lines, self._saved, self._thread = [], None, None

    def start(self):
        sys.stdout.flush()
        self._saved = os.dup(1)
        read, write = os.pipe()
        os.dup2(write, 1)
        os.close(write)
        self._thread = threading.Thread(target=self._pump, args=(read, self._saved), daemon=True)
        self._thread.start()

    def _pump(self, read, out):
        with os.fdopen(read, "rb") as pipe:
            for raw in pipe:
                line = raw.decode("utf-8", "replace")
                self.lines.append(line)
                if not (self.removed_root and line.startswith("results written to ")
                        and self.removed_root in line):
                    os.write(out, raw)

    def stop(self):
        """Give file descriptor 1 back (again: a no-op)."""
        if self._saved is None:
            return
        sys.stdout.flush()
        os.dup2(self._saved, 1)  # the pipe's last writer here: the pump sees its end
        self._thread.join(timeout=10)  # unless a process left behind still holds it
        if not self._thread.is_alive():  # else it still writes there: leave it open
            os.close(self._saved)
        self._saved = None

    def shown(self, text):
        """Whether `text` (a table) was already printed, as a whole."""
        return text.strip() in "".join(self.lines)


def build_parser():
    p = argparse.ArgumentParser(
        prog="nlpgrade emulate",
        description="Run an autograder zip on a submission as Gradescope would, here.")
    p.add_argument("autograder_zip", help="dist/ASSIGNMENT-autograder.zip")
    p.add_argument("submission", help="a folder or a zip, as a student would upload it")
    p.add_argument("--setup", action="store_true",
                   help="first run setup.sh's installation steps into the temporary root "
                        "(a fresh venv: minutes)")
    p.add_argument("--results", metavar="FILE", help="copy results.json to FILE")
    p.add_argument("--keep", action="store_true", help="keep the temporary root and say where")
    p.add_argument("--timeout", type=float, default=RUN_TIMEOUT_S,
                   help=f"seconds run_autograder may take (default {RUN_TIMEOUT_S}, Gradescope's)")
    g = p.add_argument_group("Gradescope's resources")
    g.add_argument("--gradescope-limits", action="store_true",
                   help="run under Gradescope's memory and CPU limits (a cgroup; needs root) "
                        "and report peak memory, CPU and wall time and any out-of-memory kill")
    g.add_argument("--memory-mb", type=int, default=cgroups.GRADESCOPE_MEMORY_MB,
                   help=f"memory of the whole container (default {cgroups.GRADESCOPE_MEMORY_MB})")
    g.add_argument("--cpus", type=float, default=cgroups.GRADESCOPE_CPUS,
                   help=f"CPU quota (default {cgroups.GRADESCOPE_CPUS:g})")
    g.add_argument("--usage-json", metavar="FILE",
                   help="also write what the run used (peak memory, times, OOM kills) to FILE")
    g.add_argument("--minutes", type=float, default=None,
                   help=f"time limit of the run (default {cgroups.GRADESCOPE_MINUTES}; "
                        "overrides --timeout)")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    for path in (args.autograder_zip, args.submission):
        if not os.path.exists(path):
            print(f"nlpgrade emulate: {path} does not exist", file=sys.stderr)
            return 2
    root = tempfile.mkdtemp(prefix="nlpgrade-emulate-")
    output = RunOutput(removed_root=None if args.keep else root)
    try:
        old = os.umask(0o077)  # the upload and metadata: not for the sandbox's eyes
        try:
            layout(args.autograder_zip, os.path.abspath(args.submission), root)
        finally:
            os.umask(old)
        limits = None
        timeout = args.timeout if args.minutes is None else args.minutes * 60
        if args.gradescope_limits:
            if args.memory_mb <= 0 or args.cpus <= 0 or timeout <= 0:
                raise EmulateError("--memory-mb, --cpus and --minutes must be positive")
            limits = {"memory_mb": args.memory_mb, "cpus": args.cpus}
        output.start()
        path = emulate(root, setup=args.setup, timeout=timeout, limits=limits)
        output.stop()
        usage = limits and limits.get("usage")
        if usage is not None and args.usage_json:
            os.makedirs(os.path.dirname(os.path.abspath(args.usage_json)), exist_ok=True)
            with open(args.usage_json, "w") as f:
                json.dump(dataclasses.asdict(usage), f, indent=2)
        res = check_results(path)
        if args.results:
            os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
            shutil.copyfile(path, args.results)
    except EmulateError as exc:
        print(f"nlpgrade emulate: {exc}", file=sys.stderr)
        return 1
    finally:
        output.stop()
        if args.keep:
            print(f"nlpgrade emulate: kept the emulated root {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print("\n== results.json (valid) ==")
    table = resultsmod.table(res)
    print("(the table run_autograder printed above)" if output.shown(table) else table)
    if args.results:
        print(f"\nresults.json copied to {args.results}")
    if usage is not None and (usage.oom_kills or usage.process_peak_mb > usage.memory_mb):
        print(f"nlpgrade emulate: this grading does not fit in {usage.memory_mb} MB",
              file=sys.stderr)
        return 3
    return 0
