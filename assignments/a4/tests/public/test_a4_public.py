"""Public checks for a4: pad_sents, ModelEmbeddings, NMT.__init__, encode, decode, step.

Each check runs on the sanity model of `python sanity_check.py` (the same weights and
sentences, compared with the values recorded from our reference in sanity_check_data/),
and on a fresh variation each run: random sizes, weights and ragged batches. pad_sents and
ModelEmbeddings are worked out here; for the NMT's modules, encode, decode and step the
grader compares your outputs with the reference's on the same weights and inputs (the
reference is only available to the grader: at home these run the sanity values only).
NLPGRADE_SEED=<seed> replays a run's variations.

Run them with `python -m autograder check` in your assignment folder.
"""
import functools
import json
import os

import numpy as np

from a4_inputs import PAD, masks, padded_ids, parameter_shapes, random_lengths, random_state
from autograder.checks import structure
from autograder.describe import describe
from autograder.harness import SubmissionTestCase, graded
from probes_a4 import (MODEL_HELPERS, REPORT_HELPERS, decode_steps, embeddings_report,
                       encode_outputs, module_outputs, nmt_report, step_outputs)

# the modules NMT.__init__ creates, in the handout's order (model_embeddings, provided, first)
ORDER = ["model_embeddings", "encoder", "decoder", "h_projection", "c_projection", "att_projection",
         "combined_output_projection", "target_vocab_projection", "dropout"]
RTOL, ATOL = 1e-4, 1e-5  # float32 on both sides, possibly other operation orders
VOCAB_SIDE = {"source": "src", "target": "tgt"}
SANITY_WEIGHTS = "the sanity model's weights and sentences"
MODULE_OUTPUTS = {"encoder": "self.encoder's output", "encoder_h_n": "self.encoder's final hidden states",
                  "encoder_c_n": "self.encoder's final cell states", "decoder_h": "self.decoder's hidden state",
                  "decoder_c": "self.decoder's cell state", "dropout": "self.dropout's output in eval mode"}


# ----- the recorded sanity data ---------------------------------------------------
def sanity_dir(assignment):
    """The grader's copy (beside the reference) when there is one, else the folder's own."""
    for folder in (assignment.reference_dir, assignment.folder):
        path = os.path.join(folder, "sanity_check_data")
        if os.path.isfile(os.path.join(path, "sanity.npz")):
            return path
    raise FileNotFoundError("sanity_check_data/ is missing from the assignment folder")


@functools.lru_cache(maxsize=2)
def recorded(path):
    with open(os.path.join(path, "sanity.json"), encoding="utf8") as f:
        info = json.load(f)
    with np.load(os.path.join(path, "sanity.npz"), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    return info, arrays


def prefixed(arrays, prefix):
    return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}


# ----- what is wanted, worked out here --------------------------------------------
def wanted_modules(sizes):
    """describe_modules' facts of the NMT the handout fixes."""
    e, h = sizes["embed"], sizes["hidden"]
    linear = lambda i, o: {"kind": "Linear", "in_features": i, "out_features": o, "bias": False}
    return {"model_embeddings": {"kind": "ModelEmbeddings"},
            "encoder": {"kind": "LSTM", "input_size": e, "hidden_size": h, "num_layers": 1,
                        "bidirectional": True, "bias": True},
            "decoder": {"kind": "LSTMCell", "input_size": e + h, "hidden_size": h, "bias": True},
            "h_projection": linear(2 * h, h), "c_projection": linear(2 * h, h), "att_projection": linear(2 * h, h),
            "combined_output_projection": linear(3 * h, h), "target_vocab_projection": linear(h, sizes["tgt_vocab"]),
            "dropout": {"kind": "Dropout", "p": float(sizes.get("dropout", 0.0))}}


