"""Hidden checks for a2: fresh random inputs against the reference, gradient checks of
the student's own functions, and timing against the reference.

A gradient check (or any other property check) of a function counts only when the
function's own values match the reference's on the same inputs: a constant function
agrees with its own flat losses, so a stub would otherwise pass it.

The expected values are computed by the reference in the grader's run; they never
enter the student's sandbox.
"""
import numpy as np

from autograder.checks import arrays, gradients, timing
from autograder.checks.arrays import call_text, items
from autograder.harness import SubmissionTestCase, graded
from probes_a2 import (HELPERS, loss_pair, loss_pair_losses, loss_timing, sgd_observed,
                       sgd_quadratic, skipgram_run, wrapper_losses)

NAMES = ("loss", "gradCenterVec", "gradOutsideVecs")
SKIPGRAM_NAMES = ("loss", "gradCenterVecs", "gradOutsideVectors")
NAIVE, NEG = "naiveSoftmaxLossAndGradient", "negSamplingLossAndGradient"
VALUES_FIRST = ("A gradient check counts only when the function's values match the reference's "
                "on the same inputs (the loss at the input and at the points of the check).")


def values_first(check, *args, **kwargs):
    """Run a comparison with the reference; its failure says why it comes first."""
    try:
        check(*args, **kwargs)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{VALUES_FIRST}") from None


def pair_inputs(rng, V, d, scale=1.0):
    return rng.standard_normal(d), int(rng.integers(V)), rng.standard_normal((V, d)) * scale


ANNEAL_EVERY = 20000


