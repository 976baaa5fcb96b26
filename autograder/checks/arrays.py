"""Comparing what student code returned with what was wanted, in words a student reads.

Every failure names the call (function and inputs), what came back, what was expected
and, for arrays, the first index that differs. Structure comes first: the number of
returned values, then each value's type and shape, before any number is compared, so
an empty, truncated or padded reply fails (and never stops the grader).
"""
import numbers

import numpy as np

from ..describe import _is_tensor, call_text, describe  # noqa: F401 (re-exported for tests)

def as_array(got, call, name="the result"):
    """Turn a returned value into a numeric ndarray, or fail saying why not."""
    if got is None:
        raise AssertionError(f"{call}: {name} is None; did you forget to return it?")
    if _is_tensor(got):
        got = got.detach().cpu().numpy()
    try:
        arr = np.asarray(got)
    except Exception:  # ragged lists and the like
        raise AssertionError(f"{call}: {name} is {describe(got)}, not an array of numbers") from None
    if arr.dtype.kind not in "biuf":
        raise AssertionError(f"{call}: {name} is {describe(got)}, not an array of numbers")
    return arr


def check_shape(got, shape, call, name="the result"):
    """`got` as a float ndarray of exactly `shape` (its values not yet compared)."""
    arr = as_array(got, call, name)
    if arr.shape != tuple(shape):
        raise AssertionError(f"{call}: {name} has shape {arr.shape}, expected shape {tuple(shape)}")
    return arr.astype(float)


def check_close(got, want, call, name="the result", rtol=1e-5, atol=1e-7):
    """Fail unless `got` has `want`'s shape and values within tolerance (NaN never matches)."""
    want = np.asarray(want, dtype=float)
    arr = as_array(got, call, name)
    if arr.shape != want.shape:
        if arr.size == want.size == 1:
            arr = arr.reshape(want.shape)  # a 1-element array for a scalar is fine
        else:
            raise AssertionError(f"{call}: {name} has shape {arr.shape}, expected shape {want.shape}")
    arr = arr.astype(float)
    bad_values = ~np.isfinite(arr) & np.isfinite(want)
    if bad_values.any():
        idx = _index(np.argwhere(bad_values)[0], arr)
        raise AssertionError(f"{call}: {name} contains {arr[idx]} at index {_fmt_index(idx)} "
                             f"(expected {want[idx]:.8g}); look for overflow or division by zero")
    close = np.isclose(arr, want, rtol=rtol, atol=atol, equal_nan=True)
    if not close.all():
        idx = _index(np.argwhere(~close)[0], arr)
        n_bad = int((~close).sum())
        where = "" if arr.ndim == 0 else f"; first mismatch at index {_fmt_index(idx)}: got {arr[idx]:.8g}, expected {want[idx]:.8g} ({n_bad} of {arr.size} values differ)"
        raise AssertionError(f"{call}: {name} is {describe(arr)}, expected {describe(want)}{where}")


def items(got, call, names):
    """The values of a returned tuple such as (loss, grad), once there are exactly
    len(names) of them: unpack a student's reply through this, never directly."""
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        shape = f"{len(got)} values" if isinstance(got, (tuple, list)) else describe(got)
        raise AssertionError(f"{call}: returned {shape}, expected {len(names)} values ({', '.join(names)})")
    return tuple(got)


def check_results(got, want, call, names, rtol=1e-5, atol=1e-7):
    """Check a returned tuple such as (loss, gradCenterVec, gradOutsideVecs) item by item."""
    if len(names) != len(want):
        raise ValueError(f"{len(names)} names for {len(want)} wanted values")  # a grader bug
    for g, w, n in zip(items(got, call, names), want, names):
        check_close(g, w, call, name=n, rtol=rtol, atol=atol)


def check_number(got, call, name="the result"):
    """A finite real number (a float, or a 1-element array), returned as float."""
    if isinstance(got, numbers.Real) and not isinstance(got, bool):
        value = float(got)
    else:
        arr = as_array(got, call, name)
        if arr.size != 1:
            raise AssertionError(f"{call}: {name} should be a single number, got shape {arr.shape}")
        value = float(arr.reshape(()))
    if not np.isfinite(value):
        raise AssertionError(f"{call}: {name} is {value}; look for overflow or log of zero")
    return value


def _index(raw, arr):
    return tuple(int(i) for i in raw) if arr.ndim else ()


def _fmt_index(idx):
    return str(idx[0]) if len(idx) == 1 else str(idx)
