#!/usr/bin/env python
"""Plain stochastic gradient descent with step annealing and checkpoints."""

import glob
import os.path as op
import pickle
import random

import numpy as np

# checkpoint every this many iterations (only when useSaved is True)
SAVE_PARAMS_EVERY = 5000


def load_saved_params():
    """Load the newest checkpoint in the current directory.

    Returns (iteration, params, random_state), or (0, None, None) if there is none.
    """
    st = 0
    for f in glob.glob("saved_params_*.npy"):
        it = int(op.splitext(op.basename(f))[0].split("_")[2])
        st = max(st, it)

    if st > 0:
        params = np.load("saved_params_%d.npy" % st)
        with open("saved_state_%d.pickle" % st, "rb") as f:
            state = pickle.load(f)
        return st, params, state
    return st, None, None


def save_params(iter, params):
    """Save params to saved_params_{iter}.npy and Python's random state next to it."""
    np.save("saved_params_%d.npy" % iter, params)
    # the random state lets a resumed run draw the same contexts and samples
    with open("saved_state_%d.pickle" % iter, "wb") as f:
        pickle.dump(random.getstate(), f)


def sgd(f, x0, step, iterations, postprocessing=None, useSaved=False, PRINT_EVERY=10):
    """Minimise f by stochastic gradient descent.

    f: function of one argument x returning (loss, gradient of the loss at x).
    x0: starting point (array or scalar); an array is updated in place.
    step: initial learning rate; it is halved every ANNEAL_EVERY iterations.
    iterations: total number of iterations (counting those of a resumed run).
    postprocessing: optional function applied to x after every update.
    useSaved: resume from the newest checkpoint in the current directory, and
        write a checkpoint every SAVE_PARAMS_EVERY iterations.
    PRINT_EVERY: print an exponential moving average of the loss this often.

    Returns x after the last iteration.
    """
    ANNEAL_EVERY = 20000

    if useSaved:
        start_iter, oldx, state = load_saved_params()
        if start_iter > 0:
            x0 = oldx
            # the step the run had reached when it was saved
            step *= 0.5 ** (start_iter // ANNEAL_EVERY)
        if state:
            random.setstate(state)
    else:
        start_iter = 0

    x = x0

    if not postprocessing:
        postprocessing = lambda x: x

    exploss = None

    for iter in range(start_iter + 1, iterations + 1):
        # the loss of this iteration, for printing
        loss = None
        # YOUR CODE HERE
        raise NotImplementedError

        x = postprocessing(x)
        if iter % PRINT_EVERY == 0:
            # smooth the noisy minibatch losses
            exploss = loss if exploss is None else 0.95 * exploss + 0.05 * loss
            print("iter %d: %f" % (iter, exploss))

        if iter % SAVE_PARAMS_EVERY == 0 and useSaved:
            save_params(iter, x)

        if iter % ANNEAL_EVERY == 0:
            step *= 0.5

    return x


def sanity_check():
    """Minimise sum(x^2) from a few starting points."""
    quad = lambda x: (np.sum(x ** 2), x * 2)

    print("Running sanity checks...")
    t1 = sgd(quad, 0.5, 0.01, 1000, PRINT_EVERY=100)
    print("test 1 result:", t1)
    assert abs(t1) <= 1e-6

    t2 = sgd(quad, 0.0, 0.01, 1000, PRINT_EVERY=100)
    print("test 2 result:", t2)
    assert abs(t2) <= 1e-6

    t3 = sgd(quad, -1.5, 0.01, 1000, PRINT_EVERY=100)
    print("test 3 result:", t3)
    assert abs(t3) <= 1e-6

    t4 = sgd(quad, np.array([3.0, -2.0, 0.25]), 0.05, 500, PRINT_EVERY=100)
    print("test 4 result:", t4)
    assert np.all(np.abs(t4) <= 1e-6)

    print("-" * 40)
    print("ALL TESTS PASSED")
    print("-" * 40)


if __name__ == "__main__":
    sanity_check()
