"""Part 1: the single-head attention analysis, as numpy functions.

Conventions used throughout:
- vectors are 1-D numpy arrays; a set of n vectors in R^d is an (n, d) array, one vector
  per row (row i of K is the key k_i, row i of V the value v_i, row i of mu the mean mu_i);
- a matrix M acts on a vector x as M @ x (x a column vector: k_i = K x_i);
- rng is a numpy.random.Generator: draw every random number from it.

Only numpy. Run `python plot_attention.py` to see your functions at work.
"""
import numpy as np


def attention(q, K, V):
    """Single-head attention of one query over n key/value pairs.

    @param q (ndarray (d,)): the query
    @param K (ndarray (n, d)): the keys, one per row
    @param V (ndarray (n, d_v)): the values, one per row
    @returns c (ndarray (d_v,)): the output, sum_i weights[i] * V[i]
    @returns weights (ndarray (n,)): softmax of the scores K[i] . q over the n keys
        (non-negative, summing to 1)

    The softmax must stay finite for large scores (say 1000): exp(1000) overflows, and
    softmax(s) = softmax(s - max(s)), so subtract the largest score first.
    """
    # YOUR CODE HERE
    raise NotImplementedError
    return c, weights


def sample_keys(mu, alpha, rng, perturbed=None):
    """One random key per mean: key i drawn from the normal N(mu_i, alpha I).

    @param mu (ndarray (n, d)): the means, one per row
    @param alpha (float): the variance of each coordinate of a key (alpha > 0)
    @param rng (numpy.random.Generator): the source of every random number you draw
    @param perturbed (int or None): when an index a, key a is instead drawn from
        N(mu_a, alpha I + 1/2 mu_a mu_a^T) (mu_a as a column vector: an extra random
        stretch along mu_a); every other key as above, all keys independent
    @returns K (ndarray (n, d)): the keys, row i drawn around mu[i]

    Hint: rng.standard_normal(shape) draws N(0, 1) numbers, rng.multivariate_normal(mean,
    cov) one vector from N(mean, cov). Adding g mu_a to a key, with g ~ N(0, s^2) one
    number, adds s^2 mu_a mu_a^T to its covariance.
    """
    # YOUR CODE HERE
    raise NotImplementedError
    return K


def average_query(mu, a, b, t):
    """A query that attends equally to keys a and b, when the keys are close to their means.

    The means mu_1..mu_n (rows of mu) are mutually orthogonal unit vectors and each key
    k_i is about mu_i (drawn from N(mu_i, alpha I) with alpha tiny).

    @param mu (ndarray (n, d)): the means, one per row
    @param a, b (int): the two keys to attend to (a != b)
    @param t (float): a large positive number (say 20 or more): how sharply to attend
    @returns q (ndarray (d,)): a query for which attention(q, K, V) gives
        c about (v_a + v_b) / 2, for any values V: half the weight on key a, half on key
        b, almost none on the others (think about the scores k_i . q for i = a, b and
        for the other keys)
    """
    # YOUR CODE HERE
    raise NotImplementedError
    return q


def two_head_queries(mu, a, b, t):
    """Two queries, one per head, whose outputs, averaged, stay near (v_a + v_b) / 2 when
    key a is perturbed (drawn from N(mu_a, alpha I + 1/2 mu_a mu_a^T): stretched or
    shrunk along mu_a by a random factor) and the other keys are about their means.

    With two heads, c = (c_1 + c_2) / 2 where c_h = attention(q_h, K, V)[0].

    @param mu (ndarray (n, d)): mutually orthogonal unit means, one per row
    @param a, b (int): the two keys (a != b)
    @param t (float): a large positive number, as in average_query
    @returns q1, q2 (ndarray (d,) each): the queries of head 1 and head 2
    """
    # YOUR CODE HERE
    raise NotImplementedError
    return q1, q2


def kqv_construction(u_a, u_b, u_c, u_d):
    """Key, query and value matrices for the three inputs
    x1 = u_d + u_b, x2 = u_a, x3 = u_c + u_b,
    where u_a, u_b, u_c, u_d are mutually orthogonal with the same large norm beta.

    Each input gives k_i = K @ x_i, q_i = Q @ x_i, v_i = V @ x_i, and the output of input
    i is c_i = sum_j softmax_j(k_j . q_i) v_j (the keys and values of all three inputs).

    @param u_a, u_b, u_c, u_d (ndarray (d,) each): the vectors (beta = ||u_a||)
    @returns K, Q, V (ndarray (d, d) each): matrices for which c2 is about u_b and
        c1 is about u_b - u_c

    Hint: take K = I, so k_i = x_i. Find Q that maps x1 to a vector along u_c and x2 to
    one along u_d (so q1 picks out x3 and q2 picks out x1), and V that maps x1 to u_b and
    x3 to u_b - u_c. Outer products u v^T (np.outer(u, v)) map v to beta^2 u.
    """
    # YOUR CODE HERE
    raise NotImplementedError
    return K, Q, V
