"""Skip-gram with negative sampling (SGNS), batched, in torch on the CPU.

Word2vec's recipe, reshaped for a vector library instead of a per-pair C loop:
- (word, context) pairs for a chunk of ~1M tokens are made at once with numpy, after
  frequent-word subsampling and with word2vec's dynamic window (each position draws an
  effective window 1..window, so near words count more);
- each group of `group` consecutive (shuffled) pairs shares its `negatives` noise words
  drawn from unigram^0.75, so the negative scores are one batched matrix multiply and
  only batch/group*negatives noise rows are gathered;
- gradients are written by hand and applied with index_add_ (plain sparse SGD, linear
  learning-rate decay), touching only the rows in the batch.
Randomness comes from one seeded numpy Generator and torch runs a fixed number of threads,
so a run without a time budget is reproducible on a given machine.
"""
import dataclasses
import time

import numpy as np
import torch

try:
    from tqdm import tqdm
except ImportError:  # tqdm is optional; training works without a progress bar
    tqdm = None


@dataclasses.dataclass
class Settings:
    dim: int = 100
    window: int = 5
    negatives: int = 5
    min_count: int = 5
    max_vocab: int = 50000  # rows written out; training uses every word with min_count
    epochs: int = 5
    # Subsampling threshold. 1e-4 rather than word2vec's 1e-3 default: on this 10M-token corpus
    # it drops more of the stop words, so an epoch is ~25% cheaper and the analogy accuracy per
    # second of training is higher (measured; see bench/vectors.py).
    sample: float = 1e-4
    lr: float = 0.025
    min_lr_frac: float = 1e-4  # word2vec's floor: lr never decays below lr * 1e-4
    batch: int = 8192
    group: int = 32  # pairs sharing one draw of negatives
    chunk_tokens: int = 1 << 20
    seed: int = 1
    threads: int = 2
    time_budget_s: float = None  # stop here, with the lr decay scheduled over this time

    def to_dict(self):
        return dataclasses.asdict(self)


def keep_probabilities(counts, sample):
    """word2vec's subsampling: keep a word of frequency f with prob (sqrt(f/t) + 1) * t/f."""
    counts = np.asarray(counts, dtype=np.float64)
    if not sample:
        return np.ones(len(counts))
    f = counts / counts.sum()
    return np.minimum(1.0, (np.sqrt(f / sample) + 1.0) * sample / f)


def noise_cdf(counts, power=0.75):
    weights = np.asarray(counts, dtype=np.float64) ** power
    cdf = np.cumsum(weights)
    return cdf / cdf[-1]


def paragraph_index(offsets):
    """Paragraph number of every token, so windows never cross a paragraph boundary."""
    lengths = np.diff(offsets)
    return np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)


def make_pairs(tokens, paras, window, keep_prob, rng):
    """(words, contexts) int64 arrays for one chunk: subsample, then pair each kept token with
    the kept tokens within its own randomly shrunk window in the same paragraph."""
    keep = rng.random(len(tokens)) < keep_prob[tokens]
    tokens, paras = tokens[keep], paras[keep]
    n = len(tokens)
    reach = rng.integers(1, window + 1, size=n)  # effective window per position
    words, contexts = [], []
    for off in range(1, min(window, n - 1) + 1):
        same = paras[:-off] == paras[off:]
        # Right context: position i sees i+off.
        i = np.flatnonzero(same & (reach[:-off] >= off))
        words.append(tokens[i])
        contexts.append(tokens[i + off])
        # Left context: position j = i+off sees i.
        i = np.flatnonzero(same & (reach[off:] >= off))
        words.append(tokens[i + off])
        contexts.append(tokens[i])
    if not words:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, n
    words = np.concatenate(words).astype(np.int64)
    contexts = np.concatenate(contexts).astype(np.int64)
    # Shuffle so a batch mixes offsets and places (as word2vec's Hogwild threads would).
    order = rng.permutation(len(words))
    return words[order], contexts[order], n


