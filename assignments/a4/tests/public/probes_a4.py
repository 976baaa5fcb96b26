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


def describe_modules(model, names):
    """{name: plain facts of model.<name>} (kind, constructor sizes, bias ...), and the
    order of the model's own child modules: claims of the process that built it."""
    import torch.nn as nn

    def facts(m):
        if m is None:
            return {"kind": "missing"}
        if isinstance(m, nn.LSTM):
            return {"kind": "LSTM", "input_size": m.input_size, "hidden_size": m.hidden_size,
                    "num_layers": m.num_layers, "bidirectional": bool(m.bidirectional), "bias": bool(m.bias),
                    "batch_first": bool(m.batch_first)}
        if isinstance(m, nn.LSTMCell):
            return {"kind": "LSTMCell", "input_size": m.input_size, "hidden_size": m.hidden_size,
                    "bias": bool(m.bias)}
        if isinstance(m, nn.Linear):
            return {"kind": "Linear", "in_features": m.in_features, "out_features": m.out_features,
                    "bias": m.bias is not None}
        if isinstance(m, nn.Dropout):
            return {"kind": "Dropout", "p": float(m.p)}
        if isinstance(m, nn.Embedding):
            return {"kind": "Embedding", "num_embeddings": m.num_embeddings, "embedding_dim": m.embedding_dim,
                    "padding_idx": None if m.padding_idx is None else int(m.padding_idx)}
        return {"kind": type(m).__name__}

    modules = {name: facts(getattr(model, name, None)) for name in names}
    return {"modules": modules, "order": [name for name, _ in model.named_children()]}


def embeddings_report(sizes, state, source_ids, target_ids, source_coef, target_coef, seed=0):
    """ModelEmbeddings(embed, a tiny_vocab): what self.source / self.target are; then, with
    `state` ({"source.weight", "target.weight"}) loaded, the lookups of the ids and the
    gradients of sum(lookup * coef) with respect to each weight (padding_idx shows there:
    the pad row gets none)."""
    import numpy as np
    import torch

    from model_embeddings import ModelEmbeddings

    torch.manual_seed(seed)
    emb = ModelEmbeddings(sizes["embed"], tiny_vocab(sizes["src_vocab"], sizes["tgt_vocab"]))
    report = describe_modules(emb, ["source", "target"])
    load_state(emb, state)
    out = {}
    for side, ids, coef in (("source", source_ids, source_coef), ("target", target_ids, target_coef)):
        layer = getattr(emb, side)
        layer.zero_grad()
        looked_up = layer(torch.as_tensor(np.asarray(ids), dtype=torch.long))
        (looked_up * torch.as_tensor(np.asarray(coef), dtype=torch.float32)).sum().backward()
        out[side] = {"lookup": _numpy(looked_up), "grad": _numpy(layer.weight.grad)}
    report["values"] = out
    return report


def nmt_report(sizes, names, seed=0):
    """NMT(embed, hidden, a tiny_vocab, dropout): describe_modules of `names`, and its
    state_dict's names and shapes."""
    import torch

    from nmt_model import NMT

    torch.manual_seed(seed)
    model = NMT(sizes["embed"], sizes["hidden"], tiny_vocab(sizes["src_vocab"], sizes["tgt_vocab"]),
                dropout_rate=sizes.get("dropout", 0.0))
    report = describe_modules(model, names)
    report["parameters"] = {name: list(value.shape) for name, value in model.state_dict().items()}
    return report


