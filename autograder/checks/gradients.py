"""Gradient checks in the course's style: central differences, h = 1e-4, and the
relative error |num - ana| / max(1, |num|, |ana|) below 1e-5.

The trusted side builds the perturbed points and does the arithmetic; the sandbox only
evaluates the student's loss at the points it is given.
"""
import numpy as np

H = 1e-4
TOLERANCE = 1e-5


def perturbed_points(x, h=H):
    """Array of shape (2 * x.size, *x.shape): x + h e_i then x - h e_i for every i."""
    x = np.asarray(x, dtype=float)
    eye = np.eye(x.size).reshape((x.size,) + x.shape) * h
    return np.concatenate([x + eye, x - eye])


def numerical_gradient(losses, x, h=H):
    """Central-difference gradient from the losses at `perturbed_points(x, h)`."""
    losses = np.asarray(losses, dtype=float)
    n = np.size(x)
    return ((losses[:n] - losses[n:]) / (2 * h)).reshape(np.shape(x))


def relative_error(numerical, analytic):
    numerical, analytic = np.asarray(numerical, float), np.asarray(analytic, float)
    return np.abs(numerical - analytic) / np.maximum(1.0, np.maximum(np.abs(numerical), np.abs(analytic)))


def check_gradient(numerical, analytic, what, name="gradient", tolerance=TOLERANCE):
    """Fail naming the first coordinate where the gradient disagrees with the differences."""
    numerical = np.asarray(numerical, float)
    analytic = np.asarray(analytic, float)
    if analytic.shape != numerical.shape:
        raise AssertionError(f"{what}: {name} has shape {analytic.shape}, expected {numerical.shape}")
    if not np.isfinite(analytic).all():
        raise AssertionError(f"{what}: {name} contains NaN or infinity")
    err = relative_error(numerical, analytic)
    if not (err < tolerance).all():
        idx = np.unravel_index(int(np.argmax(err >= tolerance)), err.shape)
        idx = tuple(int(i) for i in idx)
        raise AssertionError(
            f"{what}: {name} fails the gradient check at index {idx}: your gradient is "
            f"{analytic[idx]:.8g}, central differences give {numerical[idx]:.8g} "
            f"(relative error {err[idx]:.2e} >= {tolerance:g})")
