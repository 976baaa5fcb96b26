"""Known-buggy variants of the a2 functions: each loses exactly the tests that target it.

Every variant is the reference with whole functions replaced by a plausible student
mistake. Grading it (hidden tests included) must lose the points of EXPECTED, and keep
all the others; each lost test must say, in words, which function went wrong. Together
the variants fail every graded test of a2 at least once: a test that no bug can fail
checks nothing.

Inputs of the hidden tests are random; each grading run here pins NLPGRADE_SEED to a
fresh random seed that failure messages print, so a surprise can be replayed (set
NLPGRADE_SEED to it).
"""
import ast
import random

import pytest

from autograder import config as configmod
from support import (check_variant_result, check_variants_cover, grade, lost, make_submission,
                     neg_sampling_per_word_loop, pin_seed, replace_function, variant_names)

A2 = configmod.load("a2")

W2V, SGD, SAMPLING, INFO = "word2vec.py", "sgd.py", "sampling.py", "information.py"

# ----- word2vec.py: sigmoid ---------------------------------------------------------
SIGMOID_WRONG_SIGN = '''
def sigmoid(x):
    x = np.asarray(x, dtype=float)
    s = 1.0 / (1.0 + np.exp(x))
    return s[()] if s.ndim == 0 else s
'''

# ----- word2vec.py: naiveSoftmaxLossAndGradient -------------------------------------
NAIVE_GRAD_SIGN = '''
def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    scores = outsideVectors @ centerWordVec
    y_hat = softmax(scores)
    loss = -np.log(y_hat[outsideWordIdx])
    y = np.zeros_like(y_hat)
    y[outsideWordIdx] = 1.0
    delta = y - y_hat          # d loss / d scores, sign the wrong way round
    gradCenterVec = outsideVectors.T @ delta
    gradOutsideVecs = np.outer(delta, centerWordVec)
    return loss, gradCenterVec, gradOutsideVecs
'''

# (d, V) outer product made (V, d) with reshape where a transpose was needed
NAIVE_OUTSIDE_RESHAPED = '''
def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    scores = outsideVectors @ centerWordVec
    y_hat = softmax(scores)
    loss = -np.log(y_hat[outsideWordIdx])
    delta = y_hat.copy()
    delta[outsideWordIdx] -= 1
    gradCenterVec = outsideVectors.T @ delta
    gradOutsideVecs = (centerWordVec[:, None] @ delta[None, :]).reshape(outsideVectors.shape)
    return loss, gradCenterVec, gradOutsideVecs
'''

# gradCenterVec = U^T y_hat: the "- u_o" of the observed word is left out
NAIVE_CENTER_FORGOT_Y = '''
def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    scores = outsideVectors @ centerWordVec
    y_hat = softmax(scores)
    loss = -np.log(y_hat[outsideWordIdx])
    gradCenterVec = outsideVectors.T @ y_hat
    delta = y_hat.copy()
    delta[outsideWordIdx] -= 1
    gradOutsideVecs = np.outer(delta, centerWordVec)
    return loss, gradCenterVec, gradOutsideVecs
'''

# a softmax of its own, without subtracting the max: exp overflows for large scores
NAIVE_NO_MAX_SUBTRACTION = '''
def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    scores = outsideVectors @ centerWordVec
    exps = np.exp(scores)
    y_hat = exps / np.sum(exps)
    loss = -np.log(y_hat[outsideWordIdx])
    delta = y_hat.copy()
    delta[outsideWordIdx] -= 1
    gradCenterVec = outsideVectors.T @ delta
    gradOutsideVecs = np.outer(delta, centerWordVec)
    return loss, gradCenterVec, gradOutsideVecs
'''

# right values (stable loss), one word at a time
NAIVE_PER_WORD_LOOP = '''
def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    V = outsideVectors.shape[0]
    scores = np.zeros(V)
    for w in range(V):
        scores[w] = np.dot(outsideVectors[w], centerWordVec)
    y_hat = softmax(scores)
    shifted = scores - np.max(scores)
    loss = np.log(np.sum(np.exp(shifted))) - shifted[outsideWordIdx]
    gradCenterVec = np.zeros_like(centerWordVec, dtype=float)
    gradOutsideVecs = np.zeros(outsideVectors.shape)
    for w in range(V):
        d = y_hat[w] - (1.0 if w == outsideWordIdx else 0.0)
        gradCenterVec += d * outsideVectors[w]
        gradOutsideVecs[w] = d * centerWordVec
    return loss, gradCenterVec, gradOutsideVecs
'''

