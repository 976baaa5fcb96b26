"""Public checks for a3: the course's transition and minibatch checks, and model shapes.

Each transition check runs on the course's example and on a fresh variation each run:
the same sentences with their words renamed at random (for minibatch_parse also in
another order and batch size), whose states and dependencies follow from the example's
by renaming, so that an answer hard-coded for the example fails. The model check uses
random weights and sizes. NLPGRADE_SEED=<seed> replays a run's variations.

Run them with `python -m autograder check` in your assignment folder.
"""
import numpy as np

from autograder.checks import structure
from autograder.describe import describe
from autograder.checks.arrays import call_text
from autograder.harness import SubmissionTestCase, graded
from probes_a3 import MODEL_HELPERS, fit_state, model_outputs, model_report, scripted_parse, transition_states

SENTENCE = ["parse", "this", "sentence"]
# After each of S, S, S, LA, RA, RA on SENTENCE, worked out by hand.
PARSE_THIS_SENTENCE = [
    [["ROOT", "parse"], ["this", "sentence"], []],
    [["ROOT", "parse", "this"], ["sentence"], []],
    [["ROOT", "parse", "this", "sentence"], [], []],
    [["ROOT", "parse", "sentence"], [], [("sentence", "this")]],
    [["ROOT", "parse"], [], [("sentence", "this"), ("parse", "sentence")]],
    [["ROOT"], [], [("sentence", "this"), ("parse", "sentence"), ("ROOT", "parse")]]]
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


def random_names(rng, n, avoid=("ROOT", "left")):
    """n distinct random words, none of `avoid` (ROOT is the parser's; the dummy models
    read "left")."""
    letters = list("abcdefghijklmnopqrstuvwxyz")
    names = set()
    while len(names) < n:
        word = "".join(rng.choice(letters, size=int(rng.integers(2, 8))))
        if word not in avoid:
            names.add(word)
    return [str(w) for w in rng.permutation(sorted(names))]


def renaming(rng, words, keep=()):
    """{word: a random new name} for the distinct `words`, but those in `keep` stay."""
    words = sorted(set(words) - set(keep))
    return {**dict(zip(words, random_names(rng, len(words)))), **{w: w for w in keep}}


def renamed(value, rename):
    """`value` (words in nested lists and tuples) with every word renamed ("ROOT" stays)."""
    if isinstance(value, str):
        return rename.get(value, value)
    return type(value)(renamed(v, rename) for v in value)


def parameter_shapes(n_tokens, dim, n_features, hidden):
    """The ParserModel parameters the handout asks for, as zero arrays of their shapes."""
    shapes = {"embeddings": (n_tokens, dim), "embed_to_hidden_weight": (n_features * dim, hidden),
              "embed_to_hidden_bias": (hidden,), "hidden_to_logits_weight": (hidden, 3),
              "hidden_to_logits_bias": (3,)}
    return {name: np.zeros(shape, np.float32) for name, shape in shapes.items()}


def expected_outputs(state, words):
    """embedding_lookup and forward (eval mode) as the handout defines them, computed here
    from the weights this side chose: row by row, for clarity, not speed."""
    s = {name: w.astype(np.float64) for name, w in state.items()}
    x = np.stack([np.concatenate([s["embeddings"][t] for t in row]) for row in words])
    h = np.maximum(x @ s["embed_to_hidden_weight"] + s["embed_to_hidden_bias"], 0)
    return x, h @ s["hidden_to_logits_weight"] + s["hidden_to_logits_bias"]


def random_weights(rng, n_tokens, dim, n_features, hidden):
    return {name: rng.standard_normal(z.shape).astype(np.float32) * (1.0 if name == "embeddings" else 0.3)
            for name, z in parameter_shapes(n_tokens, dim, n_features, hidden).items()}


