"""a1 notebooks whose functions are stubs: trivial returns of the right type, the right
shape, random values, copies of the input, or the answers to the public toy example
hard-coded. A stub or constant function scores 0 on every test of that function; the
honest functions of the same notebook keep their points, and results.json is valid.

Before issue 10 the notebook returning `np.zeros((1, 1)), {}` and the like scored 3/23
(2.4, a symmetric matrix of whole counts, and 2.6, the timing, which looked at no value).
Against the a1 tests of that time (with the new timing check) this file measured: zeros
1/23 (2.4); each right-shape stub 3/23 (1.3, the shape of the reduced toy matrix; 2.4;
2.5, the order of word2ind whatever M held); the hard-coded toy example 6/23 (1.1, 1.2,
1.3, 1.4, 2.4: the public tests had fixed inputs).
"""
import pytest
from hostile_support import strict_results
from support import grade, make_submission, pin_seed, scores

from autograder import config as configmod

A1 = configmod.load("a1")
NB = "exploring_word_vectors.ipynb"

# The graded functions of each test (as in tests/assignments/a1/test_a1_variants.py).
TESTS_OF = {
    "distinct_words": {"1.1", "2.1"},
    "compute_co_occurrence_matrix": {"1.2", "2.2", "2.3", "2.4", "2.5", "2.6"},
    "reduce_to_k_dim": {"1.3", "2.7"},
    "plot_embeddings": {"1.4", "2.8"},
}

ZEROS = {
    "distinct_words": "def distinct_words(corpus):\n    return [], 0\n",
    "compute_co_occurrence_matrix": "def compute_co_occurrence_matrix(corpus, window_size=4):\n"
                                    "    return np.zeros((1, 1)), {}\n",
    "reduce_to_k_dim": "def reduce_to_k_dim(M, k=2):\n    return np.zeros((1, 1))\n",
    "plot_embeddings": "def plot_embeddings(M_reduced, word2ind, words):\n    pass\n",
}

# The right structure everywhere: a word2ind from the (honest) distinct_words, an N x N
# matrix, an N x k reduction, a point and a label per word.
RIGHT_SHAPES = {
    "compute_co_occurrence_matrix": '''
def compute_co_occurrence_matrix(corpus, window_size=4):
    words, n = distinct_words(corpus)
    return np.zeros((n, n)), {w: i for i, w in enumerate(words)}
''',
    "reduce_to_k_dim": '''
def reduce_to_k_dim(M, k=2):
    return np.zeros((np.shape(M)[0], k))
''',
    "plot_embeddings": '''
def plot_embeddings(M_reduced, word2ind, words):
    for i, word in enumerate(words):
        plt.scatter([i], [0])
        plt.text(i, 0, word)
''',
}

RANDOM = {
    "compute_co_occurrence_matrix": '''
def compute_co_occurrence_matrix(corpus, window_size=4):
    words, n = distinct_words(corpus)
    A = np.random.randint(0, 3, (n, n))
    np.fill_diagonal(A, 0)
    return (A + A.T).astype(float), {w: i for i, w in enumerate(words)}
''',
    "reduce_to_k_dim": '''
def reduce_to_k_dim(M, k=2):
    return np.random.standard_normal((np.shape(M)[0], k))
''',
    "plot_embeddings": '''
def plot_embeddings(M_reduced, word2ind, words):
    xy = np.random.standard_normal((len(words), 2))
    plt.scatter(xy[:, 0], xy[:, 1])
    for word, (x, y) in zip(words, xy):
        plt.text(x, y, word)
''',
}

# Cheap transformations of the input with the right shape.
COPIES = {
    "compute_co_occurrence_matrix": '''
def compute_co_occurrence_matrix(corpus, window_size=4):
    words, n = distinct_words(corpus)
    return np.ones((n, n)) - np.eye(n), {w: i for i, w in enumerate(words)}
''',
    "reduce_to_k_dim": '''
def reduce_to_k_dim(M, k=2):
    return np.asarray(M, dtype=float)[:, :k]
''',
}

# The public tests' toy example answered whatever the input.
TOY = '''
TOY_WORDS = ['<END>', '<START>', 'all', "all's", 'ends', 'glitters', 'gold', "isn't", 'that', 'well']
TOY_M = [[0, 0, 0, 0, 0, 0, 1, 0, 0, 1], [0, 0, 1, 1, 0, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0, 0, 0, 1, 0],
         [0, 1, 0, 0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 0, 0, 1, 1, 0],
         [1, 0, 0, 0, 0, 0, 0, 1, 0, 0], [0, 0, 0, 0, 0, 1, 1, 0, 0, 0], [0, 0, 1, 0, 1, 1, 0, 0, 0, 1],
         [1, 0, 0, 1, 1, 0, 0, 0, 1, 0]]
'''
HARD_CODED = {
    "distinct_words": TOY + '''
def distinct_words(corpus):
    return list(TOY_WORDS), 10
''',
    "compute_co_occurrence_matrix": '''
def compute_co_occurrence_matrix(corpus, window_size=4):
    return np.array(TOY_M, dtype=float), {w: i for i, w in enumerate(TOY_WORDS)}
''',
    "reduce_to_k_dim": '''
def reduce_to_k_dim(M, k=2):
    U, S, _ = np.linalg.svd(np.array(TOY_M, dtype=float))
    return U[:, :k] * S[:k]
''',
    "plot_embeddings": '''
def plot_embeddings(M_reduced, word2ind, words):
    points = [[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0], [0.0, 0.0]]
    for i, (x, y) in enumerate(points):
        plt.scatter([x], [y])
        plt.text(x, y, f"test{i + 1}")
''',
}

STUBS = {
    "zeros and empty dicts": ZEROS,
    "the right shapes, zeros": RIGHT_SHAPES,
    "the right shapes, random values": RANDOM,
    "the right shapes, copies of the input": COPIES,
    "the public toy example hard-coded": HARD_CODED,
}


def expected_score(stubbed):
    """The points of the tests of the functions left honest."""
    lost = set().union(*(TESTS_OF[f] for f in stubbed))
    return sum(p for n, p in A1.points.items() if n not in lost)


@pytest.mark.parametrize("name", sorted(STUBS))
def test_a_stub_scores_nothing_on_the_tests_of_its_function(name, tmp_path, monkeypatch):
    seed = pin_seed(monkeypatch)
    stubs = STUBS[name]
    sub = make_submission(tmp_path / "sub", assignment="a1", patches={NB: stubs})
    res = grade(sub, assignment="a1", results_path=tmp_path / "results.json")
    strict_results(tmp_path / "results.json")
    got = scores(res)
    gained = {n: got[n] for f in stubs for n in TESTS_OF[f] if got[n] > 0}
    assert not gained, f"{name} (NLPGRADE_SEED={seed}): stubs scored {gained}"
    assert res["score"] == expected_score(stubs), (name, seed, got)
    for t in res["tests"]:  # each says what is wrong in words, never a grader error
        assert not t["output"].startswith("The grader could not check"), t
        assert "grader_traceback" not in t.get("extra_data", {}), t


def test_the_template_scores_nothing(tmp_path):
    res = grade(A1.template_dir, assignment="a1", results_path=tmp_path / "results.json")
    strict_results(tmp_path / "results.json")
    assert res["score"] == 0
