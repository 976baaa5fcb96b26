"""Public checks for a2: each on a worked example with published values, and on a fresh
variation each run whose answer follows from the published one by a transformation
worked out here (rows of U permuted, the vectors rotated, scores shifted, counts
rescaled, distributions permuted or combined...), so that an answer hard-coded for the
worked example fails.

Run them on your code with `pytest tests/` from your assignment folder (or set
NLPGRADE_SUBMISSION to the folder with your files). A failure on a variation prints its
inputs in full; NLPGRADE_SEED=<seed> replays the same variation.
"""
import numpy as np

from autograder.checks.arrays import call_text, check_number, items
from autograder.harness import SubmissionTestCase, graded
from probes_a2 import HELPERS, loss_pair, sgd_quadratic, skipgram_run

NAMES = ("loss", "gradCenterVec", "gradOutsideVecs")
SKIPGRAM_NAMES = ("loss", "gradCenterVecs", "gradOutsideVectors")

CENTER = np.array([0.5, -0.3, 0.8])
U4 = np.array([[0.1, 0.2, -0.4], [0.7, -0.1, 0.3], [-0.5, 0.6, 0.2], [0.05, -0.9, 0.4]])
U5 = np.vstack([U4, [[0.3, 0.3, -0.2]]])
C4 = np.array([[0.2, -0.1, 0.4], [0.6, 0.3, -0.2], [-0.3, 0.5, 0.1], [0.0, 0.2, 0.7]])
CONTEXT = ["w0", "w2", "w3", "w0"]

# The worked examples' published answers.
NAIVE_WANT = (1.9169047556049381,
              [0.7088149682219427, -0.8405698855324099, 0.02397853453477958],
              [[0.06924862870775142, -0.04154917722465085, 0.11079780593240228],
               [0.17905684814400946, -0.10743410888640567, 0.28649095703041516],
               [-0.42646927523995937, 0.2558815651439756, -0.682350840383935],
               [0.17816379838819849, -0.10689827903291908, 0.2850620774211176]])
NEG_WANT = (4.314369110644817,
            [-0.16086810659959805, 0.10400054799444486, -0.35561371701712197],
            [[0.6273609347372457, -0.3764165608423474, 1.0037774955795933],
             [-0.17489072571308648, 0.10493443542785189, -0.27982516114093836],
             [0.21645354751727283, -0.1298721285103637, 0.34632567602763653],
             [0.3245402621222867, -0.19472415727337203, 0.5192644193956587],
             [0.23751040626053, -0.14250624375631799, 0.38001665001684803]])
_Z = [0.0, 0.0, 0.0]
SKIPGRAM_NAIVE_WANT = (5.811436501466057,
                       [_Z, [0.9239300230439433, -0.13537780527598456, 0.5718911700983222], _Z, _Z],
                       [[-0.500500631743356, -0.250250315871678, 0.16683354391445196],
                        [0.7966097346883083, 0.39830486734415416, -0.2655365782294361],
                        [-0.11197585066569728, -0.05598792533284864, 0.03732528355523241],
                        [-0.18413325227925526, -0.09206662613962763, 0.06137775075975175]])
SKIPGRAM_NEG_WANT = (31.669963002052924,
                     [_Z, [3.957568204064632, -1.158739938987692, 2.3342570678762007], _Z, _Z],
                     [[2.7588047806498412, 1.3794023903249206, -0.9196015935499471],
                      [4.188667513261221, 2.0943337566306104, -1.3962225044204073],
                      [1.884459623399945, 0.9422298116999726, -0.6281532077999818],
                      [2.1764599358182535, 1.0882299679091267, -0.7254866452727513]])
SIGMOID_1 = 0.73105858  # sigmoid(1), published below


def full(x):
    """An input written out in full (exactly: each float as its shortest round-trip form),
    so that a failing variation can be typed back in."""
    return np.array2string(np.asarray(x), separator=", ", threshold=10**6, floatmode="unique",
                           max_line_width=10**6)


def rotation(rng, d):
    """A random orthogonal d x d matrix: rotating every vector by it keeps every dot product."""
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def moved_rows(rng, V):
    """A random permutation `order`: row i of a matrix goes to row order[i]."""
    return rng.permutation(V)


def move(rows, order):
    """`rows` (a (V, ...) array) with row i moved to row order[i]."""
    rows = np.asarray(rows, dtype=float)
    out = np.empty_like(rows)
    out[order] = rows
    return out


