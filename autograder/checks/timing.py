"""Timing checks: the student's time over the reference's time, never absolute seconds.

What is timed. A timing probe returns a function of a seed, `run(seed)`, which draws
fresh inputs from the seed, calls the function under test once and returns a compact
fingerprint of its result (a 1-D array of numbers). Every timed request sends new
seeds, drawn here; the worker runs `run` once per seed (worker.timed_runs). The reference
is timed on the seeds first, then the student on the same seeds, and every output of the
student must equal the reference's for its seed: a run skipped, or answered from an
earlier one, fails the check, as does a function whose values are wrong.

What is measured. CPU time of the worker process (all its threads), read here from the
kernel: a busy machine that delays a worker does not count. Wall time where the platform
has no per-process CPU clock (not Linux).

Who else runs. Nothing of the student's: while the reference is timed every process of
the student's sandbox is stopped (its worker too); before the student is timed all of
them but the worker are killed (the check reports it), and any process of the sandbox
that appears while it is timed, or a child whose CPU time the worker collected, voids
the measurement (see sandbox/processes.py). While the student is timed its worker may
start no process or thread at all (processes.forbid_new: a child the kernel reaps by
itself would take its CPU time and its trace with it).

Fixed costs. A request also pays for sending the inputs and building what every run
shares, which can dwarf one run. So the reference is timed at 1 and at 1 + repeat runs
per request, and the difference of the minima over trials (the repeat runs alone) is
compared with the student's 1 + repeat runs less the same 1-run time of the reference:
a student's code that made its own small requests slow on purpose gains nothing. (With
wall time, less its own 1-run time instead: the trusted side's work around a request,
more for the student's sandbox, would count otherwise.) Trials alternate between the two
sides, so load slows both alike.
"""
import math
import os
import random
from dataclasses import dataclass, field

import numpy as np

from ..describe import describe
from ..sandbox import StudentException, StudentTimeout, SubmissionError
from ..sandbox import processes

CLEARLY = 3  # a ratio this many times over the limit is not noise: no need to look again
MAX_RUNS = 10000  # runs in one timed request
REFERENCE_TIMEOUT_S = 60  # the reference is slow only on a machine that is very busy
# A stopped process whose clock moved less than this while the reference was timed did
# not run the student's code: a thread leaving the CPU after its stop (preempted just
# then on a busy machine) accrues microseconds. Less than 2% of a timed request.
RAN_NS = 1_000_000
CAP_FLOOR_S = 5.0  # the least wall time a student's timed request is given (see measure_once)
_SEEDS = random.SystemRandom()  # seeds the student's process cannot predict


@dataclass
class Timing:
    ratio: float
    student_s: float    # seconds for `repeat` runs (None when the student's run was stopped)
    reference_s: float
    repeat: int
    timed_out: bool = False
    stopped_after_s: float = None  # the cap at which the student's request was stopped
    clock: str = "cpu"             # what was measured: "cpu" or "wall"
    notes: list = field(default_factory=list)  # for the student, pass or fail

    def slower_text(self):
        """How long the student's code took, to follow "took", with seconds only where
        they were measured: "7.2 times as long as the reference (3.10 ms against 0.43 ms
        a call)", or "more than 33 times as long as the reference (stopped after 2.0 s)"."""
        if self.timed_out:
            return (f"more than {math.floor(self.ratio):g} times as long as the reference "
                    f"(stopped after {self.stopped_after_s:.1f} s)")
        return (f"{self.ratio:.1f} times as long as the reference ({_ms(self.student_s / self.repeat)} "
                f"against {_ms(self.reference_s / self.repeat)} a call)")


def _ms(seconds):
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def measure(student, reference, probe, *args, limit, what=None, parts=None, trials=5, target_s=0.05,
            confirm=2, helpers=(), rtol=1e-5, atol=1e-7, **kwargs):
    """Time the timing probe `probe(*args, **kwargs)` in both sandboxes; `limit` is the
    ratio that fails. `what` names the call for the student; `parts` [(name, size)]
    names the numbers of the probe's fingerprint, in order, for messages.

    A ratio over the limit is measured again (up to `confirm` times) and the best kept:
    a burst of load on a shared machine passes, a slow implementation stays slow.
    Raises AssertionError (the student's failure) when an output differs from the
    reference's or the student's code ran other processes while timed.
    """
    timer = _Timer(student, reference, probe, args, kwargs, helpers, what or probe.__name__,
                   parts, rtol, atol)
    result = timer.measure_once(limit, trials, target_s)
    for _ in range(confirm):
        if result.ratio <= limit or result.ratio > CLEARLY * limit or result.timed_out:
            break  # passed, or far too slow for noise to explain
        again = timer.measure_once(limit, trials, target_s)
        result = min(result, again, key=lambda r: r.ratio)
    result.notes = timer.notes()
    return result


