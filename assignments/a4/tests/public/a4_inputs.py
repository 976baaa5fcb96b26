"""Inputs the trusted side draws for the a4 checks: parameter shapes, random weights,
random ragged batches. Nothing here runs in the sandbox."""
import numpy as np

PAD, START, END = 0, 1, 2


def parameter_shapes(sizes):
    """{state_dict name: shape} of the NMT the handout fixes (the reference's)."""
    e, h, vs, vt = sizes["embed"], sizes["hidden"], sizes["src_vocab"], sizes["tgt_vocab"]
    shapes = {"model_embeddings.source.weight": (vs, e), "model_embeddings.target.weight": (vt, e)}
    for suffix in ("l0", "l0_reverse"):
        shapes.update({"encoder.weight_ih_" + suffix: (4 * h, e), "encoder.weight_hh_" + suffix: (4 * h, h),
                       "encoder.bias_ih_" + suffix: (4 * h,), "encoder.bias_hh_" + suffix: (4 * h,)})
    shapes.update({"decoder.weight_ih": (4 * h, e + h), "decoder.weight_hh": (4 * h, h),
                   "decoder.bias_ih": (4 * h,), "decoder.bias_hh": (4 * h,),
                   "h_projection.weight": (h, 2 * h), "c_projection.weight": (h, 2 * h),
                   "att_projection.weight": (h, 2 * h), "combined_output_projection.weight": (h, 3 * h),
                   "target_vocab_projection.weight": (vt, h)})
    return shapes


def random_state(rng, sizes, scale=0.3):
    """Random weights for every parameter; the pad rows of both embeddings zero (as
    padding_idx keeps them), so that outputs do not depend on whether padding_idx is set."""
    state = {name: (rng.standard_normal(shape) * scale).astype(np.float32)
             for name, shape in parameter_shapes(sizes).items()}
    for name in ("model_embeddings.source.weight", "model_embeddings.target.weight"):
        state[name][PAD] = 0.0
    return state


def random_lengths(rng, batch, longest, shortest=1):
    """`batch` lengths, longest first, the first one `longest`, at least two different."""
    lengths = sorted(rng.integers(shortest, longest + 1, size=batch - 1).tolist() + [longest], reverse=True)
    if len(set(lengths)) == 1 and batch > 1:
        lengths[-1] = max(shortest, longest - 1) if longest > shortest else longest
    return lengths


def padded_ids(rng, lengths, vocab_size, wrap=False):
    """(max_len, b) ids: sentence i has lengths[i] ids drawn from 4..vocab_size-1 (no
    special pieces), padded with PAD at the end. `wrap`: each sentence is <s> ... </s>
    (lengths then count them)."""
    out = np.full((max(lengths), len(lengths)), PAD, dtype=np.int64)
    for i, n in enumerate(lengths):
        ids = rng.integers(4, vocab_size, size=n)
        if wrap:
            ids[0], ids[-1] = START, END
        out[:n, i] = ids
    return out


def masks(lengths, src_len):
    """(b, src_len) float masks, 1 at padded positions (generate_sent_masks)."""
    m = np.zeros((len(lengths), src_len), dtype=np.float32)
    for i, n in enumerate(lengths):
        m[i, n:] = 1
    return m
