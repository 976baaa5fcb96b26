"""The timing ratio tells a loop from vectorized code on the same machine in one run."""
import os

import pytest

from autograder.checks import timing
from autograder.sandbox import Limits, Sandbox

FAST = "import numpy as np\ndef work(n):\n    return float(np.arange(n).sum())\n"
SLOW = "def work(n):\n    total = 0.0\n    for i in range(n):\n        total += i\n    return total\n"


def work_probe(n):
    import m

    return m.work(n)


def sandbox_with(folder, source):
    folder.mkdir()
    (folder / "m.py").write_text(source)
    os.chmod(folder, 0o755)
    os.chmod(folder / "m.py", 0o644)
    return Sandbox(str(folder), Limits(), student_files=["m.py"])


@pytest.fixture
def sandboxes(open_tmp):
    boxes = [sandbox_with(open_tmp / "fast", FAST), sandbox_with(open_tmp / "slow", SLOW),
             sandbox_with(open_tmp / "fast2", FAST)]
    yield boxes
    for b in boxes:
        b.close()


def test_a_python_loop_is_many_times_slower(sandboxes):
    fast, slow, _ = sandboxes
    result = timing.measure(slow, fast, work_probe, 20000, limit=5, trials=3)
    assert result.ratio > 5


def test_same_code_has_a_ratio_near_one(sandboxes):
    fast, _, fast2 = sandboxes
    result = timing.measure(fast2, fast, work_probe, 20000, limit=5, trials=3)
    assert 0.3 < result.ratio < 3
