"""`nlpgrade batch ... --scheduler ADDRESS`: the gradings of a batch run on a Dask cluster.

Only the gradings move. This process (the trusted side) reads the export, zips each
submission's files, keeps the state folder and writes the CSV exactly as the local path
does (batch.Batch.record); a worker unpacks the zip into a private folder and grades it
with batch.grade_folder, the same `nlpgrade grade` process with the same sandbox, caps
and log as on this machine. A task's arguments and result are plain values: the zip's
bytes in, the results.json text, the log's bytes and the exit status out; nothing a
student's code made is ever unpickled here.

A worker that dies mid-grading (killed, out of memory, its node lost) is noticed by the
scheduler, which runs the grading again on another worker; its
`distributed.scheduler.allowed-failures` (default 3) bounds how often before the grading
is given up (KilledWorker). A grading task that raises instead (a worker's disk full) is
tried again RETRIES more times (Dask's `retries=`). A grading given up this way leaves no
results file: its row reads "not graded", the batch exits 1 and the next run grades it.

Workers grade with this machine's code and tests or not at all: each task carries the
fingerprint of both (fingerprint()), and a worker whose own differs refuses it.

Whoever reaches a scheduler runs code on its workers, so a plain tcp:// scheduler on
another machine needs --insecure (check_address); TLS is Dask's own configuration.
"""
import dataclasses
import hashlib
import io
import ipaddress
import logging
import os
import shutil
import socket
import sys
import tempfile
import time
import uuid
import zipfile

from . import batch, results
from .batch import BatchError
from .config import ROOT
from .submission import all_files, safe_unzip

PACKAGE = os.path.dirname(os.path.abspath(__file__))

RETRIES = 2              # more tries for a grading task that raised
WORKER_WAIT_S = 120      # for the first worker to join (a Slurm job may still be queued)
STOP_POLL_S = 2          # how often a grading on a worker asks whether Ctrl-C stopped the batch
KEY = "nlpgrade-grade"   # task keys: KEY-<submission>-<run>


# ----- the worker's side -----------------------------------------------------------
class _ClusterStop:
    """The batch's Ctrl-C, seen from a worker: a Dask Event the client sets. Asked at
    most every STOP_POLL_S; a scheduler that cannot be asked leaves the deadline to end it."""

    def __init__(self, name):
        self.name, self.event, self.asked, self.stopped = name, None, 0.0, False

    def is_set(self):
        if self.stopped or not self.name or time.monotonic() - self.asked < STOP_POLL_S:
            return self.stopped
        self.asked = time.monotonic()
        try:
            if self.event is None:
                from distributed import Event
                self.event = Event(self.name)
            self.stopped = self.event.is_set()
        except Exception:
            pass
        return self.stopped


def fingerprint(assignment_name, root=ROOT, package=PACKAGE):
    """sha256 over what decides a grade: the engine's code (autograder/**/*.py) and the
    assignment's config, tests and reference (assignments/<a>/**, solutions/<a>/**), each
    file's path and contents."""
    digest = hashlib.sha256()
    for label, top, keep in (("autograder", package, lambda rel: rel.endswith(".py")),
                             ("assignments", os.path.join(root, "assignments", assignment_name), None),
                             ("solutions", os.path.join(root, "solutions", assignment_name), None)):
        for rel in all_files(top) if os.path.isdir(top) else []:  # no caches, no hidden files
            if keep is None or keep(rel):
                with open(os.path.join(top, rel), "rb") as f:
                    data = f.read()
                digest.update(os.fsencode(f"{label}/{rel}") + b"\0" + str(len(data)).encode() + b"\0" + data)
    return digest.hexdigest()


_own_fingerprints = {}  # per worker process: its checkout does not change under it


class DifferentCode(Exception):
    """This worker's code or tests differ from the batch's machine."""


# A worker killed mid-grading cannot remove its grading's folders; the next grading on
# that machine does (sweep), once their owner is dead or their time is long past. (Not
# under Dask's local directory: that is 0700, and the sandbox user must pass through.)
WORK_PREFIX = "nlpgrade-dask-"
OWNER = "owner"  # in each work folder: "<pid> <its start time> <expiry, epoch seconds>"


