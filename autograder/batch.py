"""`nlpgrade batch`: regrade a Gradescope "Export Submissions" folder into one CSV.

    nlpgrade batch ASSIGNMENT SUBMISSIONS_DIR [--jobs N] [--csv FILE] [--force]
                   [--public-only] [--timeout SECONDS] [--scheduler ADDRESS]

The export holds one folder per submission and `submission_metadata.yml` (who submitted
what). Each submission is graded by its own `nlpgrade grade` process, N at a time, so a
submission that hangs, crashes or floods output can only spoil its own row: the process
has a wall-clock cap, its output goes to a size-capped log, and a process that will not
finish is stopped, its whole process tree with it.

Per-submission results live in a state folder next to the CSV (`regrade.results/` for
`regrade.csv`): `<submission>.json` (Gradescope results.json plus `extra_data.batch`) and
`<submission>.log`. A results file is written only once a submission's outcome is known,
so a rerun (after Ctrl-C, a crash, a reboot) skips exactly the finished submissions;
`--force` regrades them all. The CSV is rebuilt from the state folder at the end.

With `--scheduler` the gradings run on a Dask cluster instead (autograder/batch_dask.py),
each through the same grade_folder on a worker; everything else here stays the same.

Each grading leases its own sandbox uid (autograder/sandbox/privileges.py), so one
submission cannot reach another's processes or staged files. What the batch itself
holds is for staff only: as root, the export folder and its metadata lose every
permission for other users, and the state folder, logs, results and CSV are created
without them (umask 077 in this process and its graders).
"""
import argparse
import csv
import io
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from . import config as configmod
from . import grading, results
from .submission import SKIP_DIRS

METADATA = "submission_metadata.yml"
TIMEOUT_MARGIN_S = 120       # over the sandbox budget: interpreter start, imports, our own checks
GRACE_S = 10                 # after SIGINT, time for a grader to close its sandboxes and exit
LOG_LIMIT = 256 * 1024       # bytes of a grader's output kept in its log
STATUSES = ("ok", "grader error", "timeout")
NOT_GRADED = "not graded"    # no results file (given up, or an error of ours): a rerun grades it
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))



class BatchError(Exception):
    """A batch cannot go on (a cluster that cannot be reached or went away): said to the
    person as it is, without a traceback."""


# grading.load_tests (used to build a failed row) edits sys.path and sys.modules.
_load_lock = threading.Lock()


# ----- the export ------------------------------------------------------------------
STATE_MARK = ".nlpgrade-batch-state"  # in every state folder: never a submission


def is_state_folder(path):
    """A batch's own state folder (per-submission results and logs), whichever CSV name
    made it: marked since it was made, or, from before the mark, NAME.results beside
    NAME.csv."""
    if os.path.exists(os.path.join(path, STATE_MARK)):
        return True
    name = os.path.basename(os.path.normpath(path))
    return name.endswith(".results") and os.path.isfile(
        os.path.join(os.path.dirname(os.path.normpath(path)), name[:-len(".results")] + ".csv"))


def find_submissions(folder, exclude=None):
    """Names of the submission folders in an export, sorted: not hidden folders, not
    our own state folders (this run's, or an earlier run's with another --csv)."""
    exclude = os.path.realpath(exclude) if exclude else None
    found = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name.startswith(".") or name in SKIP_DIRS or not os.path.isdir(path):
            continue
        if os.path.realpath(path) == exclude or is_state_folder(path):
            continue
        found.append(name)
    return found


def _tolerant_loader():
    import yaml

    class Loader(yaml.SafeLoader):
        """Safe loading, but an unknown tag (Ruby's `!ruby/object:...`) gives plain data
        instead of an error: one odd value must not cost every row its names."""

    def untagged(loader, node):
        if isinstance(node, yaml.MappingNode):
            return loader.construct_mapping(node, deep=True)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_scalar(node)

    Loader.add_constructor(None, untagged)
    return yaml, Loader


def _plain_keys(value):
    """Gradescope writes Ruby symbols (`:name:`); accept keys with or without the colon."""
    if isinstance(value, dict):
        return {str(k).lstrip(":"): _plain_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_keys(v) for v in value]
    return value


