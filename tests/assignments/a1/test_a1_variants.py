"""Known-buggy a1 notebooks: each loses exactly the tests that target its mistake.

Each variant is the reference notebook with one function replaced in its code cell.
Together they fail every graded test at least once. A 2021-style notebook (sklearn's
TruncatedSVD, top-level work the grader must not run) keeps full marks.
"""
import importlib.util
import os
import sys

import pytest

from autograder import config as configmod
from support import (check_variant_result, check_variants_cover, grade, lost, make_submission, pin_seed,
                     variant_names)

A1 = configmod.load("a1")
NB = "exploring_word_vectors.ipynb"

WINDOW_CROSSES_DOCUMENTS = '''
def compute_co_occurrence_matrix(corpus, window_size=4):
    words, n = distinct_words(corpus)
    word2ind = {w: i for i, w in enumerate(words)}
    M = np.zeros((n, n))
    flat = [w for doc in corpus for w in doc]   # one long document: windows run across
    for i, w in enumerate(flat):
        for j in range(max(0, i - window_size), min(len(flat), i + window_size + 1)):
            if j != i:
                M[word2ind[w], word2ind[flat[j]]] += 1
    return M, word2ind
'''

WINDOW_OFF_BY_ONE = '''
def compute_co_occurrence_matrix(corpus, window_size=4):
    words, n = distinct_words(corpus)
    word2ind = {w: i for i, w in enumerate(words)}
    M = np.zeros((n, n))
    for doc in corpus:
        for i, w in enumerate(doc):
            for j in range(max(0, i - window_size), min(len(doc), i + window_size)):  # misses i + w
                if j != i:
                    M[word2ind[w], word2ind[doc[j]]] += 1
    return M, word2ind
'''

UNSORTED_VOCABULARY = '''
def distinct_words(corpus):
    seen = {}
    for doc in corpus:
        for w in doc:
            seen.setdefault(w, None)   # first-seen order, not sorted
    corpus_words = list(seen)
    return corpus_words, len(corpus_words)
'''

PAIR_LOOP = '''
def compute_co_occurrence_matrix(corpus, window_size=4):
    words, n = distinct_words(corpus)
    word2ind = {w: i for i, w in enumerate(words)}
    M = np.zeros((n, n))
    for a in words:                       # every pair of words, then the whole corpus
        for b in words:
            for doc in corpus:
                for i, w in enumerate(doc):
                    if w == a:
                        for j in range(max(0, i - window_size), min(len(doc), i + window_size + 1)):
                            if j != i and doc[j] == b:
                                M[word2ind[a], word2ind[b]] += 1
    return M, word2ind
'''

SVD_NO_S = '''
def reduce_to_k_dim(M, k=2):
    U, S, Vt = np.linalg.svd(M)
    return U[:, :k]
'''

SVD_S_SQUARED = '''
def reduce_to_k_dim(M, k=2):
    U, S, Vt = np.linalg.svd(M)
    return U[:, :k] * S[:k] ** 2
'''

SVD_RIGHT_VECTORS = '''
def reduce_to_k_dim(M, k=2):
    U, S, Vt = np.linalg.svd(M, full_matrices=False)
    return Vt[:k].T * S[:k]
'''

SVD_TRANSPOSED = '''
def reduce_to_k_dim(M, k=2):
    U, S, Vt = np.linalg.svd(M)
    return (U[:, :k] * S[:k]).T          # (k, N): one column per word
'''

PLOT_NO_LABELS = '''
def plot_embeddings(M_reduced, word2ind, words):
    for word in words:
        x, y = M_reduced[word2ind[word]]
        plt.scatter(x, y, marker="x", color="red")
    plt.show()
'''

PLOT_EVERY_WORD = '''
def plot_embeddings(M_reduced, word2ind, words):
    plt.scatter(M_reduced[:, 0], M_reduced[:, 1])     # all rows, not just the words asked for
    for word in words:
        x, y = M_reduced[word2ind[word]]
        plt.text(x, y, word)
    plt.show()
'''

# The timing test (2.6) passes only when the timed function's values are the reference's
# (issue 10: a stub must not pass a timing check): a fast function with wrong counts loses it.
VARIANTS = {
    "window crosses documents": ({"compute_co_occurrence_matrix": WINDOW_CROSSES_DOCUMENTS},
                                 {"1.2", "2.2", "2.3", "2.6"}),
    "window off by one": ({"compute_co_occurrence_matrix": WINDOW_OFF_BY_ONE}, {"1.2", "2.2", "2.4", "2.6"}),
    "unsorted vocabulary": ({"distinct_words": UNSORTED_VOCABULARY}, {"1.1", "1.2", "2.1", "2.5"}),
    "loop over all word pairs": ({"compute_co_occurrence_matrix": PAIR_LOOP}, {"2.6"}),
    "SVD without S": ({"reduce_to_k_dim": SVD_NO_S}, {"2.7"}),
    "SVD with S squared": ({"reduce_to_k_dim": SVD_S_SQUARED}, {"2.7"}),
    "SVD with the right singular vectors": ({"reduce_to_k_dim": SVD_RIGHT_VECTORS}, {"2.7"}),
    "SVD result transposed": ({"reduce_to_k_dim": SVD_TRANSPOSED}, {"1.3", "2.7"}),
    "plot without labels": ({"plot_embeddings": PLOT_NO_LABELS}, {"1.4", "2.8"}),
    "plot of every word": ({"plot_embeddings": PLOT_EVERY_WORD}, {"2.8"}),
}

