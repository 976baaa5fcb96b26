"""What the attention_math tests draw and check in the trusted process (public and hidden).

Nothing here runs in the sandbox, and no verdict takes a property from the submission's
process: its functions return keys, queries or matrices, and this module samples keys,
computes attention and the statistics itself.

False failures. Every statistical bound below holds for a correct submission with
probability at least 1 - DELTA per check (DELTA = 2e-8); a grading makes at most a dozen
such checks, so a correct submission fails one with probability below 1e-6.
- Keys (sample_keys): the n keys of a draw, whitened with the covariance they should have,
  are N x p standard normal numbers (p = n d) when the submission is right. The mean test:
  N |mean|^2 is chi-square with p degrees of freedom, and P(X >= p + 2 sqrt(p x) + 2x) <=
  e^-x (Laurent and Massart 2000), x = ln(1/DELTA). The covariance test: the singular
  values of an N x p standard normal matrix lie in sqrt(N) -+ (sqrt(p) + s) except with
  probability 2 exp(-s^2/2) (Davidson and Szarek; Vershynin 2012, Corollary 5.35), so
  the whitened sample covariance's eigenvalues lie in (1 -+ sqrt(p/N) -+ s/sqrt(N))^2.
- Queries (average_query, two_head_queries): keys are drawn with alpha = (ALPHA_SCALE / t)^2,
  so a key's noise moves a score t k.q by a normal number of standard deviation at most
  2 ALPHA_SCALE = 0.004; the weights a correct query gives are then within 0.01 of the
  target unless a noise exceeds 30 standard deviations (probability below 1e-190), far
  inside the tolerance WEIGHT_TOL = 0.05.
- kqv_construction: no randomness once the vectors are drawn; beta >= 4 keeps the
  weights a correct construction gives within 2 exp(-16) of one-hot.
"""
import math

import numpy as np

from autograder.checks import arrays

DELTA = 2e-8
ALPHA_SCALE = 0.002
WEIGHT_TOL = 0.05      # |weights - target| (Euclidean) allowed for the query checks
KQV_TOL = 1e-3         # |c_i - wanted| / beta allowed for the construction


def shaped(got, shapes, call, names):
    """A returned tuple of arrays, each of its shape, as float arrays (or fail saying which)."""
    return tuple(arrays.check_shape(g, shape, call, name)
                 for g, shape, name in zip(arrays.items(got, call, names), shapes, names))


# ----- the trusted side's own attention ---------------------------------------------------
def softmax(scores):
    scores = np.asarray(scores, dtype=float)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def attend(q, K, V):
    """(c, weights) of one query over the keys K and values V, computed here."""
    w = softmax(np.asarray(K, dtype=float) @ np.asarray(q, dtype=float))
    return w @ np.asarray(V, dtype=float), w


# ----- draws -------------------------------------------------------------------------------
def orthonormal_rows(rng, n, d):
    """n mutually orthogonal unit vectors in R^d (rows), at random."""
    Q, R = np.linalg.qr(rng.standard_normal((d, n)))
    return (Q * np.sign(np.diag(R))).T


def query_setting(rng, n=None):
    """Means, indices, scale and values for the query checks: n orthonormal means in R^d,
    a != b, t in [20, 40], values with orthonormal rows of norm `scale` (so the output c
    determines the weights: |c - target| = scale |weights - target weights|)."""
    n = int(rng.integers(3, 7)) if n is None else n
    d = n + int(rng.integers(0, 5))
    mu = orthonormal_rows(rng, n, d)
    a, b = (int(i) for i in rng.choice(n, size=2, replace=False))
    t = float(np.round(rng.uniform(20, 40), 2))
    scale = float(np.round(rng.uniform(1, 5), 2))
    V = scale * orthonormal_rows(rng, n, n + int(rng.integers(0, 4)))
    return {"mu": mu, "a": a, "b": b, "t": t, "V": V, "scale": scale,
            "alpha": (ALPHA_SCALE / t) ** 2}


def draw_keys(rng, mu, alpha, perturbed=None, count=1):
    """`count` draws of the keys (count, n, d), made here: key i from N(mu_i, alpha I),
    key `perturbed` from N(mu_a, alpha I + 1/2 mu_a mu_a^T)."""
    mu = np.array(mu, dtype=np.float64)
    K = mu + math.sqrt(alpha) * rng.standard_normal((count,) + mu.shape)
    if isinstance(perturbed, (int, np.integer)):
        K[:, perturbed] += rng.standard_normal((count, 1)) / math.sqrt(2) * mu[perturbed]
    return K


