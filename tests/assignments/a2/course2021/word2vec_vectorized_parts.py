# A second stand-in for a correct CS224N Winter 2021 a2 submission (written for this
# project's tests, not taken from the course), in another student's style: sigmoid via
# np.exp of the negated input with an explicit float cast, the naive-softmax loss from a
# shifted log-sum-exp of its own, negative sampling fully vectorized (np.add.at for
# repeated samples), and skip-gram collecting the per-word results before summing them.
# Only the student-written functions: test_course2021.py puts them in place of those of
# word2vec.py, whose provided parts (imports, wrapper, tests, entry point) they share.
import numpy as np
from utils.utils import softmax


def sigmoid(x):
    """
    Sigmoid of x (a scalar or a numpy array), elementwise.
    """

    ### YOUR CODE HERE (~1 Line)
    s = 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))
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
    scores = outsideVectors @ centerWordVec                  # (V,)
    probs = softmax(scores)
    m = scores.max()
    # -log p_o = log sum_w exp(s_w) - s_o, shifted by the max score
    loss = m + np.log(np.exp(scores - m).sum()) - scores[outsideWordIdx]

    onehot = np.zeros_like(probs)
    onehot[outsideWordIdx] = 1.0
    err = probs - onehot
    gradCenterVec = err @ outsideVectors
    gradOutsideVecs = err[:, None] * centerWordVec[None, :]
    ### END YOUR CODE

    return loss, gradCenterVec, gradOutsideVecs


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
    u_o = outsideVectors[outsideWordIdx]
    U_neg = outsideVectors[negSampleWordIndices]             # (K, d), repeats kept
    pos = sigmoid(np.dot(u_o, centerWordVec))
    neg = sigmoid(-np.dot(U_neg, centerWordVec))             # (K,)

    loss = -np.log(pos) - np.sum(np.log(neg))
    gradCenterVec = (pos - 1.0) * u_o + np.dot(1.0 - neg, U_neg)

    gradOutsideVecs = np.zeros_like(outsideVectors)
    gradOutsideVecs[outsideWordIdx] = (pos - 1.0) * centerWordVec
    np.add.at(gradOutsideVecs, negSampleWordIndices, np.outer(1.0 - neg, centerWordVec))
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
    c = word2Ind[currentCenterWord]
    results = [word2vecLossAndGradient(centerWordVectors[c], word2Ind[w], outsideVectors, dataset)
               for w in outsideWords]
    if results:
        losses, gradCs, gradOs = zip(*results)
        loss = float(np.sum(losses))
        gradCenterVecs[c] = np.sum(gradCs, axis=0)
        gradOutsideVectors = np.sum(gradOs, axis=0)
    ### END YOUR CODE

    return loss, gradCenterVecs, gradOutsideVectors
