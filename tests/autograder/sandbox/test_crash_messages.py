"""A worker that stops answering says what happened: its pipe closed while it ran, it
exited with a status, or it was killed (the memory limit named)."""
import pytest

from autograder.sandbox import Limits, StudentCrashed
from support import module_sandbox

MODULE = '''
import os, time

def close_pipes_and_wait():
    os.closerange(3, 1024)  # the reply pipe among them; the process lives on
    time.sleep(30)

def exits():
    os._exit(7)

def killed():
    os.kill(os.getpid(), 9)

def double(x):
    return 2 * x

def spins():
    while True:
        pass
'''


@pytest.fixture
def sandbox(open_tmp):
    with module_sandbox(open_tmp, MODULE, Limits(call_timeout_s=10, import_timeout_s=5, memory_mb=768)) as sb:
        yield sb


def test_a_closed_pipe_is_not_called_a_memory_kill(sandbox):
    with pytest.raises(StudentCrashed) as info:
        sandbox.call("m", "close_pipes_and_wait")
    text = str(info.value)
    assert "closed the pipe it answers the grader on, while it was still running" in text, text
    assert "memory" not in text and info.value.pipe_closed
    assert sandbox.call("m", "double", 2) == 4  # a fresh worker


def test_an_exit_gives_its_status(sandbox):
    with pytest.raises(StudentCrashed, match=r"exited \(status 7\)") as info:
        sandbox.call("m", "exits")
    assert "memory" not in str(info.value) and not info.value.pipe_closed


def test_a_kill_names_the_memory_limit(sandbox):
    with pytest.raises(StudentCrashed) as info:
        sandbox.call("m", "killed")
    assert "it was killed, most often because it used more than the 768 MB memory limit" in str(info.value)
    assert not info.value.pipe_closed


def test_the_cpu_time_limit_is_named(open_tmp):
    with module_sandbox(open_tmp, MODULE, Limits(call_timeout_s=60, cpu_s=2, memory_mb=768)) as sb:
        with pytest.raises(StudentCrashed) as info:
            sb.call("m", "spins")
    text = str(info.value)
    assert "it used up its CPU-time limit" in text and "memory" not in text, text
