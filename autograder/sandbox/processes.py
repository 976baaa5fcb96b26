"""The student's processes, seen from the trusted side: find them, read their CPU clocks,
stop and resume them, kill all but the worker. Used by the timing checks, so that no
student process but the timed worker runs while either side is timed.

Linux (/proc and per-process CPU clocks). Elsewhere no process is found and `cpu_ns`
is None: timing falls back to wall-clock time, without these guarantees.

Which processes are the student's: with a sandbox uid of its own (root), every process
whose real, effective or saved uid is that uid, wherever it sits in the process tree
(zombies included). Without one (not root: the student's own machine) a best effort:
the worker's descendants, its session and process group.
"""
import os
import signal
import time
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_CPUCLOCK_SCHED = 2  # the kernel's per-process CPU clock: all threads, living and exited
STILL_S = 0.002      # how long a stopped process is watched for staying stopped


def cpu_ns(pid):
    """CPU time (user + system, every thread) the process `pid` has used, in ns; None
    where the platform cannot say (the clock id is Linux's MAKE_PROCESS_CPUCLOCK)."""
    try:
        return time.clock_gettime_ns(((~pid) << 3) | _CPUCLOCK_SCHED)
    except (OSError, AttributeError, OverflowError):
        return None


@dataclass(frozen=True)
class Proc:
    pid: int
    state: str   # R, S, D, T, t, Z, X...
    ppid: int
    pgid: int
    sid: int
    uids: tuple  # real, effective, saved


def read(pid):
    """The Proc of `pid`, or None when it is gone. One file, read raw: listing every
    process is a cost of each timed request."""
    try:
        fd = os.open(f"/proc/{pid}/status", os.O_RDONLY)
    except OSError:
        return None
    try:
        status = os.read(fd, 16384)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        return Proc(pid, _field(status, b"State")[0].decode(), int(_field(status, b"PPid")[0]),
                    int(_field(status, b"NSpgid")[0]), int(_field(status, b"NSsid")[0]),
                    tuple(int(x) for x in _field(status, b"Uid")[:3]))
    except (IndexError, ValueError, UnicodeDecodeError):
        return None


def _field(status, key):
    start = status.find(b"\n" + key + b":")
    if start < 0:
        return []
    start += len(key) + 2
    return status[start:status.find(b"\n", start)].split()


def children_cpu_ns(pid):
    """CPU time of the children that `pid` has waited for (they count there once
    reaped), in ns (clock-tick resolution); None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().decode("ascii", "replace").rsplit(")", 1)[1].split()
        return (int(fields[13]) + int(fields[14])) * 10**9 // _TICKS
    except (OSError, IndexError, ValueError):
        return None


def all_processes():
    """{pid: Proc} of every process this side can see."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return {}
    procs = {}
    for name in names:
        if name.isdigit():
            p = read(int(name))
            if p is not None:
                procs[p.pid] = p
    return procs


@dataclass(frozen=True)
class Group:
    """How to find one sandbox's processes: its worker, its own uid (None when it has
    none), and pids never to touch (the other side's worker, ourselves)."""
    worker: int
    uid: int = None
    exclude: frozenset = frozenset()

    def members(self, procs=None):
        """{pid: Proc} of the group's processes, the worker included when alive."""
        procs = all_processes() if procs is None else procs
        skip = self.exclude | {os.getpid()}
        if self.uid is not None:
            return {pid: p for pid, p in procs.items() if self.uid in p.uids and pid not in skip}
        found = {pid: p for pid, p in procs.items()
                 if pid == self.worker or p.sid == self.worker or p.pgid == self.worker}
        grew = True
        while grew:  # descendants, including those that left the session (setsid)
            grew = False
            for pid, p in procs.items():
                if pid not in found and p.ppid in found:
                    found[pid] = p
                    grew = True
        return {pid: p for pid, p in found.items() if pid not in skip}

    def others(self, procs=None):
        """The group's processes other than the worker, zombies included."""
        return {pid: p for pid, p in self.members(procs).items() if pid != self.worker}