def sgd_advice(calls, seen, want_calls, want_seen, step, scale, shift, drift, postprocessing):
    """What a wrong x of sgd_observed points to, read from the calls of f and the inputs
    of f the student's process reports (claims: they only choose the advice, never the
    score) against the reference's; '' when they say nothing useful."""
    if type(calls) is not int or not isinstance(seen, dict):
        return ""
    if calls != want_calls:
        return (f"sgd called f {calls} times for iterations={want_calls}: one call per iteration, "
                "for iter in range(start_iter + 1, iterations + 1)")
    for k in sorted(want_seen):
        want = np.asarray(want_seen[k], dtype=float)
        try:
            got = np.asarray(seen.get(k), dtype=float)
        except (TypeError, ValueError):
            return ""
        if got.shape == want.shape and np.allclose(got, want, rtol=1e-5, atol=1e-7):
            continue
        if k == 0:
            return (f"The first call of f received {np.round(got, 6).tolist()}, not x0: call f on x as it is; "
                    "postprocessing comes after the update (x = postprocessing(x) ends each iteration).")
        if postprocessing:
            return (f"Call {k + 1} of f received {np.round(got, 6).tolist()}, expected {np.round(want, 6).tolist()}, "
                    f"the x of iteration {k} after its update and then postprocessing: apply "
                    "x = postprocessing(x) after every update, and go on from the x it returns.")
        before = seen.get(k - 1)
        try:
            grad = 2 * scale * (np.asarray(before, dtype=float) - shift) * (1 + drift * (k - 1))
            taken = float(np.median((np.asarray(before, dtype=float) - got) / grad))
        except (TypeError, ValueError):
            return ""
        wanted = step * 0.5 ** ((k - 1) // ANNEAL_EVERY)
        return (f"Iteration {k} moved x by {taken:.6g} times the gradient, expected {wanted:.6g}: the step "
                f"starts at step={step:.6g} and halves after every {ANNEAL_EVERY} iterations "
                f"(step *= 0.5 when iter % ANNEAL_EVERY == 0, after that iteration's update).")
    return ("f was called on the right points, but the x returned is not the last one: return x "
            "after the loop, as the last iteration's postprocessing left it (not x0 or a copy made before).")


class TestWord2vecHidden(SubmissionTestCase):
    def pair_call(self, name, center, o, U, seed, K=None):
        extra = {} if K is None else {"K": K}
        return call_text(name, centerWordVec=center, outsideWordIdx=o, outsideVectors=U, **extra) \
            + f" with random.seed({seed})"

    def compare_pair(self, name, V, d, scale=1.0, K=None, offset=0.0):
        center, o, U = pair_inputs(self.rng, V, d, scale)
        if offset:
            # Every score U @ center grows by `offset`: exp() of the raw scores overflows,
            # while their spread stays small, so softmax(scores)[o] is not rounded to 0.
            U = U + offset * center / np.dot(center, center)
        seed = int(self.rng.integers(10**6))
        what = self.pair_call(name, center, o, U, seed, K)
        self.assertMatchesReference(loss_pair, name, center, o, U, seed, K=K, what=what,
                                    names=NAMES, helpers=HELPERS)

    def gradient_check_pair(self, name, K=None):
        center, o, U = pair_inputs(self.rng, 6, 4)
        seed = int(self.rng.integers(10**6))
        what = self.pair_call(name, center, o, U, seed, K)
        got = self.student.probe(loss_pair, name, center, o, U, seed, K=K, helpers=HELPERS, what=what)
        want = self.reference_probe(loss_pair, name, center, o, U, seed, K=K, helpers=HELPERS)
        loss, grad_center, grad_outside = arrays.items(got, what, NAMES)
        values_first(arrays.check_close, loss, want[0], what, name="the loss")
        for which, x, analytic in (("center", center, grad_center), ("outside", U, grad_outside)):
            grad_name = f"grad{'CenterVec' if which == 'center' else 'OutsideVecs'}"
            points = gradients.perturbed_points(x)
            args = (loss_pair_losses, name, which, points, center, o, U, seed)
            losses = self.student.probe(*args, K=K, helpers=HELPERS, what=what)
            values_first(arrays.check_close, losses, self.reference_probe(*args, K=K, helpers=HELPERS),
                         f"{what}, with {'centerWordVec' if which == 'center' else 'outsideVectors'} "
                         f"moved by +-{gradients.H:g} along each axis in turn",
                         name="the loss at each point")
            gradients.check_gradient(gradients.numerical_gradient(losses, x),
                                     arrays.as_array(analytic, what, grad_name), what, name=grad_name)

    @graded("4.1")
    def test_sigmoid_random(self):
        """sigmoid: random inputs of several shapes, and extreme values"""
        for x in (self.rng.standard_normal(7), self.rng.standard_normal((4, 5)) * 10,
                  np.array([-700.0, -40.0, 0.0, 40.0, 700.0]), float(self.rng.standard_normal())):
            want = self.reference_call("word2vec", "sigmoid", x)
            got = self.student.call("word2vec", "sigmoid", x)
            self.assertClose(got, want, call_text("sigmoid", x))

    @graded("4.2")
    def test_naive_softmax_random(self):
        """naiveSoftmaxLossAndGradient: random inputs against the reference"""
        for V, d in ((5, 3), (17, 8), (30, 10)):
            self.compare_pair(NAIVE, V, d)

    @graded("4.3")
    def test_naive_softmax_large_scores(self):
        """naiveSoftmaxLossAndGradient: large scores must not overflow"""
        self.compare_pair(NAIVE, 12, 10, offset=1000.0)

    @graded("4.4")
    def test_naive_softmax_gradcheck(self):
        """naiveSoftmaxLossAndGradient: gradient check of your own function"""
        self.gradient_check_pair(NAIVE)

    @graded("4.5")
    def test_neg_sampling_random(self):
        """negSamplingLossAndGradient: random inputs (with repeated samples) against the reference"""
        for V, d, K in ((6, 3, 10), (9, 5, 15), (40, 8, 10)):
            self.compare_pair(NEG, V, d, K=K)

    @graded("4.6")
    def test_neg_sampling_gradcheck(self):
        """negSamplingLossAndGradient: gradient check of your own function"""
        self.gradient_check_pair(NEG, K=8)

    def compare_skipgram(self, loss_name):
        for V, d, window in ((5, 3, 1), (8, 4, 3)):
            C, U = self.rng.standard_normal((V, d)), self.rng.standard_normal((V, d))
            words = [f"w{i}" for i in range(V)]
            center = words[int(self.rng.integers(V))]
            context = [words[i] for i in self.rng.integers(V, size=2 * window)]
            seed = int(self.rng.integers(10**6))
            what = call_text("skipgram", center, window, context, centerWordVectors=C,
                             outsideVectors=U, word2vecLossAndGradient=loss_name) + f" with random.seed({seed})"
            self.assertMatchesReference(skipgram_run, loss_name, center, window, context, C, U, seed,
                                        what=what, names=SKIPGRAM_NAMES, helpers=HELPERS)

    @graded("4.7")
    def test_skipgram_naive_random(self):
        """skipgram with naive softmax: random inputs against the reference"""
        self.compare_skipgram(NAIVE)

    @graded("4.8")
    def test_skipgram_neg_random(self):
        """skipgram with negative sampling: random inputs against the reference"""
        self.compare_skipgram(NEG)

    @graded("4.9")
    def test_skipgram_gradcheck(self):
        """skipgram with negative sampling: gradient check through word2vec_sgd_wrapper"""
        x = self.rng.standard_normal((10, 3))
        seed = int(self.rng.integers(10**6))
        what = (f"word2vec_sgd_wrapper(skipgram, ..., wordVectors of shape {x.shape}, windowSize=3, "
                f"negSamplingLossAndGradient) with random.seed({seed})")
        points = np.concatenate([x[None], gradients.perturbed_points(x)])
        got = self.student.probe(wrapper_losses, NEG, points, seed, helpers=HELPERS, what=what)
        losses, analytic = arrays.items(got, what, ("losses", "grad"))
        losses = arrays.check_shape(losses, (len(points),), what, name="the losses")
        # The reference recomputes the loss at wordVectors and at 8 of the 60 moved points,
        # drawn after the student computed them all: a fake gradient needs wrong losses at
        # most points, so the sample catches it at a seventh of the cost.
        picked = np.concatenate([[0], 1 + np.sort(self.rng.choice(len(points) - 1, 8, replace=False))])
        want_losses, _ = self.reference_probe(wrapper_losses, NEG, points[picked], seed, helpers=HELPERS)
        values_first(arrays.check_close, losses[picked], want_losses,
                     f"{what}, at wordVectors and with entries moved by +-{gradients.H:g}",
                     name=f"the loss at points {picked.tolist()} of {len(points)}")
        gradients.check_gradient(gradients.numerical_gradient(losses[1:], x),
                                 arrays.as_array(analytic, what, "grad"), what, name="grad")

    @graded("4.10")
    def test_sgd_random(self):
        """sgd: random quadratics against the reference"""
        for _ in range(2):
            x0, iterations = self.rng.standard_normal(5), int(self.rng.integers(5, 30))
            scale, shift = self.rng.uniform(0.5, 2.0, 5), self.rng.standard_normal(5)
            # the k-th call of f returns the gradient times (1 + drift k): x itself shows how
            # often and in which order sgd called f (the count in the reply is only a claim).
            # Steps small enough that x stays well away from the minimum, where every sgd meets
            # (x - shift shrinks by at most about e^-2 in all).
            step = float(self.rng.uniform(0.3, 1.0)) / (2 * scale.max() * iterations)
            drift = float(self.rng.uniform(0.2, 1.0)) / iterations
            what = (f"sgd(f=<quadratic>, x0={np.round(x0, 4).tolist()}, step={step:.4f}, "
                    f"iterations={iterations}), where the k-th call of f (k = 0, 1, ...) returns "
                    f"its gradient times (1 + {drift:.4f} k): call f once per iteration")
            self.assertMatchesReference(sgd_quadratic, x0, step, iterations, scale, shift, drift,
                                        what=what, names=("x", "calls of f"))

    @graded("4.13")
    def test_sgd_documented_behaviour(self):
        """sgd: postprocessing after each update, the x returned, the step halved every
        20000 iterations (ANNEAL_EVERY)"""
        d = 5
        x0, iterations = self.rng.standard_normal(d), int(self.rng.integers(6, 15))
        scale, shift = self.rng.uniform(0.5, 2.0, d), self.rng.standard_normal(d)
        step = float(self.rng.uniform(0.3, 1.0)) / (2 * scale.max() * iterations)
        drift = float(self.rng.uniform(0.2, 1.0)) / iterations
        perm = self.rng.permutation(d)
        while (perm == np.arange(d)).any():  # every entry moves, so no update commutes with it
            perm = self.rng.permutation(d)
        offset = self.rng.normal(0, 0.3, d)
        # postprocessing returns a new array and is neither idempotent nor commuting with the
        # updates: applied before the update, once at the end, or not at all, x differs; and
        # an sgd that returns x0 returns the array the first update changed in place
        what = (f"sgd(f=<quadratic>, x0={np.round(x0, 4).tolist()}, step={step:.4f}, "
                f"iterations={iterations}, postprocessing=lambda x: x[{perm.tolist()}] + "
                f"{np.round(offset, 4).tolist()}), where the k-th call of f (k = 0, 1, ...) returns its "
                f"gradient times (1 + {drift:.4f} k)")
        self.check_sgd_run(what, step, iterations, scale, shift, drift, x0, perm.tolist(), offset)
        # annealing, on a scalar x (fast): past two halvings (an sgd that halves only once
        # runs 40000-iteration trainings at twice the step), far enough past 40000 that the
        # second shows in x, with x0 at least 1 from the minimum and steps small enough that
        # x stays away from it (x - c shrinks by about e^-1.5 at most): each halving changes
        # x - c by 0.09% or more, over 30 times the tolerance
        iterations = 2 * ANNEAL_EVERY + int(self.rng.integers(300, 1500))
        a, c = float(self.rng.uniform(0.5, 2.0)), float(self.rng.normal())
        x0 = c + float(self.rng.choice([-1, 1]) * self.rng.uniform(1, 2))
        step = float(self.rng.uniform(0.5, 1.0)) / (2 * a * iterations)
        drift = float(self.rng.uniform(0.2, 0.5)) / iterations
        what = (f"sgd(f=lambda x: (a * (x - c)**2, 2 * a * (x - c)), x0={x0!r}, step={step!r}, "
                f"iterations={iterations}) with a={a!r}, c={c!r}, where the k-th call of f "
                f"(k = 0, 1, ...) returns its gradient times (1 + {drift!r} k)")
        self.check_sgd_run(what, step, iterations, a, c, drift, x0,
                           keep=[0, 1, 19998, 19999, 20000, 20001, 20002, 39999, 40000, 40001, 40002])

    def check_sgd_run(self, what, step, iterations, scale, shift, drift, x0, perm=None, offset=None,
                      keep=None):
        """The x the student's sgd returns equals the reference's; if not, the calls and
        inputs of f it reports (claims, compared with the reference's) say what went wrong."""
        args = (sgd_observed, x0, step, iterations, scale, shift, drift, perm, offset, keep)
        want_x, want_calls, want_seen = self.reference_probe(*args, timeout=30)
        got = self.student.probe(*args, what=what, timeout=30)
        x, calls, seen = items(got, what, ("x", "calls of f", "inputs of f"))
        try:
            arrays.check_close(x, want_x, what, name="the x returned")
        except AssertionError as exc:
            advice = sgd_advice(calls, seen, want_calls, want_seen, step, scale, shift, drift,
                                postprocessing=perm is not None)
            raise AssertionError(f"{exc}\n{advice}" if advice else str(exc)) from None

    def timing_check(self, name, K=None):
        limit = float(self.config.timing.get("max_ratio", 5))
        V, d = int(self.config.timing.get("vocabulary", 5000)), int(self.config.timing.get("dimension", 50))
        U = self.rng.standard_normal((V, d)) * 0.1
        centers = self.rng.standard_normal((64, d))  # each timed run rescales one of these
        what = f"{name} with V={V}, d={d}" + ("" if K is None else f", K={K}")
        parts = [("the size of gradCenterVec", 1), ("the shape of gradOutsideVecs", 2), ("loss", 1),
                 ("gradCenterVec", d), ("gradOutsideVecs (rows of the outside word and 3 others)", 4 * d)]
        result = timing.measure(self.student, self.reference, loss_timing, name, U, centers, K=K,
                                limit=limit, what=what, parts=parts, helpers=HELPERS)
        for line in result.notes:
            self.note(line)
        if result.ratio > limit:
            self.fail(f"{what} took {result.slower_text()} (limit {limit:g}x). Vectorize it: "
                      "no Python loop over the vocabulary.")

    @graded("4.11")
    def test_naive_softmax_timing(self):
        """naiveSoftmaxLossAndGradient: vectorized (time against the reference)"""
        self.timing_check(NAIVE)

    @graded("4.12")
    def test_neg_sampling_timing(self):
        """negSamplingLossAndGradient: vectorized (time against the reference)"""
        self.timing_check(NEG, K=10)


class TestSamplingHidden(SubmissionTestCase):
    @graded("5.1")
    def test_subsample_random(self):
        """subsampleKeepProbability: random frequencies, arrays and thresholds"""
        z = 10.0 ** self.rng.uniform(-6, 0, (3, 4))
        for args in ((z,), (z, 1e-4), (float(z[0, 0]),)):
            want = self.reference_call("sampling", "subsampleKeepProbability", *args)
            got = self.student.call("sampling", "subsampleKeepProbability", *args)
            self.assertClose(got, want, call_text("subsampleKeepProbability", *args))

    @graded("5.2")
    def test_negative_sampling_distribution_random(self):
        """negativeSamplingDistribution: random counts and powers"""
        counts = self.rng.integers(1, 1000, 20).astype(float)
        for args in ((counts,), (counts, 0.5), (counts, 1.0)):
            want = self.reference_call("sampling", "negativeSamplingDistribution", *args)
            got = self.student.call("sampling", "negativeSamplingDistribution", *args)
            self.assertClose(got, want, call_text("negativeSamplingDistribution", *args))


class TestInformationHidden(SubmissionTestCase):
    @graded("5.3")
    def test_softmax_properties(self):
        """softmax: random rows, shift invariance, two classes = sigmoid of the difference"""
        x = self.rng.standard_normal((6, 9)) * 5
        two = x[:, :2]
        matched = {}
        for key, inp in (("x", x), ("row", x[0]), ("large", x + 1000.0), ("two", two)):
            want = self.reference_call("information", "softmax", inp)
            got = self.student.call("information", "softmax", inp)
            self.assertClose(got, want, call_text("softmax", inp))
            matched[key] = np.asarray(got, dtype=float)  # values and shape checked: safe to index
        # the properties, on values that matched the reference (never one reply against another)
        shifted = self.student.call("information", "softmax", x + self.rng.uniform(-50, 50, (6, 1)))
        self.assertClose(shifted, matched["x"],
                         "softmax(x + c) against softmax(x) for a constant c per row (shift invariance)")
        self.assertClose(matched["two"].reshape(two.shape)[:, 0], 1 / (1 + np.exp(-(two[:, 0] - two[:, 1]))),
                         "softmax([a, b])[0] against sigmoid(a - b)")

    @graded("5.4")
    def test_entropy_random(self):
        """entropy and crossEntropy: random distributions with zeros, in bits and nats"""
        for _ in range(3):
            p, q = self.rng.dirichlet(np.ones(8)), self.rng.dirichlet(np.ones(8))
            p[self.rng.integers(8, size=2)] = 0.0
            p /= p.sum()
            q[self.rng.choice(np.flatnonzero(p > 0))] = 0.0  # log(0) where p > 0 unless clamped
            for fn, args in (("entropy", (p,)), ("entropy", (p, np.e)), ("crossEntropy", (p, q)),
                             ("crossEntropy", (p, q, np.e)), ("crossEntropy", (p, p))):
                want = self.reference_call("information", fn, *args)
                got = self.student.call("information", fn, *args)
                self.assertClose(got, want, call_text(fn, *args))
