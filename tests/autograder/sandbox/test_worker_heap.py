"""While timed, the worker keeps freed blocks on its heap (worker._heap): with the
thresholds it starts with, each large array is a fresh mmap whose pages fault on first
write, a per-element cost both sides pay that hid a Python loop in a2's timing test (5.5
times the reference instead of 30). Outside timed runs large blocks are handed back."""
from autograder.sandbox import Limits
from support import module_sandbox

MODULE = '''
import resource
import numpy as np

def faults_per_array(n=20):
    """Minor page faults per 2 MB array written, over n arrays."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(n):
        np.ones(2**18)                      # 2 MB, every page written
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / n
'''


def faults_timing():
    """A timing probe whose runs report the page faults of their own arrays."""
    import numpy as np

    import m

    def run(seed):
        return np.array([m.faults_per_array()])

    return run


def test_timed_runs_reuse_the_heap_and_other_calls_give_blocks_back(open_tmp):
    with module_sandbox(open_tmp, MODULE, Limits(memory_mb=400, call_timeout_s=30)) as sb:
        before = sb.call("m", "faults_per_array")
        outputs, _ = sb.timed_runs(faults_timing, seeds=[1, 2, 3])
        after = sb.call("m", "faults_per_array")
    pages = 2**18 * 8 // 4096
    assert before > pages / 2 and after > pages / 2, (before, after)  # handed back, refaulted
    assert max(outputs[1:].ravel()) < pages / 10, outputs              # kept while timed
