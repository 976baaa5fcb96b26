"""`nlpgrade batch --scheduler`: the same batch, its gradings run on a Dask cluster.

The cluster is the one a person starts by hand: a `dask scheduler` and two `dask worker`
processes (one grading thread each) on 127.0.0.1, run as programs by this module, outside
the repository. That is the real multi-process path, TCP between separate programs and a
worker that must import the task by name; LocalCluster would start them from this test's
own interpreter. Public tests only (`--public-only`): each grading takes seconds, and the
point here is where it runs, not what it checks.
"""
import contextlib
import csv
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile

import pytest
from support import make_submission

from autograder import batch, batch_dask, submission
from autograder import config as configmod
from autograder.config import ROOT

distributed = pytest.importorskip("distributed")

A2 = configmod.load("a2")
DASK = os.path.join(os.path.dirname(sys.executable), "dask")
METADATA = """\
submission_1:
  :submitters:
  - :name: Ada Lovelace
    :sid: '00101'
submission_2:
  :submitters:
  - :name: Bob Byte
"""
BROKEN_SIGMOID = "def sigmoid(x):\n    return x\n"


def build_export(folder):
    """The reference, the template and one with a wrong sigmoid: full, none and some."""
    make_submission(folder / "submission_1")
    shutil.copytree(A2.template_dir, folder / "submission_2", ignore=shutil.ignore_patterns("__pycache__"))
    make_submission(folder / "submission_3", patches={"word2vec.py": {"sigmoid": BROKEN_SIGMOID}})
    add_unzippable_files(folder / "submission_3")
    (folder / "submission_metadata.yml").write_text(METADATA)
    return folder


def add_unzippable_files(folder):
    """What a zip cannot hold as it is: a name that is not UTF-8, a date before 1980."""
    odd = os.path.join(os.fsencode(folder), b"notes-caf\xe9.txt")
    with open(odd, "wb") as f:
        f.write(b"latin-1 name\n")
    old = folder / "old.txt"
    old.write_text("from 1970\n")
    os.utime(old, (0, 0))


def nlpgrade_batch(*args, **env):
    return subprocess.run([sys.executable, "-m", "autograder", "batch", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=900, env=dict(os.environ, **env))


def rows_of(path):
    """The CSV's rows without the seconds column (a property of the run, not the grade)."""
    with open(path, newline="") as f:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(f)]


def comparable(value):
    """A results.json without what differs from one run to the next: durations and the
    sandbox uid that happened to be leased."""
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items()
                if k not in ("seconds", "execution_time", "sandbox_seconds")}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    if isinstance(value, str):
        return re.sub(r"uid \d+", "uid N", value)
    return value


def results_of(export):
    state = export / "regrade.results"
    return {p.stem: comparable(json.loads(p.read_text())) for p in sorted(state.glob("*.json"))}


def mtimes(export):
    return {p.name: p.stat().st_mtime_ns for p in (export / "regrade.results").glob("*.json")}


# ----- the cluster -----------------------------------------------------------------
def start(args, cwd, log, env=None):
    with open(log, "wb") as out:  # a session of its own: teardown ends it with all it started
        return subprocess.Popen([DASK, *args], cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                env=dict(os.environ, **(env or {})))


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # a worker the nanny left behind
    except ProcessLookupError:
        pass
    proc.wait()


@contextlib.contextmanager
def running_cluster(where, **env):
    """(scheduler address, a client of the test's own): a scheduler and two workers, with
    `env` added to the scheduler's environment (Dask reads its settings from there)."""
    scheduler_file = where / "scheduler.json"
    procs = [start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                    "--scheduler-file", str(scheduler_file)], where, where / "scheduler.log", env)]
    try:
        for name in ("w1", "w2"):
            procs.append(start(["worker", "--scheduler-file", str(scheduler_file), "--nthreads", "1",
                                "--no-dashboard", "--name", name, "--local-directory", str(where)],
                               where, where / f"{name}.log"))
        deadline = time.monotonic() + 120
        while not scheduler_file.exists():
            assert time.monotonic() < deadline and procs[0].poll() is None, \
                (where / "scheduler.log").read_text()[-3000:]
            time.sleep(0.2)
        client = distributed.Client(scheduler_file=str(scheduler_file), set_as_default=False)
        client.wait_for_workers(2, timeout=120)
        yield client.scheduler.address, client
        client.close()
    finally:
        for proc in reversed(procs):
            stop(proc)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("cluster")) as running:
        yield running


