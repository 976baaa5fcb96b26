#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""
A stand-in for a CS224N Winter 2021 a4 submission's utils.py, written for nlpgrade's tests
(not copied from the course). It keeps the 2021 starter's layout: nltk imported and
`nltk.download('punkt')` run at import time, pad_sents, read_corpus reading the
sentencepiece model `<source>.model` of the current folder, an nltk-based corpus reader
the course's own autograder used, and batch_iter.
"""

import math
from typing import List

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import nltk
import sentencepiece as spm
nltk.download('punkt')


def pad_sents(sents, pad_token):
    """Pad every sentence at its end with pad_token up to the longest one's length.
    sents: list of sentences (lists of words or ids); returns the padded copies."""
    sents_padded = []

    ### YOUR CODE HERE (~6 Lines)
    lens = np.array([len(s) for s in sents], dtype=np.int)
    max_len = lens.max() if len(lens) > 0 else 0
    for s in sents:
        padded = list(s)
        padded.extend([pad_token] * (max_len - len(s)))
        sents_padded.append(padded)
    ### END YOUR CODE

    return sents_padded


def read_corpus(file_path, source, vocab_size=2500):
    """Subword pieces of each line of file_path, from src.model or tgt.model (source is
    "src" or "tgt"); target lines get <s> and </s> around them. vocab_size is not used
    here (the sentencepiece model fixes it)."""
    data = []
    sp = spm.SentencePieceProcessor()
    sp.load('{}.model'.format(source))

    with open(file_path, 'r', encoding='utf8') as f:
        for line in f:
            subword_tokens = sp.encode_as_pieces(line)
            if source is 'tgt':
                subword_tokens = ['<s>'] + subword_tokens + ['</s>']
            data.append(subword_tokens)

    return data


def autograder_read_corpus(file_path, source):
    """Word tokens of each line (nltk's tokenizer), with <s> ... </s> on the target side."""
    data = []
    for line in open(file_path):
        sent = nltk.word_tokenize(line)
        if source == 'tgt':
            sent = ['<s>'] + sent + ['</s>']
        data.append(sent)
    return data


def batch_iter(data, batch_size, shuffle=False):
    """Yield (source sentences, target sentences) of batch_size pairs at a time, each batch
    sorted longest source first."""
    batch_num = int(np.ceil(len(data) / np.float(batch_size)))
    index_array = list(range(len(data)))

    if shuffle:
        np.random.shuffle(index_array)

    for i in range(batch_num):
        indices = index_array[i * batch_size: (i + 1) * batch_size]
        examples = [data[idx] for idx in indices]
        examples = sorted(examples, key=lambda e: len(e[0]), reverse=True)
        src_sents = [e[0] for e in examples]
        tgt_sents = [e[1] for e in examples]
        yield src_sents, tgt_sents
