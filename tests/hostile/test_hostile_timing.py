"""A student whose word2vec loss functions loop over the vocabulary in Python (they fail
the timing tests 4.11 and 4.12 when honest) tries to pass them anyway, the three ways
that worked before issue 10: remembering results by the identity of their inputs,
patching the sandbox worker so that a timed request runs once, and busy processes that
it stops during its own runs and resumes while the reference is timed; and one found
after it: the timed runs done in children that the kernel reaps by itself. Each must gain
nothing over the honest looped submission, and leave a valid results.json.

Against the engine before issue 10 every one of these passed 4.11 (2 runs each), and all
but busy_processes (whose negSampling is not behind the stopped helpers) passed 4.12.
"""
import pytest
from hostile_support import gains, strict_results
from support import grade, lost, make_submission, neg_sampling_per_word_loop, output_of, pin_seed

pytestmark = pytest.mark.serial  # honest loops must fail 4.11/4.12: see tests/support.variant_names

W2V = "word2vec.py"
TIMING = {"4.11", "4.12"}

LOOPS = '''
def _naive_loop(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    V = outsideVectors.shape[0]
    scores = np.zeros(V)
    for w in range(V):
        scores[w] = np.dot(outsideVectors[w], centerWordVec)
    y_hat = softmax(scores)
    shifted = scores - np.max(scores)
    loss = np.log(np.sum(np.exp(shifted))) - shifted[outsideWordIdx]
    gradCenterVec = np.zeros_like(centerWordVec, dtype=float)
    gradOutsideVecs = np.zeros(outsideVectors.shape)
    for w in range(V):
        d = y_hat[w] - (1.0 if w == outsideWordIdx else 0.0)
        gradCenterVec += d * outsideVectors[w]
        gradOutsideVecs[w] = d * centerWordVec
    return loss, gradCenterVec, gradOutsideVecs

''' + neg_sampling_per_word_loop("_neg_loop")

HONEST = LOOPS + '''

def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    return _naive_loop(centerWordVec, outsideWordIdx, outsideVectors, dataset)
'''
HONEST_NEG = '''
def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    return _neg_loop(centerWordVec, outsideWordIdx, outsideVectors, dataset, K)
'''

# The repeated runs of a timing request used to get the very same arrays.
MEMO_BY_IDENTITY = LOOPS + '''
_last = {}


def _remembered(fn, *args):
    key = (fn.__name__,) + tuple(id(a) if isinstance(a, np.ndarray) else a for a in args[:3])
    if key not in _last:
        _last.clear()
        _last[key] = fn(*args)
    return _last[key]


def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    return _remembered(_naive_loop, centerWordVec, outsideWordIdx, outsideVectors, dataset)
'''
MEMO_NEG = '''
def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    return _remembered(_neg_loop, centerWordVec, outsideWordIdx, outsideVectors, dataset, K)
'''

# Only the big matrix is shared by the runs of one request: remember by it alone.
MEMO_BY_MATRIX = MEMO_BY_IDENTITY.replace(
    "for a in args[:3])", "for a in args[2:3])")

# Timed requests run once; the output is copied for the other runs (and any "repeat"
# of the old protocol is cut to 1).
PATCHED_WORKER = LOOPS + '''
import sys as _sys

_worker = _sys.modules.get("_nlpgrade_worker")
if _worker is not None and not getattr(_worker, "_once", False):
    _worker._once = True
    _handle = _worker.Worker.handle

    def _handle_once(self, req):
        seeds = req.get("seeds") or []
        if req.get("op") == "timed" and len(seeds) > 1:
            reply = _handle(self, dict(req, seeds=seeds[:1]))
            if reply.get("ok"):
                reply["value"] = [reply["value"][0]] * len(seeds)
            return reply
        if int(req.get("repeat") or 1) > 1:
            req = dict(req, repeat=1)
        return _handle(self, req)

    _worker.Worker.handle = _handle_once


def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    return _naive_loop(centerWordVec, outsideWordIdx, outsideVectors, dataset)
'''

# 16 busy processes in sessions of their own, stopped while the worker answers a request
# and running (on the reference's time) otherwise. Against the engine before issue 10
# this passed 4.11 with the looped function.
BUSY_PROCESSES = LOOPS + '''
import os as _os
import signal as _signal
import sys as _sys

_HELPERS = []
for _ in range(16):
    _pid = _os.fork()
    if _pid == 0:
        try:
            _os.setsid()
            while True:
                pass
        finally:
            _os._exit(0)
    _HELPERS.append(_pid)


def _helpers(sig):
    for pid in _HELPERS:
        try:
            _os.kill(pid, sig)
        except OSError:
            pass


_worker = _sys.modules.get("_nlpgrade_worker")
if _worker is not None and not getattr(_worker, "_quiet", False):
    _worker._quiet = True
    _handle = _worker.Worker.handle

    def _handle_quietly(self, req):
        _helpers(_signal.SIGSTOP)
        try:
            return _handle(self, req)
        finally:
            _helpers(_signal.SIGCONT)

    _worker.Worker.handle = _handle_quietly


def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    return _naive_loop(centerWordVec, outsideWordIdx, outsideVectors, dataset)
'''