@pytest.fixture(scope="module")
def graded_both_ways(cluster, tmp_path_factory):
    """One export graded here (--jobs 2), an identical one on the cluster."""
    address, _ = cluster
    here = build_export(tmp_path_factory.mktemp("export") / "here")
    there = build_export(tmp_path_factory.mktemp("export") / "there")
    local = nlpgrade_batch("a2", here, "--jobs", 2, "--public-only")
    remote = nlpgrade_batch("a2", there, "--public-only", "--scheduler", address)
    return here, local, there, remote


def test_the_cluster_grades_exactly_like_this_machine(graded_both_ways):
    here, local, there, remote = graded_both_ways
    assert local.returncode == 0, local.stderr[-3000:]
    assert remote.returncode == 0, remote.stderr[-3000:]
    assert "graded 3 (3 ok)" in remote.stdout
    rows = rows_of(there / "regrade.csv")
    assert rows == rows_of(here / "regrade.csv")
    totals = {r["submission"]: (r["names"], float(r["total"]), float(r["max"]), r["status"]) for r in rows}
    full = totals["submission_1"][2]
    assert totals["submission_1"] == ("Ada Lovelace", full, full, "ok")
    assert totals["submission_2"] == ("Bob Byte", 0, full, "ok")
    assert 0 < totals["submission_3"][1] < full  # the tests of sigmoid, and those built on it
    assert results_of(there) == results_of(here)  # every test's score and feedback
    for export in (here, there):
        for sub in ("submission_1", "submission_2", "submission_3"):
            log = (export / "regrade.results" / f"{sub}.log").read_text()
            assert "sandbox isolation" in log  # the worker ran the grader under its sandbox
            assert os.stat(export / "regrade.results" / f"{sub}.log").st_mode & 0o077 == 0


def test_a_rerun_on_the_cluster_grades_only_what_is_missing(graded_both_ways, cluster):
    here, _, there, _ = graded_both_ways
    address, _ = cluster
    # Results written by the local path count as finished for the cluster, and back.
    for export in (here, there):
        before, csv_before = mtimes(export), (export / "regrade.csv").read_text()
        proc = nlpgrade_batch("a2", export, "--public-only", "--scheduler", address)
        assert proc.returncode == 0 and "3 of 3 submissions already graded" in proc.stderr, proc.stderr
        assert mtimes(export) == before and (export / "regrade.csv").read_text() == csv_before

    rows = rows_of(there / "regrade.csv")
    before = mtimes(there)
    (there / "regrade.results" / "submission_3.json").unlink()  # as a Ctrl-C would have left it
    proc = nlpgrade_batch("a2", there, "--public-only", "--scheduler", address)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "2 of 3 submissions already graded" in proc.stderr and "graded 1 (1 ok)" in proc.stdout
    after = mtimes(there)
    assert {k: v for k, v in after.items() if k != "submission_3.json"} == \
        {k: v for k, v in before.items() if k != "submission_3.json"}
    assert rows_of(there / "regrade.csv") == rows


