"""Probes for the a1 tests: functions that run inside the sandbox and return plain data.

The notebook is imported as the module `exploring_word_vectors` (only its imports,
definitions and constants run). The same probe runs on the submission and, in the
hidden tests, on the reference.
"""


def plotted(M_reduced, word2ind, words):
    """Call plot_embeddings and report what the figure shows: the points drawn (scatter
    or marker lines) and the text labels with where they are anchored."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    import exploring_word_vectors as notebook  # a missing function: a clear AttributeError

    plt.close("all")
    notebook.plot_embeddings(np.asarray(M_reduced), word2ind, words)
    points, labels = [], []
    for number in plt.get_fignums():
        for ax in plt.figure(number).axes:
            for collection in ax.collections:
                points += [[float(x), float(y)] for x, y in np.asarray(collection.get_offsets())]
            for line in ax.lines:
                if str(line.get_marker()) not in ("None", "", " ", "none"):
                    points += [[float(x), float(y)] for x, y in zip(line.get_xdata(), line.get_ydata())]
            for text in ax.texts:  # plt.text and plt.annotate (an Annotation is a Text)
                x, y = getattr(text, "xy", None) or text.get_position()
                labels.append([text.get_text(), float(x), float(y)])
    plt.close("all")
    return {"points": points, "labels": labels}


def cooccurrence_timing(corpus, window_size, pairs=24):
    """For the timing test: a function of a seed that calls compute_co_occurrence_matrix
    once on documents of its own (nine in ten of `corpus`, drawn from the seed, in a
    random order) and returns a fingerprint of its result: the number of distinct words,
    the sum of M, and the counts of `pairs` word pairs drawn from the seed, each two words
    at most window_size + 1 apart in one document (so most counts are not zero). The
    grader times it and compares each fingerprint with the reference's."""
    import random

    import numpy as np

    import exploring_word_vectors as notebook

    def run(seed):
        rng = random.Random(seed)
        docs = rng.sample(corpus, len(corpus) - len(corpus) // 10)
        M, word2ind = notebook.compute_co_occurrence_matrix(docs, window_size=window_size)
        M = np.asarray(M)
        counts = []
        for _ in range(pairs):
            doc = rng.choice(docs)
            i = rng.randrange(len(doc))
            j = min(len(doc) - 1, i + rng.randint(0, window_size + 1))
            counts.append(M[word2ind[doc[i]], word2ind[doc[j]]])
        return np.array([len(word2ind), M.sum()] + counts, dtype=float)

    return run