def check_states(call, sentence, transitions, got, wanted, advice=""):
    """got: what transition_states returned; wanted: the (stack, buffer, dependencies)
    after each transition. The structure first (the keys, one state per transition, each
    three lists): an empty or short list of states fails. Then each state exactly.
    `advice`: said after a state that differs."""
    full = [[["ROOT"], list(sentence), []]] + [[list(w[0]), list(w[1]), [list(d) for d in w[2]]]
                                               for w in wanted]
    if not isinstance(got, dict) or set(got) != {"states", "sentence_after"} \
            or not isinstance(got["states"], (list, tuple)) or len(got["states"]) != len(full):
        structure.check(got, {"states": full, "sentence_after": list(sentence)}, call)
    for step, (state, want) in enumerate(zip(got["states"], full)):  # lengths are equal here
        if not (isinstance(state, (list, tuple)) and len(state) == 3):
            structure.check(state, want, call, name=f"the state after {transitions[:step]}")
        if [state[0], state[1], state[2]] != want:
            raise AssertionError(
                f"{call}: after {transitions[:step]} (stack, buffer, dependencies) are "
                f"{state[0]!r}, {state[1]!r}, {_pairs(state[2])}; wanted {want[0]}, {want[1]}, {_pairs(want[2])}"
                + (f": {advice}" if advice else ""))


def check_parameters(report, want, call):
    """model_report's reply against the parameters `want` ({name: zero array}): first a
    wanted one kept as a plain tensor is named as such, then the structure. Returns the
    report with its parameters in the handout's layout: a weight stored transposed or a
    bias of shape (1, h) is the student's own layout, as 2021 code had it (fit_state)."""
    tensors = report.get("tensors") if isinstance(report, dict) else None
    params = report.get("parameters") if isinstance(report, dict) else None
    if isinstance(tensors, dict) and isinstance(params, dict):
        plain = [n for n in want if n not in params and n in tensors]
        if plain:
            raise AssertionError(
                f"{call}: self.{plain[0]} is a plain tensor, not an nn.Parameter, so it is neither trained "
                "(model.parameters() leaves it out, and so does the optimizer) nor saved (state_dict()): "
                f"make it self.{plain[0]} = nn.Parameter(...)"
                + (f" (so are {', '.join('self.' + n for n in plain[1:])})" if len(plain) > 1 else ""))
    if isinstance(params, dict):
        try:
            fitted, _ = fit_state({k: v for k, v in params.items() if k in want},
                                  {k: np.shape(v) for k, v in want.items()})
        except (TypeError, ValueError):  # not arrays: the structure check says what came
            fitted = {}
        report = {**report, "parameters": {**params, **fitted}}
    shape = {"parameters": want, "dropout": "Dropout"}
    if isinstance(report, dict) and isinstance(tensors, dict):
        shape["tensors"] = tensors  # what it is is the check above's business
    structure.check(report, shape, call)
    return report


def check_again(call, sentence, transitions, got, wanted):
    """transition_states(..., again=True): the second PartialParse of the same list object
    must go through the same states as the first should. This, not the reply's
    "sentence_after" (a claim of the student's process), shows that parsing left the
    caller's list alone: a buffer that is the caller's list starts the second parse empty."""
    call = f"{call}, then a second PartialParse of the same list object and the same transitions"
    advice = "the first parse changed the sentence list it was given: make the buffer a copy"
    again = got.get("states_again") if isinstance(got, dict) else None
    if not (isinstance(again, (list, tuple)) and len(again) == len(transitions) + 1):
        raise AssertionError(f"{call}: the second parse gave {describe(again)}; wanted "
                             f"{len(transitions) + 1} states, as the first: {advice}")
    check_states(call, sentence, transitions, {"states": again, "sentence_after": list(sentence)}, wanted,
                 advice=advice)


def _pairs(deps):
    """Dependencies as (head, dependent) tuples for messages, whatever came back."""
    if isinstance(deps, (list, tuple)) and all(isinstance(d, (list, tuple)) for d in deps):
        return repr([tuple(d) for d in deps])
    return repr(deps)


