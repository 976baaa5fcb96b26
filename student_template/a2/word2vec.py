#!/usr/bin/env python
"""Skip-gram word2vec: naive-softmax and negative-sampling losses with their gradients.

Conventions: rows of `outsideVectors` (V, d) and `centerWordVectors` (V, d) are words;
a single word vector is a 1-D array of shape (d,).
"""

import argparse
import random

import numpy as np

from utils.gradcheck import gradcheck_naive, grad_tests_softmax, grad_tests_negsamp
from utils.utils import normalizeRows, softmax


def sigmoid(x):
    """Logistic function 1 / (1 + exp(-x)), elementwise.

    x: a scalar or numpy array. Returns the same shape as x.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    """Softmax loss and gradients for one (center word, outside word) pair.

    centerWordVec: (d,) center vector v_c.
    outsideWordIdx: int, index o of the outside word.
    outsideVectors: (V, d) outside vectors U, one row per word.
    dataset: unused here; kept so every loss function has the same signature.

    The loss is -log softmax(U v_c)[o].
    Returns (loss, gradCenterVec (d,), gradOutsideVecs (V, d)).
    """
    # YOUR CODE HERE
    raise NotImplementedError

    return loss, gradCenterVec, gradOutsideVecs


def getNegativeSamples(outsideWordIdx, dataset, K):
    """Draw K negative word indices from dataset.sampleTokenIdx(), never outsideWordIdx.

    Returns a list of K ints (repeats are allowed).
    """
    negSampleWordIndices = []
    for _ in range(K):
        newidx = dataset.sampleTokenIdx()
        while newidx == outsideWordIdx:
            newidx = dataset.sampleTokenIdx()
        negSampleWordIndices.append(newidx)
    return negSampleWordIndices


def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    """Negative-sampling loss and gradients for one (center word, outside word) pair.

    centerWordVec: (d,) center vector v_c.
    outsideWordIdx: int, index o of the outside word.
    outsideVectors: (V, d) outside vectors U.
    dataset: provides sampleTokenIdx(), used by getNegativeSamples.
    K: number of negative samples.

    The loss is -log sigmoid(u_o . v_c) - sum_k log sigmoid(-u_k . v_c) over the K
    sampled words; a word drawn twice contributes twice.
    Returns (loss, gradCenterVec (d,), gradOutsideVecs (V, d)).
    """
    # the samples must come from this call (graders rely on the random stream)
    negSampleWordIndices = getNegativeSamples(outsideWordIdx, dataset, K)
    indices = [outsideWordIdx] + negSampleWordIndices  # may be handy

    # YOUR CODE HERE
    raise NotImplementedError

    return loss, gradCenterVec, gradOutsideVecs


def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind,
             centerWordVectors, outsideVectors, dataset,
             word2vecLossAndGradient=naiveSoftmaxLossAndGradient):
    """Skip-gram loss and gradients for one center word and its context window.

    currentCenterWord: str, the center word.
    windowSize: int, context window size (unused by the computation itself).
    outsideWords: list of up to 2 * windowSize str, the context words.
    word2Ind: dict word -> row index.
    centerWordVectors: (V, d) center vectors (rows of V).
    outsideVectors: (V, d) outside vectors (rows of U).
    dataset: passed through to the loss function.
    word2vecLossAndGradient: loss for one (center, outside) pair, e.g.
        naiveSoftmaxLossAndGradient or negSamplingLossAndGradient.

    Returns (loss, gradCenterVecs (V, d), gradOutsideVectors (V, d)); the loss is the
    sum over the outside words.
    """
    loss = 0.0
    gradCenterVecs = np.zeros(centerWordVectors.shape)
    gradOutsideVectors = np.zeros(outsideVectors.shape)

    # YOUR CODE HERE
    raise NotImplementedError

    return loss, gradCenterVecs, gradOutsideVectors


# ---------------------------------------------------------------------------
# Provided code: the sgd wrapper and the sanity checks (not part of the exercise)
# ---------------------------------------------------------------------------

def word2vec_sgd_wrapper(word2vecModel, word2Ind, wordVectors, dataset, windowSize,
                         word2vecLossAndGradient=naiveSoftmaxLossAndGradient):
    """Average loss and gradient over a batch of 50 random contexts, for sgd.

    wordVectors: (2V, d); the first V rows are center vectors, the last V outside vectors.
    Each context uses a window size drawn uniformly from 1..windowSize.
    Returns (loss, grad) with grad shaped like wordVectors.
    """
    batchsize = 50
    loss = 0.0
    grad = np.zeros(wordVectors.shape)
    N = wordVectors.shape[0]
    centerWordVectors = wordVectors[:int(N / 2), :]
    outsideVectors = wordVectors[int(N / 2):, :]
    for i in range(batchsize):
        windowSize1 = random.randint(1, windowSize)
        centerWord, context = dataset.getRandomContext(windowSize1)

        c, gin, gout = word2vecModel(
            centerWord, windowSize1, context, word2Ind, centerWordVectors,
            outsideVectors, dataset, word2vecLossAndGradient
        )
        loss += c / batchsize
        grad[:int(N / 2), :] += gin / batchsize
        grad[int(N / 2):, :] += gout / batchsize

    return loss, grad


def getDummyObjects():
    """A tiny seeded dataset, stacked (2V, d) vectors and a token dict for the tests."""
    words = ["a", "b", "c", "d", "e", "f"]

    def dummySampleTokenIdx():
        return random.randint(0, len(words) - 1)

    def getRandomContext(C):
        center = words[random.randint(0, len(words) - 1)]
        return center, [words[random.randint(0, len(words) - 1)] for _ in range(2 * C)]

    dataset = type("dummy", (), {})()
    dataset.sampleTokenIdx = dummySampleTokenIdx
    dataset.getRandomContext = getRandomContext

    random.seed(2718)
    np.random.seed(1828)
    dummy_vectors = normalizeRows(np.random.randn(2 * len(words), 4))
    dummy_tokens = {w: i for i, w in enumerate(words)}

    return dataset, dummy_vectors, dummy_tokens


def test_sigmoid():
    """Check sigmoid on a few known values, including extreme inputs."""
    print("==== Sanity check for sigmoid ====")
    assert sigmoid(0) == 0.5
    assert np.allclose(sigmoid(np.array([0])), np.array([0.5]))
    assert np.allclose(sigmoid(np.array([1, 2, 3])),
                       np.array([0.73105858, 0.88079708, 0.95257413]))
    x = np.array([[-2.0, 0.5], [4.0, -1.0]])
    assert sigmoid(x).shape == x.shape
    assert np.allclose(sigmoid(x) + sigmoid(-x), 1.0)
    with np.errstate(over="raise"):
        ext = sigmoid(np.array([-1000.0, 1000.0]))
    assert np.allclose(ext, [0.0, 1.0])
    print("Tests for sigmoid passed!")


def getUVandC():
    """Seeded center vector, outside vectors and outside index for the loss tests."""
    rng = np.random.RandomState(73)
    return rng.randn(4), normalizeRows(rng.randn(6, 4)), 2


def test_naiveSoftmaxLossAndGradient():
    """Gradient check of naiveSoftmaxLossAndGradient on seeded data."""
    print("==== Gradient check for naiveSoftmaxLossAndGradient ====")
    dataset, _, _ = getDummyObjects()
    centerVec, outsideVectors, o = getUVandC()

    def temp(vec):
        loss, gradCenterVec, _ = naiveSoftmaxLossAndGradient(vec, o, outsideVectors, dataset)
        return loss, gradCenterVec
    gradcheck_naive(temp, centerVec.copy(), "naiveSoftmaxLossAndGradient gradCenterVec")

    def temp(vec):
        loss, _, gradOutsideVecs = naiveSoftmaxLossAndGradient(centerVec, o, vec, dataset)
        return loss, gradOutsideVecs
    gradcheck_naive(temp, outsideVectors.copy(), "naiveSoftmaxLossAndGradient gradOutsideVecs")


def test_negSamplingLossAndGradient():
    """Gradient check of negSamplingLossAndGradient on seeded data."""
    print("==== Gradient check for negSamplingLossAndGradient ====")
    dataset, _, _ = getDummyObjects()
    centerVec, outsideVectors, o = getUVandC()

    def temp(vec):
        loss, gradCenterVec, _ = negSamplingLossAndGradient(vec, o, outsideVectors, dataset)
        return loss, gradCenterVec
    gradcheck_naive(temp, centerVec.copy(), "negSamplingLossAndGradient gradCenterVec")

    def temp(vec):
        loss, _, gradOutsideVecs = negSamplingLossAndGradient(centerVec, o, vec, dataset)
        return loss, gradOutsideVecs
    gradcheck_naive(temp, outsideVectors.copy(), "negSamplingLossAndGradient gradOutsideVecs")


def test_skipgram():
    """Gradient check of skipgram through word2vec_sgd_wrapper, then the fixed cases."""
    dataset, dummy_vectors, dummy_tokens = getDummyObjects()

    print("==== Gradient check for skip-gram with naiveSoftmaxLossAndGradient ====")
    gradcheck_naive(lambda vec: word2vec_sgd_wrapper(
        skipgram, dummy_tokens, vec, dataset, 5, naiveSoftmaxLossAndGradient),
        dummy_vectors.copy(), "naiveSoftmaxLossAndGradient Gradient")
    grad_tests_softmax(skipgram, dummy_tokens, dummy_vectors, dataset)

    print("==== Gradient check for skip-gram with negSamplingLossAndGradient ====")
    gradcheck_naive(lambda vec: word2vec_sgd_wrapper(
        skipgram, dummy_tokens, vec, dataset, 5, negSamplingLossAndGradient),
        dummy_vectors.copy(), "negSamplingLossAndGradient Gradient")
    grad_tests_negsamp(skipgram, dummy_tokens, dummy_vectors, dataset, negSamplingLossAndGradient)


def test_word2vec():
    """Run all the checks above."""
    test_sigmoid()
    test_naiveSoftmaxLossAndGradient()
    test_negSamplingLossAndGradient()
    test_skipgram()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Test your implementations.")
    parser.add_argument("function", nargs="?", type=str, default="all",
                        choices=["sigmoid", "naiveSoftmaxLossAndGradient",
                                 "negSamplingLossAndGradient", "skipgram", "all"],
                        help="Name of the function you would like to test.")
    args = parser.parse_args()
    if args.function == "sigmoid":
        test_sigmoid()
    elif args.function == "naiveSoftmaxLossAndGradient":
        test_naiveSoftmaxLossAndGradient()
    elif args.function == "negSamplingLossAndGradient":
        test_negSamplingLossAndGradient()
    elif args.function == "skipgram":
        test_skipgram()
    elif args.function == "all":
        test_word2vec()
