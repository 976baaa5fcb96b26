"""The sandbox worker: the only process in which student code runs.

Started by `autograder.sandbox.process` as a fresh interpreter (`python -I`), already as
the unprivileged user when grading as root. It applies its resource limits before any
student code is imported, then serves requests read from one pipe and answers on
another, both framed by the codec. It decides nothing: it returns what student code
returned (or raised) and the trusted side judges it.

Requests:  {"op": "ping"}
           {"op": "import", "module": NAME}
           {"op": "call", "module": NAME, "function": NAME, "args": [...], "kwargs": {...}}
           {"op": "probe", "source": PYTHON_SOURCE, "name": NAME, "args": [...], "kwargs": {...}}
           (call and probe also take "repeat": N and "seed": S)
           {"op": "timed", "source", "name", "args", "kwargs", "seeds": [S, ...]}: the probe
               returns a function of a seed, run once per seed (see `timed_runs`)
Replies:   {"ok": True, "value": V, "output": TEXT}
           {"ok": False, "error": {"type", "message", "traceback"}, "output": TEXT}
"""
import importlib
import io
import json
import os
import random
import resource
import sys
import traceback
import warnings

try:  # loaded by file path under a private name, so a student module named codec is harmless
    import _nlpgrade_codec as codec
    import _nlpgrade_nbimport as notebooks
    import _nlpgrade_confine as confine
    import _nlpgrade_compat as compat
except ImportError:  # imported normally (tests of the worker itself)
    from autograder.sandbox import codec, compat, confine
    from autograder.notebook import importer as notebooks


class BoundedText(io.TextIOBase):
    """A text stream that keeps the first `limit` characters and counts the rest."""

    def __init__(self, limit):
        self.limit, self.parts, self.kept, self.dropped = limit, [], 0, 0

    def writable(self):
        return True

    def write(self, s):
        s = str(s)
        room = self.limit - self.kept
        if room > 0:
            self.parts.append(s[:room])
            self.kept += min(room, len(s))
        self.dropped += max(0, len(s) - max(room, 0))
        return len(s)

    def text(self):
        out = "".join(self.parts)
        if self.dropped:
            out += f"\n[... {self.dropped} more characters of output were cut]"
        return out


def apply_limits(limits):
    """Resource limits for this process and its children; set before student code runs."""
    def setlim(kind, value, grace=0):
        if value:
            soft, hard = resource.getrlimit(kind)
            value = int(value) if hard == resource.RLIM_INFINITY else min(int(value), hard)
            top = value + grace if hard == resource.RLIM_INFINITY else min(value + grace, hard)
            resource.setrlimit(kind, (value, top))

    # the hard CPU limit a second above the soft one: at the soft one the kernel sends
    # SIGXCPU, which the grader names; at a hard one equal to it, SIGKILL, which reads as
    # a memory kill
    setlim(resource.RLIMIT_CPU, limits.get("cpu_s"), grace=1)
    if limits.get("memory_mb"):
        setlim(resource.RLIMIT_AS, limits["memory_mb"] * 1024 * 1024)
    if limits.get("file_mb"):
        setlim(resource.RLIMIT_FSIZE, limits["file_mb"] * 1024 * 1024)
    if limits.get("nproc"):
        setlim(resource.RLIMIT_NPROC, limits["nproc"])
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core dumps of student processes


def student_traceback(exc, roots):
    """Traceback lines from student files and probes only: ours are noise to a student."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename.startswith("<probe") or any(f.filename.startswith(r) for r in roots)]
    for root in roots:
        for f in frames:
            if f.filename.startswith(root):
                f.filename = os.path.relpath(f.filename, root)
    if isinstance(exc, SyntaxError) and exc.filename:
        for root in roots:
            if exc.filename.startswith(root):
                exc.filename = os.path.relpath(exc.filename, root)
    lines = traceback.format_list(frames)
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)


def innermost_function(exc, root):
    """Name of the innermost function in the submission's own files that was running,
    with its class for a method ("ParserModel.__init__", not a bare "__init__")."""
    name, tb = None, exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_filename.startswith(root):
            name = getattr(frame.f_code, "co_qualname", None)  # Python 3.11+
            if name is None:  # 3.10: the class of `self`, where the method is its own
                owner = type(frame.f_locals.get("self", None))
                defined = getattr(owner, frame.f_code.co_name, None)
                same = getattr(defined, "__code__", None) is frame.f_code
                name = f"{owner.__name__}.{frame.f_code.co_name}" if same else frame.f_code.co_name
        tb = tb.tb_next
    return name


def seed_everything(seed):
    random.seed(seed)
    import numpy as np

    np.random.seed(seed % 2**32)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_KEPT_HEAP = (64 << 20, 32 << 20)   # trim, mmap thresholds while timed (32 MB: glibc's most)
_GIVEN_BACK = (128 << 10, 128 << 10)  # as the worker starts (process.Sandbox._env)


def _heap(trim, mmap_threshold, give_back=False):
    """Set glibc's thresholds in this process; False where there is no glibc."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        ok = libc.mallopt(_M_TRIM_THRESHOLD, trim) and libc.mallopt(_M_MMAP_THRESHOLD, mmap_threshold)
        if give_back:
            libc.malloc_trim(0)
        return bool(ok)
    except (OSError, AttributeError):
        return False


