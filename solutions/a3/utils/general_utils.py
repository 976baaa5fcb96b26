"""Minibatch iteration."""
import numpy as np


def get_minibatches(data, minibatch_size, shuffle=True):
    """Iterate over `data` in minibatches of `minibatch_size` rows (the last may be smaller).

    data: one numpy array, or a list of arrays with the same number of rows (features
        and labels, say); a list yields a list of minibatches, row-aligned.
    shuffle: visit the rows in a random order (drawn from numpy's global generator,
        so np.random.seed makes it repeatable).
    """
    list_data = isinstance(data, list)
    n = len(data[0]) if list_data else len(data)
    order = np.arange(n)
    if shuffle:
        np.random.shuffle(order)
    for start in range(0, n, minibatch_size):
        rows = order[start:start + minibatch_size]
        yield [_rows(d, rows) for d in data] if list_data else _rows(data, rows)


def _rows(data, rows):
    return data[rows] if isinstance(data, np.ndarray) else [data[i] for i in rows]