def random_names(rng, n):
    """n distinct random words (not the published w0, w1, ...)."""
    letters = list("abcdefghijklmnopqrstuvwxyz")
    names = set()
    while len(names) < n:
        names.add("".join(rng.choice(letters, size=int(rng.integers(3, 8)))))
    return [str(w) for w in rng.permutation(sorted(names))]


class TestWord2vecPublic(SubmissionTestCase):
    @graded("1.1")
    def test_sigmoid(self):
        """sigmoid: known values, and random inputs (multiples of 1/4)"""
        got = self.student.call("word2vec", "sigmoid", 0.0)
        self.assertClose(got, 0.5, call_text("sigmoid", 0.0))
        x = np.array([1.0, 2.0, 3.0])
        got = self.student.call("word2vec", "sigmoid", x)
        self.assertClose(got, [SIGMOID_1, 0.88079708, 0.95257413], call_text("sigmoid", x))
        x = np.array([[-1.0, 0.0], [4.0, -4.0]])
        got = self.student.call("word2vec", "sigmoid", x)
        self.assertClose(got, [[0.26894142, 0.5], [0.98201379, 0.01798621]], call_text("sigmoid", x))
        # The odds s / (1 - s) multiply when inputs add, so sigmoid(1)'s odds to the power
        # x are sigmoid(x)'s odds, for any x.
        x = self.rng.integers(-32, 33, size=[(7,), (2, 4), (3, 2)][self.rng.integers(3)]) / 4.0
        odds = (SIGMOID_1 / (1 - SIGMOID_1)) ** x
        got = self.student.call("word2vec", "sigmoid", x)
        self.assertClose(got, odds / (1 + odds), call_text("sigmoid", x))

    @graded("1.2")
    def test_naive_softmax(self):
        """naiveSoftmaxLossAndGradient: a worked example; and the same with U's rows
        permuted, a random vector added to every row, and all vectors rotated"""
        call = call_text("naiveSoftmaxLossAndGradient", centerWordVec=CENTER, outsideWordIdx=2,
                         outsideVectors=U4)
        got = self.student.probe(loss_pair, "naiveSoftmaxLossAndGradient", CENTER, 2, U4, 0,
                                 helpers=HELPERS, what=call)
        self.assertResults(got, NAIVE_WANT, call, NAMES)
        # Adding w to every row of U adds w . v_c to every score: softmax, the loss and both
        # gradients (whose rows of y_hat - y sum to 0) stay. A rotation R of every vector keeps
        # the scores and rotates the gradients. Permuting U's rows permutes gradOutsideVecs'.
        loss, grad_center, grad_outside = NAIVE_WANT
        order, R = moved_rows(self.rng, 4), rotation(self.rng, 3)
        center, U = CENTER @ R, move((U4 + self.rng.standard_normal(3)) @ R, order)
        o = int(order[2])
        call = ("naiveSoftmaxLossAndGradient(centerWordVec=%s, outsideWordIdx=%d, outsideVectors=%s)"
                % (full(center), o, full(U)))
        got = self.student.probe(loss_pair, "naiveSoftmaxLossAndGradient", center, o, U, 0,
                                 helpers=HELPERS, what=call)
        self.assertResults(got, (loss, np.dot(grad_center, R), move(np.dot(grad_outside, R), order)),
                           call, NAMES)

    @graded("1.3")
    def test_neg_sampling(self):
        """negSamplingLossAndGradient: a worked example (K=6, seeded samples); and the same
        with U's rows permuted (and the sampled words with them) and all vectors rotated"""
        call = call_text("negSamplingLossAndGradient", centerWordVec=CENTER, outsideWordIdx=1,
                         outsideVectors=U5, K=6) + " with random.seed(7)"
        got = self.student.probe(loss_pair, "negSamplingLossAndGradient", CENTER, 1, U5, 7, K=6,
                                 helpers=HELPERS, what=call)
        self.assertResults(got, NEG_WANT, call, NAMES)
        # The dataset samples word i as row order[i] (the same random draws), so the same
        # words are sampled, in their new rows. A rotation keeps every score u_k . v_c.
        loss, grad_center, grad_outside = NEG_WANT
        order, R = moved_rows(self.rng, 5), rotation(self.rng, 3)
        center, U, o = CENTER @ R, move(U5 @ R, order), int(order[1])
        call = ("negSamplingLossAndGradient(centerWordVec=%s, outsideWordIdx=%d, outsideVectors=%s, K=6)"
                " with random.seed(7) and dataset.sampleTokenIdx() returning %s[random.randint(0, 4)]"
                % (full(center), o, full(U), order.tolist()))
        got = self.student.probe(loss_pair, "negSamplingLossAndGradient", center, o, U, 7, K=6,
                                 order=order.tolist(), helpers=HELPERS, what=call)
        self.assertResults(got, (loss, np.dot(grad_center, R), move(np.dot(grad_outside, R), order)),
                           call, NAMES)

    def skipgram_variation(self, loss_name, seed, want, shift):
        """skipgram on the worked example with the words renamed and moved to random rows
        (the dataset samples through the same move), every vector rotated and, when
        `shift`, a random vector added to every outside vector (naive softmax only)."""
        loss, grad_center, grad_outside = want
        order, R, names = moved_rows(self.rng, 4), rotation(self.rng, 3), random_names(self.rng, 4)
        C = move(C4 @ R, order)
        U = move((U4 + (self.rng.standard_normal(3) if shift else 0.0)) @ R, order)
        center, context = names[1], [names[int(w[1:])] for w in CONTEXT]
        word2ind = {w: int(order[i]) for i, w in enumerate(names)}
        call = ("skipgram(%r, 2, %r, word2Ind=%r, centerWordVectors=%s, outsideVectors=%s%s)"
                % (center, context, word2ind, full(C), full(U),
                   ", word2vecLossAndGradient=negSamplingLossAndGradient" if seed else ""))
        if seed:
            call += (" with random.seed(%d) and dataset.sampleTokenIdx() returning %s[random.randint(0, 3)]"
                     % (seed, order.tolist()))
        got = self.student.probe(skipgram_run, loss_name, center, 2, context, C, U, seed,
                                 order=order.tolist(), names=names, helpers=HELPERS, what=call)
        self.assertResults(got, (loss, move(np.dot(grad_center, R), order), move(np.dot(grad_outside, R), order)),
                           call, SKIPGRAM_NAMES)

    @graded("1.4")
    def test_skipgram_naive(self):
        """skipgram with naive softmax: a worked example; and the same with the words
        renamed and moved to other rows, the outside vectors shifted, all vectors rotated"""
        call = call_text("skipgram", "w1", 2, CONTEXT, centerWordVectors=C4, outsideVectors=U4)
        got = self.student.probe(skipgram_run, "naiveSoftmaxLossAndGradient", "w1", 2, CONTEXT,
                                 C4, U4, 0, helpers=HELPERS, what=call)
        self.assertResults(got, SKIPGRAM_NAIVE_WANT, call, SKIPGRAM_NAMES)
        self.skipgram_variation("naiveSoftmaxLossAndGradient", 0, SKIPGRAM_NAIVE_WANT, shift=True)

    @graded("1.5")
    def test_skipgram_neg(self):
        """skipgram with negative sampling: a worked example (seeded samples); and the same
        with the words renamed and moved to other rows (the samples with them), rotated"""
        call = call_text("skipgram", "w1", 2, CONTEXT, centerWordVectors=C4, outsideVectors=U4,
                         word2vecLossAndGradient="negSamplingLossAndGradient") + " with random.seed(11)"
        got = self.student.probe(skipgram_run, "negSamplingLossAndGradient", "w1", 2, CONTEXT,
                                 C4, U4, 11, helpers=HELPERS, what=call)
        self.assertResults(got, SKIPGRAM_NEG_WANT, call, SKIPGRAM_NAMES)
        self.skipgram_variation("negSamplingLossAndGradient", 11, SKIPGRAM_NEG_WANT, shift=False)

    @graded("1.6")
    def test_sgd(self):
        """sgd: five steps on a quadratic; and on a random quadratic whose gradient drifts with
        each call of f"""
        call = "sgd(f=lambda x: (sum(x**2), 2*x), x0=[1, -2, 0.5], step=0.1, iterations=5)"
        self.check_sgd(call, [1.0, -2.0, 0.5], 0.1, 1.0, 0.0, 0.0, [0.32768, -0.65536, 0.16384])
        # On f(x) = sum(a (x - c)^2), a step of 0.1 / a moves x - c as a step of 0.1 moves x on
        # sum(x^2): by a factor 1 - 0.2 per iteration. Here the k-th call of f (k = 0, 1, ...)
        # returns the gradient times (1 + e k), so the k-th step's factor is 1 - 0.2 (1 + e k),
        # and calling f more often, or using another call's gradient, moves x elsewhere.
        n = int(self.rng.integers(2, 7))
        a, c = float(self.rng.uniform(0.2, 5.0)), self.rng.uniform(-3, 3, n)
        x0, e = self.rng.uniform(-3, 3, n), float(self.rng.uniform(0.1, 0.3))
        call = ("sgd(f, x0=%s, step=%r, iterations=5) where the k-th call of f (k = 0, 1, ...) "
                "returns (sum(a * (x - c)**2), 2 * a * (x - c) * (1 + e * k)), with a=%r, c=%s, e=%r"
                % (full(x0), 0.1 / a, a, full(c), e))
        factor = float(np.prod([1 - 0.2 * (1 + e * k) for k in range(5)]))
        self.check_sgd(call, x0.tolist(), 0.1 / a, a, c, e, c + (x0 - c) * factor)

    def check_sgd(self, call, x0, step, a, c, e, want):
        x, calls = items(self.student.probe(sgd_quadratic, x0, step, 5, a, c, e, what=call),
                         call, ("x", "calls of f"))  # structure first: a forged reply fails here
        if calls != 5:  # the count only explains; x itself shows the calls (f drifts with each)
            self.fail(f"{call} called f {calls} times, expected 5: call f once per iteration and "
                      "use the loss and the gradient of that one call")
        self.assertClose(x, want, call)


