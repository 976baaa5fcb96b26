#!/usr/bin/env python
"""Reading the parallel text as subword pieces, padding and batching."""
import math

import numpy as np
import sentencepiece as spm

from vocab import END, START


def pad_sents(sents, pad_token):
    """Pad a list of sentences to the length of the longest one, at the end.

    @param sents (list[list[int]] or list[list[str]]): sentences (ids or pieces)
    @param pad_token (int or str): the padding token
    @returns sents_padded (list[list]): each sentence followed by pad_token as many times as
        it takes to reach the longest sentence's length; the input lists are left unchanged
    """
    # YOUR CODE HERE
    raise NotImplementedError
    return sents_padded


def read_corpus(file_path, source, vocab_size=None):
    """One list of subword pieces per line of file_path, split by src.model (source="src")
    or tgt.model (source="tgt") of the current folder (`python vocab.py` makes them).
    Target sentences are wrapped in <s> ... </s>. `vocab_size` is unused (the 2021
    signature)."""
    sp = spm.SentencePieceProcessor(model_file="%s.model" % source)
    data = []
    with open(file_path, "r", encoding="utf8") as f:
        for line in f:
            pieces = sp.encode(line.strip(), out_type=str)
            if source == "tgt":
                pieces = [START] + pieces + [END]
            data.append(pieces)
    return data


def batch_iter(data, batch_size, shuffle=False):
    """Yield (source sentences, target sentences) batches of the (source, target) pairs in
    data, each sorted by source length, longest first (as pack_padded_sequence wants)."""
    batch_num = math.ceil(len(data) / batch_size)
    index_array = list(range(len(data)))
    if shuffle:
        np.random.shuffle(index_array)
    for i in range(batch_num):
        indices = index_array[i * batch_size: (i + 1) * batch_size]
        examples = sorted((data[idx] for idx in indices), key=lambda e: len(e[0]), reverse=True)
        yield [e[0] for e in examples], [e[1] for e in examples]
