"""Run a process tree under Gradescope's resources, and say what it used.

Gradescope runs a grading in a container with a fixed memory cap (768 MB by default,
no swap) and a CPU quota (0.5 vCPU by default). `run` reproduces both with a Linux
cgroup made for the one run: v2 (memory.max, memory.swap.max, cpu.max; memory.peak,
memory.events' oom_kill) or v1 (memory.limit_in_bytes, memory.memsw.limit_in_bytes,
cpu.cfs_quota_us; memory.max_usage_in_bytes, memory.oom_control's oom_kill, cpuacct).
Making one needs root (or a delegated subtree) and a writable cgroup file system; where
neither is there, `run` enforces nothing, says so and why, and only measures: the
memory of the process tree by polling /proc, its CPU time from the rusage of waited
children.

Memory is reported two ways: the group's kernel-kept peak, page cache included (what
the container's limit is charged with; cache is dropped before anything is killed), and
the peak of the processes' own memory (anonymous and shared memory, sampled every
SAMPLE_S), which is what an out-of-memory kill is about.
"""
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from .sandbox import processes

SAMPLE_S = 0.05
MB = 2**20

GRADESCOPE_MEMORY_MB = 768   # Gradescope's default container: memory, no swap
GRADESCOPE_CPUS = 0.5        # its default CPU quota
GRADESCOPE_MINUTES = 10      # its default time limit for one run


class Unavailable(Exception):
    """No cgroup can be made here; the text says why."""


@dataclass
class Usage:
    """What one run used, under which limits."""
    memory_mb: int                 # the limit asked for
    cpus: float
    enforced: str = None           # "cgroup v2" / "cgroup v1", or None: only measured
    why_not: str = ""              # why the limits were not enforced
    wall_s: float = 0.0
    cpu_s: float = None            # CPU time of the whole tree (None: unknown)
    peak_mb: float = None          # the group's peak, page cache included (None: unknown)
    process_peak_mb: float = 0.0   # peak memory of the processes themselves (sampled)
    oom_kills: int = None          # processes the kernel killed over the limit (None: unknown)
    at_peak: list = None           # [(process, MB)] when the processes' memory peaked

    def lines(self):
        """What a person reads, one fact a line."""
        if self.enforced:
            head = (f"limits enforced with a {self.enforced}: {self.memory_mb} MB of memory "
                    f"(no swap), {self.cpus:g} CPU")
        else:
            head = (f"limits NOT enforced ({self.why_not}): measuring only; the run had this "
                    f"machine's memory and CPUs, not {self.memory_mb} MB and {self.cpus:g} CPU")
        out = [head,
               f"peak memory of the process tree: {self.process_peak_mb:.0f} MB "
               f"({100 * self.process_peak_mb / self.memory_mb:.0f}% of {self.memory_mb} MB)"]
        if self.peak_mb is not None:
            out.append(f"peak memory charged to the container, page cache included: "
                       f"{self.peak_mb:.0f} MB")
        if self.at_peak:
            out.append("at the peak: " + ", ".join(f"{who} {mb:.0f} MB" for who, mb in self.at_peak))
        cpu = "unknown" if self.cpu_s is None else f"{self.cpu_s:.1f} s"
        out.append(f"wall time {self.wall_s:.1f} s, CPU time {cpu}")
        if self.oom_kills:
            out.append(f"OUT OF MEMORY: the kernel killed {self.oom_kills} process(es) at the "
                       f"{self.memory_mb} MB limit; on Gradescope the same would happen")
        elif self.oom_kills is None and self.process_peak_mb > self.memory_mb:
            out.append(f"OVER THE LIMIT: the tree used more than {self.memory_mb} MB; on "
                       "Gradescope a process would have been killed")
        return out


