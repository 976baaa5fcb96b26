#!/usr/bin/env python
# A stand-in for a correct CS224N Winter 2021 a2 submission (written for this project's
# tests, not taken from the course): the 2021 starter's module layout, imports, names and
# test entry points, filled in the way a typical student did it (utils' softmax on the
# score vector, -log of the picked probability, a Python loop over the negative samples).

import argparse
import numpy as np
import random

from utils.gradcheck import gradcheck_naive, grad_tests_softmax, grad_tests_negsamp
from utils.utils import normalizeRows, softmax


def sigmoid(x):
    """
    Sigmoid of x (a scalar or a numpy array), elementwise.
    """

    ### YOUR CODE HERE (~1 Line)
    s = 1 / (1 + np.exp(-x))
    ### END YOUR CODE

    return s


def naiveSoftmaxLossAndGradient(
    centerWordVec,
    outsideWordIdx,
    outsideVectors,
    dataset
):
    """ Softmax loss of one (center, outside) pair and its gradients.

    centerWordVec -- v_c, shape (d,)
    outsideWordIdx -- o, index of the outside word
    outsideVectors -- U, shape (V, d), one row per word
    dataset -- not used by this loss

    Returns loss, gradCenterVec (d,), gradOutsideVecs (V, d).
    """

    ### YOUR CODE HERE (~6-8 Lines)
    y_hat = softmax(np.dot(outsideVectors, centerWordVec))
    loss = -np.log(y_hat[outsideWordIdx])

    diff = y_hat.copy()
    diff[outsideWordIdx] -= 1          # y_hat - y
    gradCenterVec = np.dot(outsideVectors.T, diff)
    gradOutsideVecs = np.outer(diff, centerWordVec)
    ### END YOUR CODE

    return loss, gradCenterVec, gradOutsideVecs


def getNegativeSamples(outsideWordIdx, dataset, K):
    """ K sampled word indices, none equal to outsideWordIdx """

    negSampleWordIndices = [None] * K
    for k in range(K):
        newidx = dataset.sampleTokenIdx()
        while newidx == outsideWordIdx:
            newidx = dataset.sampleTokenIdx()
        negSampleWordIndices[k] = newidx
    return negSampleWordIndices


def negSamplingLossAndGradient(
    centerWordVec,
    outsideWordIdx,
    outsideVectors,
    dataset,
    K=10
):
    """ Negative sampling loss of one (center, outside) pair and its gradients.

    Same arguments and return values as naiveSoftmaxLossAndGradient, plus K, the
    number of negative samples. A word drawn several times is counted each time.
    """

    # the samples are drawn here, as in the starter code
    negSampleWordIndices = getNegativeSamples(outsideWordIdx, dataset, K)
    indices = [outsideWordIdx] + negSampleWordIndices

    ### YOUR CODE HERE (~10 Lines)
    gradOutsideVecs = np.zeros(outsideVectors.shape)

    # row 0 is the true outside word; the others are the samples, whose scores
    # enter with a minus sign
    signs = np.array([1.0] + [-1.0] * K)
    probs = sigmoid(signs * np.dot(outsideVectors[indices], centerWordVec))   # (K+1,)
    loss = -np.sum(np.log(probs))

    gradCenterVec = (probs[0] - 1) * outsideVectors[outsideWordIdx]
    gradOutsideVecs[outsideWordIdx] += (probs[0] - 1) * centerWordVec
    for k in range(1, K + 1):
        idx = indices[k]
        gradCenterVec += (1 - probs[k]) * outsideVectors[idx]
        gradOutsideVecs[idx] += (1 - probs[k]) * centerWordVec
    ### END YOUR CODE

    return loss, gradCenterVec, gradOutsideVecs


def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind,
             centerWordVectors, outsideVectors, dataset,
             word2vecLossAndGradient=naiveSoftmaxLossAndGradient):
    """ Skip-gram loss of one center word and its outside words, and its gradients.

    Returns loss, gradCenterVecs (V, d), gradOutsideVectors (V, d).
    """

    loss = 0.0
    gradCenterVecs = np.zeros(centerWordVectors.shape)
    gradOutsideVectors = np.zeros(outsideVectors.shape)

    ### YOUR CODE HERE (~8 Lines)
    centerIdx = word2Ind[currentCenterWord]
    centerVec = centerWordVectors[centerIdx]
    for word in outsideWords:
        l, gc, go = word2vecLossAndGradient(centerVec, word2Ind[word], outsideVectors, dataset)
        loss += l
        gradCenterVecs[centerIdx] += gc
        gradOutsideVectors += go
    ### END YOUR CODE

    return loss, gradCenterVecs, gradOutsideVectors


#############################################
# Testing functions (the starter's part)    #
#############################################

def word2vec_sgd_wrapper(word2vecModel, word2Ind, wordVectors, dataset,
                         windowSize,
                         word2vecLossAndGradient=naiveSoftmaxLossAndGradient):
    batchsize = 50
    loss = 0.0
    grad = np.zeros(wordVectors.shape)
    N = wordVectors.shape[0]
    half = int(N / 2)
    centerWordVectors = wordVectors[:half, :]
    outsideVectors = wordVectors[half:, :]
    for i in range(batchsize):
        windowSize1 = random.randint(1, windowSize)
        centerWord, context = dataset.getRandomContext(windowSize1)

        c, gin, gout = word2vecModel(
            centerWord, windowSize1, context, word2Ind, centerWordVectors,
            outsideVectors, dataset, word2vecLossAndGradient
        )
        loss += c / batchsize
        grad[:half, :] += gin / batchsize
        grad[half:, :] += gout / batchsize

    return loss, grad