def key_setting(rng):
    """Means (random directions, norms 1.2 to 3), alpha in [0.05, 0.25], for sample_keys.

    Ranges chosen so that the usual mistakes sit far outside the bounds: without the 1/2
    the variance along mu_a is at least (alpha + |mu|^2) / (alpha + |mu|^2 / 2) >= 1.74
    times what it should be; a key perturbed that should not be, at least
    (alpha + |mu|^2 / 2) / alpha >= 3.9 times; noise of standard deviation alpha instead
    of sqrt(alpha), at most alpha <= 0.25 times; keys sharing their noise, correlated 1."""
    n = int(rng.integers(2, 6))
    d = int(rng.integers(2, 7))
    mu = rng.standard_normal((n, d))
    mu *= rng.uniform(1.2, 3, size=(n, 1)) / np.linalg.norm(mu, axis=1, keepdims=True)
    return np.round(mu, 3), float(np.round(rng.uniform(0.05, 0.25), 3))


def key_covariances(mu, alpha, perturbed=None):
    """The covariance of each key: alpha I, and alpha I + 1/2 mu_a mu_a^T for `perturbed`."""
    n, d = np.shape(mu)
    covs = np.repeat(alpha * np.eye(d)[None], n, axis=0)
    if isinstance(perturbed, (int, np.integer)):
        covs[perturbed] += 0.5 * np.outer(mu[perturbed], mu[perturbed])
    return covs


# ----- sample_keys ------------------------------------------------------------------------
def key_bounds(N, p, delta=DELTA):
    """(mean bound on N |whitened mean|^2, (low, high) eigenvalues of the whitened covariance)."""
    x = math.log(1 / delta)
    s = math.sqrt(2 * math.log(2 / delta))
    spread = math.sqrt(p / N) + s / math.sqrt(N)
    return p + 2 * math.sqrt(p * x) + 2 * x, (max(0.0, 1 - spread) ** 2, (1 + spread) ** 2)


def check_keys(samples, mu, alpha, perturbed, call, draws):
    """Fail unless `samples` (the `draws` draws of the n keys the grader asked for) fit
    N(mu_i, cov_i), independent keys. Returns a line describing what was measured.

    The number of draws is the grader's, not the reply's: the bounds widen as N shrinks,
    so a reply cut to a few draws would let wrong keys through."""
    mu = np.array(mu, dtype=np.float64)
    n, d = mu.shape
    S = arrays.as_array(samples, call, "the keys")
    if S.ndim != 3 or S.shape[1:] != (n, d):
        raise AssertionError(f"{call}: the keys have shape {S.shape[1:] if S.ndim == 3 else S.shape}, "
                             f"expected ({n}, {d}): one key per row of mu")
    if len(S) != draws:
        raise AssertionError(f"{call}: {len(S)} draws came back, the grader asked for {draws}")
    S = S.astype(float)
    if not np.isfinite(S).all():
        raise AssertionError(f"{call}: the keys contain NaN or infinite values")
    N, p = len(S), n * d
    covs = key_covariances(mu, alpha, perturbed)
    # whiten each key with its own covariance: independent keys make all p numbers iid N(0, 1)
    L_inv = np.linalg.inv(np.linalg.cholesky(covs))           # (n, d, d)
    W = np.einsum("nij,Nnj->Nni", L_inv, S - mu).reshape(N, p)
    mean_bound, (low, high) = key_bounds(N, p)
    mean_stat = N * float(np.sum(W.mean(axis=0) ** 2))
    eig = np.linalg.eigvalsh(W.T @ W / N)
    if mean_stat <= mean_bound and low <= eig[0] and eig[-1] <= high:
        return (f"{N} draws: mean statistic {mean_stat:.1f} (bound {mean_bound:.1f}), whitened covariance's "
                f"eigenvalues {eig[0]:.3f}..{eig[-1]:.3f} (bounds {low:.3f}..{high:.3f})")
    raise AssertionError(f"{call}, drawn {N} times: {key_diagnosis(S, mu, alpha, perturbed)} "
                         f"(the grader's bounds hold for correct keys except with probability "
                         f"below {DELTA:g})")