def read_metadata(folder):
    """({submission folder: {"names", "emails", "sids"}}, warning or None).

    Never raises: without a readable submission_metadata.yml every folder is still
    graded, only without names."""
    path = os.path.join(folder, METADATA)
    if not os.path.isfile(path):
        return {}, f"no {METADATA} in {folder}; rows will have no names"
    try:
        yaml, loader = _tolerant_loader()
        with open(path, encoding="utf-8", errors="replace") as f:
            raw = _plain_keys(yaml.load(f, Loader=loader))
    except Exception as exc:  # ImportError, YAMLError, a recursion in a hostile file...
        reason = results.first_line(f"{type(exc).__name__}: {exc}", 120)
        return {}, f"could not read {METADATA} ({reason}); rows will have no names"
    if not isinstance(raw, dict):
        return {}, f"{METADATA} is not a mapping of submissions; rows will have no names"
    people = {}
    for key, entry in raw.items():
        submitters = entry.get("submitters") if isinstance(entry, dict) else None
        row = {"names": [], "emails": [], "sids": []}
        for person in submitters if isinstance(submitters, list) else []:
            if not isinstance(person, dict):
                continue
            for column, field in (("names", "name"), ("emails", "email"), ("sids", "sid")):
                if person.get(field) not in (None, ""):
                    row[column].append(str(person[field]))
        people[str(key)] = row
    return people, None


# ----- processes -------------------------------------------------------------------
def _process_parents():
    """{pid: parent pid} of the living processes (Linux /proc; empty elsewhere)."""
    parents = {}
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return parents
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z":  # a zombie is already dead and has no children
            parents[int(pid)] = int(fields[1])
    return parents


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def kill_tree(pid):
    """SIGKILL `pid` and every process below it (sandbox workers live in sessions of
    their own, so killing the process group is not enough). The tree is frozen with
    SIGSTOP first, so that nothing forks or is reparented away while we list it."""
    frozen = set()
    for _ in range(20):
        parents = _process_parents()
        tree, grew = {pid}, True
        while grew:
            below = {p for p, parent in parents.items() if parent in tree} - tree
            tree |= below
            grew = bool(below)
        new = tree - frozen
        if not new:
            break
        for p in new:
            _signal(p, signal.SIGSTOP)
        frozen |= new
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for p in frozen:
        _signal(p, signal.SIGKILL)


def grade_command(assignment, submission, results_path, hidden):
    cmd = [sys.executable, "-m", "autograder", "grade", assignment, submission, "--results", results_path]
    return cmd + (["--hidden"] if hidden else [])


def make_private(path):
    """Take every permission of other users (and the group) off `path`, as root: student
    code runs as other users. Returns whether the mode changed."""
    try:
        mode = os.stat(path).st_mode
        if mode & 0o077:
            os.chmod(path, mode & ~0o077)
            return True
    except OSError:
        pass
    return False


class CappedLog:
    """The first LOG_LIMIT bytes of a grader's output, and a count of the rest."""

    def __init__(self, limit=LOG_LIMIT):
        self.data, self.limit, self.dropped = bytearray(), limit, 0

    def write(self, chunk):
        room = max(0, self.limit - len(self.data))
        self.data += chunk[:room]
        self.dropped += len(chunk) - min(room, len(chunk))

    def close(self, note=""):
        if self.dropped:
            self.data += f"\n[... {self.dropped} more bytes of output were cut]\n".encode()
        if note:
            self.data += f"\n[batch] {note}\n".encode()

    def value(self):
        return bytes(self.data)


