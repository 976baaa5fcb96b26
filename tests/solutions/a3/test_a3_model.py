"""ParserModel of the a3 reference."""
import math
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn


def make(a3, n_tokens=50, d=7, **kw):
    torch.manual_seed(0)
    emb = np.random.RandomState(0).normal(size=(n_tokens, d)).astype(np.float32)
    return a3.pm.ParserModel(emb, **kw)


def test_parameters_and_init(a3):
    model = make(a3, n_tokens=300, d=20, hidden_size=64)
    shapes = {k: tuple(v.shape) for k, v in model.named_parameters()}
    assert shapes == {"embeddings": (300, 20), "embed_to_hidden_weight": (36 * 20, 64),
                      "embed_to_hidden_bias": (64,), "hidden_to_logits_weight": (64, 3),
                      "hidden_to_logits_bias": (3,)}
    assert isinstance(model.dropout, nn.Dropout) and model.dropout.p == 0.5
    assert not any(isinstance(m, (nn.Linear, nn.Embedding)) for m in model.modules())
    w = model.embed_to_hidden_weight.detach()
    bound = math.sqrt(6 / (36 * 20 + 64))
    assert w.abs().max() <= bound and w.abs().max() > 0.9 * bound
    assert abs(w.std().item() - bound / math.sqrt(3)) < 0.05 * bound  # uniform(-b, b)
    u = model.hidden_to_logits_weight.detach()
    assert u.abs().max() <= math.sqrt(6 / (64 + 3))


def test_embedding_lookup_concatenates_rows(a3):
    model = make(a3)
    w = torch.randint(0, 50, (5, 36))
    got = model.embedding_lookup(w)
    assert got.shape == (5, 36 * 7)
    emb = model.embeddings.detach()
    want = torch.stack([torch.cat([emb[i] for i in row]) for row in w])
    assert torch.equal(got.detach(), want)


def test_forward_is_the_two_layer_network(a3):
    model = make(a3).eval()
    w = torch.randint(0, 50, (4, 36))
    x = model.embeddings.detach()[w].reshape(4, -1)
    h = torch.relu(x @ model.embed_to_hidden_weight + model.embed_to_hidden_bias)
    want = h @ model.hidden_to_logits_weight + model.hidden_to_logits_bias
    got = model(w)
    assert got.shape == (4, 3)
    assert torch.allclose(got, want, atol=1e-5)
    assert torch.equal(model(w), got)  # eval: no dropout
    model.train()
    assert not torch.allclose(model(w), got)  # train: dropout


def test_gradients_reach_the_embeddings(a3):
    model = make(a3)
    w = torch.tensor([[1] * 36, [2] * 36])
    model(w).sum().backward()
    g = model.embeddings.grad
    assert g[1].abs().sum() > 0 and g[2].abs().sum() > 0 and g[3].abs().sum() == 0


def test_self_checks_run(a3):
    proc = subprocess.run([sys.executable, "parser_model.py", "-e", "-f"], cwd=a3.dir,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "embedding_lookup passed" in proc.stdout and "forward passed" in proc.stdout