# ----- a worker that dies mid-grading ----------------------------------------------
def processes():
    """{pid: (parent pid, command line)} of the living processes."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue
        if fields[0] != "Z":
            found[int(pid)] = (int(fields[1]), command)
    return found


def graded_while_a_worker_dies(cluster, export):
    """Grade `export` (a slow submission and a quick one) on the cluster, killing the worker
    grading the slow one mid-grading: (exit status, stdout, stderr, the temporary folders
    of the killed grading)."""
    address, client = cluster
    # Slow to import (under a2's 20 s import limit), then graded in full.
    with open(os.path.join(A2.reference_dir, "word2vec.py")) as f:
        slow = "import time\ntime.sleep(8)\n" + f.read()
    make_submission(export / "slow", files={"word2vec.py": slow})
    make_submission(export / "quick")
    batch_run = subprocess.Popen(
        [sys.executable, "-m", "autograder", "batch", "a2", str(export), "--public-only",
         "--scheduler", address], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # The slow submission's grader, a child of the worker process grading it.
        deadline, grader = time.monotonic() + 300, None
        while grader is None:
            assert time.monotonic() < deadline and batch_run.poll() is None, "the slow grading never started"
            grader = next(((pid, parent) for pid, (parent, command) in processes().items()
                           if " grade a2 " in command and command.split(" grade a2 ")[1].split()[0]
                           .endswith("/slow")), None)
            time.sleep(0.2)
        grader_pid, worker_pid = grader
        left_behind = folders_of(grader_pid)
        worker_pids = client.run(os.getpid)  # the workers themselves, not their nannies
        assert worker_pid in worker_pids.values()
        os.kill(worker_pid, signal.SIGKILL)
        out, err = batch_run.communicate(timeout=900)
    finally:
        if batch_run.poll() is None:
            batch_run.kill()
            batch_run.communicate()
    return batch_run.returncode, out, err, left_behind


def test_a_worker_killed_mid_grading_has_it_graded_elsewhere(cluster, tmp_path):
    export = tmp_path / "export"
    status, out, err, left_behind = graded_while_a_worker_dies(cluster, export)
    assert status == 0, err[-3000:]
    with open(export / "regrade.csv", newline="") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    assert {s: r["status"] for s, r in rows.items()} == {"quick": "ok", "slow": "ok"}
    # graded in full by the other worker (or the same one, restarted by its nanny)
    assert rows["slow"]["total"] == rows["slow"]["max"] == rows["quick"]["total"] != "0"
    assert "slow: not graded" not in out + err
    assert left_behind
    # What the killed worker could not remove, the next grading on the machine did.
    assert not [f for f in left_behind if os.path.exists(f)]


def test_a_grading_given_up_reads_not_graded_and_the_rerun_grades_it(tmp_path):
    """With no failure allowed, the scheduler gives the killed grading up: its row reads
    'not graded', the batch lists it and exits 1, and the same command again grades it."""
    where = tmp_path / "cluster"
    where.mkdir()
    with running_cluster(where, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="0") as given_up:
        export = tmp_path / "export"
        status, out, err, _ = graded_while_a_worker_dies(given_up, export)
        assert status == 1, out[-2000:] + err[-3000:]
        with open(export / "regrade.csv", newline="") as f:
            rows = {r["submission"]: r for r in csv.DictReader(f)}
        assert rows["quick"]["status"] == "ok" and rows["slow"]["status"] == "not graded", rows
        assert "slow" in (out + err).split("need a look", 1)[-1], out + err
        again = nlpgrade_batch("a2", export, "--public-only", "--scheduler", given_up[0])
    assert again.returncode == 0, again.stderr[-3000:]
    assert "1 of 2 submissions already graded" in again.stderr and "graded 1 (1 ok)" in again.stdout
    assert [r["status"] for r in rows_of(export / "regrade.csv")] == ["ok", "ok"]


def folders_of(grader_pid):
    """The temporary folders of a batch grader: its TMPDIR, its results' folder and the
    folder the worker unpacked the submission into."""
    with open(f"/proc/{grader_pid}/environ", "rb") as f:
        env = dict(v.split(b"=", 1) for v in f.read().split(b"\0") if b"=" in v)
    with open(f"/proc/{grader_pid}/cmdline", "rb") as f:
        args = f.read().decode().split("\0")
    found = [env[b"TMPDIR"].decode(), os.path.dirname(args[args.index("--results") + 1]),
             os.path.dirname(args[args.index("grade") + 2])]
    return [f for f in found if "nlpgrade-dask-" in f]


ORPHAN = """\
import os, sys, time
from autograder import batch
pid_file = sys.argv[1]
batch.grade_command = lambda *args: [sys.executable, "-c",
    "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(600)", pid_file]
