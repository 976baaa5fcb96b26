"""The worker's memory limit: what its processes really hold, watched from our side.

An address-space limit (RLIMIT_AS) is not a memory limit for torch or numpy: importing
torch reserves 0.6-0.8 GB of address space that is never touched, while 150 MB of it
is resident. So the limit (Limits.memory_mb) is on resident memory, anonymous and shared
(RssAnon + RssShmem; files mapped from disk are page cache, shared with the grader), of
the worker and its child processes, sampled every WATCH_S by a thread here; over the
limit, the worker's process group is killed and the failure names the limit.

Two backstops for what sampling can miss: the address space is still capped, well above
the memory limit (address_space_mb: an absurd allocation fails at once with
MemoryError), and the worker's oom_score_adj is set to the maximum, so that when the
container itself runs out (Gradescope: 768 MB for everything) the kernel kills the
student's worker first, never the grader that must write results.json.
"""
import os
import re
import signal
import threading

WATCH_S = 0.1
MB = 2**20
ADDRESS_SPACE_EXTRA_MB = 2048  # torch's untouched reservations, thread stacks, arenas

_RSS = re.compile(rb"^(?:RssAnon|RssShmem):\s+(\d+) kB", re.M)
_PSS = re.compile(rb"^(?:Pss_Anon|Pss_Shmem):\s+(\d+) kB", re.M)


def address_space_mb(memory_mb):
    """The worker's RLIMIT_AS for a memory limit of `memory_mb` (a backstop)."""
    return memory_mb + ADDRESS_SPACE_EXTRA_MB


def oom_first(pid):
    """Make `pid` (and the processes it starts) the kernel's first choice when memory
    runs out. Raising a score needs no privilege; best effort."""
    try:
        with open(f"/proc/{pid}/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:
        pass


def _children(pid):
    out = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                out.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            pass
    return out


def _tree(pid):
    """`pid` and its living descendants."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p in found:
            continue
        found.append(p)
        todo.extend(_children(p))
    return found


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def resident_bytes(pid):
    """Anonymous and shared memory resident in `pid` and its descendants (bytes).

    One process: its RssAnon + RssShmem (cheap). Several: each one's proportional share
    (Pss_Anon + Pss_Shmem of smaps_rollup), since a forked child shares its parent's
    pages until it writes them: summing their RSS would count a 100 MB worker forked ten
    times as 1 GB, and a fork that the process limit refuses would read as memory."""
    pids = _tree(pid)
    total = 0
    for p in pids:
        text = _read(f"/proc/{p}/smaps_rollup") if len(pids) > 1 else None
        found = _PSS.findall(text) if text else []
        if len(found) < 2:  # one process, or a kernel without Pss_Anon (before 5.7)
            text = _read(f"/proc/{p}/status")
            found = _RSS.findall(text) if text else []
        total += sum(int(kb) for kb in found) * 1024
    return total


class Watch:
    """Kills the process group of `pid` once its tree holds more than `limit_mb`.
    `over_mb` is then what it held when it was stopped (else None)."""

    def __init__(self, pid, limit_mb):
        self.pid, self.limit = pid, limit_mb * MB
        self.over_mb = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(WATCH_S):
            held = resident_bytes(self.pid)
            if held == 0:      # gone (or not readable: nothing to watch)
                return
            if held > self.limit:
                self.over_mb = held / MB
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except OSError:
                    pass
                return

    def stop(self):
        self._stop.set()
        self._thread.join()
