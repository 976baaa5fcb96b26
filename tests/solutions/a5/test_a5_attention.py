"""The a5 reference's src/attention.py: SynthesizerAttention against the formula computed
here head by head in numpy (an independent computation), its causal mask, parameter
counts at the course's size, and the recorded fixed case of the public test 1.7."""
import os
import types

import numpy as np
import pytest
import torch

from a5_src_import import SRC, importable

from autograder.config import ROOT

PUBLIC = os.path.join(ROOT, "assignments", "a5", "tests", "public")


@pytest.fixture(scope="module")
def attention():
    torch.set_num_threads(1)
    with importable(SRC, ["attention"]) as (module,):
        yield module


def config(n_embd, n_head, block_size, p=0.0):
    return types.SimpleNamespace(n_embd=n_embd, n_head=n_head, block_size=block_size, attn_pdrop=p, resid_pdrop=p)


def randomised(module, seed):
    """The module with every parameter drawn at random (w2 and b2 are near zero at first)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.5)
    return module.eval()


def formula(module, x):
    """softmax(ReLU(X A_i + b1_i) B_i + b2) (X V_i) for each head i, causal, in numpy."""
    w = {k: v.detach().double().numpy() for k, v in module.state_dict().items()}
    x = x.double().numpy()
    b, t, c = x.shape
    hs = c // module.n_head
    out = np.zeros((b, t, c))
    for i in range(module.n_head):
        cols = slice(i * hs, (i + 1) * hs)
        hidden = np.maximum(x @ w["w1.weight"][cols].T + w["w1.bias"][cols], 0)
        scores = hidden @ w["w2"][:, :t] + w["b2"][:t]
        scores = np.where(np.tril(np.ones((t, t))) == 1, scores, -np.inf)
        weights = np.exp(scores - scores.max(-1, keepdims=True))
        weights /= weights.sum(-1, keepdims=True)
        out[:, :, cols] = weights @ (x @ w["value.weight"][cols].T + w["value.bias"][cols])
    return out @ w["proj.weight"].T + w["proj.bias"]


@pytest.mark.parametrize("n_embd,n_head,block,length", [(12, 3, 9, 8), (12, 3, 9, 4), (16, 2, 5, 1), (8, 8, 6, 5)])
def test_synthesizer_is_the_formula(attention, n_embd, n_head, block, length):
    module = randomised(attention.SynthesizerAttention(config(n_embd, n_head, block, p=0.4)), block)
    x = torch.randn(3, length, n_embd, generator=torch.Generator().manual_seed(length))
    with torch.no_grad():
        got = module(x).double().numpy()
    np.testing.assert_allclose(got, formula(module, x), rtol=1e-4, atol=1e-5)


def test_synthesizer_is_causal(attention):
    module = randomised(attention.SynthesizerAttention(config(12, 3, 9)), 1)
    x = torch.randn(2, 8, 12)
    changed = x.clone()
    changed[:, 5:] += torch.randn(2, 3, 12)
    with torch.no_grad():
        a, b = module(x), module(changed)
    assert torch.equal(a[:, :5], b[:, :5])
    assert not torch.allclose(a[:, 5:], b[:, 5:])


def test_training_mode_drops_and_eval_does_not(attention):
    module = randomised(attention.SynthesizerAttention(config(12, 3, 9, p=0.5)), 2)
    x = torch.randn(2, 8, 12)
    with torch.no_grad():
        assert torch.equal(module(x), module(x))
        module.train()
        assert not torch.allclose(module(x), module(x))


def test_parameter_counts_at_the_course_size(attention):
    """201,567 a layer (synthesizer) against 263,168 (causal): with 4 layers, minGPT's
    3,323,392 parameters become 3,076,988 (the spec's counts)."""
    course = config(256, 8, 128, p=0.1)
    synth = sum(p.numel() for p in attention.SynthesizerAttention(course).parameters())
    causal = sum(p.numel() for p in attention.CausalSelfAttention(course).parameters())
    assert (synth, causal) == (201_567, 263_168)
    assert 3_323_392 - 4 * (causal - synth) == 3_076_988
    names = set(attention.SynthesizerAttention(course).state_dict())
    assert names == {"w1.weight", "w1.bias", "w2", "b2", "value.weight", "value.bias", "proj.weight", "proj.bias",
                     "mask"}


def test_minGPT_totals(attention):
    if not os.path.exists(os.path.join(SRC, "model.py")):
        pytest.skip("model.py is not written yet")
    with importable(SRC, ["attention", "model"]) as (_, model):
        for synthesizer, total in ((False, 3_323_392), (True, 3_076_988)):
            gpt = model.GPT(model.GPTConfig(256, 128, n_layer=4, n_head=8, n_embd=256, synthesizer=synthesizer))
            assert sum(p.numel() for p in gpt.parameters()) == total


def test_public_fixed_case_is_the_reference(attention):
    """test_a5_src_public's SANITY_OUTPUT is the reference's output on the fixed case."""
    with importable(PUBLIC, ["probes_a5_src", "a5_src_checks", "test_a5_src_public"]) as (_, checks, public):
        state, x = public.sanity_inputs()
        module = attention.SynthesizerAttention(config(**{k: public.SANITY_SIZES[k] for k in (
            "n_embd", "n_head", "block_size")}, p=public.SANITY_SIZES["attn_pdrop"]))
        module.load_state_dict({**{k: torch.as_tensor(v) for k, v in state.items()}, "mask": module.mask})
        with torch.no_grad():
            out = module.eval()(torch.as_tensor(x)).numpy()
        np.testing.assert_allclose(out, np.asarray(public.SANITY_OUTPUT), atol=1e-6)
        assert out.shape == public.SANITY_SHAPE[:2] + (public.SANITY_SIZES["n_embd"],)
