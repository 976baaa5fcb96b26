"""Self-attention for minGPT: the usual causal multi-head attention (provided) and the
synthesizer variant, whose attention weights come from each position alone.

Both take x of shape (B, T, C) with T <= block_size and return the same shape.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class CausalSelfAttention(nn.Module):
    """Multi-head masked self-attention with an output projection (provided)."""

    def __init__(self, config):
        super().__init__()
        assert config.n_embd % config.n_head == 0
        # key, query, value projections for all heads at once
        self.key = nn.Linear(config.n_embd, config.n_embd)
        self.query = nn.Linear(config.n_embd, config.n_embd)
        self.value = nn.Linear(config.n_embd, config.n_embd)
        # regularization
        self.attn_drop = nn.Dropout(config.attn_pdrop)
        self.resid_drop = nn.Dropout(config.resid_pdrop)
        # output projection
        self.proj = nn.Linear(config.n_embd, config.n_embd)
        # causal mask: position t attends to positions <= t only
        self.register_buffer("mask", torch.tril(torch.ones(config.block_size, config.block_size))
                             .view(1, 1, config.block_size, config.block_size))
        self.n_head = config.n_head

    def forward(self, x, layer_past=None):
        B, T, C = x.size()
        hs = C // self.n_head
        # (B, T, C) -> (B, n_head, T, head size)
        k = self.key(x).view(B, T, self.n_head, hs).transpose(1, 2)
        q = self.query(x).view(B, T, self.n_head, hs).transpose(1, 2)
        v = self.value(x).view(B, T, self.n_head, hs).transpose(1, 2)

        # (B, nh, T, hs) @ (B, nh, hs, T) -> (B, nh, T, T)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        att = self.attn_drop(att)
        y = att @ v  # (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # heads side by side again

        return self.resid_drop(self.proj(y))


class SynthesizerAttention(nn.Module):
    """Dense synthesizer attention (Tay et al. 2020), one set of weights per head.

    For head i, with X the input (T, C):
        Y_i = softmax(ReLU(X A_i + b1) B_i + b2) (X V_i)
    A_i (C, C/h) and b1 are head i's slice of w1, B_i = w2 (C/h, block_size - 1) and
    b2 (block_size - 1) are shared in shape, cut to the first T columns; the softmax is
    over the last axis with the causal mask, then the heads are concatenated and
    projected by proj.
    """

    def __init__(self, config):
        super().__init__()
        assert config.n_embd % config.n_head == 0
        # A_i and b1 of every head at once
        self.w1 = nn.Linear(config.n_embd, config.n_embd)
        # B_i: from a head's hidden units to a weight for each of block_size - 1 positions
        self.w2 = nn.Parameter(torch.zeros(config.n_embd // config.n_head, config.block_size - 1))
        self.b2 = nn.Parameter(torch.zeros(config.block_size - 1))
        # value projection
        self.value = nn.Linear(config.n_embd, config.n_embd)
        # output projection
        self.proj = nn.Linear(config.n_embd, config.n_embd)
        # regularization
        self.attn_drop = nn.Dropout(config.attn_pdrop)
        self.resid_drop = nn.Dropout(config.resid_pdrop)
        # causal mask: position t attends to positions <= t only
        self.register_buffer("mask", torch.tril(torch.ones(config.block_size, config.block_size))
                             .view(1, 1, config.block_size, config.block_size))
        self.n_head = config.n_head
        self.block_size = config.block_size

        nn.init.uniform_(self.w2, -0.001, 0.001)

    def forward(self, x, layer_past=None):
        """x (B, T, C) with T <= block_size - 1 -> (B, T, C).

        Compute every head at once (no Python loop over heads or the batch): reshape
        to (B, n_head, T, head size) as CausalSelfAttention does.
        """
        ### BEGIN SOLUTION
        B, T, C = x.size()
        hs = C // self.n_head
        # ReLU(X A_i + b1) for every head: (B, nh, T, hs)
        hidden = F.relu(self.w1(x)).view(B, T, self.n_head, hs).transpose(1, 2)
        v = self.value(x).view(B, T, self.n_head, hs).transpose(1, 2)

        # (B, nh, T, hs) @ (hs, T) + (T,) -> (B, nh, T, T): row t weighs positions 0..T-1
        att = hidden @ self.w2[:, :T] + self.b2[:T]
        att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        att = self.attn_drop(att)
        y = att @ v  # (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)

        return self.resid_drop(self.proj(y))
        ### END SOLUTION
