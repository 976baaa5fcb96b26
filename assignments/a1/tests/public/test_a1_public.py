"""Public checks for a1, on the course's toy corpus with values worked out by hand, and on
a fresh variation each run (the toy corpus with its words renamed, a random corpus, a
random matrix) whose answer follows from the toy one or from numpy, so that an answer
hard-coded for the toy example fails.

Run them with `python -m autograder check` (or `pytest tests/`) in your assignment
folder: they grade exploring_word_vectors.ipynb as the autograder does, running only its
imports, definitions and constant assignments.
"""
import numpy as np

from autograder.checks.arrays import call_text
from autograder.harness import SubmissionTestCase, graded
from checks_a1 import (along_singular_directions, matrix_and_index, matrix_with_gaps, random_document,
                       random_words, reduced, words_and_count)
from plot_check import check_plot
from probes_a1 import plotted

NB = "exploring_word_vectors"
TOY = [["<START>", "all", "that", "glitters", "isn't", "gold", "<END>"],
       ["<START>", "all's", "well", "that", "ends", "well", "<END>"]]
TOY_WORDS = ["<END>", "<START>", "all", "all's", "ends", "glitters", "gold", "isn't", "that", "well"]
# Neighbouring pairs of the toy documents: with window 1 each pair counts once both ways.
TOY_PAIRS = [("<START>", "all"), ("all", "that"), ("that", "glitters"), ("glitters", "isn't"),
             ("isn't", "gold"), ("gold", "<END>"),
             ("<START>", "all's"), ("all's", "well"), ("well", "that"), ("that", "ends"),
             ("ends", "well"), ("well", "<END>")]


def toy_matrix():
    index = {w: i for i, w in enumerate(TOY_WORDS)}
    M = np.zeros((10, 10))
    for a, b in TOY_PAIRS:
        M[index[a], index[b]] += 1
        M[index[b], index[a]] += 1
    return M, index


def renamed_toy(rng):
    """The toy corpus with its words renamed at random and its documents in a random order,
    and its window-1 matrix: the toy one, each count moved with its words."""
    names = random_words(rng, 40)
    while len(names) < len(TOY_WORDS):
        names = random_words(rng, 40)
    rename = dict(zip(TOY_WORDS, rng.choice(names, size=len(TOY_WORDS), replace=False).tolist()))
    corpus = [[rename[w] for w in TOY[i]] for i in rng.permutation(len(TOY))]
    M, index = toy_matrix()
    words = sorted(rename.values())
    new_index = {w: i for i, w in enumerate(words)}
    order = [index[old] for old in sorted(rename, key=rename.get)]  # toy row of each new row
    return corpus, M[np.ix_(order, order)], new_index


class TestExploringWordVectorsPublic(SubmissionTestCase):
    longMessage = False  # the message alone, without unittest's "np.False_ is not true :"

    def small_corpus(self):
        """Three short random documents, fresh each run (a hard-coded toy answer fails)."""
        words = random_words(self.rng, 12)
        return [random_document(self.rng, words, int(self.rng.integers(2, 8))) for _ in range(3)]

    @graded("1.1")
    def test_distinct_words_toy(self):
        """distinct_words: the toy corpus has 10 distinct words, sorted; and a random corpus"""
        for corpus in (TOY, self.small_corpus()):
            call = call_text("distinct_words", corpus)
            got = self.student.call(NB, "distinct_words", corpus)
            words_and_count(got, sorted({w for doc in corpus for w in doc}), call)

    @graded("1.2")
    def test_co_occurrence_toy_window_1(self):
        """compute_co_occurrence_matrix: the toy corpus, window 1; and the toy corpus with its
        words renamed at random"""
        renamed, renamed_M, renamed_index = renamed_toy(self.rng)
        for corpus, (want, index) in ((TOY, toy_matrix()), (renamed, (renamed_M, renamed_index))):
            call = call_text("compute_co_occurrence_matrix", corpus, window_size=1)
            got = self.student.call(NB, "compute_co_occurrence_matrix", corpus, window_size=1)
            M, word2ind = matrix_and_index(got, sorted(index), call)
            self.assertEqual(word2ind, index, f"{call} returned word2ind {word2ind}, wanted {index} "
                                              "(rows in the sorted order of distinct_words)")
            self.assertClose(M, want, call, name="M")

    @graded("1.3")
    def test_reduce_to_k_dim_shape(self):
        """reduce_to_k_dim: the toy matrix and a random one reduced to 2 dimensions: shape (N, 2),
        columns along the matrix's leading singular directions"""
        for M in (toy_matrix()[0], matrix_with_gaps(self.rng, 8, True, 2)):
            call = call_text("reduce_to_k_dim", M, k=2)
            got = reduced(self.student.call(NB, "reduce_to_k_dim", M, k=2), (len(M), 2), call)
            along_singular_directions(got, M, 2, call)

    @graded("1.4")
    def test_plot_embeddings_small(self):
        """plot_embeddings: five points, each labelled with its word; then six random ones"""
        M_reduced = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0], [0.0, 0.0]])
        word2ind = {"test1": 0, "test2": 1, "test3": 2, "test4": 3, "test5": 4}
        words = ["test1", "test2", "test3", "test4", "test5"]
        rows = self.rng.permutation(6)
        cases = ((M_reduced, word2ind, words),
                 (self.rng.uniform(-3, 3, (6, 2)), {f"w{i}": int(r) for i, r in enumerate(rows)},
                  [f"w{i}" for i in self.rng.permutation(6)]))
        for M_reduced, word2ind, words in cases:
            call = call_text("plot_embeddings", M_reduced, word2ind, words)
            shown = self.student.probe(plotted, M_reduced, word2ind, words, what=call)
            check_plot(self, shown, M_reduced, word2ind, words, call)
