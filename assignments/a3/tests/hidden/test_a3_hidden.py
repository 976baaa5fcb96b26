"""Hidden checks for a3: random transitions and batches against the reference, the
model's parameters, initialisation and outputs, a short training run, and the UAS of the
submitted model.weights on held-out sentences.

The held-out gold heads are read here, in the trusted process; the sandbox gets only the
words and tags and sends back the heads it predicts.
"""
import os

import numpy as np

from autograder import data
from autograder.checks import timing
from autograder.checks.arrays import call_text
from autograder.harness import SubmissionTestCase, graded
from probes_a3 import (heldout_heads, lookup_timing, model_outputs, model_report, scripted_parse,
                       short_training, transition_states)

HELDOUT = "ud-english-ewt/en_ewt-ud-test.conllu"
LETTERS = list("abcdefghijklmnopqrstuvwxyz")


def random_words(rng, n):
    """n distinct made-up words."""
    words = set()
    while len(words) < n:
        words.add("".join(rng.choice(LETTERS, size=int(rng.integers(2, 7)))))
    return [str(w) for w in sorted(words, key=lambda w: rng.random())]


def legal_transitions(rng, n_words):
    """A random complete, legal arc-standard transition sequence for n_words words."""
    stack, buffer, out = 1, n_words, []
    while buffer or stack > 1:
        legal = (["S"] if buffer else []) + (["LA"] if stack > 2 else []) + (["RA"] if stack > 1 else [])
        choice = str(rng.choice(legal))
        out.append(choice)
        stack, buffer = (stack + 1, buffer - 1) if choice == "S" else (stack - 1, buffer)
    return out


