"""Hostile a2 submissions: each still gets a valid results.json, no points for the tests
it affects (and full marks for the others), a reason a student can read, and a bounded
grading time.

The submissions are the reference with one thing broken (see support.make_submission).
Small call and import timeouts keep the slow cases short; where a case does not need
them, the timeouts stay generous so that a loaded machine cannot fail an unaffected test.
"""
import json
import os
import shutil
import signal
import tempfile
import time
import zipfile

import pytest

from autograder import config as configmod
from autograder import grading
from autograder import results as resultsmod
from autograder.sandbox import Limits, Sandbox
from autograder.sandbox.memory import address_space_mb
from support import grade, lost, make_submission, output_of

A2 = configmod.load("a2")
ALL = set(A2.points)
SGD = {"1.6", "4.10", "4.13"}
SAMPLING = {"2.1", "2.2", "5.1", "5.2"}
INFORMATION = {"3.1", "3.2", "3.3", "5.3", "5.4"}
WORD2VEC = ALL - SGD - SAMPLING - INFORMATION           # 1.1-1.5, 4.1-4.9, 4.11, 4.12
# Tests that run sigmoid: directly, or through negSamplingLossAndGradient.
USES_SIGMOID = {"1.1", "1.3", "1.5", "4.1", "4.5", "4.6", "4.8", "4.9", "4.12"}
assert WORD2VEC == {"1.1", "1.2", "1.3", "1.4", "1.5", "4.1", "4.2", "4.3", "4.4", "4.5", "4.6",
                    "4.7", "4.8", "4.9", "4.11", "4.12"}

GENEROUS = {"call_timeout_s": 8, "import_timeout_s": 8}   # for cases that never time out
REFERENCE = A2.reference_dir
SOLUTIONS_FILE = "/work/main/solutions/a2/word2vec.py"      # what an attacker would guess
HIDDEN_TESTS_FILE = "/work/main/assignments/a2/tests/hidden/test_a2_hidden.py"

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="privilege drop needs root")


def reference_text(name):
    with open(os.path.join(REFERENCE, name)) as f:
        return f.read()


# A grading that hostile code keeps running past the whole sandbox budget is a hang. No
# tighter bound: these gradings take 3-10 s, but 62 s on a loaded CI machine (a red test
# must mean a bug, not a busy machine).
HANG_S = A2.limits.total_s + 60


def run_graded(sub, results_path, numbers=ALL, **limits):
    """Grade `sub`; check that it ended and that results.json is there, valid and complete."""
    started = time.monotonic()
    res = grade(sub, results_path=str(results_path), **limits)
    elapsed = time.monotonic() - started
    assert elapsed < HANG_S, f"grading took {elapsed:.1f} s: a hang (the sandbox budget is {A2.limits.total_s:g} s)"
    with open(results_path) as f:
        on_disk = json.load(f)
    resultsmod.validate(on_disk)
    assert on_disk == res
    assert {t["number"] for t in res["tests"]} == numbers, "every configured test must be present"
    for t in res["tests"]:
        assert t["score"] in (0.0, t["max_score"])
        assert "Traceback (most recent call last)" not in t["output"], t  # ours stay hidden
    return res


def hostile(tmp_path, limits=GENEROUS, numbers=ALL, **submission):
    sub = make_submission(tmp_path / "sub", **submission)
    return run_graded(sub, tmp_path / "results.json", numbers, **limits)


def outputs(res, numbers):
    return {n: output_of(res, n) for n in sorted(numbers)}


def assert_reason(res, numbers, *phrases):
    """Every test in `numbers` says each phrase (a tuple: any one of its alternatives)."""
    for n, text in outputs(res, numbers).items():
        for phrase in phrases:
            options = phrase if isinstance(phrase, tuple) else (phrase,)
            assert any(p in text for p in options), f"test {n}: expected {phrase!r} in:\n{text}"


