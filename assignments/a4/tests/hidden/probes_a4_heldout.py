"""Probes for a4's hidden tests 2.11 (a short training run) and 2.12 (held-out BLEU).

Each runs inside a sandbox and returns plain data; the trusted side judges it. They are
shipped as source (imports inside the functions); those that build a model from the
grader's weights run with helpers=MODEL_HELPERS of probes_a4 (tiny_vocab, load_state,
built_model, _numpy).
"""


def _rebuilt_vocab():
    """(the vocabulary the provided vocab.build_vocab rebuilds from the staged training
    text, the private folder holding its src.model); torch on one thread."""
    import os
    import tempfile

    import torch

    import vocab as vocab_module

    torch.set_num_threads(1)
    # the worker's TMPDIR is its own: a folder of ours, not the submission's working folder
    folder = os.path.join(tempfile.gettempdir(), "nlpgrade-a4-vocab")
    os.makedirs(folder, exist_ok=True)
    return vocab_module.build_vocab(out_dir=folder), folder


def _translated(model, folder, sentences, beam_size, max_steps):
    """German `sentences` (plain text) in English by `model` (evaluation mode) with the
    provided batched beam search, each for at most min(max_steps, 2 x its pieces + 10)
    steps. One function for both sides, so they translate alike."""
    import os

    import sentencepiece as spm

    import decoding

    model.eval()
    sp = spm.SentencePieceProcessor(model_file=os.path.join(folder, "src.model"))
    pieces = [sp.encode(s, out_type=str) for s in sentences]
    caps = [min(max_steps, 2 * len(p) + 10) for p in pieces]
    return decoding.translate(model, pieces, beam_size=beam_size, max_decoding_time_step=caps)


def heldout_translations(sentences, beam_size=5, max_steps=70, with_state=False):
    """Run in the submission's sandbox: the submitted model.bin (and model.json), loaded
    with the PROVIDED model_io into the submission's NMT over the rebuilt vocabulary,
    translates the German `sentences` (plain text, passed in by the grader) with
    _translated. Returns {"hypotheses": [str, ...]} and, `with_state`, {"state": the
    model's weights by state_dict name} (the trusted side has the reference translate a
    sample from them); or {"model_error": why} when model.bin cannot be used (the
    provided loader's reason). Helpers: HELDOUT_HELPERS."""
    import model_io
    from nmt_model import NMT

    vocab, folder = _rebuilt_vocab()
    try:
        model = model_io.load_model("model.bin", NMT, vocab=vocab)
    except model_io.ModelFileError as exc:
        return {"model_error": str(exc)}
    out = {"hypotheses": _translated(model, folder, sentences, beam_size, max_steps)}
    if with_state:
        out["state"] = {name: value.detach().cpu().numpy() for name, value in model.state_dict().items()}
    return out


def reference_translations(state, sentences, beam_size=5, max_steps=70):
    """Run on the reference: its NMT holding `state` (weights the submission's process sent
    back; the trusted side checked their names and shapes are the handout's), over the
    rebuilt vocabulary, translates `sentences` exactly as heldout_translations does. What a
    correct NMT with those weights writes: the yardstick of the sample. Helpers:
    HELDOUT_HELPERS."""
    import numpy as np
    import torch

    from nmt_model import NMT

    vocab, folder = _rebuilt_vocab()
    embed = state["model_embeddings.source.weight"].shape[1]
    hidden = state["h_projection.weight"].shape[0]
    model = NMT(embed, hidden, vocab, dropout_rate=0.0)
    model.load_state_dict({name: torch.from_numpy(np.asarray(value, dtype=np.float32))
                           for name, value in state.items()})
    return _translated(model, folder, sentences, beam_size, max_steps)


# what the two translating probes run with (helpers=HELDOUT_HELPERS)
HELDOUT_HELPERS = (_rebuilt_vocab, _translated)


def _pairs(pairs):
    """(source pieces, target pieces) of `pairs` sorted by source length, longest first,
    as forward wants them."""
    pairs = sorted(pairs, key=lambda p: -len(p[0]))
    return [list(p[0]) for p in pairs], [list(p[1]) for p in pairs]


def short_training(sizes, state, pairs, steps, lr, clip, seed):
    """Run in the submission's sandbox: `steps` Adam steps of its NMT (holding the grader's
    weights `state`, training mode) on the sentence pairs, with the provided training
    recipe (loss = -forward(src, tgt).sum() / batch size, backward, clip the gradient
    norm, step). Returns the weights it leaves, by state_dict name; the reference judges
    them (training_losses): nothing this probe says of itself is believed."""
    import torch

    src, tgt = _pairs(pairs)
    model = built_model(sizes, state, seed)
    model.train()
    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = -model(src, tgt).sum() / len(src)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
    return {name: value.detach().cpu().numpy() for name, value in model.state_dict().items()}


def training_losses(sizes, states, pairs):
    """Run on the reference: the loss per target piece (-log P, <s> not predicted) of its
    NMT holding each of `states`, in evaluation mode, on the sentence pairs."""
    import torch

    src, tgt = _pairs(pairs)
    predicted = sum(len(t) - 1 for t in tgt)
    losses = []
    for state in states:
        model = built_model(sizes, state)
        with torch.no_grad():
            losses.append(float(-model(src, tgt).sum()) / predicted)
    return losses