class _Timer:
    def __init__(self, student, reference, probe, args, kwargs, helpers, what, parts, rtol, atol):
        self.student, self.reference = student, reference
        self.probe, self.args, self.kwargs, self.helpers = probe, args, kwargs, helpers
        self.what, self.parts, self.rtol, self.atol = what, parts, rtol, atol
        self.killed = set()
        self.clock = "cpu" if processes.cpu_ns(os.getpid()) is not None else "wall"

    # ----- the student's processes ------------------------------------------------------
    def group(self):
        identity = getattr(self.student, "identity", None)
        worker = self.student.proc.pid if self.student.proc is not None else -1
        exclude = frozenset([self.reference.proc.pid]) if self.reference.proc is not None else frozenset()
        return processes.Group(worker, getattr(identity, "uid", None), exclude)

    def notes(self):
        if not self.killed:
            return []
        n = len(self.killed)
        return [f"Before timing {self.what}, the grader ended {n} other process{'es' if n > 1 else ''} "
                "your code had started: only your function runs while it is timed."]

    def worker_survived(self, group, killed):
        """Fail the check, saying why, when the grader had to kill the worker itself (it
        would not stay stopped: traced by another process of the student's); its next
        request would otherwise read as a crash of the student's code."""
        if group.worker in killed:
            self.killed.discard(group.worker)
            self.student.kill()  # reaped: the next request starts a fresh worker
            raise AssertionError(
                f"{self.what}: the process running your code did not stay stopped while the grader timed "
                "the reference (is another process of yours tracing it, e.g. with ptrace?); the grader "
                "ended it, so your function cannot be timed. Time the function alone: no subprocesses, "
                "debuggers or tracers.")

    # ----- one timed request on each side ---------------------------------------------------
    def seconds(self, clock):
        # a worker gone right after its reply has no CPU clock left to read: its wall
        # time, never less than its CPU time, stands in
        return clock.cpu if self.clock == "cpu" and clock.cpu is not None else clock.wall

    def on_reference(self, seeds, attempts=3):
        from ..harness import ReferenceFailure

        for attempt in range(attempts):
            group = self.group()
            stopped, killed = processes.stop(group)
            self.killed |= killed
            self.worker_survived(group, killed)
            still = processes.clocks(stopped)
            try:
                outputs, clock = self.reference.timed_runs(
                    self.probe, *self.args, seeds=seeds, helpers=self.helpers, timeout=REFERENCE_TIMEOUT_S,
                    **self.kwargs)
            except SubmissionError as exc:
                raise ReferenceFailure(f"the reference failed: {exc}") from None
            finally:
                ran = processes.moved(still, RAN_NS)  # a student process that ran meanwhile: not counted
                processes.kill(ran)
                self.killed |= ran
                processes.resume(stopped - ran)
            self.worker_survived(group, ran)
            if not ran:
                break
        return outputs, self.seconds(clock), clock.wall

    def on_student(self, seeds, want, timeout):
        self.student.prepare_timed(self.probe, self.helpers)  # started, imports done: not timed
        group = self.group()
        killed, before = processes.kill_others(group)
        self.killed |= killed
        self.worker_survived(group, killed)
        try:
            outputs, clock = self.student.timed_runs(self.probe, *self.args, seeds=seeds, helpers=self.helpers,
                                                     timeout=timeout, what=self.what, **self.kwargs)
        except StudentException as exc:  # a fork or thread refused while timed (processes.forbid_new)
            if exc.type == "BlockingIOError" or "can't start new thread" in exc.message:
                raise AssertionError(
                    f"{self.what}: your code tried to start a process or thread while it was timed "
                    f"({exc.type}: {exc.message}); none may start then, so that only your function's own "
                    "time is measured. Time the function alone: no subprocesses, multiprocessing or "
                    "threads.") from None
            raise
        after = processes.Group(clock.pid, group.uid, group.exclude).others()
        new = sorted(set(after) - before)
        if new or (clock.children_cpu or 0) > 0:
            self.killed |= processes.kill_others(group)[0]
            raise AssertionError(
                f"{self.what}: your code started other processes while it was timed "
                f"({len(new) or 'some'} found), so its time cannot be measured. Time the function "
                "alone: no subprocesses, multiprocessing or background processes.")
        self.verify(outputs, want, seeds)
        return self.seconds(clock)

    def verify(self, got, want, seeds):
        """Every run's output must be the reference's for the same seed."""
        want = np.asarray(want, dtype=float)
        n = len(seeds)
        try:
            arr = np.asarray(got, dtype=float)
        except (TypeError, ValueError, ArithmeticError):  # ArithmeticError: an int too big for a float
            arr = None
        again = ("Each timed run gets inputs of its own and must compute its own result: none may be "
                 "skipped or answered from an earlier run.")
        if arr is None or arr.shape != want.shape:
            raise AssertionError(f"{self.what}: the timed runs sent back {describe(got)}; wanted one result "
                                 f"of {want.shape[1]} numbers for each of the {n} runs. {again}")
        close = np.isclose(arr, want, rtol=self.rtol, atol=self.atol, equal_nan=True)
        if not close.all():
            i, j = (int(k) for k in np.argwhere(~close)[0])
            raise AssertionError(
                f"{self.what}: in timed run {i + 1} of {n}, {self.name_of(j)} was {arr[i, j]:.8g}; "
                f"the reference's on the same inputs is {want[i, j]:.8g}. {again} If your function's "
                "values are wrong, the tests that compare them with the reference's say where.")

    def name_of(self, column):
        for name, size in self.parts or ():
            if column < size:
                return name if size == 1 else f"{name}[{column}]"
            column -= size
        return f"number {column} of its result"

    # ----- one measurement ---------------------------------------------------------------------
    def runs_for(self, target_s):
        """How many runs of the reference take about `target_s` beyond a request's fixed
        cost. The count grows until the runs clearly outweigh the noise: too few and the
        difference of two noisy times is all noise, too many and a request runs for long."""
        base = min(self.on_reference(fresh(1))[1] for _ in range(3))
        n = 10
        while True:
            spent = min(self.on_reference(fresh(1 + n))[1] for _ in range(3)) - base
            if spent >= target_s / 5 or n >= MAX_RUNS:
                break
            n = min(MAX_RUNS, 4 * n)
        return max(1, min(MAX_RUNS, int(target_s * n / max(spent, 1e-9))))

    def measure_once(self, limit, trials, target_s):
        warm = fresh(2)  # first calls pay for imports and caches: not timed, but checked
        want, _, _ = self.on_reference(warm)
        self.on_student(warm, want, None)
        repeat = self.runs_for(target_s)
        # CPU time: the student's runs are its (1 + repeat)-run request less the reference's
        # 1-run request, so no fixed cost the student's code adds to small requests can be
        # subtracted from its time (its own fixed costs, the same work, count in full).
        # Wall time (no CPU clock): less the student's own 1-run request, as both sides pay
        # costs on this side that do not concern the runs.
        own_base = self.clock != "cpu"
        ref_1 = ref_n = st_1 = st_n = ref_n_wall = float("inf")
        for trial in range(trials):
            one, many = fresh(1), fresh(1 + repeat)
            want_1, t, _ = self.on_reference(one)
            ref_1 = min(ref_1, t)
            want_n, t, wall = self.on_reference(many)
            ref_n, ref_n_wall = min(ref_n, t), min(ref_n_wall, wall)
            # a student request longer than this cannot pass; cut at once, not measured again,
            # so its floor is far above any stall of an honest request on a busy machine
            cap = max(CAP_FLOOR_S, 3 * limit * ref_n_wall)
            try:
                if own_base:
                    st_1 = min(st_1, self.on_student(one, want_1, cap))
                st_n = min(st_n, self.on_student(many, want_n, cap))
            except StudentTimeout:
                return Timing(cap / ref_n_wall, None, max(ref_n - ref_1, 1e-9), repeat, timed_out=True,
                              stopped_after_s=cap, clock=self.clock)
            student_s = st_n - (st_1 if own_base else ref_1)
            if trial >= 1 and student_s > CLEARLY * limit * max(ref_n - ref_1, 1e-9):
                break  # even its best of two runs is far over the limit
        ref_s = max(ref_n - ref_1, 1e-9)
        student_s = max(st_n - (st_1 if own_base else ref_1), 0.0)
        return Timing(student_s / ref_s, student_s, ref_s, repeat, clock=self.clock)


def fresh(n):
    """n new seeds, unknown to the student's process until it is asked to run them."""
    return [_SEEDS.randrange(2**53) for _ in range(n)]
