"""Hidden checks for a1: random corpora and matrices against the reference, the plot as
drawn, and the co-occurrence count timed against the reference on real text.

Expected values come from the reference in the grader's run, or are computed here in
the trusted process; none of them enters the student's sandbox. Every test of a
function passes only when that function's values are right on the test's inputs (see
checks_a1): the inputs of 2.3 to 2.5 are chosen so that the one property each tests is
what decides, and a function that gets any count wrong still fails 2.2 and the timing.
"""
import gzip

import numpy as np

from autograder import data
from autograder.checks import timing
from autograder.checks.arrays import call_text
from autograder.harness import SubmissionTestCase, graded
from autograder.sandbox import StudentTimeout
from checks_a1 import (END, START, counts_match, matrix_and_index, matrix_with_gaps, random_document,
                       random_words, reduced, words_and_count)
from probes_a1 import cooccurrence_timing, plotted
from plot_check import check_plot

NB = "exploring_word_vectors"
CORPUS = "wiki-en-10M/wiki-en-2015-10M.txt.gz"


def random_corpus(rng, n_docs, vocabulary, longest):
    """Documents of random words (some repeated next to each other), wrapped in START/END."""
    words = random_words(rng, vocabulary)
    return [random_document(rng, words, int(rng.integers(0, longest + 1))) for _ in range(n_docs)]


def wiki_slice(n_docs):
    """The first n_docs paragraphs of the shared Wikipedia corpus, as the notebook reads them."""
    docs = []
    with gzip.open(data.path(CORPUS), "rt", encoding="utf-8") as f:
        for line in f:
            tokens = line.split()
            if tokens:
                docs.append([START] + [t.lower() for t in tokens] + [END])
            if len(docs) == n_docs:
                break
    return docs


def aligned(got, want):
    """`got` with each column's sign flipped to match `want` (SVD signs are arbitrary)."""
    signs = np.sign(np.sum(got * want, axis=0))
    signs[signs == 0] = 1
    return got * signs


def boundary_hint(got, want, window):
    """What a wrong count at a document's edge suggests, by the direction of the error:
    too many pairs come from windows that run into the next document; too few from
    windows cut short of the document's own first and last words."""
    if got > want:
        return ("too many: does the window run across documents? Each document's window stops at "
                "its own <START> and <END>")
    return (f"too few: does the window reach every word within {window} positions of the centre, up to "
            "and including the document's own <START> and <END>, in every document?")