def constructor(facts):
    """The facts of one module in the words of its constructor."""
    kind = facts.get("kind")
    if kind == "LSTM":
        text = f"nn.LSTM({facts.get('input_size')}, {facts.get('hidden_size')}, bias={facts.get('bias')}, " \
               f"bidirectional={facts.get('bidirectional')}"
        return text + (f", num_layers={facts.get('num_layers')})" if facts.get("num_layers") != 1 else ")")
    if kind == "LSTMCell":
        return f"nn.LSTMCell({facts.get('input_size')}, {facts.get('hidden_size')}, bias={facts.get('bias')})"
    if kind == "Linear":
        return f"nn.Linear({facts.get('in_features')}, {facts.get('out_features')}, bias={facts.get('bias')})"
    if kind == "Dropout":
        return f"nn.Dropout(p={facts.get('p')})"
    if kind == "Embedding":
        return f"nn.Embedding({facts.get('num_embeddings')}, {facts.get('embedding_dim')}, " \
               f"padding_idx={facts.get('padding_idx')})"
    return "missing" if kind == "missing" else f"a {kind}"


def check_modules(call, report, wanted, owner="self"):
    """The modules a report (describe_modules) says were made, against `wanted`."""
    modules = report.get("modules") if isinstance(report, dict) else None
    if not isinstance(modules, dict):
        raise AssertionError(f"{call}: the report of its modules is {describe(modules)}")
    for name, want in wanted.items():
        got = modules.get(name)
        if not isinstance(got, dict):
            raise AssertionError(f"{call}: the report of {owner}.{name} is {describe(got)}")
        if any(got.get(k) != v for k, v in want.items()):
            advice = ""
            if want["kind"] == "LSTM" and got.get("kind") == "LSTM" and not got.get("bidirectional"):
                advice = ": the encoder is bidirectional (bidirectional=True)"
            elif want["kind"] == "Embedding" and got.get("kind") == "Embedding" \
                    and got.get("padding_idx") != want["padding_idx"]:
                advice = (f": set padding_idx to that side's pad index (vocab.{VOCAB_SIDE.get(name, name)}['<pad>'] = "
                          f"{want['padding_idx']}), so the pad embedding stays zero and gets no gradient")
            elif want["kind"] == "Linear" and got.get("kind") == "Linear" and got.get("bias") != want["bias"]:
                advice = ": the handout's projections have no bias (bias=False)"
            raise AssertionError(f"{call}: {owner}.{name} is {constructor(got)}; wanted {constructor(want)}{advice}")


def expected_embeddings(weight, ids, coef, pad=PAD):
    """nn.Embedding(..., padding_idx=pad) with `weight`: the lookup of `ids`, and the
    gradient of sum(lookup * coef) with respect to the weight (none for the pad row)."""
    lookup = weight[ids]
    grad = np.zeros(weight.shape, dtype=np.float64)
    np.add.at(grad, ids.reshape(-1), coef.reshape(-1, weight.shape[1]))
    grad[pad] = 0.0
    return lookup, grad


def random_sizes(rng, dropout=0.0):
    return {"embed": int(rng.integers(3, 9)), "hidden": int(rng.integers(2, 8)),
            "src_vocab": int(rng.integers(12, 40)), "tgt_vocab": int(rng.integers(12, 40)), "dropout": dropout}


def shape_text(lengths):
    return f"lengths {list(lengths)}"


