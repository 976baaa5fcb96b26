"""Hidden checks for attention_math.py (Part 1): attention against the reference on random
draws (large scores among them), sample_keys' means and covariances over many draws
(unperturbed, then with one key perturbed), and the queries and the K/Q/V construction
judged by attention the grader computes itself on keys it samples itself. Sizes, means,
alpha, t and the indices a and b are drawn each run; checks_a5_math.py derives the bounds
and states their false-failure probability.
"""
import numpy as np

from autograder.checks import arrays
from autograder.checks.arrays import call_text
from autograder.harness import SubmissionTestCase, graded
from checks_a5_math import (check_average_query, check_keys, check_kqv, check_two_heads, draw_keys, key_setting,
                            kqv_setting, query_setting, single_query_swing)
from probes_a5_math import drawn_keys

AM = "attention_math"
DRAWS = 8000           # calls of sample_keys per check
QUERY_DRAWS = 200      # key draws per query setting
TWO_HEAD_DRAWS = 400


def mu_text(mu):
    n, d = np.shape(mu)
    return f"mu ({n} orthonormal means in R^{d})"


class TestAttentionMathHidden(SubmissionTestCase):
    longMessage = False

    # ----- 2.1 ------------------------------------------------------------------------
    @graded("2.1")
    def test_attention_matches_reference(self):
        """attention equals the reference's on random draws, scores up to +-1000 among them"""
        rng = self.rng
        for scale, shift in ((1.0, 0.0), (1.0, 0.0), (30.0, 0.0), (3.0, 1000.0), (3.0, -1000.0)):
            n, d, dv = int(rng.integers(1, 9)), int(rng.integers(1, 7)), int(rng.integers(1, 6))
            q = rng.standard_normal(d)
            # every score moved by `shift`: exp overflows (+1000) or underflows to 0 (-1000)
            # unless the largest score is subtracted first
            K = scale * rng.standard_normal((n, d)) + shift * q / float(q @ q)
            V = rng.standard_normal((n, dv))
            call = call_text("attention", q, K, V)
            want = self.reference_call(AM, "attention", q, K, V)
            got = self.student.call(AM, "attention", q, K, V)
            arrays.check_results(got, want, call, ("c", "weights"), rtol=1e-6, atol=1e-9)

    # ----- 2.2, 2.3 -------------------------------------------------------------------
    def check_sample_keys(self, perturbed_at):
        mu, alpha = key_setting(self.rng)
        perturbed = None if perturbed_at is None else int(self.rng.integers(len(mu)))
        call = f"sample_keys(mu={np.round(mu, 3).tolist()}, alpha={alpha:g}, rng, perturbed={perturbed})"
        seed = int(self.rng.integers(2**32))
        samples = self.student.probe(drawn_keys, mu, alpha, seed, perturbed, DRAWS, what=call)
        self.note(f"{call}: {check_keys(samples, mu, alpha, perturbed, call, DRAWS)}")

    @graded("2.2")
    def test_sample_keys_unperturbed(self):
        """sample_keys without a perturbed key: each key's mean mu_i and covariance alpha I, keys
        independent, over many draws"""
        self.check_sample_keys(None)

    @graded("2.3")
    def test_sample_keys_perturbed(self):
        """sample_keys with key a perturbed: its covariance alpha I + 1/2 mu_a mu_a^T, the other keys
        untouched"""
        self.check_sample_keys("random")

    # ----- 2.4 ------------------------------------------------------------------------
    @graded("2.4")
    def test_average_query_on_sampled_keys(self):
        """average_query: on keys the grader samples around orthonormal means (tiny alpha),
        attention with the query gives c about (v_a + v_b)/2"""
        for n in (3, None):
            s = query_setting(self.rng, n)
            call = f"average_query({mu_text(s['mu'])}, a={s['a']}, b={s['b']}, t={s['t']:g})"
            q = self.student.call(AM, "average_query", s["mu"], s["a"], s["b"], s["t"])
            worst = check_average_query(q, s, draw_keys(self.rng, s["mu"], s["alpha"], count=QUERY_DRAWS), call)
            self.note(f"{call}: within {worst:.4f} of (v_a + v_b)/2 on {QUERY_DRAWS} key draws")

    # ----- 2.5 ------------------------------------------------------------------------
    @graded("2.5")
    def test_two_head_queries_with_perturbed_key(self):
        """two_head_queries: with key a perturbed, the two heads' averaged output stays near
        (v_a + v_b)/2, while the single query's weight on v_a swings from draw to draw"""
        for n in (3, None):
            s = query_setting(self.rng, n)
            call = f"two_head_queries({mu_text(s['mu'])}, a={s['a']}, b={s['b']}, t={s['t']:g})"
            got = self.student.call(AM, "two_head_queries", s["mu"], s["a"], s["b"], s["t"])
            K_draws = draw_keys(self.rng, s["mu"], s["alpha"], perturbed=s["a"], count=TWO_HEAD_DRAWS)
            kept, worst = check_two_heads(got, s, K_draws, call)
            swing = single_query_swing(s, K_draws)
            self.note(f"{call}: on the {kept} of {TWO_HEAD_DRAWS} draws where key a kept at least half its length "
                      f"along mu_a, your two heads' average stayed within {worst:.4f} of (v_a + v_b)/2; over all "
                      f"{TWO_HEAD_DRAWS} draws the single query t(mu_a + mu_b) put {swing.min():.2f} to {swing.max():.2f} of its "
                      f"weight on v_a (standard deviation {swing.std():.2f})")

    # ----- 2.6 ------------------------------------------------------------------------
    @graded("2.6")
    def test_kqv_construction_random_basis(self):
        """kqv_construction: on orthogonal vectors of a random basis in a random dimension (large beta),
        attention computed by the grader gives c1 about u_b - u_c and c2 about u_b"""
        for _ in range(3):
            s = kqv_setting(self.rng)
            got = self.student.call(AM, "kqv_construction", *s["u"])
            check_kqv(got, s["u"], f"kqv_construction(4 orthogonal vectors in R^{s['d']} of norm "
                                   f"beta = {s['beta']:g})")
