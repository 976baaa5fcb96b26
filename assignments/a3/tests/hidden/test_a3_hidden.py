"""Hidden checks for a3: random transitions and batches against the reference, the
model's parameters, initialisation and outputs, a short training run, and the UAS of the
submitted model.weights on held-out sentences.

The held-out gold heads are read here, in the trusted process. The submission's sandbox
only reads model.weights and sends back its tensors; the reference's ParserModel and
parser predict the held-out heads from them, in the reference's sandbox.
"""
import os

import numpy as np

from autograder import data
from autograder.checks import source, structure, timing
from autograder.checks.arrays import call_text
from autograder.describe import describe
from autograder.harness import SubmissionTestCase, graded
from probes_a3 import (MODEL_HELPERS, chosen_sentences, fit_state, heldout_heads, lookup_timing,
                       model_gradients, model_outputs, model_report, scripted_parse, short_training,
                       submitted_weights, training_losses, training_start, transition_states)
from test_a3_public import check_again, check_parameters, check_states, parameter_shapes

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


# nn modules that create and initialise a layer's parameters themselves; the functional
# forms (F.linear, F.embedding) compute with the student's own parameters and are allowed
LAYER_MODULES = {"Linear", "LazyLinear", "Bilinear", "Embedding", "EmbeddingBag"}
REDUCED_TRAIN = 1000  # sentences in load_train_set(reduced=True)


def same_dependencies(got, want):
    """Each sentence's dependencies equal, in any order; False for anything malformed."""
    try:
        return len(got) == len(want) and all(sorted(map(tuple, g)) == sorted(map(tuple, w))
                                             for g, w in zip(got, want))
    except TypeError:
        return False


def random_state(rng, n_tokens, dim, n_features, hidden):
    return {"embeddings": rng.standard_normal((n_tokens, dim)).astype(np.float32),
            "embed_to_hidden_weight": (rng.standard_normal((n_features * dim, hidden)) * 0.1).astype(np.float32),
            "embed_to_hidden_bias": (rng.standard_normal(hidden) * 0.1).astype(np.float32),
            "hidden_to_logits_weight": (rng.standard_normal((hidden, 3)) * 0.1).astype(np.float32),
            "hidden_to_logits_bias": (rng.standard_normal(3) * 0.1).astype(np.float32)}


# the ParserModel's parameters, as the reference and the 2021 course name them
WEIGHT_NAMES = ("embeddings", "embed_to_hidden_weight", "embed_to_hidden_bias",
                "hidden_to_logits_weight", "hidden_to_logits_bias")
MAX_WEIGHT_BYTES = 40 * 1024 * 1024  # what goes on to the reference's sandbox (float32)

# how a student gets a model.weights the grader can use (also for instructors grading
# the reference folder, which holds none until it is trained)
HOW_TO_TRAIN = ("run `python run.py --output model.weights` in your assignment folder (not with -d: debug "
                "mode trains on a smaller vocabulary), and submit that file next to your code; it takes "
                "about 8 minutes on 2 cores. (In the nlpgrade checkout, for the reference: `make vectors` "
                "once, then `cd solutions/a3 && ../../.venv/bin/python run.py --output model.weights`.)")


def in_reference_layout(reply, want, call, name):
    """The arrays `reply` ({name: array}, in the layout of the student's model) laid out as
    the reference's arrays `want` (fit_state: a (1, h) bias, a transposed weight); fails
    with a message when a key, a kind of value or a size is wrong."""
    if not (isinstance(reply, dict) and set(reply) == set(want)
            and all(isinstance(v, np.ndarray) and v.dtype.kind in "biuf" for v in reply.values())):
        structure.check(reply, want, call, name=name)  # says what is wrong, or it is in want's shapes
    fitted, problems = fit_state(reply, {k: np.shape(v) for k, v in want.items()})
    if problems:
        raise AssertionError(f"{call}: {name}: {'; '.join(problems)}")
    return fitted