batch.grade_folder("a2", ".", False, 900)
"""


def ignore_sigint():
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("sigint", ["default", "ignored"])
def test_a_grader_does_not_outlive_the_process_that_started_it(tmp_path, sigint):
    """A Dask worker (or a batch) killed outright cannot stop its grader: the kernel
    does, with SIGINT (batch._LAUNCH), instead of leaving it to run its full time. Also
    when the starter ignores SIGINT, as a batch started in the background by a script
    (`nohup ... &`) does: the grader inherited that, and outlived it."""
    pid_file = tmp_path / "grader.pid"
    starter = subprocess.Popen([sys.executable, "-c", ORPHAN, str(pid_file)], cwd=ROOT,
                               env=dict(os.environ, TMPDIR=str(tmp_path)),
                               preexec_fn=ignore_sigint if sigint == "ignored" else None)
    try:
        deadline = time.monotonic() + 120
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline and starter.poll() is None
            time.sleep(0.1)
        grader = int(pid_file.read_text())
        assert processes()[grader][0] == starter.pid
    finally:
        starter.kill()
        starter.wait()
    deadline = time.monotonic() + 120  # against its 600 s sleep
    while grader in processes():
        assert time.monotonic() < deadline, "the grader outlived its starter"
        time.sleep(0.2)


# ----- what a person sees when the cluster is not there ----------------------------
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_scheduler_that_cannot_be_reached_is_said_plainly(tmp_path):
    export = tmp_path / "export"
    make_submission(export / "submission_1")
    for address, said in ((f"tcp://127.0.0.1:{free_port()}", "cannot reach the Dask scheduler"),
                          ("scheduler.json", "neither a Dask scheduler address"),
                          ("bogus://host:1", "neither a Dask scheduler address")):
        proc = nlpgrade_batch("a2", export, "--scheduler", address,
                              DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="2s")
        assert proc.returncode == 2, (address, proc.stderr[-3000:])
        assert said in proc.stderr and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert not (export / "regrade.csv").exists()  # nothing was graded, nothing claimed


def test_a_submission_travels_as_the_files_grading_sees(tmp_path):
    folder = tmp_path / "sub"
    (folder / "nested").mkdir(parents=True)
    (folder / "nested" / "word2vec.py").write_text("x = 1\n")
    (folder / "sgd.py").write_text("y = 2\n")
    for skipped in (".git", "__pycache__", "__MACOSX"):
        (folder / skipped).mkdir()
        (folder / skipped / "junk.py").write_text("")
    os.symlink("/etc/passwd", folder / "information.py")  # never followed by the trusted side
    archive = batch_dask.zip_folder(folder)
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        assert sorted(z.namelist()) == ["nested/word2vec.py", "sgd.py"]
        assert z.read("nested/word2vec.py") == b"x = 1\n"


def test_files_a_zip_cannot_hold_as_they_are_travel_unchanged(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    add_unzippable_files(folder)
    (folder / "word2vec.py").write_text("x = 1\n")
    zipped = tmp_path / "sub.zip"
    zipped.write_bytes(batch_dask.zip_folder(folder))
    out = tmp_path / "out"
    out.mkdir()
    submission.safe_unzip(str(zipped), str(out), caps=False, path_of=batch_dask._raw_path)
    assert sorted(os.listdir(os.fsencode(out))) == sorted(os.listdir(os.fsencode(folder)))
    assert open(os.path.join(os.fsencode(out), b"notes-caf\xe9.txt"), "rb").read() == b"latin-1 name\n"


def test_the_workers_unpacking_has_no_caps_the_local_path_lacks(tmp_path, monkeypatch):
    """The local path grades a folder of any size; the worker unpacks the zip the trusted
    side built of it under the same rule, so only a student's own zip meets the caps."""
    folder = tmp_path / "sub"
    folder.mkdir()
    for i in range(5):
        (folder / f"f{i}.txt").write_text("x" * 100)
    zipped = tmp_path / "sub.zip"
    zipped.write_bytes(batch_dask.zip_folder(folder))
    monkeypatch.setattr(submission, "MAX_ZIP_ENTRIES", 3)
    monkeypatch.setattr(submission, "MAX_UNZIPPED_BYTES", 200)
    with pytest.raises(submission.SubmissionProblem):
        submission.safe_unzip(str(zipped), str(tmp_path / "capped"))
    (tmp_path / "free").mkdir()
    submission.safe_unzip(str(zipped), str(tmp_path / "free"), caps=False, path_of=batch_dask._raw_path)
    assert len(os.listdir(tmp_path / "free")) == 5
    escape = tmp_path / "escape.zip"
    with zipfile.ZipFile(escape, "w") as z:
        z.writestr("../out.txt", "x")
        z.writestr("/abs.txt", "x")
    (tmp_path / "esc").mkdir()
    submission.safe_unzip(str(escape), str(tmp_path / "esc"), caps=False, path_of=batch_dask._raw_path)
    assert os.listdir(tmp_path / "esc") == [] and not (tmp_path / "out.txt").exists()


