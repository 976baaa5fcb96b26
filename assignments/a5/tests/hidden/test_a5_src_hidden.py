"""Hidden checks for a5's src/dataset.py and src/attention.py.

2.7  CharCorruptionDataset: every exact rule on every example, on the grader's documents
     (short ones too) at two block sizes, the vocabulary ids and order included.
2.8  CharCorruptionDataset: the rules about chance over 3000 examples of documents longer
     than the block (a5_src_checks.span_statistics states the bounds; a right dataset
     fails them with a probability under 1e-6).
2.9  SynthesizerAttention.forward equal to the reference's with the same weights on sizes
     drawn here: outputs and gradients, eval mode (dropout configured but off) and
     training mode without dropout, at the longest input and a shorter one.
2.10 The causal mask: x changed from position p on must leave the outputs before p as
     they were (compared here), and the outputs must be the reference's.
2.11 Vectorised over heads and batch: timed against the reference (autograder/checks/timing.py).
"""
import numpy as np

from a5_src_checks import (ATTENTION_HELPERS, AttentionChecks, DatasetChecks, draw_documents, read_examples,
                           sizes_text, span_statistics, synthesizer_sizes, synthesizer_state, tolerance)
from autograder.checks import structure, timing
from autograder.harness import SubmissionTestCase, graded
from probes_a5_src import synthesizer_outputs, synthesizer_perturbed
from probes_a5_src_hidden import synthesizer_timing

GRADIENTS = {"grad_x": "the gradient with respect to x", "w1.weight": "the gradient of w1.weight",
             "w1.bias": "the gradient of w1.bias", "w2": "the gradient of w2", "b2": "the gradient of b2",
             "value.weight": "the gradient of value.weight", "value.bias": "the gradient of value.bias",
             "proj.weight": "the gradient of proj.weight", "proj.bias": "the gradient of proj.bias"}
# 2.11: two cases, each where a vectorised forward costs little per head or per row, so that
# a Python loop over either shows: many small heads on a short batch, and a long batch of
# rows with few heads (one case for both gave a head loop 6.8x and a batch loop 6.0x against
# a limit of 5: the batched products of many tiny matrices, which a loop pays too, weighed
# on the reference). Several forwards a run: drawing and fingerprinting must not dilute.
TIMING_CASES = (
    ({"n_embd": 80, "n_head": 40, "block_size": 3, "attn_pdrop": 0.1, "resid_pdrop": 0.1}, 2, 2),
    ({"n_embd": 16, "n_head": 2, "block_size": 3, "attn_pdrop": 0.1, "resid_pdrop": 0.1}, 48, 2),
)
TIMING_CALLS = 4
# the fingerprint's numbers are about 10 (rows of 80 projected on normal vectors): float32
# sums in another order (per row, einsum) move them by about 1e-5
TIMING_TOL = {"rtol": 1e-4, "atol": 1e-3}