def no_gradient(name, is_parameter, frozen=False):
    """What it means that the loss has no gradient with respect to self.<name>."""
    if frozen and is_parameter:
        return (f"self.{name} has requires_grad=False: the loss has no gradient with respect to it, so "
                f"it is never trained; leave requires_grad at its default (nn.Parameter(...) without "
                "requires_grad=False, and no .requires_grad_(False))")
    if not is_parameter:
        return (f"self.{name} is a plain tensor, not an nn.Parameter: the loss has no gradient with "
                "respect to it, so it is never trained (nor saved in the state_dict); make it "
                f"self.{name} = nn.Parameter(...)")
    if name == "embeddings":
        return ("embedding_lookup detaches the embeddings (.detach(), .data, .tolist() or numpy): the loss "
                "has no gradient with respect to self.embeddings, so they are never trained; index the "
                "tensor self.embeddings itself (torch.index_select, or self.embeddings[w])")
    return (f"no gradient of the loss reaches self.{name}: forward computes with it through .detach(), "
            ".data, .tolist() or numpy, so it is never trained; compute with the tensor itself")


def submitted_state(reply, fail):
    """The parameters in what the submission's process sent back from model.weights:
    numeric arrays under WEIGHT_NAMES, finite, as float32. Anything else fails here
    (`fail`, the test's), with a message, before the reference's sandbox gets it."""
    def unfit(why):
        fail(f"reading your model.weights: {why}")

    if not isinstance(reply, dict) or not all(isinstance(k, str) for k in reply):
        unfit("what came back is not a state_dict's {name: tensor}")
    missing = [n for n in WEIGHT_NAMES if n not in reply]
    if missing:
        others = ", ".join(repr(k[:60]) for k in sorted(reply)[:12]) or "nothing"
        unfit(f"model.weights does not fit the grader's parser (the reference's ParserModel): it has no "
              f"{', '.join(map(repr, missing))} (it has: {others}); wanted the parameters "
              f"{', '.join(WEIGHT_NAMES)} of the ParserModel run.py trains")
    state = {}
    for name in WEIGHT_NAMES:
        value = reply[name]
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf" or not 1 <= value.ndim <= 2:
            unfit(f"{name!r} in model.weights is not a vector or matrix of numbers")
        value = value.astype(np.float32)
        if not np.isfinite(value).all():
            unfit(f"{name!r} in model.weights holds NaN or infinite values: the training diverged")
        state[name] = value
    size = sum(v.nbytes for v in state.values())
    if size > MAX_WEIGHT_BYTES:
        unfit(f"the parameters in model.weights take {size / 2**20:.0f} MiB, over the "
              f"{MAX_WEIGHT_BYTES / 2**20:.0f} MiB the grader parses with")
    return state


