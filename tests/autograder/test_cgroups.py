"""cgroups.run: a process tree under a memory cap and a CPU quota, and what it used; where
no cgroup can be made, the run is measured and the report says it was not limited."""
import sys

import pytest

from autograder import cgroups

HOLD = ("import subprocess, sys, time\n"
        "def hold(mb):\n"
        "    b = bytearray(mb * 2**20)\n"
        "    b[::4096] = b'1' * len(b[::4096])\n"
        "    time.sleep(2)\n"  # long enough for a poll of /proc on a busy machine to see it
        "    return b\n")


def python(code):
    return [sys.executable, "-c", code]


def parent_and_child(parent_mb, child_mb):
    """A process holding parent_mb that starts a child holding child_mb: both at once."""
    child = f"{HOLD}hold({child_mb})"
    return python(f"{HOLD}b = hold({parent_mb})\n"
                  f"sys.exit(subprocess.run([sys.executable, '-c', {child!r}]).returncode)")


@pytest.fixture
def can_limit():
    try:
        cgroups.make_group("nlpgrade-test-probe", 64, 1).remove()
    except cgroups.Unavailable as exc:
        pytest.skip(f"no cgroup can be made here: {exc}")


def test_the_whole_tree_is_measured_under_the_limit(can_limit):
    status, usage = cgroups.run(parent_and_child(60, 90), memory_mb=400, cpus=1)
    assert status == 0
    assert usage.enforced in ("cgroup v1", "cgroup v2") and usage.oom_kills == 0
    assert 150 <= usage.process_peak_mb < 260      # parent and child together, not either
    assert usage.cpu_s > 0 and usage.wall_s > 0.5
    assert "peak memory of the process tree" in "\n".join(usage.lines())


def test_a_tree_over_the_limit_is_killed_and_reported(can_limit):
    # neither process alone is over 200 MB: only their sum is
    status, usage = cgroups.run(parent_and_child(120, 120), memory_mb=200, cpus=1)
    assert status != 0
    assert usage.oom_kills >= 1
    assert any("OUT OF MEMORY" in line and "200 MB" in line for line in usage.lines())


def test_the_cpu_quota_holds(can_limit):
    # 0.4 s of CPU at a fifth of a CPU takes at least about 2 s of wall time, however idle
    # the machine (a bound that load can only make larger)
    spin = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.4: pass"
    status, usage = cgroups.run(python(spin), memory_mb=200, cpus=0.2)
    assert status == 0
    assert usage.cpu_s >= 0.4
    assert usage.wall_s >= 0.8 * usage.cpu_s / 0.2


def test_without_cgroups_it_says_so_and_measures(monkeypatch):
    def unavailable(*args):
        raise cgroups.Unavailable("no cgroup file system (test)")

    monkeypatch.setattr(cgroups, "make_group", unavailable)
    status, usage = cgroups.run(parent_and_child(60, 90), memory_mb=100, cpus=0.5)
    assert status == 0                             # nothing enforced: it was not killed
    assert usage.enforced is None and usage.oom_kills is None
    assert 150 <= usage.process_peak_mb < 260      # polled from /proc, child included
    assert usage.cpu_s > 0                         # from the rusage of waited children
    text = "\n".join(usage.lines())
    assert "limits NOT enforced (no cgroup file system (test))" in text
    assert "OVER THE LIMIT" in text                # 150 MB and more, in 100


def test_a_run_past_its_timeout_is_killed_with_its_tree(can_limit):
    status, usage = cgroups.run(python("import time; time.sleep(30)"), timeout=1)
    assert status is None and usage.wall_s < 25   # cut off, not slept out
