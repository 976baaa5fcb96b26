"""Small numpy helpers provided with assignment a2 (not part of the student work)."""

import numpy as np


def normalizeRows(x):
    """Scale each row of x to unit L2 norm.

    x: (N, D) array (a 1-D array is treated as a single row).
    Returns a new array of the same shape; all-zero rows stay zero.
    """
    x = np.asarray(x, dtype=float)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    # avoid 0/0 for all-zero rows
    return x / np.where(norms == 0, 1.0, norms)


def softmax(x):
    """Numerically stable softmax.

    x: (N,) scores, or (N, D) where each row is a separate set of scores.
    Returns probabilities with the same shape as x.
    """
    x = np.asarray(x, dtype=float)
    # subtracting the row maximum leaves the result unchanged but keeps exp() <= 1
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
