"""The timing ratio tells a loop from vectorized code on the same machine in one run, and
the student's side cannot skew it: every timed run has inputs of its own and its output
is checked against the reference's, other processes of the student's are stopped while
the reference is timed and killed before the student is."""
import os

import numpy as np
import pytest

from autograder.checks import timing
from autograder.sandbox import Limits, Sandbox, processes

pytestmark = pytest.mark.serial  # loops must fail their ratios: see tests/support.variant_names

FAST = "import numpy as np\ndef work(n):\n    return float(np.arange(n).sum())\n"
# N keeps numpy's array (80 KB) under malloc's mmap threshold: at 20,000 a run's arange was
# sometimes a fresh mmap with its page faults (16 or 160 us a run, by the worker's malloc
# state), and the loop's ratio fell to 4.6 on CI
N = 10000
SLOW = "def work(n):\n    total = 0.0\n    for i in range(n):\n        total += i\n    return total\n"


def work_timing(n):
    """A timing probe: each run sums a range of its own length."""
    import numpy as np

    import m

    def run(seed):
        return np.array([m.work(n + seed % 1000)], dtype=float)

    return run


def sandbox_with(folder, source):
    folder.mkdir()
    (folder / "m.py").write_text(source)
    os.chmod(folder, 0o755)
    os.chmod(folder / "m.py", 0o644)
    return Sandbox(str(folder), Limits(), student_files=["m.py"])


@pytest.fixture
def boxes(open_tmp):
    made = []

    def make(name, source):
        made.append(sandbox_with(open_tmp / name, source))
        return made[-1]

    yield make
    for b in made:
        b.close()


def test_a_python_loop_is_many_times_slower(boxes):
    result = timing.measure(boxes("slow", SLOW), boxes("fast", FAST), work_timing, N, limit=5, trials=3)
    assert result.ratio > 5, result


def test_same_code_has_a_ratio_near_one(boxes):
    result = timing.measure(boxes("fast2", FAST), boxes("fast", FAST), work_timing, N, limit=5, trials=3)
    assert 0.3 < result.ratio < 3
    assert result.notes == []


ARRAY_FAST = ("import numpy as np\n"
              "def work(U, c):\n    return U @ c, np.outer(U @ c, c)\n")
# a loop over the rows, as a student who loops over the batch writes it: both results row by row
ARRAY_LOOP = ("import numpy as np\n"
              "def work(U, c):\n    s = np.array([U[i] @ c for i in range(len(U))])\n"
              "    return s, np.array([s[i] * c for i in range(len(U))])\n")


