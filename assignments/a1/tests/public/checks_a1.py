"""What the a1 tests compute and check in the trusted process (public and hidden tests).

A value from the notebook's process is a claim: its structure is checked first (a
pair, a dict of words to distinct rows, a square matrix of numbers), and a test of a
function passes only when the function's values are right on the test's own inputs, so
a stub, a constant or a hard-coded answer to the toy example scores nothing.
"""
import numpy as np

from autograder.checks import structure
from autograder.describe import describe

START, END = "<START>", "<END>"


# ----- what the tests compute themselves ---------------------------------------------------
def random_document(rng, words, length):
    """One document of `length` random words (repeats likely), between START and END."""
    return [START] + [str(w) for w in rng.choice(words, size=length)] + [END]


def random_words(rng, vocabulary):
    letters = list("abcdefghijklmnopqrstuvwxyz'é")
    return sorted({"".join(rng.choice(letters, size=int(rng.integers(1, 7)))) for _ in range(vocabulary)})


def matrix_with_gaps(rng, n, symmetric, k):
    """A random matrix whose top k+1 singular values are well apart, so its top-k
    components are unique up to sign."""
    while True:
        A = rng.poisson(2.0, size=(n, n)).astype(float) if symmetric else rng.standard_normal((n, n + 3))
        if symmetric:
            A = A + A.T
        s = np.linalg.svd(A, compute_uv=False)
        if np.all(np.diff(s[:k + 1]) < -0.02 * s[0]):
            return A


# ----- checks --------------------------------------------------------------------------------
def words_and_count(got, want_words, call):
    """distinct_words' reply: a list of words and their number, compared with `want_words`."""
    structure.check(got, (list(want_words), len(want_words)), call, names=("corpus_words", "num_corpus_words"))
    words, n = got
    if list(words) != list(want_words):
        wrong = next(i for i, (g, w) in enumerate(zip(words, want_words)) if g != w)
        raise AssertionError(f"{call}: corpus_words[{wrong}] is {words[wrong]!r}, wanted {want_words[wrong]!r} "
                             f"(returned {list(words)[:10]}..., wanted {list(want_words)[:10]}...: every "
                             "distinct word once, sorted)")
    if int(n) != len(want_words):
        raise AssertionError(f"{call} returned num_corpus_words={n}, wanted {len(want_words)}")


def matrix_and_index(got, want_words, call):
    """compute_co_occurrence_matrix's reply, structure only: (M, word2ind) with M an N x N
    matrix of numbers and word2ind giving each of the N wanted words its own row.
    Returns (M as float array, word2ind as a dict)."""
    n = len(want_words)
    structure.check(got, (np.zeros((n, n)), {w: 0 for w in want_words}), call, names=("M", "word2ind"))
    M, word2ind = got
    rows = [word2ind[w] for w in want_words]
    bad = [w for w in want_words if not 0 <= int(word2ind[w]) < n]
    if bad:
        raise AssertionError(f"{call}: word2ind[{bad[0]!r}] is {word2ind[bad[0]]}, not a row of M "
                             f"(0 to {n - 1})")
    if len(set(int(r) for r in rows)) != n:
        raise AssertionError(f"{call}: word2ind gives several words the same row "
                             f"(only {len(set(rows))} distinct rows for {n} words)")
    return np.asarray(M, dtype=float), {w: int(word2ind[w]) for w in want_words}


def counts_match(call, got_M, got_index, want_M, want_index, hint=""):
    """Every count, word pair by word pair, whatever row order each side chose."""
    words = sorted(want_index)
    got = got_M[np.ix_([got_index[w] for w in words], [got_index[w] for w in words])]
    want = want_M[np.ix_([want_index[w] for w in words], [want_index[w] for w in words])]
    bad = np.argwhere(~np.isclose(got, want))
    if len(bad):
        i, j = bad[0]
        raise AssertionError(f"{call}: M[{words[i]!r}, {words[j]!r}] is {got[i, j]:g}, wanted {want[i, j]:g} "
                             f"({len(bad)} of {want.size} counts differ){hint}")


def reduced(got, want_shape, call):
    """reduce_to_k_dim's reply: a float array of the wanted shape with finite values."""
    structure.check(got, np.zeros(want_shape), call, name="M_reduced")
    arr = np.asarray(got, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise AssertionError(f"{call}: M_reduced holds {describe(arr)}: not finite numbers")
    return arr


def along_singular_directions(got, M, k, call):
    """Each column of `got` is a nonzero multiple of the matching left singular vector of
    M (the direction the trusted side finds with its own SVD; scale and sign free)."""
    U, S, _ = np.linalg.svd(np.asarray(M, dtype=float), full_matrices=False)
    for j in range(k):
        norm = np.linalg.norm(got[:, j])
        cosine = abs(float(got[:, j] @ U[:, j])) / max(norm, 1e-300)
        if norm < 1e-9 * S[0] or cosine < 1 - 1e-6:
            raise AssertionError(f"{call}: column {j} of M_reduced ({np.round(got[:, j], 4).tolist()}) does not "
                                 f"point along M's singular direction {j} (+/-{np.round(U[:, j], 4).tolist()}); "
                                 "take the first k columns of U from an SVD of M, times S")
