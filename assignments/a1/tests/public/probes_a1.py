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


def cooccurrence_shape(corpus, window_size):
    """compute_co_occurrence_matrix on a corpus, returning only the shape (for timing)."""
    import exploring_word_vectors as notebook

    M, word2ind = notebook.compute_co_occurrence_matrix(corpus, window_size=window_size)
    return [int(n) for n in M.shape]