class TestParserHidden(SubmissionTestCase):
    longMessage = False  # our messages say what differs; unittest's diffs only bury them
    @graded("2.1")
    def test_random_transition_sequences(self):
        """PartialParse.parse_step: random legal transition sequences against the reference"""
        for n in (1, 2, 5, 9, 14):
            sentence = random_words(self.rng, n)
            transitions = legal_transitions(self.rng, n)
            call = f"PartialParse({sentence}) then parse_step of {transitions}"
            self.check_states_match(sentence, transitions, call)

    def check_states_match(self, sentence, transitions, call):
        """The student's states after each transition equal the reference's (structure first)."""
        want = self.reference_probe(transition_states, sentence, transitions)["states"]
        got = self.student.probe(transition_states, list(sentence), transitions, what=call)
        check_states(call, sentence, transitions, got, want[1:])
        return got

    @graded("2.2")
    def test_partial_parse_leaves_the_sentence_alone(self):
        """PartialParse: parsing does not change the caller's sentence list"""
        sentence = random_words(self.rng, 6)
        transitions = legal_transitions(self.rng, 6)
        call = f"PartialParse({sentence}) then parse_step of {transitions}"
        got = self.student.probe(transition_states, list(sentence), transitions, True, what=call)
        if isinstance(got, dict) and isinstance(got.get("sentence_after"), list):
            self.assertEqual(got["sentence_after"], sentence,
                             f"{call} changed the sentence to {got['sentence_after']}: make the buffer a copy")
        # the reply above is a claim: what counts is that a second PartialParse of the same
        # list object, in the same call, parses as the reference does (and the first too)
        self.check_states_match(sentence, transitions, call)
        want = self.reference_probe(transition_states, sentence, transitions)["states"]
        check_again(call, sentence, transitions, got, want[1:])

    @graded("2.3")
    def test_minibatch_parse_random(self):
        """minibatch_parse: batch sizes below and above the number of sentences, parses finishing
        at different times, results in input order (against the reference)"""
        sentences = [random_words(self.rng, int(self.rng.integers(1, 12))) for _ in range(9)]
        for batch_size in (1, 2, 4, 9, 30):
            for mode in ("interleaved", "mixed", "batched"):
                call = call_text("minibatch_parse", sentences, f"<{mode} model>", batch_size)
                if mode == "batched":  # what credits the batching: the batch sizes below are claims
                    self.check_parse_matches(sentences, batch_size, mode, call, advice=(
                        "with the same sentences, a model that does not watch how it is asked gives "
                        "the reference's parses, so the batching differs from the handout's: this model "
                        "answers differently from the first call whose batch is not the first "
                        "min(batch_size, len(sentences)) parses, holds more than batch_size parses, or "
                        "asks again about a parse before its last transition was applied"))
                    continue
                got = self.check_parse_matches(sentences, batch_size, mode, call)
                batches = got["batches"]
                # a parse of n words takes 2n transitions, each asked of the model once
                asked = sum(2 * len(s) for s in sentences)
                self.assertEqual(sum(batches), asked,
                                 f"{call}: the model was asked for {sum(batches)} transitions in all; "
                                 f"parsing these sentences takes {asked} (2 per word), so some parse "
                                 "was asked twice or never")
                self.assertTrue(max(batches) <= batch_size,
                                f"{call}: the model was given {max(batches)} parses at once")
                self.assertEqual(batches[0], min(batch_size, len(sentences)),
                                 f"{call}: the first batch held {batches[0]} parses, "
                                 f"wanted {min(batch_size, len(sentences))}")

    def check_parse_matches(self, sentences, batch_size, mode, call, again=False, advice=None):
        """minibatch_parse's dependencies equal the reference's (structure first); returns
        what the student's probe sent back, its structure checked. `again`: so do those of a
        second call on the same list object. `advice`: what a difference means."""
        want = self.reference_probe(scripted_parse, sentences, batch_size, mode)
        got = self.student.probe(scripted_parse, sentences, batch_size, mode, again, what=call)
        shape = dict(want)
        for key in ("batches", "sentences_after"):  # how many batches is the submission's affair,
            if isinstance(got, dict) and isinstance(got.get(key), list):  # the inputs are 2.4's
                shape[key] = got[key]
        if again and isinstance(got, dict) and "dependencies_again" in got:
            shape["dependencies_again"] = got["dependencies_again"]  # checked below, with its own message
        structure.check(got, shape, call)
        for i, (g, w) in enumerate(zip(got["dependencies"], want["dependencies"])):  # lengths checked
            self.assertEqual(sorted(map(tuple, g)), sorted(map(tuple, w)),
                             f"{call}: sentence {i} {sentences[i]} got {g}, wanted {w}"
                             + (f"; {advice}" if advice else ""))
        if again and not same_dependencies(got.get("dependencies_again"), want["dependencies"]):
            self.fail(f"{call}, then minibatch_parse again on the same list object (a fresh model): the "
                      f"second call gave {describe(got.get('dependencies_again'))}, wanted {want['dependencies']} "
                      "as the first time. The first call changed the list of sentences it was given (or a "
                      "sentence in it): work on a copy")
        batches = got["batches"]
        if not batches or not all(isinstance(b, int) and not isinstance(b, bool) for b in batches):
            self.fail(f"{call}: the model was never asked for a transition, or the batch sizes "
                      f"{batches!r} are not counts")
        return got

    @graded("2.4")
    def test_minibatch_parse_leaves_its_input_alone(self):
        """minibatch_parse: the list of sentences and each sentence are unchanged"""
        # lengths all different, so the parses of a batch finish at different times
        sentences = [random_words(self.rng, int(n)) for n in self.rng.permutation(np.arange(2, 9))[:5]]
        call = call_text("minibatch_parse", sentences, "<model>", 2)
        got = self.check_parse_matches(sentences, 2, "mixed", call, again=True)
        # a claim of the student's process, for the message: what counts is the second call above
        self.assertEqual(got["sentences_after"], sentences,
                         f"{call} changed the list of sentences it was given (or a sentence in it): "
                         "work on a copy")

    MODEL_CALL = "ParserModel(embeddings of shape (500, 50), n_features=36, hidden_size=200)"

    def parameters(self):
        """The parameters of the student's freshly built ParserModel, as arrays, their names
        and shapes checked here; credited only when forward matches the reference."""
        embeddings = self.rng.standard_normal((500, 50)).astype(np.float32)
        report = self.student.probe(model_report, embeddings, 36, 200, int(self.rng.integers(1000)),
                                    what=self.MODEL_CALL)
        report = check_parameters(report, parameter_shapes(500, 50, 36, 200), self.MODEL_CALL)
        params = report["parameters"]
        for name, value in params.items():
            if not np.isfinite(np.asarray(value, dtype=float)).all():
                self.fail(f"{self.MODEL_CALL}: its parameter {name} holds NaN or infinite values")
        self.assertClose(params["embeddings"], embeddings, self.MODEL_CALL, name="its embeddings parameter")
        # Parameters that come back are a claim; they count only for a model whose forward
        # computes the right thing, on weights chosen here (not the student's own: all-zero
        # weights would make forward trivially zero).
        state = random_state(self.rng, 40, 8, 36, 16)
        words = self.rng.integers(40, size=(5, 36))
        call = (f"forward(w) with w of shape {words.shape} and random weights (d=8, hidden=16, eval mode); "
                "ParserModel's parameters count only when forward matches the reference")
        want_y = self.reference_probe(model_outputs, state, words, "forward", helpers=MODEL_HELPERS)
        got_y = self.student.probe(model_outputs, state, words, "forward", helpers=MODEL_HELPERS, what=call)
        self.assertClose(got_y, want_y, call, rtol=1e-4, atol=1e-5)
        return report

    @graded("2.5")
    def test_parameter_names_and_shapes(self):
        """ParserModel: parameter names and shapes (d=50, hidden 200), and an nn.Dropout"""
        report = self.parameters()
        self.assertEqual(report["dropout"], "Dropout", "ParserModel.dropout should be an nn.Dropout")
        found = self.source_uses({"Dropout"}, hidden_code=False)
        self.assertTrue(found, "parser_model.py never creates an nn.Dropout: ParserModel.dropout should be "
                               "one (self.dropout = nn.Dropout(p=dropout_prob))")

    @graded("2.6")
    def test_xavier_uniform_initialisation(self):
        """ParserModel: both weight matrices Xavier-uniform: variance 2 / (fan_in + fan_out), bounded"""
        params = self.parameters()["parameters"]
        for name, (fan_in, fan_out), tolerance in (("embed_to_hidden_weight", (1800, 200), 0.05),
                                                   ("hidden_to_logits_weight", (200, 3), 0.2)):
            w = np.asarray(params[name], dtype=np.float64)  # statistics computed here, not claimed
            var = 2.0 / (fan_in + fan_out)
            bound = (3 * var) ** 0.5
            self.assertLess(abs(w.var() / var - 1), tolerance,
                            f"{name} ({fan_in}x{fan_out}) has variance {w.var():.3g}; Xavier "
                            f"initialisation gives 2 / (fan_in + fan_out) = {var:.3g}")
            self.assertLessEqual(np.abs(w).max(), bound * 1.0001,
                                 f"{name} has an entry of size {np.abs(w).max():.3g}, beyond the Xavier-"
                                 f"uniform bound {bound:.3g}: is it drawn from a normal distribution?")
            self.assertLess(abs(w.mean()), 5 * (var / w.size) ** 0.5 + 1e-12,
                            f"{name} has mean {w.mean():.3g}; Xavier-uniform weights are centred on 0")

    def source_uses(self, names, hidden_code=True):
        """Uses of torch `names` in the submitted parser_model.py (and the submitted files it
        imports), read here from the files as submitted. `hidden_code`: keep the places
        that hide code from the reading."""
        sources = self.submitted_sources("parser_model.py")
        try:
            found = source.forbidden_uses(sources, "parser_model.py", names)
        except source.Unreadable as exc:
            self.fail(str(exc))
        return [u for u in found if u.name or hidden_code]

    @graded("2.7")
    def test_no_linear_or_embedding_modules(self):
        """ParserModel: written without nn.Linear or nn.Embedding"""
        found = self.source_uses(LAYER_MODULES)
        if found:
            advice = ("the assignment asks you to write these layers with nn.Parameter "
                      "(a weight matrix and a bias, or the embedding matrix, indexed)")
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            self.fail(found[0].message(advice) + more)
        self.parameters()  # the rule counts only for a model that computes the right thing

    def compare_outputs(self, which):
        for n_tokens, dim, hidden, batch in ((40, 8, 16, 5), (300, 50, 200, 64)):
            state = random_state(self.rng, n_tokens, dim, 36, hidden)
            words = self.rng.integers(n_tokens, size=(batch, 36))
            call = f"{which}(w) with w of shape {words.shape} and random weights (d={dim}, hidden={hidden}, eval mode)"
            want = self.reference_probe(model_outputs, state, words, which, helpers=MODEL_HELPERS)
            got = self.student.probe(model_outputs, state, words, which, helpers=MODEL_HELPERS, what=call)
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
        what = f"embedding_lookup on a batch of {batch} x 36 token ids (d={dim})"
        # each run draws its own ids, and its fingerprint covers every row of the result
        parts = [("the shape of the result", 2),
                 ("the projection of a row of the result on a random vector (row number in brackets)", batch)]
        result = timing.measure(self.student, self.reference, lookup_timing, embeddings, batch, 36,
                                limit=limit, what=what, parts=parts, trials=3)
        for line in result.notes:
            self.note(line)
        if result.ratio > limit:
            self.fail(f"{what} took {result.slower_text()} (limit {limit:g}x): index the embedding "
                      "matrix with the whole batch at once, no Python loop over the batch")

    @graded("2.11")
    def test_short_training_run_lowers_the_loss(self):
        """run.train: two epochs on 300 training sentences bring the training loss down"""
        # The share of the starting loss that training must remove, measured as a share so
        # that it does not depend on how far the random start happens to be (the
        # reference removes about two thirds; without optimizer.step() nothing moves).
        drop = float(self.config.thresholds.get("short_training_drop", 0.5))
        # and a ceiling well below what predicting the transitions' frequencies alone gives
        # (about 1.04: half shifts, a quarter of each arc), which needs no training
        ceiling = float(self.config.thresholds.get("short_training_loss", 0.8))
        # sentences this side picks; the weights to start from, the evaluation and the
        # loss are the reference's: only the trained weights come from the submission
        ids = [int(i) for i in self.rng.permutation(REDUCED_TRAIN)[:400]]
        train_ids, dev_ids = ids[:300], ids[300:]
        seed = int(self.rng.integers(1000))
        start = self.reference_probe(training_start, train_ids, seed, helpers=(chosen_sentences,))
        call = ("train(parser, <300 training sentences>, <100 dev sentences>, n_epochs=2, lr=0.0005) "
                "from a ParserModel holding the grader's initial weights")
        trained = self.student.probe(short_training, train_ids, dev_ids, start, 2, seed,
                                     helpers=(chosen_sentences, *MODEL_HELPERS), what=call, timeout=120)
        trained = in_reference_layout(trained, start, call, "the weights in parser.model after training")
        before, after = self.reference_probe(training_losses, train_ids, [start, trained],
                                             helpers=(chosen_sentences,))
        wanted = min(before * (1 - drop), ceiling)
        if not after < wanted:
            self.fail(f"{call}: the training loss of the weights it left in parser.model, computed by "
                      f"the grader with the reference ParserModel, went from {before:.3f} to {after:.3f}; "
                      f"wanted below {wanted:.3f} ({1 - drop:g} of where it started, at most {ceiling:g}). Does "
                      "train_for_epoch call loss.backward() and optimizer.step() on each minibatch? (If "
                      "embedding_lookup or forward fail their own tests, fix them first: the weights are "
                      "evaluated with the reference's.)")
        self.note(f"training loss of the weights train left, computed by the grader: {before:.3f} "
                  f"before, {after:.3f} after (wanted below {wanted:.3f})")

    @graded("2.12", partial=True, leaderboard=("UAS (held-out)", "desc"))
    def test_heldout_uas(self, set_score=None, set_leaderboard_value=None):
        """model.weights: unlabeled attachment score on held-out sentences"""
        if not os.path.isfile(os.path.join(self.student.workdir, "model.weights")):
            set_score(0)
            self.fail("model.weights is not in your submission, so there is nothing to parse the held-out "
                      f"sentences with. To make it: {HOW_TO_TRAIN}")
        set_score(0)
        # The submission's process only reads its weights and sends them back; the
        # reference's ParserModel and parser predict the heads, in the reference's
        # sandbox, and the gold stays here: nothing the submission runs sees the sentences.
        reply = self.student.probe(submitted_weights, what="reading your model.weights", timeout=120)
        state = submitted_state(reply, self.fail)
        gold = heldout_gold()
        sentences = [{"word": w, "pos": p} for w, p, _ in gold]
        parsed = self.reference_probe(heldout_heads, state, sentences, helpers=(fit_state,), timeout=240)
        if "unfit" in parsed:
            self.fail("model.weights does not fit the grader's parser (the reference's ParserModel, "
                      f"holding your weights, parses the held-out sentences): {parsed['unfit']}. "
                      f"Submit the state_dict of the ParserModel run.py trains: {HOW_TO_TRAIN}")
        heads = [[int(h) for h in sentence] for sentence in parsed["heads"]]
        uas, uas_np = attachment(heads, [h for _, _, h in gold], [p for _, p, _ in gold])
        full, floor = float(self.config.thresholds["uas_full"]), float(self.config.thresholds["uas_floor"])
        points = self.config.points_for("2.12")
        share = min(1.0, max(0.0, (uas - floor) / (full - floor)))
        set_score(round(points * share, 2))
        set_leaderboard_value(round(uas, 2))
        self.note(f"UAS on {len(gold)} held-out sentences: {uas:.2f} (without punctuation {uas_np:.2f}), "
                  f"parsed by the reference's parser with your weights; full credit at {full:g} or "
                  f"more, none at {floor:g} or less: {points * share:.2f}/{points}")
        if share < 1.0:
            self.fail(f"held-out UAS {uas:.2f} is below the {full:g} needed for full credit")

    @graded("2.13")
    def test_gradients_reach_every_parameter(self):
        """ParserModel: the loss has a gradient with respect to every parameter, the embeddings
        included, equal to the reference's"""
        # The student's process returns its gradients for weights and a loss chosen here; the
        # reference's for the same are the facts: a right gradient needs it computed.
        state = random_state(self.rng, 40, 8, 36, 16)
        words = self.rng.integers(40, size=(6, 36))
        upstream = self.rng.standard_normal((6, 3)).astype(np.float32)
        call = ("the gradients of sum(R * forward(w)) (R random, w of shape (6, 36), random weights, "
                "d=8, hidden=16, eval mode)")
        want = self.reference_probe(model_gradients, state, words, upstream, helpers=MODEL_HELPERS)
        got = self.student.probe(model_gradients, state, words, upstream, helpers=MODEL_HELPERS, what=call)
        if not isinstance(got, dict) or set(got) != set(want):
            structure.check(got, want, call)
        structure.check(got["output"], want["output"], call, name="forward's result")
        grads = in_reference_layout(got["gradients"], want["gradients"], call, "the gradients")
        # what the student's process says of its tensors only chooses the advice
        parameters = got["parameters"] if isinstance(got["parameters"], list) else []
        frozen = got["frozen"] if isinstance(got["frozen"], list) else []
        for name in WEIGHT_NAMES:
            if np.any(want["gradients"][name]) and not np.any(grads[name]):
                self.fail(f"{call}: {no_gradient(name, name in parameters, name in frozen)}")
        self.assertClose(got["output"], want["output"], call, rtol=1e-4, atol=1e-5,
                         name="forward's result (the gradients count only when forward matches the reference's)")
        for name in WEIGHT_NAMES:
            self.assertClose(grads[name], want["gradients"][name], call, rtol=1e-4, atol=1e-5,
                             name=f"the gradient with respect to self.{name}")
