#!/usr/bin/env python
"""Frequent-word subsampling and the negative-sampling distribution of word2vec."""

import numpy as np


def subsampleKeepProbability(wordFraction, threshold=1e-3):
    """Probability of keeping an occurrence of a word during subsampling.

    wordFraction: z, the word's count divided by the corpus size; a scalar or an array.
    threshold: t, the `sample` parameter of the word2vec C code.

    P(keep) = (sqrt(z / t) + 1) * t / z, capped at 1, elementwise.
    Returns a float for scalar input, otherwise an array shaped like wordFraction.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def negativeSamplingDistribution(counts, power=0.75):
    """Unigram distribution raised to `power` and renormalised.

    counts: (V,) word counts (or frequencies; only their ratios matter).
    Returns (V,) probabilities P(w) = f(w)^power / sum_j f(w_j)^power.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def test_sampling():
    """Check the worked values of the lecture notes."""
    print("==== Sanity check for subsampleKeepProbability ====")
    assert subsampleKeepProbability(0.0026) == 1.0
    assert subsampleKeepProbability(1e-6) == 1.0
    assert abs(subsampleKeepProbability(0.00746) - 0.5) < 1e-3
    assert abs(subsampleKeepProbability(1.0) - 0.033) < 1e-3
    z = np.array([1e-5, 0.0026, 0.00746, 0.1, 1.0])
    p = subsampleKeepProbability(z)
    assert p.shape == z.shape and np.all(np.diff(p) <= 0)
    print("Tests for subsampleKeepProbability passed!")

    print("==== Sanity check for negativeSamplingDistribution ====")
    counts = np.array([1000, 100, 10, 1])
    P = negativeSamplingDistribution(counts)
    assert P.shape == counts.shape and abs(P.sum() - 1) < 1e-12
    # the 3/4 power moves probability mass towards rare words
    assert np.all(P[1:] > counts[1:] / counts.sum())
    assert np.allclose(negativeSamplingDistribution(counts, power=1.0), counts / counts.sum())
    print("Tests for negativeSamplingDistribution passed!")


if __name__ == "__main__":
    test_sampling()