# the loss in bits (log base 2) and its gradients scaled to match: wrong values, but a
# gradient consistent with them, which a gradient check alone used to pass
NAIVE_LOSS_IN_BITS = '''
def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    scores = outsideVectors @ centerWordVec
    y_hat = softmax(scores)
    loss = -np.log2(y_hat[outsideWordIdx])
    delta = y_hat.copy()
    delta[outsideWordIdx] -= 1
    delta /= np.log(2)
    gradCenterVec = outsideVectors.T @ delta
    gradOutsideVecs = np.outer(delta, centerWordVec)
    return loss, gradCenterVec, gradOutsideVecs
'''

# ----- word2vec.py: negSamplingLossAndGradient --------------------------------------
# buffered fancy-index update: a word sampled twice gets its gradient once
NEG_NOT_DOUBLE_COUNTED = '''
def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    negSampleWordIndices = getNegativeSamples(outsideWordIdx, dataset, K)
    neg = np.array(negSampleWordIndices)
    u_o = outsideVectors[outsideWordIdx]
    u_k = outsideVectors[neg]
    s_o = sigmoid(u_o @ centerWordVec)
    s_k = sigmoid(-(u_k @ centerWordVec))
    loss = -np.log(s_o) - np.sum(np.log(s_k))
    gradCenterVec = (s_o - 1) * u_o + (1 - s_k) @ u_k
    gradOutsideVecs = np.zeros(outsideVectors.shape)
    gradOutsideVecs[outsideWordIdx] = (s_o - 1) * centerWordVec
    gradOutsideVecs[neg] += np.outer(1 - s_k, centerWordVec)
    return loss, gradCenterVec, gradOutsideVecs
'''

# the negative samples' term of gradCenterVec has its sign flipped
NEG_WRONG_SIGN = '''
def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    negSampleWordIndices = getNegativeSamples(outsideWordIdx, dataset, K)
    u_o = outsideVectors[outsideWordIdx]
    u_k = outsideVectors[negSampleWordIndices]
    z_o = u_o @ centerWordVec
    z_k = u_k @ centerWordVec
    loss = -np.log(sigmoid(z_o)) - np.sum(np.log(sigmoid(-z_k)))
    gradCenterVec = (sigmoid(z_o) - 1) * u_o + (sigmoid(-z_k) - 1) @ u_k
    gradOutsideVecs = np.zeros(outsideVectors.shape)
    gradOutsideVecs[outsideWordIdx] += (sigmoid(z_o) - 1) * centerWordVec
    for k, idx in enumerate(negSampleWordIndices):
        gradOutsideVecs[idx] += (1 - sigmoid(-z_k[k])) * centerWordVec
    return loss, gradCenterVec, gradOutsideVecs
'''

# in bits, gradients consistent with it (see NAIVE_LOSS_IN_BITS)
NEG_LOSS_IN_BITS = '''
def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    neg = np.array(getNegativeSamples(outsideWordIdx, dataset, K))
    u_o, u_k = outsideVectors[outsideWordIdx], outsideVectors[neg]
    s_o, s_k = sigmoid(u_o @ centerWordVec), sigmoid(-(u_k @ centerWordVec))
    loss = -np.log2(s_o) - np.sum(np.log2(s_k))
    gradCenterVec = ((s_o - 1) * u_o + (1 - s_k) @ u_k) / np.log(2)
    gradOutsideVecs = np.zeros(outsideVectors.shape)
    gradOutsideVecs[outsideWordIdx] += (s_o - 1) * centerWordVec / np.log(2)
    np.add.at(gradOutsideVecs, neg, np.outer(1 - s_k, centerWordVec) / np.log(2))
    return loss, gradCenterVec, gradOutsideVecs
'''

# right values, but every word of the vocabulary is visited
NEG_PER_WORD_LOOP = neg_sampling_per_word_loop()