class TestExploringWordVectorsHidden(SubmissionTestCase):
    longMessage = False  # the message alone, without unittest's "np.False_ is not true :"

    def cooccurrence_pair(self, corpus, window):
        """(call, want_M, want_index, got_M, got_index): both sides on the same corpus, the
        student's reply checked for structure (an N x N matrix, a row for each word)."""
        call = call_text("compute_co_occurrence_matrix", corpus, window_size=window)
        want_M, want_index = self.reference_call(NB, "compute_co_occurrence_matrix", corpus, window_size=window)
        got = self.student.call(NB, "compute_co_occurrence_matrix", corpus, window_size=window)
        got_M, got_index = matrix_and_index(got, sorted(want_index), call)
        return call, np.asarray(want_M, dtype=float), dict(want_index), got_M, got_index

    @graded("2.1")
    def test_distinct_words_random(self):
        """distinct_words: random corpora (repeats, punctuation, accents) against the reference"""
        for n_docs, vocabulary, longest in ((1, 5, 4), (6, 30, 12), (40, 200, 25)):
            corpus = random_corpus(self.rng, n_docs, vocabulary, longest)
            call = call_text("distinct_words", corpus)
            want_words, _ = self.reference_call(NB, "distinct_words", corpus)
            words_and_count(self.student.call(NB, "distinct_words", corpus), list(want_words), call)

    @graded("2.2")
    def test_co_occurrence_counts_random(self):
        """compute_co_occurrence_matrix: random corpora and windows 1-6, word by word"""
        for n_docs, vocabulary, longest, window in ((3, 8, 6, 1), (5, 15, 9, 2), (8, 30, 14, 4),
                                                    (4, 10, 3, 6), (20, 60, 20, 5)):
            corpus = random_corpus(self.rng, n_docs, vocabulary, longest)
            # compared word pair by word pair, whatever row order the submission chose
            counts_match(*self.cooccurrence_pair(corpus, window))

    @graded("2.3")
    def test_window_stops_at_document_boundaries(self):
        """compute_co_occurrence_matrix: the window never crosses from one document into the next"""
        corpus = [[START, "alpha", "beta", END], [START, "gamma", END], [START, "delta", "alpha", END]]
        # Windows as long as the documents: every word of a document is in every window
        # (the edges of a window do not matter here), and nothing beyond it may be.
        for window in (4, 7):
            call, want_M, want_index, got_M, got_index = self.cooccurrence_pair(corpus, window)
            for a, b in ((END, START), ("beta", "gamma"), ("gamma", "delta"), ("beta", START)):
                got, want = got_M[got_index[a], got_index[b]], want_M[want_index[a], want_index[b]]
                self.assertEqual(got, want, f"{call}: M[{a!r}, {b!r}] is {got:g}, wanted {want:g}: "
                                            + boundary_hint(got, want, window))
            counts_match(call, got_M, got_index, want_M, want_index)

    def one_document(self, length, vocabulary=25):
        """A single random document: document boundaries play no part."""
        return [random_document(self.rng, random_words(self.rng, vocabulary), length)]

    @graded("2.4")
    def test_co_occurrence_is_symmetric_integer_counts(self):
        """compute_co_occurrence_matrix: a symmetric matrix of whole counts"""
        call, want_M, want_index, M, got_index = self.cooccurrence_pair(self.one_document(14), 3)
        self.assertTrue(np.array_equal(M, M.T), f"{call}: M is not symmetric")
        self.assertTrue(np.array_equal(M, np.round(M)) and M.min() >= 0,
                        f"{call}: M holds values that are not counts, e.g. {M[M != np.round(M)][:3]}")
        counts_match(call, M, got_index, want_M, want_index)

    @graded("2.5")
    def test_rows_follow_distinct_words(self):
        """compute_co_occurrence_matrix: word2ind gives each word its position in distinct_words"""
        corpus = self.one_document(10, vocabulary=20)
        # A word said twice: its own count is then not 0, so a matrix of all ones off the
        # diagonal (right for a document of distinct words) cannot pass (drawn without a
        # repeat about 1 time in 15)
        corpus[0][-2] = corpus[0][1]
        window = len(corpus[0])  # every pair of the document counts: the window's edges play no part
        call, want_M, want_index, got_M, got_index = self.cooccurrence_pair(corpus, window)
        counts_match(call, got_M, got_index, want_M, want_index)
        words, _ = self.reference_call(NB, "distinct_words", corpus)
        want = {w: i for i, w in enumerate(words)}
        wrong = [w for w in words if got_index.get(w) != want[w]]
        self.assertFalse(wrong, f"{call}: word2ind[{wrong[0]!r}] is {got_index.get(wrong[0])}, wanted "
                                f"{want[wrong[0]]} (rows in the sorted order of distinct_words)"
                         if wrong else "")

    @graded("2.6")
    def test_co_occurrence_speed(self):
        """compute_co_occurrence_matrix: real text, timed against the reference"""
        limit = float(self.config.timing.get("max_ratio", 10))
        n_docs = int(self.config.timing.get("documents", 300))
        corpus = wiki_slice(n_docs)
        tokens = sum(len(d) for d in corpus)
        what = (f"compute_co_occurrence_matrix on {n_docs - n_docs // 10} of {n_docs} Wikipedia paragraphs "
                f"(about {tokens * 9 // 10} tokens), window_size=4")
        parts = [("the number of distinct words", 1), ("the sum of all counts in M", 1),
                 ("M at pairs of words near each other", 24)]
        fix = ("Go through each document once, position by position, and look words up in a dict: no loop "
               "over all pairs of words, no list.index.")
        try:
            result = timing.measure(self.student, self.reference, cooccurrence_timing, corpus, 4, pairs=24,
                                    limit=limit, what=what, parts=parts, target_s=0.2, trials=3)
        except StudentTimeout as exc:  # its first, untimed runs were already cut off
            self.fail(f"{exc}, before it could be timed against the reference (limit {limit:g}x). {fix}")
        for line in result.notes:
            self.note(line)
        if result.ratio > limit:
            self.fail(f"{what} took {result.slower_text()} (limit {limit:g}x). {fix}")

    @graded("2.7")
    def test_reduce_to_k_dim_random(self):
        """reduce_to_k_dim: random matrices against the reference, up to the sign of each component"""
        for n, symmetric, k in ((12, True, 2), (30, True, 3), (25, False, 2), (40, False, 5)):
            M = matrix_with_gaps(self.rng, n, symmetric, k)
            call = call_text("reduce_to_k_dim", M, k=k)
            want = np.asarray(self.reference_call(NB, "reduce_to_k_dim", M, k=k), dtype=float)
            got = reduced(self.student.call(NB, "reduce_to_k_dim", M, k=k), want.shape, call)
            err = np.linalg.norm(aligned(got, want) - want, axis=0) / np.linalg.norm(want, axis=0)
            worst = int(np.argmax(err))
            self.assertLess(err[worst], 1e-3,
                            f"{call}: column {worst} is off by {err[worst]:.2g} of its length even with "
                            f"its sign flipped; wanted U * S (column norms {np.linalg.norm(want, axis=0).round(3)}, "
                            f"got {np.linalg.norm(got, axis=0).round(3)})")

    @graded("2.8")
    def test_plot_embeddings_random(self):
        """plot_embeddings: random points, only the requested words, each labelled at its point"""
        names = [f"word{i}" for i in range(30)]
        M_reduced = self.rng.standard_normal((30, 2)) * float(self.rng.uniform(0.1, 50))
        word2ind = {w: int(i) for w, i in zip(names, self.rng.permutation(30))}
        words = [str(w) for w in self.rng.choice(names, size=8, replace=False)]
        call = call_text("plot_embeddings", M_reduced, word2ind, words)
        shown = self.student.probe(plotted, M_reduced, word2ind, words, what=call, timeout=60)
        check_plot(self, shown, M_reduced, word2ind, words, call)