# ----- one grading, whichever backend runs it -------------------------------------
# The grader goes with whoever started it: when the batch process or a Dask worker is
# killed, the kernel sends the grader SIGINT (it closes its sandboxes and exits) instead of
# leaving it running unseen. umask 077: what it writes is for staff only, on any machine.
_LAUNCH = """\
import ctypes, os, signal, sys
# a batch started with SIGINT ignored (`nohup nlpgrade batch ... &` in a script) would pass
# that on, and the kernel's SIGINT would be lost: the grader outlived its starter
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
try:
    ctypes.CDLL(None).prctl(1, signal.SIGINT)  # PR_SET_PDEATHSIG (Linux)
except (AttributeError, OSError):
    pass
if os.getppid() != int(sys.argv[1]):  # the starter died before prctl took hold
    sys.exit(130)
os.umask(0o077)
os.execv(sys.argv[2], sys.argv[2:])
"""


@dataclass
class Graded:
    """What one grading left: plain values only, so that it can travel back from a Dask
    worker as it is (results.json text, never a student's objects)."""
    results_text: str = None  # the grader's results.json, if it wrote one
    log: bytes = b""          # its output, capped at LOG_LIMIT
    exit_code: int = None
    ended: str = "exited"     # "exited", "deadline" (timed out) or "stopped" (interrupted)
    seconds: float = 0.0