def array_timing(U, centers):
    """U is sent once per request; each run takes a center of its own."""
    import numpy as np

    import m

    def run(seed):
        c = centers[seed % len(centers)] * (1 + (seed // len(centers)) % 1000 / 1000)
        s, outer = m.work(U, c)
        return np.concatenate((s[:5], outer[seed % len(U)]))

    return run


def test_large_arrays_do_not_hide_a_loop(boxes):
    """Sending a (5000, 50) array costs more than one vectorized call; the check must
    still see that a loop over the rows is many times slower."""
    fast, slow = boxes("af", ARRAY_FAST), boxes("al", ARRAY_LOOP)
    rng = np.random.default_rng(0)
    U, centers = rng.standard_normal((5000, 50)), rng.standard_normal((16, 50))
    assert timing.measure(slow, fast, array_timing, U, centers, limit=5, trials=3).ratio > 5
    assert timing.measure(fast, fast, array_timing, U, centers, limit=5, trials=3).ratio < 3


def test_a_failing_ratio_is_measured_again_and_the_best_kept(monkeypatch):
    ratios = iter([9.0, 1.2])
    monkeypatch.setattr(timing._Timer, "measure_once", lambda *a, **k: timing.Timing(next(ratios), 1, 1, 1))
    assert timing.measure(None, None, work_timing, limit=5).ratio == 1.2
    always_slow = iter([9.0, 8.0, 10.0, 1.0])
    monkeypatch.setattr(timing._Timer, "measure_once",
                        lambda *a, **k: timing.Timing(next(always_slow), 1, 1, 1))
    assert timing.measure(None, None, work_timing, limit=5, confirm=2).ratio == 8.0


# ----- what a student's process could do to skew it ------------------------------------
MEMO_BY_IDENTITY = ARRAY_LOOP + (
    "_slow, _memo = work, {}\n"
    "def work(U, c):\n"
    "    # the runs of one request share the array U: answer all but the first from memory\n"
    "    if id(U) not in _memo:\n"
    "        _memo[id(U)] = _slow(U, c)\n"
    "    return _memo[id(U)]\n")


def test_runs_answered_from_memory_fail(boxes):
    rng = np.random.default_rng(1)
    U, centers = rng.standard_normal((5000, 50)), rng.standard_normal((16, 50))
    with pytest.raises(AssertionError, match=r"in timed run \d+ of \d+, s\[\d\] was .*none may be skipped"):
        timing.measure(boxes("memo", MEMO_BY_IDENTITY), boxes("fast", ARRAY_FAST), array_timing, U, centers,
                       limit=5, trials=3, what="work(U, c)", parts=[("s", 5), ("outer", 50)])


PATCHED_WORKER = SLOW + '''
import sys
_worker = sys.modules.get("_nlpgrade_worker")
if _worker is not None:
    _handle = _worker.Worker.handle

    def handle(self, req):
        """Run a timed request's first seed only and copy its output for the others."""
        seeds = req.get("seeds") or []
        if req.get("op") != "timed" or len(seeds) < 2:
            return _handle(self, req)
        reply = _handle(self, dict(req, seeds=seeds[:1]))
        if reply.get("ok"):
            reply["value"] = [reply["value"][0]] * len(seeds)
        return reply

    _worker.Worker.handle = handle
'''


def test_a_worker_that_skips_runs_fails(boxes):
    with pytest.raises(AssertionError, match=r"none may be skipped"):
        timing.measure(boxes("patched", PATCHED_WORKER), boxes("fast", FAST), work_timing, N, limit=5,
                       trials=3, what="work(n)")


# 12 sums a run: about 9x the reference's one (a run's fixed cost dilutes the 12), clear of
# both the limit of 5 and the wall-clock cap at 15x (10 sums measured 7.4x)
TEN_TIMES = ("import numpy as np\ndef work(n):\n    for _ in range(12):\n"
             "        total = float(np.arange(n).sum())\n    return total\n")
SLOW_SMALL_REQUESTS = TEN_TIMES + '''
import sys, time
_worker = sys.modules.get("_nlpgrade_worker")
if _worker is not None:
    _handle = _worker.Worker.handle

    def handle(self, req):
        """A one-run request costs more CPU than a many-run one: their difference, the
        runs' time in a naive check, comes out at zero or below."""
        if req.get("op") == "timed" and len(req.get("seeds") or []) == 1:
            started = time.process_time()
            while time.process_time() - started < 1.0:
                pass
        return _handle(self, req)

    _worker.Worker.handle = handle
'''


def test_slow_small_requests_do_not_hide_slow_runs(boxes):
    result = timing.measure(boxes("padded", SLOW_SMALL_REQUESTS), boxes("fast", FAST), work_timing, N,
                            limit=5, trials=3)
    assert not result.timed_out and result.ratio > 5


BUSY_HELPERS = FAST + '''
import os
for _ in range(3):  # busy processes in sessions of their own
    if os.fork() == 0:
        os.setsid()
        while True:
            pass
'''


def test_other_processes_are_killed_before_the_student_is_timed(boxes):
    student = boxes("busy", BUSY_HELPERS)
    result = timing.measure(student, boxes("fast", FAST), work_timing, N, limit=5, trials=3,
                            what="work(n)")
    assert result.ratio < 3
    assert any("ended 3 other processes" in n for n in result.notes), result.notes
    group = processes.Group(student.proc.pid, getattr(student.identity, "uid", None))
    assert not [p for p in group.others().values() if p.state not in ("Z", "X")]


def test_a_process_that_ran_while_the_reference_was_timed_is_killed(boxes, monkeypatch):
    """Should a process escape being stopped (as one whose tracer lets it go), its CPU
    clock shows that it ran: it is killed and the reference timed again."""
    student = boxes("busy", BUSY_HELPERS)
    student.prepare_timed(work_timing)  # importing m starts the helpers
    group = processes.Group(student.proc.pid, getattr(student.identity, "uid", None))
    helpers = {pid for pid, p in group.others().items() if p.state != "Z"}  # not an earlier test's zombies
    assert len(helpers) == 3, group.others()
    real_stop = processes.stop

    def let_go(g):  # as a tracer would: the helpers run on once stop() has looked
        stopped, killed = real_stop(g)
        processes.resume(helpers)
        return stopped, killed

    monkeypatch.setattr(processes, "stop", let_go)
    fast = boxes("fast", FAST)
    timer = timing._Timer(student, fast, work_timing, (N,), {}, (), "work(n)", None, 1e-5, 1e-7)
    timer.on_reference(timing.fresh(5))
    assert timer.killed == helpers
    assert not [p for p in group.others().values() if p.state not in ("Z", "X")]


def test_a_worker_that_would_not_stay_stopped_fails_saying_so(boxes, monkeypatch):
    """Should the worker itself escape its stop (traced by a process of the student's), it
    is killed: the check says so, not "killed, most often over the memory limit" from the
    next request, and the sandbox starts a fresh worker for the next test."""
    student, fast = boxes("traced", FAST), boxes("fast", FAST)
    student.prepare_timed(work_timing)
    real_stop = processes.stop

    def escapes(g):  # as stop() does with a process that will not stay stopped
        stopped, killed = real_stop(g)
        processes.kill([g.worker])
        return stopped - {g.worker}, killed | {g.worker}

    monkeypatch.setattr(processes, "stop", escapes)
    with pytest.raises(AssertionError, match="did not stay stopped while the grader timed the reference"):
        timing.measure(student, fast, work_timing, N, limit=5, trials=3, what="work(n)")
    monkeypatch.setattr(processes, "stop", real_stop)
    assert student.proc is None
    assert student.call("m", "work", 10) == 45.0


def test_a_few_microseconds_of_a_stopped_process_are_not_running(boxes, monkeypatch):
    """A stopped thread leaving the CPU late (preempted just after taking its stop) moves its
    clock by microseconds: not a process that ran while the reference was timed."""
    student = boxes("still", FAST)
    student.prepare_timed(work_timing)
    real_stop, real_clocks = processes.stop, processes.clocks
    stopped_at = []

    def stop(g):
        stopped_at.append(real_clocks(real_stop(g)[0]))
        return set(stopped_at[-1]), set()

    def clocks(pids):  # read right after stop(): as if each had 20 us still to run
        if not stopped_at:  # stop() itself
            return real_clocks(pids)
        return {p: ns - 20_000 for p, ns in stopped_at.pop().items()}

    monkeypatch.setattr(processes, "stop", stop)
    monkeypatch.setattr(processes, "clocks", clocks)
    timer = timing._Timer(student, boxes("fast", FAST), work_timing, (N,), {}, (), "work(n)", None, 1e-5, 1e-7)
    timer.on_reference(timing.fresh(5))
    assert not timer.killed and student.proc is not None
    assert student.call("m", "work", 10) == 45.0


FORKS_WHILE_TIMED = FAST + '''
import os
_fast = work
def work(n):
    if os.fork() == 0:
        os._exit(0)
    return _fast(n)
'''


def test_a_process_started_while_timed_voids_the_measurement(boxes):
    with pytest.raises(AssertionError, match="(started other processes|tried to start a process or thread) "
                                             "while it was timed"):
        timing.measure(boxes("forks", FORKS_WHILE_TIMED), boxes("fast", FAST), work_timing, 2000, limit=5,
                       trials=3, what="work(n)")


# The slow loop run in a child that the kernel reaps by itself: its CPU time would be in
# neither the worker's clock nor its children's, and it is gone before any listing.
AUTOREAPED = SLOW + '''
import os, signal
_slow = work
def work(n):
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    r, w = os.pipe()
    if os.fork() == 0:
        os.write(w, repr(_slow(n)).encode())
        os._exit(0)
    os.close(w)
    with os.fdopen(r) as f:
        return float(f.read())
'''
THREADED = FAST + '''
import threading

_fast = work
def work(n):
    out = []
    t = threading.Thread(target=lambda: out.append(_fast(n)))
    t.start()
    t.join()
    return out[0]
'''


@pytest.mark.parametrize("source", [AUTOREAPED, THREADED], ids=["autoreaped_child", "thread"])
def test_no_process_or_thread_starts_while_timed(boxes, source):
    student = boxes("spawns", source)
    assert student.call("m", "work", 100) == 4950.0  # untimed, it may
    with pytest.raises(AssertionError, match=r"work\(n\): your code tried to start a process or thread "
                                             "while it was timed"):
        timing.measure(student, boxes("fast", FAST), work_timing, N, limit=5, trials=3, what="work(n)")
    assert student.call("m", "work", 100) == 4950.0  # a fresh worker serves the next call


WRONG = "def work(n):\n    return float(n)\n"


def test_wrong_values_fail_with_the_run_and_the_numbers(boxes):
    with pytest.raises(AssertionError, match=r"work\(n\): in timed run 1 of 2, the result was [\d.e+]+; "
                                             r"the reference's on the same inputs is [\d.e+]+"):
        timing.measure(boxes("wrong", WRONG), boxes("fast", FAST), work_timing, N, limit=5,
                       what="work(n)", parts=[("the result", 1)])


HANGS = "import time\ndef work(n):\n    time.sleep(0.2)\n    return float(sum(range(n)))\n"


def test_a_run_cut_off_says_more_than_and_when(boxes):
    result = timing.measure(boxes("hangs", HANGS), boxes("fast", FAST), work_timing, N, limit=5, trials=2)
    assert result.timed_out and result.student_s is None
    text = result.slower_text()
    assert text.startswith(f"more than {int(result.ratio)} times as long as the reference (stopped after")
    assert "ms" not in text  # no seconds that were not measured


def test_cpu_time_ignores_a_busy_machine(boxes):
    """The same code, with this machine's cores kept busy by others: the ratio holds."""
    burners = []
    for _ in range(os.cpu_count() or 1):
        pid = os.fork()
        if pid == 0:
            while True:
                pass
        burners.append(pid)
    try:
        result = timing.measure(boxes("fast2", FAST), boxes("fast", FAST), work_timing, N, limit=5,
                                trials=3)
    finally:
        for pid in burners:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
    assert result.clock == "cpu"
    assert 1 / 3 < result.ratio < 3  # every core busy: caches and memory are shared too