def reference_util(name):
    """utils/<name>.py of the reference, loaded by path: the trusted process reads the gold
    with utils/conll.py and scores with utils/attachment.py (neither imports torch)."""
    import importlib.util

    ctx = SubmissionTestCase.context()
    path = os.path.join(ctx.assignment.reference_dir, "utils", name + ".py")
    spec = importlib.util.spec_from_file_location("_a3_" + name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def heldout_gold():
    """Words, tags and gold heads of the held-out sentences (word lines only)."""
    return [(s["word"], s["pos"], s["head"])
            for s in reference_util("conll").read_conll(data.path(HELDOUT))]


def attachment(pred, gold, tags):
    """(UAS, UAS without punctuation) in percent: the reference's scorer, pure Python."""
    scores = reference_util("attachment").attachment_scores(pred, gold, tags)
    return scores["uas"], scores["uas_no_punct"]


def random_state(rng, n_tokens, dim, n_features, hidden):
    return {"embeddings": rng.standard_normal((n_tokens, dim)).astype(np.float32),
            "embed_to_hidden_weight": (rng.standard_normal((n_features * dim, hidden)) * 0.1).astype(np.float32),
            "embed_to_hidden_bias": (rng.standard_normal(hidden) * 0.1).astype(np.float32),
            "hidden_to_logits_weight": (rng.standard_normal((hidden, 3)) * 0.1).astype(np.float32),
            "hidden_to_logits_bias": (rng.standard_normal(3) * 0.1).astype(np.float32)}


class TestParserHidden(SubmissionTestCase):
    @graded("2.1")
    def test_random_transition_sequences(self):
        """PartialParse.parse_step: random legal transition sequences against the reference"""
        for n in (1, 2, 5, 9, 14):
            sentence = random_words(self.rng, n)
            transitions = legal_transitions(self.rng, n)
            call = f"PartialParse({sentence}) then parse_step of {transitions}"
            want = self.reference_probe(transition_states, sentence, transitions)["states"]
            got = self.student.probe(transition_states, sentence, transitions, what=call)["states"]
            for step, (g, w) in enumerate(zip(got, want)):
                self.assertEqual(g, w, f"{call}: after {transitions[:step]} (stack, buffer, dependencies) "
                                       f"are {g}, wanted {w}")

    @graded("2.2")
    def test_partial_parse_leaves_the_sentence_alone(self):
        """PartialParse: parsing does not change the caller's sentence list"""
        sentence = random_words(self.rng, 6)
        transitions = legal_transitions(self.rng, 6)
        got = self.student.probe(transition_states, list(sentence), transitions,
                                 what=f"PartialParse({sentence})")
        self.assertEqual(got["sentence_after"], sentence,
                         f"PartialParse({sentence}) then {transitions} changed the sentence to "
                         f"{got['sentence_after']}: make the buffer a copy")

    @graded("2.3")
    def test_minibatch_parse_random(self):
        """minibatch_parse: batch sizes below and above the number of sentences, parses finishing
        at different times, results in input order (against the reference)"""
        sentences = [random_words(self.rng, int(self.rng.integers(1, 12))) for _ in range(9)]
        for batch_size in (1, 2, 4, 9, 30):
            for mode in ("interleaved", "mixed"):
                call = call_text("minibatch_parse", sentences, f"<{mode} model>", batch_size)
                want = self.reference_probe(scripted_parse, sentences, batch_size, mode)
                got = self.student.probe(scripted_parse, sentences, batch_size, mode, what=call)
                for i, (g, w) in enumerate(zip(got["dependencies"], want["dependencies"])):
                    self.assertEqual(sorted(map(tuple, g)), sorted(map(tuple, w)),
                                     f"{call}: sentence {i} {sentences[i]} got {g}, wanted {w}")
                self.assertEqual(len(got["dependencies"]), len(sentences),
                                 f"{call}: {len(got['dependencies'])} results for {len(sentences)} sentences")
                self.assertTrue(max(got["batches"]) <= batch_size,
                                f"{call}: the model was given {max(got['batches'])} parses at once")
                self.assertEqual(got["batches"][0], min(batch_size, len(sentences)),
                                 f"{call}: the first batch held {got['batches'][0]} parses, "
                                 f"wanted {min(batch_size, len(sentences))}")

    @graded("2.4")
    def test_minibatch_parse_leaves_its_input_alone(self):
        """minibatch_parse: the list of sentences and each sentence are unchanged"""
        sentences = [random_words(self.rng, int(self.rng.integers(2, 8))) for _ in range(5)]
        got = self.student.probe(scripted_parse, sentences, 2, "mixed",
                                 what=call_text("minibatch_parse", sentences, "<model>", 2))
        self.assertTrue(got["inputs_unchanged"],
                        "minibatch_parse changed the list of sentences it was given (or a sentence "
                        "in it): work on a copy")

    def report(self):
        if getattr(self, "_report", None) is None:
            self._report = self.student.probe(model_report, 500, 50, 36, 200, int(self.rng.integers(1000)),
                                              what="ParserModel(np.zeros((500, 50)))")
        return self._report

    @graded("2.5")
    def test_parameter_names_and_shapes(self):
        """ParserModel: parameter names and shapes (d=50, hidden 200)"""
        want = {"embeddings": [500, 50], "embed_to_hidden_weight": [1800, 200], "embed_to_hidden_bias": [200],
                "hidden_to_logits_weight": [200, 3], "hidden_to_logits_bias": [3]}
        got = self.report()["parameters"]
        self.assertEqual(got, want, f"ParserModel(np.zeros((500, 50))) has the parameters {got}, wanted {want}")
        self.assertEqual(self.report()["dropout"], "Dropout", "ParserModel.dropout should be an nn.Dropout")

    @graded("2.6")
    def test_xavier_uniform_initialisation(self):
        """ParserModel: both weight matrices Xavier-uniform: variance 2 / (fan_in + fan_out), bounded"""
        for name, (fan_in, fan_out), tolerance in (("embed_to_hidden_weight", (1800, 200), 0.05),
                                                   ("hidden_to_logits_weight", (200, 3), 0.2)):
            stats = self.report()["weights"].get(name)
            self.assertIsNotNone(stats, f"ParserModel has no {name}")
            var = 2.0 / (fan_in + fan_out)
            bound = (3 * var) ** 0.5
            self.assertLess(abs(stats["var"] / var - 1), tolerance,
                            f"{name} ({fan_in}x{fan_out}) has variance {stats['var']:.3g}; Xavier "
                            f"initialisation gives 2 / (fan_in + fan_out) = {var:.3g}")
            self.assertLessEqual(stats["max_abs"], bound * 1.0001,
                                 f"{name} has an entry of size {stats['max_abs']:.3g}, beyond the Xavier-"
                                 f"uniform bound {bound:.3g}: is it drawn from a normal distribution?")

    @graded("2.7")
    def test_no_linear_or_embedding_modules(self):
        """ParserModel: written without nn.Linear or nn.Embedding"""
        used = {"Linear", "Embedding"} & set(self.report()["modules"])
        self.assertFalse(used, f"ParserModel uses nn.{', nn.'.join(sorted(used))}: the assignment asks you "
                               "to write these layers with nn.Parameter")

    def compare_outputs(self, which):
        for n_tokens, dim, hidden, batch in ((40, 8, 16, 5), (300, 50, 200, 64)):
            state = random_state(self.rng, n_tokens, dim, 36, hidden)
            words = self.rng.integers(n_tokens, size=(batch, 36))
            call = f"{which}(w) with w of shape {words.shape} and random weights (d={dim}, hidden={hidden}, eval mode)"
            want = self.reference_probe(model_outputs, state, words, which)
            got = self.student.probe(model_outputs, state, words, which, what=call)
            self.assertClose(got, want, call, rtol=1e-4, atol=1e-5)

    @graded("2.8")
    def test_embedding_lookup_matches_reference(self):
        """ParserModel.embedding_lookup: equal to the reference's with the same weights"""
        self.compare_outputs("embedding_lookup")

    @graded("2.9")
    def test_forward_matches_reference(self):
        """ParserModel.forward: equal to the reference's with the same weights, in eval mode"""
        self.compare_outputs("forward")

    @graded("2.10")
    def test_embedding_lookup_speed(self):
        """ParserModel.embedding_lookup: vectorized (timed against the reference)"""
        limit = float(self.config.timing.get("max_ratio", 10))
        # Small embeddings and a large batch: a vectorized lookup costs little per row, so a
        # Python loop over the rows shows (about 15x), while vectorized variants stay near 1x.
        batch = int(self.config.timing.get("batch", 8192))
        dim = int(self.config.timing.get("dimension", 4))
        embeddings = self.rng.standard_normal((5000, dim)).astype(np.float32)
        words = self.rng.integers(5000, size=(2 * batch, 36)).astype(np.int64)  # each run: a window
        what = f"embedding_lookup on a batch of {batch} x 36 token ids (d={dim})"
        parts = [("rows of the result (4 drawn at random and the last)", 5 * 36 * dim)]
        result = timing.measure(self.student, self.reference, lookup_timing, embeddings, words,
                                limit=limit, what=what, parts=parts, trials=3)
        for line in result.notes:
            self.note(line)
        if result.ratio > limit:
            self.fail(f"{what} took {result.slower_text()} (limit {limit:g}x): index the embedding "
                      "matrix with the whole batch at once, no Python loop over the batch")

    @graded("2.11")
    def test_short_training_run_lowers_the_loss(self):
        """run.train: two epochs on 300 training sentences bring the training loss down"""
        bar = float(self.config.thresholds.get("short_training_loss", 0.6))
        call = "train(parser, <300 training sentences>, <100 dev sentences>, n_epochs=2, lr=0.0005)"
        got = self.student.probe(short_training, 300, 100, 2, int(self.rng.integers(1000)), what=call,
                                 timeout=120)
        self.assertLess(got["after"], bar,
                        f"{call}: the training loss went from {got['before']:.3f} to {got['after']:.3f}; "
                        f"wanted below {bar:g}. Does train_for_epoch call loss.backward() and "
                        "optimizer.step() on each minibatch?")

    @graded("2.12", partial=True, leaderboard=("UAS (held-out)", "desc"))
    def test_heldout_uas(self, set_score=None, set_leaderboard_value=None):
        """model.weights: unlabeled attachment score on held-out sentences"""
        if not os.path.isfile(os.path.join(self.student.workdir, "model.weights")):
            set_score(0)
            self.fail("model.weights is not in your submission: submit the file run.py saves "
                      "(the best dev checkpoint), next to your code")
        gold = heldout_gold()
        sentences = [{"word": w, "pos": p} for w, p, _ in gold]
        call = f"parsing {len(sentences)} held-out sentences with your model.weights"
        set_score(0)
        heads = self.student.probe(heldout_heads, sentences, what=call, timeout=240)
        if not isinstance(heads, list) or len(heads) != len(gold):
            self.fail(f"{call}: got {type(heads).__name__} of {len(heads) if hasattr(heads, '__len__') else '?'} "
                      f"head lists, wanted {len(gold)}")
        uas, uas_np = attachment(heads, [h for _, _, h in gold], [p for _, p, _ in gold])
        full, floor = float(self.config.thresholds["uas_full"]), float(self.config.thresholds["uas_floor"])
        points = self.config.points_for("2.12")
        share = min(1.0, max(0.0, (uas - floor) / (full - floor)))
        set_score(round(points * share, 2))
        set_leaderboard_value(round(uas, 2))
        self.note(f"UAS on {len(gold)} held-out sentences: {uas:.2f} (without punctuation {uas_np:.2f}); "
                  f"full credit at {full:g} or more, none at {floor:g} or less: {points * share:.2f}/{points}")
        if share < 1.0:
            self.fail(f"held-out UAS {uas:.2f} is below the {full:g} needed for full credit")
