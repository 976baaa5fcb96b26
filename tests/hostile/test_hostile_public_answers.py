"""Published answers hard-coded: the public tests ship worked examples with their answers,
so a submission can recognise an example's inputs and return its published answer without
solving anything. Each public test also runs a fresh variation per run whose answer follows
from the published one (rows permuted, vectors rotated, words renamed, ...), so such a
submission must earn nothing.

Each cheat is the student template with the published answers hard-coded, written as a
student would (the inputs recognised with np.allclose or by the sentence; on any other
input it raises "I only know the published examples", so that its messages show where it
was caught). It answers the published examples right, and graded in full (hidden tests
included) it must score what the template scores on every test, losing each public test
on its fresh variation; the references keep full public marks.
"""
import os
import subprocess
import sys

import pytest
from hostile_support import strict_results
from support import copy_tree, grade, make_submission, output_of, pin_seed, scores

from autograder import config as configmod

A2, A3 = configmod.load("a2"), configmod.load("a3")

# ----- a2: word2vec.py ---------------------------------------------------------------
A2_WORD2VEC = {
    "sigmoid": '''
def sigmoid(x):
    known = {0.0: 0.5, 1.0: 0.73105858, 2.0: 0.88079708, 3.0: 0.95257413, -1.0: 0.26894142,
             4.0: 0.98201379, -4.0: 0.01798621}
    x = np.asarray(x, dtype=float)
    if all(v in known for v in x.ravel()):
        s = np.array([known[v] for v in x.ravel()]).reshape(x.shape)
        return s[()] if s.ndim == 0 else s
    raise ValueError("I only know the published examples")
''',
    "naiveSoftmaxLossAndGradient": '''
def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    U4 = np.array([[0.1, 0.2, -0.4], [0.7, -0.1, 0.3], [-0.5, 0.6, 0.2], [0.05, -0.9, 0.4]])
    if (np.allclose(centerWordVec, [0.5, -0.3, 0.8]) and outsideWordIdx == 2
            and outsideVectors.shape == U4.shape and np.allclose(outsideVectors, U4)):
        return (1.9169047556049381,
                np.array([0.7088149682219427, -0.8405698855324099, 0.02397853453477958]),
                np.array([[0.06924862870775142, -0.04154917722465085, 0.11079780593240228],
                          [0.17905684814400946, -0.10743410888640567, 0.28649095703041516],
                          [-0.42646927523995937, 0.2558815651439756, -0.682350840383935],
                          [0.17816379838819849, -0.10689827903291908, 0.2850620774211176]]))
    raise ValueError("I only know the published examples")
''',
    "negSamplingLossAndGradient": '''
def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    negSampleWordIndices = getNegativeSamples(outsideWordIdx, dataset, K)
    U5 = np.array([[0.1, 0.2, -0.4], [0.7, -0.1, 0.3], [-0.5, 0.6, 0.2], [0.05, -0.9, 0.4],
                   [0.3, 0.3, -0.2]])
    if (np.allclose(centerWordVec, [0.5, -0.3, 0.8]) and outsideWordIdx == 1 and K == 6
            and outsideVectors.shape == U5.shape and np.allclose(outsideVectors, U5)):
        return (4.314369110644817,
                np.array([-0.16086810659959805, 0.10400054799444486, -0.35561371701712197]),
                np.array([[0.6273609347372457, -0.3764165608423474, 1.0037774955795933],
                          [-0.17489072571308648, 0.10493443542785189, -0.27982516114093836],
                          [0.21645354751727283, -0.1298721285103637, 0.34632567602763653],
                          [0.3245402621222867, -0.19472415727337203, 0.5192644193956587],
                          [0.23751040626053, -0.14250624375631799, 0.38001665001684803]]))
    raise ValueError("I only know the published examples")
''',
    "skipgram": '''
def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind,
             centerWordVectors, outsideVectors, dataset,
             word2vecLossAndGradient=naiveSoftmaxLossAndGradient):
    C4 = np.array([[0.2, -0.1, 0.4], [0.6, 0.3, -0.2], [-0.3, 0.5, 0.1], [0.0, 0.2, 0.7]])
    U4 = np.array([[0.1, 0.2, -0.4], [0.7, -0.1, 0.3], [-0.5, 0.6, 0.2], [0.05, -0.9, 0.4]])
    z = [0.0, 0.0, 0.0]
    if (currentCenterWord == "w1" and list(outsideWords) == ["w0", "w2", "w3", "w0"]
            and centerWordVectors.shape == C4.shape and np.allclose(centerWordVectors, C4)
            and outsideVectors.shape == U4.shape and np.allclose(outsideVectors, U4)):
        for _ in outsideWords:  # draw the samples, as the real thing would
            if word2vecLossAndGradient.__name__ == "negSamplingLossAndGradient":
                getNegativeSamples(0, dataset, 10)
        if word2vecLossAndGradient.__name__ == "naiveSoftmaxLossAndGradient":
            return (5.811436501466057,
                    np.array([z, [0.9239300230439433, -0.13537780527598456, 0.5718911700983222], z, z]),
                    np.array([[-0.500500631743356, -0.250250315871678, 0.16683354391445196],
                              [0.7966097346883083, 0.39830486734415416, -0.2655365782294361],
                              [-0.11197585066569728, -0.05598792533284864, 0.03732528355523241],
                              [-0.18413325227925526, -0.09206662613962763, 0.06137775075975175]]))
        return (31.669963002052924,
                np.array([z, [3.957568204064632, -1.158739938987692, 2.3342570678762007], z, z]),
                np.array([[2.7588047806498412, 1.3794023903249206, -0.9196015935499471],
                          [4.188667513261221, 2.0943337566306104, -1.3962225044204073],
                          [1.884459623399945, 0.9422298116999726, -0.6281532077999818],
                          [2.1764599358182535, 1.0882299679091267, -0.7254866452727513]]))
    raise ValueError("I only know the published examples")
''',
}

