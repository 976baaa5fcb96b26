"""Probes of the a4 hidden tests: functions that run inside the sandbox and return plain
data (shipped as source, with the helpers they name; imports inside each function).

What they send back is a claim: the tests compare it with what the reference's process
sends back for the same inputs, or with what the trusted side computes.
"""


def padded_twice(sents, pad_a, pad_b):
    """utils.pad_sents(sents, pad_a), then pad_sents again on the SAME list object with
    another pad token: if the first call changed the sentences it was given (padded them
    in place, say), the second result shows it. Each result is copied to plain lists
    before anything else runs; `after` (the list after the first call) is a claim, for
    the message only."""
    from utils import pad_sents

    def plain(value):
        if hasattr(value, "tolist"):  # a tensor or an array
            return value.tolist()
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    first = plain(pad_sents(sents, pad_a))
    after = plain(sents)
    second = plain(pad_sents(sents, pad_b))
    return {"first": first, "after": after, "second": second}


def forward_gradients(sizes, state, source_ids, target_ids, upstream):
    """The model's forward(source, target) (provided code: it pads with utils.pad_sents and
    runs encode, decode and step) on sentences of made-up pieces with these ids, in eval
    mode, and the gradient of sum(upstream * scores) with respect to each parameter named
    in `state` (zeros where none reached it). `parameters`: the names in `state` that are
    parameters of the model that require a gradient (only chooses the advice)."""
    import numpy as np
    import torch

    model = built_model(sizes, state)
    source = [[model.vocab.src.id2word[int(i)] for i in s] for s in source_ids]
    target = [[model.vocab.tgt.id2word[int(i)] for i in s] for s in target_ids]
    params = dict(model.named_parameters())
    for p in params.values():
        p.grad = None
    scores = model(source, target)
    if torch.is_tensor(scores) and scores.requires_grad:  # else no gradient reaches anything
        (scores * torch.as_tensor(np.asarray(upstream), dtype=scores.dtype)).sum().backward()
    grads = {}
    for name in state:
        p = params.get(name)
        grad = p.grad if p is not None and p.grad is not None else None
        grads[name] = (grad.detach().cpu().numpy() if grad is not None
                       else np.zeros(np.shape(state[name]), dtype=np.float32))
    return {"scores": _numpy(scores), "gradients": grads,
            "parameters": sorted(n for n in state if n in params and params[n].requires_grad)}


def module_report(sizes):
    """The modules of a freshly built NMT(embed, hidden, vocab, dropout_rate): each child
    module's name (in the order __init__ made them), type and sizes, and the embeddings'."""
    import torch
    import torch.nn as nn

    from nmt_model import NMT

    torch.manual_seed(0)
    model = NMT(sizes["embed"], sizes["hidden"], tiny_vocab(sizes["src_vocab"], sizes["tgt_vocab"]),
                dropout_rate=sizes["dropout"])

    def facts(m):
        info = {"type": type(m).__name__}
        if isinstance(m, nn.LSTM):
            info.update(input_size=int(m.input_size), hidden_size=int(m.hidden_size), num_layers=int(m.num_layers),
                        bidirectional=bool(m.bidirectional), bias=bool(m.bias), batch_first=bool(m.batch_first))
        elif isinstance(m, nn.LSTMCell):
            info.update(input_size=int(m.input_size), hidden_size=int(m.hidden_size), bias=bool(m.bias))
        elif isinstance(m, nn.Linear):
            info.update(in_features=int(m.in_features), out_features=int(m.out_features), bias=m.bias is not None)
        elif isinstance(m, nn.Dropout):
            info.update(p=float(m.p))
        elif isinstance(m, nn.Embedding):
            info.update(num_embeddings=int(m.num_embeddings), embedding_dim=int(m.embedding_dim))
        return info

    embeddings = getattr(model, "model_embeddings", None)
    return {"children": [[name, facts(m)] for name, m in model.named_children()],
            "embeddings": {side: facts(getattr(embeddings, side, None)) for side in ("source", "target")}}


def embedding_gradients(embed, n_src, n_tgt, source_ids, target_ids, upstream_src, upstream_tgt, seed=0):
    """A fresh ModelEmbeddings(embed, vocab): its two weight matrices as made, and their
    gradients of sum(upstream_src * source(ids)) + sum(upstream_tgt * target(ids))."""
    import numpy as np
    import torch

    from model_embeddings import ModelEmbeddings

    torch.manual_seed(seed)
    emb = ModelEmbeddings(embed, tiny_vocab(n_src, n_tgt))
    out = {}
    loss = 0
    for side, ids, up in (("source", source_ids, upstream_src), ("target", target_ids, upstream_tgt)):
        layer = getattr(emb, side)
        out[side] = {"weight": layer.weight.detach().cpu().numpy().copy()}
        looked_up = layer(torch.as_tensor(np.asarray(ids), dtype=torch.long))
        loss = loss + (looked_up * torch.as_tensor(np.asarray(up), dtype=looked_up.dtype)).sum()
    for p in emb.parameters():
        p.grad = None
    loss.backward()
    for side in ("source", "target"):
        weight = getattr(emb, side).weight
        grad = weight.grad.detach().cpu().numpy() if weight.grad is not None else np.zeros(weight.shape, np.float32)
        out[side]["gradient"] = grad
    return out


def step_timing(sizes, state, batch, src_len):
    """For the timing test: a function of a seed that draws a batch of its own (Ybar_t, the
    decoder state, encoder states of ragged lengths, their projection with the state's
    att_projection, the masks), runs model.step once (eval mode, no gradients) and returns
    a fingerprint of the WHOLE result: the shapes, and the projection of every row of the
    new h, c, the combined output and e_t (-inf counted as -7) on vectors drawn from the
    seed after the call. The model, holding `state`, is built once per request."""
    import numpy as np
    import torch

    torch.set_num_threads(1)
    model = built_model(sizes, state)
    e, h = sizes["embed"], sizes["hidden"]
    w_att = torch.as_tensor(np.asarray(state["att_projection.weight"]), dtype=torch.float32)

    def uniform(draw, shape):  # uniform draws cost a third of normal ones: the inputs stay cheap
        return torch.from_numpy(draw.random(shape, dtype=np.float32) - 0.5)

    def run(seed):
        draw = np.random.default_rng(seed)
        ybar, h0, c0 = uniform(draw, (batch, e + h)), uniform(draw, (batch, h)), uniform(draw, (batch, h))
        enc = uniform(draw, (batch, src_len, 2 * h))
        lengths = draw.integers(1, src_len + 1, size=batch)
        lengths[0] = src_len
        masks = torch.from_numpy((np.arange(src_len)[None, :] >= lengths[:, None]).astype(np.float32))
        enc = enc * (1 - masks).unsqueeze(2)  # zero at padded positions, as encode leaves them
        proj = enc @ w_att.T
        with torch.no_grad():
            (h1, c1), o, e_t = model.step(ybar, (h0, c0), enc, proj, masks)
        parts = []
        for value, width in ((h1, h), (c1, h), (o, h), (e_t, src_len)):
            value = np.asarray(value.detach().cpu().numpy() if torch.is_tensor(value) else value, dtype=float)
            if value.shape != (batch, width):  # said to be of the wrong shape, not projected
                parts.append(np.full(batch + 2, np.nan))
                continue
            value = np.where(np.isneginf(value), -7.0, value)
            parts.append(np.concatenate((value.shape, value @ draw.standard_normal(width))))
        return np.concatenate(parts)

    return run