# ----- word2vec.py: skipgram --------------------------------------------------------
SKIPGRAM_HEAD = '''
def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind,
             centerWordVectors, outsideVectors, dataset,
             word2vecLossAndGradient=naiveSoftmaxLossAndGradient):
    loss = 0.0
    gradCenterVecs = np.zeros(centerWordVectors.shape)
    gradOutsideVectors = np.zeros(outsideVectors.shape)
    c = word2Ind[currentCenterWord]
    for word in outsideWords:
        o = word2Ind[word]
        l, gradC, gradO = word2vecLossAndGradient(centerWordVectors[c], o, outsideVectors, dataset)
'''
SKIPGRAM_CENTER_ROW_OF_OUTSIDE_WORD = SKIPGRAM_HEAD + '''
        loss += l
        gradCenterVecs[o] += gradC
        gradOutsideVectors += gradO
    return loss, gradCenterVecs, gradOutsideVectors
'''
SKIPGRAM_LOSS_OVERWRITTEN = SKIPGRAM_HEAD + '''
        loss = l
        gradCenterVecs[c] += gradC
        gradOutsideVectors += gradO
    return loss, gradCenterVecs, gradOutsideVectors
'''
SKIPGRAM_GRADS_NOT_ACCUMULATED = SKIPGRAM_HEAD + '''
        loss += l
        gradCenterVecs[c] = gradC
        gradOutsideVectors = gradO
    return loss, gradCenterVecs, gradOutsideVectors
'''

# ----- sgd.py: sgd ------------------------------------------------------------------
SGD_TEMPLATE = '''
def sgd(f, x0, step, iterations, postprocessing=None, useSaved=False, PRINT_EVERY=10):
    ANNEAL_EVERY = 20000
    if useSaved:
        start_iter, oldx, state = load_saved_params()
        if start_iter > 0:
            x0 = oldx
            step *= 0.5 ** (start_iter // ANNEAL_EVERY)
        if state:
            random.setstate(state)
    else:
        start_iter = 0
    x = x0
    if not postprocessing:
        postprocessing = lambda x: x
    exploss = None
    for iter in range(start_iter + 1, iterations + 1):
%s
        x = postprocessing(x)
        if iter %% PRINT_EVERY == 0:
            exploss = loss if exploss is None else 0.95 * exploss + 0.05 * loss
            print("iter %%d: %%f" %% (iter, exploss))
        if iter %% SAVE_PARAMS_EVERY == 0 and useSaved:
            save_params(iter, x)
        if iter %% ANNEAL_EVERY == 0:
            step *= 0.5
    return x
'''
SGD_UPDATE_TWICE = SGD_TEMPLATE % '''\
        loss, grad = f(x)
        x -= step * grad
        x = x - step * grad'''
SGD_ASCENT = SGD_TEMPLATE % '''\
        loss, grad = f(x)
        x += step * grad'''
SGD_F_CALLED_TWICE = SGD_TEMPLATE % '''\
        loss = f(x)[0]
        grad = f(x)[1]
        x -= step * grad'''


def reference_sgd(*edits):
    """The reference's sgd with each (old, new) text replaced (each old found once)."""
    with open(A2.reference_dir + "/sgd.py") as f:
        source = f.read()
    node = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == "sgd")
    text = ast.get_source_segment(source, node)
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


POST, UPDATE = "        x = postprocessing(x)\n", "        loss, grad = f(x)\n"
SGD_NO_POSTPROCESSING = reference_sgd((POST, ""))
SGD_POSTPROCESSING_BEFORE_UPDATE = reference_sgd((POST, ""), (UPDATE, POST + UPDATE))
# the cheapest pass of a check whose postprocessing is idempotent (normalising rows, say)
SGD_POSTPROCESSING_ONCE_AT_THE_END = reference_sgd((POST, ""), ("    return x", "    return postprocessing(x)"))
SGD_NO_ANNEALING = reference_sgd(("        if iter % ANNEAL_EVERY == 0:\n            step *= 0.5\n", ""))
# halves once, at 20000, and never again (a 40000-iteration training runs at twice the step)
SGD_ANNEALS_ONCE = reference_sgd(("        if iter % ANNEAL_EVERY == 0:\n", "        if iter == ANNEAL_EVERY:\n"))
SGD_ONE_ITERATION_SHORT = reference_sgd(("range(start_iter + 1, iterations + 1)",
                                         "range(start_iter + 1, iterations)"))
SGD_RETURNS_X0 = reference_sgd(("    return x", "    return x0"))

