"""Hidden checks for a4: pad_sents, encode, decode and step against the reference with
weights and ragged batches drawn here, the attention mask, dropout, gradients, the
modules the handout fixes, the embeddings' padding_idx, and the speed of step.

Sizes are small and never square by accident (embed 5, hidden 7, 23 source and 19
target pieces), so that a transposed weight or a swapped concatenation cannot pass. A
test that loads weights loads only those of the functions it calls: a wrong encoder
costs the tests of encode, not those of step.
"""
import numpy as np

from autograder.checks import structure, timing
from autograder.describe import describe
from autograder.harness import SubmissionTestCase, graded
from a4_inputs import PAD, masks, padded_ids, random_lengths, random_state
from probes_a4 import MODEL_HELPERS, decode_outputs, encode_outputs, step_outputs
from probes_a4_hidden import (embedding_gradients, forward_gradients, module_report, padded_twice,
                              step_timing)

SIZES = {"embed": 5, "hidden": 7, "src_vocab": 23, "tgt_vocab": 19, "dropout": 0.0}
SIZES_TEXT = "embed 5, hidden 7, 23 source and 19 target pieces"
PIECES = ["\u2581Ein", "\u2581Mann", "\u2581f\u00e4hrt", "\u2581Rad", ".", "s", "\u2581im", "\u2581Park",
          "\u2581zwei", "\u2581Hunde", "en", "\u2581", "<unk>"]
# no empty batch: the course never pads one, and 2021 code's max(len(s) for s in sents)
# raises on it (2021 submissions must keep their points)
PAD_CASES_EMPTY = False

# the weights each function uses (the reference's state_dict names)
ENCODE_WEIGHTS = ("model_embeddings.source.", "encoder.", "h_projection.", "c_projection.")
STEP_WEIGHTS = ("decoder.", "att_projection.", "combined_output_projection.")
DECODE_WEIGHTS = ("model_embeddings.target.",) + STEP_WEIGHTS

TOL = {"rtol": 1e-4, "atol": 1e-5}
STEP_NAMES = ("dec_state", "combined_output", "e_t")


def subset(state, prefixes):
    return {k: v for k, v in state.items() if k.startswith(prefixes)}


def uniform(rng, shape):
    return (rng.standard_normal(shape) * 0.5).astype(np.float32)


def encoder_states(rng, lengths, hidden):
    """(b, src_len, 2h) encoder states, zero at padded positions (as encode leaves them)."""
    enc = uniform(rng, (len(lengths), max(lengths), 2 * hidden))
    return enc * (1 - masks(lengths, max(lengths)))[:, :, None]


def shape_text(a):
    return "x".join(str(n) for n in np.shape(a))


def softmax_rows(e):
    """Softmax over each row, -inf giving weight 0 (computed here, not by the submission)."""
    e = np.asarray(e, dtype=float)
    top = np.max(np.where(np.isfinite(e), e, -np.inf), axis=1, keepdims=True)
    w = np.exp(e - top)
    return w / w.sum(axis=1, keepdims=True)


