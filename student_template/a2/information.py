#!/usr/bin/env python
"""Softmax, entropy and cross-entropy of discrete distributions."""

import numpy as np


def softmax(x):
    """Numerically stable softmax.

    x: (N,) scores, or (N, D) with one set of scores per row.
    Returns probabilities shaped like x (each row sums to 1).
    """
    # YOUR CODE HERE
    raise NotImplementedError


def entropy(p, base=2):
    """Entropy H(p) = -sum_i p_i log p_i of a distribution p (list or (N,) array).

    Terms with p_i = 0 contribute 0. base 2 gives bits, base np.e gives nats.
    A 2-D input is treated as one distribution per row.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def crossEntropy(p, q, base=2, eps=1e-12):
    """Cross-entropy H(p, q) = -sum_i p_i log q_i (lists or (N,) arrays).

    Terms with p_i = 0 contribute 0, and q is clamped below at eps so the result is
    finite. base 2 gives bits, base np.e gives nats. H(p, p) == H(p).
    A 2-D input is treated as one distribution per row.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def test_information():
    """Sanity checks of softmax, entropy and crossEntropy."""
    print("==== Sanity check for softmax ====")
    assert np.allclose(softmax([1.0, 2.0]), [0.26894142, 0.73105858])
    big = softmax(np.array([1000.0, 1001.0, 1002.0]))
    assert np.all(np.isfinite(big)) and np.allclose(big, softmax([0.0, 1.0, 2.0]))
    rows = softmax(np.array([[1.0, 2.0, 3.0], [-5.0, 0.0, 5.0]]))
    assert rows.shape == (2, 3) and np.allclose(rows.sum(axis=1), 1.0)
    # two classes: softmax equals the sigmoid of the score difference
    a, b = 0.7, -1.3
    assert np.isclose(softmax([a, b])[0], 1.0 / (1.0 + np.exp(-(a - b))))
    print("Tests for softmax passed!")

    print("==== Sanity check for entropy and crossEntropy ====")
    assert np.isclose(entropy([0.5, 0.5]), 1.0)
    assert np.isclose(entropy([0.25] * 4), 2.0)
    assert np.isclose(entropy([1.0, 0.0]), 0.0)
    assert np.isclose(entropy([0.5, 0.5], base=np.e), np.log(2))
    p = np.array([0.5, 0.25, 0.25, 0.0])
    assert np.isclose(crossEntropy(p, p), entropy(p))
    assert np.isclose(crossEntropy([1.0, 0.0], [0.5, 0.5]), 1.0)
    assert crossEntropy(p, [0.0, 0.5, 0.5, 0.0]) > entropy(p)
    assert np.isfinite(crossEntropy([1.0, 0.0], [0.0, 1.0]))
    print("Tests for entropy and crossEntropy passed!")


if __name__ == "__main__":
    test_information()
