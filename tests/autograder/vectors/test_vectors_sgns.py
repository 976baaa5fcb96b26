"""The SGNS trainer: pair generation, subsampling, and that training learns, reproducibly."""
import numpy as np
import pytest

from autograder.vectors import KeyedVectors, corpus, sgns


def topic_corpus(n_topics=30, words_per_topic=12, paragraphs=2500, length=30, seed=0):
    """Paragraphs each about one topic: 70% of tokens are that topic's words, the rest
    Zipfian function words shared by all topics. Same-topic words co-occur by construction."""
    rng = np.random.default_rng(seed)
    func = [f"f{i}" for i in range(20)]
    paras = []
    for _ in range(paragraphs):
        t = rng.integers(n_topics)
        paras.append([f"t{t}w{rng.integers(words_per_topic)}" if rng.random() < 0.7
                      else func[min(rng.geometric(0.3) - 1, 19)] for _ in range(length)])
    vocab = corpus.Vocab.build(paras, min_count=1)
    return corpus.Corpus.encode(paras, vocab)


def topic_scores(kv):
    words = [w for w in kv.index_to_key if w.startswith("t")]
    topic = np.array([w.split("w")[0] for w in words])
    n = kv.get_normed_vectors()[[kv.key_to_index[w] for w in words]]
    sims = n @ n.T
    np.fill_diagonal(sims, -np.inf)
    nearest_same = np.mean(topic[np.argmax(sims, axis=1)] == topic)
    same = topic[:, None] == topic[None, :]
    np.fill_diagonal(same, False)
    np.fill_diagonal(sims, np.nan)
    return nearest_same, np.nanmean(sims[same]) - np.nanmean(sims[~same & ~np.isnan(sims)])


SMALL = dict(dim=16, window=3, epochs=2, min_count=1, sample=1e-3, batch=1024, group=16, threads=1)


def settings(**kw):
    base = dict(SMALL)
    base.update(kw)
    return sgns.Settings(**base)


def test_training_puts_co_occurring_words_together():
    c = topic_corpus()
    kv0 = KeyedVectors(c.vocab.words, sgns.Model(len(c.vocab), 16, np.random.default_rng(0)).w_in.numpy())
    before, _ = topic_scores(kv0)
    vecs, stats = sgns.train(c, settings(), progress=False)
    nearest_same, margin = topic_scores(KeyedVectors(c.vocab.words, vecs))
    assert before < 0.3  # chance is 11/359
    assert nearest_same > 0.9 and margin > 0.2
    assert stats["epochs_done"] == 2 and stats["pairs"] > 0 and not stats["stopped_by_budget"]
    assert np.isfinite(vecs).all()


def test_same_seed_same_vectors_other_seed_other_vectors():
    c = topic_corpus(paragraphs=300)
    a, _ = sgns.train(c, settings(seed=7), progress=False)
    b, _ = sgns.train(c, settings(seed=7), progress=False)
    d, _ = sgns.train(c, settings(seed=8), progress=False)
    assert np.array_equal(a, b)
    assert not np.allclose(a, d)


def test_time_budget_stops_training():
    c = topic_corpus(paragraphs=300)
    _, stats = sgns.train(c, settings(epochs=100000, time_budget_s=0.5), progress=False)
    # stopped soon after the budget, not after 100000 epochs (no tighter bound: load)
    assert stats["stopped_by_budget"] and stats["train_seconds"] < 30
    assert 0 < stats["epochs_done"] < 100000


def test_keep_probabilities_follow_word2vec():
    counts = np.array([1000, 10, 1])  # frequencies 0.99, 0.0099, 0.00099
    f = counts / counts.sum()
    keep = sgns.keep_probabilities(counts, 1e-3)
    assert keep[0] == pytest.approx((np.sqrt(f[0] / 1e-3) + 1) * 1e-3 / f[0])
    assert keep[2] == 1.0  # rare words are always kept
    assert (sgns.keep_probabilities(counts, 0) == 1).all()