class TestNMTHidden(SubmissionTestCase):
    longMessage = False  # our messages say what differs; unittest's diffs only bury them

    # ----- 2.1 -----------------------------------------------------------------------------
    @graded("2.1")
    def test_pad_sents_random(self):
        """utils.pad_sents: random ragged batches of ids and of pieces, padded at the end"""
        cases = []
        for n in (1, 2, 5, 8):
            lengths = self.rng.integers(1, 9, size=n).tolist()  # not sorted: target batches are not
            if n > 1 and len(set(lengths)) == 1:
                lengths[-1] = lengths[-1] % 8 + 1
            ids = [self.rng.integers(4, 200, size=k).tolist() for k in lengths]
            words = [[str(w) for w in self.rng.choice(PIECES, size=k)] for k in lengths]
            cases += [(ids, 0, 99), (words, "<pad>", "<blank>")]
        if PAD_CASES_EMPTY:
            cases.append(([], 0, 99))
        for sents, pad_a, pad_b in cases:
            call = f"pad_sents({sents}, {pad_a!r})"
            longest = max((len(s) for s in sents), default=0)
            want_a = [s + [pad_a] * (longest - len(s)) for s in sents]
            got = self.student.probe(padded_twice, [list(s) for s in sents], pad_a, pad_b, what=call)
            if not isinstance(got, dict) or set(got) != {"first", "after", "second"}:  # a grader bug, or forged
                self.fail(f"{call}: the grader's probe sent back {describe(got)}, not what it sends")
            structure.check_matches(got["first"], want_a, call)
            # only the first result counts: padding the caller's lists in place is allowed, 2021
            # code did it (s.extend) and nothing the course runs reuses a list after padding it

    # ----- 2.2-2.4 ---------------------------------------------------------------------------
    def check_encode(self, state, batch, longest):
        lengths = random_lengths(self.rng, batch, longest)
        ids = padded_ids(self.rng, lengths, SIZES["src_vocab"])
        call = (f"encode(source_padded of shape {ids.shape}, source_lengths={lengths}) with the grader's "
                f"weights ({SIZES_TEXT}, eval mode)")
        self.assertMatchesReference(encode_outputs, SIZES, subset(state, ENCODE_WEIGHTS), ids, lengths,
                                    what=call, helpers=MODEL_HELPERS, **TOL)

    @graded("2.2")
    def test_encode_matches_reference(self):
        """NMT.encode: equal to the reference's with the same weights, on ragged batches"""
        state = random_state(self.rng, SIZES)
        for batch, longest in ((6, 9), (3, 4), (1, 5)):
            self.check_encode(state, batch, longest)

    @graded("2.3")
    def test_decode_matches_reference(self):
        """NMT.decode: equal to the reference's with the same weights, on ragged batches"""
        state = subset(random_state(self.rng, SIZES), DECODE_WEIGHTS)
        h = SIZES["hidden"]
        for batch, src_longest, tgt_longest in ((5, 8, 7), (2, 3, 4)):
            lengths = random_lengths(self.rng, batch, src_longest)
            enc = encoder_states(self.rng, lengths, h)
            enc_masks = masks(lengths, src_longest)
            init = [uniform(self.rng, (batch, h)), uniform(self.rng, (batch, h))]
            tgt_lengths = self.rng.permutation(random_lengths(self.rng, batch, tgt_longest, shortest=2)).tolist()
            target = padded_ids(self.rng, tgt_lengths, SIZES["tgt_vocab"], wrap=True)
            call = (f"decode(enc_hiddens of shape {enc.shape}, enc_masks for source lengths {lengths}, "
                    f"dec_init_state, target_padded of shape {target.shape} (target lengths {tgt_lengths})) "
                    f"with the grader's weights ({SIZES_TEXT}, eval mode)")
            try:
                self.assertMatchesReference(decode_outputs, SIZES, state, enc, enc_masks, init, target,
                                            what=call, helpers=MODEL_HELPERS, **TOL)
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n(decode calls self.step at every target position: if step "
                                     "fails 2.4, fix it first)") from None

    def step_inputs(self, state, batch, longest, with_masks=True):
        e, h = SIZES["embed"], SIZES["hidden"]
        lengths = random_lengths(self.rng, batch, longest)
        enc = encoder_states(self.rng, lengths, h)
        # the projection step is given is att_projection's of enc_hiddens, as decode makes it
        proj = (enc @ state["att_projection.weight"].T).astype(np.float32)
        enc_masks = masks(lengths, longest) if with_masks else None
        args = (uniform(self.rng, (batch, e + h)), [uniform(self.rng, (batch, h)), uniform(self.rng, (batch, h))],
                enc, proj, enc_masks)
        call = (f"step(Ybar_t of shape {args[0].shape}, dec_state, enc_hiddens of shape {enc.shape}, "
                f"enc_hiddens_proj, " + (f"enc_masks for source lengths {lengths})" if with_masks
                                         else "enc_masks=None)")
                + f" with the grader's weights ({SIZES_TEXT}")
        return args, lengths, call

    def step_both(self, sizes, state, args, call, **kwargs):
        """step's results on both sides (the student's structure checked)."""
        want = self.reference_probe(step_outputs, sizes, state, *args, helpers=MODEL_HELPERS, **kwargs)
        got = self.student.probe(step_outputs, sizes, state, *args, helpers=MODEL_HELPERS, what=call, **kwargs)
        structure.check(got, want, call)
        return got, want

    def check_padded_scores(self, got_e, lengths, call):
        """e_t is -inf at every padded position."""
        e_t = np.asarray(got_e, dtype=float)
        for i, n in enumerate(lengths):
            if n < e_t.shape[1] and not np.all(np.isneginf(e_t[i, n:])):
                self.fail(f"{call}: e_t[{i}] (a sentence of {n} pieces) is {describe(e_t[i])}; its padded "
                          f"positions {n}..{e_t.shape[1] - 1} should be -inf, so that the softmax gives them "
                          "weight 0: mask the scores with enc_masks (e_t.masked_fill(enc_masks.bool(), "
                          "-float('inf'))) before the softmax")

    @graded("2.4")
    def test_step_matches_reference(self):
        """NMT.step: equal to the reference's with the same weights, masks applied, also without masks"""
        state = subset(random_state(self.rng, SIZES), STEP_WEIGHTS)
        for batch, longest, with_masks in ((6, 9, True), (4, 3, True), (3, 5, False)):
            args, lengths, call = self.step_inputs(state, batch, longest, with_masks)
            call += ", eval mode)"
            got, want = self.step_both(SIZES, state, args, call)
            if with_masks:
                self.check_padded_scores(got["e_t"], lengths, call)
            structure.check_matches(got, want, call, **TOL)

    # ----- 2.5 ---------------------------------------------------------------------------
    @graded("2.5")
    def test_attention_ignores_padding(self):
        """NMT.step: attention weights zero on padded source positions (softmax of e_t computed by
        the grader), the others the reference's"""
        state = subset(random_state(self.rng, SIZES), STEP_WEIGHTS)
        args, lengths, call = self.step_inputs(state, 8, 7)
        call += ", eval mode)"
        got, want = self.step_both(SIZES, state, args, call)
        got_w, want_w = softmax_rows(got["e_t"]), softmax_rows(want["e_t"])
        padded = masks(lengths, 7).astype(bool)
        if np.any(got_w[padded] != 0):
            i, j = (int(k) for k in np.argwhere(padded & (got_w != 0))[0])
            self.fail(f"{call}: the attention weights softmax(e_t) give the padded position {j} of sentence {i} "
                      f"(a sentence of {lengths[i]} pieces) the weight {got_w[i, j]:.4g} (e_t there is "
                      f"{np.asarray(got['e_t'], dtype=float)[i, j]:.4g}); padding must get weight 0: e_t "
                      "must be -inf at enc_masks' padded positions before the softmax")
        self.assertClose(got["e_t"], want["e_t"], call, name="e_t", **TOL)
        self.assertClose(got_w, want_w, call, name="the attention weights softmax(e_t, dim=1)", **TOL)

    # ----- 2.6 ---------------------------------------------------------------------------
    @graded("2.6")
    def test_dropout_in_training_only(self):
        """NMT.step: dropout(p) on the combined output in training mode (about a share p of zeros, the
        rest scaled by 1/(1-p)), none in evaluation mode"""
        sizes = dict(SIZES, dropout=0.5)
        state = subset(random_state(self.rng, SIZES), STEP_WEIGHTS)
        args, _, call = self.step_inputs(state, 400, 6, with_masks=False)
        base = call.replace("step(", "NMT(..., dropout_rate=0.5).step(") + ", "
        call_eval = base + "eval mode)"
        got_eval, want_eval = self.step_both(sizes, state, args, call_eval)
        zeros = np.mean(np.asarray(got_eval["combined_output"], dtype=float) == 0)
        if zeros > 0.25:  # the reference's has none: a tanh is zero only at 0
            self.fail(f"{call_eval}: {zeros:.0%} of the combined output's entries are zero in evaluation mode, "
                      "where dropout must be off: apply self.dropout (an nn.Dropout, which model.eval() turns "
                      "off), not F.dropout(x, p), which drops in evaluation mode too unless given "
                      "training=self.training")
        try:
            structure.check_matches(got_eval, want_eval, call_eval, **TOL)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n(in evaluation mode step must give the reference's values: if step "
                                 "fails 2.4, fix it first)") from None
        call_train = base + "training mode)"
        got = self.student.probe(step_outputs, sizes, state, *args, True, int(self.rng.integers(2**31)),
                                 helpers=MODEL_HELPERS, what=call_train)
        structure.check(got, want_eval, call_train)
        # dropout acts on the combined output only: the new state and the scores are eval's
        for name in ("dec_state", "e_t"):
            structure.check_matches(got[name], want_eval[name], call_train, name=name, **TOL)
        out = np.asarray(got["combined_output"], dtype=float)
        ref = np.asarray(want_eval["combined_output"], dtype=float)
        dropped = out == 0
        share = dropped.mean()
        if not 0.4 <= share <= 0.6:  # 2800 entries: 0.5 +- 0.0095 (one standard deviation)
            self.fail(f"{call_train}: {share:.1%} of the combined output's {out.size} entries are zero; "
                      "dropout with p=0.5 in training mode zeroes about half of them. Apply self.dropout "
                      "(an nn.Dropout(dropout_rate)) to tanh(W_u [a_t; h_t]), and only to it")
        kept = ~dropped
        if not np.allclose(out[kept], 2 * ref[kept], rtol=1e-4, atol=1e-5):
            i, j = (int(k) for k in np.argwhere(kept & ~np.isclose(out, 2 * ref, rtol=1e-4, atol=1e-5))[0])
            self.fail(f"{call_train}: the combined output's kept entry [{i}, {j}] is {out[i, j]:.6g}; in "
                      f"evaluation mode it is {ref[i, j]:.6g}, so dropout should make it {2 * ref[i, j]:.6g} "
                      "(kept entries scaled by 1/(1-p) = 2). Apply self.dropout to tanh(W_u [a_t; h_t]): "
                      "not before the tanh, not to [a_t; h_t]")

    # ----- 2.7 ---------------------------------------------------------------------------
    @graded("2.7")
    def test_gradients_reach_every_parameter(self):
        """NMT: the loss of forward has a gradient with respect to every parameter, equal to the
        reference's"""
        state = random_state(self.rng, SIZES)
        batch = 5
        src_lengths = random_lengths(self.rng, batch, 8)  # longest first, as forward wants
        tgt_lengths = self.rng.permutation(random_lengths(self.rng, batch, 7, shortest=3)).tolist()
        source = [self.rng.integers(4, SIZES["src_vocab"], size=n).tolist() for n in src_lengths]
        target = padded_ids(self.rng, tgt_lengths, SIZES["tgt_vocab"], wrap=True)
        target = [target[:n, i].tolist() for i, n in enumerate(tgt_lengths)]
        upstream = uniform(self.rng, batch)
        call = (f"the gradients of sum(R * forward(source, target)) (R random; {batch} sentence pairs of source "
                f"lengths {src_lengths} and target lengths {tgt_lengths}; the grader's weights, {SIZES_TEXT}, "
                "eval mode)")
        want = self.reference_probe(forward_gradients, SIZES, state, source, target, upstream, helpers=MODEL_HELPERS)
        got = self.student.probe(forward_gradients, SIZES, state, source, target, upstream, helpers=MODEL_HELPERS,
                                 what=call)
        if not isinstance(got, dict) or set(got) != set(want):
            structure.check(got, want, call)
        structure.check(got["scores"], want["scores"], call, name="forward's scores")
        structure.check(got["gradients"], want["gradients"], call, name="the gradients")
        parameters = got["parameters"] if isinstance(got["parameters"], list) else []
        for name, g in want["gradients"].items():
            if np.any(g) and not np.any(got["gradients"][name]):
                what = ("is not a parameter that requires a gradient (nn.Parameter, requires_grad left on)"
                        if name not in parameters else
                        "gets none: the computation uses it through .detach(), .data, .item(), .tolist() or "
                        "numpy, or not at all")
                self.fail(f"{call}: no gradient of the loss reaches {name}: it {what}, so training never "
                          "changes it. Compute with the module or tensor itself")
        self.assertClose(got["scores"], want["scores"], call, name=(
            "forward's scores (forward is provided: it pads the sentences with your pad_sents and runs your "
            "encode, decode and step; if 2.1-2.4 fail, fix them first)"), **TOL)
        for name, g in want["gradients"].items():
            self.assertClose(got["gradients"][name], g, call, name=f"the gradient with respect to {name}",
                             rtol=1e-3, atol=1e-5)

    # ----- 2.8 ---------------------------------------------------------------------------
    @graded("2.8")
    def test_module_structure(self):
        """NMT.__init__: the modules the handout fixes (types, sizes, bias, bidirectional encoder,
        decoder input e + h), in its order"""
        sizes = dict(SIZES, dropout=0.3)
        call = f"NMT(embed_size=5, hidden_size=7, <vocab of 23 source and 19 target pieces>, dropout_rate=0.3)"
        want = self.reference_probe(module_report, sizes, helpers=MODEL_HELPERS)
        got = self.student.probe(module_report, sizes, helpers=MODEL_HELPERS, what=call)
        if not isinstance(got, dict) or not isinstance(got.get("children"), list):
            structure.check(got, want, call)
        children = {}
        for item in got["children"]:
            if isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], str):
                children[item[0]] = item[1]
        wanted = [(name, facts) for name, facts in want["children"] if name != "model_embeddings"]
        for name, facts in wanted:
            if name not in children:
                self.fail(f"{call}: it has no self.{name}; the handout's NMT has self.{name} = "
                          f"{self.module_text(facts)}")
            self.check_module(call, f"self.{name}", children[name], facts)
        order = [name for name, _ in wanted]
        got_order = [name for name in children if name in order]
        self.assertEqual(got_order, order, f"{call}: __init__ creates the modules in the order {got_order}; "
                                           f"the handout's order is {order}")
        for side in ("source", "target"):
            self.check_module(call, f"self.model_embeddings.{side}", (got.get("embeddings") or {}).get(side),
                              want["embeddings"][side])
        # the facts above are a claim; they count only for a model whose encode and step compute the
        # right thing with weights chosen here
        state = random_state(self.rng, SIZES)
        self.check_encode(state, 4, 6)
        step_state = subset(state, STEP_WEIGHTS)
        args, _, step_call = self.step_inputs(step_state, 4, 5, with_masks=False)
        step_call += ", eval mode; the modules count only when step matches the reference)"
        got_step, want_step = self.step_both(SIZES, step_state, args, step_call)
        structure.check_matches(got_step, want_step, step_call, **TOL)

    def check_module(self, call, name, got, facts):
        """The module `name` is of the wanted type, with the wanted sizes and options."""
        kind = got.get("type") if isinstance(got, dict) else None
        if kind != facts["type"]:
            self.fail(f"{call}: {name} is {'an nn.' + kind if isinstance(kind, str) else describe(got)}; the "
                      f"handout's is {self.module_text(facts)}")
        wrong = [f"{key}={got.get(key)!r}" for key, value in facts.items() if got.get(key) != value]
        if wrong:
            self.fail(f"{call}: {name} has {', '.join(wrong)}; the handout's is {self.module_text(facts)}")

    @staticmethod
    def module_text(facts):
        args = ", ".join(f"{k}={v}" for k, v in facts.items() if k != "type")
        return f"nn.{facts['type']}({args})"

    # ----- 2.9 ---------------------------------------------------------------------------
    @graded("2.9")
    def test_embeddings_padding_idx(self):
        """ModelEmbeddings: the pad rows start at zero and get no gradient (padding_idx)"""
        e, vs, vt = SIZES["embed"], SIZES["src_vocab"], SIZES["tgt_vocab"]
        ids = {}
        for side, v in (("source", vs), ("target", vt)):
            lengths = random_lengths(self.rng, 6, 7)
            ids[side] = padded_ids(self.rng, lengths, v)  # pads at the end of the shorter sentences
        up = {side: uniform(self.rng, ids[side].shape + (e,)) for side in ids}
        args = (e, vs, vt, ids["source"], ids["target"], up["source"], up["target"], int(self.rng.integers(1000)))
        call = (f"ModelEmbeddings(5, <vocab of 23 source and 19 target pieces>), then the gradients of "
                f"sum(R * self.source(ids)) + sum(R * self.target(ids)) for ids of shapes "
                f"{ids['source'].shape} and {ids['target'].shape} that hold the pad index {PAD}")
        want = self.reference_probe(embedding_gradients, *args, helpers=MODEL_HELPERS)
        got = self.student.probe(embedding_gradients, *args, helpers=MODEL_HELPERS, what=call)
        structure.check(got, want, call)
        for side, short in (("source", "src"), ("target", "tgt")):
            weight = np.asarray(got[side]["weight"], dtype=float)
            grad = np.asarray(got[side]["gradient"], dtype=float)
            if np.any(weight[PAD]) or np.any(grad[PAD]):
                self.fail(f"{call}: self.{side}'s row for the pad index {PAD} is {describe(weight[PAD])} and its "
                          f"gradient {describe(grad[PAD])}; both should be zero: create self.{side} with "
                          f"padding_idx set to the pad index (nn.Embedding(len(vocab.{short}), embed_size, "
                          f"padding_idx=vocab.{short}['<pad>']))")
            self.assertClose(grad, want[side]["gradient"], call, name=f"the gradient with respect to self.{side}.weight",
                             **TOL)

    # ----- 2.10 --------------------------------------------------------------------------
    @graded("2.10")
    def test_step_speed(self):
        """NMT.step: vectorized over the batch (timed against the reference)"""
        limit = float(self.config.timing.get("max_ratio", 5))
        # Many short rows: a vectorized step costs little per sentence, so a Python loop over
        # the batch shows (about 20x), while the inputs each run draws stay cheap.
        batch, src_len = 8192, 6
        state = subset(random_state(self.rng, SIZES), STEP_WEIGHTS)
        what = f"step on a batch of {batch} sentences of up to {src_len} source pieces ({SIZES_TEXT}, eval mode)"
        parts = [(f"the shape of {name}", 2) if k == 0 else
                 (f"the projection of a row of {name} on a random vector (row number in brackets)", batch)
                 for name in ("the new h_t", "the new c_t", "the combined output", "e_t (-inf as -7)")
                 for k in (0, 1)]
        result = timing.measure(self.student, self.reference, step_timing, SIZES, state, batch, src_len,
                                limit=limit, what=what, parts=parts, trials=3, helpers=MODEL_HELPERS, **TOL)
        for line in result.notes:
            self.note(line)
        if result.ratio > limit:
            self.fail(f"{what} took {result.slower_text()} (limit {limit:g}x): compute the attention for the "
                      "whole batch at once (torch.bmm, or broadcasting), no Python loop over the batch")
        self.note(f"{what} took {result.ratio:.1f} times as long as the reference's (limit {limit:g}x)")
