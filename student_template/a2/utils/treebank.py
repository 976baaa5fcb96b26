"""The training corpus of assignment a2: lowercased English Wikipedia text.

The file (see data/wiki-en-10M/SOURCE.md) is gzip text with one paragraph per line and
tokens separated by spaces. Each paragraph is used as one "sentence"; context windows
never cross paragraph boundaries.

Where the file is found, in order:
  1. the `path` argument of WikiCorpus;
  2. $NLPGRADE_DATA_DIR/wiki-en-10M/wiki-en-2015-10M.txt.gz (the env var names the
     data folder; the file directly inside it is accepted too);
  3. <dir>/data/wiki-en-10M/wiki-en-2015-10M.txt.gz for the nearest directory <dir>
     above this file where that file exists.
"""

import gzip
import os
import random

import numpy as np

CORPUS_SUBDIR = "wiki-en-10M"
CORPUS_FILE = "wiki-en-2015-10M.txt.gz"


def default_corpus_path():
    """Locate the corpus file as described in the module docstring."""
    env = os.environ.get("NLPGRADE_DATA_DIR")
    if env:
        for cand in (os.path.join(env, CORPUS_SUBDIR, CORPUS_FILE),
                     os.path.join(env, CORPUS_FILE)):
            if os.path.isfile(cand):
                return cand
        raise FileNotFoundError("NLPGRADE_DATA_DIR=%s holds no %s/%s"
                                % (env, CORPUS_SUBDIR, CORPUS_FILE))

    d = os.path.dirname(os.path.abspath(__file__))
    while True:
        cand = os.path.join(d, "data", CORPUS_SUBDIR, CORPUS_FILE)
        if os.path.isfile(cand):
            return cand
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    raise FileNotFoundError("could not find data/%s/%s above %s; set NLPGRADE_DATA_DIR "
                            "to the data folder" % (CORPUS_SUBDIR, CORPUS_FILE,
                                                    os.path.dirname(__file__)))


