#!/usr/bin/env python
"""Saving and loading the translator, in a format that runs no code when read.

`save_model` writes the state dict with torch.save (tensors only) to PATH and the model's
sizes as JSON beside it (PATH without its extension, plus .json: model.bin -> model.json):

    {"format": "nlpgrade-nmt-1", "embed_size": 256, "hidden_size": 256,
     "dropout_rate": 0.3, "src_vocab_size": 8000, "tgt_vocab_size": 6000}

The vocabulary is not saved: `vocab.build_vocab` rebuilds it from the training text
(deterministic), so a model file holds nothing but numbers. `load_model` reads that
format with torch's weights-only loader, and also a model.bin written by the 2021
course's NMT.save (one pickle of args, vocab and state_dict), allowing only the
vocabulary classes of vocab.py besides tensors.
"""
import json
import os
import re

import torch

import vocab as vocab_module

FORMAT = "nlpgrade-nmt-1"
# the grader gets the weights back from the sandbox in one message of at most 64 MiB
MAX_MODEL_MB = 60


class ModelFileError(ValueError):
    """A model file that cannot be used; the message says why."""


def sizes_path(model_path):
    return os.path.splitext(model_path)[0] + ".json"


def save_model(model, path):
    torch.save(model.state_dict(), path)
    sizes = {"format": FORMAT, "embed_size": model.model_embeddings.embed_size,
             "hidden_size": model.hidden_size, "dropout_rate": model.dropout_rate,
             "src_vocab_size": len(model.vocab.src), "tgt_vocab_size": len(model.vocab.tgt)}
    with open(sizes_path(path), "w") as f:
        json.dump(sizes, f, indent=1)


def read_model_file(path):
    """(sizes, state_dict, vocab or None) from path; ModelFileError says what is wrong."""
    if not os.path.isfile(path):
        raise ModelFileError("%s does not exist" % path)
    megabytes = os.path.getsize(path) / 2 ** 20
    if megabytes > MAX_MODEL_MB:
        raise ModelFileError("%s takes %.0f MB, over the %d MB a model may take" % (path, megabytes, MAX_MODEL_MB))
    try:
        with torch.serialization.safe_globals([vocab_module.Vocab, vocab_module.VocabEntry]):
            saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelFileError("%s is not a model torch can read safely (%s: %s)"
                             % (path, type(exc).__name__, _why_unreadable(exc)))
    if isinstance(saved, dict) and {"args", "state_dict"} <= set(saved):  # the 2021 NMT.save
        args, state = saved["args"], saved["state_dict"]
        vocab = saved.get("vocab")
        if not isinstance(vocab, vocab_module.Vocab):
            vocab = None
        sizes = dict(args) if isinstance(args, dict) else {}
    else:
        state, vocab = saved, None
        try:
            with open(sizes_path(path)) as f:
                sizes = json.load(f)
        except (OSError, ValueError) as exc:
            raise ModelFileError("the sizes file %s beside %s is missing or not JSON (%s); save_model "
                                 "writes it" % (sizes_path(path), path, exc))
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelFileError("%s does not hold a state dict of tensors" % path)
    for key in ("embed_size", "hidden_size"):
        if not isinstance(sizes.get(key), int) or not 0 < sizes[key] <= 4096:
            raise ModelFileError("the model's sizes have no sensible %r (%r)" % (key, sizes.get(key)))
    return sizes, state, vocab


def _why_unreadable(exc):
    """The part of torch's message that says why: the refused global when there is one,
    without its advice to load with weights_only=False (which would run the file's code)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))  # torch colours its advice
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    refused = [line for line in lines if "Unsupported global" in line or "Unsupported operand" in line]
    why = refused[0] if refused else (lines[0] if lines else type(exc).__name__)
    return why[:400] + ("; the file holds objects other than tensors and the vocabulary, and is not read"
                        if refused else "")


def load_model(path, nmt_class, vocab=None):
    """The model saved at path, built with nmt_class(embed_size, hidden_size, vocab,
    dropout_rate) and its state dict loaded (strictly). `vocab`: the vocabulary to use;
    by default the one a 2021 model file holds, else build_vocab's beside the model."""
    sizes, state, saved_vocab = read_model_file(path)
    if vocab is None:
        vocab = saved_vocab or vocab_module.build_vocab(out_dir=os.path.dirname(os.path.abspath(path)))
    elif saved_vocab is not None:  # a 2021 file: its pieces must be the ones given
        for side, name in (("src", "source"), ("tgt", "target")):
            saved = getattr(getattr(saved_vocab, side, None), "word2id", None)
            if saved != getattr(vocab, side).word2id:
                raise ModelFileError("the %s vocabulary saved in %s (%s pieces) is not the one vocab.build_vocab "
                                     "builds from the training text (%d pieces): the model was trained with "
                                     "another vocabulary" % (name, path, len(saved) if isinstance(saved, dict)
                                                             else "no", len(getattr(vocab, side))))
    for side, key in (("src", "src_vocab_size"), ("tgt", "tgt_vocab_size")):
        if key in sizes and sizes[key] != len(getattr(vocab, side)):
            raise ModelFileError("the model was trained with a %s vocabulary of %s pieces; this one has %d"
                                 % (side, sizes[key], len(getattr(vocab, side))))
    model = nmt_class(embed_size=sizes["embed_size"], hidden_size=sizes["hidden_size"], vocab=vocab,
                      dropout_rate=float(sizes.get("dropout_rate", 0.2)))
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise ModelFileError("the parameters in %s do not fit the NMT built from its sizes: %s"
                             % (path, str(exc)[:600]))
    return model
