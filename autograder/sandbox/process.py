"""Trusted side of the sandbox: starts, feeds, times out and restarts one worker process.

A `Sandbox` serves a staged directory (student files plus provided modules). Each call
is one request/reply over pipes with a wall-clock deadline; a worker that misses it is
killed with its whole process group and a fresh one is started for the next call.
Imports are separate requests, so a module that hangs, crashes or exits while being
imported fails once and is then reported without running it again.
"""
import ast
import functools
import inspect
import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time
import weakref
from dataclasses import dataclass, field

from . import codec, processes
from .errors import (MissingFile, StudentCrashed, StudentException, StudentTimeout,
                     SubmissionError, UnreadableReply, BudgetExhausted)
from ..describe import call_text
from . import confine, memory
from .privileges import kill_all, lease_identity

HERE = os.path.dirname(os.path.abspath(__file__))
_BOOT = (
    "import importlib.util as u, sys\n"
    "def load(name, path):\n"
    "    spec = u.spec_from_file_location(name, path)\n"
    "    mod = u.module_from_spec(spec); sys.modules[name] = mod; spec.loader.exec_module(mod)\n"
    "    return mod\n"
    "for spec in sys.argv[1:-4]:\n"
    "    load(*spec.split('=', 1))\n"
    "load('_nlpgrade_worker', sys.argv[-4]).main()\n"
)
# Modules the worker needs, loaded by file path under private names so that a student
# module called `codec` (say) can neither shadow nor replace them.
_PRIVATE_MODULES = (("_nlpgrade_codec", os.path.join(HERE, "codec.py")),
                    ("_nlpgrade_nbfilter", os.path.join(HERE, "..", "notebook", "ast_filter.py")),
                    ("_nlpgrade_nbimport", os.path.join(HERE, "..", "notebook", "importer.py")),
                    ("_nlpgrade_confine", os.path.join(HERE, "confine.py")),
                    ("_nlpgrade_compat", os.path.join(HERE, "compat.py")))


