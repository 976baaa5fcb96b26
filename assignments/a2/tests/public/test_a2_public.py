"""Public checks for a2, with fixed inputs and expected values.

Run them on your code with `pytest tests/` from your assignment folder (or set
NLPGRADE_SUBMISSION to the folder with your files).
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


class TestWord2vecPublic(SubmissionTestCase):
    @graded("1.1")
    def test_sigmoid(self):
        """sigmoid: known values"""
        got = self.student.call("word2vec", "sigmoid", 0.0)
        self.assertClose(got, 0.5, call_text("sigmoid", 0.0))
        x = np.array([1.0, 2.0, 3.0])
        got = self.student.call("word2vec", "sigmoid", x)
        self.assertClose(got, [0.73105858, 0.88079708, 0.95257413], call_text("sigmoid", x))
        x = np.array([[-1.0, 0.0], [4.0, -4.0]])
        got = self.student.call("word2vec", "sigmoid", x)
        self.assertClose(got, [[0.26894142, 0.5], [0.98201379, 0.01798621]], call_text("sigmoid", x))

    @graded("1.2")
    def test_naive_softmax(self):
        """naiveSoftmaxLossAndGradient: a worked example"""
        call = call_text("naiveSoftmaxLossAndGradient", centerWordVec=CENTER, outsideWordIdx=2,
                         outsideVectors=U4)
        got = self.student.probe(loss_pair, "naiveSoftmaxLossAndGradient", CENTER, 2, U4, 0,
                                 helpers=HELPERS, what=call)
        want = (1.9169047556049381,
                [0.7088149682219427, -0.8405698855324099, 0.02397853453477958],
                [[0.06924862870775142, -0.04154917722465085, 0.11079780593240228],
                 [0.17905684814400946, -0.10743410888640567, 0.28649095703041516],
                 [-0.42646927523995937, 0.2558815651439756, -0.682350840383935],
                 [0.17816379838819849, -0.10689827903291908, 0.2850620774211176]])
        self.assertResults(got, want, call, NAMES)

    @graded("1.3")
    def test_neg_sampling(self):
        """negSamplingLossAndGradient: a worked example (K=6, seeded samples)"""
        call = call_text("negSamplingLossAndGradient", centerWordVec=CENTER, outsideWordIdx=1,
                         outsideVectors=U5, K=6) + " with random.seed(7)"
        got = self.student.probe(loss_pair, "negSamplingLossAndGradient", CENTER, 1, U5, 7, K=6,
                                 helpers=HELPERS, what=call)
        want = (4.314369110644817,
                [-0.16086810659959805, 0.10400054799444486, -0.35561371701712197],
                [[0.6273609347372457, -0.3764165608423474, 1.0037774955795933],
                 [-0.17489072571308648, 0.10493443542785189, -0.27982516114093836],
                 [0.21645354751727283, -0.1298721285103637, 0.34632567602763653],
                 [0.3245402621222867, -0.19472415727337203, 0.5192644193956587],
                 [0.23751040626053, -0.14250624375631799, 0.38001665001684803]])
        self.assertResults(got, want, call, NAMES)

    @graded("1.4")
    def test_skipgram_naive(self):
        """skipgram with naive softmax: a worked example"""
        call = call_text("skipgram", "w1", 2, CONTEXT, centerWordVectors=C4, outsideVectors=U4)
        got = self.student.probe(skipgram_run, "naiveSoftmaxLossAndGradient", "w1", 2, CONTEXT,
                                 C4, U4, 0, helpers=HELPERS, what=call)
        z = [0.0, 0.0, 0.0]
        want = (5.811436501466057,
                [z, [0.9239300230439433, -0.13537780527598456, 0.5718911700983222], z, z],
                [[-0.500500631743356, -0.250250315871678, 0.16683354391445196],
                 [0.7966097346883083, 0.39830486734415416, -0.2655365782294361],
                 [-0.11197585066569728, -0.05598792533284864, 0.03732528355523241],
                 [-0.18413325227925526, -0.09206662613962763, 0.06137775075975175]])
        self.assertResults(got, want, call, SKIPGRAM_NAMES)

    @graded("1.5")
    def test_skipgram_neg(self):
        """skipgram with negative sampling: a worked example (seeded samples)"""
        call = call_text("skipgram", "w1", 2, CONTEXT, centerWordVectors=C4, outsideVectors=U4,
                         word2vecLossAndGradient="negSamplingLossAndGradient") + " with random.seed(11)"
        got = self.student.probe(skipgram_run, "negSamplingLossAndGradient", "w1", 2, CONTEXT,
                                 C4, U4, 11, helpers=HELPERS, what=call)
        z = [0.0, 0.0, 0.0]
        want = (31.669963002052924,
                [z, [3.957568204064632, -1.158739938987692, 2.3342570678762007], z, z],
                [[2.7588047806498412, 1.3794023903249206, -0.9196015935499471],
                 [4.188667513261221, 2.0943337566306104, -1.3962225044204073],
                 [1.884459623399945, 0.9422298116999726, -0.6281532077999818],
                 [2.1764599358182535, 1.0882299679091267, -0.7254866452727513]])
        self.assertResults(got, want, call, SKIPGRAM_NAMES)

    @graded("1.6")
    def test_sgd(self):
        """sgd: five steps on a quadratic"""
        call = "sgd(f=lambda x: (sum(x**2), 2*x), x0=[1, -2, 0.5], step=0.1, iterations=5)"
        x, calls = items(self.student.probe(sgd_quadratic, [1.0, -2.0, 0.5], 0.1, 5, 1.0, 0.0),
                         call, ("x", "calls of f"))  # structure first: a forged reply fails here
        self.assertEqual(calls, 5, f"{call} called f {calls} times, expected 5 (once per iteration)")
        self.assertClose(x, [0.32768, -0.65536, 0.16384], call)


class TestSamplingPublic(SubmissionTestCase):
    @graded("2.1")
    def test_subsample_keep_probability(self):
        """subsampleKeepProbability: the lecture notes' worked values"""
        for z, want in [(0.0026, 1.0), (0.001, 1.0), (0.00746, 0.50019), (1.0, 0.0326228)]:
            got = self.student.call("sampling", "subsampleKeepProbability", z)
            self.assertClose(got, want, call_text("subsampleKeepProbability", z), rtol=1e-4)
        z = np.array([0.0001, 0.00746, 1.0])
        got = self.student.call("sampling", "subsampleKeepProbability", z)
        self.assertClose(got, [1.0, 0.50019, 0.0326228], call_text("subsampleKeepProbability", z),
                         rtol=1e-4)

    @graded("2.2")
    def test_negative_sampling_distribution(self):
        """negativeSamplingDistribution: counts to the 3/4 power, normalised"""
        counts = np.array([1.0, 16.0, 81.0])
        got = self.student.call("sampling", "negativeSamplingDistribution", counts)
        self.assertClose(got, [1 / 36, 8 / 36, 27 / 36], call_text("negativeSamplingDistribution", counts))