class WikiCorpus:
    """Word2vec training data over the Wikipedia corpus.

    path: corpus file (default: see default_corpus_path).
    maxLines: read only the first maxLines paragraphs (None: the whole file, ~10M tokens).
    tablesize: size of the lookup table used to draw negative samples.
    seed: seed of the (numpy) draw that subsamples frequent words in allSentences().
    minCount: words seen fewer times are removed from the text before anything else,
        as the word2vec C code does; they are not in the vocabulary.
    sampleThreshold: t of the subsampling keep probability (sqrt(z/t) + 1) * t / z.

    Vocabulary order: by decreasing count, ties broken by first occurrence, so index 0
    is the most frequent word. Random draws in getRandomContext and sampleTokenIdx use
    Python's `random` module, so seed it (random.seed) for reproducible runs.
    """

    def __init__(self, path=None, maxLines=None, tablesize=1000000, seed=224,
                 minCount=5, sampleThreshold=1e-3):
        self.path = path or default_corpus_path()
        self.maxLines = maxLines
        self.tablesize = int(tablesize)
        self.seed = seed
        self.minCount = minCount
        self.sampleThreshold = sampleThreshold
        self._load()

    # ------------------------------------------------------------------ loading

    def _load(self):
        """Read the text, keep words with count >= minCount, store it as id arrays."""
        first_ids = {}      # word -> id in order of first occurrence
        lines = []
        with gzip.open(self.path, "rt", encoding="ascii") as f:
            for i, line in enumerate(f):
                if self.maxLines is not None and i >= self.maxLines:
                    break
                words = line.split()
                if words:
                    lines.append(np.array([first_ids.setdefault(w, len(first_ids))
                                           for w in words], dtype=np.int32))

        flat = np.concatenate(lines) if lines else np.zeros(0, dtype=np.int32)
        lengths = np.array([len(l) for l in lines], dtype=np.int64)
        counts = np.bincount(flat, minlength=len(first_ids))
        words = np.array(list(first_ids), dtype=object)

        # vocabulary: frequent enough words, most frequent first (stable on ties)
        order = np.argsort(-counts, kind="stable")
        order = order[counts[order] >= self.minCount]
        remap = np.full(len(first_ids), -1, dtype=np.int32)
        remap[order] = np.arange(len(order), dtype=np.int32)

        self._words = words[order].tolist()
        self._counts = counts[order]
        self._tokens = {w: i for i, w in enumerate(self._words)}

        # the text with rare words removed, as one id array plus paragraph ids
        ids = remap[flat]
        keep = ids >= 0
        self._text = ids[keep]
        self._textSent = np.repeat(np.arange(len(lines)), lengths)[keep]
        self._numSentences = len(lines)

        self._allSentences = None
        self._sampleTable = None
        self._subsample()

    def _subsample(self):
        """Drop frequent words with the word2vec keep probability (one seeded draw)."""
        total = max(1, int(self._counts.sum()))
        z = self._counts / total
        with np.errstate(divide="ignore"):
            keepProb = np.minimum(1.0, (np.sqrt(z / self.sampleThreshold) + 1)
                                  * self.sampleThreshold / z)
        self._keepProb = keepProb

        rng = np.random.RandomState(self.seed)
        mask = rng.random_sample(len(self._text)) < keepProb[self._text]
        sub = self._text[mask]
        subSent = self._textSent[mask]

        # paragraphs with fewer than 2 words left cannot give a context
        # (subSent is sorted, so each paragraph is a contiguous run)
        _, inverse, length = np.unique(subSent, return_inverse=True, return_counts=True)
        good = length > 1
        sub = sub[good[inverse]]
        length = length[good]

        # after dropping short paragraphs, each surviving one is a contiguous slice
        newStart = np.cumsum(length) - length
        self._sub = sub
        self._subStart = newStart
        self._subEnd = newStart + length
        self._subSentOf = np.repeat(np.arange(len(length)), length)

    # ------------------------------------------------------------------ queries

    def tokens(self):
        """dict word -> index, indices 0..V-1 by decreasing count."""
        return self._tokens

    def tokenfreq(self):
        """dict word -> count in the loaded text."""
        return dict(zip(self._words, self._counts.tolist()))

    def numSentences(self):
        """Number of non-empty paragraphs loaded."""
        return self._numSentences

    def sentences(self):
        """The loaded paragraphs as lists of words (rare words removed)."""
        bounds = np.searchsorted(self._textSent, np.arange(self._numSentences + 1))
        return [[self._words[i] for i in self._text[a:b].tolist()]
                for a, b in zip(bounds[:-1], bounds[1:])]

    def rejectProb(self):
        """(V,) probability that subsampling drops an occurrence of each word."""
        return 1.0 - self._keepProb

    def allSentences(self):
        """The subsampled paragraphs with at least 2 words, as lists of words."""
        if self._allSentences is None:
            w = self._words
            self._allSentences = [[w[i] for i in self._sub[a:b].tolist()]
                                  for a, b in zip(self._subStart, self._subEnd)]
        return self._allSentences

    def getRandomContext(self, C=5):
        """A random center word and its context in the subsampled text.

        The center is a uniformly random position of the subsampled text; the context
        is up to C words on each side within the same paragraph, with occurrences of
        the center word itself removed. Positions with an empty context are redrawn.
        Returns (centerword, list of up to 2C words).
        """
        n = len(self._sub)
        if n == 0:
            raise ValueError("the corpus has no paragraph with two vocabulary words")
        while True:
            pos = random.randint(0, n - 1)
            s = self._subSentOf[pos]
            lo, hi = self._subStart[s], self._subEnd[s]
            center = self._sub[pos]
            window = np.concatenate([self._sub[max(lo, pos - C):pos],
                                     self._sub[pos + 1:min(hi, pos + C + 1)]])
            context = [self._words[i] for i in window[window != center].tolist()]
            if context:
                return self._words[center], context

    def sampleTable(self):
        """(tablesize,) array of word indices, each appearing in proportion to count^0.75.

        A uniform draw from the table is a draw from the negative-sampling distribution.
        """
        if self._sampleTable is None:
            weights = self._counts.astype(float) ** 0.75
            cdf = np.cumsum(weights / weights.sum())
            # entry j holds the word whose cdf interval contains (j + 0.5) / tablesize
            points = (np.arange(self.tablesize) + 0.5) / self.tablesize
            table = np.searchsorted(cdf, points, side="right")
            self._sampleTable = np.minimum(table, len(weights) - 1)
        return self._sampleTable

    def sampleTokenIdx(self):
        """One word index from the negative-sampling distribution (uses `random`)."""
        return int(self.sampleTable()[random.randint(0, self.tablesize - 1)])


# old scripts import the course's dataset class by this name
StanfordSentiment = WikiCorpus
