"""decoding.beam_search_batch gives what the course's per-sentence NMT.beam_search gives.

Both searches run on the same model and the same source sentences, one at a time and in
batches of several sentences (each with beam_size slots), and must return the same
hypotheses, in the same order, with the same scores. Two small models: random weights
scaled so that the distributions are far from uniform and </s> sometimes wins (some
sentences end, the others run into max_decoding_time_step), and one trained briefly,
whose outputs end at varied lengths. The models run in float64: batched and single
computations differ in float32 by about 1e-7, which could flip a near tie between two
candidates and fail the comparison for no fault of the search; the code path is the same.
"""
import os
import time

import pytest
import torch

N_SENTENCES = 46
# some sentences end before these, the others are stopped by them (the test checks both)
MAX_STEPS = {"random": 12, "trained": 11}


@pytest.fixture(scope="session")
def val_sentences(small_vocab_dir, corpus):
    """N_SENTENCES val.de sentences spread over the lengths (1 to the longest), pieces."""
    src = corpus(small_vocab_dir, "val.de", "src")
    order = sorted(range(len(src)), key=lambda i: len(src[i]))
    picked = [src[order[round(q * (len(order) - 1) / (N_SENTENCES - 2))]] for q in range(N_SENTENCES - 1)]
    return picked + [picked[len(picked) // 2][:1]]  # and a one-piece sentence


def random_model(a4, vocab, seed=0):
    torch.manual_seed(seed)
    model = a4.nmt_model.NMT(16, 16, vocab, dropout_rate=0.3)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.5)  # far from uniform distributions, so ranks are clear
        model.target_vocab_projection.weight[vocab.tgt["</s>"]] += 3.0  # some sentences end
    return model.double().eval()


@pytest.fixture(scope="session")
def trained_model(a4_session, small_vocab, small_vocab_dir, corpus):
    """A 32-unit model trained for 150 batches of 32 on the shortest training pairs."""
    src = corpus(small_vocab_dir, "train.de", "src")
    tgt = corpus(small_vocab_dir, "train.en", "tgt")
    pairs = sorted(zip(src, tgt), key=lambda p: len(p[0]))[:4800]
    torch.manual_seed(0)
    with a4_session() as a4:  # forward() imports utils by name
        model = a4.nmt_model.NMT(32, 32, small_vocab, dropout_rate=0.1)
        for p in model.parameters():
            p.data.uniform_(-0.1, 0.1)
        optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
        model.train()
        for i in torch.randperm(len(pairs) // 32).tolist():
            batch = sorted(pairs[32 * i: 32 * (i + 1)], key=lambda p: -len(p[0]))
            optimizer.zero_grad()
            loss = -model([p[0] for p in batch], [p[1] for p in batch]).sum() / len(batch)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
    return model.double().eval()


def per_sentence(model, sentences, beam_size, max_steps):
    with torch.no_grad():
        return [model.beam_search(s, beam_size=beam_size, max_decoding_time_step=max_steps) for s in sentences]


def hit_the_limit(hypotheses, beam_size, max_steps):
    """Whether the course's search stopped at max_steps (fewer than beam_size ended)."""
    if beam_size > 1:
        return len(hypotheses) < beam_size
    return len(hypotheses[0].value) == max_steps


@pytest.mark.parametrize("beam_size", [1, 3, 5])
@pytest.mark.parametrize("kind", ["random", "trained"])
def test_batched_search_equals_per_sentence_search(a4, small_vocab, val_sentences, trained_model, kind, beam_size):
    model = random_model(a4, small_vocab) if kind == "random" else trained_model
    max_steps = MAX_STEPS[kind]
    wanted = per_sentence(model, val_sentences, beam_size, max_steps)
    got = a4.decoding.beam_search_batch(model, val_sentences, beam_size=beam_size,
                                        max_decoding_time_step=max_steps, batch_size=16)
    assert len(got) == len(val_sentences)
    for i, (g, w) in enumerate(zip(got, wanted)):
        where = "sentence %d (%d pieces), beam %d, %s model" % (i, len(val_sentences[i]), beam_size, kind)
        assert [h.value for h in g] == [h.value for h in w], \
            "%s: batched %s, per sentence %s" % (where, [h.value for h in g], [h.value for h in w])
        # scores are kept in float32 between steps by both searches: one ulp may differ
        assert [h.score for h in g] == pytest.approx([h.score for h in w], abs=1e-4), where
    # the comparison covers both ways a search ends, and more than one length of output
    stopped = [hit_the_limit(w, beam_size, max_steps) for w in wanted]
    assert any(stopped) and not all(stopped), (kind, beam_size, stopped)
    assert len({len(h.value) for w in wanted for h in w}) >= 2


def test_the_trained_model_ends_at_varied_lengths(trained_model, val_sentences):
    """What makes the trained model's comparison worth having beside the random one's."""
    lengths = [len(h[0].value) for h in per_sentence(trained_model, val_sentences, 3, MAX_STEPS["trained"])]
    assert len(set(lengths)) >= 4, lengths


def test_batching_does_not_depend_on_the_batch_size(a4, small_vocab, val_sentences):
    model = random_model(a4, small_vocab, seed=1)
    one = a4.decoding.beam_search_batch(model, val_sentences, 3, 10, batch_size=1)
    all_at_once = a4.decoding.beam_search_batch(model, val_sentences, 3, 10, batch_size=len(val_sentences))
    assert [[h.value for h in hs] for hs in one] == [[h.value for h in hs] for hs in all_at_once]


def test_translate_detokenises_the_best_and_keeps_the_mode(a4, small_vocab, val_sentences):
    model = random_model(a4, small_vocab)
    model.train()
    texts = a4.decoding.translate(model, val_sentences[:10], beam_size=3, max_decoding_time_step=8)
    assert model.training  # back in training mode afterwards
    model.eval()
    best = [h[0].value for h in per_sentence(model, val_sentences[:10], 3, 8)]
    assert texts == [a4.vocab.detokenise(b) for b in best]
    assert all(isinstance(t, str) and "\u2581" not in t for t in texts)


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("NLPGRADE_SLOW") != "1",
                    reason="a timing printout (45-110 s; bench/a4.py measures the decode); NLPGRADE_SLOW=1")
def test_decoding_1000_val_sentences_with_a_full_size_model(a4, full_vocab_dir, corpus, capsys):
    """The size students train (embed 256, hidden 256, 8000 / 6000 pieces), random
    weights as run.py starts them, beam 5: a random model rarely ends a hypothesis, so
    every sentence runs all 70 steps, the slowest case. The issue wants well under a
    minute on this 2-core machine; the time is printed (`-s`), not asserted: machine load
    must not fail a test."""
    vocab = a4.vocab.Vocab.build(str(full_vocab_dir / "src.model"), str(full_vocab_dir / "tgt.model"))
    assert (len(vocab.src), len(vocab.tgt)) == (a4.vocab.SRC_VOCAB_SIZE, a4.vocab.TGT_VOCAB_SIZE)
    sentences = corpus(full_vocab_dir, "val.de", "src")[:1000]
    assert len(sentences) == 1000
    torch.manual_seed(0)
    model = a4.nmt_model.NMT(256, 256, vocab, dropout_rate=0.3)
    for p in model.parameters():
        p.data.uniform_(-0.1, 0.1)
    model.eval()
    start, cpu = time.perf_counter(), time.process_time()
    found = a4.decoding.beam_search_batch(model, sentences, beam_size=5, max_decoding_time_step=70)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    with capsys.disabled():
        print("\nbatched beam search, 1000 val sentences, embed/hidden 256, beam 5, %d thread(s): %.1f s "
              "(%.1f s of CPU)" % (torch.get_num_threads(), seconds, cpu))
    assert len(found) == 1000
    for hyps in found:
        assert 1 <= len(hyps) <= 5 and [h.score for h in hyps] == sorted((h.score for h in hyps), reverse=True)
        assert all(len(h.value) <= 70 for h in hyps)