def module_outputs(sizes, state, inputs):
    """Each module NMT.__init__ makes, run alone with `state` loaded (eval mode), on the
    arrays `inputs`: "sequence" (length, batch, embed) through the encoder (in its own layout),
    "cell_input" (b, e + h) with ("h0", "c0") through the decoder, "x2h" (b, 2h) through
    h_projection, c_projection and att_projection, "x3h" (b, 3h) through
    combined_output_projection, "xh" (b, h) through target_vocab_projection and dropout."""
    import numpy as np
    import torch

    model = built_model(sizes, state)
    t = lambda k: torch.as_tensor(np.asarray(inputs[k]), dtype=torch.float32)
    out = {}
    with torch.no_grad():
        seq = t("sequence")
        batch_first = bool(getattr(model.encoder, "batch_first", False))
        enc, (h_n, c_n) = model.encoder(seq.transpose(0, 1) if batch_first else seq)
        out["encoder"] = _numpy(enc.transpose(0, 1) if batch_first else enc)
        out["encoder_h_n"], out["encoder_c_n"] = _numpy(h_n), _numpy(c_n)
        out["decoder_h"], out["decoder_c"] = _numpy(model.decoder(t("cell_input"), (t("h0"), t("c0"))))
        for name in ("h_projection", "c_projection", "att_projection"):
            out[name] = _numpy(getattr(model, name)(t("x2h")))
        out["combined_output_projection"] = _numpy(model.combined_output_projection(t("x3h")))
        out["target_vocab_projection"] = _numpy(model.target_vocab_projection(t("xh")))
        out["dropout"] = _numpy(model.dropout(t("xh")))
    return out


def decode_steps(sizes, state, enc_hiddens, enc_masks, dec_init_state, target_ids, replay=None):
    """model.decode with model.step replaced, so that decode is checked alone (as the
    course's sanity check did): with replay=None each call goes to the model's own step
    (run it on the reference); with replay {"h", "c", "o", "e"} (arrays over the steps)
    the k-th call returns replay's k-th state, combined output and scores, whatever it
    is given (zeros past the end). Either way what decode gave step is recorded:
    {"combined_outputs": (tgt_len - 1, b, h), "Ybar_t": [one (b, e + h) per call],
    "dec_state": [(h, c) per call], "enc_hiddens_proj": [one per call]}, and with
    replay=None also what step returned: "replay", the replay of this run."""
    import numpy as np
    import torch

    model = built_model(sizes, state)
    own_step = model.step
    seen = {"Ybar_t": [], "dec_state": [], "enc_hiddens_proj": []}
    returned = {"h": [], "c": [], "o": [], "e": []}

    def step(Ybar_t, dec_state, enc_hiddens, enc_hiddens_proj, enc_masks):
        k = len(seen["Ybar_t"])
        seen["Ybar_t"].append(_numpy(Ybar_t))
        seen["dec_state"].append(_numpy(list(dec_state)))
        seen["enc_hiddens_proj"].append(_numpy(enc_hiddens_proj))
        if replay is None:
            (h, c), o, e = own_step(Ybar_t, dec_state, enc_hiddens, enc_hiddens_proj, enc_masks)
            for key, value in zip("hcoe", (h, c, o, e)):
                returned[key].append(_numpy(value))
            return (h, c), o, e
        if k < len(replay["o"]):
            r = lambda key: torch.as_tensor(np.asarray(replay[key][k]), dtype=torch.float32)
            return (r("h"), r("c")), r("o"), r("e")
        z = torch.zeros(np.shape(replay["o"])[1:])
        return (z, z), z, torch.zeros(np.shape(replay["e"])[1:])

    model.step = step
    t = lambda a, dtype=torch.float32: torch.as_tensor(np.asarray(a), dtype=dtype)
    with torch.no_grad():
        out = model.decode(t(enc_hiddens), t(enc_masks), (t(dec_init_state[0]), t(dec_init_state[1])),
                           t(target_ids, torch.long))
    if replay is None:
        seen["replay"] = {key: np.stack(values) if values else None for key, values in returned.items()}
    return {"combined_outputs": _numpy(out), **seen}


# what a probe that builds an NMT from weights runs with (helpers=MODEL_HELPERS)
MODEL_HELPERS = (tiny_vocab, load_state, built_model, _numpy)
# what embeddings_report / nmt_report run with
REPORT_HELPERS = (tiny_vocab, load_state, describe_modules, _numpy)