def test_pairs_stay_in_window_and_paragraph():
    tokens = np.arange(40, dtype=np.int32)  # token id = position, so pairs reveal distances
    paras = np.repeat(np.arange(4), 10).astype(np.int32)
    keep = np.ones(40)
    words, contexts, kept = sgns.make_pairs(tokens, paras, 1, keep, np.random.default_rng(0))
    assert kept == 40
    got = sorted(zip(words.tolist(), contexts.tolist()))
    expected = sorted([(i, i + 1) for i in range(39) if i % 10 != 9] + [(i + 1, i) for i in range(39) if i % 10 != 9])
    assert got == expected
    words, contexts, _ = sgns.make_pairs(tokens, paras, 5, keep, np.random.default_rng(0))
    assert (np.abs(words - contexts) <= 5).all() and (words != contexts).all()
    assert (paras[words] == paras[contexts]).all()


def test_dynamic_window_weights_near_words_more():
    n = 200000
    tokens = np.arange(n) % 50000
    words, contexts, _ = sgns.make_pairs(tokens.astype(np.int32), np.zeros(n, np.int32), 5, np.ones(50000),
                                         np.random.default_rng(1))
    dist = np.bincount(np.abs(words - contexts), minlength=6)[1:6] / n
    # Offset k is used when the drawn window is >= k: P = (6 - k) / 5, on both sides.
    assert np.allclose(dist, 2 * np.array([5, 4, 3, 2, 1]) / 5, atol=0.01)


def test_subsampling_drops_frequent_words():
    tokens = np.zeros(10000, dtype=np.int32)
    tokens[::10] = 1
    keep = np.array([0.1, 1.0])
    words, _, kept = sgns.make_pairs(tokens, np.zeros(10000, np.int32), 2, keep, np.random.default_rng(0))
    assert 1800 < kept < 2200  # all 1000 ones, ~10% of the 9000 zeros


def test_threaded_step_is_deterministic():
    # The threaded step reads in parallel and writes each matrix from one thread in shard
    # order: repeated 2-thread runs agree bit for bit, and differ from 1 thread by rounding.
    c = topic_corpus(paragraphs=300)
    one, _ = sgns.train(c, settings(threads=1, batch=512), progress=False)
    two, _ = sgns.train(c, settings(threads=2, batch=512), progress=False)
    again, _ = sgns.train(c, settings(threads=2, batch=512), progress=False)
    assert np.array_equal(two, again)
    assert np.allclose(one, two, atol=1e-4)


def test_step_gradients_equal_autograd_of_the_sgns_loss():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    model = sgns.Model(12, 6, rng)
    model.w_out.normal_(0, 0.5, generator=torch.Generator().manual_seed(0))
    words = torch.tensor([0, 1, 2, 3, 3, 5])
    contexts = torch.tensor([4, 4, 6, 7, 8, 9])
    noise = torch.tensor([10, 11, 2, 4])  # group of 3 pairs, 2 negatives per group
    lr = 0.1
    grad_h, grad_u, grad_n = model.gradients(words, contexts, noise, 3, lr)

    h = model.w_in[words].clone().requires_grad_()
    u = model.w_out[contexts].clone().requires_grad_()
    n = model.w_out[noise].clone().requires_grad_()
    neg = torch.einsum("gpd,gkd->gpk", h.view(2, 3, 6), n.view(2, 2, 6))
    loss = -torch.nn.functional.logsigmoid((h * u).sum(1)).sum() - torch.nn.functional.logsigmoid(-neg).sum()
    loss.backward()
    assert torch.allclose(grad_h, -lr * h.grad, atol=1e-6)
    assert torch.allclose(grad_u, -lr * u.grad, atol=1e-6)
    assert torch.allclose(grad_n, -lr * n.grad, atol=1e-6)
