"""Probes for the a5 checks of src/dataset.py and src/attention.py: functions that run
inside the sandbox (imports inside them) and return plain data. The same probe runs on
the submission and, in hidden tests, on the reference.

The course's modules live in src/ and import each other as top-level modules (run.py:
`import dataset`), so every probe first puts the staged folder's src/ on sys.path.
"""


def src_on_path():
    """The submission's src/ first on sys.path (the worker runs in the staged folder)."""
    import os
    import sys

    src = os.path.join(os.getcwd(), "src")
    if os.path.isdir(src) and src not in sys.path:
        sys.path.insert(0, src)


def dataset_examples(text, block_size, indices, seed):
    """CharCorruptionDataset(text, block_size); Python's random, numpy and torch seeded with
    `seed`; then dataset[i] for each of `indices`. Returns the ids of every x and y (as
    int64 arrays), what x and y were (e.g. "torch.int64"), and the vocabulary it claims."""
    src_on_path()
    import random

    import numpy as np
    import torch

    from dataset import CharCorruptionDataset

    data = CharCorruptionDataset(text, block_size)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    kinds, xs, ys = set(), [], []
    for i in indices:
        x, y = data[int(i)]
        for value, out in ((x, xs), (y, ys)):
            if isinstance(value, torch.Tensor):
                kinds.add("torch.%s" % str(value.dtype).replace("torch.", ""))
                value = value.detach().cpu().numpy()
            else:
                kinds.add(type(value).__name__)
            out.append(np.asarray(value).astype(np.int64))
    if len({a.shape for a in xs + ys}) == 1:  # one array each: one buffer to send
        xs, ys = np.stack(xs), np.stack(ys)
    itos = getattr(data, "itos", None)
    stoi = getattr(data, "stoi", None)
    vocab_size = getattr(data, "vocab_size", None)
    report = {"itos": None, "stoi_agrees": False, "vocab_size": vocab_size if isinstance(vocab_size, int) else None,
              "block_size": getattr(data, "block_size", None), "want_block_size": block_size}
    if isinstance(itos, dict) and all(isinstance(k, int) for k in itos):
        report["itos"] = [str(itos.get(i)) for i in range(len(itos))]
        if isinstance(stoi, dict):
            report["stoi_agrees"] = all(stoi.get(c) == i for i, c in itos.items())
    if not isinstance(report["block_size"], int):
        report["block_size"] = None
    return {"x": xs, "y": ys, "kinds": sorted(kinds), "report": report}


def synthesizer_module(sizes, state, train=False):
    """SynthesizerAttention of `sizes` holding `state` (the grader's weights, by the provided
    __init__'s names); raises a ValueError naming what does not fit."""
    src_on_path()
    import types

    import numpy as np
    import torch

    from attention import SynthesizerAttention

    config = types.SimpleNamespace(n_embd=sizes["n_embd"], n_head=sizes["n_head"], block_size=sizes["block_size"],
                                   attn_pdrop=sizes["attn_pdrop"], resid_pdrop=sizes["resid_pdrop"],
                                   embd_pdrop=0.0, vocab_size=8, n_layer=1, synthesizer=True)
    torch.manual_seed(0)
    module = SynthesizerAttention(config)
    own = module.state_dict()
    problems = ["it has no %s" % k if k not in own else "%s has shape %s, not %s" % (
        k, tuple(own[k].shape), tuple(np.shape(v))) for k, v in state.items()
        if k not in own or tuple(own[k].shape) != tuple(np.shape(v))]
    if problems:
        raise ValueError("the grader could not load its weights into your SynthesizerAttention (the provided "
                         "__init__'s names and shapes): %s" % "; ".join(problems))
    with torch.no_grad():
        for k, v in state.items():
            own[k].copy_(torch.as_tensor(np.asarray(v)))
    module.train(bool(train))
    return module


def synthesizer_outputs(sizes, state, x, coef, train=False):
    """forward(x) of the module holding `state` (eval mode, or train mode), and the
    gradients of sum(output * coef) with respect to x and every parameter."""
    import numpy as np
    import torch

    module = synthesizer_module(sizes, state, train)
    torch.manual_seed(1)
    inp = torch.tensor(np.asarray(x), dtype=torch.float32, requires_grad=True)
    out = module(inp)
    (out * torch.as_tensor(np.asarray(coef), dtype=torch.float32)).sum().backward()
    grads = {name: (p.grad if p.grad is not None else torch.zeros_like(p)).detach().numpy()
             for name, p in module.named_parameters() if name in state}
    return {"output": out.detach().numpy(), "grad_x": inp.grad.detach().numpy(), "grads": grads}


def synthesizer_perturbed(sizes, state, x, noise, cuts):
    """forward(x), and forward of x changed from position p on (x[:, p:] + noise[:, p:]) for
    each p in `cuts`, in eval mode without gradients."""
    import numpy as np
    import torch

    module = synthesizer_module(sizes, state)
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    noise = torch.as_tensor(np.asarray(noise), dtype=torch.float32)
    outs = []
    with torch.no_grad():
        outs.append(module(x).numpy())
        for p in cuts:
            changed = x.clone()
            changed[:, int(p):] += noise[:, int(p):]
            outs.append(module(changed).numpy())
    return outs