@dataclass
class Limits:
    """Per-assignment limits (assignments/aN/config.json, key "limits")."""
    call_timeout_s: float = 10.0     # wall clock for one call
    import_timeout_s: float = 20.0   # wall clock for importing one student module
    cpu_s: int = 300                 # CPU seconds for one worker's whole life
    memory_mb: int = 2048            # resident memory of the worker and its children (memory.py)
    file_mb: int = 64                # largest file the worker may write
    processes: int = 64              # processes and threads the worker may add
    output_chars: int = 20000        # student output kept per call
    total_s: float = 480.0           # all sandbox time in one grading run
    threads: int = 1                 # BLAS/OpenMP threads: equal for student and reference

    @classmethod
    def from_config(cls, cfg):
        known = {k: v for k, v in (cfg or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class CallStats:
    calls: int = 0
    seconds: float = 0.0
    output: list = field(default_factory=list)


def _text(what):
    return what() if callable(what) else what


@functools.lru_cache(maxsize=256)
def _probe_source(fn, helpers):
    return "\n\n".join(textwrap.dedent(inspect.getsource(h)) for h in (*helpers, fn))


def probe_source(fn, helpers=()):
    """Source text of a probe function (and helper functions it uses), for the worker."""
    return _probe_source(fn, tuple(helpers))


@functools.lru_cache(maxsize=256)
def imported_modules(source):
    """Top-level module names a probe imports, found without running it."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return frozenset(names)


def _widen_pipe(fd, size=1 << 20):
    """Larger pipe buffers move big arrays in fewer reads (Linux; best effort)."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), size)
    except OSError:
        pass


def _private_tmp(path, identity):
    """The worker's TMPDIR, owned by its user (the folder may be ours, not its); a link
    or file planted there is never followed: the worker then has no TMPDIR of its own."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return
    try:
        if identity is not None:
            os.fchown(fd, identity.uid, identity.gid)
        os.fchmod(fd, 0o700)
    finally:
        os.close(fd)


class Sandbox:
    """A worker process running the code in `workdir`, restarted whenever it dies.

    `student_files` names the files a student submits (e.g. {"word2vec.py"}); `present`
    those actually there. `untrusted=True` runs the worker as `identity` (a sandbox uid
    leased for this grading, see privileges.py; one is leased for this sandbox alone when
    none is given and we are root) and confines it (confine.py); the reference runs as
    ourselves, in a directory the sandbox user cannot read. `identity` is None when no
    user drop is possible (not root); `confinement` says which kernel layers the worker
    applied (read from it before any student code ran).
    """

    reply_limits = codec.DEFAULT_LIMITS  # what one reply may hold; a call may allow more

    def __init__(self, workdir, limits=None, student_files=(), present=None, untrusted=True,
                 label="your code", budget=None, identity=None):
        self.workdir = os.path.abspath(workdir)
        self._own_identity = False
        if untrusted and identity is None:
            identity = lease_identity()  # None unless root
            if identity is not None:  # ours alone: the lease ends with this object
                weakref.finalize(self, identity.release)
                self._own_identity = True
        self.identity = identity if untrusted else None
        self.confinement = {}
        self.limits = limits or Limits()
        # module name -> the file that is that module (a .py, or a notebook imported as one);
        # a file in a folder (a5's src/dataset.py) is a top-level module too: its folder
        # goes on the worker's sys.path, as the course ran `python run.py` inside src/
        self.student_modules = {os.path.splitext(os.path.basename(f))[0]: f for f in student_files
                                if f.endswith((".py", ".ipynb"))}
        self.module_dirs = sorted({os.path.dirname(f) for f in self.student_modules.values() if "/" in f})
        present = student_files if present is None else present
        self.missing = {m for m, f in self.student_modules.items() if f not in present}
        self.untrusted = untrusted
        self.label = label
        self.budget = budget if budget is not None else Budget(self.limits.total_s)
        self.stats = CallStats()
        self.proc = None
        self._imported = set()
        self._sealed = None          # pid of a worker that may start no process (prepare_timed)
        self._import_failures = {}   # module -> SubmissionError raised when importing it
        self._raw_output = bytearray()
        self._raw_dropped = 0

    # ----- process life -------------------------------------------------------------
    def _env(self):
        n = str(self.limits.threads)
        # TMPDIR: a private folder in staging (the worker makes it), so that tempfile
        # never writes where other users, or the cleanup, cannot see
        env = {"PATH": "/usr/bin:/bin", "HOME": self.workdir, "TMPDIR": os.path.join(self.workdir, ".tmp"),
               "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
               "MPLBACKEND": "Agg", "MPLCONFIGDIR": os.path.join(self.workdir, ".mpl"),
               "NLPGRADE_DATA_DIR": os.path.join(self.workdir, "data"),  # see Session
               "OMP_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": n, "MKL_NUM_THREADS": n,
               # glibc: two arenas, and large blocks handed back when freed, not kept for
               # reuse: a3's two torch workers hold 70 MB less at the grading's peak
               "MALLOC_ARENA_MAX": "2", "MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_TRIM_THRESHOLD_": "131072"}
        return env

    def start(self):
        if self.proc is not None:
            return
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        for fd in (to_worker_w, from_worker_w):
            _widen_pipe(fd)
        # the worker's "memory_mb" is its address space: a backstop (memory.py)
        limits = {"cpu_s": self.limits.cpu_s, "memory_mb": memory.address_space_mb(self.limits.memory_mb),
                  "file_mb": self.limits.file_mb}
        identity = self.identity
        kwargs = {}
        _private_tmp(os.path.join(self.workdir, ".tmp"), identity)
        if identity is not None:
            kwargs.update(user=identity.uid, group=identity.gid, extra_groups=[])
            limits["nproc"] = identity.nproc_base + self.limits.processes
        settings = {"workdir": self.workdir, "limits": limits, "module_dirs": self.module_dirs,
                    "output_chars": self.limits.output_chars,
                    "confine": confine.plan(self.workdir) if self.untrusted else None}
        cmd = [sys.executable, "-I", "-c", _BOOT,
               *(f"{name}={os.path.normpath(path)}" for name, path in _PRIVATE_MODULES),
               os.path.join(HERE, "worker.py"), str(to_worker_r), str(from_worker_w),
               json.dumps(settings)]
        try:
            self.proc = subprocess.Popen(
                cmd, cwd=self.workdir, env=self._env(), stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=(to_worker_r, from_worker_w),
                start_new_session=True, close_fds=True, **kwargs)
        except OSError as exc:
            for fd in (to_worker_r, to_worker_w, from_worker_r, from_worker_w):
                os.close(fd)
            raise SandboxStartError(f"could not start the sandbox worker in {self.workdir}: {exc}") from None
        if self.untrusted:  # when the container runs out, the student's code goes first
            memory.oom_first(self.proc.pid)
        self._memory = memory.Watch(self.proc.pid, self.limits.memory_mb)
        os.close(to_worker_r)
        os.close(from_worker_w)
        self._to = os.fdopen(to_worker_w, "wb")
        self._from = from_worker_r
        self._imported = set()
        self._raw_output, self._raw_dropped = bytearray(), 0  # this worker's output only
        self._drain = threading.Thread(target=self._drain_output, args=(self.proc.stdout,), daemon=True)
        self._drain.start()
        try:
            # the worker's first frame says which kernel layers it applied; no student
            # code has run yet, so it can be believed
            try:
                status = self._read_reply(time.monotonic() + self.limits.import_timeout_s)
            except (TimeoutError, EOFError, codec.CodecError) as exc:
                code = self.kill()
                raise SubmissionError(f"no status from the worker ({type(exc).__name__}, exit status "
                                      f"{code}): {self.raw_output()[-2000:]}") from None
            self.confinement = status.get("confinement") or {} if isinstance(status, dict) else {}
            self._request({"op": "ping"}, self.limits.import_timeout_s, "starting the sandbox")
        except SubmissionError as exc:  # no student code has run yet: this one is ours
            raise SandboxStartError(f"the sandbox worker did not start: {exc}") from None

    def _drain_output(self, stream):
        """Keep the first bytes the worker writes to its file descriptors; count the rest."""
        cap = self.limits.output_chars
        for chunk in iter(lambda: stream.read1(65536), b""):
            room = cap - len(self._raw_output)
            if room > 0:
                self._raw_output += chunk[:room]
            self._raw_dropped += max(0, len(chunk) - max(room, 0))

    def raw_output(self):
        text = self._raw_output.decode("utf-8", "replace")
        if self._raw_dropped:
            text += f"\n[... {self._raw_dropped} more bytes of output were cut]"
        return text

    def kill(self):
        proc, self.proc = self.proc, None
        self._imported = set()
        self._sealed = None
        if proc is None:
            return None
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for f in (self._to,):
            try:
                f.close()
            except OSError:
                pass
        os.close(self._from)
        code = proc.wait()
        self._memory.stop()
        self._drain.join(timeout=2)
        return code

    def _runs_on(self, grace_s=3.0):
        """Whether the worker still runs `grace_s` after its pipe closed (a process that
        is exiting closes its pipes just before the kernel reports its exit)."""
        try:
            self.proc.wait(timeout=grace_s)
            return False
        except subprocess.TimeoutExpired:
            return True

    def close(self):
        self.kill()
        if self._own_identity:  # no Session to clean up after us: processes that left
            kill_all(self.identity)  # the worker's group (setsid) end with the sandbox

    # ----- requests ------------------------------------------------------------------
    def _read_reply(self, deadline, limits=None):
        """Read one frame from the worker, or raise TimeoutError / EOFError / CodecError.

        The frame's declared length is checked before anything is allocated, and the
        frame is read into one buffer that the codec decodes in place (no second copy)."""
        limits = limits or self.reply_limits
        n = int.from_bytes(self._read_into(bytearray(8), deadline), "big")
        if n > limits.frame_bytes:
            raise codec.CodecError(f"it is {n} bytes, over the limit of {limits.frame_bytes} bytes")
        return codec.loads(self._read_into(bytearray(n), deadline), limits)

    def _read_into(self, buf, deadline):
        view, got = memoryview(buf), 0
        while got < len(buf):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self._from], [], [], left)
            if not ready:
                raise TimeoutError
            n = os.readv(self._from, [view[got:got + (1 << 20)]])
            if not n:
                raise EOFError
            got += n
        return buf

    def _unreadable(self, req, what, reason):
        """The student's failure: their process sent back what we cannot or will not read."""
        who = "your code sent back" if req["op"] in ("import", "ping") else "your function returned"
        return UnreadableReply(f"{_text(what)}: {who} something the grader cannot read: {reason}")

    def _request(self, req, timeout, what, limits=None):
        if req["op"] not in ("timed", "ping") and self.proc is not None and self._sealed == self.proc.pid:
            self.kill()  # sealed for timing (prepare_timed): a fresh worker for anything else
        if req["op"] != "ping":  # starting a worker runs no student code: not budgeted
            if self.budget.exhausted():
                raise BudgetExhausted(f"not run: the grading time budget of {self.budget.total:g} s "
                                      "was used up by earlier tests")
            self.start()
            if self.budget.left() < timeout:
                timeout = self.budget.left()
                what_ = what
                what = lambda: f"{_text(what_)} (cut short: the grading time budget ran out)"
        started = time.monotonic()
        try:
            codec.write_frame(self._to, req)
            reply = self._read_reply(started + timeout, limits)
        except TimeoutError:
            self.kill()
            raise StudentTimeout(f"{_text(what)} timed out after {timeout:g} s") from None
        except (EOFError, BrokenPipeError):
            watch = self._memory
            closed = self._runs_on()  # else it exited: its own status, not our kill's
            code = self.kill()
            raise StudentCrashed(_text(what), None if closed else code, self.raw_output(),
                                 memory_mb=self.limits.memory_mb, over_mb=watch.over_mb,
                                 pipe_closed=closed) from None
        except codec.CodecError as exc:  # the worker, or student code posing as it, sent junk
            self.kill()
            raise self._unreadable(req, what, exc) from None
        finally:
            spent = time.monotonic() - started
            if req["op"] != "ping":
                self.budget.spend(spent)
            self.stats.seconds += spent
        self.stats.calls += 1
        reason = _malformed_reply(reply)
        if reason:
            self.kill()
            raise self._unreadable(req, what, reason)
        if reply.get("output"):
            self.stats.output.append(reply["output"])
        if not reply["ok"]:
            err = reply["error"]
            if err.get("type") == "UnreadableValue":  # the worker could not encode the value
                raise self._unreadable(req, what, str(err.get("message", "")))
            function = err.get("function")
            raise StudentException(_text(what), str(err.get("type", "Error")), str(err.get("message", "")),
                                   str(err.get("traceback", "")), function if isinstance(function, str) else None)
        return reply.get("value")

    def _ensure_imported(self, modules):
        for module in sorted(modules):
            if module in self._import_failures:
                raise self._import_failures[module]
            if module in self.missing:
                raise MissingFile(f"{self._file_of(module)} is not in your submission")
            if module in self._imported:
                continue
            try:
                self._request({"op": "import", "module": module}, self.limits.import_timeout_s,
                              f"importing {self._file_of(module)}")
            except (StudentTimeout, StudentCrashed, StudentException) as exc:
                if module in self.student_modules:
                    self._import_failures[module] = exc
                raise exc
            self._imported.add(module)

    def _file_of(self, module):
        return self.student_modules.get(module, module + ".py")

    def _probe_imports(self, source):
        """The student modules a probe imports (those that failed before included)."""
        return imported_modules(source) & (self.student_modules.keys() | self._import_failures.keys())

    def call(self, module, function, *args, timeout=None, repeat=1, seed=None, reply_limits=None,
             **kwargs):
        """Call `module.function(*args, **kwargs)` in the worker and return its value.
        `reply_limits` (a codec.DecodeLimits) lets one call's reply be larger than usual."""
        self._ensure_imported({module})
        req = {"op": "call", "module": module, "function": function, "args": list(args),
               "kwargs": kwargs, "repeat": repeat, "seed": seed}
        # The description is only built if something goes wrong: formatting arrays is slow.
        return self._request(req, timeout or self.limits.call_timeout_s,
                             lambda: call_text(function, *args, **kwargs), reply_limits)

    def probe(self, fn, *args, helpers=(), timeout=None, repeat=1, seed=None, what=None,
              reply_limits=None, **kwargs):
        """Run a probe function in the worker: it sees only its inputs and returns plain data."""
        source = probe_source(fn, helpers)
        self._ensure_imported(self._probe_imports(source))
        req = {"op": "probe", "source": source, "name": fn.__name__, "args": list(args),
               "kwargs": kwargs, "repeat": repeat, "seed": seed}
        return self._request(req, timeout or self.limits.call_timeout_s, what or fn.__name__, reply_limits)

    def prepare_timed(self, fn, helpers=()):
        """Start the worker and import what the probe needs, outside any timed span;
        return the worker's pid."""
        self._ensure_imported(self._probe_imports(probe_source(fn, helpers)))
        self.start()
        if self.untrusted and self._sealed != self.proc.pid:
            # from now on this worker starts no process or thread (processes.forbid_new):
            # sealed before the timing check kills the others, so none can be started
            # between that and the timed request; replaced before any other request
            uid, gid = (self.identity.uid, self.identity.gid) if self.identity is not None else (None, None)
            done = processes.forbid_new(self.proc.pid, uid, gid)
            if done == "killed":
                self.kill()
                raise SubmissionError("your code ended a process of the grader's that prepares the timing "
                                      "of your function; the grader cannot time it")
            self._sealed = self.proc.pid
        return self.proc.pid

    def timed_runs(self, fn, *args, seeds, helpers=(), timeout=None, what=None, **kwargs):
        """Run a timing probe once per seed, timed: `fn(*args, **kwargs)` returns a function
        of a seed, which the worker calls for each of `seeds` (see worker.timed_runs).

        Returns (outputs, Clock): what the runs returned, and what the request cost."""
        pid = self.prepare_timed(fn, helpers)
        req = {"op": "timed", "source": probe_source(fn, helpers), "name": fn.__name__,
               "args": list(args), "kwargs": kwargs, "seeds": [int(s) for s in seeds]}
        cpu0, children0 = processes.cpu_ns(pid), processes.children_cpu_ns(pid)
        started = time.perf_counter()
        value = self._request(req, timeout or self.limits.call_timeout_s, what or fn.__name__)
        wall = time.perf_counter() - started
        cpu1, children1 = processes.cpu_ns(pid), processes.children_cpu_ns(pid)
        cpu = None if cpu0 is None or cpu1 is None else (cpu1 - cpu0) / 1e9
        children = None if children0 is None or children1 is None else (children1 - children0) / 1e9
        return value, Clock(wall, cpu, children, pid)

    def take_output(self):
        out, self.stats.output = "".join(self.stats.output), []
        return out


def _malformed_reply(reply):
    """Why `reply` is not what the worker sends, or None: student code can replace the
    worker's request handler and send any decodable value instead."""
    if not isinstance(reply, dict) or not isinstance(reply.get("ok"), bool):
        return "it is not a reply of the grader's worker"
    if not isinstance(reply.get("output", ""), str):
        return "its printed output is not text"
    if not reply["ok"] and not isinstance(reply.get("error"), dict):
        return "it reports an error the grader cannot read"
    return None


@dataclass
class Clock:
    """What one timed request cost, in seconds: on this side's wall clock, in CPU time of
    the worker (every thread; None where the platform cannot say), and in CPU time of
    the worker's children that it waited for meanwhile."""
    wall: float
    cpu: float = None
    children_cpu: float = None
    pid: int = None  # the worker that ran it


class SandboxStartError(RuntimeError):
    """The worker could not start: a problem of the grader's set-up, not of the submission."""


class Budget:
    """Sandbox seconds shared by every call of one grading run (Gradescope kills long runs)."""

    def __init__(self, total):
        self.total, self.spent = float(total), 0.0

    def spend(self, seconds):
        self.spent += seconds

    def left(self):
        return max(0.0, self.total - self.spent)

    def exhausted(self):
        return self.left() <= 0.0


__all__ = ["Sandbox", "Limits", "Budget", "SubmissionError", "probe_source"]
