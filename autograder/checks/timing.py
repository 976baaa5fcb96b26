"""Timing checks: the student's time over the reference's time, never absolute seconds.

Both run the same probe on the same inputs, in sandbox workers started the same way,
timed by the trusted side. Trials alternate between the two and the minimum of each is
kept, so a noisy machine slows both and the ratio stays put.
"""
from dataclasses import dataclass

from ..sandbox import StudentTimeout


@dataclass
class Timing:
    ratio: float
    student_s: float   # seconds for `repeat` runs
    reference_s: float
    repeat: int
    timed_out: bool = False


def measure(student, reference, probe, *args, limit, trials=5, target_s=0.05, **kwargs):
    """Time `probe(*args)` in both sandboxes; `limit` is the ratio that fails."""
    reference.probe(probe, *args, **kwargs)           # warm both: imports, first-call costs
    student.probe(probe, *args, **kwargs)
    _, once = reference.timed_probe(probe, *args, **kwargs)
    repeat = max(1, min(10000, int(target_s / max(once, 1e-6))))
    best_ref = best_student = float("inf")
    for _ in range(trials):
        best_ref = min(best_ref, reference.timed_probe(probe, *args, repeat=repeat, **kwargs)[1])
        # A student trial longer than 3x the limit cannot pass: stop it there.
        cap = max(2.0, 3 * limit * best_ref)
        try:
            best_student = min(best_student, student.timed_probe(
                probe, *args, repeat=repeat, timeout=cap, **kwargs)[1])
        except StudentTimeout:
            return Timing(float("inf"), cap, best_ref, repeat, timed_out=True)
    return Timing(best_student / best_ref, best_student, best_ref, repeat)