def key_diagnosis(S, mu, alpha, perturbed):
    """The row whose mean, spread along its mean, spread across it, or correlation with
    another key is the furthest from what it should be, in words."""
    N, n, d = S.shape
    findings = []      # (how far off, text)
    for i in range(n):
        x = S[:, i]
        m = x.mean(axis=0)
        u = mu[i] / np.linalg.norm(mu[i])
        along = float(np.var(x @ u))
        want_along = alpha + (0.5 * float(mu[i] @ mu[i]) if i == perturbed else 0.0)
        rest = x - np.outer(x @ u, u)
        across = float(np.sum(np.var(rest, axis=0))) / max(d - 1, 1)
        err = float(np.linalg.norm(m - mu[i]))
        findings.append((err / math.sqrt(alpha) * math.sqrt(N) / 6,
                         f"key {i}'s average is {np.round(m, 3).tolist()}, wanted mu[{i}] = "
                         f"{np.round(mu[i], 3).tolist()}"))
        what = ("alpha + 1/2 |mu_a|^2, the perturbed key" if i == perturbed else "alpha")
        findings.append((abs(math.log(max(along, 1e-300) / want_along)) * math.sqrt(N / 2) / 6,
                         f"key {i}'s variance along mu[{i}] is {along:.4g}, wanted {want_along:.4g} ({what})"))
        if d > 1:
            findings.append((abs(math.log(max(across, 1e-300) / alpha)) * math.sqrt(N * (d - 1) / 2) / 6,
                             f"key {i}'s variance across mu[{i}] is {across:.4g} per direction, "
                             f"wanted alpha = {alpha:g}"))
    flat = (S - S.mean(axis=0)).reshape(N, n * d)
    sd = np.maximum(flat.std(axis=0), 1e-12)
    corr = (flat.T @ flat / N) / np.outer(sd, sd)
    for i in range(n):
        for j in range(i + 1, n):
            block = np.abs(corr[i * d:(i + 1) * d, j * d:(j + 1) * d])
            findings.append((float(block.max()) * math.sqrt(N) / 6,
                             f"keys {i} and {j} are correlated ({float(block.max()):.2f}); each key is "
                             "drawn on its own"))
    return max(findings)[1]


# ----- queries ----------------------------------------------------------------------------------
def weights_text(w, a, b):
    others = float(np.sum(np.delete(w, [a, b])))
    return f"key a: {w[a]:.3f}, key b: {w[b]:.3f}, the others: {others:.3f} together"


def check_average_query(q, s, K_draws, call):
    """Attention with the submission's query on keys drawn here: c about (v_a + v_b)/2."""
    mu, a, b, V = s["mu"], s["a"], s["b"], s["V"]
    q = arrays.check_shape(q, (mu.shape[1],), call, "q")
    target = np.zeros(len(mu))
    target[[a, b]] = 0.5
    worst, worst_w, worst_K = -1.0, None, None
    for K in K_draws:
        c, w = attend(q, K, V)
        off = float(np.linalg.norm(c - target @ V)) / s["scale"]
        if not np.isfinite(off):
            off = np.inf
        if off > worst:
            worst, worst_w, worst_K = off, w, K
    if worst <= WEIGHT_TOL:
        return worst
    scores = worst_K @ q
    rest = np.delete(scores, [a, b])
    if not np.all(np.isfinite(q)):
        hint = "your query contains NaN or infinite values"
    elif max(scores[a], scores[b]) - (rest.max() if len(rest) else -np.inf) < 10:
        hint = (f"the scores k.q of keys a and b ({scores[a]:.3g}, {scores[b]:.3g}) barely stand out from the "
                f"others' (up to {rest.max():.3g}): they must exceed them by far more than 1, so scale the "
                f"query by t (= {s['t']:g}), not 1/t")
    else:
        hint = (f"the scores k.q of keys a and b differ ({scores[a]:.3g} against {scores[b]:.3g}): give both "
                "keys' means the same score")
    raise AssertionError(
        f"{call}: on keys drawn around the means (alpha = {s['alpha']:.3g}), attention with your query put "
        f"weights {np.round(worst_w, 3).tolist()} on the keys ({weights_text(worst_w, a, b)}); wanted about "
        f"0.5 on keys a and b and almost none on the others, so that c is (v_a + v_b)/2 (the output was off by "
        f"{worst:.3f} |v|, tolerance {WEIGHT_TOL}): {hint}")


def stretch(K_draws, mu, a):
    """How far key a reaches along mu_a (1 for the mean itself), per draw."""
    return K_draws[:, a] @ mu[a] / float(mu[a] @ mu[a])


def two_head_outputs(q1, q2, K_draws, V):
    """The averaged two-head weights, per draw (count, n)."""
    w1 = softmax(K_draws @ q1)
    w2 = softmax(K_draws @ q2)
    return (w1 + w2) / 2


def single_query_swing(s, K_draws):
    """The weight the single query t(mu_a + mu_b) puts on key a in each draw (computed here)."""
    q = s["t"] * (s["mu"][s["a"]] + s["mu"][s["b"]])
    return softmax(K_draws @ q)[:, s["a"]]


KEEP = 0.5   # draws where key a reaches at least half its mean's length along mu_a


