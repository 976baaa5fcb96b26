#!/usr/bin/env python
"""Train skip-gram word vectors with negative sampling on the Wikipedia corpus.

Writes to --out: word_vectors.npy (the (2V, d) parameters: center vectors in the first
V rows, outside vectors in the last V), tokens.json (the V words in row order) and
word_vectors.png (a 2-D projection of some common words).
Checkpoints of sgd (saved_params_*.npy, every 5000 iterations) also go to --out, and
--resume continues from the newest one there.
"""

import argparse
import contextlib
import glob
import json
import os
import random
import sys
import time

import matplotlib
matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt
import numpy as np
from tqdm import tqdm

from sgd import sgd
from utils.treebank import WikiCorpus
from word2vec import negSamplingLossAndGradient, skipgram, word2vec_sgd_wrapper

# words to plot; those missing from the loaded vocabulary are skipped
VISUALIZE_WORDS = [
    "king", "queen", "man", "woman", "father", "mother", "son", "daughter",
    "war", "army", "battle", "peace", "city", "country", "state", "government",
    "music", "film", "book", "art", "one", "two", "three", "four",
    "first", "second", "good", "great", "water", "food", "british", "american",
]


class _TqdmStdout:
    """File-like object that routes print() through tqdm.write, keeping the bar intact."""

    def __init__(self, stream):
        self.stream = stream  # the real stdout; tqdm.write must not write back to us

    def write(self, s):
        if s.strip():
            tqdm.write(s.rstrip("\n"), file=self.stream)

    def flush(self):
        pass


def plot_words(wordVectors, tokens, words, path):
    """Project the vectors of `words` onto their top 2 principal directions and plot."""
    idx = [tokens[w] for w in words]
    vecs = wordVectors[idx, :]
    centered = vecs - vecs.mean(axis=0)
    # rows of Vt are the principal directions of the centered vectors
    _, _, Vt = np.linalg.svd(centered, full_matrices=False)
    coord = centered @ Vt[:2].T

    plt.figure(figsize=(8, 8))
    plt.scatter(coord[:, 0], coord[:, 1], s=10, color="tab:red")
    for w, (x, y) in zip(words, coord):
        plt.text(x, y, w, fontsize=10, color="tab:blue")
    plt.title("word vectors (PCA)")
    plt.savefig(path, dpi=120)
    plt.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=40000)
    parser.add_argument("--dim", type=int, default=10, help="word vector size")
    parser.add_argument("--window", type=int, default=5, help="max context window C")
    parser.add_argument("--lines", type=int, default=5000,
                        help="corpus paragraphs to load (0: all, about 10M tokens)")
    parser.add_argument("--step", type=float, default=0.3, help="initial learning rate")
    parser.add_argument("--out", type=str, default=".", help="output directory")
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--seed", type=int, default=31415)
    parser.add_argument("--print-every", type=int, default=500,
                        help="sgd prints a moving average of the loss this often")
    parser.add_argument("--resume", action="store_true",
                        help="resume from (and write) sgd checkpoints in --out")
    args = parser.parse_args()

    random.seed(args.seed)
    np.random.seed(args.seed)

    t0 = time.time()
    dataset = WikiCorpus(maxLines=args.lines or None, minCount=args.min_count,
                         seed=args.seed)
    tokens = dataset.tokens()
    nWords = len(tokens)
    print("loaded %d paragraphs, vocabulary %d words, in %.1fs"
          % (dataset.numSentences(), nWords, time.time() - t0))

    # center vectors small and random, outside vectors zero, as in the course
    wordVectors = np.concatenate(
        ((np.random.rand(nWords, args.dim) - 0.5) / args.dim,
         np.zeros((nWords, args.dim))), axis=0)

    os.makedirs(args.out, exist_ok=True)
    start = 0
    if args.resume:  # sgd will continue after its newest checkpoint
        saved = glob.glob(os.path.join(args.out, "saved_params_*.npy"))
        start = max([int(os.path.basename(p)[len("saved_params_"):-4]) for p in saved],
                    default=0)
    bar = tqdm(total=args.iterations, initial=min(start, args.iterations),
               desc="sgd", unit="it")

    smoothed = [None]  # moving average of the loss over about the last 100 iterations

    def f(vec):
        loss, grad = word2vec_sgd_wrapper(skipgram, tokens, vec, dataset, args.window,
                                          negSamplingLossAndGradient)
        smoothed[0] = loss if smoothed[0] is None else 0.99 * smoothed[0] + 0.01 * loss
        bar.update(1)
        if bar.n % 10 == 0:
            bar.set_postfix(loss="%.3f" % smoothed[0], refresh=False)
        return loss, grad

    cwd = os.getcwd()
    t0 = time.time()
    try:
        # sgd reads and writes its checkpoints in the current directory
        os.chdir(args.out)
        with contextlib.redirect_stdout(_TqdmStdout(sys.stdout)):
            wordVectors = sgd(f, wordVectors, args.step, args.iterations, None,
                              args.resume, PRINT_EVERY=args.print_every)
    finally:
        os.chdir(cwd)
        bar.close()
    print("training took %.1fs" % (time.time() - t0))
    if smoothed[0] is not None:
        print("average loss over the last ~100 iterations: %.3f" % smoothed[0])

    words = [w for w, _ in sorted(tokens.items(), key=lambda kv: kv[1])]
    np.save(os.path.join(args.out, "word_vectors.npy"), wordVectors)
    with open(os.path.join(args.out, "tokens.json"), "w") as fh:
        json.dump(words, fh)

    # plot center and outside vectors side by side (a 2d-dimensional vector per word)
    combined = np.concatenate((wordVectors[:nWords], wordVectors[nWords:]), axis=1)
    visualize = [w for w in VISUALIZE_WORDS if w in tokens]
    if len(visualize) < 3:
        visualize = words[:20]  # tiny vocabulary: fall back to the most frequent words
    plot_words(combined, tokens, visualize, os.path.join(args.out, "word_vectors.png"))
    print("wrote word_vectors.npy, tokens.json and word_vectors.png to %s" % args.out)


if __name__ == "__main__":
    main()