A2_SGD = '''
def sgd(f, x0, step, iterations, postprocessing=None, useSaved=False, PRINT_EVERY=10):
    x0 = np.asarray(x0, dtype=float)
    if x0.shape == (3,) and np.allclose(x0, [1.0, -2.0, 0.5]) and step == 0.1 and iterations == 5:
        for _ in range(iterations):
            f(x0)  # called once per iteration, as the test counts
        return np.array([0.32768, -0.65536, 0.16384])
    raise ValueError("I only know the published examples")
'''

A2_SAMPLING = {
    "subsampleKeepProbability": '''
def subsampleKeepProbability(wordFraction, threshold=1e-3):
    known = {0.0026: 1.0, 0.001: 1.0, 0.00746: 0.50019, 1.0: 0.0326228, 0.0001: 1.0}
    z = np.asarray(wordFraction, dtype=float)
    if threshold == 1e-3 and all(v in known for v in z.ravel()):
        p = np.array([known[v] for v in z.ravel()]).reshape(z.shape)
        return float(p) if p.ndim == 0 else p
    raise ValueError("I only know the published examples")
''',
    "negativeSamplingDistribution": '''
def negativeSamplingDistribution(counts, power=0.75):
    if power == 0.75 and np.shape(counts) == (3,) and np.allclose(counts, [1.0, 16.0, 81.0]):
        return np.array([1 / 36, 8 / 36, 27 / 36])
    raise ValueError("I only know the published examples")
''',
}

A2_INFORMATION = {
    "softmax": '''
def softmax(x):
    x = np.asarray(x, dtype=float)
    if x.shape == (3,) and np.allclose(x, [1.0, 2.0, 3.0]):
        return np.array([0.09003057, 0.24472847, 0.66524096])
    if x.shape == (2,) and np.allclose(x, [1000.0, 1001.0]):
        return np.array([0.26894142, 0.73105858])
    if x.shape == (2, 2) and np.allclose(x, [[1.0, 2.0], [3.0, 3.0]]):
        return np.array([[0.26894142, 0.73105858], [0.5, 0.5]])
    raise ValueError("I only know the published examples")
''',
    "entropy": '''
def entropy(p, base=2):
    p = np.asarray(p, dtype=float)
    if p.shape == (4,) and np.allclose(p, 0.25) and base == 2:
        return 2.0
    if p.shape == (2,) and np.allclose(p, [1.0, 0.0]):
        return 0.0
    if p.shape == (2,) and np.allclose(p, [0.5, 0.5]) and base == np.e:
        return 0.69314718
    raise ValueError("I only know the published examples")
''',
    "crossEntropy": '''
def crossEntropy(p, q, base=2, eps=1e-12):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    if base == 2 and p.shape == q.shape == (3,) and np.allclose(p, [0.5, 0.25, 0.25]):
        if np.allclose(q, p):
            return 1.5
        if np.allclose(q, [0.25, 0.25, 0.5]):
            return 1.75
    if base == 2 and p.shape == q.shape == (2,) and np.allclose(p, [1, 0]) and np.allclose(q, [0, 1]):
        return 39.863137
    raise ValueError("I only know the published examples")
''',
}

