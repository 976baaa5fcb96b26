"""Judging a plot from what the `plotted` probe saw (in the trusted process)."""
import numbers

import numpy as np

from autograder.describe import describe


def _number(value):
    """A finite real number that converts to a float (a claim may hold a 400-digit int)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        return False
    try:
        return bool(np.isfinite(float(value)))
    except (TypeError, ValueError, OverflowError):
        return False


def _figure(shown, call):
    """The probe's report as (points, labels), its structure checked first: it comes back
    from the notebook's process, so it is a claim like any other value."""
    ok = isinstance(shown, dict) and isinstance(shown.get("points"), list) and isinstance(shown.get("labels"), list)
    ok = ok and all(isinstance(p, (list, tuple)) and len(p) == 2 and all(map(_number, p)) for p in shown["points"])
    ok = ok and all(isinstance(t, (list, tuple)) and len(t) == 3 and isinstance(t[0], str)
                    and _number(t[1]) and _number(t[2]) for t in shown["labels"])
    if not ok:
        raise AssertionError(f"{call}: the figure could not be read (the grader saw {describe(shown)}); "
                             "draw with plt.scatter or plt.plot and label with plt.text or plt.annotate")
    return np.asarray(shown["points"], dtype=float).reshape(-1, 2), shown["labels"]


def check_plot(test, shown, M_reduced, word2ind, words, call):
    """Each requested word: one point where its row says, and its label there."""
    points, labels = _figure(shown, call)
    span = max(float(np.ptp(np.asarray(M_reduced)[:, :2], axis=0).max()), 1e-9)
    near = 0.05 * span  # labels are often nudged off their point a little
    test.assertEqual(len(points), len(words),
                     f"{call} drew {len(points)} points; wanted one for each of the {len(words)} words")
    for word in words:
        want = np.asarray(M_reduced)[word2ind[word], :2]
        test.assertTrue(np.any(np.linalg.norm(points - want, axis=1) <= 1e-6 * span + 1e-9),
                        f"{call}: no point at {want.tolist()} for {word!r}")
        spots = [(x, y) for text, x, y in labels if text.strip() == word]
        test.assertTrue(spots, f"{call}: no label {word!r} (labels drawn: "
                               f"{[t for t, _, _ in labels][:12]})")
        test.assertTrue(any(np.hypot(x - want[0], y - want[1]) <= near for x, y in spots),
                        f"{call}: the label {word!r} is at {spots[0]}, away from its point {want.tolist()}")
