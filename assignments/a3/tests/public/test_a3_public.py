"""Public checks for a3: the course's transition and minibatch checks, and model shapes.

Run them with `python -m autograder check` in your assignment folder.
"""
import numpy as np

from autograder.checks.arrays import call_text
from autograder.harness import SubmissionTestCase, graded
from probes_a3 import model_outputs, model_report, scripted_parse, transition_states

SENTENCE = ["parse", "this", "sentence"]
# Worked out by hand from the dummy models (see scripted_parse), sentence by sentence.
WANTED = {
    "unidirectional": [
        [("arcs", "only"), ("right", "arcs"), ("ROOT", "right")],
        [("only", "again"), ("arcs", "only"), ("right", "arcs"), ("ROOT", "right")],
        [("only", "arcs"), ("only", "left"), ("ROOT", "only")],
        [("again", "only"), ("again", "arcs"), ("again", "left"), ("ROOT", "again")],
        [("ROOT", "one")]],
    "interleaved": [
        [("right", "arcs"), ("right", "only"), ("ROOT", "right")],
        [("right", "arcs"), ("right", "only"), ("right", "again"), ("ROOT", "right")],
        [("arcs", "left"), ("only", "arcs"), ("ROOT", "only")],
        [("arcs", "left"), ("only", "arcs"), ("again", "only"), ("ROOT", "again")],
        [("ROOT", "one")]],
}


class TestParserPublic(SubmissionTestCase):
    def check_states(self, sentence, transitions, wanted):
        call = f"PartialParse({sentence!r}) then parse_step of {transitions}"
        got = self.student.probe(transition_states, sentence, transitions, what=call)
        for step, (state, want) in enumerate(zip(got["states"][1:], wanted), 1):
            self.assertEqual(
                [state[0], state[1], [tuple(d) for d in state[2]]], want,
                f"{call}: after {transitions[:step]} (stack, buffer, dependencies) are "
                f"{state[0]}, {state[1]}, {[tuple(d) for d in state[2]]}; wanted {want[0]}, {want[1]}, {want[2]}")

    @graded("1.1")
    def test_parse_step(self):
        """PartialParse.parse_step: shift, left-arc and right-arc on the course's examples"""
        self.check_states(["left", "arc"], ["S", "S", "LA"],
                          [[["ROOT", "left"], ["arc"], []], [["ROOT", "left", "arc"], [], []],
                           [["ROOT", "arc"], [], [("arc", "left")]]])
        self.check_states(["right", "arc"], ["S", "S", "RA"],
                          [[["ROOT", "right"], ["arc"], []], [["ROOT", "right", "arc"], [], []],
                           [["ROOT", "right"], [], [("right", "arc")]]])
        self.check_states(["shift"], ["S"], [[["ROOT", "shift"], [], []]])

    @graded("1.2")
    def test_parse_three_words(self):
        """PartialParse: a full parse of "parse this sentence" """
        transitions = ["S", "S", "S", "LA", "RA", "RA"]
        call = f"PartialParse({SENTENCE}).parse({transitions})"
        got = self.student.probe(transition_states, SENTENCE, transitions, what=call)
        stack, buffer, deps = got["states"][-1]
        self.assertEqual((stack, buffer), (["ROOT"], []), f"{call}: stack {stack}, buffer {buffer} at the end")
        self.assertEqual(sorted(tuple(d) for d in deps),
                         [("ROOT", "parse"), ("parse", "sentence"), ("sentence", "this")],
                         f"{call}: dependencies {deps}")
        self.assertEqual(got["sentence_after"], SENTENCE, f"{call} changed the sentence it was given")

    @graded("1.3")
    def test_minibatch_parse_dummy_models(self):
        """minibatch_parse: dummy models, unidirectional and interleaved, with a one-word sentence"""
        sentences = [["right", "arcs", "only"], ["right", "arcs", "only", "again"],
                     ["left", "arcs", "only"], ["left", "arcs", "only", "again"], ["one"]]
        for mode, sentence_deps in WANTED.items():
            call = call_text("minibatch_parse", sentences, f"<{mode} model>", 2)
            got = self.student.probe(scripted_parse, sentences, 2, mode, what=call)["dependencies"]
            self.assertEqual(len(got), len(sentences), f"{call}: {len(got)} results for {len(sentences)} sentences")
            for sentence, deps, want in zip(sentences, got, sentence_deps):
                self.assertEqual(sorted(tuple(d) for d in deps), sorted(want),
                                 f"{call}: the dependencies of {sentence} are {[tuple(d) for d in deps]}, "
                                 f"wanted {want}")

    @graded("1.4")
    def test_model_shapes(self):
        """ParserModel: parameter shapes, and embedding_lookup / forward shapes with zero embeddings"""
        report = self.student.probe(model_report, 100, 30, 36, 200, 0,
                                    what="ParserModel(np.zeros((100, 30)))")
        want = {"embed_to_hidden_weight": [1080, 200], "embed_to_hidden_bias": [200],
                "hidden_to_logits_weight": [200, 3], "hidden_to_logits_bias": [3]}
        for name, shape in want.items():
            self.assertEqual(report["parameters"].get(name), shape,
                             f"ParserModel(np.zeros((100, 30))).{name} has shape "
                             f"{report['parameters'].get(name)}, wanted {shape}")
        state = {"embeddings": np.zeros((100, 30), np.float32),
                 "embed_to_hidden_weight": np.zeros((1080, 200), np.float32),
                 "embed_to_hidden_bias": np.zeros(200, np.float32),
                 "hidden_to_logits_weight": np.zeros((200, 3), np.float32),
                 "hidden_to_logits_bias": np.zeros(3, np.float32)}
        words = np.random.default_rng(0).integers(100, size=(4, 36))
        x = self.student.probe(model_outputs, state, words, "embedding_lookup", what="embedding_lookup(w) for w of shape (4, 36)")
        self.assertEqual(np.shape(x), (4, 1080), f"embedding_lookup(w) for w of shape (4, 36) has shape {np.shape(x)}, wanted (4, 1080)")
        y = self.student.probe(model_outputs, state, words, "forward", what="forward(w) for w of shape (4, 36)")
        self.assertEqual(np.shape(y), (4, 3), f"forward(w) for w of shape (4, 36) has shape {np.shape(y)}, wanted (4, 3)")