def grade_folder(assignment_name, folder, hidden, timeout_s, stop=None, tmp_dir=None):
    """Grade the submission `folder` in its own `nlpgrade grade` process, with a
    wall-clock cap and a capped log; the one grading path of every backend. `stop` (with
    is_set()) interrupts it: the grading is then "stopped" and counts for nothing.
    `tmp_dir` holds its temporary folders (default: the system's)."""
    # The results file and the grader's scratch folders go here, so that we can remove
    # them even when we had to kill it. Scratch is passable (not readable) by the sandbox
    # user, like the grader's own; the results folder is ours alone.
    private = tempfile.mkdtemp(prefix="nlpgrade-batch-results-", dir=tmp_dir)
    scratch = tempfile.mkdtemp(prefix="nlpgrade-batch-", dir=tmp_dir)
    os.chmod(scratch, 0o711)
    partial = os.path.join(private, "results.json")
    log = CappedLog()
    started = time.monotonic()
    # A session of its own: a Ctrl-C at the terminal reaches us, and we stop it.
    command = [sys.executable, "-c", _LAUNCH, str(os.getpid())]
    try:
        proc = subprocess.Popen(
            command + grade_command(assignment_name, folder, partial, hidden),
            cwd=PACKAGE_PARENT, env=dict(os.environ, TMPDIR=scratch), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    except OSError:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(private, ignore_errors=True)
        raise
    note, ended = "", None
    try:
        ended = _pump(proc, log, started + timeout_s, stop)
        if ended != "exited":
            note = "stopped: interrupted" if ended == "stopped" else \
                f"stopped: still running after {timeout_s:g} s"
            # KeyboardInterrupt: the grader closes its sandboxes and exits by itself...
            _signal(proc.pid, signal.SIGINT)
            if _pump(proc, log, time.monotonic() + GRACE_S, None) != "exited":
                kill_tree(proc.pid)  # ...or is made to, with everything it started
    finally:
        if proc.poll() is None:  # an error of ours above: leave nothing running
            kill_tree(proc.pid)
        proc.wait()
        proc.stdout.close()
        log.close(note)
        shutil.rmtree(scratch, ignore_errors=True)
        text = None
        if ended == "exited" and proc.returncode == 0:
            try:
                with open(partial, encoding="utf-8") as f:
                    text = f.read()
            except (OSError, UnicodeDecodeError):
                pass
        shutil.rmtree(private, ignore_errors=True)
    return Graded(text, log.value(), proc.returncode, ended, time.monotonic() - started)


def _pump(proc, log, deadline, stop):
    """Copy the child's output to its log until it exits ("exited"), the deadline
    passes ("deadline") or we are told to stop ("stopped")."""
    fd, eof = proc.stdout.fileno(), False
    while True:
        if stop is not None and stop.is_set():
            return "stopped"
        left = deadline - time.monotonic()
        if left <= 0:
            return "deadline"
        if eof:
            try:
                proc.wait(timeout=min(left, 0.5))
                return "exited"
            except subprocess.TimeoutExpired:
                continue
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if ready:
            chunk = os.read(fd, 65536)
            if chunk:
                log.write(chunk)
            else:
                eof = True
        elif proc.poll() is not None:
            return "exited"  # exited, though something it left behind holds the pipe


def write_private(path, data):
    """Write `data` (bytes, or text as UTF-8) to `path`, readable by its owner alone, and
    atomically: a reader never sees half a file, a failed write leaves no temporary file,
    and a file an earlier run left with wider permissions is replaced, not reused. For all
    that batch, report and similarity write (names, scores, code of students)."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".nlpgrade-")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


# ----- the state folder ------------------------------------------------------------
def state_dir_for(csv_path):
    """The state folder of the batch whose CSV is `csv_path`: NAME.results beside NAME.csv."""
    return os.path.splitext(os.path.abspath(csv_path))[0] + ".results"


class Batch:
    def __init__(self, assignment, export_dir, state_dir, hidden, timeout_s):
        self.assignment = assignment
        self.export_dir = export_dir
        self.state_dir = state_dir
        self.hidden = hidden
        self.timeout_s = timeout_s
        self.stop = threading.Event()  # set on Ctrl-C: stop every grader, record nothing

    def results_path(self, sub):
        return os.path.join(self.state_dir, sub + ".json")

    def finished(self, sub):
        """The stored results of `sub` if it was graded as now asked, else None."""
        try:
            with open(self.results_path(sub)) as f:
                res = json.load(f)
            results.validate(res)
            info = res["extra_data"]["batch"]
            if (info["assignment"], info["hidden"]) == (self.assignment.name, self.hidden) \
                    and info["status"] in STATUSES:
                return res
        except Exception:  # missing, half-written by hand, from an older format: regrade
            pass
        return None

    def grade(self, sub):
        """Grade one submission in a child process here; return its status (None if stopped)."""
        graded = grade_folder(self.assignment.name, os.path.join(self.export_dir, sub), self.hidden,
                              self.timeout_s, self.stop)
        return self.record(sub, graded)

    def record(self, sub, graded):
        """Store one grading's log and results (whichever backend ran it); its status,
        or None for a stopped one, which is left ungraded: the next run grades it."""
        write_private(os.path.join(self.state_dir, sub + ".log"), graded.log)
        if graded.ended == "stopped":
            return None
        timed_out, code = graded.ended == "deadline", graded.exit_code
        res = None
        if graded.results_text is not None:
            try:
                res = json.loads(graded.results_text)
                results.validate(res)
            except Exception:
                res = None
        if res is not None:
            # a test the grader itself could not check (its own sandbox did not start, the
            # reference failed: extra_data.grader_traceback) makes the row a grader error,
            # not a silent 0 that reads "ok"
            broken = any(t["name"] == grading.ENGINE_ERROR_NAME or "grader_traceback" in (t.get("extra_data") or {})
                         for t in res["tests"])
            status = "grader error" if broken else "ok"
        else:
            status = "timeout" if timed_out else "grader error"
            why = (f"batch: grading was stopped after {self.timeout_s:g} s" if timed_out else
                   f"batch: the grading process exited with status {code} without valid results")
            why += f"; see {sub}.log"
            with _load_lock:
                res = grading.engine_failure(self.assignment, self.hidden, why, graded.seconds)
        res.setdefault("extra_data", {})["batch"] = {
            "assignment": self.assignment.name, "hidden": self.hidden, "status": status,
            "seconds": round(graded.seconds, 2), "exit_code": code}
        results.write(res, self.results_path(sub))
        return status


# ----- the CSV ---------------------------------------------------------------------
def _num(x):
    return f"{round(float(x), 4):.10g}"


def write_csv(path, submissions, stored, people):
    """One row per submission, written atomically."""
    def graded(res):
        return [t for t in res["tests"] if t["name"] != grading.ENGINE_ERROR_NAME]

    numbers = sorted({t["number"] for res in stored.values() if res for t in graded(res)},
                     key=results.number_key)
    header = ["submission", "names", "emails", "sids"] + numbers + ["total", "max", "status", "seconds"]
    rows = [header]
    for sub in submissions:
        who = people.get(sub, {})
        row = [sub] + ["; ".join(who.get(k, [])) for k in ("names", "emails", "sids")]
        res = stored.get(sub)
        if res is None:
            rows.append(row + [""] * len(numbers) + ["", "", "not graded", ""])
            continue
        scores = {t["number"]: t["score"] for t in graded(res)}
        info = res["extra_data"]["batch"]
        row += [_num(scores[n]) if n in scores else "" for n in numbers]
        row += [_num(res["score"]), _num(sum(t["max_score"] for t in graded(res))),
                info["status"], f"{info['seconds']:.1f}"]
        rows.append(row)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    text = io.StringIO(newline="")
    csv.writer(text).writerows(rows)
    write_private(path, text.getvalue())  # names, emails, SIDs


# ----- the command -----------------------------------------------------------------
def build_parser():
    p = argparse.ArgumentParser(prog="nlpgrade batch",
                                description="Regrade a Gradescope 'Export Submissions' folder into a CSV.")
    p.add_argument("assignment", help="assignment name, e.g. a2")
    p.add_argument("submissions", help="the unzipped export: submission folders and submission_metadata.yml")
    p.add_argument("--jobs", type=int, default=1, help="submissions graded at a time (default 1)")
    p.add_argument("--csv", help="where to write the CSV (default SUBMISSIONS/regrade.csv); "
                                 "per-submission results go to a folder beside it")
    p.add_argument("--force", action="store_true", help="regrade submissions already graded")
    p.add_argument("--public-only", action="store_true", help="run the public tests only "
                                                              "(by default hidden tests run too)")
    p.add_argument("--timeout", type=float, help="seconds before one submission's grading is "
                                                 "stopped (default: the assignment's total_s + "
                                                 f"{TIMEOUT_MARGIN_S})")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="grade on a Dask cluster: its scheduler's address (tcp://host:8786) or "
                        "scheduler file; --jobs is then ignored (each worker thread grades one)")
    p.add_argument("--insecure", action="store_true",
                   help="allow a plain tcp:// scheduler on another machine (anyone who can reach "
                        "it runs code on the workers; use TLS instead)")
    return p


def main(argv=None):
    old = os.umask(0o077)  # every file the batch and its graders write is ours alone
    try:
        return _main(argv)
    finally:
        os.umask(old)


def _main(argv=None):
    args = build_parser().parse_args(argv)
    if args.jobs < 1 or (args.timeout is not None and args.timeout <= 0):
        print("nlpgrade batch: --jobs and --timeout must be positive", file=sys.stderr)
        return 2
    export = os.path.abspath(args.submissions)
    if not os.path.isdir(export):
        print(f"nlpgrade batch: {args.submissions} is not a folder", file=sys.stderr)
        return 2
    if args.scheduler is not None:
        try:
            from . import batch_dask
            batch_dask.check_address(args.scheduler, args.insecure)
        except BatchError as exc:
            print(f"nlpgrade batch: {exc}", file=sys.stderr)
            return 2
    elif args.insecure:
        print("nlpgrade batch: --insecure goes with --scheduler", file=sys.stderr)
        return 2
    try:
        assignment = configmod.load(args.assignment)
    except configmod.ConfigError as exc:
        print(f"nlpgrade batch: {exc}", file=sys.stderr)
        return 2
    csv_path = os.path.abspath(args.csv or os.path.join(export, "regrade.csv"))
    state_dir = state_dir_for(csv_path)
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    with open(os.path.join(state_dir, STATE_MARK), "w") as f:  # see is_state_folder
        f.write("nlpgrade batch results and logs, not a submission\n")
    if os.geteuid() == 0:  # no sandbox uid may read other students' code, names or results
        for path in (export, os.path.join(export, METADATA), state_dir):
            if os.path.exists(path):
                make_private(path)
    timeout = args.timeout or assignment.limits.total_s + TIMEOUT_MARGIN_S
    batch = Batch(assignment, export, state_dir, hidden=not args.public_only, timeout_s=timeout)

    people, warning = read_metadata(export)
    if warning:
        print(f"nlpgrade batch: warning: {warning}", file=sys.stderr)
    submissions = find_submissions(export, exclude=state_dir)
    stored = {} if args.force else {s: batch.finished(s) for s in submissions}
    todo = [s for s in submissions if stored.get(s) is None]
    if len(todo) < len(submissions):
        print(f"{len(submissions) - len(todo)} of {len(submissions)} submissions already graded; "
              "skipping them (--force regrades)", file=sys.stderr)
    cluster = None
    if args.scheduler is not None and todo:  # nothing to grade: no cluster needed
        try:
            cluster = batch_dask.Cluster(args.scheduler)
        except BatchError as exc:
            print(f"nlpgrade batch: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:  # Cluster closed its client
            print("interrupted before grading began", file=sys.stderr)
            return 130

    from tqdm import tqdm

    counts = {s: 0 for s in STATUSES + (NOT_GRADED,)}
    bar = tqdm(total=len(todo), desc=f"grading {assignment.name}", unit="sub", file=sys.stderr,
               disable=not todo)

    def done(sub, status):
        if status is None:  # stopped by Ctrl-C
            return
        counts[status] += 1
        bar.set_postfix({k: v for k, v in counts.items() if v}, refresh=False)
        bar.update()

    try:
        if cluster is not None:
            interrupted = cluster.grade_all(batch, todo, done)
        else:
            interrupted = grade_here(batch, todo, args.jobs, done)
    except BatchError as exc:  # the cluster went away: keep what was graded
        print(f"nlpgrade batch: {exc}; rerun the same command to grade the rest", file=sys.stderr)
        interrupted = None
    finally:
        bar.close()
        if cluster is not None:
            cluster.close()

    stored = {s: batch.finished(s) for s in submissions}
    write_csv(csv_path, submissions, stored, people)
    done = ", ".join(f"{v} {k}" for k, v in counts.items() if v) or "nothing to grade"
    print(f"graded {sum(counts.values())} ({done}); {len(submissions)} rows written to {csv_path}")
    odd = [f"{s} ({res['extra_data']['batch']['status'] if res else NOT_GRADED})"
           for s, res in stored.items() if not res or res["extra_data"]["batch"]["status"] != "ok"]
    if odd:  # kept as they are by later runs unless --force: say so every time
        print(f"{len(odd)} rows need a look (logs in {state_dir}): " + ", ".join(odd[:10])
              + (" ..." if len(odd) > 10 else ""))
    write_class_report(csv_path)
    if interrupted is None:
        return 1
    if interrupted:
        print("interrupted: rerun the same command to grade the rest", file=sys.stderr)
        return 130
    return 1 if any(res is None for res in stored.values()) else 0


def write_class_report(csv_path):
    """The class report (`nlpgrade report`) beside the CSV; the CSV stands without it."""
    from . import report

    try:
        print(f"class report written to {report.write_report(csv_path)}")
    except Exception as exc:  # a report that cannot be made must not fail the regrade
        print(f"nlpgrade batch: warning: no class report ({type(exc).__name__}: {exc})", file=sys.stderr)


def guarded(sub, step, *args):
    """step(*args) for one submission, which it returns (a status). An unexpected error
    of ours costs only that submission: it gets no results file (a rerun grades it), a
    line on stderr, and the batch goes on. Every backend's per-submission work runs here."""
    try:
        return step(*args)
    except BatchError:  # the whole batch cannot go on: not one submission's matter
        raise
    except Exception as exc:
        reason = results.first_line(f"{type(exc).__name__}: {exc}", 300)
        print(f"nlpgrade batch: {sub}: not graded ({reason})", file=sys.stderr, flush=True)
        return NOT_GRADED


def grade_here(batch, todo, jobs, done):
    """Grade on this machine, `jobs` at a time; returns whether Ctrl-C stopped it."""
    pool = ThreadPoolExecutor(max_workers=jobs)  # threads only wait on child processes
    try:
        futures = {pool.submit(guarded, s, batch.grade, s): s for s in todo}
        for future in as_completed(futures):
            done(futures[future], future.result())
    except KeyboardInterrupt:
        batch.stop.set()
        return True
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return False
