"""The training corpus: paragraphs of space-separated tokens, counted and encoded to ints.

The whole corpus (10M tokens) is held as one int32 array plus paragraph offsets: 40 MB,
and the trainer slices it without touching Python objects per token.
"""
import collections
import gzip
import hashlib
import io
import os

import numpy as np

CORPUS = "wiki-en-10M/wiki-en-2015-10M.txt.gz"  # relative to the data folder


def _open_text(path):
    if str(path).endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")


def paragraphs(path, lowercase=False, max_lines=None):
    """Token lists, one per non-empty line (a paragraph); a .gz file is read as gzip."""
    with _open_text(path) as f:
        for i, line in enumerate(f):
            if max_lines is not None and i >= max_lines:
                break
            if lowercase:
                line = line.lower()
            tokens = line.split()
            if tokens:
                yield tokens


class Vocab:
    """Words sorted by descending count (ties: first seen first), as word2vec orders them."""

    def __init__(self, words, counts):
        self.words = list(words)
        self.counts = np.asarray(counts, dtype=np.int64)
        self.index = {w: i for i, w in enumerate(self.words)}

    def __len__(self):
        return len(self.words)

    @classmethod
    def build(cls, token_lists, min_count=5, max_size=None):
        counter = collections.Counter()
        for tokens in token_lists:
            counter.update(tokens)
        # Counter keeps first-seen order, and sorted() is stable, so ties stay reproducible.
        items = sorted((kv for kv in counter.items() if kv[1] >= min_count), key=lambda kv: -kv[1])
        if max_size is not None:
            items = items[:max_size]
        return cls([w for w, _ in items], [c for _, c in items])


class Corpus:
    """An encoded corpus: `ids` (int32, in-vocabulary tokens only) and `offsets`
    (paragraph p is ids[offsets[p]:offsets[p+1]]); `raw_tokens` counts every token read,
    in or out of the vocabulary, which is what words/s is measured against."""

    def __init__(self, vocab, ids, offsets, raw_tokens):
        self.vocab = vocab
        self.ids = ids
        self.offsets = offsets
        self.raw_tokens = raw_tokens

    @property
    def n_paragraphs(self):
        return len(self.offsets) - 1

    @classmethod
    def encode(cls, token_lists, vocab):
        # Out-of-vocabulary tokens are dropped before windows are formed, as word2vec does.
        index = vocab.index
        chunks, lengths, raw = [], [], 0
        for tokens in token_lists:
            raw += len(tokens)
            ids = [index[w] for w in tokens if w in index]
            if ids:
                chunks.append(np.array(ids, dtype=np.int32))
                lengths.append(len(ids))
        ids = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int32)
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return cls(vocab, ids, offsets, raw)


def load(path, min_count=5, max_vocab=None, lowercase=False, max_lines=None):
    """Read `path` once into memory, build the vocabulary and encode: a Corpus."""
    token_lists = list(paragraphs(path, lowercase=lowercase, max_lines=max_lines))
    vocab = Vocab.build(token_lists, min_count=min_count, max_size=max_vocab)
    return Corpus.encode(token_lists, vocab)


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def default_corpus_path(data_dir=None):
    from .. import data

    return data.path(CORPUS, data_dir)


def describe(path):
    return {"path": os.path.basename(path), "sha256": sha256_of(path)}