# ----- cgroup file systems -------------------------------------------------------------
def _mounts():
    """[(root in the hierarchy, mount point, fs type, super options)] of cgroup mounts."""
    out = []
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                left, _, right = line.partition(" - ")
                fields, rfields = left.split(), right.split()
                if rfields and rfields[0] in ("cgroup", "cgroup2"):
                    out.append((fields[3], fields[4], rfields[0], rfields[2].split(",")))
    except OSError:
        pass
    return out


def _own_paths():
    """{controller or "" (v2): our cgroup path}, from /proc/self/cgroup."""
    out = {}
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                for c in controllers.split(",") if controllers else [""]:
                    out[c] = path
    except OSError:
        pass
    return out


def _under(mount_point, mount_root, path):
    """Our cgroup's folder in a mount whose root is `mount_root` in the hierarchy; a
    folder that is not a cgroup (no cgroup.procs) is Unavailable: never make folders
    anywhere else."""
    rel = os.path.relpath(path, mount_root) if path.startswith(mount_root) else "."
    folder = os.path.normpath(os.path.join(mount_point, rel))
    if not os.path.isfile(os.path.join(folder, "cgroup.procs")):
        raise Unavailable(f"{folder} is not a cgroup folder")
    return folder


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _read(path):
    with open(path) as f:
        return f.read()


def _stat(path):
    """A flat `key value` file (memory.stat, memory.events, cpu.stat) as a dict of ints."""
    out = {}
    try:
        for line in _read(path).splitlines():
            key, _, value = line.partition(" ")
            if value.strip().lstrip("-").isdigit():
                out[key] = int(value)
    except OSError:
        pass
    return out