class Model:
    """The two embedding matrices and the SGD step."""

    def __init__(self, n_words, dim, rng):
        # word2vec's init: input vectors uniform in [-0.5, 0.5)/dim, output vectors zero.
        self.w_in = torch.from_numpy(((rng.random((n_words, dim), dtype=np.float32) - 0.5) / dim))
        self.w_out = torch.zeros(n_words, dim)

    def step(self, words, contexts, noise, group, lr):
        """One SGD step on a batch; `noise` holds (len(words)//group)*k noise word ids."""
        b, d = len(words), self.w_in.shape[1]
        g = b // group
        k = len(noise) // g
        h = torch.index_select(self.w_in, 0, words)        # (b, d)
        u = torch.index_select(self.w_out, 0, contexts)    # (b, d)
        nv = torch.index_select(self.w_out, 0, noise).view(g, k, d)
        hg = h.view(g, group, d)
        pos = torch.einsum("bd,bd->b", h, u)
        neg = torch.bmm(hg, nv.transpose(1, 2))           # (g, group, k)
        # d(log sigmoid(s))/ds = 1 - sigmoid(s); d(log sigmoid(-s))/ds = -sigmoid(s).
        gp = torch.sigmoid(pos).neg_().add_(1.0).mul_(lr)
        gn = torch.sigmoid(neg).mul_(-lr)
        grad_h = torch.baddbmm((u * gp[:, None]).view(g, group, d), gn, nv).view(b, d)
        grad_u = h * gp[:, None]
        grad_n = torch.bmm(gn.transpose(1, 2), hg).reshape(g * k, d)
        self.w_in.index_add_(0, words, grad_h)
        self.w_out.index_add_(0, contexts, grad_u)
        self.w_out.index_add_(0, noise, grad_n)


def _chunks(offsets, chunk_tokens):
    """Token ranges of about chunk_tokens, cut at paragraph boundaries."""
    cuts = np.searchsorted(offsets, np.arange(0, offsets[-1], chunk_tokens), side="left")
    bounds = sorted(set(offsets[np.clip(cuts, 0, len(offsets) - 1)].tolist()) | {int(offsets[-1])})
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def train(corpus, settings=None, progress=True, log=None):
    """Train on an encoded Corpus. Returns (vectors float32 (n_vocab, dim), stats dict)."""
    s = settings or Settings()
    rng = np.random.default_rng(s.seed)
    old_threads = torch.get_num_threads()
    torch.set_num_threads(s.threads)
    try:
        return _train(corpus, s, rng, progress, log)
    finally:
        torch.set_num_threads(old_threads)


def _train(corpus, s, rng, progress, log):
    counts = corpus.vocab.counts
    keep_prob = keep_probabilities(counts, s.sample)
    cdf = noise_cdf(counts)
    paras = paragraph_index(corpus.offsets)
    chunks = _chunks(corpus.offsets, s.chunk_tokens)
    model = Model(len(counts), s.dim, rng)
    n_tokens = len(corpus.ids)
    total = s.epochs * n_tokens
    batch = max(s.group, s.batch - s.batch % s.group)

    bar = tqdm(total=total, unit="w", unit_scale=True, disable=not progress, desc="sgns") if tqdm else None
    started = time.perf_counter()
    done = pairs = kept = 0
    epochs_done = 0.0
    out_of_time = False
    lr = s.lr
    for epoch in range(s.epochs):
        for a, b in chunks:
            ws, cs, n_kept = make_pairs(corpus.ids[a:b], paras[a:b], s.window, keep_prob, rng)
            m = len(ws) - len(ws) % s.group  # drop a ragged tail (< group pairs) per chunk
            n_groups = m // s.group
            noise = np.searchsorted(cdf, rng.random(n_groups * s.negatives)).astype(np.int64)
            np.minimum(noise, len(counts) - 1, out=noise)
            ws_t, cs_t, noise_t = torch.from_numpy(ws), torch.from_numpy(cs), torch.from_numpy(noise)
            per_group = s.negatives
            for lo in range(0, m, batch):
                hi = min(m, lo + batch)
                frac = (done + (b - a) * lo / max(m, 1)) / total
                elapsed = time.perf_counter() - started
                if s.time_budget_s:
                    if elapsed >= s.time_budget_s:
                        out_of_time = True
                        break
                    frac = max(frac, elapsed / s.time_budget_s)
                lr = s.lr * max(1.0 - frac, s.min_lr_frac)
                model.step(ws_t[lo:hi], cs_t[lo:hi],
                           noise_t[lo // s.group * per_group:hi // s.group * per_group], s.group, lr)
            if out_of_time:
                epochs_done += (b - a) * (lo / max(m, 1)) / n_tokens
                break
            pairs += m
            kept += n_kept
            done += b - a
            epochs_done += (b - a) / n_tokens
            if bar is not None:
                bar.update(b - a)
                bar.set_postfix(lr=f"{lr:.4f}")
        if out_of_time:
            break
    seconds = time.perf_counter() - started
    if bar is not None:
        bar.close()
    raw_words = epochs_done * corpus.raw_tokens
    stats = {
        "train_seconds": round(seconds, 2),
        "epochs_done": round(epochs_done, 3),
        "words_per_second": round(raw_words / seconds) if seconds else None,
        "pairs": int(pairs),
        "stopped_by_budget": out_of_time,
    }
    return model.w_in.numpy().copy(), stats