class TestNMTPublic(SubmissionTestCase):
    longMessage = False  # our messages say what differs; unittest's diffs only bury them

    # the sanity model: sizes, weights and inputs of sanity_check.py
    def sanity(self):
        info, arrays = recorded(sanity_dir(self.config))
        sizes = {"embed": info["sizes"]["embed"], "hidden": info["sizes"]["hidden"],
                 "src_vocab": info["sizes"]["src_vocab"], "tgt_vocab": info["sizes"]["tgt_vocab"],
                 "dropout": info["sizes"]["dropout"]}
        return info, arrays, sizes, prefixed(arrays, "state/")

    def with_reference(self):
        """Whether the fresh variations compared with the reference run (the grader's)."""
        return self.context().reference is not None

    def rng_for(self):
        return np.random.default_rng(self.rng.integers(2**32))

    # ----- 1.1 ------------------------------------------------------------------------
    def check_padded(self, sents, pad):
        longest = max(len(s) for s in sents)
        want = [list(s) + [pad] * (longest - len(s)) for s in sents]
        call = f"pad_sents({describe(sents)}, {pad!r})"
        got = self.student.call("utils", "pad_sents", sents, pad)
        structure.check(got, want, call)
        for i, (row, wanted) in enumerate(zip(got, want)):
            if list(row) != wanted:
                advice = ("the padding is at the front: put it at the end" if list(row) == [pad] * (
                    longest - len(sents[i])) + list(sents[i]) else "each sentence, then the pad token up to the "
                    "longest sentence's length")
                raise AssertionError(f"{call}: sentence {i} ({list(sents[i])}) came back as {list(row)}; wanted "
                                     f"{wanted}: {advice}")

    @graded("1.1")
    def test_pad_sents(self):
        """utils.pad_sents: the sanity sentences (pieces and ids), and random ragged batches"""
        info, arrays, _, _ = self.sanity()
        self.check_padded(info["src_sents"], "<pad>")
        self.check_padded(info["src_ids"], 0)
        rng = self.rng_for()
        lengths = random_lengths(rng, int(rng.integers(3, 8)), int(rng.integers(3, 10)), shortest=0)
        rng.shuffle(lengths)  # pad_sents must not rely on the order
        ids = [[int(i) for i in rng.integers(1, 50, size=n)] for n in lengths]
        self.check_padded(ids, int(rng.integers(0, 100)))
        words = [[f"w{int(i)}" for i in row] for row in ids]
        self.check_padded(words, "<pad>")

    # ----- 1.2 ------------------------------------------------------------------------
    def check_embeddings(self, sizes, state, source_ids, target_ids, rng):
        coefs = {side: rng.standard_normal(ids.shape + (sizes["embed"],)).astype(np.float32)
                 for side, ids in (("source", source_ids), ("target", target_ids))}
        call = (f"ModelEmbeddings({sizes['embed']}, a vocabulary of {sizes['src_vocab']} source and "
                f"{sizes['tgt_vocab']} target pieces)")
        report = self.student.probe(embeddings_report, sizes, state, source_ids, target_ids, coefs["source"],
                                    coefs["target"], helpers=REPORT_HELPERS, what=call)
        wanted = {side: {"kind": "Embedding", "num_embeddings": sizes[key], "embedding_dim": sizes["embed"],
                         "padding_idx": PAD} for side, key in (("source", "src_vocab"), ("target", "tgt_vocab"))}
        check_modules(call, report, wanted)
        # the facts above are the process's claims: they count when lookups and gradients
        # of the grader's weights come out as nn.Embedding(..., padding_idx=pad)'s
        values = report.get("values") if isinstance(report, dict) else None
        for side, ids in (("source", source_ids), ("target", target_ids)):
            lookup, grad = expected_embeddings(state[f"{side}.weight"], ids, coefs[side])
            got = values.get(side) if isinstance(values, dict) else None
            what = f"{call}: self.{side}(ids of shape {ids.shape}), weights loaded by the grader"
            structure.check(got, {"lookup": lookup, "grad": grad}, what)
            self.assertClose(got["lookup"], lookup, what, name="the embeddings", rtol=RTOL, atol=ATOL)
            if np.any(np.asarray(got["grad"])[PAD] != 0) and np.allclose(np.delete(got["grad"], PAD, 0),
                                                                        np.delete(grad, PAD, 0), RTOL, ATOL):
                raise AssertionError(f"{what}: the pad row got a gradient; with padding_idx set it gets none")
            self.assertClose(got["grad"], grad, what, name="the gradient of the weight", rtol=RTOL, atol=ATOL)

    @graded("1.2")
    def test_model_embeddings(self):
        """ModelEmbeddings: two nn.Embedding of the vocabulary sizes with padding_idx, on the sanity
        weights and on random ones"""
        info, arrays, sizes, state = self.sanity()
        rng = self.rng_for()
        emb = prefixed(state, "model_embeddings.")
        source_ids = arrays["source_padded"]
        target_ids = arrays["target_padded"]
        self.check_embeddings(sizes, emb, source_ids, target_ids, rng)
        sizes = random_sizes(rng)
        emb = prefixed(random_state(rng, sizes), "model_embeddings.")
        for w in emb.values():
            w[PAD] = rng.standard_normal(w.shape[1])  # a pad row that is not zero: loaded as it is
        lengths = random_lengths(rng, int(rng.integers(2, 7)), int(rng.integers(3, 9)))
        self.check_embeddings(sizes, emb, padded_ids(rng, lengths, sizes["src_vocab"]),
                              padded_ids(rng, lengths, sizes["tgt_vocab"], wrap=True), rng)

    # ----- 1.3 ------------------------------------------------------------------------
    def check_structure(self, sizes):
        call = (f"NMT(embed_size={sizes['embed']}, hidden_size={sizes['hidden']}, a vocabulary of "
                f"{sizes['src_vocab']}/{sizes['tgt_vocab']} pieces, dropout_rate={sizes['dropout']})")
        report = self.student.probe(nmt_report, sizes, ORDER, helpers=REPORT_HELPERS, what=call)
        check_modules(call, report, wanted_modules(sizes))
        order = [n for n in report.get("order", []) if n in ORDER] if isinstance(report.get("order"), list) else []
        if order != ORDER:
            raise AssertionError(f"{call}: its modules were created in the order {', '.join(order)}; the handout's "
                                 f"order is {', '.join(ORDER)} (create them in that order)")
        params = report.get("parameters")
        want = {k: list(v) for k, v in parameter_shapes(sizes).items()}
        if not isinstance(params, dict):
            raise AssertionError(f"{call}: its state_dict came back as {describe(params)}")
        extra = sorted(set(params) - set(want))
        if extra:
            raise AssertionError(f"{call}: it has parameters the handout's NMT does not: {', '.join(extra[:5])}")
        return call

    def check_module_outputs(self, call, sizes, state, inputs, want, weights="random weights"):
        what = f"{call}, each module run alone with {weights}"
        got = self.student.probe(module_outputs, sizes, state, inputs, helpers=MODEL_HELPERS, what=what)
        structure.check(got, want, what)
        for name, value in want.items():
            self.assertClose(got[name], value, what, name=MODULE_OUTPUTS.get(name, f"self.{name}'s output"),
                             rtol=RTOL, atol=ATOL)

    @graded("1.3")
    def test_nmt_init(self):
        """NMT.__init__: the modules the handout names, their sizes and bias, in its order; each run on
        the sanity weights and on random ones"""
        info, arrays, sizes, state = self.sanity()
        call = self.check_structure(sizes)
        self.check_module_outputs(call, sizes, state, prefixed(arrays, "modules/in/"), prefixed(arrays, "modules/out/"),
                                  weights="the sanity model's weights and fixed inputs")
        if not self.with_reference():
            return
        rng = self.rng_for()
        sizes = random_sizes(rng, dropout=float(rng.choice([0.1, 0.3, 0.5])))
        call = self.check_structure(sizes)
        e, h, b, n = sizes["embed"], sizes["hidden"], int(rng.integers(2, 7)), int(rng.integers(2, 9))
        shapes = {"sequence": (n, b, e), "cell_input": (b, e + h), "h0": (b, h), "c0": (b, h), "x2h": (b, 2 * h),
                  "x3h": (b, 3 * h), "xh": (b, h)}
        inputs = {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}
        state = random_state(rng, sizes)
        want = self.reference_probe(module_outputs, sizes, state, inputs, helpers=MODEL_HELPERS)
        self.check_module_outputs(call, sizes, state, inputs, want)

    # ----- 1.4 ------------------------------------------------------------------------
    def check_encode(self, sizes, state, source_ids, lengths, want, weights="random weights"):
        call = (f"encode(source_padded of shape {source_ids.shape}, {shape_text(lengths)}) with {weights} "
                f"(embed {sizes['embed']}, hidden {sizes['hidden']})")
        got = self.student.probe(encode_outputs, sizes, state, source_ids, lengths, helpers=MODEL_HELPERS, what=call)
        b, n, h2 = want["enc_hiddens"].shape
        enc = got.get("enc_hiddens") if isinstance(got, dict) else None
        if np.shape(enc) == (n, b, h2) and (n, b) != (b, n):
            raise AssertionError(f"{call}: enc_hiddens has shape {np.shape(enc)} (source length, batch, 2h); wanted "
                                 f"(b, src_len, 2h) = {(b, n, h2)}: permute it after pad_packed_sequence")
        structure.check(got, want, call, names=None)
        enc = np.asarray(got["enc_hiddens"], dtype=float)
        padded = masks(lengths, n).astype(bool)
        if np.abs(enc[padded]).max(initial=0) > ATOL and not np.abs(want["enc_hiddens"][padded]).any():
            raise AssertionError(f"{call}: enc_hiddens is not zero at padded positions (e.g. sentence "
                                 f"{int(np.argwhere(padded)[0][0])}): pack the embeddings with pack_padded_sequence "
                                 "before the encoder and unpack its output with pad_packed_sequence")
        self.assertClose(enc, want["enc_hiddens"], call, name="enc_hiddens", rtol=RTOL, atol=ATOL)
        advice = ("project the encoder's final states [forward's last; backward's first] (last_hidden[0] and "
                  "last_hidden[1], concatenated on dim 1) with h_projection, and the cell states with c_projection")
        for i, name in enumerate(("dec_init_state[0] (the decoder's initial hidden state)",
                                  "dec_init_state[1] (the decoder's initial cell state)")):
            try:
                self.assertClose(got["dec_init_state"][i], want["dec_init_state"][i], call, name=name,
                                 rtol=RTOL, atol=ATOL)
            except AssertionError as exc:
                raise AssertionError(f"{exc}: {advice}") from None

    @graded("1.4")
    def test_encode(self):
        """NMT.encode: the sanity batch, and a random ragged batch with random weights (the grader
        compares with the reference)"""
        info, arrays, sizes, state = self.sanity()
        lengths = [int(n) for n in arrays["source_lengths"]]
        self.check_encode(sizes, state, arrays["source_padded"], lengths,
                          {"enc_hiddens": arrays["enc_hiddens"],
                           "dec_init_state": [arrays["dec_init_hidden"], arrays["dec_init_cell"]]},
                          weights=SANITY_WEIGHTS + " (sanity_check.py 1d)")
        if not self.with_reference():
            return
        rng = self.rng_for()
        sizes = random_sizes(rng)
        state = random_state(rng, sizes)
        lengths = random_lengths(rng, int(rng.integers(3, 7)), int(rng.integers(4, 10)))
        source_ids = padded_ids(rng, lengths, sizes["src_vocab"])
        want = self.reference_probe(encode_outputs, sizes, state, source_ids, lengths, helpers=MODEL_HELPERS)
        self.check_encode(sizes, state, source_ids, lengths, want)

    # ----- 1.5 ------------------------------------------------------------------------
    def check_decode(self, sizes, state, inputs, want, weights="random weights"):
        """decode with self.step replaced by the steps of the reference's run (`want`, from
        decode_steps): what decode gives each step must be what the reference's gave."""
        enc_hiddens, enc_masks, dec_init, target_ids = inputs
        call = (f"decode(enc_hiddens of shape {enc_hiddens.shape}, enc_masks, dec_init_state, target_padded of shape "
                f"{target_ids.shape}) with {weights}, self.step replaced by the outputs of the reference's step")
        got = self.student.probe(decode_steps, sizes, state, *inputs, want["replay"], helpers=MODEL_HELPERS,
                                 what=call)
        if not isinstance(got, dict) or not all(isinstance(got.get(k), list) for k in ("Ybar_t", "dec_state",
                                                                                   "enc_hiddens_proj")):
            raise AssertionError(f"{call}: the record of the run came back as {describe(got)}")
        steps = len(want["Ybar_t"])
        calls = got["Ybar_t"] if isinstance(got["Ybar_t"], list) else []
        if len(calls) != steps:
            advice = ("drop the last target token before the loop (target_padded[:-1]): it is only ever predicted, "
                      "never fed in" if len(calls) == steps + 1 else "call self.step(Ybar_t, dec_state, enc_hiddens, "
                      "enc_hiddens_proj, enc_masks) once per target token but the last")
            raise AssertionError(f"{call}: decode called self.step {len(calls)} times; wanted {steps}: {advice}")
        for k in range(steps):
            where = f"{call}, step {k}"
            try:
                self.assertClose(got["Ybar_t"][k], want["Ybar_t"][k], where, name="the Ybar_t given to self.step",
                                 rtol=RTOL, atol=ATOL)
            except AssertionError as exc:
                raise AssertionError(f"{exc}: Ybar_t = [y_t; o_prev], the embedding of target token t, then the "
                                     "combined output self.step returned last (zeros at the first step)") from None
            for i, part in enumerate(("hidden", "cell")):
                try:
                    self.assertClose(np.asarray(got["dec_state"][k])[i], want["dec_state"][k][i], where,
                                     name=f"the decoder {part} state given to self.step", rtol=RTOL, atol=ATOL)
                except (AssertionError, IndexError, TypeError, ValueError) as exc:
                    raise AssertionError(f"{str(exc) or where}: the first step gets dec_init_state, each later one "
                                         "the dec_state the previous step returned") from None
            self.assertClose(got["enc_hiddens_proj"][k], want["enc_hiddens_proj"][k], where,
                             name="the enc_hiddens_proj given to self.step (att_projection of enc_hiddens)",
                             rtol=RTOL, atol=ATOL)
        self.assertClose(got["combined_outputs"], want["combined_outputs"], call, name="combined_outputs",
                         rtol=RTOL, atol=ATOL)

    @graded("1.5")
    def test_decode(self):
        """NMT.decode (self.step replaced by recorded outputs): the sanity batch, and a random ragged
        batch with random weights (the grader compares with the reference)"""
        info, arrays, sizes, state = self.sanity()
        steps = len(arrays["decode/o"])
        recorded_run = {"replay": {k: arrays["decode/" + k] for k in "hcoe"},
                        "combined_outputs": arrays["combined_outputs"],
                        "Ybar_t": list(arrays["decode/Ybar_t"]),
                        "dec_state": [[arrays["decode/dec_state_h"][k], arrays["decode/dec_state_c"][k]]
                                      for k in range(steps)],
                        "enc_hiddens_proj": [arrays["enc_hiddens_proj"]] * steps}
        self.check_decode(sizes, state, [arrays["enc_hiddens"], arrays["enc_masks"],
                                         [arrays["dec_init_hidden"], arrays["dec_init_cell"]], arrays["target_padded"]],
                          recorded_run, weights=SANITY_WEIGHTS + " (sanity_check.py 1e)")
        if not self.with_reference():
            return
        rng = self.rng_for()
        sizes = random_sizes(rng)
        state = random_state(rng, sizes)
        b, h = int(rng.integers(3, 7)), sizes["hidden"]
        lengths = random_lengths(rng, b, int(rng.integers(3, 9)))
        enc_masks = masks(lengths, max(lengths))
        enc_hiddens = rng.standard_normal((b, max(lengths), 2 * h)).astype(np.float32) * (1 - enc_masks[..., None])
        dec_init = [rng.standard_normal((b, h)).astype(np.float32) for _ in range(2)]
        target_ids = padded_ids(rng, [int(n) for n in rng.integers(3, 9, size=b)], sizes["tgt_vocab"], wrap=True)
        inputs = [enc_hiddens, enc_masks, dec_init, target_ids]
        want = self.reference_probe(decode_steps, sizes, state, *inputs, helpers=MODEL_HELPERS)
        self.check_decode(sizes, state, inputs, want)

    # ----- 1.6 ------------------------------------------------------------------------
    def check_step(self, sizes, state, inputs, want, weights="random weights"):
        Ybar_t, dec_state, enc_hiddens, enc_hiddens_proj, enc_masks = inputs
        call = (f"step(Ybar_t of shape {Ybar_t.shape}, dec_state, enc_hiddens of shape {enc_hiddens.shape}, "
                f"enc_hiddens_proj, enc_masks with {int(enc_masks.sum())} padded positions) with {weights}")
        got = self.student.probe(step_outputs, sizes, state, *inputs, helpers=MODEL_HELPERS, what=call)
        structure.check(got, want, call)
        for i, name in enumerate(("dec_state[0] (the decoder's new hidden state)",
                                  "dec_state[1] (the decoder's new cell state)")):
            self.assertClose(got["dec_state"][i], want["dec_state"][i], call, name=name, rtol=RTOL, atol=ATOL)
        e_t = np.asarray(got["e_t"], dtype=float)
        masked = enc_masks.astype(bool)
        if masked.any() and not np.all(e_t[masked] == -np.inf):
            i, j = (int(k) for k in np.argwhere(masked & (e_t != -np.inf))[0])
            raise AssertionError(f"{call}: e_t is {e_t[i, j]:.6g} at padded source position {j} of sentence {i}: "
                                 "masked positions must be -inf before the softmax (e_t.masked_fill("
                                 "enc_masks.bool(), -inf)), so that they get no attention")
        self.assertClose(e_t, want["e_t"], call, name="e_t", rtol=RTOL, atol=ATOL)
        try:
            self.assertClose(got["combined_output"], want["combined_output"], call, name="combined_output",
                             rtol=RTOL, atol=ATOL)
        except AssertionError as exc:
            raise AssertionError(
                f"{exc}. e_t is right, so look after it: alpha_t = softmax of e_t over the source positions "
                "(dim 1), a_t = the alpha_t-weighted sum of enc_hiddens, o_t = dropout(tanh(combined_output_projection"
                "([a_t; h_t]))), a_t first") from None

    @graded("1.6")
    def test_step(self):
        """NMT.step: the sanity batch's first step, and a random ragged batch with random weights (the
        grader compares with the reference)"""
        info, arrays, sizes, state = self.sanity()
        inputs = [arrays["Ybar_t"], [arrays["dec_init_hidden"], arrays["dec_init_cell"]], arrays["enc_hiddens"],
                  arrays["enc_hiddens_proj"], arrays["enc_masks"]]
        self.check_step(sizes, state, inputs, {"dec_state": [arrays["step_dec_hidden"], arrays["step_dec_cell"]],
                                               "combined_output": arrays["step_combined_output"],
                                               "e_t": arrays["step_e_t"]},
                        weights=SANITY_WEIGHTS + " (sanity_check.py 1f)")
        if not self.with_reference():
            return
        rng = self.rng_for()
        sizes = random_sizes(rng)
        state = random_state(rng, sizes)
        e, h, b = sizes["embed"], sizes["hidden"], int(rng.integers(3, 7))
        lengths = random_lengths(rng, b, int(rng.integers(3, 9)))
        enc_masks = masks(lengths, max(lengths))
        f32 = lambda *shape: rng.standard_normal(shape).astype(np.float32)
        enc_hiddens = f32(b, max(lengths), 2 * h) * (1 - enc_masks[..., None])
        inputs = [f32(b, e + h), [f32(b, h), f32(b, h)], enc_hiddens, f32(b, max(lengths), h), enc_masks]
        want = self.reference_probe(step_outputs, sizes, state, *inputs, helpers=MODEL_HELPERS)
        self.check_step(sizes, state, inputs, want)