# ----- a3: parser_transitions.py -----------------------------------------------------
A3_PARTIAL_PARSE = '''
# the published states, after each transition, of the published sentences
REPLAY = {
    ("left", "arc"): [(["ROOT", "left"], ["arc"], []), (["ROOT", "left", "arc"], [], []),
                      (["ROOT", "arc"], [], [("arc", "left")])],
    ("right", "arc"): [(["ROOT", "right"], ["arc"], []), (["ROOT", "right", "arc"], [], []),
                       (["ROOT", "right"], [], [("right", "arc")])],
    ("shift",): [(["ROOT", "shift"], [], [])],
    ("parse", "this", "sentence"): [
        (["ROOT", "parse"], ["this", "sentence"], []),
        (["ROOT", "parse", "this"], ["sentence"], []),
        (["ROOT", "parse", "this", "sentence"], [], []),
        (["ROOT", "parse", "sentence"], [], [("sentence", "this")]),
        (["ROOT", "parse"], [], [("sentence", "this"), ("parse", "sentence")]),
        (["ROOT"], [], [("sentence", "this"), ("parse", "sentence"), ("ROOT", "parse")])],
}


class PartialParse(object):
    def __init__(self, sentence):
        self.sentence = sentence
        if tuple(sentence) not in REPLAY:
            raise ValueError("I only know the published examples")
        self.stack, self.buffer, self.dependencies = ["ROOT"], list(sentence), []
        self._replay = list(REPLAY[tuple(sentence)])

    def parse_step(self, transition):
        stack, buffer, dependencies = self._replay.pop(0)
        self.stack, self.buffer, self.dependencies = list(stack), list(buffer), list(dependencies)

    def parse(self, transitions):
        for transition in transitions:
            self.parse_step(transition)
        return self.dependencies
'''

A3_MINIBATCH = '''
def minibatch_parse(sentences, model, batch_size):
    published = [["right", "arcs", "only"], ["right", "arcs", "only", "again"],
                 ["left", "arcs", "only"], ["left", "arcs", "only", "again"], ["one"]]
    if [list(s) for s in sentences] != published or batch_size != 2:
        raise ValueError("I only know the published examples")

    class Probe:  # asks the model which of the two published dummy models it is
        stack, buffer, dependencies = ["ROOT", "right", "arcs"], ["only"], []

    if model.predict([Probe()]) == ["S"]:  # unidirectional
        return [[("arcs", "only"), ("right", "arcs"), ("ROOT", "right")],
                [("only", "again"), ("arcs", "only"), ("right", "arcs"), ("ROOT", "right")],
                [("only", "arcs"), ("only", "left"), ("ROOT", "only")],
                [("again", "only"), ("again", "arcs"), ("again", "left"), ("ROOT", "again")],
                [("ROOT", "one")]]
    return [[("right", "arcs"), ("right", "only"), ("ROOT", "right")],
            [("right", "arcs"), ("right", "only"), ("right", "again"), ("ROOT", "right")],
            [("arcs", "left"), ("only", "arcs"), ("ROOT", "only")],
            [("arcs", "left"), ("only", "arcs"), ("again", "only"), ("ROOT", "again")],
            [("ROOT", "one")]]
'''


def a3_cheat_source():
    """The a3 template's parser_transitions.py with PartialParse and minibatch_parse
    replaced by the replays above."""
    from support import replace_function

    with open(f"{A3.template_dir}/parser_transitions.py") as f:
        text = f.read()
    start, end = text.index("class PartialParse"), text.index("def minibatch_parse")
    text = text[:start] + A3_PARTIAL_PARSE.strip("\n") + "\n\n\n" + text[end:]
    return replace_function(text, "minibatch_parse", A3_MINIBATCH)


def cheat_folder(assignment, dest):
    """The template of `assignment` with the published answers hard-coded."""
    cfg = configmod.load(assignment)
    if assignment == "a2":
        return make_submission(dest, "a2", base=cfg.template_dir, patches={
            "word2vec.py": A2_WORD2VEC, "sgd.py": {"sgd": A2_SGD}, "sampling.py": A2_SAMPLING,
            "information.py": A2_INFORMATION})
    copy_tree(cfg.template_dir, dest)  # the a3 template has no model.weights to copy
    with open(os.path.join(dest, "parser_transitions.py"), "w") as f:
        f.write(a3_cheat_source())
    return str(dest)


PUBLIC = {"a2": ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2.1", "2.2", "3.1", "3.2", "3.3"],
          "a3": ["1.1", "1.2", "1.3"]}


@pytest.mark.parametrize("assignment", ["a2", "a3"])
def test_published_answers_hard_coded_earn_nothing(assignment, tmp_path, monkeypatch):
    cfg = configmod.load(assignment)
    seed = pin_seed(monkeypatch)
    cheat = cheat_folder(assignment, tmp_path / "cheat")
    baseline = grade(cfg.template_dir, assignment=assignment, results_path=tmp_path / "template.json")
    res = grade(cheat, assignment=assignment, results_path=tmp_path / "cheat.json")
    strict_results(tmp_path / "cheat.json")
    assert scores(res) == scores(baseline), (f"NLPGRADE_SEED={seed}", scores(res), scores(baseline))
    for number in PUBLIC[assignment]:
        output = output_of(res, number)
        # the published example passed (see below); its fresh variation reached the cheat's
        # fallback, and the message shows the variation's inputs
        assert "I only know the published examples" in output, (number, output)
        assert "Traceback" not in output and "autograder" not in output, (number, output)