class TestA5SrcHidden(SubmissionTestCase, DatasetChecks, AttentionChecks):
    longMessage = False

    def rng_for(self):
        return np.random.default_rng(self.rng.integers(2**32))

    # ----- 2.7 ------------------------------------------------------------------------------
    @graded("2.7")
    def test_dataset_rules(self):
        """CharCorruptionDataset: every rule on every example of the grader's documents (short and long,
        two block sizes), vocabulary ids and order included"""
        rng = self.rng_for()
        for block in (int(rng.integers(12, 41)), int(rng.integers(64, 193))):
            n = 80
            # from 6 characters (shorter than most truncations) to three blocks
            documents = draw_documents(rng, rng.integers(6, 3 * block, size=n))
            indices = rng.permutation(np.repeat(np.arange(n), 5))
            self.dataset_run(documents, block, indices, rng.integers(2**31))

    # ----- 2.8 ------------------------------------------------------------------------------
    @graded("2.8")
    def test_dataset_statistics(self):
        """CharCorruptionDataset over 3000 examples: the truncated length spread over its bounds, the
        masked span a quarter of it on average, random in length and place"""
        rng = self.rng_for()
        block = int(rng.integers(64, 193))
        n = 250
        documents = draw_documents(rng, rng.integers(block + 1, 2 * block, size=n))
        indices = rng.permutation(np.repeat(np.arange(n), 12))
        call, got = self.dataset_reply(documents, block, indices, rng.integers(2**31))
        text = "\n".join(documents)
        read = read_examples(got, documents, indices, block, text, call)
        parts = [p for _, p in read if p is not None]
        if len(parts) < 0.9 * len(read):
            problem, idx = next((pr, i) for (pr, p), i in zip(read, indices) if p is None)
            raise AssertionError(
                f"{call}: only {len(parts)} of {len(read)} examples read as prefix + MASK_CHAR + suffix + MASK_CHAR "
                f"+ masked_content + PAD_CHAR... with prefix + masked_content + suffix the start of the document, so "
                f"the spans cannot be measured; e.g. [{idx}]: {problem}")
        span_statistics(parts, block, call)

    # ----- 2.9 ------------------------------------------------------------------------------
    def compare_with_reference(self, sizes, state, x, coef, train, what):
        want = self.reference_probe(synthesizer_outputs, sizes, state, x, coef, train, helpers=ATTENTION_HELPERS)
        call, got = self.attention_run(sizes, state, x, coef, train, what)
        structure.check(got, want, call)
        self.check_output(call, got["output"], want["output"])
        where = f"{call}, the gradients of sum(output * c) for a random c"
        self.assertClose(got["grad_x"], want["grad_x"], where, name=GRADIENTS["grad_x"], **tolerance(want["grad_x"]))
        for name, value in want["grads"].items():
            try:
                self.assertClose(got["grads"][name], value, where, name=GRADIENTS.get(name, name),
                                 **tolerance(value))
            except AssertionError as exc:
                raise AssertionError(f"{exc}: the output is right, so the parameter must be used as it is (no "
                                     ".data, .detach() or copies) for its gradient to flow") from None

    @graded("2.9")
    def test_synthesizer_equals_reference(self):
        """SynthesizerAttention.forward: outputs and gradients equal to the reference's on the grader's
        sizes and weights, eval and training mode"""
        rng = self.rng_for()
        for dropout, train in ((0.3, False), (0.0, True)):
            sizes = synthesizer_sizes(rng, dropout=dropout)
            state = synthesizer_state(rng, sizes)
            longest = sizes["block_size"] - 1
            for length in (longest, int(rng.integers(1, longest))):
                x = rng.standard_normal((int(rng.integers(2, 5)), length, sizes["n_embd"])).astype(np.float32)
                coef = rng.standard_normal(x.shape).astype(np.float32)
                mode = (" in training mode (dropout 0)" if train else
                        f" in eval mode (dropout {dropout:g} configured: off in eval mode)")
                self.compare_with_reference(sizes, state, x, coef, train, mode + ", the grader's weights")

    # ----- 2.10 -----------------------------------------------------------------------------
    @graded("2.10")
    def test_causal_mask(self):
        """SynthesizerAttention: the output at a position does not change when later positions do (the
        causal mask), and equals the reference's"""
        rng = self.rng_for()
        sizes = synthesizer_sizes(rng)
        state = synthesizer_state(rng, sizes)
        length = sizes["block_size"] - 1
        x = rng.standard_normal((3, length, sizes["n_embd"])).astype(np.float32)
        noise = (rng.standard_normal(x.shape) * 2).astype(np.float32)
        cuts = sorted(int(p) for p in rng.choice(np.arange(1, length), size=min(3, length - 1), replace=False))
        call = f"{sizes_text(sizes)}.forward(x of shape {x.shape}) in eval mode, the grader's weights"
        got = self.student.probe(synthesizer_perturbed, sizes, state, x, noise, cuts, helpers=ATTENTION_HELPERS,
                                 what=call)
        want = self.reference_probe(synthesizer_perturbed, sizes, state, x, noise, cuts, helpers=ATTENTION_HELPERS)
        structure.check(got, want, call, name="the outputs")
        before = np.asarray(got[0], dtype=float)
        for k, p in enumerate(cuts):
            after = np.asarray(got[k + 1], dtype=float)
            moved = ~np.isclose(after[:, :p], before[:, :p], rtol=1e-5, atol=1e-6)
            if moved.any():
                b, t, c = (int(i) for i in np.argwhere(moved)[0])
                raise AssertionError(
                    f"{call}: changing x only at positions {p} to {length - 1} changed output[{b}, {t}, {c}] from "
                    f"{before[b, t, c]:.6g} to {after[b, t, c]:.6g}, at position {t} < {p}; wanted position t to "
                    "attend to positions <= t only: set the scores where self.mask[:, :, :T, :T] == 0 to -inf before "
                    "the softmax over the last axis")
        for k, name in enumerate(["x"] + [f"x changed from position {p} on" for p in cuts]):
            try:
                self.assertClose(got[k], want[k], f"{call}, on {name}", name="the output", **tolerance(want[k]))
            except AssertionError as exc:
                raise AssertionError(f"{exc}: the output before each change stays as it was, but the values are not "
                                     "the reference's (2.9 says where)") from None

    # ----- 2.11 -----------------------------------------------------------------------------
    @graded("2.11")
    def test_synthesizer_speed(self):
        """SynthesizerAttention.forward: vectorised over heads and batch (timed against the reference)"""
        limit = float(self.config.timing.get("max_ratio", 5))
        for sizes, batch, length in TIMING_CASES:
            state = synthesizer_state(self.rng, sizes)
            what = f"{sizes_text(sizes)}.forward on a batch of {batch} inputs of length {length} (eval mode)"
            parts = [("the output's shape", 3), ("the projection of a row of the outputs on a random vector",
                                                 TIMING_CALLS * batch * length)]
            result = timing.measure(self.student, self.reference, synthesizer_timing, sizes, state, batch, length,
                                    TIMING_CALLS, limit=limit, what=what, parts=parts, trials=3,
                                    helpers=ATTENTION_HELPERS, **TIMING_TOL)
            for line in result.notes:
                self.note(line)
            if result.ratio > limit:
                self.fail(f"{what} took {result.slower_text()} (limit {limit:g}x): compute every head and every "
                          "input at once (reshape to (B, n_head, T, head size) as CausalSelfAttention does), no "
                          "Python loop over the heads or the batch")
            self.note(f"{what} took {result.ratio:.1f} times as long as the reference's (limit {limit:g}x)")