class _Group:
    """One cgroup (several folders in v1, one per hierarchy) for one run."""
    version = None

    def __init__(self, folders):
        self.folders = folders  # {role: folder}

    def add(self, pid):
        for folder in set(self.folders.values()):
            _write(os.path.join(folder, "cgroup.procs"), str(pid))

    def pids(self):
        out = set()
        for folder in set(self.folders.values()):
            try:
                out.update(int(p) for p in _read(os.path.join(folder, "cgroup.procs")).split())
            except OSError:
                pass
        return out

    def remove(self):
        """Kill what is left in the group, then remove it."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            pids = self.pids()
            if not pids:
                break
            processes.kill(pids)
            time.sleep(0.05)
        for folder in set(self.folders.values()):
            for _ in range(50):
                try:
                    os.rmdir(folder)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)


class _V2(_Group):
    version = "cgroup v2"

    @classmethod
    def make(cls, name, memory_mb, cpus):
        mounts = [m for m in _mounts() if m[2] == "cgroup2"]
        if not mounts:
            raise Unavailable("no cgroup v2 file system is mounted")
        root, point = mounts[0][0], mounts[0][1]
        parent = _under(point, root, _own_paths().get("", "/"))
        try:
            available = _read(os.path.join(parent, "cgroup.controllers")).split()
        except OSError as exc:
            raise Unavailable(f"cgroup v2: cannot read {parent}/cgroup.controllers ({exc.strerror})")
        missing = {"memory", "cpu"} - set(available)
        if missing:
            raise Unavailable(f"cgroup v2: the {' and '.join(sorted(missing))} controller(s) are "
                              f"not delegated to {parent}")
        try:
            _write(os.path.join(parent, "cgroup.subtree_control"), "+memory +cpu")
        except OSError as exc:
            raise Unavailable(f"cgroup v2: cannot enable memory and cpu below {parent} "
                              f"({exc.strerror}; a container's own cgroup that holds processes "
                              "cannot have children with controllers)")
        folder = os.path.join(parent, name)
        try:
            os.mkdir(folder)
            group = cls({"memory": folder, "cpu": folder})
            _write(os.path.join(folder, "memory.max"), str(memory_mb * MB))
            if os.path.exists(os.path.join(folder, "memory.swap.max")):
                _write(os.path.join(folder, "memory.swap.max"), "0")
            _write(os.path.join(folder, "cpu.max"), f"{int(cpus * 100000)} 100000")
        except OSError as exc:
            if os.path.isdir(folder):
                os.rmdir(folder)
            raise Unavailable(f"cgroup v2: cannot set limits in {folder} ({exc.strerror})")
        return group

    def process_bytes(self):
        s = _stat(os.path.join(self.folders["memory"], "memory.stat"))
        return s.get("anon", 0) + s.get("shmem", 0)

    def peak_bytes(self):
        try:  # memory.peak: Linux 5.19 and later
            return int(_read(os.path.join(self.folders["memory"], "memory.peak")))
        except (OSError, ValueError):
            return None

    def usage_bytes(self):
        return int(_read(os.path.join(self.folders["memory"], "memory.current")))

    def oom_kills(self):
        return _stat(os.path.join(self.folders["memory"], "memory.events")).get("oom_kill")

    def cpu_s(self):
        usec = _stat(os.path.join(self.folders["cpu"], "cpu.stat")).get("usage_usec")
        return None if usec is None else usec / 1e6


class _V1(_Group):
    version = "cgroup v1"

    @classmethod
    def make(cls, name, memory_mb, cpus):
        mounts = {}
        for root, point, fstype, options in _mounts():
            if fstype == "cgroup":
                for c in ("memory", "cpu", "cpuacct"):
                    if c in options:
                        mounts.setdefault(c, (root, point))
        missing = {"memory", "cpu"} - set(mounts)
        if missing:
            raise Unavailable(f"no cgroup v1 {' or '.join(sorted(missing))} hierarchy is mounted")
        own = _own_paths()
        folders = {c: os.path.join(_under(mounts[c][1], mounts[c][0], own.get(c, "/")), name)
                   for c in mounts}  # cpu and cpuacct may share one hierarchy
        made = []
        try:
            for folder in dict.fromkeys(folders.values()):
                os.mkdir(folder)
                made.append(folder)
            memory = folders["memory"]
            _write(os.path.join(memory, "memory.limit_in_bytes"), str(memory_mb * MB))
            if os.path.exists(os.path.join(memory, "memory.memsw.limit_in_bytes")):
                _write(os.path.join(memory, "memory.memsw.limit_in_bytes"), str(memory_mb * MB))
            cpu = folders["cpu"]
            _write(os.path.join(cpu, "cpu.cfs_period_us"), "100000")
            _write(os.path.join(cpu, "cpu.cfs_quota_us"), str(int(cpus * 100000)))
        except OSError as exc:
            for folder in reversed(made):
                try:
                    os.rmdir(folder)
                except OSError:
                    pass
            raise Unavailable(f"cgroup v1: cannot make or set up {exc.filename or 'a group'} "
                              f"({exc.strerror})")
        return cls(folders)

    def process_bytes(self):
        s = _stat(os.path.join(self.folders["memory"], "memory.stat"))
        return s.get("total_rss", s.get("rss", 0)) + s.get("total_shmem", s.get("shmem", 0))

    def peak_bytes(self):
        return int(_read(os.path.join(self.folders["memory"], "memory.max_usage_in_bytes")))

    def usage_bytes(self):
        return int(_read(os.path.join(self.folders["memory"], "memory.usage_in_bytes")))

    def oom_kills(self):  # "oom_kill N": Linux 4.13 and later
        return _stat(os.path.join(self.folders["memory"], "memory.oom_control")).get("oom_kill")

    def cpu_s(self):
        if "cpuacct" not in self.folders:
            return None
        try:
            return int(_read(os.path.join(self.folders["cpuacct"], "cpuacct.usage"))) / 1e9
        except (OSError, ValueError):
            return None


def make_group(name, memory_mb, cpus):
    """A fresh cgroup with these limits, v2 where it can be used, else v1; or Unavailable
    with every reason."""
    reasons = []
    for kind in (_V2, _V1):
        try:
            return kind.make(name, memory_mb, cpus)
        except Unavailable as exc:
            reasons.append(str(exc))
    raise Unavailable("; ".join(reasons))


# ----- measuring without a cgroup --------------------------------------------------------
def _children_map():
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = _read(f"/proc/{entry}/stat")
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        out.setdefault(ppid, []).append(int(entry))
    return out


def tree_pids(root):
    """`root` and its descendants, now (sessions of their own included)."""
    children, out, todo = _children_map(), [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


_RSS = re.compile(r"^(RssAnon|RssShmem):\s+(\d+) kB", re.M)


def process_bytes(pid):
    """Anonymous and shared memory resident in one process (bytes; 0 once it is gone)."""
    try:
        return sum(int(kb) for _, kb in _RSS.findall(_read(f"/proc/{pid}/status"))) * 1024
    except OSError:
        return 0


def tree_bytes(root):
    """Anonymous and shared memory resident in `root`'s process tree (bytes)."""
    return sum(process_bytes(pid) for pid in tree_pids(root))