# 2021 habits under numpy 1.x: an unused import of a module numpy 2 made private, and
# aliases numpy 1.24-2.0 removed; the worker's compat layer keeps them working
NUMPY1_HEADER = '''from numpy.lib.function_base import gradient
from numpy.lib.shape_base import expand_dims
import numpy as np
'''
SGD_NUMPY1_HABITS = reference_sgd((UPDATE + "        x -= step * grad\n", UPDATE + '''\
        x -= np.float(step) * np.asarray(grad, dtype=np.float_)
        assert loss < np.Inf and np.alltrue(np.isfinite(x)) and np.product(np.shape(x)) >= 1
'''))

# ----- sampling.py ------------------------------------------------------------------
SUBSAMPLE_NO_CAP = '''
def subsampleKeepProbability(wordFraction, threshold=1e-3):
    z = np.asarray(wordFraction, dtype=float)
    p = (np.sqrt(z / threshold) + 1) * threshold / z
    return float(p) if p.ndim == 0 else p
'''
SUBSAMPLE_THRESHOLD_HARDCODED = '''
def subsampleKeepProbability(wordFraction, threshold=1e-3):
    z = np.asarray(wordFraction, dtype=float)
    p = np.minimum(1.0, (np.sqrt(z / 0.001) + 1) * 0.001 / z)
    return float(p) if p.ndim == 0 else p
'''
NEGDIST_POWER_IGNORED = '''
def negativeSamplingDistribution(counts, power=0.75):
    weights = np.asarray(counts, dtype=float) ** 0.75
    return weights / weights.sum()
'''
NEGDIST_NOT_NORMALISED = '''
def negativeSamplingDistribution(counts, power=0.75):
    counts = np.asarray(counts, dtype=float)
    return (counts / counts.sum()) ** power
'''

# ----- information.py ---------------------------------------------------------------
SOFTMAX_WRONG_AXIS = '''
def softmax(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(x - np.max(x))
    return e / np.sum(e, axis=0)
'''
SOFTMAX_NO_MAX_SUBTRACTION = '''
def softmax(x):
    e = np.exp(np.asarray(x, dtype=float))
    return e / np.sum(e, axis=-1, keepdims=True)
'''
ENTROPY_BASE_IGNORED = '''
def entropy(p, base=2):
    p = np.asarray(p, dtype=float)
    nz = p[p > 0]
    return float(-np.sum(nz * np.log2(nz)))
'''
ENTROPY_NAN_AT_ZERO = '''
def entropy(p, base=2):
    p = np.asarray(p, dtype=float)
    return float(-np.sum(p * np.log(p)) / np.log(base))
'''
CROSS_ENTROPY_NO_EPS = '''
def crossEntropy(p, q, base=2, eps=1e-12):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    mask = p > 0
    return float(-np.sum(p[mask] * np.log(q[mask])) / np.log(base))
'''

