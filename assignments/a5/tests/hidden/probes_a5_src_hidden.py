"""The timing probe of the hidden a5 attention checks (runs in the sandbox; helpers from
probes_a5_src: src_on_path, synthesizer_module)."""


def synthesizer_timing(sizes, state, batch, length):
    """For the timing test: a function of a seed that draws an input of its own (batch,
    length, n_embd), runs forward once (eval mode, no gradients) and returns a fingerprint
    of the WHOLE output: its shape, and every row projected on a vector drawn from the seed
    after the call. The module, holding `state`, is built once per request."""
    import numpy as np
    import torch

    torch.set_num_threads(1)
    module = synthesizer_module(sizes, state)
    width = sizes["n_embd"]

    def run(seed):
        draw = np.random.default_rng(seed)
        x = torch.from_numpy(draw.random((batch, length, width), dtype=np.float32) - 0.5)
        with torch.no_grad():
            out = module(x)
        out = np.asarray(out.detach().cpu().numpy() if torch.is_tensor(out) else out, dtype=float)
        if out.shape != (batch, length, width):  # said to be of the wrong shape, not projected
            return np.full(3 + batch * length, np.nan)
        return np.concatenate((out.shape, (out @ draw.standard_normal(width)).reshape(-1)))

    return run