def test_the_fingerprint_follows_the_code_and_tests(tmp_path):
    copy = tmp_path / "checkout"
    shutil.copytree(os.path.join(ROOT, "autograder"), copy / "autograder",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for top in ("assignments", "solutions"):
        shutil.copytree(os.path.join(ROOT, top, "a2"), copy / top / "a2",
                        ignore=shutil.ignore_patterns("__pycache__"))
    same = batch_dask.fingerprint("a2", root=str(copy), package=str(copy / "autograder"))
    assert same == batch_dask.fingerprint("a2")
    test_file = next(p for p in sorted((copy / "assignments" / "a2").rglob("*.py")))
    test_file.write_text(test_file.read_text() + "\n# fixed a test\n")
    assert batch_dask.fingerprint("a2", root=str(copy), package=str(copy / "autograder")) != same


def test_a_worker_with_other_code_refuses_to_grade(cluster, tmp_path, monkeypatch, capsys):
    """The workers run this checkout; this side fingerprints a copy with a test changed,
    as after fixing a test here and forgetting the workers' checkout."""
    address, _ = cluster
    copy = tmp_path / "checkout"
    for top in ("assignments", "solutions"):
        shutil.copytree(os.path.join(ROOT, top, "a2"), copy / top / "a2",
                        ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "assignments" / "a2" / "fixed.py").write_text("# a test fixed here\n")
    real = batch_dask.fingerprint
    monkeypatch.setattr(batch_dask, "fingerprint", lambda name: real(name, root=str(copy)))
    export = tmp_path / "export"
    make_submission(export / "submission_1")
    code = batch.main(["a2", str(export), "--public-only", "--scheduler", address])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "grades with different code or tests than this machine (update its checkout)" in err
    assert "Traceback" not in err
    assert not (export / "regrade.results" / "submission_1.json").exists()


def test_a_plain_scheduler_elsewhere_or_an_empty_one_is_refused(tmp_path):
    export = tmp_path / "export"
    make_submission(export / "submission_1")
    proc = nlpgrade_batch("a2", export, "--scheduler", "tcp://10.1.2.3:8786")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "refusing tcp://10.1.2.3:8786" in proc.stderr and "distributed.comm.tls" in proc.stderr
    assert "--insecure" in proc.stderr
    proc = nlpgrade_batch("a2", export, "--scheduler", "")
    assert proc.returncode == 2 and "--scheduler needs a scheduler address" in proc.stderr, proc.stderr
    assert not (export / "regrade.csv").exists()
    # --insecure lets it through to the connection (none there: said plainly)
    proc = nlpgrade_batch("a2", export, "--scheduler", "tcp://10.1.2.3:8786", "--insecure",
                          DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="1s")
    assert proc.returncode == 2 and "cannot reach the Dask scheduler" in proc.stderr, proc.stderr[-3000:]
    for address in ("tcp://127.0.0.1:1", "tcp://localhost:1", "tls://10.1.2.3:8786"):
        batch_dask.check_address(address)