# name -> (patches, the tests it must lose)
# A timing test counts only when the timed runs' values match the reference's: a function
# whose values are wrong on the timing inputs loses its timing test too (4.11, 4.12).
NAIVE = {"1.2", "4.2", "4.4", "1.4", "4.7", "4.11"}
NEG_VALUES = {"1.3", "4.5", "4.6", "1.5", "4.8", "4.9"}
NEG_WRONG = NEG_VALUES | {"4.12"}  # wrong on every input, the timing inputs included
SKIPGRAM = {"1.4", "4.7", "1.5", "4.8", "4.9"}
VARIANTS = {
    # sigmoid feeds the gradients of negative sampling, and through it skipgram
    "sigmoid_wrong_sign": ({W2V: {"sigmoid": SIGMOID_WRONG_SIGN}}, {"1.1", "4.1"} | NEG_WRONG),
    "naive_gradient_sign": ({W2V: {"naiveSoftmaxLossAndGradient": NAIVE_GRAD_SIGN}}, NAIVE | {"4.3"}),
    "naive_outside_reshape_not_transpose": (
        {W2V: {"naiveSoftmaxLossAndGradient": NAIVE_OUTSIDE_RESHAPED}}, NAIVE | {"4.3"}),
    "naive_center_gradient_forgets_y": (
        # at large scores gradCenterVec is U^T y_hat ~ u_top, far from ~0: 4.3 sees it too
        {W2V: {"naiveSoftmaxLossAndGradient": NAIVE_CENTER_FORGOT_Y}}, NAIVE | {"4.3"}),
    "naive_no_max_subtraction": (
        {W2V: {"naiveSoftmaxLossAndGradient": NAIVE_NO_MAX_SUBTRACTION}}, {"4.3"}),
    # self-consistent but wrong: the gradient checks (4.4; 4.6 and 4.9) now lose them too,
    # as their values differ from the reference's (before, only the value tests did)
    "naive_loss_in_bits": ({W2V: {"naiveSoftmaxLossAndGradient": NAIVE_LOSS_IN_BITS}}, NAIVE | {"4.3"}),
    "neg_loss_in_bits": ({W2V: {"negSamplingLossAndGradient": NEG_LOSS_IN_BITS}}, NEG_WRONG),
    "naive_per_word_loop": ({W2V: {"naiveSoftmaxLossAndGradient": NAIVE_PER_WORD_LOOP}}, {"4.11"}),
    "neg_repeats_not_double_counted": (
        {W2V: {"negSamplingLossAndGradient": NEG_NOT_DOUBLE_COUNTED}}, NEG_VALUES),
    "neg_center_gradient_wrong_sign": ({W2V: {"negSamplingLossAndGradient": NEG_WRONG_SIGN}}, NEG_WRONG),
    "neg_per_word_loop": ({W2V: {"negSamplingLossAndGradient": NEG_PER_WORD_LOOP}}, {"4.12"}),
    "skipgram_center_row_of_outside_word": (
        {W2V: {"skipgram": SKIPGRAM_CENTER_ROW_OF_OUTSIDE_WORD}}, SKIPGRAM),
    "skipgram_loss_overwritten": ({W2V: {"skipgram": SKIPGRAM_LOSS_OVERWRITTEN}}, SKIPGRAM),
    "skipgram_gradients_not_accumulated": ({W2V: {"skipgram": SKIPGRAM_GRADS_NOT_ACCUMULATED}}, SKIPGRAM),
    "sgd_update_applied_twice": ({SGD: {"sgd": SGD_UPDATE_TWICE}}, {"1.6", "4.10", "4.13"}),
    "sgd_gradient_ascent": ({SGD: {"sgd": SGD_ASCENT}}, {"1.6", "4.10", "4.13"}),
    "sgd_f_called_twice_per_step": ({SGD: {"sgd": SGD_F_CALLED_TWICE}}, {"1.6", "4.10", "4.13"}),
    # sgd's documented behaviours beyond the step (4.13): 1.6 and 4.10 pass no
    # postprocessing and stay under 20000 iterations, so only 4.13 sees these
    "sgd_no_postprocessing": ({SGD: {"sgd": SGD_NO_POSTPROCESSING}}, {"4.13"}),
    "sgd_postprocessing_before_the_update": ({SGD: {"sgd": SGD_POSTPROCESSING_BEFORE_UPDATE}}, {"4.13"}),
    "sgd_postprocessing_once_at_the_end": ({SGD: {"sgd": SGD_POSTPROCESSING_ONCE_AT_THE_END}}, {"4.13"}),
    "sgd_no_annealing": ({SGD: {"sgd": SGD_NO_ANNEALING}}, {"4.13"}),
    "sgd_anneals_once": ({SGD: {"sgd": SGD_ANNEALS_ONCE}}, {"4.13"}),
    "sgd_one_iteration_short": ({SGD: {"sgd": SGD_ONE_ITERATION_SHORT}}, {"1.6", "4.10", "4.13"}),
    # in place, x0 is x until the first postprocessing returns a new array: only 4.13 has one
    "sgd_returns_x0": ({SGD: {"sgd": SGD_RETURNS_X0}}, {"4.13"}),
    # correct 2021 code written for numpy 1.x loses nothing (sandbox/compat.py)
    "sgd_numpy1_habits": ({SGD: {"sgd": SGD_NUMPY1_HABITS}}, set()),
    "subsample_no_cap_at_1": ({SAMPLING: {"subsampleKeepProbability": SUBSAMPLE_NO_CAP}}, {"2.1", "5.1"}),
    # the public test's fresh variation scales the fractions and the threshold together
    # (the keep probabilities depend on z / t only), so a hard-coded threshold loses 2.1 too
    "subsample_threshold_ignored": (
        {SAMPLING: {"subsampleKeepProbability": SUBSAMPLE_THRESHOLD_HARDCODED}}, {"2.1", "5.1"}),
    "negdist_power_ignored": ({SAMPLING: {"negativeSamplingDistribution": NEGDIST_POWER_IGNORED}}, {"5.2"}),
    "negdist_not_normalised": (
        {SAMPLING: {"negativeSamplingDistribution": NEGDIST_NOT_NORMALISED}}, {"2.2", "5.2"}),
    "softmax_wrong_axis_2d": ({INFO: {"softmax": SOFTMAX_WRONG_AXIS}}, {"3.1", "5.3"}),
    "softmax_no_max_subtraction": ({INFO: {"softmax": SOFTMAX_NO_MAX_SUBTRACTION}}, {"3.1", "5.3"}),
    "entropy_base_ignored": ({INFO: {"entropy": ENTROPY_BASE_IGNORED}}, {"3.2", "5.4"}),
    "entropy_nan_for_zero_p": ({INFO: {"entropy": ENTROPY_NAN_AT_ZERO}}, {"3.2", "5.4"}),
    "cross_entropy_no_eps_clamp": ({INFO: {"crossEntropy": CROSS_ENTROPY_NO_EPS}}, {"3.3", "5.4"}),
}

