#!/usr/bin/env python
"""Plot what your attention_math functions do when key a is perturbed (provided; nothing to
write here).

It draws many sets of keys with your sample_keys (key a perturbed: stretched or shrunk
along mu_a at random), and for each draw computes with your attention:
- the weight the single query average_query(mu, a, b, t) puts on v_a,
- the weights the two heads of two_head_queries(mu, a, b, t), averaged, put on v_a and v_b,
and plots them against how far key a reaches along mu_a (1 = its mean). A single query
swings from about 0 to about 1 as key a shrinks or stretches; the two heads stay at 1/2
(unless key a flips to point away from mu_a).

    python plot_attention.py                      # writes attention-weights.png
    python plot_attention.py --samples 500 --t 30 --out my-plot.png
"""
import argparse

import matplotlib

matplotlib.use("Agg")  # files only, no window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from attention_math import attention, average_query, sample_keys, two_head_queries  # noqa: E402


def weights_over_samples(n=4, a=0, b=1, t=20.0, alpha=1e-6, samples=300, seed=0):
    """For `samples` draws of the keys (key a perturbed): key a's reach along mu_a, the single
    query's weight on v_a, and the averaged two-head weights on v_a and v_b."""
    rng = np.random.default_rng(seed)
    mu = np.eye(n)                       # orthogonal unit means
    V = np.eye(n)                        # values: weights can be read off the output c
    q = average_query(mu, a, b, t)
    q1, q2 = two_head_queries(mu, a, b, t)
    reach, single, heads_a, heads_b = [], [], [], []
    for _ in range(samples):
        K = sample_keys(mu, alpha, rng, perturbed=a)
        reach.append(K[a] @ mu[a])
        single.append(attention(q, K, V)[1][a])
        w = (attention(q1, K, V)[1] + attention(q2, K, V)[1]) / 2
        heads_a.append(w[a])
        heads_b.append(w[b])
    return np.array(reach), np.array(single), np.array(heads_a), np.array(heads_b)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--t", type=float, default=20.0)
    parser.add_argument("--alpha", type=float, default=1e-6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="attention-weights.png")
    args = parser.parse_args()

    reach, single, heads_a, heads_b = weights_over_samples(t=args.t, alpha=args.alpha, samples=args.samples,
                                                           seed=args.seed)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.scatter(reach, single, s=10, color="tab:red", label="one head: weight on $v_a$")
    left.scatter(reach, heads_a, s=10, color="tab:blue", label="two heads, averaged: weight on $v_a$")
    left.scatter(reach, heads_b, s=6, color="tab:cyan", marker="x", label="two heads, averaged: weight on $v_b$")
    left.axhline(0.5, color="gray", lw=0.8, ls="--")
    left.axvline(1.0, color="gray", lw=0.8, ls=":")
    left.set_xlabel(r"key $a$'s reach along $\mu_a$ ($k_a \cdot \mu_a$; 1 is its mean)")
    left.set_ylabel("attention weight")
    left.set_title(f"key $a$ perturbed, t = {args.t:g}")
    left.legend(fontsize=8, loc="center right", bbox_to_anchor=(1.0, 0.28))

    order = np.arange(len(single))[:80]
    right.plot(order, single[order], ".-", color="tab:red", lw=0.8, label="one head")
    right.plot(order, heads_a[order], ".-", color="tab:blue", lw=0.8, label="two heads, averaged")
    right.axhline(0.5, color="gray", lw=0.8, ls="--")
    right.set_xlabel("sample")
    right.set_ylabel("weight on $v_a$")
    right.set_title("the same weights, sample after sample")
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"one head: weight on v_a from {single.min():.2f} to {single.max():.2f} (std {single.std():.2f}); "
          f"two heads: from {heads_a.min():.2f} to {heads_a.max():.2f} (std {heads_a.std():.2f}); "
          f"wrote {args.out}")


if __name__ == "__main__":
    main()
