"""The sandbox worker: limits, restarts, failures reported in words."""
import os
import time

import pytest

from autograder.sandbox import (BudgetExhausted, Limits, MissingFile, Sandbox, StudentCrashed,
                                StudentException, StudentTimeout)

MODULE = '''
import os, sys, time
import numpy as np

def double(x):
    return x * 2

def loop():
    while True:
        pass

def chatty(n):
    for i in range(n):
        print("line", i)
    return n

def raw_flood(n):
    os.write(1, b"x" * n)
    return n

def allocate_gb(n):
    return len(bytearray(n * 2**30))

def forks(n):
    pids, error = [], None
    try:
        for _ in range(n):
            pid = os.fork()
            if pid == 0:
                time.sleep(3)
                os._exit(0)
            pids.append(pid)
    except OSError as exc:
        error = type(exc).__name__
    for pid in pids:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    return len(pids), error

def hard_exit():
    os._exit(7)

def soft_exit():
    sys.exit(0)

def uid():
    return os.getuid()

def read(path):
    with open(path) as f:
        return f.read()

def todo():
    raise NotImplementedError
'''


@pytest.fixture
def workdir(open_tmp):
    tmp_path = open_tmp
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "m.py").write_text(MODULE)
    (folder / "hangs.py").write_text("while True:\n    pass\n")
    for path in (tmp_path, folder):
        os.chmod(path, 0o755)
    os.chmod(folder / "m.py", 0o644)
    os.chmod(folder / "hangs.py", 0o644)
    return str(folder)


@pytest.fixture
def sandbox(workdir):
    sb = Sandbox(workdir, Limits(call_timeout_s=1.5, import_timeout_s=2, memory_mb=1024, processes=16),
                 student_files=["m.py", "hangs.py", "absent.py"], present=["m.py", "hangs.py"])
    yield sb
    sb.close()


def test_call_returns_values(sandbox):
    assert sandbox.call("m", "double", 21) == 42


def test_timeout_kills_and_the_next_call_runs(sandbox):
    started = time.monotonic()
    with pytest.raises(StudentTimeout, match=r"loop\(\) timed out after 1.5 s"):
        sandbox.call("m", "loop")
    # cut at the call timeout, not at the CPU limit (300 s); no tighter bound: load reaches it
    assert time.monotonic() - started < 60
    assert sandbox.call("m", "double", 2) == 4


def test_import_that_hangs_fails_once_then_immediately(sandbox):
    with pytest.raises(StudentTimeout, match="importing hangs.py timed out"):
        sandbox.call("hangs", "anything")
    started = time.monotonic()
    with pytest.raises(StudentTimeout, match="importing hangs.py"):
        sandbox.call("hangs", "anything")
    assert time.monotonic() - started < 2  # no second import attempt (its timeout is 2 s)
    assert sandbox.call("m", "double", 1) == 2  # other modules are unaffected


def test_missing_file_is_named(sandbox):
    with pytest.raises(MissingFile, match="absent.py is not in your submission"):
        sandbox.call("absent", "f")


def test_exceptions_carry_type_and_student_frames(sandbox):
    with pytest.raises(StudentException, match="not implemented yet"):
        sandbox.call("m", "todo")
    with pytest.raises(StudentException) as info:
        sandbox.call("m", "read", "/nonexistent/file")
    assert info.value.type == "FileNotFoundError"
    assert 'File "m.py"' in str(info.value) and "autograder" not in str(info.value)


def test_exits_are_reported_and_survived(sandbox):
    with pytest.raises(StudentException, match="sys.exit"):
        sandbox.call("m", "soft_exit")
    with pytest.raises(StudentCrashed, match="exited"):
        sandbox.call("m", "hard_exit")
    assert sandbox.call("m", "double", 3) == 6


def test_memory_limit(sandbox):
    with pytest.raises((StudentException, StudentCrashed), match="memory|killed"):
        sandbox.call("m", "allocate_gb", 10)
    assert sandbox.call("m", "double", 1) == 2


def test_output_is_captured_and_truncated(workdir):
    sb = Sandbox(workdir, Limits(output_chars=500), student_files=["m.py"])
    try:
        assert sb.call("m", "chatty", 3) == 3
        assert sb.take_output() == "line 0\nline 1\nline 2\n"
        assert sb.call("m", "chatty", 100000) == 100000
        out = sb.take_output()
        assert len(out) < 700 and "more characters of output were cut" in out
        assert sb.call("m", "raw_flood", 5_000_000) == 5_000_000  # fd-level writes are drained
    finally:
        sb.close()


def test_budget_stops_further_calls(workdir):
    # the first call's timeout spends the whole budget (with 0.2 s left over, a re-import
    # under that tiny timeout could time out first and be what the third call reports)
    sb = Sandbox(workdir, Limits(call_timeout_s=1, total_s=1), student_files=["m.py"])
    try:
        with pytest.raises(StudentTimeout):
            sb.call("m", "loop")
        with pytest.raises((BudgetExhausted, StudentTimeout)):
            sb.call("m", "loop")
        with pytest.raises(BudgetExhausted, match="budget"):
            sb.call("m", "double", 1)
    finally:
        sb.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="privilege drop needs root")
class TestAsRoot:
    def test_runs_as_an_unprivileged_user(self, sandbox):
        # the uid leased for this sandbox alone, not root and not the grader's
        assert sandbox.call("m", "uid") == sandbox.identity.uid != 0

    def test_cannot_read_private_files(self, sandbox, tmp_path):
        secret = tmp_path / "private"
        secret.mkdir(mode=0o700)
        (secret / "answer.txt").write_text("42")
        with pytest.raises(StudentException, match="PermissionError"):
            sandbox.call("m", "read", str(secret / "answer.txt"))

    def test_process_limit(self, sandbox):
        made, error = sandbox.call("m", "forks", 200)
        assert error in ("BlockingIOError", "OSError") and made < 200


def test_compile_time_warnings_are_not_shown_as_student_output(workdir):
    """The 2021 a3 starter has `x is "right"`: Python warns when it compiles the file, and
    that warning is the starter's, not something the student's code printed."""
    with open(os.path.join(workdir, "starter.py"), "w") as f:
        f.write('def side(x):\n    print("called")\n    return x is "right"\n')
    os.chmod(os.path.join(workdir, "starter.py"), 0o644)
    sb = Sandbox(workdir, Limits(), student_files=["starter.py"])
    try:
        assert sb.call("starter", "side", "left") is False
        assert sb.take_output() == "called\n"
    finally:
        sb.close()