class TestParserPublic(SubmissionTestCase):
    longMessage = False  # our messages say what differs; unittest's diffs only bury them
    def check_states(self, sentence, transitions, wanted):
        """The example, then the same with its words renamed at random (the states follow)."""
        rename = renaming(self.rng, sentence)
        for sentence, wanted in ((sentence, wanted), (renamed(sentence, rename), renamed(wanted, rename))):
            call = f"PartialParse({sentence!r}) then parse_step of {transitions}"
            got = self.student.probe(transition_states, sentence, transitions, what=call)
            check_states(call, sentence, transitions, got, wanted)

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
        """PartialParse: a full parse of "parse this sentence", and of the same sentence with
        its words renamed at random"""
        transitions = ["S", "S", "S", "LA", "RA", "RA"]
        rename = renaming(self.rng, SENTENCE)
        for sentence in (SENTENCE, renamed(SENTENCE, rename)):
            call = f"PartialParse({sentence}).parse({transitions})"
            got = self.student.probe(transition_states, sentence, transitions, True, what=call)
            if isinstance(got, dict) and isinstance(got.get("sentence_after"), list):  # the clearest message first
                self.assertEqual(got["sentence_after"], sentence, f"{call} changed the sentence it was given")
            wanted = PARSE_THIS_SENTENCE if sentence is SENTENCE else renamed(PARSE_THIS_SENTENCE, rename)
            # the claim above credits nothing alone: a second parse of the same list must be right
            check_again(call, sentence, transitions, got, wanted)
            got = {k: got[k] for k in ("states", "sentence_after") if k in got}
            check_states(call, sentence, transitions, got, wanted)
            stack, buffer, deps = got["states"][-1]
            self.assertEqual((stack, buffer), (["ROOT"], []), f"{call}: stack {stack}, buffer {buffer} at the end")
            self.assertEqual(sorted(tuple(d) for d in deps), sorted(tuple(d) for d in wanted[-1][2]),
                             f"{call}: dependencies {deps}")
            self.assertEqual(got["sentence_after"], sentence, f"{call} changed the sentence it was given")

    @graded("1.3")
    def test_minibatch_parse_dummy_models(self):
        """minibatch_parse: dummy models, unidirectional and interleaved, with a one-word
        sentence; and the same sentences with their words renamed at random (but "left",
        which the dummy models read), in a random order, in batches of a random size"""
        sentences = [["right", "arcs", "only"], ["right", "arcs", "only", "again"],
                     ["left", "arcs", "only"], ["left", "arcs", "only", "again"], ["one"]]
        # The dummy models' transitions depend on each parse's own state only, so each
        # sentence's dependencies do not depend on the order or the batch size.
        rename = renaming(self.rng, [w for s in sentences for w in s], keep=("left",))
        order = self.rng.permutation(len(sentences))
        cases = [(sentences, 2, WANTED),
                 ([renamed(sentences[i], rename) for i in order], int(self.rng.integers(1, 7)),
                  {mode: [renamed(deps[i], rename) for i in order] for mode, deps in WANTED.items()})]
        for sentences, batch_size, wanted in cases:
            self.check_minibatch_parse(sentences, batch_size, wanted)

    def check_minibatch_parse(self, sentences, batch_size, wanted):
        for mode, sentence_deps in wanted.items():
            call = call_text("minibatch_parse", sentences, f"<{mode} model>", batch_size)
            got = self.student.probe(scripted_parse, sentences, batch_size, mode, what=call)
            if not isinstance(got, dict):
                structure.check(got, {"dependencies": []}, call)  # fails: says a dict was wanted
            got = got.get("dependencies")
            structure.check(got, [[["w", "w"]] * len(want) for want in sentence_deps], call,
                            name="the dependencies")
            for sentence, deps, want in zip(sentences, got, sentence_deps):
                self.assertEqual(sorted(tuple(d) for d in deps), sorted(want),
                                 f"{call}: the dependencies of {sentence} are {[tuple(d) for d in deps]}, "
                                 f"wanted {want}")

    @graded("1.4")
    def test_model_shapes(self):
        """ParserModel: parameter shapes, and embedding_lookup / forward of random weights"""
        rng = np.random.default_rng(self.rng.integers(2**32))
        n_tokens, dim = int(rng.integers(60, 141)), int(rng.integers(20, 41))  # sizes vary too
        embeddings = rng.standard_normal((n_tokens, dim)).astype(np.float32)
        call = f"ParserModel(embeddings of shape ({n_tokens}, {dim}))"
        report = self.student.probe(model_report, embeddings, 36, 200, 0, what=call)
        report = check_parameters(report, parameter_shapes(n_tokens, dim, 36, 200), call)
        self.assertClose(report["parameters"]["embeddings"], embeddings, call, name="its embeddings parameter")
        # the shapes count only when the model computes with them: random weights, and the
        # values the handout defines, computed here
        state = random_weights(rng, n_tokens, dim, 36, 200)
        words = rng.integers(n_tokens, size=(4, 36))
        want_x, want_y = expected_outputs(state, words)
        for which, wanted in (("embedding_lookup", want_x), ("forward", want_y)):
            what = f"{which}(w) for w of shape (4, 36), random weights, eval mode"
            got = self.student.probe(model_outputs, state, words, which, helpers=MODEL_HELPERS, what=what)
            self.assertClose(got, wanted, what, rtol=1e-4, atol=1e-4)