def _start_time(pid):
    """The kernel's start time of a living process (Linux), else None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] in ("Z", "X") else fields[19]


def _stale(folder):
    try:
        if os.stat(folder).st_uid != os.geteuid():
            return False
        with open(os.path.join(folder, OWNER)) as f:
            pid, started, expires = f.read().split()
    except (OSError, ValueError):  # being made right now, or not ours
        return False
    if os.path.isdir("/proc"):
        return _start_time(pid) != started
    return time.time() > float(expires)


def sweep(tmp=None):
    """Remove the work folders of gradings whose worker died."""
    tmp = tmp or tempfile.gettempdir()
    try:
        names = [n for n in os.listdir(tmp) if n.startswith(WORK_PREFIX)]
    except OSError:
        return
    for name in names:
        if _stale(os.path.join(tmp, name)):
            shutil.rmtree(os.path.join(tmp, name), ignore_errors=True)


def _work_folder(timeout_s):
    work = tempfile.mkdtemp(prefix=WORK_PREFIX)
    os.chmod(work, 0o711)  # the sandbox user passes through to the grader's scratch
    expires = time.time() + timeout_s + 2 * batch.GRACE_S + 600
    with open(os.path.join(work, OWNER), "w") as f:
        f.write(f"{os.getpid()} {_start_time(os.getpid())} {expires:.0f}\n")
    return work


def _raw_path(info):
    """An entry's path as zip_folder stored it: its file name's bytes, in the comment."""
    return info.comment or info.filename.encode()


def grade_task(assignment_name, submission, archive, hidden, timeout_s, stop_name=None, expected=None):
    """Run on a worker: grade the zipped submission `archive` (bytes) as the folder
    `submission`; returns batch.Graded's fields as a dict of plain values. `expected`:
    the batch machine's fingerprint(), which this worker's must match."""
    if expected is not None:
        if assignment_name not in _own_fingerprints:
            _own_fingerprints[assignment_name] = fingerprint(assignment_name)
        if _own_fingerprints[assignment_name] != expected:
            raise DifferentCode(socket.gethostname())
    sweep()
    work = _work_folder(timeout_s)
    try:
        zipped = os.path.join(work, "submission.zip")
        with open(zipped, "wb") as f:
            f.write(archive)
        private = os.path.join(work, "submission")
        os.mkdir(private, 0o700)  # the grader stages its own copy
        folder = os.path.join(private, os.path.basename(submission) or "submission")
        os.makedirs(folder)
        # The zip was built by the trusted side from the files the local path grades: the
        # path checks stay (no way out of the folder, no links), but not a student zip's
        # size caps, which the local path does not have either.
        safe_unzip(zipped, folder, caps=False, path_of=_raw_path)
        os.remove(zipped)
        graded = batch.grade_folder(assignment_name, folder, hidden, timeout_s, _ClusterStop(stop_name),
                                    tmp_dir=work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dataclasses.asdict(graded)


# ----- this side -------------------------------------------------------------------
def zip_folder(folder):
    """The files of a submission folder that grading can see (submission.all_files: no
    links, hidden or cache folders), as zip bytes. Any file the local path would grade
    travels: a modification time before 1980 is stored as 1980 (the zip format's first
    date), and a name that is not UTF-8 travels as its bytes in the entry's comment
    (grade_task's _raw_path), the name itself being readable only."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, strict_timestamps=False) as archive:
        for rel in all_files(folder):
            raw = os.fsencode(rel)
            info = zipfile.ZipInfo.from_file(os.path.join(folder, rel), raw.decode("utf-8", "replace"),
                                              strict_timestamps=False)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.comment = raw
            with open(os.path.join(folder, rel), "rb") as src, archive.open(info, "w") as out:
                shutil.copyfileobj(src, out)
    return buffer.getvalue()


def _reason(exc):
    return results.first_line(f"{type(exc).__name__}: {exc}", 200)


SECURE_SCHEMES = ("tls", "wss")


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_address(address, insecure=False):
    """Refuse a --scheduler value that cannot be right or is not safe: empty, malformed,
    or plain (unencrypted, unauthenticated) on another machine without --insecure. A
    scheduler file is taken as it is (a TLS scheduler writes tls:// into it)."""
    if not address.strip():
        raise BatchError("--scheduler needs a scheduler address (tcp://host:8786) or scheduler file; "
                         "leave it out to grade on this machine")
    try:
        from distributed.comm.addressing import get_address_host_port, parse_address
    except ImportError:
        raise BatchError("--scheduler needs Dask: pip install distributed") from None
    if os.path.isfile(address):
        return
    try:  # before Client: a malformed address would leave it hanging on close
        host, _ = get_address_host_port(address)
        scheme, _ = parse_address(address)
    except ValueError as exc:
        raise BatchError(f"{address} is neither a Dask scheduler address (tcp://host:8786) "
                         f"nor a scheduler file ({exc})") from None
    if scheme not in SECURE_SCHEMES and not _is_loopback(host) and not insecure:
        raise BatchError(
            f"refusing {address}: on plain {scheme}:// anyone who can reach the scheduler runs code "
            "as the workers' user (root) on every grader. Use TLS: configure Dask's "
            "distributed.comm.tls (scheduler, workers and this machine) and give the tls:// address "
            "or the scheduler file the TLS scheduler writes; or, on a network only staff can reach, "
            "add --insecure")


class Cluster:
    """A connection to a Dask scheduler that grades a batch's submissions."""

    def __init__(self, address):
        import distributed  # check_address has made sure it is there

        self.address, self.client = address, None
        where = {"scheduler_file": address} if os.path.isfile(address) else {"address": address}
        # Dask's client logs its reconnection attempts with tracebacks; what they mean
        # for the batch is said by our own messages.
        logging.getLogger("distributed.client").setLevel(logging.CRITICAL)
        try:
            # The connect timeout is Dask's (distributed.comm.timeouts.connect, 30 s). A
            # Ctrl-C here goes up as it is: Client() never returned, so no client of ours
            # is open (batch._main says "interrupted" and exits 130).
            self.client = distributed.Client(**where, set_as_default=False)
        except Exception as exc:  # OSError, TimeoutError, ValueError for a malformed address
            raise BatchError(f"cannot reach the Dask scheduler at {address} ({_reason(exc)}); "
                             "is `dask scheduler` running there?") from None
        try:
            if not self.client.nthreads():
                print(f"nlpgrade batch: waiting up to {WORKER_WAIT_S} s for a Dask worker to join "
                      f"{address}", flush=True)
                self.client.wait_for_workers(1, timeout=WORKER_WAIT_S)
        except KeyboardInterrupt:
            self.close()
            raise
        except Exception as exc:
            self.close()
            raise BatchError(f"no Dask worker joined the scheduler at {address} ({_reason(exc)}); "
                             f"start some with `dask worker {address}`") from None

    def close(self):
        try:
            if self.client is not None:
                self.client.close()
        except (Exception, KeyboardInterrupt):
            pass

    def _window(self):
        """Gradings sent ahead: twice the cluster's threads, so that every worker has its
        next one waiting but the zips of a whole class are not all held at once."""
        try:
            return max(2, 2 * sum(self.client.nthreads().values()))
        except Exception:
            return 2

    def grade_all(self, run, todo, done):
        """Grade the submissions `todo` of `run` (a batch.Batch) on the cluster, calling
        done(submission, status) for each. Returns whether Ctrl-C stopped it; raises
        BatchError when the scheduler is lost."""
        from distributed import Event, as_completed

        token = uuid.uuid4().hex[:12]
        stop_name = f"nlpgrade-stop-{token}"
        expected = fingerprint(run.assignment.name)  # once per batch
        waiting, sent = list(reversed(todo)), {}
        finished = as_completed(loop=self.client.loop)

        def submit(sub):
            archive = zip_folder(os.path.join(run.export_dir, sub))
            future = self.client.submit(
                grade_task, run.assignment.name, sub, archive, run.hidden, run.timeout_s, stop_name,
                expected, key=f"{KEY}-{sub}-{token}", retries=RETRIES, pure=False)
            sent[future] = sub
            finished.add(future)

        def send_next():
            sub = waiting.pop()
            if batch.guarded(sub, submit, sub) == batch.NOT_GRADED:
                done(sub, batch.NOT_GRADED)

        def collect(future, sub):
            try:
                graded = batch.Graded(**future.result())
            except DifferentCode as exc:
                raise BatchError(f"worker {exc} grades with different code or tests than this machine "
                                 "(update its checkout)") from None
            except Exception as exc:  # given up after RETRIES / allowed-failures
                print(f"nlpgrade batch: {sub}: not graded on the cluster ({_reason(exc)})",
                      file=sys.stderr, flush=True)
                return batch.NOT_GRADED
            return run.record(sub, graded)

        def fill():
            window = self._window()
            while waiting and len(sent) < window:
                send_next()

        try:
            fill()
            while sent:
                future = next(finished)
                sub = sent.pop(future)
                if future.status == "cancelled":  # only the scheduler's loss cancels ours
                    raise BatchError(f"lost the Dask scheduler at {self.address}")
                done(sub, batch.guarded(sub, collect, future, sub))
                fill()
        except KeyboardInterrupt:
            try:  # the gradings still running on workers stop and record nothing
                Event(stop_name, client=self.client).set()
                self.client.cancel(list(sent))
            except Exception:
                pass
            return True
        return False