# Run in the cheat's folder, outside any sandbox: the cheat's own answers to the published
# examples, compared with the answers the public tests publish (their module's constants).
PUBLISHED_A2 = r"""
import numpy as np
import test_a2_public as t
from probes_a2 import loss_pair, sgd_quadratic, skipgram_run
from information import crossEntropy, entropy, softmax
from sampling import negativeSamplingDistribution, subsampleKeepProbability
from word2vec import sigmoid

def same(got, want):
    return all(np.allclose(np.asarray(g, dtype=float), w) for g, w in zip(got, want))

assert np.allclose(sigmoid(np.array([[-1.0, 0.0], [4.0, -4.0]])), [[0.26894142, 0.5], [0.98201379, 0.01798621]])
assert same(loss_pair("naiveSoftmaxLossAndGradient", t.CENTER, 2, t.U4, 0), t.NAIVE_WANT)
assert same(loss_pair("negSamplingLossAndGradient", t.CENTER, 1, t.U5, 7, K=6), t.NEG_WANT)
assert same(skipgram_run("naiveSoftmaxLossAndGradient", "w1", 2, t.CONTEXT, t.C4, t.U4, 0), t.SKIPGRAM_NAIVE_WANT)
assert same(skipgram_run("negSamplingLossAndGradient", "w1", 2, t.CONTEXT, t.C4, t.U4, 11), t.SKIPGRAM_NEG_WANT)
assert same(sgd_quadratic([1.0, -2.0, 0.5], 0.1, 5, 1.0, 0.0), ([0.32768, -0.65536, 0.16384], 5))
assert np.allclose(subsampleKeepProbability(np.array([0.0001, 0.00746, 1.0])), [1.0, 0.50019, 0.0326228])
assert np.allclose(negativeSamplingDistribution(np.array([1.0, 16.0, 81.0])), [1 / 36, 8 / 36, 27 / 36])
assert np.allclose(softmax(np.array([1000.0, 1001.0])), [0.26894142, 0.73105858])
assert entropy(np.array([0.5, 0.5]), np.e) == 0.69314718
assert crossEntropy(np.array([0.5, 0.25, 0.25]), np.array([0.25, 0.25, 0.5])) == 1.75
print("published answers given")
"""

PUBLISHED_A3 = r"""
import test_a3_public as t
from probes_a3 import scripted_parse, transition_states

got = transition_states(t.SENTENCE, ["S", "S", "S", "LA", "RA", "RA"])["states"][1:]
assert got == [[w[0], w[1], [list(d) for d in w[2]]] for w in t.PARSE_THIS_SENTENCE], got
got = transition_states(["left", "arc"], ["S", "S", "LA"])["states"][-1]
assert got == [["ROOT", "arc"], [], [["arc", "left"]]], got
sentences = [["right", "arcs", "only"], ["right", "arcs", "only", "again"],
             ["left", "arcs", "only"], ["left", "arcs", "only", "again"], ["one"]]
for mode, want in t.WANTED.items():
    got = scripted_parse(sentences, 2, mode)["dependencies"]
    assert [sorted(map(tuple, d)) for d in got] == [sorted(w) for w in want], (mode, got)
print("published answers given")
"""


@pytest.mark.parametrize("assignment", ["a2", "a3"])
def test_the_cheats_give_the_published_answers(assignment, tmp_path):
    """What the cheats lose, they lose on the fresh variations: the published examples
    they answer right (before the variations, they earned the public points)."""
    cfg = configmod.load(assignment)
    cheat = cheat_folder(assignment, tmp_path / "cheat")
    path = os.pathsep.join([cheat, cfg.template_dir, cfg.tests_dir("public"), configmod.ROOT])
    script = PUBLISHED_A2 if assignment == "a2" else PUBLISHED_A3
    done = subprocess.run([sys.executable, "-c", script], cwd=cheat, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": path}, timeout=120)
    assert done.returncode == 0 and "published answers given" in done.stdout, done.stderr[-2000:]


@pytest.mark.parametrize("assignment", ["a2", "a3"])
def test_references_keep_full_public_marks(assignment, tmp_path, monkeypatch):
    cfg = configmod.load(assignment)
    seed = pin_seed(monkeypatch)
    res = grade(cfg.reference_dir, assignment=assignment, hidden=False, results_path=tmp_path / "r.json")
    lost = {t["number"]: t["output"][:300] for t in res["tests"] if t["score"] < t["max_score"]}
    assert not lost, (f"NLPGRADE_SEED={seed}", lost)
