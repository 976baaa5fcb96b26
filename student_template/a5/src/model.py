"""A small GPT (after Karpathy's minGPT), as the 2021 assignment provides it.

The state-dict names are the 2021 ones (tok_emb, pos_emb, blocks.N.ln1/ln2/attn/mlp.0/mlp.2,
ln_f, head) so that a params file written by the 2021 code loads here and vice versa.
The attention modules live in attention.py (CausalSelfAttention, SynthesizerAttention).
"""
import torch
import torch.nn as nn
from torch.nn import functional as F

import attention


class GPTConfig:
    """Model hyperparameters; keyword arguments (n_layer, n_head, n_embd, ...) become attributes."""
    embd_pdrop = 0.1
    resid_pdrop = 0.1
    attn_pdrop = 0.1
    synthesizer = False

    def __init__(self, vocab_size, block_size, **kwargs):
        self.vocab_size = vocab_size
        self.block_size = block_size
        for k, v in kwargs.items():
            setattr(self, k, v)


class Block(nn.Module):
    """A Transformer block: attention and a two-layer MLP, each after a LayerNorm, each residual."""

    def __init__(self, config):
        super().__init__()
        self.ln1 = nn.LayerNorm(config.n_embd)
        self.ln2 = nn.LayerNorm(config.n_embd)
        if config.synthesizer:
            self.attn = attention.SynthesizerAttention(config)
        else:
            self.attn = attention.CausalSelfAttention(config)
        # indices 0 and 2 hold the weights: the names mlp.0 and mlp.2 are part of the params format
        self.mlp = nn.Sequential(
            nn.Linear(config.n_embd, 4 * config.n_embd),
            nn.GELU(),
            nn.Linear(4 * config.n_embd, config.n_embd),
            nn.Dropout(config.resid_pdrop),
        )

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        x = x + self.mlp(self.ln2(x))
        return x


class GPT(nn.Module):
    """Token and position embeddings, n_layer blocks, a final LayerNorm and a linear head."""

    def __init__(self, config):
        super().__init__()
        self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd)
        self.pos_emb = nn.Parameter(torch.zeros(1, config.block_size, config.n_embd))
        self.drop = nn.Dropout(config.embd_pdrop)
        self.blocks = nn.Sequential(*[Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.block_size = config.block_size
        self.apply(self._init_weights)

    def _init_weights(self, module):
        # small normal weights, zero biases, identity LayerNorms (GPT-2's initialisation)
        if isinstance(module, (nn.Linear, nn.Embedding)):
            module.weight.data.normal_(mean=0.0, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.LayerNorm):
            module.bias.data.zero_()
            module.weight.data.fill_(1.0)

    def get_block_size(self):
        return self.block_size

    def forward(self, idx, targets=None):
        """idx: (batch, t) token ids, t <= block_size. Returns (logits, loss); loss is None
        without targets. Targets equal to 0 (the PAD character) count for nothing."""
        b, t = idx.size()
        assert t <= self.block_size, "Cannot forward, model block size is exhausted."
        x = self.drop(self.tok_emb(idx) + self.pos_emb[:, :t, :])
        x = self.blocks(x)
        logits = self.head(self.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=0)
        return logits, loss
