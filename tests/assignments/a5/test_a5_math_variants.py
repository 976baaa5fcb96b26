"""Known-buggy attention_math.py submissions: each loses exactly the Part 1 tests that target
its mistake (public 1.1-1.5, hidden 2.1-2.6), with a message that names the function; the
reference gets full marks and the template none.

Each variant is graded once, as the grader does (with the reference), on
test_a5_math_public.py and test_a5_math_hidden.py only (the other a5 tests are not these
tests' business; their numbers are never asserted on here). The submission holds only
attention_math.py. The grader computes attention itself on keys it samples, so a bug in
attention costs 1.1 and 2.1 and nothing else.
"""
import os
import time

import numpy as np
import pytest

from autograder import config as configmod
from autograder import grading
from support import check_variant_result, grade, make_submission, output_of, pin_seed, variant_names

A5 = configmod.load("a5")
AM = "attention_math.py"
TEST_FILES = ("test_a5_math_public.py", "test_a5_math_hidden.py")
MINE = {"1.1", "1.2", "1.3", "1.4", "1.5", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6"}
OTHERS = tuple(f for f in A5.student_files if f != AM)

TEST_FUNCTIONS = {"1.1": ("attention",), "2.1": ("attention",), "1.2": ("sample_keys",),
                  "2.2": ("sample_keys",), "2.3": ("sample_keys",), "1.3": ("average_query",),
                  "2.4": ("average_query",), "1.4": ("two_head_queries",), "2.5": ("two_head_queries",),
                  "1.5": ("kqv_construction",), "2.6": ("kqv_construction",)}


# ----- attention -----------------------------------------------------------------------
WRONG_AXIS = '''
def attention(q, K, V):
    scores = K @ q.reshape(-1, 1)                          # (n, 1)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights = (e / e.sum(axis=1, keepdims=True)).ravel()  # over the 1 column: all ones
    return weights @ V, weights
'''
NO_MAX = '''
def attention(q, K, V):
    e = np.exp(K @ q)
    weights = e / e.sum()
    return weights @ V, weights
'''

# ----- sample_keys --------------------------------------------------------------------------


def sampler(noise="np.sqrt(alpha) * rng.standard_normal(mu.shape)", stretch="0.5", rows="[perturbed]"):
    return f'''
def sample_keys(mu, alpha, rng, perturbed=None):
    mu = np.asarray(mu, dtype=float)
    K = mu + {noise}
    if perturbed is not None:
        for i in {rows}:
            K[i] += rng.standard_normal() * np.sqrt({stretch}) * mu[i]
    return K
'''


# ----- queries ------------------------------------------------------------------------------
def query(expr):
    return f'''
def average_query(mu, a, b, t):
    mu = np.asarray(mu, dtype=float)
    return {expr}
'''


def heads(q1, q2):
    return f'''
def two_head_queries(mu, a, b, t):
    mu = np.asarray(mu, dtype=float)
    return {q1}, {q2}
'''


# ----- kqv_construction ---------------------------------------------------------------------
def kqv(ret="K, Q, V", q="(np.outer(u_d, u_a) + np.outer(u_c, u_d))", v="(np.outer(u_b, u_b) - np.outer(u_c, u_c))"):
    return f'''
def kqv_construction(u_a, u_b, u_c, u_d):
    beta2 = float(np.dot(u_a, u_a))
    K = np.eye(len(u_a))
    Q = {q} / beta2
    V = {v} / beta2
    return {ret}
'''


ZEROS = {
    "attention": "def attention(q, K, V):\n    return np.zeros(np.shape(V)[1]), np.zeros(len(K))\n",
    "sample_keys": "def sample_keys(mu, alpha, rng, perturbed=None):\n    return np.zeros(np.shape(mu))\n",
    "average_query": "def average_query(mu, a, b, t):\n    return np.zeros(np.shape(mu)[1])\n",
    "two_head_queries": "def two_head_queries(mu, a, b, t):\n    d = np.shape(mu)[1]\n"
                        "    return np.zeros(d), np.zeros(d)\n",
    "kqv_construction": "def kqv_construction(u_a, u_b, u_c, u_d):\n    d = len(u_a)\n"
                        "    return np.zeros((d, d)), np.zeros((d, d)), np.zeros((d, d))\n",
}


def hard_coded():
    """The worked examples' answers, returned whatever the input."""
    e = np.eye(4) * 5
    beta2 = 25.0
    Q = (np.outer(e[3], e[0]) + np.outer(e[2], e[3])) / beta2
    V = (np.outer(e[1], e[1]) - np.outer(e[2], e[2])) / beta2
    return {
        "attention": "def attention(q, K, V):\n    return np.array([4.0, 5.0]), np.array([1 / 6, 1 / 3, 1 / 2])\n",
        # the worked example's means, no randomness (a sample mean that is exactly right)
        "sample_keys": "def sample_keys(mu, alpha, rng, perturbed=None):\n    return 2 * np.eye(3)\n",
        "average_query": "def average_query(mu, a, b, t):\n    return np.array([20.0, 0.0, 20.0])\n",
        "two_head_queries": "def two_head_queries(mu, a, b, t):\n"
                            "    return np.array([20.0, 0.0, 0.0]), np.array([0.0, 20.0, 0.0])\n",
        "kqv_construction": f"def kqv_construction(u_a, u_b, u_c, u_d):\n    return np.eye(4), np.array({Q.tolist()}), "
                            f"np.array({V.tolist()})\n",
    }


SAMPLE_KEYS = {"1.2", "2.2", "2.3"}
# name -> ({function: source}, lost tests)
VARIANTS = {
    "softmax over the wrong axis": ({"attention": WRONG_AXIS}, {"1.1", "2.1"}),
    "softmax without subtracting the largest score": ({"attention": NO_MAX}, {"1.1", "2.1"}),
    "perturbation without the 1/2": ({"sample_keys": sampler(stretch="1.0")}, {"1.2", "2.3"}),
    "every key perturbed": ({"sample_keys": sampler(rows="range(len(mu))")}, {"1.2", "2.3"}),
    "noise of standard deviation alpha": (
        {"sample_keys": sampler(noise="alpha * rng.standard_normal(mu.shape)")}, SAMPLE_KEYS),
    "one noise vector shared by all keys": (
        {"sample_keys": sampler(noise="np.sqrt(alpha) * rng.standard_normal(mu.shape[1])")}, SAMPLE_KEYS),
    # the grader asks for keys with the right distribution, not for the stream of rng
    "sample_keys drawing from np.random instead of rng": (
        {"sample_keys": sampler(noise="np.sqrt(alpha) * np.random.standard_normal(mu.shape)")}, set()),
    "query scaled by 1/t": ({"average_query": query("(mu[a] + mu[b]) / t")}, {"1.3", "2.4"}),
    "query without t": ({"average_query": query("mu[a] + mu[b]")}, {"1.3", "2.4"}),
    "query on key a only": ({"average_query": query("t * mu[a]")}, {"1.3", "2.4"}),
    "both heads the averaging query": (
        {"two_head_queries": heads("t * (mu[a] + mu[b])", "t * (mu[a] + mu[b])")}, {"1.4", "2.5"}),
    "K, Q, V returned as Q, K, V": ({"kqv_construction": kqv(ret="Q, K, V")}, {"1.5", "2.6"}),
    "Q transposed (row-vector convention)": ({"kqv_construction": kqv(ret="K, Q.T, V")}, {"1.5", "2.6"}),
    "V without the minus": (
        {"kqv_construction": kqv(v="(np.outer(u_b, u_b) + np.outer(u_c, u_c))")}, {"1.5", "2.6"}),
    "stubs returning zeros of the right shapes": (ZEROS, MINE),
    "hard-coded worked-example answers": (hard_coded(), MINE),
}

SAID = {
    "softmax without subtracting the largest score": [("1.1", "subtract the largest score")],
    "perturbation without the 1/2": [("2.3", "alpha + 1/2 |mu_a|^2, the perturbed key")],
    "one noise vector shared by all keys": [("2.2", "are correlated")],
    "query scaled by 1/t": [("2.4", "scale the query by t")],
    "query on key a only": [("2.4", "differ")],
    "both heads the averaging query": [("2.5", "your two queries are the same")],
    "K, Q, V returned as Q, K, V": [("2.6", "should pick")],
    "V without the minus": [("2.6", "the weights were right")],
}


def submission(dest, patches):
    return make_submission(str(dest), assignment="a5", patches={AM: patches}, drop=OTHERS)


@pytest.fixture(scope="module", autouse=True)
def only_these_tests():
    """Grade only the Part 1 test files: one grading per variant stays short."""
    mp = pytest.MonkeyPatch()
    every = grading.test_files
    mp.setattr(grading, "test_files", lambda assignment, hidden: [
        (kind, path) for kind, path in every(assignment, hidden) if os.path.basename(path) in TEST_FILES])
    yield
    mp.undo()


def mine(res):
    return {t["number"]: t for t in res["tests"] if t["number"] in MINE}


def test_variants_cover_every_part1_test():
    covered = set().union(*(expected for _, expected in VARIANTS.values()))
    assert covered == MINE == set(TEST_FUNCTIONS)
    assert MINE <= set(A5.points)


def test_reference_full_marks_template_none(tmp_path, monkeypatch):
    seed = pin_seed(monkeypatch)
    started = time.monotonic()
    res = grade(submission(tmp_path / "ref", {}), assignment="a5", results_path=tmp_path / "ref.json")
    print(f"reference graded in {time.monotonic() - started:.1f} s (seed {seed})")
    tests = mine(res)
    assert set(tests) == MINE
    assert all(t["score"] == t["max_score"] for t in tests.values()), (seed, {
        n: t["output"][:300] for n, t in tests.items() if t["score"] < t["max_score"]})
    template = os.path.join(configmod.ROOT, "student_template", "a5")
    res = grade(make_submission(str(tmp_path / "template"), assignment="a5", base=template, drop=OTHERS),
                assignment="a5", results_path=tmp_path / "template.json")
    tests = mine(res)
    assert all(t["score"] == 0 for t in tests.values()), {n: t["score"] for n, t in tests.items()}
    for number, t in tests.items():  # the stubs are named as such
        assert "still the starter stub" in t["output"], (number, t["output"][:300])


@pytest.mark.parametrize("name", variant_names(VARIANTS))
def test_variant_loses_exactly_its_tests(name, tmp_path, monkeypatch):
    patches, expected = VARIANTS[name]
    seed = pin_seed(monkeypatch)
    started = time.monotonic()
    res = grade(submission(tmp_path / "sub", patches), assignment="a5", results_path=tmp_path / "results.json")
    print(f"graded in {time.monotonic() - started:.1f} s")
    res = dict(res, tests=list(mine(res).values()))
    assert {t["number"] for t in res["tests"]} == MINE
    check_variant_result(res, name, expected, TEST_FUNCTIONS, seed)
    for number, text in SAID.get(name, ()):
        assert text in output_of(res, number), (number, text, output_of(res, number))
    for number in sorted(expected):
        print(f"{number}: {output_of(res, number)[:600]}")
