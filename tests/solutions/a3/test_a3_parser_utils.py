"""utils/parser_utils.py of the a3 reference: reading, vocabulary, oracle, features,
prediction without gold heads, loading weights."""
import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

def test_is_projective(a3):
    assert a3.pu.is_projective([2, 0, 2])
    assert not a3.pu.is_projective([3, 4, 0, 3])  # 1 <- 3 crosses 2 <- 4
    assert not a3.pu.is_projective([0, 4, 1, 1])  # root arc 0 -> 1 is fine; 2 <- 4 crosses 1 -> 3
    assert not a3.pu.is_projective([3, 0, 2])  # the arc 3 -> 1 crosses the root arc 0 -> 2


TOY = [{"word": ["The", "cat", "sat", "."], "pos": ["DET", "NOUN", "VERB", "PUNCT"],
        "head": [2, 3, 0, 3], "label": ["det", "nsubj", "root", "punct"]}]


def test_features_of_a_hand_made_state(a3):
    parser = a3.pu.Parser(TOY)
    t = parser.tok2id
    assert parser.n_tokens == 6 + 4 + 4 and parser.n_features == 36
    ex = parser.vectorize(TOY)[0]
    assert ex["word"] == [t["<ROOT>"], t["the"], t["cat"], t["sat"], t["."]]
    # after S S LA S LA: "the" <- "cat" <- "sat"; stack ROOT sat, buffer "."
    stack, buf, arcs = [0, 3], [4], [(2, 1), (3, 2)]
    words = ["<NULL>", "<ROOT>", "sat", ".", "<NULL>", "<NULL>",
             "cat", "<NULL>", "<NULL>", "<NULL>", "the", "<NULL>"] + ["<NULL>"] * 6
    tags = ["<NULL>", "<ROOT>", "VERB", "PUNCT", "<NULL>", "<NULL>",
            "NOUN", "<NULL>", "<NULL>", "<NULL>", "DET", "<NULL>"] + ["<NULL>"] * 6
    want = [t[w] for w in words] + [t["<p>:" + p] for p in tags]
    assert parser.extract_features(stack, buf, arcs, ex) == want
    # the same state as a PartialParse holds it: 'ROOT' for the root; nothing is modified
    pstack = ["ROOT", 3]
    assert parser.extract_features(pstack, buf, [(2, 1), (3, 2)], ex) == want
    assert pstack == ["ROOT", 3]


def test_features_see_second_children_and_grandchildren(a3):
    sent = [{"word": list("abcdefg"), "pos": ["X"] * 7, "head": [2, 4, 4, 0, 4, 7, 4]}]
    parser = a3.pu.Parser(sent)
    ex = parser.vectorize(sent)[0]
    t = parser.tok2id
    arcs = [(4, 3), (4, 2), (2, 1), (4, 5), (7, 6), (4, 7)]
    f = parser.extract_features([0, 4], [], arcs, ex)
    # s1 = d: lc1 b, rc1 g, lc2 c, rc2 e, lc1(lc1) = a, rc1(rc1) = none (f is left of g)
    assert f[6:12] == [t["b"], t["g"], t["c"], t["e"], t["a"], t["<NULL>"]]


def test_legal_labels(a3):
    parser = a3.pu.Parser(TOY)
    assert parser.legal_labels([0], [1, 2]) == [0, 0, 1]
    assert parser.legal_labels([0, 1], [2]) == [0, 0, 1]  # ROOT takes its dependent last
    assert parser.legal_labels([0, 1], []) == [0, 1, 0]
    assert parser.legal_labels([0, 1, 2], []) == [1, 1, 0]


def test_oracle_rebuilds_every_projective_dev_tree(a3, dev_raw):
    parser = a3.pu.Parser(dev_raw[:200])  # the vocabulary does not matter here
    dev = parser.vectorize(dev_raw)
    non_projective = 0
    for ex in dev:
        gold = ex["head"][1:]
        pp = a3.pt.PartialParse(list(range(1, len(gold) + 1)))
        failed = False
        while pp.buffer or len(pp.stack) > 1:
            stack = [0 if x == "ROOT" else x for x in pp.stack]
            t = parser.get_oracle(stack, pp.buffer, ex)
            if t is None:
                failed = True
                break
            assert parser.legal_labels(stack, pp.buffer)[t]
            pp.parse_step(a3.pu.TRANSITIONS[t])
        assert failed == (not a3.pu.is_projective(gold))
        if failed:
            non_projective += 1
        else:
            assert a3.pu.heads_from_dependencies(pp.dependencies, len(gold)) == gold
    assert non_projective == 31  # SOURCE.md of the data

    instances = parser.create_instances(dev)
    assert parser.n_skipped == 31
    projective_words = sum(len(ex["word"]) - 1 for ex in dev if a3.pu.is_projective(ex["head"][1:]))
    assert len(instances) == 2 * projective_words
    assert all(len(f) == 36 and legal[gold] == 1 for f, legal, gold in instances[:500])


def test_vocabulary_is_deterministic(a3, dev_raw):
    p1, p2 = a3.pu.Parser(dev_raw), a3.pu.Parser(list(reversed(dev_raw)))
    assert p1.tok2id == p2.tok2id
    assert [p1.id2tok[i] for i in range(6)] == ["<NULL>", "<UNK>", "<ROOT>", "<p>:<NULL>",
                                                "<p>:<UNK>", "<p>:<ROOT>"]
    code = ("import sys, hashlib; sys.path.insert(0, '.'); from utils import parser_utils as pu; "
            "p = pu.Parser(pu.read_conll(pu.find_data_file(pu.Config.dev_file), lowercase=True)); "
            "print(hashlib.sha256('\\n'.join(p.id2tok[i] for i in range(p.n_tokens)).encode()).hexdigest())")
    digests = set()
    for seed in ("1", "2"):
        proc = subprocess.run([sys.executable, "-c", code], cwd=a3.dir, capture_output=True,
                              text=True, timeout=60, env=dict(os.environ, PYTHONHASHSEED=seed))
        assert proc.returncode == 0, proc.stderr
        digests.add(proc.stdout.strip())
    assert digests == {hashlib.sha256("\n".join(
        p1.id2tok[i] for i in range(p1.n_tokens)).encode()).hexdigest()}


