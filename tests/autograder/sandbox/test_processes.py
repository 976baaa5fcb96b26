"""Finding, stopping and killing a sandbox's processes from the trusted side (Linux)."""
import os
import signal
import sys
import time

import pytest

from autograder.checks import timing
from autograder.sandbox import processes

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def spawn_tree():
    """A 'worker' (own session) with a busy child that left for a session of its own and a
    grandchild; returns the worker's pid. Everything dies with the worker's group or by pid."""
    worker = os.fork()
    if worker == 0:
        try:  # never back into pytest from a forked copy
            os.setsid()
            if os.fork() == 0:
                os.setsid()  # leaves the worker's session, stays its descendant
                if os.fork() == 0:
                    while True:
                        pass
                while True:
                    pass
            while True:
                time.sleep(1)
        finally:
            os._exit(0)
    return worker


def wait_for(predicate, timeout_s=5.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def tree():
    worker = spawn_tree()
    group = processes.Group(worker)
    assert wait_for(lambda: len(group.others()) == 2)
    yield group
    for pid in [worker] + list(group.others()):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    os.waitpid(worker, 0)


def test_cpu_clock_of_a_process_counts_its_work():
    before = processes.cpu_ns(os.getpid())
    sum(i * i for i in range(300000))
    assert processes.cpu_ns(os.getpid()) - before > 1e6
    assert processes.cpu_ns(2**22 + 12345) is None  # no such process


def test_descendants_that_left_the_session_are_found(tree):
    members = tree.members()
    assert tree.worker in members and len(members) == 3
    assert all(p.uids[0] == os.getuid() for p in members.values())


def test_stop_freezes_every_process_and_resume_lets_them_run(tree):
    stopped, killed = processes.stop(tree)
    assert stopped == set(tree.members()) and not killed
    assert all(p.state in ("T", "t") for p in tree.members().values())
    busy = list(tree.others())
    clocks = [processes.cpu_ns(pid) for pid in busy]
    time.sleep(0.1)
    # still (busy loops would have run 100 ms); microseconds are a stop finishing late
    assert not processes.moved(dict(zip(busy, clocks)), at_least_ns=timing.RAN_NS)
    processes.resume(stopped)
    assert wait_for(lambda: all(processes.cpu_ns(pid) > c for pid, c in zip(busy, clocks)))


def test_a_process_that_finishes_stopping_late_is_not_killed(tree, monkeypatch):
    """On a busy machine a process can show 'T' and still run for a few ms before it
    leaves the CPU (preempted on its way to stopping; each thread stops on its own): its
    clock moves for a while, then stays. That is a stopped process, not one to kill
    (a worker killed this way failed a timing test of a correct submission)."""
    real = processes.cpu_ns
    late = {tree.worker: 5}  # reads of the worker's clock that still see it run

    def cpu_ns(pid):
        ns = real(pid)
        if ns is not None and late.get(pid, 0) > 0:
            late[pid] -= 1
            ns += 10**9 - late[pid] * 10**6  # each read a little later
        return ns

    monkeypatch.setattr(processes, "cpu_ns", cpu_ns)
    stopped, killed = processes.stop(tree)
    assert not killed and tree.worker in stopped and late[tree.worker] == 0
    assert processes.read(tree.worker).state in ("T", "t")
    processes.resume(stopped)


def test_kill_others_spares_the_worker(tree):
    killed, left = processes.kill_others(tree)
    assert len(killed) == 2
    assert wait_for(lambda: all(p.state in ("Z", "X") for p in tree.others().values()))
    assert processes.read(tree.worker).state not in ("T", "t", "Z")  # resumed, alive
    assert processes.kill_others(tree)[0] == set()  # nothing left to kill: one listing


def test_a_uid_group_is_every_process_of_that_uid():
    procs = processes.all_processes()
    mine = processes.Group(-1, uid=os.getuid()).members(procs)
    assert os.getpid() not in mine  # never ourselves
    assert all(os.getuid() in p.uids for p in mine.values())
    assert os.getppid() in mine


def test_a_process_whose_stop_is_swallowed_is_killed():
    """A tracer can swallow the SIGSTOP of the process it traces (PTRACE_CONT with no
    signal): stop() kills that process, or, when the tracer lets it go only afterwards,
    its CPU clock shows it ran (the timing check then kills it and times again)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    tracer = os.fork()
    if tracer == 0:
        try:
            traced = os.fork()
            if traced == 0:
                libc.ptrace(0, 0, None, None)  # PTRACE_TRACEME
                while True:
                    pass
            while True:  # continue the traced process after every stop, signal dropped
                pid, status = os.waitpid(traced, 0)
                if not os.WIFSTOPPED(status):
                    break
                libc.ptrace(7, traced, None, None)  # PTRACE_CONT, no signal
        finally:
            os._exit(0)
    group = processes.Group(tracer, exclude=frozenset([tracer]))  # the tracer keeps running
    try:
        assert wait_for(lambda: len(group.members()) == 1)
        (traced,) = group.members()
        stopped, killed = processes.stop(group, timeout_s=0.5)
        if not killed:  # its tracer let it go only after stop() looked: its clock tells
            still = processes.clocks(stopped)
            assert wait_for(lambda: traced in processes.moved(still))
        else:
            assert killed == {traced} and not stopped
            assert wait_for(lambda: processes.read(traced) is None or processes.read(traced).state in ("Z", "X"))
    finally:
        processes.kill(list(group.members()) + [tracer])
        os.waitpid(tracer, 0)


FORKS_LATER = ("import os, sys, time\n"
               "sys.stdin.readline()\n"  # forks once told: after the seal, however slow the machine
               "try:\n"
               "    os.fork() or os._exit(0)\n"
               "    print('forked')\n"
               "except OSError as exc:\n"
               "    print('refused', exc.errno)\n")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_NPROC by prlimit: Linux")
def test_a_sealed_process_can_start_no_other():
    """forbid_new works for a worker of a sandbox uid (as root, even without
    CAP_SYS_RESOURCE) and for one of our own uid (not root); root's own processes
    ignore the limit, so as root the test needs a sandbox uid."""
    import subprocess

    from autograder.sandbox.privileges import lease_identity

    identity = lease_identity()  # None unless root
    uid, gid = (identity.uid, identity.gid) if identity is not None else (None, None)
    kwargs = dict(user=uid, group=gid, extra_groups=[]) if identity is not None else {}
    try:
        proc = subprocess.Popen([sys.executable, "-c", FORKS_LATER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True, **kwargs)
        assert processes.forbid_new(proc.pid, uid, gid) == "sealed"
        out, _ = proc.communicate("go\n", timeout=60)
        assert out.split() == ["refused", "11"], out  # EAGAIN
    finally:
        if identity is not None:
            identity.release()


SLEEPING_THREAD = ("import threading, time\n"
                   "threading.Thread(target=threading.Event().wait, daemon=True).start()\n"
                   "print(threading.enumerate()[-1].native_id, flush=True)\n"
                   "time.sleep(600)\n")
HOG = ("import os, sys, time\n"
       "os.sched_setaffinity(0, {0})\n"
       "os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))\n"
       "print('hogging', flush=True)\n"
       "end = time.monotonic() + float(sys.argv[1])\n"
       "while time.monotonic() < end:\n"
       "    pass\n")


def test_stop_waits_for_every_thread_to_take_it():
    """A process is stopped when every thread is, not its first one only. A thread woken to
    take the stop can wait for a CPU (a busy machine; here a real-time hog holds its CPU for
    0.3 s) with its clock still, then run the stop and move the clock: stop() returned
    before that, and the timing check, seeing the clock move while the reference was timed,
    killed an honest torch worker (one sleeping thread, from importing torch)."""
    if len(os.sched_getaffinity(0)) < 2 or not {0, 1} <= os.sched_getaffinity(0):
        pytest.skip("needs CPUs 0 and 1")
    import subprocess

    proc = subprocess.Popen([sys.executable, "-c", SLEEPING_THREAD], stdout=subprocess.PIPE, text=True)
    hog = None
    try:
        thread = int(proc.stdout.readline())
        os.sched_setaffinity(proc.pid, {1})
        os.sched_setaffinity(thread, {0})
        try:
            hog = subprocess.Popen([sys.executable, "-c", HOG, "0.3"], stdout=subprocess.PIPE, text=True)
            if hog.stdout.readline().strip() != "hogging":
                pytest.skip("no real-time scheduling here (needs CAP_SYS_NICE)")
            stopped, killed = processes.stop(processes.Group(proc.pid))
            assert stopped == {proc.pid} and not killed
            assert set(processes.thread_states(proc.pid)) <= {"T", "t"}, processes.thread_states(proc.pid)
            still = processes.clocks(stopped)
            hog.wait(timeout=30)  # the thread has its CPU back: a stopped one stays still
            time.sleep(0.1)
            # (the old stop() returned with the thread still to stop: the states above said
            # 'R', and its clock moved 17 us once it had its CPU back)
            assert not processes.moved(still, at_least_ns=timing.RAN_NS), {
                p: processes.cpu_ns(p) - ns for p, ns in still.items()}
        finally:
            if hog is not None and hog.poll() is None:
                hog.kill()
                hog.wait()
    finally:
        proc.kill()
        proc.wait()


def test_moved_can_ignore_a_few_microseconds():
    proc_clock = processes.cpu_ns(os.getpid())
    before = {os.getpid(): proc_clock}
    while processes.cpu_ns(os.getpid()) - proc_clock < 2_000_000:
        pass
    assert processes.moved(before) == {os.getpid()}
    assert processes.moved(before, at_least_ns=10**12) == set()