# The timed runs done in forked children with SIGCHLD ignored: the kernel reaps them at
# exit, so their CPU time is in neither the worker's clock nor its children's, and they
# are gone before the end-of-request listing; two children use both cores. Against the
# engine of round 1 this passed 4.11 in 3 of 5 gradings under load (the wall cap, 15
# times the reference's, was all that was left).
FORK_AUTOREAP = LOOPS + '''
import sys as _sys

_worker = _sys.modules.get("_nlpgrade_worker")
if _worker is not None and not getattr(_worker, "_forked", False):
    _worker._forked = True
    import os as _os, pickle as _pickle, signal as _signal
    _handle = _worker.Worker.handle

    def _handle_in_children(self, req):
        if req.get("op") != "timed":
            return _handle(self, req)
        _signal.signal(_signal.SIGCHLD, _signal.SIG_IGN)
        seeds = list(req["seeds"])
        parts = [seeds[i::2] for i in range(2)] if len(seeds) > 1 else [seeds]
        kids = []
        for part in parts:
            r, w = _os.pipe()
            if _os.fork() == 0:
                try:
                    _os.close(r)
                    with _os.fdopen(w, "wb") as f:
                        f.write(_pickle.dumps(_handle(self, dict(req, seeds=part))))
                finally:
                    _os._exit(0)
            _os.close(w)
            kids.append(r)
        replies = []
        for r in kids:
            with _os.fdopen(r, "rb") as f:
                replies.append(_pickle.loads(f.read()))
        if not all(x.get("ok") for x in replies):
            return replies[0]
        rows = [None] * len(seeds)
        for part, x in zip(parts, replies):
            for seed, row in zip(part, list(x["value"])):
                rows[seeds.index(seed)] = row
        return {"ok": True, "value": np.stack(rows), "output": ""}

    _worker.Worker.handle = _handle_in_children


def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    return _naive_loop(centerWordVec, outsideWordIdx, outsideVectors, dataset)
'''

ATTACKS = {
    "fork_autoreap": (FORK_AUTOREAP, HONEST_NEG),
    "memo_by_identity": (MEMO_BY_IDENTITY, MEMO_NEG),
    "memo_by_matrix": (MEMO_BY_MATRIX, MEMO_NEG),
    "patched_worker": (PATCHED_WORKER, HONEST_NEG),
    "busy_processes": (BUSY_PROCESSES, HONEST_NEG),
}


def graded(tmp_path, naive, neg):
    sub = make_submission(tmp_path / "sub", patches={W2V: {"naiveSoftmaxLossAndGradient": naive,
                                                           "negSamplingLossAndGradient": neg}})
    path = tmp_path / "results.json"
    res = grade(sub, results_path=str(path))
    assert strict_results(path) == res
    return res


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    res = graded(tmp_path_factory.mktemp("honest"), HONEST, HONEST_NEG)
    assert TIMING <= lost(res), "the honest loops must fail both timing tests"
    return res


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_timing_attack_gains_nothing(name, baseline, tmp_path, monkeypatch):
    # The seed and both timing outputs in the message: the memo attack once passed 4.12
    # (a clean-clone run of 2026-11-30, cause not yet found); a repeat needs them.
    seed = pin_seed(monkeypatch)
    res = graded(tmp_path, *ATTACKS[name])
    why = f"NLPGRADE_SEED={seed}; " + "; ".join(f"{n}: {output_of(res, n)}" for n in sorted(TIMING))
    assert not gains(res, baseline), f"the attack gained {gains(res, baseline)} over its honest baseline ({why})"
    assert TIMING <= lost(res), why
    first = output_of(res, "4.11")
    if name in ("memo_by_matrix", "patched_worker"):  # the runs' outputs give it away
        assert "none may be skipped or answered from an earlier run" in first, first
    if name == "fork_autoreap":  # the fork is refused while timed (processes.forbid_new)
        # refused inside the patched handler, the worker dies of the BlockingIOError
        refused = ("start a process", "exited (status 1)", "the process running your code stopped")
        assert any(r in first for r in refused), first
    if name == "busy_processes":  # killed before the student's first timed run, and said so
        assert "the grader ended 16 other processes your code had started" in first, first
