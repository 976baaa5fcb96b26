"""Public checks for a1, on the course's toy corpus with values worked out by hand.

Run them with `python -m autograder check` (or `pytest tests/`) in your assignment
folder: they grade exploring_word_vectors.ipynb as the autograder does, running only its
imports, definitions and constant assignments.
"""
import numpy as np

from autograder.checks.arrays import call_text
from autograder.harness import SubmissionTestCase, graded
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


class TestExploringWordVectorsPublic(SubmissionTestCase):
    @graded("1.1")
    def test_distinct_words_toy(self):
        """distinct_words: the toy corpus has 10 distinct words, sorted"""
        call = call_text("distinct_words", TOY)
        words, n = self.student.call(NB, "distinct_words", TOY)
        self.assertEqual(list(words), TOY_WORDS, f"{call} returned the words {list(words)}")
        self.assertEqual(n, 10, f"{call} returned num_corpus_words={n}, wanted 10")

    @graded("1.2")
    def test_co_occurrence_toy_window_1(self):
        """compute_co_occurrence_matrix: the toy corpus, window 1"""
        call = call_text("compute_co_occurrence_matrix", TOY, window_size=1)
        M, word2ind = self.student.call(NB, "compute_co_occurrence_matrix", TOY, window_size=1)
        want, index = toy_matrix()
        self.assertEqual(dict(word2ind), index, f"{call} returned word2ind {dict(word2ind)}")
        self.assertClose(np.asarray(M, dtype=float), want, call, name="M")

    @graded("1.3")
    def test_reduce_to_k_dim_shape(self):
        """reduce_to_k_dim: the toy matrix reduced to 2 dimensions has shape (10, 2)"""
        M, _ = toy_matrix()
        got = np.asarray(self.student.call(NB, "reduce_to_k_dim", M, k=2))
        self.assertEqual(got.shape, (10, 2), f"{call_text('reduce_to_k_dim', M, k=2)} has shape {got.shape}")

    @graded("1.4")
    def test_plot_embeddings_small(self):
        """plot_embeddings: five points, each labelled with its word"""
        M_reduced = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0], [0.0, 0.0]])
        word2ind = {"test1": 0, "test2": 1, "test3": 2, "test4": 3, "test5": 4}
        words = ["test1", "test2", "test3", "test4", "test5"]
        call = call_text("plot_embeddings", M_reduced, word2ind, words)
        shown = self.student.probe(plotted, M_reduced, word2ind, words, what=call)
        check_plot(self, shown, M_reduced, word2ind, words, call)