def test_sigmoid():
    """ Sanity checks of sigmoid """
    print("==== Sanity check for sigmoid ====")
    assert sigmoid(0) == 0.5
    assert np.allclose(sigmoid(np.array([0])), np.array([0.5]))
    assert np.allclose(sigmoid(np.array([1, 2, 3])), np.array([0.73105858, 0.88079708, 0.95257413]))
    print("Tests for sigmoid passed!")


def getDummyObjects():
    """ A five-word dummy dataset, (10, 3) stacked vectors and the token dict """

    def dummySampleTokenIdx():
        return random.randint(0, 4)

    def getRandomContext(C):
        tokens = ["a", "b", "c", "d", "e"]
        return tokens[random.randint(0, 4)], \
            [tokens[random.randint(0, 4)] for i in range(2 * C)]

    dataset = type('dummy', (), {})()
    dataset.sampleTokenIdx = dummySampleTokenIdx
    dataset.getRandomContext = getRandomContext

    random.seed(31415)
    np.random.seed(9265)
    dummy_vectors = normalizeRows(np.random.randn(10, 3))
    dummy_tokens = dict([("a", 0), ("b", 1), ("c", 2), ("d", 3), ("e", 4)])

    return dataset, dummy_vectors, dummy_tokens


def test_naiveSoftmaxLossAndGradient():
    """ Gradient checks of naiveSoftmaxLossAndGradient """
    dataset, dummy_vectors, dummy_tokens = getDummyObjects()

    print("==== Gradient check for naiveSoftmaxLossAndGradient ====")

    def temp(vec):
        loss, gradCenterVec, gradOutsideVecs = naiveSoftmaxLossAndGradient(vec, 1, dummy_vectors, dataset)
        return loss, gradCenterVec
    gradcheck_naive(temp, np.random.randn(3), "naiveSoftmaxLossAndGradient gradCenterVec")

    centerVec = np.random.randn(3)

    def temp(vec):
        loss, gradCenterVec, gradOutsideVecs = naiveSoftmaxLossAndGradient(centerVec, 1, vec, dataset)
        return loss, gradOutsideVecs
    gradcheck_naive(temp, dummy_vectors, "naiveSoftmaxLossAndGradient gradOutsideVecs")


def test_negSamplingLossAndGradient():
    """ Gradient checks of negSamplingLossAndGradient """
    dataset, dummy_vectors, dummy_tokens = getDummyObjects()

    print("==== Gradient check for negSamplingLossAndGradient ====")

    def temp(vec):
        loss, gradCenterVec, gradOutsideVecs = negSamplingLossAndGradient(vec, 1, dummy_vectors, dataset)
        return loss, gradCenterVec
    gradcheck_naive(temp, np.random.randn(3), "negSamplingLossAndGradient gradCenterVec")

    centerVec = np.random.randn(3)

    def temp(vec):
        loss, gradCenterVec, gradOutsideVecs = negSamplingLossAndGradient(centerVec, 1, vec, dataset)
        return loss, gradOutsideVecs
    gradcheck_naive(temp, dummy_vectors, "negSamplingLossAndGradient gradOutsideVecs")


def test_skipgram():
    """ Gradient checks of skipgram, then the provided skip-gram test cases """
    dataset, dummy_vectors, dummy_tokens = getDummyObjects()

    print("==== Gradient check for skip-gram with naiveSoftmaxLossAndGradient ====")
    gradcheck_naive(lambda vec: word2vec_sgd_wrapper(
        skipgram, dummy_tokens, vec, dataset, 5, naiveSoftmaxLossAndGradient),
        dummy_vectors, "naiveSoftmaxLossAndGradient Gradient")
    grad_tests_softmax(skipgram, dummy_tokens, dummy_vectors, dataset)

    print("==== Gradient check for skip-gram with negSamplingLossAndGradient ====")
    gradcheck_naive(lambda vec: word2vec_sgd_wrapper(
        skipgram, dummy_tokens, vec, dataset, 5, negSamplingLossAndGradient),
        dummy_vectors, "negSamplingLossAndGradient Gradient")
    grad_tests_negsamp(skipgram, dummy_tokens, dummy_vectors, dataset, negSamplingLossAndGradient)


def test_word2vec():
    """ All of the checks above """
    test_sigmoid()
    test_naiveSoftmaxLossAndGradient()
    test_negSamplingLossAndGradient()
    test_skipgram()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description='Test your implementations.')
    parser.add_argument('function', nargs='?', type=str, default='all',
                        help='Name of the function you would like to test.')

    args = parser.parse_args()
    if args.function == 'sigmoid':
        test_sigmoid()
    elif args.function == 'naiveSoftmaxLossAndGradient':
        test_naiveSoftmaxLossAndGradient()
    elif args.function == 'negSamplingLossAndGradient':
        test_negSamplingLossAndGradient()
    elif args.function == 'skipgram':
        test_skipgram()
    elif args.function == 'all':
        test_word2vec()