class TestSamplingPublic(SubmissionTestCase):
    @graded("2.1")
    def test_subsample_keep_probability(self):
        """subsampleKeepProbability: the lecture notes' worked values; and some of them with
        the word fractions and the threshold scaled together"""
        published = [(0.0026, 1.0), (0.001, 1.0), (0.00746, 0.50019), (1.0, 0.0326228), (0.0001, 1.0)]
        for z, want in published[:4]:
            got = self.student.call("sampling", "subsampleKeepProbability", z)
            self.assertClose(got, want, call_text("subsampleKeepProbability", z), rtol=1e-4)
        z = np.array([0.0001, 0.00746, 1.0])
        got = self.student.call("sampling", "subsampleKeepProbability", z)
        self.assertClose(got, [1.0, 0.50019, 0.0326228], call_text("subsampleKeepProbability", z),
                         rtol=1e-4)
        # P(keep) depends on z / t only: scaling both by s keeps every probability.
        picked = self.rng.integers(len(published), size=int(self.rng.integers(4, 9)))
        s = float(10 ** self.rng.uniform(-3, 0))
        z = np.array([published[i][0] for i in picked]) * s
        call = "subsampleKeepProbability(%s, threshold=%r)" % (full(z), 1e-3 * s)
        got = self.student.call("sampling", "subsampleKeepProbability", z, threshold=1e-3 * s)
        self.assertClose(got, [published[i][1] for i in picked], call, rtol=1e-4)

    @graded("2.2")
    def test_negative_sampling_distribution(self):
        """negativeSamplingDistribution: counts to the 3/4 power, normalised; and the same
        distribution from rescaled, reordered counts"""
        counts = np.array([1.0, 16.0, 81.0])
        want = np.array([1 / 36, 8 / 36, 27 / 36])
        got = self.student.call("sampling", "negativeSamplingDistribution", counts)
        self.assertClose(got, want, call_text("negativeSamplingDistribution", counts))
        # only the counts' ratios matter, and reordering the counts reorders the distribution
        order = self.rng.permutation(3)
        counts = float(10 ** self.rng.uniform(-1, 3)) * counts[order]
        call = "negativeSamplingDistribution(%s)" % full(counts)
        got = self.student.call("sampling", "negativeSamplingDistribution", counts)
        self.assertClose(got, want[order], call)


