"""The timing probe of the hidden a5 attention checks (runs in the sandbox; helpers from
probes_a5_src: src_on_path, synthesizer_module)."""


def synthesizer_timing(sizes, state, batch, length, calls):
    """For the timing test: a function of a seed that draws `calls` inputs of its own
    (batch, length, n_embd), runs forward on each (eval mode, no gradients) and returns a
    fingerprint of the WHOLE outputs: the first one's shape, and every row of every output
    projected on a vector drawn from the seed after the calls. Several calls a run: drawing
    and fingerprinting cost as much as a forward and would dilute a slow one's time. The
    module, holding `state`, is built once per request."""
    import numpy as np
    import torch

    torch.set_num_threads(1)
    module = synthesizer_module(sizes, state)
    width = sizes["n_embd"]

    def run(seed):
        draw = np.random.default_rng(seed)
        xs = torch.from_numpy(draw.random((calls, batch, length, width), dtype=np.float32) - 0.5)
        outs = []
        with torch.no_grad():
            for x in xs:
                outs.append(module(x))
        outs = [np.asarray(o.detach().cpu().numpy() if torch.is_tensor(o) else o, dtype=float) for o in outs]
        if any(o.shape != (batch, length, width) for o in outs):  # the wrong shape: not projected
            return np.full(3 + calls * batch * length, np.nan)
        return np.concatenate((outs[0].shape, (np.stack(outs) @ draw.standard_normal(width)).reshape(-1)))

    return run