def timed_runs(run, seeds):
    """What a timed request does: `run(seed)` once per seed, one output each. The
    trusted side times the whole request and checks every output against the
    reference's for the same seeds. Equal-shaped arrays come back as one array (one
    buffer to encode and decode, whatever the number of runs).

    While timed, freed blocks stay on the heap for the next run: with the worker's usual
    thresholds every array over 128 KB is a fresh mmap whose pages fault on first write,
    a cost per element that both sides pay alike and that hid a Python loop over a2's
    vocabulary (5.5 times the reference instead of 30). Both workers run this same code,
    so a student's own mallopt gains nothing."""
    kept = _heap(*_KEPT_HEAP)
    try:
        outputs = [run(seed) for seed in seeds]
    finally:
        if kept:
            _heap(*_GIVEN_BACK, give_back=True)
    np = sys.modules.get("numpy")
    if np is not None and outputs and all(type(o) is np.ndarray for o in outputs) \
            and len({(o.shape, o.dtype) for o in outputs}) == 1:
        return np.stack(outputs)
    return outputs


class Worker:
    def __init__(self, workdir, output_limit):
        self.workdir = os.path.realpath(workdir)
        self.output_limit = output_limit
        self.probes = {}  # source -> namespace, so a repeated probe is compiled once

    def resolve(self, req):
        op = req["op"]
        if op == "ping":
            return lambda: "pong"
        if op == "import":
            return lambda: importlib.import_module(req["module"]) and None
        if op == "call":
            module = importlib.import_module(req["module"])
            fn = getattr(module, req["function"], None)
            if fn is None or not callable(fn):
                where = os.path.basename(getattr(module, "__file__", None) or req["module"] + ".py")
                hint = getattr(module, "__nlpgrade_hint__", "")
                raise AttributeError(f"{where} defines no function {req['function']}{hint}")
        elif op in ("probe", "timed"):
            namespace = self.probes.get(req["source"])
            if namespace is None:
                namespace = {"__name__": "__probe__"}
                exec(compile(req["source"], "<probe>", "exec"), namespace)
                self.probes[req["source"]] = namespace
            fn = namespace[req["name"]]
        else:
            raise ValueError(f"unknown request {op!r}")
        args, kwargs = req.get("args", []), req.get("kwargs", {})
        if op == "timed":
            seeds = [int(s) for s in req["seeds"]]
            return lambda: timed_runs(fn(*args, **kwargs), seeds)
        return lambda: fn(*args, **kwargs)

    def handle(self, req):
        capture = BoundedText(self.output_limit)
        sys.stdout = sys.stderr = capture
        try:
            thunk = self.resolve(req)
            value = None
            for _ in range(max(1, int(req.get("repeat", 1)))):
                if req.get("seed") is not None:
                    seed_everything(int(req["seed"]))
                value = thunk()
            reply = {"ok": True, "value": value}
        except BaseException as exc:  # student code may raise anything, SystemExit included
            if isinstance(exc, SystemExit):
                message = f"called sys.exit({exc.code!r})"
            else:  # the staging folder's path means nothing to a student
                message = str(exc).replace(self.workdir + os.sep, "")
            reply = {"ok": False, "error": {
                "type": type(exc).__name__, "message": message[:2000],
                "function": innermost_function(exc, self.workdir + os.sep),
                "traceback": student_traceback(exc, [self.workdir + os.sep])[-8000:]}}
        finally:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        reply["output"] = capture.text()
        return reply


def main():
    rfd, wfd, settings = int(sys.argv[-3]), int(sys.argv[-2]), json.loads(sys.argv[-1])
    inbox, outbox = os.fdopen(rfd, "rb"), os.fdopen(wfd, "wb")
    os.chdir(settings["workdir"])
    sys.path.insert(0, os.path.realpath(settings["workdir"]))
    for folder in settings.get("module_dirs", ()):  # after the staged folder itself
        sys.path.insert(1, os.path.realpath(os.path.join(settings["workdir"], folder)))
    notebooks.install(os.path.realpath(settings["workdir"]))  # NAME.ipynb imports as NAME
    sys.argv = ["submission"]
    # compile-time warnings (`x is "literal"` in the 2021 starter) are about the source,
    # not behaviour: shown in a test's "Your code printed" they would blame the student
    warnings.filterwarnings("ignore", category=SyntaxWarning)
    compat.install()  # numpy 1.x names 2021 code imports (numpy 2 removed them); here only
    worker = Worker(settings["workdir"], settings.get("output_chars", 20000))
    apply_limits(settings.get("limits", {}))
    # tempfile's folder, private to this sandbox (TMPDIR points into the staging folder)
    try:  # the trusted side made it; a folder we cannot write is only the student's loss
        os.makedirs(os.environ.get("TMPDIR") or ".tmp", mode=0o700, exist_ok=True)
    except OSError:
        pass
    # kernel layers last, once nothing outside staging needs writing; the trusted side
    # reads this first frame (sent before any student code runs) for its staff notes
    status = confine.apply(settings["confine"]) if settings.get("confine") else {}
    codec.write_frame(outbox, {"confinement": status})
    while True:
        try:
            # strings interned: student code may test them with `is` against its literals
            req = codec.read_frame(inbox, intern=True)
        except EOFError:
            return
        reply = worker.handle(req)
        try:
            codec.write_frame(outbox, reply)
        except codec.CodecError as exc:
            codec.write_frame(outbox, {"ok": False, "output": reply.get("output", ""), "error": {
                "type": "UnreadableValue", "message": str(exc), "traceback": ""}})