def describe(pid):
    """A short name for a process of a grading: the grader, a sandbox worker, a script."""
    try:
        argv = _read(f"/proc/{pid}/cmdline").split("\0")
    except OSError:
        return str(pid)
    if any("worker.py" in a for a in argv):
        workdir = re.search(r'"workdir": "([^"]*)"', argv[-2] if len(argv) > 1 else "")
        return f"worker:{os.path.basename(workdir.group(1)) if workdir else pid}"
    if "grade" in argv and "autograder" in argv:
        return "grader"
    return os.path.basename(argv[0]) or str(pid)


# ----- running -----------------------------------------------------------------------
def _sampler(sample, pids, stop, peak):
    """Keep the largest sample in peak[0], and who held it in peak[1]."""
    while True:
        try:
            now = sample()
            if now > peak[0]:
                held = [(describe(p), process_bytes(p) / MB) for p in pids()]
                peak[:] = [now, sorted((h for h in held if h[1] >= 1), key=lambda h: -h[1])]
        except (OSError, ValueError):
            pass
        if stop.wait(SAMPLE_S):
            return


def run(argv, env=None, cwd=None, timeout=None, memory_mb=GRADESCOPE_MEMORY_MB,
        cpus=GRADESCOPE_CPUS, name=None):
    """Run `argv` in its own session under the limits. Returns (exit status or None when
    it ran past `timeout` and was killed, Usage)."""
    usage = Usage(memory_mb=memory_mb, cpus=cpus)
    name = name or f"nlpgrade-limits-{os.getpid()}-{time.monotonic_ns()}"
    try:
        group = make_group(name, memory_mb, cpus)
        usage.enforced = group.version
    except Unavailable as exc:
        group, usage.why_not = None, str(exc)

    def enter():  # in the child, before exec: nothing runs outside the group
        if group is not None:
            group.add(os.getpid())

    sys.stdout.flush()
    sys.stderr.flush()
    rusage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    try:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, start_new_session=True,
                                preexec_fn=enter)
    except BaseException:
        if group is not None:
            group.remove()
        raise
    stop, peak = threading.Event(), [0, []]
    if group is not None:
        sample, pids = group.process_bytes, group.pids
    else:
        sample, pids = (lambda: tree_bytes(proc.pid)), (lambda: tree_pids(proc.pid))
    sampler = threading.Thread(target=_sampler, args=(sample, pids, stop, peak), daemon=True)
    sampler.start()
    status = None
    try:
        try:
            status = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    finally:
        if proc.returncode is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait()
        usage.wall_s = time.monotonic() - started
        stop.set()
        sampler.join()
        usage.process_peak_mb, usage.at_peak = peak[0] / MB, peak[1]
        if group is not None:
            usage.cpu_s = group.cpu_s()
            usage.peak_mb = None if group.peak_bytes() is None else group.peak_bytes() / MB
            usage.oom_kills = group.oom_kills()
            group.remove()
        else:
            rusage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            usage.cpu_s = (rusage1.ru_utime + rusage1.ru_stime
                           - rusage0.ru_utime - rusage0.ru_stime)
    return status, usage
