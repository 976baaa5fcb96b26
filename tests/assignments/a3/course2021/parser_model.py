#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""
A stand-in for a CS224N Winter 2021 a3 submission's parser_model.py, written for nlpgrade's
tests (not copied from the course). It keeps the 2021 starter's layout: ParserModel with the
starter's constructor and parameter names, and the sanity checks run as
`python parser_model.py -e` (embedding_lookup) and `-f` (forward).
"""
import argparse
import numpy as np

import torch
import torch.nn as nn
import torch.nn.functional as F


class ParserModel(nn.Module):
    """Feed-forward transition classifier: embeddings of the features, one ReLU hidden
    layer, dropout, then logits for the three transitions."""

    def __init__(self, embeddings, n_features=36,
                 hidden_size=200, n_classes=3, dropout_prob=0.5):
        """embeddings (num_words, embedding_size) numpy array; the sizes as named."""
        super(ParserModel, self).__init__()
        self.n_features = n_features
        self.n_classes = n_classes
        self.dropout_prob = dropout_prob
        self.embed_size = embeddings.shape[1]
        self.hidden_size = hidden_size
        self.embeddings = nn.Parameter(torch.tensor(embeddings))

        input_size = self.n_features * self.embed_size
        w1 = torch.empty(input_size, self.hidden_size)
        nn.init.xavier_uniform_(w1)
        self.embed_to_hidden_weight = nn.Parameter(w1)
        b1 = torch.empty(self.hidden_size)
        nn.init.uniform_(b1, -0.01, 0.01)
        self.embed_to_hidden_bias = nn.Parameter(b1)

        self.dropout = nn.Dropout(self.dropout_prob)

        w2 = torch.empty(self.hidden_size, self.n_classes)
        nn.init.xavier_uniform_(w2)
        self.hidden_to_logits_weight = nn.Parameter(w2)
        b2 = torch.empty(self.n_classes)
        nn.init.uniform_(b2, -0.01, 0.01)
        self.hidden_to_logits_bias = nn.Parameter(b2)

    def embedding_lookup(self, w):
        """w (batch_size, n_features) token ids -> x (batch_size, n_features * embed_size)."""
        flat = w.contiguous().view(-1)
        rows = torch.index_select(self.embeddings, 0, flat)
        x = rows.view(w.size(0), self.n_features * self.embed_size)
        return x

    def forward(self, w):
        """w (batch_size, n_features) token ids -> logits (batch_size, n_classes), no softmax."""
        x = self.embedding_lookup(w)
        h = F.relu(torch.matmul(x, self.embed_to_hidden_weight) + self.embed_to_hidden_bias)
        h = self.dropout(h)
        logits = torch.matmul(h, self.hidden_to_logits_weight) + self.hidden_to_logits_bias
        return logits


if __name__ == "__main__":

    parser = argparse.ArgumentParser(description='Simple sanity check for parser_model.py')
    parser.add_argument('-e', '--embedding', action='store_true', help='sanity check for embeding_lookup function')
    parser.add_argument('-f', '--forward', action='store_true', help='sanity check for forward function')
    args = parser.parse_args()

    embeddings = np.zeros((100, 30), dtype=np.float32)
    model = ParserModel(embeddings)

    def check_embedding():
        inds = torch.randint(0, 100, (4, 36), dtype=torch.long)
        selected = model.embedding_lookup(inds)
        assert selected.shape == (4, 36 * 30), "embedding lookup has shape " + repr(selected.shape)
        assert np.all(selected.data.numpy() == 0), \
            "embedding lookup of zero embeddings is not all zero: " + repr(selected)

    def check_forward():
        inputs = torch.randint(0, 100, (4, 36), dtype=torch.long)
        out = model(inputs)
        expected_out_shape = (4, 3)
        assert out.shape == expected_out_shape, \
            "forward gave shape " + repr(out.shape) + ", wanted " + repr(expected_out_shape)

    if args.embedding:
        check_embedding()
        print("Embedding_lookup sanity check passes!")

    if args.forward:
        check_forward()
        print("Forward sanity check passes!")
