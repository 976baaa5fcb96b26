"""The reference attention_math.py has the properties the handout derives, and the grader's
statistical bounds for sample_keys are calibrated (fixed seeds: nothing here is flaky)."""
import importlib.util
import os
import subprocess
import sys

import numpy as np
from autograder.config import ROOT
from autograder.templates import render

HERE = os.path.join(ROOT, "solutions", "a5")
sys.path.insert(0, os.path.join(ROOT, "assignments", "a5", "tests", "public"))
import checks_a5_math as checks  # noqa: E402


def load_reference():
    spec = importlib.util.spec_from_file_location("a5_reference_attention_math", os.path.join(HERE, "attention_math.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


am = load_reference()


def test_attention_is_softmax_of_scores():
    rng = np.random.default_rng(1)
    q, K, V = rng.standard_normal(4), rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    c, w = am.attention(q, K, V)
    e = np.exp(K @ q)
    np.testing.assert_allclose(w, e / e.sum(), rtol=1e-12)
    np.testing.assert_allclose(c, (e / e.sum()) @ V, rtol=1e-12)
    # shift invariance and large scores: finite, and the same weights
    for shift in (1000.0, -1000.0):
        c2, w2 = am.attention(q, K + shift * q / (q @ q), V)
        assert np.all(np.isfinite(w2)) and np.all(np.isfinite(c2))
        np.testing.assert_allclose(w2, w, rtol=1e-9)


def test_sample_keys_moments():
    rng = np.random.default_rng(2)
    mu = np.array([[2.0, 0.0, 1.0], [0.0, -1.5, 0.5], [1.0, 1.0, 1.0]])
    alpha = 0.2
    S = np.stack([am.sample_keys(mu, alpha, rng, perturbed=1) for _ in range(20000)])
    np.testing.assert_allclose(S.mean(axis=0), mu, atol=0.03)
    for i in range(3):
        want = alpha * np.eye(3) + (0.5 * np.outer(mu[i], mu[i]) if i == 1 else 0)
        np.testing.assert_allclose(np.cov(S[:, i].T), want, atol=0.04)
    np.testing.assert_allclose(np.cov(S[:, 0].T, S[:, 2].T)[:3, 3:], 0, atol=0.02)   # independent keys
    K = am.sample_keys(mu, alpha, np.random.default_rng(3))
    assert K.shape == mu.shape
    np.testing.assert_array_equal(am.sample_keys(mu, alpha, np.random.default_rng(3)), K)  # all from rng


def test_sample_keys_bounds_are_calibrated():
    """At a loose delta the bounds fail about as often as they say, no more (the grader's
    delta, 2e-8, is the same formula)."""
    rng = np.random.default_rng(4)
    delta, trials, N = 0.05, 300, 400
    fails_mean = fails_cov = 0
    for _ in range(trials):
        mu, alpha = checks.key_setting(rng)
        a = int(rng.integers(len(mu)))
        S = checks.draw_keys(rng, mu, alpha, perturbed=a, count=N)
        n, d = mu.shape
        L_inv = np.linalg.inv(np.linalg.cholesky(checks.key_covariances(mu, alpha, a)))
        W = np.einsum("nij,Nnj->Nni", L_inv, S - mu).reshape(N, n * d)
        mean_bound, (low, high) = checks.key_bounds(N, n * d, delta)
        fails_mean += N * np.sum(W.mean(axis=0) ** 2) > mean_bound
        eig = np.linalg.eigvalsh(W.T @ W / N)
        fails_cov += not (low <= eig[0] and eig[-1] <= high)
    assert fails_mean <= 2 * delta * trials and fails_cov <= 2 * delta * trials, (fails_mean, fails_cov)
    # and the grader's own bounds at its sample sizes
    for N, p in ((4000, 30), (8000, 30)):
        _, (low, high) = checks.key_bounds(N, p)
        assert high < 1.74 / 1.1 and low > 0.25 * 1.5, (N, low, high)


def orthonormal(rng, n, d):
    return checks.orthonormal_rows(rng, n, d)


def test_average_query_attends_to_a_and_b():
    rng = np.random.default_rng(5)
    mu = orthonormal(rng, 5, 7)
    q = am.average_query(mu, 1, 3, 25.0)
    w = checks.softmax(mu @ q)
    np.testing.assert_allclose(w[[1, 3]], 0.5, atol=1e-9)


def test_single_query_swings_two_heads_do_not():
    rng = np.random.default_rng(6)
    s = checks.query_setting(rng, 4)
    K = checks.draw_keys(rng, s["mu"], s["alpha"], perturbed=s["a"], count=400)
    swing = checks.single_query_swing(s, K)
    assert np.mean((swing < 0.1) | (swing > 0.9)) > 0.6        # most draws: nearly all or nothing on v_a
    q1, q2 = am.two_head_queries(s["mu"], s["a"], s["b"], s["t"])
    kept, worst = checks.check_two_heads((q1, q2), s, K, "two_head_queries")
    assert kept > 250 and worst < 1e-3


def test_kqv_construction_gives_the_outputs():
    rng = np.random.default_rng(7)
    for d, beta in ((4, 4.0), (9, 12.0)):
        u = beta * orthonormal(rng, 4, d)
        K, Q, V = am.kqv_construction(*u)
        np.testing.assert_allclose(K, np.eye(d))
        X = np.stack([u[3] + u[1], u[0], u[2] + u[1]])
        c1, _ = checks.attend(Q @ X[0], X @ K.T, X @ V.T)
        c2, _ = checks.attend(Q @ X[1], X @ K.T, X @ V.T)
        np.testing.assert_allclose(c1, u[1] - u[2], atol=1e-5 * beta)
        np.testing.assert_allclose(c2, u[1], atol=1e-5 * beta)


def test_template_is_generated():
    files = render(HERE)
    for name in ("attention_math.py", "plot_attention.py"):
        with open(os.path.join(ROOT, "student_template", "a5", name), "rb") as f:
            assert f.read() == files[name], f"student_template/a5/{name} is stale: make templates"
    assert b"raise NotImplementedError" in files["attention_math.py"]


def test_plot_attention_writes_a_png(tmp_path):
    out = tmp_path / "weights.png"
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, "plot_attention.py", "--samples", "60", "--out", str(out)],
                          cwd=HERE, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "one head: weight on v_a from" in proc.stdout
