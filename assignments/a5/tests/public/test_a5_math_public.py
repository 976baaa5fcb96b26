"""Public checks for attention_math.py (Part 1), each on a worked example you can follow by
hand and on a fresh variation drawn each run (random sizes, means, indices, t, alpha, keys),
so that an answer written for the worked example scores nothing.

Your functions only return keys, queries or matrices (and, for attention, its output):
the checks sample keys and compute attention themselves (checks_a5_math.py), so whether
your query works never depends on your own attention. NLPGRADE_SEED=<seed> replays a
run's variations.

Run them with `python -m autograder check` in your assignment folder.
"""
import numpy as np

from autograder.checks import arrays
from autograder.checks.arrays import call_text
from autograder.harness import SubmissionTestCase, graded
from checks_a5_math import (attend, check_average_query, check_keys, check_kqv, check_two_heads, draw_keys,
                            key_setting, kqv_setting, query_setting, single_query_swing)
from probes_a5_math import drawn_keys

AM = "attention_math"
PUBLIC_DRAWS = 4000


def call_attention(case, student, call):
    got = student.call(AM, "attention", *case)
    return arrays.items(got, call, ("c", "weights"))


def mu_text(mu):
    n, d = np.shape(mu)
    return f"mu ({n} means in R^{d})"


class TestAttentionMathPublic(SubmissionTestCase):
    longMessage = False

    def check_attention(self, q, K, V, c, w, hint=""):
        call = call_text("attention", q, K, V)
        got = call_attention((q, K, V), self.student, call)
        try:
            self.assertClose(got[1], w, call, name="weights", rtol=1e-6, atol=1e-9)
            self.assertClose(got[0], c, call, name="c", rtol=1e-6, atol=1e-9)
        except AssertionError as exc:
            raise AssertionError(f"{exc}{hint}") from None

    # ----- 1.1 ------------------------------------------------------------------------
    @graded("1.1")
    def test_attention(self):
        """attention: scores 0, ln 2, ln 3 give weights 1/6, 1/3, 1/2; scores of 1000 stay finite;
        and a random draw"""
        K = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
        q = np.array([np.log(2), np.log(3)])
        V = np.array([[6.0, 0.0], [0.0, 6.0], [6.0, 6.0]])
        self.check_attention(q, K, V, np.array([4.0, 5.0]), np.array([1, 2, 3]) / 6,
                             ": weights = softmax(K @ q) over the keys (rows of K), and c is weights @ V")
        K = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
        q = np.array([1000.0, 0.0])
        V = np.array([[2.0, 0.0], [0.0, 2.0], [5.0, 5.0]])
        self.check_attention(q, K, V, np.array([1.0, 1.0]), np.array([0.5, 0.5, 0.0]),
                             ": the scores are 1000, 1000, 0 and exp(1000) overflows: subtract the largest score "
                             "before exp (softmax does not change)")
        rng = self.rng
        n, d, dv = (int(x) for x in rng.integers(2, 8, size=3))
        scale = float(rng.choice([1.0, 30.0]))
        q, K, V = scale * rng.standard_normal(d), scale * rng.standard_normal((n, d)), rng.standard_normal((n, dv))
        c, w = attend(q, K, V)
        self.check_attention(q, K, V, c, w)

    # ----- 1.2 ------------------------------------------------------------------------
    def check_sample_keys(self, mu, alpha, perturbed, draws):
        call = (f"sample_keys(mu={np.round(mu, 3).tolist()}, alpha={alpha:g}, rng, "
                f"perturbed={perturbed})")
        seed = int(self.rng.integers(2**32))
        samples = self.student.probe(drawn_keys, mu, alpha, seed, perturbed, draws, what=call)
        return f"{call}: {check_keys(samples, mu, alpha, perturbed, call, draws)}"

    @graded("1.2")
    def test_sample_keys(self):
        """sample_keys: means and covariances of many draws (key 0 perturbed, mu = 2 I); and random
        means, alpha and perturbed key"""
        self.note(self.check_sample_keys(2 * np.eye(3), 0.1, 0, PUBLIC_DRAWS))
        mu, alpha = key_setting(self.rng)
        self.note(self.check_sample_keys(mu, alpha, int(self.rng.integers(len(mu))), PUBLIC_DRAWS))

    # ----- 1.3 ------------------------------------------------------------------------
    @graded("1.3")
    def test_average_query(self):
        """average_query: keys at the means e_1, e_2, e_3, a = 0, b = 2, t = 20 give weights about
        (1/2, 0, 1/2); and random orthonormal means, a, b, t, with keys drawn around them"""
        s = {"mu": np.eye(3), "a": 0, "b": 2, "t": 20.0, "V": np.eye(3), "scale": 1.0, "alpha": 0.0}
        call = "average_query(mu=I (3 x 3), a=0, b=2, t=20)"
        q = self.student.call(AM, "average_query", s["mu"], 0, 2, 20.0)
        check_average_query(q, s, [s["mu"]], call)
        s = query_setting(self.rng)
        call = f"average_query({mu_text(s['mu'])}, a={s['a']}, b={s['b']}, t={s['t']:g})"
        q = self.student.call(AM, "average_query", s["mu"], s["a"], s["b"], s["t"])
        check_average_query(q, s, draw_keys(self.rng, s["mu"], s["alpha"], count=50), call)

    # ----- 1.4 ------------------------------------------------------------------------
    @graded("1.4")
    def test_two_head_queries(self):
        """two_head_queries: means e_1, e_2, e_3, a = 0, b = 1, t = 20, key a stretched to 0.6, 1 and
        1.8 times e_1: averaged weights about (1/2, 1/2, 0); and random means with key a perturbed"""
        s = {"mu": np.eye(3), "a": 0, "b": 1, "t": 20.0, "V": np.eye(3), "scale": 1.0, "alpha": 0.0}
        call = "two_head_queries(mu=I (3 x 3), a=0, b=1, t=20)"
        got = self.student.call(AM, "two_head_queries", s["mu"], 0, 1, 20.0)
        K_draws = np.repeat(np.eye(3)[None], 3, axis=0)
        K_draws[:, 0, 0] = [0.6, 1.0, 1.8]
        check_two_heads(got, s, K_draws, call)
        s = query_setting(self.rng)
        call = f"two_head_queries({mu_text(s['mu'])}, a={s['a']}, b={s['b']}, t={s['t']:g})"
        got = self.student.call(AM, "two_head_queries", s["mu"], s["a"], s["b"], s["t"])
        K_draws = draw_keys(self.rng, s["mu"], s["alpha"], perturbed=s["a"], count=100)
        kept, worst = check_two_heads(got, s, K_draws, call)
        swing = single_query_swing(s, K_draws)
        self.note(f"{call}: on the {kept} of 100 draws with key a perturbed where it kept at least half its "
                  f"length along mu_a, your two heads' average stayed within {worst:.4f} of (v_a + v_b)/2; over "
                  f"all 100 draws the single query t(mu_a + mu_b) put between {swing.min():.2f} and "
                  f"{swing.max():.2f} of its weight on v_a")

    # ----- 1.5 ------------------------------------------------------------------------
    @graded("1.5")
    def test_kqv_construction(self):
        """kqv_construction: u_a..u_d = 5 e_1..5 e_4 (beta = 5) give c2 about u_b and c1 about
        u_b - u_c; and a random orthogonal set in a random dimension"""
        u = 5 * np.eye(4)
        got = self.student.call(AM, "kqv_construction", *u)
        check_kqv(got, u, "kqv_construction(u_a=5 e_1, u_b=5 e_2, u_c=5 e_3, u_d=5 e_4)")
        s = kqv_setting(self.rng)
        got = self.student.call(AM, "kqv_construction", *s["u"])
        check_kqv(got, s["u"], f"kqv_construction(4 orthogonal vectors in R^{s['d']} of norm beta = {s['beta']:g})")
