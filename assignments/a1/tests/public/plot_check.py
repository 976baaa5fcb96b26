"""Judging a plot from what the `plotted` probe saw (in the trusted process)."""
import numpy as np


def check_plot(test, shown, M_reduced, word2ind, words, call):
    """Each requested word: one point where its row says, and its label there."""
    points = np.asarray(shown["points"], dtype=float).reshape(-1, 2)
    span = max(float(np.ptp(np.asarray(M_reduced)[:, :2], axis=0).max()), 1e-9)
    near = 0.05 * span  # labels are often nudged off their point a little
    test.assertEqual(len(points), len(words),
                     f"{call} drew {len(points)} points; wanted one for each of the {len(words)} words")
    for word in words:
        want = np.asarray(M_reduced)[word2ind[word], :2]
        test.assertTrue(np.any(np.linalg.norm(points - want, axis=1) <= 1e-6 * span + 1e-9),
                        f"{call}: no point at {want.tolist()} for {word!r}")
        spots = [(x, y) for text, x, y in shown["labels"] if text.strip() == word]
        test.assertTrue(spots, f"{call}: no label {word!r} (labels drawn: "
                               f"{[t for t, _, _ in shown['labels']][:12]})")
        test.assertTrue(any(np.hypot(x - want[0], y - want[1]) <= near for x, y in spots),
                        f"{call}: the label {word!r} is at {spots[0]}, away from its point {want.tolist()}")