def random_model(a3, parser, hidden=32):
    torch.manual_seed(0)
    emb, _ = a3.pu.build_embeddings(parser, None)
    return a3.pm.ParserModel(emb, hidden_size=hidden)


def test_predict_heads_needs_no_gold_heads(a3, small_parser, dev_raw):
    model = random_model(a3, small_parser)
    sentences = [{"word": ex["word"], "pos": ex["pos"]} for ex in dev_raw[:60]]
    heads = a3.pu.predict_heads(small_parser, model, sentences, batch_size=7)
    assert [len(h) for h in heads] == [len(s["word"]) for s in sentences]
    for h in heads:
        n = len(h)
        assert all(0 <= x <= n for x in h) and h.count(0) == 1  # one root, everyone attached
        for start in range(1, n + 1):  # no cycles: every word reaches the root
            seen, x = set(), start
            while x != 0:
                assert x not in seen
                seen.add(x)
                x = h[x - 1]
    assert not model.training
    # the same heads as when evaluating with gold heads present
    small_parser.model = model
    again, _ = small_parser.parse_heads(small_parser.vectorize(dev_raw[:60]), eval_batch_size=60)
    assert again == heads


def test_heads_from_dependencies(a3):
    assert a3.pu.heads_from_dependencies([("ROOT", 2), (2, 1)], 3) == [2, 0, -1]
    with pytest.raises(ValueError, match="not \\(head, dependent\\)"):
        a3.pu.heads_from_dependencies([(1, 4)], 3)


def test_load_model_from_shapes_and_vocabulary_check(a3, small_parser, tmp_path):
    model = random_model(a3, small_parser, hidden=24)
    path = tmp_path / "model.weights"
    torch.save(model.state_dict(), path)
    loaded = a3.pu.load_model(str(path), small_parser, model_class=a3.pm.ParserModel)
    assert loaded.hidden_size == 24 and not loaded.training
    w = torch.randint(0, small_parser.n_tokens, (3, 36))
    assert torch.equal(loaded(w), model.eval()(w))
    other = a3.pu.Parser(TOY)
    with pytest.raises(ValueError, match="debug mode"):
        a3.pu.load_model(model.state_dict(), other, model_class=a3.pm.ParserModel)


def test_random_embeddings(a3, small_parser):
    e1, src = a3.pu.build_embeddings(small_parser, None, seed=3)
    e2, _ = a3.pu.build_embeddings(small_parser, None, seed=3)
    assert e1.shape == (small_parser.n_tokens, 50) and e1.dtype == np.float32
    assert np.array_equal(e1, e2) and "random" in src
    assert abs(e1.std() - 0.9) < 0.02


def test_minibatches(a3):
    data = [([i] * 36, [1, 1, 1], i % 3) for i in range(10)]
    np.random.seed(0)
    batches = list(a3.pu.minibatches(data, 4))
    assert [len(x) for x, _ in batches] == [4, 4, 2]
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    assert x.dtype == np.int64 and x.shape == (10, 36) and sorted(x[:, 0]) == list(range(10))
    assert (y.sum(1) == 1).all() and (y.argmax(1) == x[:, 0] % 3).all()


def test_word_dropout_in_training_minibatches(a3, small_parser, dev_raw):
    parser = small_parser
    instances = parser.create_instances(parser.vectorize(dev_raw[:100]))
    assert isinstance(instances, a3.pu.TrainingInstances)
    # rare words are dropped more often than frequent ones; tags and specials never
    keep, alpha = parser.word_keep, a3.pu.Config.word_dropout
    assert alpha > 0
    the, rare = parser.tok2id["the"], parser.tok2id[parser.id2tok[parser.n_tokens - 1]]  # seen once
    assert keep[the] > 0.99 and keep[rare] == pytest.approx(1 / (1 + alpha))
    assert keep[parser.UNK] == 1 and keep[parser.P_NULL] == 1
    np.random.seed(0)
    x = np.concatenate([b[0] for b in a3.pu.minibatches(instances, 256)])
    clean = np.array([f for f, _, _ in instances])
    assert x.shape == clean.shape
    assert not np.array_equal(x[:, :18], clean[:, :18]) or len(clean) == 0
    # only word features change, and only to UNK
    xs = x[np.lexsort(x[:, 18:].T)]  # rows are shuffled: compare as multisets of tag columns
    cs = clean[np.lexsort(clean[:, 18:].T)]
    assert np.array_equal(xs[:, 18:], cs[:, 18:])
    changed = set(np.unique(x[:, :18])) - set(np.unique(clean[:, :18]))
    assert changed <= {parser.UNK}
    dropped = (x[:, :18] == parser.UNK).sum() - (clean[:, :18] == parser.UNK).sum()
    expected = (1 - keep[clean[:, :18]]).sum()
    assert abs(dropped - expected) < 5 * np.sqrt(expected) + 5
    # with everything kept there is nothing to drop
    plain = a3.pu.TrainingInstances(np.ones(parser.n_tokens, dtype=np.float32), parser.UNK, instances)
    x = np.concatenate([b[0] for b in a3.pu.minibatches(plain, 256)])
    assert (x[:, :18] == parser.UNK).sum() == (clean[:, :18] == parser.UNK).sum()
