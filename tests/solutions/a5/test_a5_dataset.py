"""The a5 reference's src/dataset.py: CharCorruptionDataset (the vocabulary the provided
__init__ makes, every rule of __getitem__ on wiki.txt, its statistics within the bounds
the grader's 2.8 uses, with the margins that keep a false failure under 1e-6) and the
provided NameDataset (the 2021 layout of x and y)."""
import math
import os
import random

import numpy as np
import pytest
import torch

from a5_src_import import SRC, importable

from autograder.config import ROOT

CHECKS = os.path.join(ROOT, "assignments", "a5", "tests", "public")
WIKI = os.path.join(ROOT, "data", "birth-places", "wiki.txt")
TRAIN = os.path.join(ROOT, "data", "birth-places", "birth_places_train.tsv")


@pytest.fixture(scope="module")
def dataset():
    torch.set_num_threads(1)
    with importable(SRC, ["dataset"]) as (module,):
        yield module


@pytest.fixture(scope="module")
def checks():
    with importable(CHECKS, ["probes_a5_src", "a5_src_checks"]) as (_, module):
        yield module


@pytest.fixture(scope="module")
def wiki():
    with open(WIKI, encoding="utf-8") as f:
        return f.read()


def examples(data, indices, seed):
    random.seed(seed)
    out = [data[i] for i in indices]
    return [x.numpy() for x, _ in out], [y.numpy() for _, y in out], out


def test_vocabulary_of_wiki(dataset, wiki, checks):
    data = dataset.CharCorruptionDataset(wiki, 128)
    assert data.vocab_size == 256  # the course's model: vocabulary 256
    assert [data.itos[i] for i in range(256)] == checks.vocabulary(wiki)
    assert data.itos[0] == "\u25A1" and data.itos[1] == "\u2047"
    assert all(data.stoi[c] == i for i, c in data.itos.items())
    assert data.block_size == 128 and len(data) == len(wiki.split("\n"))


def test_every_rule_on_wiki(dataset, wiki, checks):
    data = dataset.CharCorruptionDataset(wiki, 128)
    rng = np.random.default_rng(0)
    indices = rng.integers(0, len(data), size=2000)
    xs, ys, raw = examples(data, indices, 1)
    assert all(x.dtype == torch.long and y.dtype == torch.long and x.shape == (127,) for x, y in raw)
    vocab = checks.vocabulary(wiki)
    for k, i in enumerate(indices):
        problem, parts = checks.read_example(xs[k], ys[k], 128, vocab, data.data[i])
        assert problem is None, (i, problem)


def test_short_and_empty_documents(dataset, checks):
    text = "\n".join(["abcd", "ab", "", "abcdefghij"])
    data = dataset.CharCorruptionDataset(text, 16)
    vocab = checks.vocabulary(text)
    random.seed(3)
    for _ in range(50):
        for i, doc in enumerate(data.data):
            x, y = data[i]
            assert x.shape == y.shape == (15,)
            problem, parts = checks.read_example(x.numpy(), y.numpy(), 16, vocab, doc)
            # the rules ask for at least 4 characters; shorter documents stay whole
            assert problem is None or len(doc) < 4, (doc, problem)
            assert parts[0] == len(doc) if len(doc) <= 4 else 4 <= parts[0] <= min(len(doc), 14)


def test_seeded_random_reproduces(dataset, wiki):
    data = dataset.CharCorruptionDataset(wiki, 128)
    first = examples(data, range(20), 5)[0]
    again = examples(data, range(20), 5)[0]
    other = examples(data, range(20), 6)[0]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))


def expectations(block):
    """The reference's exact expectations over a document longer than the block: the mean of
    span / length, and the chance that the span's centre lies in the first third (the same
    as the last third, by symmetry)."""
    top = int(block * 7 / 8)
    ratio = first = 0.0
    for length in range(4, top + 1):
        spans = np.arange(1, length // 2 + 1)
        ratio += np.mean(spans / length)
        share = [np.mean((np.arange(length - s + 1) + s / 2) / length < 1 / 3) for s in spans]
        first += np.mean(share)
    n = top - 3
    return ratio / n, first / n


@pytest.mark.parametrize("block", [64, 128, 192])
def test_statistics_margins_keep_false_failures_under_1e6(block, checks):
    """The bounds of span_statistics (2.8) against the reference's exact expectations at the
    ends of the grader's block sizes (64-192), with n = 3000 examples."""
    n = 3000
    ratio, first = expectations(block)
    t = checks.hoeffding(n)
    assert abs(ratio - 0.25) <= 0.05 - 0.01, ratio  # inside the systematic margin, with room
    # mean of span/length outside 0.25 +- (0.05 + t): at most P(|mean - E| >= t) <= 1e-7
    assert 2 * math.exp(-2 * n * t * t) <= 1.01e-7
    # each third holds the span's centre with probability `first`; failing needs under 10%
    assert first > 0.2
    assert math.exp(-2 * n * (first - 0.10) ** 2) < 1e-20
    # each quarter of the truncation range holds about 25%; failing needs under 10%
    assert math.exp(-2 * n * (0.24 - 0.10) ** 2) < 1e-20


def test_statistics_pass_for_the_reference(dataset, checks):
    rng = np.random.default_rng(7)
    for block in (int(rng.integers(64, 193)),):  # the grader's range (the margins above cover its ends)
        documents = checks.draw_documents(rng, rng.integers(block + 1, 2 * block, size=250))
        data = dataset.CharCorruptionDataset("\n".join(documents), block)
        indices = rng.permutation(np.repeat(np.arange(250), 12))
        xs, ys, _ = examples(data, indices, int(rng.integers(2**31)))
        vocab = checks.vocabulary("\n".join(documents))
        parts = [checks.read_example(xs[k], ys[k], block, vocab, documents[i])[1] for k, i in enumerate(indices)]
        stats = checks.span_statistics(parts, block, "CharCorruptionDataset")
        assert abs(stats["span_ratio"] - 0.25) < 0.05


def test_statistics_fail_for_a_span_uniform_over_the_document(checks):
    rng = np.random.default_rng(8)
    parts = []
    for _ in range(3000):
        length = int(rng.integers(4, 113))
        span = int(rng.integers(1, length + 1))
        parts.append((length, int(rng.integers(0, length - span + 1)), span))
    with pytest.raises(AssertionError, match="wanted about a quarter"):
        checks.span_statistics(parts, 128, "CharCorruptionDataset")


def test_name_dataset_layout(dataset, wiki):
    corruption = dataset.CharCorruptionDataset(wiki, 128)
    with open(TRAIN, encoding="utf-8") as f:
        names = dataset.NameDataset(corruption, f.read())
    assert len(names) == 2000
    x, y = names[0]
    question, answer = names.data[0].split("\t")
    text = "".join(corruption.itos[int(i)] for i in x)
    target = "".join(corruption.itos[int(i)] for i in y)
    assert x.dtype == y.dtype == torch.long and x.shape == y.shape == (127,)
    assert text.startswith(question + "\u2047" + answer + "\u2047")
    assert text.rstrip("\u25A1") == question + "\u2047" + answer + "\u2047"
    # y predicts the character after each of x's; nothing over the question but its last
    # position, which predicts the first MASK
    assert target[:len(question) - 1] == "\u25A1" * (len(question) - 1)
    assert target[len(question) - 1:].rstrip("\u25A1") == "\u2047" + answer + "\u2047"
