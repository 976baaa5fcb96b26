"""Probes for the attention_math tests: functions that run inside the sandbox and return
plain data (the keys your sample_keys draws; the statistics are computed by the grader)."""


def drawn_keys(mu, alpha, seed, perturbed, count):
    """`count` calls of sample_keys(mu, alpha, rng, perturbed) with one Generator seeded by
    the grader, stacked: (count, n, d)."""
    import numpy as np

    from attention_math import sample_keys

    rng = np.random.default_rng(seed)
    mu = np.array(mu, dtype=np.float64)
    shape = mu.shape
    out = np.empty((count,) + tuple(shape))
    for k in range(count):
        K = np.asarray(sample_keys(mu.copy(), alpha, rng, perturbed), dtype=float)
        if K.shape != tuple(shape):
            raise ValueError("sample_keys returned keys of shape %s for mu of shape %s: one key per row of mu"
                             % (K.shape, tuple(shape)))
        out[k] = K
    return out