class TestInformationPublic(SubmissionTestCase):
    @graded("3.1")
    def test_softmax(self):
        """softmax: values, large scores, rows, and the two-class sigmoid"""
        cases = [(np.array([1.0, 2.0, 3.0]), [0.09003057, 0.24472847, 0.66524096]),
                 (np.array([1000.0, 1001.0]), [0.26894142, 0.73105858]),
                 (np.array([[1.0, 2.0], [3.0, 3.0]]), [[0.26894142, 0.73105858], [0.5, 0.5]])]
        for x, want in cases:
            got = self.student.call("information", "softmax", x)
            self.assertClose(got, want, call_text("softmax", x))

    @graded("3.2")
    def test_entropy(self):
        """entropy: bits, nats, and 0 log 0 = 0"""
        cases = [((np.full(4, 0.25),), 2.0), ((np.array([1.0, 0.0]),), 0.0),
                 ((np.array([0.5, 0.5]), np.e), 0.69314718)]
        for args, want in cases:
            call = call_text("entropy", *args)
            self.assertClose(check_number(self.student.call("information", "entropy", *args), call), want, call)

    @graded("3.3")
    def test_cross_entropy(self):
        """crossEntropy: H(p, p) = H(p), and q = 0 is clamped"""
        p, q = np.array([0.5, 0.25, 0.25]), np.array([0.25, 0.25, 0.5])
        cases = [((p, p), 1.5), ((p, q), 1.75), ((np.array([1.0, 0.0]), np.array([0.0, 1.0])), 39.863137)]
        for args, want in cases:
            call = call_text("crossEntropy", *args)
            self.assertClose(check_number(self.student.call("information", "crossEntropy", *args), call),
                             want, call)
