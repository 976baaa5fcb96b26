"""Probes for a5's held-out accuracy (2.14 vanilla, 2.15 synthesizer).

Each runs inside a sandbox and returns plain data; the trusted side judges it. They are
shipped as source (imports inside the functions), with helpers=HELDOUT_HELPERS. The
student's side and the reference's answer questions with the same helper (_answers), so
the two can only differ where their models compute differently.
"""


def _src_on_path():
    """src/ first on sys.path: run.py imports dataset, model, trainer and utils as
    top-level modules (the course ran `python src/run.py`), and so do we."""
    import os
    import sys

    src = os.path.abspath("src")
    if src not in sys.path:
        sys.path.insert(0, src)


def _sizes(state):
    """The GPT sizes a state dict is for: (vocab, n_embd, block_size, n_layer, n_head,
    synthesizer), n_head from the head size 32 the course's 256/8 has. Raises ValueError
    saying what is missing."""
    import re

    tok, pos = state.get("tok_emb.weight"), state.get("pos_emb")
    if tok is None or pos is None or tok.dim() != 2 or pos.dim() != 3:
        raise ValueError("it holds no tok_emb.weight (vocabulary x n_embd) and pos_emb (1 x block_size x "
                         "n_embd): not the state_dict of the provided GPT")
    layers = {int(m.group(1)) for m in (re.match(r"blocks\.(\d+)\.", k) for k in state) if m}
    if not layers:
        raise ValueError("it holds no blocks.N. parameters: not the state_dict of the provided GPT")
    vocab, n_embd = int(tok.shape[0]), int(tok.shape[1])
    synthesizer = "blocks.0.attn.w1.weight" in state
    return {"vocab": vocab, "n_embd": n_embd, "block_size": int(pos.shape[1]), "n_layer": max(layers) + 1,
            "n_head": max(1, n_embd // 32), "synthesizer": synthesizer}


def _vocabulary():
    """(stoi, itos) of the provided CharCorruptionDataset over wiki.txt: the vocabulary
    run.py builds from the pretraining corpus, whatever the task."""
    import contextlib
    import io
    import os

    _src_on_path()
    import dataset

    path = os.path.join(os.environ.get("NLPGRADE_DATA_DIR", "data"), "birth-places", "wiki.txt")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    with contextlib.redirect_stdout(io.StringIO()):  # its "data has ... characters" line
        corpus = dataset.CharCorruptionDataset(text, 128)
    return dict(corpus.stoi), dict(corpus.itos)


def _built(sizes, state, strict_variant=None):
    """The provided GPT (with attention.py's attention) of `sizes`, holding `state`, in
    evaluation mode. The causal-mask buffers (blocks.N.attn.mask) may be in the file or
    not: they are constants, and a 2021 file has them."""
    import torch

    _src_on_path()
    import model as model_module

    torch.set_num_threads(1)
    config = model_module.GPTConfig(sizes["vocab"], sizes["block_size"], n_layer=sizes["n_layer"],
                                    n_head=sizes["n_head"], n_embd=sizes["n_embd"],
                                    synthesizer=sizes["synthesizer"])
    net = model_module.GPT(config)
    own = net.state_dict()
    state = {k: v for k, v in state.items() if k in own or not k.endswith(".attn.mask")}
    missing, unexpected = net.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith(".attn.mask")]
    if missing or unexpected:
        raise ValueError(("it lacks " + ", ".join(missing[:6]) if missing else "")
                         + ("; " if missing and unexpected else "")
                         + ("it holds parameters the GPT has not: " + ", ".join(unexpected[:6]) if unexpected else ""))
    net.eval()
    return net


def _answers(net, stoi, itos, questions, steps=32, batch=64):
    """Greedy answers of `net` (the provided GPT, evaluation mode) to `questions`, as the
    course's evaluate found each one (question + ⁇, utils.sample(model, x, 32,
    sample=False), the text between the first ⁇ and the next), batched: questions of one
    length decode together, and a row leaves the batch once it has written its closing ⁇.

    The provided GPT.forward, position by position: each block's attention module (the
    submission's own) runs on the whole sequence so far at every step, as in a full
    forward, and only the new position goes through the rest (embeddings, LayerNorms,
    MLPs, head), whose values at earlier positions cannot change (the attention is
    causal). About three times fewer operations than a full forward per step; the same
    numbers up to float rounding. Where a question and its answer would not fit in the
    block, every step is a full forward of the last block_size ids, as sample does."""
    import torch

    mask = stoi["\u2047"]
    block = net.block_size
    by_length = {}
    for i, q in enumerate(questions):
        by_length.setdefault(len(q), []).append(i)
    out = [""] * len(questions)

    def first_logits(x):
        """Logits at the last position, and each block's LayerNorm-ed attention input."""
        h = net.drop(net.tok_emb(x) + net.pos_emb[:, :x.size(1), :])
        normed = []
        for blk in net.blocks:
            a = blk.ln1(h)
            normed.append(a)
            h = h + blk.attn(a)
            h = h + blk.mlp(blk.ln2(h))
        return net.head(net.ln_f(h[:, -1, :])), normed

    def next_logits(token, position, normed):
        h = net.drop(net.tok_emb(token[:, None]) + net.pos_emb[:, position:position + 1, :])
        for layer, blk in enumerate(net.blocks):
            normed[layer] = torch.cat([normed[layer], blk.ln1(h)], dim=1)
            h = h + blk.attn(normed[layer])[:, -1:, :]
            h = h + blk.mlp(blk.ln2(h))
        return net.head(net.ln_f(h[:, -1, :]))

    with torch.inference_mode():
        for length in sorted(by_length):
            rows = by_length[length]
            cached = length + 1 + steps <= block
            for at in range(0, len(rows), batch):
                chunk = rows[at:at + batch]
                x = torch.tensor([[stoi[c] for c in questions[i]] + [mask] for i in chunk], dtype=torch.long)
                written = [[] for _ in chunk]
                alive = list(range(len(chunk)))  # the rows of chunk still writing
                if cached:
                    logits, normed = first_logits(x)
                for step in range(steps):
                    if not cached:
                        logits = net(x if x.size(1) <= block else x[:, -block:])[0][:, -1, :]
                    nxt = logits.argmax(dim=-1)
                    keep = []
                    for j, token in enumerate(nxt.tolist()):
                        if token != mask:
                            written[alive[j]].append(itos[token])
                            keep.append(j)
                    if not keep or step == steps - 1:
                        break
                    if len(keep) < len(alive):
                        alive = [alive[j] for j in keep]
                        x, nxt = x[keep], nxt[keep]
                        if cached:
                            normed = [a[keep] for a in normed]
                    if cached:
                        logits = next_logits(nxt, length + 1 + step, normed)
                    else:
                        x = torch.cat([x, nxt[:, None]], dim=1)
                for j, i in enumerate(chunk):
                    out[i] = "".join(written[j])
    return out


def heldout_answers(params_file, questions, variant, with_state=False):
    """Run in the submission's sandbox: `params_file` (a state dict saved with torch.save,
    read with the weights-only loader) in the provided GPT with the submission's
    attention.py, of the sizes the state dict has, answers `questions` (passed in by the
    grader) with _answers. Returns {"answers": [str]} and, `with_state`, {"state": the
    weights the model holds}; or {"model_error": why} when the file cannot be used."""
    import torch

    torch.set_num_threads(1)
    try:
        state = torch.load(params_file, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        return {"model_error": f"{params_file} is not in your submission"}
    except Exception as exc:
        text = str(exc).split("\n")[0][:300]
        return {"model_error": f"{params_file} is not a file torch.load(..., weights_only=True) can read "
                               f"({type(exc).__name__}: {text})"}
    if isinstance(state, dict) and all(isinstance(k, str) and k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}  # saved from a DataParallel
    if not (isinstance(state, dict) and state and all(isinstance(k, str) and torch.is_tensor(v)
                                                      for k, v in state.items())):
        return {"model_error": f"{params_file} does not hold a state dict (a dict of parameter names and "
                               f"tensors, what torch.save(model.state_dict(), path) writes) but a "
                               f"{type(state).__name__}"}
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    try:
        sizes = _sizes(state)
    except ValueError as exc:
        return {"model_error": f"{params_file}: {exc}"}
    if sizes["synthesizer"] != (variant == "synthesizer"):
        other = "synthesizer" if sizes["synthesizer"] else "vanilla"
        return {"model_error": f"{params_file} holds a {other} model (its attention has "
                               + ("w1, w2, b2" if sizes["synthesizer"] else "key, query, value")
                               + f" parameters), not a {variant} one"}
    stoi, itos = _vocabulary()
    if sizes["vocab"] != len(stoi):
        return {"model_error": f"{params_file} holds a model of a vocabulary of {sizes['vocab']} characters "
                               f"(tok_emb.weight has {sizes['vocab']} rows); the vocabulary run.py builds "
                               f"from wiki.txt has {len(stoi)}. Was it trained with another pretraining corpus?"}
    if sizes["n_embd"] % 32:
        return {"model_error": f"{params_file} holds a model with n_embd {sizes['n_embd']}: the grader builds "
                               "the GPT with a head size of 32 (n_head = n_embd / 32, as the handout's 256 "
                               "and 8), so n_embd must be a multiple of 32"}
    try:
        net = _built(sizes, state)
    except (ValueError, RuntimeError) as exc:
        text = str(exc).replace("\n\t", " ").replace("\n", " ")[:1200]
        return {"model_error": f"{params_file} does not fit the GPT of the sizes it implies (vocabulary "
                               f"{sizes['vocab']}, n_embd {sizes['n_embd']}, block_size {sizes['block_size']}, "
                               f"n_layer {sizes['n_layer']}, n_head {sizes['n_head']}): {text}"}
    out = {"answers": _answers(net, stoi, itos, questions), "sizes": sizes}
    if with_state:
        out["state"] = {k: v.detach().cpu().numpy() for k, v in net.state_dict().items()
                        if not k.endswith(".attn.mask")}
    return out


def reference_answers(state, questions):
    """Run on the reference: its GPT and attention holding `state` (weights the
    submission's process sent back; the trusted side checked their names and shapes)
    answers `questions` exactly as heldout_answers does. What a correct model with those
    weights answers: the yardstick of the sample."""
    import numpy as np
    import torch

    torch.set_num_threads(1)
    state = {k: torch.from_numpy(np.asarray(v, dtype=np.float32)) for k, v in state.items()}
    stoi, itos = _vocabulary()
    net = _built(_sizes(state), state)
    return _answers(net, stoi, itos, questions)


# what the answering probes run with (helpers=HELDOUT_HELPERS)
HELDOUT_HELPERS = (_src_on_path, _sizes, _vocabulary, _built, _answers)
