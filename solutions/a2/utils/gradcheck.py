"""Numerical gradient checking for assignment a2 (provided code, not student work)."""

import random

import numpy as np


def gradcheck_naive(f, x, gradientText):
    """Compare the analytic gradient of f with central finite differences.

    f: function taking an array shaped like x and returning (loss, grad),
       where grad has the shape of x.
    x: the point to check at (a numpy array; it is perturbed in place and restored).
    gradientText: a short description printed if the check fails.

    For every entry x[ix], the numerical gradient is
    (f(x + h e_ix) - f(x - h e_ix)) / (2h) with h = 1e-4, and the check fails when
    |numerical - analytic| / max(1, |numerical|, |analytic|) > 1e-5.
    The state of Python's `random` module is restored before every evaluation of f,
    so functions that draw random samples (negative sampling) see the same draws each
    time. Prints "Gradient check passed!" and returns True on success; on the first bad
    entry prints its index and both values and returns False.
    """
    rndstate = random.getstate()
    random.setstate(rndstate)
    fx, grad = f(x)
    h = 1e-4

    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]

        x[ix] = old + h
        random.setstate(rndstate)
        fplus, _ = f(x)

        x[ix] = old - h
        random.setstate(rndstate)
        fminus, _ = f(x)

        x[ix] = old  # restore before moving on
        numgrad = (fplus - fminus) / (2 * h)

        reldiff = abs(numgrad - grad[ix]) / max(1.0, abs(numgrad), abs(grad[ix]))
        if reldiff > 1e-5:
            print("Gradient check failed for %s." % gradientText)
            print("First gradient error found at index %s in the vector of gradients"
                  % str(ix))
            print("Your gradient: %f \t Numerical gradient: %f" % (grad[ix], numgrad))
            return False
        it.iternext()

    print("Gradient check passed!")
    return True


def _split_vectors(dummy_tokens, dummy_vectors):
    """Split the stacked dummy matrix into (center, outside) halves."""
    n = dummy_vectors.shape[0] // 2
    assert n == len(dummy_tokens), "dummy_vectors must hold 2 rows per token"
    return dummy_vectors[:n, :], dummy_vectors[n:, :]


def _fixtures(dummy_tokens):
    """Our own skip-gram test cases: (center word, window size, outside words)."""
    words = sorted(dummy_tokens, key=dummy_tokens.get)
    w = lambda i: words[i % len(words)]
    return [
        (w(1), 2, [w(0), w(3), w(2), w(0)]),                # includes a repeated word
        (w(3), 3, [w(4), w(1), w(3), w(2), w(0), w(1)]),    # center word also outside
        (w(0), 1, [w(2)]),                                  # single outside word
    ]


def _run_skipgram_tests(title, skipgram, dummy_tokens, dummy_vectors, dataset, lossFn):
    """Shape checks and gradient checks of skipgram on the fixtures."""
    print("====== Skip-Gram with %s test cases ======" % title)
    centerVecs, outsideVecs = _split_vectors(dummy_tokens, dummy_vectors)
    V = centerVecs.shape[0]
    ok = True

    for n, (center, C, outside) in enumerate(_fixtures(dummy_tokens), start=1):
        # with lossFn None, skipgram's default loss (naive softmax) is used
        extra = () if lossFn is None else (lossFn,)
        loss, gradC, gradO = skipgram(center, C, outside, dummy_tokens,
                                      centerVecs, outsideVecs, dataset, *extra)

        if np.shape(gradC) != centerVecs.shape or np.shape(gradO) != outsideVecs.shape:
            print("Test %d: wrong gradient shapes %s and %s, expected %s"
                  % (n, np.shape(gradC), np.shape(gradO), centerVecs.shape))
            ok = False
            continue
        if not np.isfinite(loss):
            print("Test %d: loss is not finite (%r)" % (n, loss))
            ok = False
            continue
        others = np.delete(np.asarray(gradC), dummy_tokens[center], axis=0)
        if np.any(others != 0):
            print("Test %d: gradCenterVecs has non-zero rows besides the center word" % n)
            ok = False

        # gradient check with respect to all vectors at once, as the sgd wrapper sees them
        def f(vecs):
            l, gc, go = skipgram(center, C, outside, dummy_tokens,
                                 vecs[:V, :], vecs[V:, :], dataset, *extra)
            return l, np.concatenate([gc, go], axis=0)

        print("Test %d: center %r, window %d, loss %.6f" % (n, center, C, loss))
        ok &= gradcheck_naive(f, np.array(dummy_vectors, dtype=float),
                              "skipgram with %s, test %d" % (title, n))

    print("All tests passed!" if ok else "Some tests failed.")
    # Like the course's checks, a failure stops the script (and its exit status says so).
    assert ok, "Some skip-gram tests failed (see above)."
    return ok


def grad_tests_softmax(skipgram, dummy_tokens, dummy_vectors, dataset):
    """Test skipgram with its default loss (naive softmax) on dummy data.

    skipgram: the function under test. dummy_tokens: word -> index for V words.
    dummy_vectors: (2V, d), center vectors stacked above outside vectors.
    dataset: a dummy dataset offering sampleTokenIdx() and getRandomContext(C).
    Prints results; returns True if every check passed.
    """
    return _run_skipgram_tests("naiveSoftmaxLossAndGradient", skipgram,
                               dummy_tokens, dummy_vectors, dataset, None)


def grad_tests_negsamp(skipgram, dummy_tokens, dummy_vectors, dataset,
                       negSamplingLossAndGradient):
    """Like grad_tests_softmax, with negSamplingLossAndGradient as the loss."""
    return _run_skipgram_tests("negSamplingLossAndGradient", skipgram,
                               dummy_tokens, dummy_vectors, dataset,
                               negSamplingLossAndGradient)