def with_zeros(rng, arrays, n):
    """The arrays (of one length) with `n` zeros inserted at the same random places."""
    length = len(arrays[0]) + n
    places = np.sort(rng.choice(length, size=len(arrays[0]), replace=False))
    out = []
    for a in arrays:
        z = np.zeros(length)
        z[places] = a
        out.append(z)
    return out


class TestInformationPublic(SubmissionTestCase):
    @graded("3.1")
    def test_softmax(self):
        """softmax: values, large scores, rows, and the two-class sigmoid; and published
        rows reordered and shifted by random amounts"""
        cases = [(np.array([1.0, 2.0, 3.0]), [0.09003057, 0.24472847, 0.66524096]),
                 (np.array([1000.0, 1001.0]), [0.26894142, 0.73105858]),
                 (np.array([[1.0, 2.0], [3.0, 3.0]]), [[0.26894142, 0.73105858], [0.5, 0.5]])]
        for x, want in cases:
            got = self.student.call("information", "softmax", x)
            self.assertClose(got, want, call_text("softmax", x))
        # softmax(x + c) = softmax(x), and reordering x reorders softmax(x)
        x, want = cases[0]
        rows = [self.rng.permutation(3) for _ in range(int(self.rng.integers(2, 5)))]
        # large scores (as in the worked example), rows near one another: a softmax that
        # subtracts one maximum for all rows stays exact here
        shifts = self.rng.uniform(-800, 800) + self.rng.uniform(-20, 20, len(rows))
        x = np.array([x[r] + c for r, c in zip(rows, shifts)])
        got = self.student.call("information", "softmax", x)
        self.assertClose(got, [np.asarray(want)[r] for r in rows], "softmax(%s)" % full(x))

    @graded("3.2")
    def test_entropy(self):
        """entropy: bits, nats, and 0 log 0 = 0; and a product of published distributions,
        with zeros, reordered, in a random base"""
        cases = [((np.full(4, 0.25),), 2.0), ((np.array([1.0, 0.0]),), 0.0),
                 ((np.array([0.5, 0.5]), np.e), 0.69314718)]
        for args, want in cases:
            call = call_text("entropy", *args)
            self.assertClose(check_number(self.student.call("information", "entropy", *args), call), want, call)
        # H(p x q) = H(p) + H(q) for the joint distribution of independent p and q; zeros add
        # nothing; the order does not matter; H in base b is H in bits times log 2 / log b.
        bits = [(np.full(4, 0.25), 2.0), (np.array([1.0, 0.0]), 0.0), (np.array([0.5, 0.5]), 0.69314718 / np.log(2))]
        (p, hp), (q, hq) = (bits[i] for i in self.rng.integers(3, size=2))
        joint = with_zeros(self.rng, [np.outer(p, q).ravel()], int(self.rng.integers(0, 4)))[0]
        joint = joint[self.rng.permutation(len(joint))]
        base = float(self.rng.choice([2.0, np.e, 10.0, self.rng.uniform(1.5, 20.0)]))
        call = "entropy(%s, %r)" % (full(joint), base)
        got = check_number(self.student.call("information", "entropy", joint, base), call)
        self.assertClose(got, (hp + hq) * np.log(2) / np.log(base), call)

    @graded("3.3")
    def test_cross_entropy(self):
        """crossEntropy: H(p, p) = H(p), and q = 0 is clamped; and products of the published
        pairs, with zeros, reordered, in a random base"""
        p, q = np.array([0.5, 0.25, 0.25]), np.array([0.25, 0.25, 0.5])
        clamped = (np.array([1.0, 0.0]), np.array([0.0, 1.0]))
        cases = [((p, p), 1.5), ((p, q), 1.75), (clamped, 39.863137)]
        for args, want in cases:
            call = call_text("crossEntropy", *args)
            self.assertClose(check_number(self.student.call("information", "crossEntropy", *args), call),
                             want, call)
        # H(p1 x p2, q1 x q2) = H(p1, q1) + H(p2, q2) when no q is clamped; reversing p and q
        # together gives (q, p) from (p, q); a p = 0 adds nothing; base b: times log 2 / log b.
        pairs = [(p, p, 1.5), (p, q, 1.75), (q, p, 1.75), (q, q, 1.5)]
        (p1, q1, h1), (p2, q2, h2) = (pairs[i] for i in self.rng.integers(4, size=2))
        base = float(self.rng.choice([2.0, np.e, 10.0, self.rng.uniform(1.5, 20.0)]))
        pq = with_zeros(self.rng, [np.outer(p1, p2).ravel(), np.outer(q1, q2).ravel()], int(self.rng.integers(0, 3)))
        order = self.rng.permutation(len(pq[0]))
        cl = with_zeros(self.rng, list(clamped), int(self.rng.integers(0, 3)))
        flip = self.rng.permutation(len(cl[0]))
        for (a, b), want in (((pq[0][order], pq[1][order]), h1 + h2), ((cl[0][flip], cl[1][flip]), 39.863137)):
            call = "crossEntropy(%s, %s, %r)" % (full(a), full(b), base)
            got = check_number(self.student.call("information", "crossEntropy", a, b, base), call)
            self.assertClose(got, want * np.log(2) / np.log(base), call)
