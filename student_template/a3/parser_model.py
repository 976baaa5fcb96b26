#!/usr/bin/env python
"""The feed-forward transition classifier of Chen and Manning (2014), with ReLU.

features (B, n_features) token ids -> embeddings, concatenated (B, n_features * d)
-> hidden layer h = ReLU(x W + b1) -> dropout -> logits = h U + b2, (B, n_classes).

Run `python parser_model.py -e` (embedding lookup) and/or `-f` (forward) for self-checks.
"""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class ParserModel(nn.Module):
    def __init__(self, embeddings, n_features=36, hidden_size=200, n_classes=3,
                 dropout_prob=0.5):
        """embeddings: (n_tokens, d) float32 numpy array, one row per token (words, POS
        tags and the NULL/UNK/ROOT tokens share it); it is trained with the rest.

        Parameters to create (nn.Parameter, no nn.Linear or nn.Embedding):
            embed_to_hidden_weight (n_features * d, hidden_size), embed_to_hidden_bias
            (hidden_size), hidden_to_logits_weight (hidden_size, n_classes),
            hidden_to_logits_bias (n_classes); and self.dropout, an nn.Dropout.
        The two weight matrices get Xavier-uniform initialisation.
        """
        super(ParserModel, self).__init__()
        self.n_features = n_features
        self.n_classes = n_classes
        self.dropout_prob = dropout_prob
        self.embed_size = embeddings.shape[1]
        self.hidden_size = hidden_size
        self.embeddings = nn.Parameter(torch.tensor(embeddings))

        # YOUR CODE HERE
        raise NotImplementedError

    def embedding_lookup(self, w):
        """w: (B, n_features) long tensor of token ids -> (B, n_features * d) float tensor,
        each row the concatenation of its features' embeddings. No loops."""
        # YOUR CODE HERE
        raise NotImplementedError
        return x

    def forward(self, w):
        """w: (B, n_features) long tensor -> logits (B, n_classes), before any softmax
        (the cross-entropy loss applies it)."""
        # YOUR CODE HERE
        raise NotImplementedError
        return logits


# ---------------------------------------------------------------------------------------
# Self-checks. Passing them does not prove correctness.

def check_embedding(model):
    """Every row of the lookup is the concatenation of the right embeddings."""
    w = torch.randint(0, model.embeddings.shape[0], (4, model.n_features), dtype=torch.long)
    got = model.embedding_lookup(w)
    want_shape = (4, model.n_features * model.embed_size)
    assert tuple(got.shape) == want_shape, \
        "embedding_lookup: output shape %s, expected %s" % (tuple(got.shape), want_shape)
    want = np.concatenate([model.embeddings.detach().numpy()[w[0, j]] for j in range(model.n_features)])
    assert np.allclose(got[0].detach().numpy(), want), \
        "embedding_lookup: row 0 is not the concatenation of its features' embeddings"
    print("embedding_lookup passed")


def check_forward(model):
    w = torch.randint(0, model.embeddings.shape[0], (4, model.n_features), dtype=torch.long)
    out = model(w)
    assert tuple(out.shape) == (4, model.n_classes), \
        "forward: output shape %s, expected %s" % (tuple(out.shape), (4, model.n_classes))
    print("forward passed")


if __name__ == "__main__":
    argp = argparse.ArgumentParser(description="Self-checks of ParserModel.")
    argp.add_argument("-e", "--embedding", action="store_true", help="check embedding_lookup")
    argp.add_argument("-f", "--forward", action="store_true", help="check forward")
    args = argp.parse_args()

    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    embeddings = rng.normal(size=(100, 30)).astype(np.float32)
    model = ParserModel(embeddings)
    if args.embedding or not args.forward:
        check_embedding(model)
    if args.forward or not args.embedding:
        check_forward(model)
