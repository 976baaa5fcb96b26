"""The worker's memory limit is on memory it really holds (sandbox/memory.py), names the
limit when it stops the worker. (That torch lives under it, though it reserves more
address space than that, every grading of a3 shows: a3's limit is below torch's.)"""
import os

import pytest

from autograder.sandbox import Limits, StudentCrashed
from autograder.sandbox import memory
from support import module_sandbox

MODULE = '''
import os, subprocess, sys, time

def hold_mb(n, seconds=1):
    block = bytearray(n * 2**20)          # zero-filled: every page is touched
    for i in range(0, len(block), 4096):
        block[i] = 1
    time.sleep(seconds)                   # held long enough for the watch to see it
    return len(block) // 2**20

def child_holds_mb(n):
    code = "import time; b = bytearray(%d * 2**20); b[::4096] = b'1' * len(b[::4096]); time.sleep(5)" % n
    return subprocess.run([sys.executable, "-c", code]).returncode

def oom_score_adj():
    with open("/proc/self/oom_score_adj") as f:
        return int(f.read())
'''


@pytest.fixture
def sandbox(open_tmp):
    with module_sandbox(open_tmp, MODULE, Limits(memory_mb=400, call_timeout_s=30, import_timeout_s=30)) as sb:
        yield sb


def test_over_the_limit_is_stopped_and_the_message_names_the_limit(sandbox):
    with pytest.raises(StudentCrashed, match=r"hold_mb\(600, 25\).*used \d+ MB of memory, over the "
                                             r"memory limit of 400 MB"):
        sandbox.call("m", "hold_mb", 600, 25)  # the watch samples every 0.1 s, on a busy machine later
    assert sandbox.call("m", "hold_mb", 100) == 100  # a fresh worker, under the limit: fine


def test_a_child_process_counts_towards_the_limit(sandbox):
    with pytest.raises(StudentCrashed, match="over the memory limit of 400 MB"):
        sandbox.call("m", "child_holds_mb", 600)


def test_the_worker_is_the_first_the_kernel_kills(sandbox):
    # When the whole container runs out, the student's worker goes, never the grader.
    assert sandbox.call("m", "oom_score_adj") == 1000


def test_resident_bytes_counts_what_is_touched_not_what_is_reserved():
    import mmap

    before = memory.resident_bytes(os.getpid())
    reserved = mmap.mmap(-1, 512 * 2**20)        # reserved, untouched
    assert memory.resident_bytes(os.getpid()) - before < 64 * 2**20
    reserved[:: 4096] = b"1" * (512 * 2**20 // 4096)   # now every page is held
    assert memory.resident_bytes(os.getpid()) - before > 400 * 2**20
    reserved.close()


FORKS = """
import os, sys, time
block = bytearray(200 * 2**20)
block[::4096] = b"1" * len(block[::4096])
for _ in range(10):
    if os.fork() == 0:
        time.sleep(60)
        os._exit(0)
print("ready", flush=True)
time.sleep(60)
"""


def test_forked_children_count_once_for_the_pages_they_share():
    """A fork shares its parent's pages until it writes them: ten forks of a process
    holding 200 MB hold about 200 MB, not 2 GB (summed RSS said 2 GB and killed a fork
    bomb for memory before the process limit could stop it). A fresh interpreter, not a
    fork of pytest, whose own heap would count."""
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", FORKS], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        assert len(memory._tree(proc.pid)) == 11
        held = memory.resident_bytes(proc.pid)
        assert 190 * 2**20 < held < 300 * 2**20, held / 2**20
    finally:
        for child in memory._tree(proc.pid)[1:]:
            os.kill(child, signal.SIGKILL)
        proc.kill()
        proc.wait()