# The function each graded test is about, as its failure message must name it.
TEST_FUNCTIONS = {
    "1.1": ("sigmoid",), "4.1": ("sigmoid",),
    "1.2": ("naiveSoftmaxLossAndGradient",), "4.2": ("naiveSoftmaxLossAndGradient",),
    "4.3": ("naiveSoftmaxLossAndGradient",), "4.4": ("naiveSoftmaxLossAndGradient",),
    "4.11": ("naiveSoftmaxLossAndGradient",),
    "1.3": ("negSamplingLossAndGradient",), "4.5": ("negSamplingLossAndGradient",),
    "4.6": ("negSamplingLossAndGradient",), "4.12": ("negSamplingLossAndGradient",),
    "1.4": ("skipgram",), "1.5": ("skipgram",), "4.7": ("skipgram",), "4.8": ("skipgram",),
    "4.9": ("word2vec_sgd_wrapper",),
    "1.6": ("sgd",), "4.10": ("sgd",), "4.13": ("sgd",),
    "2.1": ("subsampleKeepProbability",), "5.1": ("subsampleKeepProbability",),
    "2.2": ("negativeSamplingDistribution",), "5.2": ("negativeSamplingDistribution",),
    "3.1": ("softmax",), "5.3": ("softmax",),
    "3.2": ("entropy",), "3.3": ("crossEntropy",), "5.4": ("entropy", "crossEntropy"),
}


# Seeds at which earlier versions of 4.3 and 5.4 let these variants through: kept as
# regression tests of the graded tests themselves.
REGRESSION_SEEDS = [("naive_no_max_subtraction", "4.3", 92), ("cross_entropy_no_eps_clamp", "5.4", 124)]


# Lines put at the top of a file of a variant (after its functions are replaced).
HEADERS = {"sgd_numpy1_habits": {SGD: NUMPY1_HEADER}}


def grade_variant(name, tmp_path, monkeypatch, seed=None):
    patches, _ = VARIANTS[name]
    seed = pin_seed(monkeypatch, seed)
    files = {}
    for rel, header in HEADERS.get(name, {}).items():
        with open(A2.reference_dir + "/" + rel) as f:
            text = f.read()
        for function, new in patches.get(rel, {}).items():
            text = replace_function(text, function, new)
        files[rel] = header + text
    sub = make_submission(tmp_path / "sub", patches=patches, files=files)
    return grade(sub, results_path=tmp_path / "results.json"), seed


def test_variants_cover_every_graded_test():
    check_variants_cover(VARIANTS, TEST_FUNCTIONS, A2)


@pytest.mark.parametrize("name", variant_names(VARIANTS, serial={"naive_per_word_loop", "neg_per_word_loop"}))
def test_variant_loses_exactly_its_tests(name, tmp_path, monkeypatch):
    _, expected = VARIANTS[name]
    res, seed = grade_variant(name, tmp_path, monkeypatch)
    assert {t["number"] for t in res["tests"]} == set(A2.points), f"seed {seed}: not every test ran"
    check_variant_result(res, name, expected, TEST_FUNCTIONS, seed)


@pytest.mark.parametrize("name,number,seed", REGRESSION_SEEDS,
                         ids=[f"{n}-{t}" for n, t, _ in REGRESSION_SEEDS])
def test_former_holes_stay_closed(name, number, seed, tmp_path, monkeypatch):
    res, _ = grade_variant(name, tmp_path, monkeypatch, seed=seed)
    assert number in lost(res)