@pytest.fixture
def shared_dir():
    """A folder outside pytest's private tmp tree that any user may write to (only file
    permissions would let the sandbox in: its Landlock rules keep it out)."""
    path = tempfile.mkdtemp(prefix="nlpgrade-hostile-")
    os.chmod(path, 0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


# ----- runaway code ---------------------------------------------------------------------
def test_infinite_loop_in_sigmoid(tmp_path):
    loop = "def sigmoid(x):\n    while True:\n        pass\n"
    timeout = 4.0  # every call has it: the slowest that must pass takes 0.2-0.7 s here
    res = hostile(tmp_path, limits={"call_timeout_s": timeout, "import_timeout_s": 10},
                  patches={"word2vec.py": {"sigmoid": loop}})
    # the worker is killed and restarted: everything that does not run sigmoid still passes
    assert lost(res) == USES_SIGMOID
    assert_reason(res, USES_SIGMOID, f"timed out after {timeout:g} s")
    for t in res["tests"]:  # each call is cut at the timeout, not at the CPU limit (300 s)
        assert t["extra_data"]["seconds"] < timeout + 60, t  # + restarts, however loaded


def test_infinite_loop_at_import(tmp_path):
    source = reference_text("word2vec.py") + "\nwhile True:\n    pass\n"
    res = hostile(tmp_path, limits={"call_timeout_s": 8, "import_timeout_s": 6},
                  files={"word2vec.py": source})
    assert lost(res) == WORD2VEC
    assert_reason(res, WORD2VEC, "importing word2vec.py timed out after 6 s")
    # imported once: one test waits for the timeout, the others fail at once
    slow = [t["number"] for t in res["tests"] if t["extra_data"]["seconds"] >= 5]
    assert len(slow) == 1, slow
    # charged once: an import retried per test would cost 6 s for each of them
    assert res["extra_data"]["sandbox_seconds"] < 6 * len(WORD2VEC)


def test_huge_allocations(tmp_path):
    big_array = ("def subsampleKeepProbability(wordFraction, threshold=1e-3):\n"
                 "    a = np.ones((10**5, 10**5 // 8))  # 9.3 GiB\n"
                 "    return a[0, 0]\n")
    big_bytes = ("def negativeSamplingDistribution(counts, power=0.75):\n"
                 "    b = bytearray(10 * 2**30)\n"
                 "    return len(b)\n")
    info = reference_text("information.py") + "\n_hoard = bytearray(10 * 2**30)\n"
    res = hostile(tmp_path, 
                  patches={"sampling.py": {"subsampleKeepProbability": big_array,
                                           "negativeSamplingDistribution": big_bytes}},
                  files={"information.py": info})
    assert lost(res) == SAMPLING | INFORMATION
    assert_reason(res, SAMPLING | INFORMATION, ("ran out of memory", "MemoryError"))
    assert_reason(res, INFORMATION, "importing information.py")
    assert_reason(res, {"2.1", "5.1"}, "subsampleKeepProbability(")
    assert_reason(res, {"2.2", "5.2"}, "negativeSamplingDistribution(")


def test_sys_exit_at_import(tmp_path):
    source = "import sys\nsys.exit(0)\n" + reference_text("word2vec.py")
    res = hostile(tmp_path, files={"word2vec.py": source})
    assert lost(res) == WORD2VEC
    assert_reason(res, WORD2VEC, "importing word2vec.py", "sys.exit(0)")


def test_os_exit_in_a_function(tmp_path):
    fn = ("def subsampleKeepProbability(wordFraction, threshold=1e-3):\n"
          "    import os\n    os._exit(0)\n")
    res = hostile(tmp_path, patches={"sampling.py": {"subsampleKeepProbability": fn}})
    assert lost(res) == {"2.1", "5.1"}   # the worker restarts for every later test
    assert_reason(res, {"2.1", "5.1"}, "subsampleKeepProbability(", "os._exit")


def test_syntax_error(tmp_path):
    source = reference_text("sgd.py")
    broken = source.replace("        loss, grad = f(x)\n", "        loss, grad = f(x\n")
    assert broken != source
    line = broken.splitlines().index("        loss, grad = f(x") + 1
    res = hostile(tmp_path, files={"sgd.py": broken})
    assert lost(res) == SGD
    assert_reason(res, SGD, "importing sgd.py", "SyntaxError", f"line {line}")


def test_raise_at_import(tmp_path):
    source = "raise ValueError('no information today')\n" + reference_text("information.py")
    res = hostile(tmp_path, files={"information.py": source})
    assert lost(res) == INFORMATION
    assert_reason(res, INFORMATION, "importing information.py raised ValueError",
                  "no information today")


def test_missing_file(tmp_path):
    res = hostile(tmp_path, drop=["sampling.py"])
    assert lost(res) == SAMPLING
    assert_reason(res, SAMPLING, "sampling.py is not in your submission")
    assert "missing from your submission: sampling.py" in res["output"]


# ----- wrong values ---------------------------------------------------------------------
def test_wrong_shape(tmp_path):
    transposed = '''def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    scores = outsideVectors @ centerWordVec
    y_hat = softmax(scores)
    shifted = scores - np.max(scores)
    loss = np.log(np.sum(np.exp(shifted))) - shifted[outsideWordIdx]
    delta = y_hat
    delta[outsideWordIdx] -= 1.0
    return loss, outsideVectors.T @ delta, np.outer(delta, centerWordVec).T
'''
    res = hostile(tmp_path, 
                  patches={"word2vec.py": {"naiveSoftmaxLossAndGradient": transposed}})
    # skipgram adds the transposed gradient to a (V, d) array and raises; the timing test
    # (4.11) checks the shapes in each timed run's result
    direct = {"1.2", "4.2", "4.3", "4.4"}
    through_skipgram = {"1.4", "4.7"}
    assert lost(res) == direct | through_skipgram | {"4.11"}
    assert_reason(res, direct, "gradOutsideVecs has shape")
    assert_reason(res, through_skipgram, "ValueError", "broadcast")
    assert_reason(res, {"4.11"}, "the shape of gradOutsideVecs[0] was 50; the reference's on the same inputs is 5000")


def test_nan(tmp_path):
    nan = "def sigmoid(x):\n    return np.full_like(np.asarray(x, dtype=float), np.nan)[()]\n"
    res = hostile(tmp_path, patches={"word2vec.py": {"sigmoid": nan}})
    affected = USES_SIGMOID   # the timing test (4.12) too: it checks each timed run's values
    assert lost(res) == affected
    assert_reason(res, affected, ("nan", "NaN"))
    for n, text in outputs(res, affected).items():
        assert "could not be read" not in text, f"test {n}: {text}"
    # sigmoid(0) returns a numpy scalar NaN: it must arrive as NaN, not as a codec error
    assert "contains nan" in output_of(res, "1.1"), output_of(res, "1.1")


# ----- attacks on the grader --------------------------------------------------------------
@needs_root
def test_cannot_forge_results_or_kill_the_grader(tmp_path, shared_dir):
    results_path = os.path.join(shared_dir, "results.json")   # even a writable one
    attack = f'''
import json as _json, os as _os
_report = []
for _p in [{results_path!r}, "/autograder/results/results.json", "results.json",
           "/work/main/results.json"]:
    try:
        _os.makedirs(_os.path.dirname(_os.path.abspath(_p)), exist_ok=True)
        with open(_p, "w") as _f:
            _json.dump({{"score": 1000, "tests": []}}, _f)
        _report.append("wrote " + _p)
    except Exception as _e:
        _report.append("could not write %s: %s" % (_p, type(_e).__name__))
for _name, _kill in [("parent", lambda: _os.kill(_os.getppid(), 9)),
                     ("parent group", lambda: _os.killpg(_os.getpgid(_os.getppid()), 9))]:
    try:
        _kill()
        _report.append("killed " + _name)
    except Exception as _e:
        _report.append("kill %s: %s" % (_name, type(_e).__name__))
print("ATTACK REPORT:", _report)
'''
    sub = make_submission(tmp_path / "sub", files={"word2vec.py": attack + reference_text("word2vec.py")})
    res = run_graded(sub, results_path, **GENEROUS)
    # the grader's file, with the reference's marks: the submission is otherwise correct
    assert lost(res) == set() and res["score"] == A2.total_points
    report = "\n".join(t["output"] for t in res["tests"] if "ATTACK REPORT" in t["output"])
    assert report, "the attack did not run"
    # not even a folder anyone may write to: the sandbox writes only in its own folder
    assert f"could not write {results_path}: PermissionError" in report
    assert "kill parent: PermissionError" in report
    assert "kill parent group: PermissionError" in report
    assert "could not write /work/main/results.json: PermissionError" in report
    assert not os.path.exists("/work/main/results.json")
    assert os.stat(results_path).st_uid == 0


@needs_root
def test_cannot_read_the_reference_or_hidden_tests(tmp_path):
    snoop = f'''def sigmoid(x):
    import os, re
    targets = [{SOLUTIONS_FILE!r}, {HIDDEN_TESTS_FILE!r},
               "/proc/%d/cwd/solutions/a2/word2vec.py" % os.getppid()]
    for pid in os.listdir("/proc"):  # the reference worker's folder is in its command line
        try:
            cmd = open("/proc/%s/cmdline" % pid, "rb").read().decode(errors="replace")
        except OSError:
            continue
        m = re.search(r'"workdir": "([^"]*reference[^"]*)"', cmd)
        if m:
            targets.append(m.group(1) + "/word2vec.py")
    found = []
    for path in targets:
        try:
            with open(path) as f:
                found.append("LEAKED %d characters of %s" % (len(f.read()), path))
        except OSError as e:
            found.append("%s: %s" % (path, type(e).__name__))
    raise PermissionError(" | ".join(found))
'''
    res = hostile(tmp_path, patches={"word2vec.py": {"sigmoid": snoop}})
    assert lost(res) == USES_SIGMOID
    assert_reason(res, USES_SIGMOID, "PermissionError", f"{SOLUTIONS_FILE}: PermissionError",
                  f"{HIDDEN_TESTS_FILE}: PermissionError")
    assert not any("LEAKED" in t["output"] for t in res["tests"])


def test_output_flood_is_cut(tmp_path):
    flood = '''def entropy(p, base=2):
    import os
    print("x" * (50 * 2**20))            # 50 MB through sys.stdout
    for _ in range(50):                  # and 50 MB straight to file descriptor 1
        os.write(1, b"y" * 2**20)
    p = np.asarray(p, dtype=float)
    logp = np.log(np.where(p > 0, p, 1.0))
    h = -np.sum(p * logp, axis=-1) / np.log(base)
    return float(h) if np.ndim(h) == 0 else h
'''
    flood_and_die = '''def crossEntropy(p, q, base=2, eps=1e-12):
    import os
    for _ in range(50):
        os.write(1, b"z" * 2**20)
    os._exit(3)
'''
    res = hostile(tmp_path, 
                  patches={"information.py": {"entropy": flood, "crossEntropy": flood_and_die}})
    assert lost(res) == {"3.3", "5.4"}          # printing is not wrong; dying is
    printed = output_of(res, "3.2")
    assert "Your code printed:" in printed and "xxxx" in printed
    assert "more characters" in printed and "cut" in printed
    assert len(printed) < resultsmod.MAX_TEST_OUTPUT + 200
    assert_reason(res, {"3.3", "5.4"}, "exited (status 3)")
    assert "more bytes of output were cut" in output_of(res, "3.3")
    assert os.path.getsize(tmp_path / "results.json") < 500_000


def test_crash_output_is_from_the_crashed_worker(tmp_path):
    # each crash floods with its own letter; a later crash must not show an earlier one's
    fn = '''def crossEntropy(p, q, base=2, eps=1e-12):
    import os
    letter = b"z" if len(p) == 3 else b"q"
    for _ in range(4):
        os.write(1, letter * 2**20)
    os._exit(3)
'''
    res = hostile(tmp_path, patches={"information.py": {"crossEntropy": fn}})
    assert lost(res) == {"3.3", "5.4"}
    last = output_of(res, "5.4").split("Its last output:")[-1]
    assert "qqqq" in last and "zzzz" not in last, output_of(res, "5.4")[:2000]


@needs_root
def test_fork_bomb_hits_the_process_limit(tmp_path):
    bomb = '''def subsampleKeepProbability(wordFraction, threshold=1e-3):
    import os, time
    n = 0
    try:
        for _ in range(500):          # bounded even if the limit were missing
            if os.fork() == 0:
                time.sleep(2)
                os._exit(0)
            n += 1
    except OSError as e:
        raise RuntimeError("forked %d, then %s: %s" % (n, type(e).__name__, e))
    raise RuntimeError("forked %d processes: no process limit" % n)
'''
    res = hostile(tmp_path, patches={"sampling.py": {"subsampleKeepProbability": bomb}})
    assert lost(res) == {"2.1", "5.1"}
    assert_reason(res, {"2.1", "5.1"}, "then BlockingIOError")
    first = output_of(res, "2.1")
    forked = int(first.split("forked ")[1].split(",")[0])
    assert forked < 300, first


@needs_root
def test_escaped_process_does_not_outlive_grading(tmp_path):
    # a process that leaves the worker's process group (setsid) is not reached by killpg;
    # the sandbox can write nowhere but its own folder, so it says its pid on stdout
    escape = '''
import os as _os
_r, _w = _os.pipe()
if _os.fork() == 0:
    _os.setsid()
    _pid = _os.fork()
    if _pid == 0:
        import time as _t
        _t.sleep(60)
    _os.write(_w, str(_pid).encode())
    _os._exit(0)
_os.close(_w)
print("ESCAPED PID", _os.read(_r, 20).decode())
'''
    res = hostile(tmp_path, 
                  files={"sampling.py": escape + reference_text("sampling.py")})
    assert res["score"] == A2.total_points
    printed = [t["output"] for t in res["tests"] if "ESCAPED PID" in t["output"]]
    assert printed, "the escaping process was not started"
    pid = int(printed[0].split("ESCAPED PID", 1)[1].split()[0])
    uid = res["extra_data"]["sandbox_isolation"]["user"].split()[-1]
    try:
        assert not _alive(pid), (f"process {pid}, started by the submission with setsid(), "
                                 "is still running after grading")
    finally:  # never leave it behind, whatever the engine did
        if _alive(pid) and str(os.stat(f"/proc/{pid}").st_uid) == uid:
            os.kill(pid, signal.SIGKILL)


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# ----- bad uploads --------------------------------------------------------------------
def assert_nothing_graded(res):
    assert lost(res) == ALL and res["score"] == 0
    for t in res["tests"]:
        assert "is not in your submission" in t["output"], t


def test_malformed_zip(tmp_path):
    upload = tmp_path / "submission.zip"
    upload.write_bytes(os.urandom(4096))
    res = run_graded(str(upload), tmp_path / "results.json", **GENEROUS)
    assert_nothing_graded(res)
    assert "submission.zip is not a valid zip file" in res["output"]
    assert "missing from your submission" in res["output"]


def test_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    res = run_graded(str(tmp_path / "empty"), tmp_path / "results.json", **GENEROUS)
    assert_nothing_graded(res)
    for name in A2.student_files:
        assert name in res["output"]


def zip_reference(path, prefix="", extra=()):
    with zipfile.ZipFile(path, "w") as z:
        for name in A2.student_files:
            z.write(os.path.join(REFERENCE, name), prefix + name)
        for name, text in extra:
            z.writestr(zipfile.ZipInfo(name), text)
    return str(path)


def test_zip_with_a_folder_inside(tmp_path):
    upload = zip_reference(tmp_path / "submission.zip", prefix="my_a2/")
    res = run_graded(upload, tmp_path / "results.json", **GENEROUS)
    assert lost(res) == set() and res["score"] == A2.total_points
    assert "using my_a2/word2vec.py as word2vec.py" in res["output"]


def test_zip_cannot_write_outside(tmp_path, shared_dir):
    up = "../" * 40
    escape_rel = up + shared_dir.lstrip("/") + "/evil_rel.py"
    escape_abs = shared_dir + "/evil_abs.py"
    upload = zip_reference(tmp_path / "submission.zip", extra=[
        (escape_rel, "print('pwned')\n"), (escape_abs, "print('pwned')\n"),
        ("../evil.py", "print('pwned')\n")])
    with zipfile.ZipFile(upload) as z:  # the archive really holds the dangerous names
        assert {escape_rel, escape_abs, "../evil.py"} <= set(z.namelist())
    res = run_graded(upload, tmp_path / "results.json", **GENEROUS)
    assert lost(res) == set()
    assert os.listdir(shared_dir) == []
    assert not (tmp_path / "evil.py").exists()


# ----- the grader itself fails ----------------------------------------------------------
def test_engine_failure(tmp_path, monkeypatch):
    def broken(tests, context):
        raise RuntimeError("simulated engine bug")

    monkeypatch.setattr(grading, "run_tests", broken)
    res = hostile(tmp_path, numbers=ALL | {"0"})
    engine = next(t for t in res["tests"] if t["name"] == grading.ENGINE_ERROR_NAME)
    assert engine["status"] == "failed"
    assert "simulated engine bug" in engine["extra_data"]["grader_traceback"]
    assert "Traceback" in engine["extra_data"]["grader_traceback"]
    for t in res["tests"]:
        assert t["score"] == 0 and t["status"] == "failed"
        assert "simulated engine bug" not in t["output"] and "Traceback" not in t["output"]
        if t is not engine:
            assert "grader_traceback" not in t.get("extra_data", {})
    assert "simulated engine bug" not in res["output"]
    assert "autograder failed" in res["output"]


# ----- the sandbox user ---------------------------------------------------------------
@needs_root
def test_student_code_runs_unprivileged():
    folder = tempfile.mkdtemp(prefix="nlpgrade-uid-")
    try:
        os.chmod(folder, 0o755)
        with open(os.path.join(folder, "m.py"), "w") as f:
            f.write("import os, resource\n"
                    "def ids():\n    return os.getuid(), os.geteuid(), os.getgid(), os.getgroups()\n"
                    "def limits():\n    return [resource.getrlimit(r)[0] for r in "
                    "(resource.RLIMIT_AS, resource.RLIMIT_CPU, resource.RLIMIT_NPROC)]\n")
        os.chmod(os.path.join(folder, "m.py"), 0o644)
        limits = Limits(memory_mb=1024, cpu_s=60)
        sb = Sandbox(folder, limits, student_files=["m.py"])
        try:
            uid, euid, gid, groups = sb.call("m", "ids")
            address_space, cpu, nproc = sb.call("m", "limits")
        finally:
            sb.close()
        identity = sb.identity  # leased for this sandbox alone
        assert uid == euid == identity.uid != 0
        assert gid == identity.gid and 0 not in groups
        # the address space is a backstop above the memory limit (sandbox/memory.py)
        assert address_space == address_space_mb(1024) * 2**20 and cpu == 60
        assert 0 < nproc < 10_000
    finally:
        shutil.rmtree(folder, ignore_errors=True)
