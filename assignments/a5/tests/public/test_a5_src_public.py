"""Public checks for a5's src/dataset.py and src/attention.py.

1.6 CharCorruptionDataset.__getitem__ on documents drawn fresh each run: every example
must keep every rule of the handout (ids of the vocabulary, x and y of block_size - 1 ids
shifted by one, prefix + MASK + suffix + MASK + masked_content + PAD, the three parts cut
from the truncated document in order, the truncated length within its bounds). These
rules are checked here from the raw text, at home as on the grader.

1.7 SynthesizerAttention.forward: a fixed case (weights drawn from seed 2021, output
recorded from our reference), and on the grader fresh sizes and weights compared with
the reference's forward (the reference is only available to the grader).
NLPGRADE_SEED=<seed> replays a run's draws.

Run them with `python -m autograder check` in your assignment folder.
"""
import numpy as np

from a5_src_checks import (ATTENTION_HELPERS, AttentionChecks, DatasetChecks, draw_documents, synthesizer_sizes,
                           synthesizer_state)
from autograder.harness import SubmissionTestCase, graded
from probes_a5_src import synthesizer_outputs

# the fixed case: sizes, weights and input drawn from seed 2021 (a5_src_checks.synthesizer_state,
# then x), eval mode; the output recorded from our reference
SANITY_SIZES = {"n_embd": 6, "n_head": 2, "block_size": 7, "attn_pdrop": 0.3, "resid_pdrop": 0.3}
SANITY_SHAPE = (2, 5, 6)
SANITY_OUTPUT = [
    [[0.328952, 0.922406, 1.329774, -0.238601, -0.742904, -0.290900],
     [0.183076, 0.782292, 1.285213, -0.564856, -1.514706, -0.130225],
     [-0.552835, 0.366772, 0.451266, -1.163500, -0.447488, 0.070790],
     [-0.377291, 0.564559, 1.210364, -0.600495, -0.357564, -0.011256],
     [-0.420427, 0.679730, 1.028477, -0.886023, -0.535490, 0.075079]],
    [[1.519269, 1.123167, 0.338670, 0.599359, 1.745786, -1.195674],
     [1.495160, 2.146319, 1.475540, -0.227662, -0.026858, -0.655921],
     [0.280689, 0.960860, 0.460715, -0.347160, 1.198450, -0.544202],
     [0.058923, 0.527572, 0.418706, -0.498654, 0.944614, -0.313918],
     [0.380469, 1.188155, 1.222909, -0.187468, 0.522354, -0.304510]]]


def sanity_inputs():
    """The fixed case's weights and input (seed 2021)."""
    rng = np.random.default_rng(2021)
    state = synthesizer_state(rng, SANITY_SIZES)
    x = rng.standard_normal(SANITY_SHAPE).astype(np.float32)
    return state, x


class TestA5SrcPublic(SubmissionTestCase, DatasetChecks, AttentionChecks):
    longMessage = False  # our messages say what differs; unittest's diffs only bury them

    def with_reference(self):
        """Whether fresh variations compared with the reference run (the grader's)."""
        return self.context().reference is not None

    def rng_for(self):
        return np.random.default_rng(self.rng.integers(2**32))

    @graded("1.6")
    def test_char_corruption_dataset(self):
        """CharCorruptionDataset.__getitem__: every rule of the handout on every example, on random
        documents drawn fresh each run"""
        rng = self.rng_for()
        block = int(rng.integers(48, 161))
        n = 40
        documents = draw_documents(rng, rng.integers(6, 2 * block, size=n))
        indices = rng.permutation(np.repeat(np.arange(n), 4))
        self.dataset_run(documents, block, indices, rng.integers(2**31))

    @graded("1.7")
    def test_synthesizer_attention(self):
        """SynthesizerAttention.forward: a fixed case recorded from the reference, and fresh sizes and
        weights compared with the reference (on the grader)"""
        state, x = sanity_inputs()
        call, got = self.attention_run(SANITY_SIZES, state, x, np.zeros_like(x),
                                       what=" in eval mode, the fixed case (weights from seed 2021)")
        self.check_output(call, got.get("output") if isinstance(got, dict) else got,
                          np.asarray(SANITY_OUTPUT, dtype=np.float32))
        if not self.with_reference():
            return
        rng = self.rng_for()
        sizes = synthesizer_sizes(rng, dropout=0.25)
        state = synthesizer_state(rng, sizes)
        x = rng.standard_normal((int(rng.integers(2, 4)), int(rng.integers(2, sizes["block_size"])),
                                 sizes["n_embd"])).astype(np.float32)
        want = self.reference_probe(synthesizer_outputs, sizes, state, x, np.zeros_like(x), helpers=ATTENTION_HELPERS)
        call, got = self.attention_run(sizes, state, x, np.zeros_like(x), what=" in eval mode, the grader's weights")
        self.check_output(call, got.get("output") if isinstance(got, dict) else got, want["output"])