def check_two_heads(got, s, K_draws, call):
    """The submission's (q1, q2): on draws with key a perturbed (and stretched by at least
    KEEP along mu_a), the two heads' averaged output stays near (v_a + v_b)/2. Returns
    (kept draws, worst deviation)."""
    mu, a, b, V = s["mu"], s["a"], s["b"], s["V"]
    q1, q2 = shaped(got, [(mu.shape[1],)] * 2, call, ("q1", "q2"))
    kept = K_draws[stretch(K_draws, mu, a) >= KEEP]
    target = np.zeros(len(mu))
    target[[a, b]] = 0.5
    w = two_head_outputs(q1, q2, kept, V)
    offs = np.linalg.norm((w - target) @ V, axis=1) / s["scale"]
    offs = np.where(np.isfinite(offs), offs, np.inf)
    i = int(np.argmax(offs))
    if offs[i] <= WEIGHT_TOL:
        return len(kept), float(offs[i])
    lam = float(stretch(kept[i:i + 1], mu, a)[0])
    if np.allclose(q1, q2):
        hint = ("your two queries are the same, so the average is one head's output, which swings with key a's "
                "length: let each head attend to one of the two keys")
    else:
        hint = ("each head should put almost all its weight on one key whatever key a's length (head 1 on key "
                "a, head 2 on key b): scores of that key far above the others'")
    raise AssertionError(
        f"{call}: with key a perturbed (drawn from N(mu_a, alpha I + 1/2 mu_a mu_a^T), alpha = "
        f"{s['alpha']:.3g}) and stretched to {lam:.2f} times mu_a, the two heads' averaged weights were "
        f"{np.round(w[i], 3).tolist()} ({weights_text(w[i], a, b)}); wanted about 0.5 on keys a and b "
        f"(output off by {offs[i]:.3f} |v|, tolerance {WEIGHT_TOL}; {len(kept)} draws checked): {hint}")


# ----- kqv_construction --------------------------------------------------------------------
def kqv_setting(rng):
    d = int(rng.integers(4, 11))
    beta = float(np.round(rng.uniform(4, 12), 2))
    basis = orthonormal_rows(rng, 4, d)
    return {"d": d, "beta": beta, "u": beta * basis}


def check_kqv(got, u, call):
    """K, Q, V of the submission: c2 about u_b and c1 about u_b - u_c on x1 = u_d + u_b,
    x2 = u_a, x3 = u_c + u_b, attention computed here."""
    u_a, u_b, u_c, u_d = u
    d, beta = len(u_a), float(np.linalg.norm(u_a))
    K, Q, V = shaped(got, [(d, d)] * 3, call, ("K", "Q", "V"))
    X = np.stack([u_d + u_b, u_a, u_c + u_b])
    keys, queries, values = X @ K.T, X @ Q.T, X @ V.T
    names = ("x1 = u_d + u_b", "x2 = u_a", "x3 = u_c + u_b")
    for i, want, want_text in ((0, u_b - u_c, "u_b - u_c"), (1, u_b, "u_b")):
        c, w = attend(queries[i], keys, values)
        off = float(np.linalg.norm(c - want)) / beta
        if not off <= KQV_TOL:
            picks = {0: 2, 1: 0}[i]
            if np.argmax(w) != picks or w[picks] < 0.99:
                hint = (f"the query of x{i + 1} (Q x{i + 1}) should pick {names[picks]}'s key out: its weights were "
                        f"{np.round(w, 3).tolist()} on the three inputs")
            else:
                hint = (f"the weights were right ({np.round(w, 3).tolist()}), so the value of {names[picks]} "
                        f"(V x{picks + 1}) is wrong: it should be {want_text}")
            raise AssertionError(
                f"{call}: c{i + 1} (the output of {names[i]}) is {describe_vector(c, u)}, wanted {want_text} "
                f"(off by {off:.3g} beta, tolerance {KQV_TOL} beta); k_i = K x_i, q_i = Q x_i, v_i = V x_i: {hint}")


def describe_vector(c, u):
    """c in the basis u_a..u_d (beta units), plus what lies outside it."""
    beta2 = float(u[0] @ u[0])
    coef = [float(c @ v) / beta2 for v in u]
    outside = float(np.linalg.norm(c - np.array(coef) @ u)) / math.sqrt(beta2)
    parts = [f"{x:+.3f} {name}" for x, name in zip(coef, ("u_a", "u_b", "u_c", "u_d")) if abs(x) > 5e-4]
    text = " ".join(parts) if parts else "0"
    return text + (f" (and {outside:.3f} beta outside their span)" if outside > 5e-4 else "")
