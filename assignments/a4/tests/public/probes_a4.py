"""Probes for the a4 tests: functions that run inside the sandbox and return plain data.

They import the submission's nmt_model / model_embeddings / utils and the provided
vocab. The same probe runs on the submission and, in hidden tests, on the reference.
A probe that builds a model takes `sizes` ({"embed", "hidden", "src_vocab", "tgt_vocab",
"dropout"}) and `state` ({parameter name: array}, the reference's names and shapes,
chosen by the trusted side; see a4_inputs.parameter_shapes), and runs with
helpers=MODEL_HELPERS.
"""


def tiny_vocab(n_src, n_tgt):
    """A Vocab of made-up pieces: n_src source and n_tgt target entries, the four special
    pieces (<pad> 0, <s> 1, </s> 2, <unk> 3) included."""
    from vocab import Vocab, VocabEntry

    def entry(n, prefix):
        e = VocabEntry()
        for i in range(n - len(e)):
            e.add("%s%d" % (prefix, i))
        return e

    return Vocab(entry(n_src, "\u2581de"), entry(n_tgt, "\u2581en"))


def load_state(model, state):
    """Copy the arrays `state` into the model's parameters of the same names. Raises a
    ValueError naming what is missing or of another shape; returns the names of the
    model's parameters the state does not hold (left as the model made them)."""
    import torch

    own = model.state_dict()
    problems = []
    for name, value in state.items():
        if name not in own:
            problems.append("it has no %s" % name)
        elif tuple(own[name].shape) != tuple(value.shape):
            problems.append("%s has shape %s, not %s" % (name, tuple(own[name].shape), tuple(value.shape)))
    if problems:
        raise ValueError("the grader could not load its weights into your NMT (the state_dict names and "
                         "shapes the handout fixes): %s" % "; ".join(problems))
    with torch.no_grad():
        for name, value in state.items():
            own[name].copy_(torch.as_tensor(value))
    return sorted(set(own) - set(state))


def built_model(sizes, state=None, seed=0):
    """NMT(embed, hidden, a tiny_vocab, dropout) holding `state` when given, in eval mode."""
    import torch

    from nmt_model import NMT

    torch.manual_seed(seed)
    vocab = tiny_vocab(sizes["src_vocab"], sizes["tgt_vocab"])
    model = NMT(sizes["embed"], sizes["hidden"], vocab, dropout_rate=sizes.get("dropout", 0.0))
    if state is not None:
        load_state(model, state)
    model.eval()
    return model


def _numpy(value):
    """Tensors (also in tuples and lists) -> numpy arrays; anything else as it is."""
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, (tuple, list)):
        return [_numpy(v) for v in value]
    return value


def encode_outputs(sizes, state, source_ids, lengths):
    """model.encode(source_padded (src_len, b), lengths) -> enc_hiddens (b, src_len, 2h),
    dec_init_state (h0, c0)."""
    import numpy as np
    import torch

    model = built_model(sizes, state)
    with torch.no_grad():
        enc_hiddens, dec_init_state = model.encode(torch.as_tensor(np.asarray(source_ids), dtype=torch.long),
                                                   [int(n) for n in lengths])
    return {"enc_hiddens": _numpy(enc_hiddens), "dec_init_state": _numpy(dec_init_state)}


def decode_outputs(sizes, state, enc_hiddens, enc_masks, dec_init_state, target_ids):
    """model.decode(enc_hiddens, enc_masks, dec_init_state, target_padded) -> combined
    outputs (tgt_len - 1, b, h)."""
    import numpy as np
    import torch

    model = built_model(sizes, state)
    t = lambda a, dtype=torch.float32: torch.as_tensor(np.asarray(a), dtype=dtype)
    with torch.no_grad():
        out = model.decode(t(enc_hiddens), t(enc_masks), (t(dec_init_state[0]), t(dec_init_state[1])),
                           t(target_ids, torch.long))
    return _numpy(out)


def step_outputs(sizes, state, Ybar_t, dec_state, enc_hiddens, enc_hiddens_proj, enc_masks, train=False, seed=0):
    """model.step(...) -> {"dec_state": (h, c), "combined_output": (b, h), "e_t": (b, src_len)}.
    `train`: in training mode (dropout on), the torch seed set to `seed` first."""
    import numpy as np
    import torch

    model = built_model(sizes, state)
    model.train(bool(train))
    torch.manual_seed(seed)
    t = lambda a: None if a is None else torch.as_tensor(np.asarray(a), dtype=torch.float32)
    with torch.no_grad():
        new_state, combined_output, e_t = model.step(t(Ybar_t), (t(dec_state[0]), t(dec_state[1])), t(enc_hiddens),
                                                     t(enc_hiddens_proj), t(enc_masks))
    return {"dec_state": _numpy(new_state), "combined_output": _numpy(combined_output), "e_t": _numpy(e_t)}


# what a probe that builds an NMT from weights runs with (helpers=MODEL_HELPERS)
MODEL_HELPERS = (tiny_vocab, load_state, built_model, _numpy)