TEST_FUNCTIONS = {
    "1.1": ("distinct_words",), "2.1": ("distinct_words",),
    "1.2": ("compute_co_occurrence_matrix",), "2.2": ("compute_co_occurrence_matrix",),
    "2.3": ("compute_co_occurrence_matrix",), "2.4": ("compute_co_occurrence_matrix",),
    "2.5": ("compute_co_occurrence_matrix",), "2.6": ("compute_co_occurrence_matrix",),
    "1.3": ("reduce_to_k_dim",), "2.7": ("reduce_to_k_dim",),
    "1.4": ("plot_embeddings",), "2.8": ("plot_embeddings",),
}

# What a 2021 student wrote: sklearn's randomized SVD, as the course suggested.
SKLEARN_SVD = '''
def reduce_to_k_dim(M, k=2):
    from sklearn.decomposition import TruncatedSVD
    print("Running Truncated SVD over %i words..." % (M.shape[0]))
    svd = TruncatedSVD(n_components=k, n_iter=10)
    M_reduced = svd.fit_transform(M)
    print("Done.")
    return M_reduced
'''


def grade_variant(patches, tmp_path, monkeypatch, seed=None, **limits):
    seed = pin_seed(monkeypatch, seed)
    sub = make_submission(tmp_path / "sub", assignment="a1", patches={NB: patches})
    return grade(sub, assignment="a1", results_path=tmp_path / "results.json", **limits), seed


# The pair loop's first (untimed) call on 2.6's 300 paragraphs would take hours: the call
# timeout, not the code, sets how long it runs before it is cut off, and 15 s (not the
# configured 30) leaves its other calls, a few seconds each on a busy machine, room enough.
LIMITS = {"loop over all word pairs": {"call_timeout_s": 15}}


def test_variants_cover_every_graded_test():
    check_variants_cover(VARIANTS, TEST_FUNCTIONS, A1)


# What a variant's failure must say (the hint follows the direction of the error).
HINTS = {"window crosses documents": {"2.3": "too many: does the window run across documents?"},
         # cut off before it could be timed: said so, with what to change
         "loop over all word pairs": {"2.6": "before it could be timed against the reference (limit 10x). "
                                             "Go through each document once"}}


@pytest.mark.parametrize("name", variant_names(VARIANTS, serial={"loop over all word pairs"}))
def test_variant_loses_exactly_its_tests(name, tmp_path, monkeypatch):
    patches, expected = VARIANTS[name]
    res, seed = grade_variant(patches, tmp_path, monkeypatch, **LIMITS.get(name, {}))
    check_variant_result(res, name, expected, TEST_FUNCTIONS, seed)
    outputs = {t["number"]: t["output"] for t in res["tests"]}
    for number, hint in HINTS.get(name, {}).items():
        assert hint in outputs[number], (seed, outputs[number])
    text = outputs["2.6"]  # a time: never "inf times", never a cap shown as a measurement
    assert "inf times" not in text, (seed, text)
    if "times as long as the reference" in text:
        assert ("stopped after" in text) != (" a call)" in text), (seed, text)


def test_the_boundary_hint_follows_the_direction_of_the_error():
    """2.3: a count too low is a window cut short, not one running across documents."""
    hidden = os.path.join(A1.folder, "tests", "hidden", "test_a1_hidden.py")
    sys.path.insert(0, os.path.join(A1.folder, "tests", "public"))
    try:
        spec = importlib.util.spec_from_file_location("a1_hidden_for_hint", hidden)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    low, high = module.boundary_hint(1, 3, 4), module.boundary_hint(2, 1, 4)
    assert low.startswith("too few") and "across documents" not in low and "within 4 positions" in low
    assert high.startswith("too many") and "across documents" in high


def test_a_2021_style_notebook_keeps_full_marks(tmp_path, monkeypatch):
    res, seed = grade_variant({"reduce_to_k_dim": SKLEARN_SVD}, tmp_path, monkeypatch)
    assert lost(res) == set(), (seed, [t["output"][:300] for t in res["tests"] if t["score"] < t["max_score"]])
