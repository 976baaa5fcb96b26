#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""
A stand-in for a CS224N Winter 2021 a4 submission's model_embeddings.py, written for
nlpgrade's tests (not copied from the course): ModelEmbeddings with the starter's
attributes, source and target.
"""

import torch.nn as nn


class ModelEmbeddings(nn.Module):
    """One embedding table per language."""

    def __init__(self, embed_size, vocab):
        """embed_size: size of each embedding; vocab: a Vocab with .src and .tgt."""
        super(ModelEmbeddings, self).__init__()
        self.embed_size = embed_size

        # default values
        self.source = None
        self.target = None

        src_pad_token_idx = vocab.src['<pad>']
        tgt_pad_token_idx = vocab.tgt['<pad>']

        ### YOUR CODE HERE (~2 Lines)
        self.source = nn.Embedding(len(vocab.src), self.embed_size, padding_idx=src_pad_token_idx)
        self.target = nn.Embedding(len(vocab.tgt), self.embed_size, padding_idx=tgt_pad_token_idx)
        ### END YOUR CODE