def _signal(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def thread_states(pid):
    """The state letter of each thread of `pid` ([] when it is gone). The process's own
    state is its first thread's only: the others take a group stop one by one."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    states = []
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat", "rb") as f:
                states.append(f.read().rsplit(b")", 1)[1].split()[0].decode())
        except (OSError, IndexError, UnicodeDecodeError):
            pass  # that thread has exited
    return states


def _settle(pids, states, timeout_s):
    """Wait (briefly) until every pid is gone or has every thread in one of `states`."""
    deadline = time.monotonic() + timeout_s
    pending = set(pids)
    while pending and time.monotonic() < deadline:
        for pid in list(pending):
            if all(s in states for s in thread_states(pid)):
                pending.discard(pid)
        if pending:
            time.sleep(0.0005)
    return pending


def stop(group, rounds=100, timeout_s=5.0):
    """SIGSTOP every process of the group, the worker included, until no new one
    appears (a stopped process cannot fork). Returns (the pids stopped, for `resume`;
    the pids that would not stop and were killed instead: a tracer can swallow the
    SIGSTOP of a process it traces, never a SIGKILL: killed is what still runs after
    `timeout_s`). `timeout_s` is generous: only a process that will not stop waits it
    out, and a thread in a long disk wait on a busy machine takes its stop late."""
    stopped = set()
    for _ in range(rounds):
        fresh = set(group.members()) - stopped
        if not fresh:
            break
        _signal(fresh, signal.SIGSTOP)
        stopped |= fresh
    # every thread, not the first only: a thread woken to take the stop can wait for a
    # CPU (a busy machine) with its clock still, then run the stop and move the clock;
    # seen as "ran while the reference was timed", that killed an honest torch worker
    _settle(stopped, ("T", "t", "Z", "X"), timeout_s)
    # stopped is what stays still: a traced process shows 't' for the moment before its
    # tracer lets it go again, and its CPU clock gives it away; a thread still unstopped
    # but still (a long disk wait on a busy machine) runs no code: it stops when it wakes
    running = _moving(stopped, timeout_s)
    if running:
        _signal(running, signal.SIGKILL)
        _settle(running, ("Z", "X"), timeout_s)
    return stopped - running, running


def _moving(pids, timeout_s):
    """The pids whose CPU clock still advances after `timeout_s` of watching.

    A process shows 'T' as soon as it takes its stop, before it leaves the CPU; on a busy
    machine it can be preempted just then and finish stopping milliseconds later (and
    each of its threads stops on its own). So a clock that moved is watched again until
    it stays still for STILL_S: only one that keeps moving (a tracer letting it go
    again and again) is running."""
    deadline = time.monotonic() + timeout_s
    pending = set(pids)
    while pending:
        before = clocks(pending)
        time.sleep(STILL_S)
        pending = moved(before)
        if time.monotonic() >= deadline:
            break
    return pending


def clocks(pids):
    """{pid: CPU clock in ns} of the pids that have one."""
    found = {pid: cpu_ns(pid) for pid in pids}
    return {pid: ns for pid, ns in found.items() if ns is not None}


def moved(before, at_least_ns=0):
    """The pids whose CPU clock advanced since `before` (see `clocks`) by more than
    `at_least_ns`: they ran."""
    return {pid for pid, ns in before.items() if (cpu_ns(pid) or ns) - ns > at_least_ns}


def resume(pids):
    _signal(pids, signal.SIGCONT)


def kill(pids):
    _signal(pids, signal.SIGKILL)


def forbid_new(pid, uid=None, gid=None):
    """Let the process `pid` never again start a process or thread: its RLIMIT_NPROC,
    soft and hard, goes to 0 (the kernel checks it at every fork and clone; its children
    inherit it). It cannot be raised again without CAP_SYS_RESOURCE, so a worker sealed
    this way is replaced before it serves anything but timed requests (Sandbox).

    Why: a child that the kernel reaps by itself (SIGCHLD ignored) takes its CPU time
    with it, in neither the worker's clock nor its children's, and is gone before any
    listing. `uid`/`gid`: the worker's own, when it runs as a sandbox user. Without
    CAP_SYS_RESOURCE (a container's root) only that user may change its limits: a child
    of ours becomes it for the call. Root's own processes ignore the limit.

    Returns "sealed"; "unavailable" where it cannot be done (not Linux, not ours: the
    other safeguards of timing.py remain); "killed" when the child that was to do it
    died of a signal (only the sandbox user, that is the student's code, could send it)."""
    try:
        import resource

        resource.prlimit(pid, resource.RLIMIT_NPROC, (0, 0))
        return "sealed"
    except ProcessLookupError:
        return "unavailable"
    except PermissionError:
        if uid is None or os.geteuid() != 0:
            return "unavailable"
    except (ImportError, AttributeError, OSError, ValueError):
        return "unavailable"
    child = os.fork()
    if child == 0:  # only system calls here: the parent may have other threads
        code = 1
        try:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            resource.prlimit(pid, resource.RLIMIT_NPROC, (0, 0))
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    if os.WIFSIGNALED(status):
        return "killed"
    return "sealed" if os.WEXITSTATUS(status) == 0 else "unavailable"


def kill_others(group, rounds=100):
    """SIGKILL every process of the group but its worker. Returns (the pids killed, the
    pids of the group other than the worker still there: zombies that wait for their
    parent). One listing when there is nothing to kill, the usual case.

    With others there, everyone is stopped first (the worker too) so that none can fork
    while the others are killed; then the worker runs on. Those that became our children
    (we are a subreaper when root) are reaped."""
    others = group.others()
    if all(p.state in ("Z", "X") for p in others.values()):
        return set(), set(others)
    killed = set()
    try:
        for _ in range(rounds):
            killed |= stop(group)[1]
            victims = {pid for pid, p in group.others().items() if p.state not in ("Z", "X")}
            if not victims:
                break
            _signal(victims, signal.SIGKILL)
            killed |= victims
            _settle(victims, ("Z", "X"), 1.0)
    finally:
        resume([group.worker])
    me = os.getpid()
    for pid in killed:
        p = read(pid)
        if p is not None and p.ppid == me:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
    return killed, set(group.others())
