"""Probes for the a2 tests: functions that run inside the sandbox and return plain data.

Each probe is sent to the sandbox as source text, with `make_dataset` as its helper, and
sees only the inputs it is given. The same probe runs on the submission and, in the
hidden tests, on the reference, so both see the same seeded random streams.
"""


def make_dataset(V, seed, order=None, names=None):
    """A small dataset with the course's interface, reseeding Python's `random`.

    Word i is called names[i] (default "w<i>") and has row order[i] (default i): with a
    permutation `order`, every index it gives (tokens, sampled words) is moved through it,
    while the random stream is drawn exactly as without, so a permuted problem samples
    the same words as the plain one."""
    import random

    words = list(names) if names is not None else ["w%d" % i for i in range(V)]
    rows = [int(r) for r in order] if order is not None else list(range(V))

    class Dataset:
        def tokens(self):
            return {w: rows[i] for i, w in enumerate(words)}

        def sampleTokenIdx(self):
            return rows[random.randint(0, V - 1)]

        def getRandomContext(self, C):
            center = words[random.randint(0, V - 1)]
            return center, [words[random.randint(0, V - 1)] for _ in range(2 * C)]

    random.seed(seed)
    return Dataset()


def loss_pair(name, center, outside_idx, U, seed, K=None, order=None):
    """(loss, gradCenterVec, gradOutsideVecs) of word2vec.<name> on one pair (the
    dataset's words in rows `order`, see make_dataset)."""
    import word2vec

    dataset = make_dataset(len(U), seed, order)
    fn = getattr(word2vec, name)
    if K is None:
        return fn(center, outside_idx, U, dataset)
    return fn(center, outside_idx, U, dataset, K)


def loss_pair_losses(name, which, points, center, outside_idx, U, seed, K=None):
    """The loss at each of `points`, substituted for the center vector or for U."""
    import word2vec

    fn = getattr(word2vec, name)
    losses = []
    for x in points:
        c, u = (x, U) if which == "center" else (center, x)
        dataset = make_dataset(len(U), seed)  # same negative samples at every point
        args = (c, outside_idx, u, dataset) + (() if K is None else (K,))
        losses.append(float(fn(*args)[0]))
    return losses


def loss_timing(name, U, centers, K=None, rows=3):
    """For the timing tests: a function of a seed that calls word2vec.<name> once on
    inputs of its own (one of `centers`, rescaled; an outside word; negative samples,
    all drawn from the seed) and returns a fingerprint of its result: the size of
    gradCenterVec and the shape of gradOutsideVecs, the loss, gradCenterVec, and the rows
    of gradOutsideVecs of the outside word and of `rows` random words. The grader times
    it and compares each fingerprint with the reference's."""
    import random

    import numpy as np
    import word2vec

    fn = getattr(word2vec, name)
    V, d = U.shape
    dataset = make_dataset(V, 0)  # built once: only the function itself is timed
    extra = () if K is None else (K,)

    def run(seed):
        random.seed(seed)
        o = random.randrange(V)
        center = centers[random.randrange(len(centers))] * random.uniform(0.5, 1.5)
        picked = [o] + [random.randrange(V) for _ in range(rows)]
        loss, grad_center, grad_outside = fn(center, o, U, dataset, *extra)
        gc = np.ravel(np.asarray(grad_center, dtype=float))
        go = np.asarray(grad_outside, dtype=float)
        shape = list(go.shape) if go.ndim == 2 else [-1, -1]
        # sizes first: an array of the wrong shape is said to be so, not indexed
        return np.concatenate(([gc.size], shape, np.ravel(np.asarray(loss, dtype=float))[:1],
                               gc if gc.size == d else np.full(d, np.nan),
                               go[picked].ravel() if go.shape == U.shape else np.full(len(picked) * d, np.nan)))

    return run


def skipgram_run(loss_name, center_word, window, outside_words, C, U, seed, order=None, names=None):
    """(loss, gradCenterVecs, gradOutsideVectors) of word2vec.skipgram (the dataset's
    words called `names`, in rows `order`, see make_dataset)."""
    import word2vec

    dataset = make_dataset(len(U), seed, order, names)
    return word2vec.skipgram(center_word, window, outside_words, dataset.tokens(), C, U,
                             dataset, getattr(word2vec, loss_name))


def wrapper_losses(loss_name, points, seed, window=3):
    """Losses and the gradient at points[0] of the course's sgd wrapper over skipgram."""
    import word2vec

    losses, grad0 = [], None
    for i, x in enumerate(points):
        dataset = make_dataset(len(x) // 2, seed)
        loss, grad = word2vec.word2vec_sgd_wrapper(word2vec.skipgram, dataset.tokens(), x, dataset,
                                                   window, getattr(word2vec, loss_name))
        losses.append(float(loss))
        if i == 0:
            grad0 = grad
    return losses, grad0


def sgd_quadratic(x0, step, iterations, scale, shift, drift=0.0):
    """sgd on f(x) = sum(scale * (x - shift)^2) whose k-th call (k = 0, 1, ...) returns the
    gradient times (1 + drift * k): with a drift, x itself shows how often and in which order
    sgd called f (a count made here would only be a claim). The count is returned for the
    failure message."""
    import numpy as np
    import sgd

    calls = [0]

    def f(x):
        k = calls[0]
        calls[0] += 1
        return float(np.sum(scale * (x - shift) ** 2)), 2 * scale * (x - shift) * (1 + drift * k)

    x = sgd.sgd(f, np.array(x0, dtype=float), step, iterations, PRINT_EVERY=10**9)
    return np.asarray(x, dtype=float), calls[0]


def sgd_observed(x0, step, iterations, scale, shift, drift, perm=None, offset=None, keep=None):
    """sgd_quadratic's drifting f, with postprocessing(x) = x[perm] + offset (a new array;
    none when perm is None). Returns (x, calls of f, {k: the x of the k-th call of f} for
    k in `keep`, every call when None). Only x decides (it holds every step, the order of
    the updates and postprocessings, and the annealing); the calls and inputs reported
    are this process's claims, read only to explain a wrong x. A float x0 (with float
    scale and shift) runs on Python floats, as the course's own sanity checks do: 20000
    iterations then take milliseconds."""
    import numpy as np
    import sgd

    calls, seen = [0], {}
    scalar = isinstance(x0, float)
    keep = None if keep is None else set(keep)

    def f(x):
        k = calls[0]
        calls[0] += 1
        if keep is None or k in keep:
            seen[k] = np.array(x, dtype=float)
        if scalar:
            return scale * (x - shift) ** 2, 2 * scale * (x - shift) * (1 + drift * k)
        return float(np.sum(scale * (x - shift) ** 2)), 2 * scale * (x - shift) * (1 + drift * k)

    post = None if perm is None else (lambda x: x[perm] + offset)
    start = x0 if scalar else np.array(x0, dtype=float)
    x = sgd.sgd(f, start, step, iterations, postprocessing=post, PRINT_EVERY=10**9)
    return np.asarray(x, dtype=float), calls[0], seen


HELPERS = [make_dataset]
