"""Structure first: what came back must have the wanted structure before any value in it
is compared — types, lengths, dict keys, array shapes and kinds of numbers.

A reply from the student's process is a claim. Comparing it by zipping it with what was
wanted lets an empty or truncated reply pass; here an empty, truncated or padded reply,
a missing or extra key, or a wrong shape fails, and the message says where in the
structure (`the result["states"][3][1]`), what came back and what was wanted.

`check` compares structure only; `check_matches` also compares every value (numbers
within a tolerance, integers, strings and the rest exactly).
"""
import numbers

import numpy as np

from ..describe import _is_tensor, describe
from . import arrays

# kinds of numbers, from the strictest to the loosest: a wanted float may come back as an
# integer (0 for 0.0), a wanted integer may not come back as a float (indices, counts)
_ACCEPTS = {"b": "b", "i": "iu", "u": "iu", "f": "iuf", "c": "iufc"}
_KIND_TEXT = {"b": "booleans", "i": "integers", "u": "integers", "f": "numbers",
              "c": "complex numbers"}


def _is_number(value):
    return isinstance(value, (numbers.Number, np.generic)) and not isinstance(value, (bool, np.bool_))


def _numeric(value):
    """`value` as a numeric ndarray, or None: arrays, tensors, numbers and (nested) lists
    of numbers are numeric data, whatever container they came in."""
    if _is_tensor(value):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return value if value.dtype.kind in "biufc" else None
    if isinstance(value, (bool, np.bool_)) or _is_number(value):
        return np.asarray(value)
    if isinstance(value, (list, tuple)) and value:
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError):  # ragged
            return None
        return arr if arr.dtype.kind in "biufc" else None
    return None


def _where(path):
    name, steps = path
    return name + "".join(f"[{s!r}]" if isinstance(s, str) else f"[{s}]" for s in steps)


def _child(path, step):
    return (path[0], path[1] + (step,))


def _sequence_length(call, path, got, want):
    n, m = len(got), len(want)
    if n == m:
        return
    where = _where(path)
    if n == 0:
        detail = f"it is empty; the first item should be {describe(want[0])}"
    elif n < m:
        detail = (f"{m - n} missing at the end; the first missing one, {where}[{n}], "
                  f"should be {describe(want[n])}")
    else:
        detail = f"{n - m} extra; the first extra one is {where}[{m}] = {describe(got[m])}"
    raise AssertionError(f"{call}: {where} has {n} item{'s' * (n != 1)}, wanted {m} ({detail})")


def _array(call, path, got, want_arr):
    arr = _numeric(got)
    where = _where(path)
    if arr is None:
        if got is None:
            raise AssertionError(f"{call}: {where} is None; did you forget to return it?")
        raise AssertionError(f"{call}: {where} is {describe(got)} ({type(got).__name__}), wanted "
                             f"{_KIND_TEXT[want_arr.dtype.kind]} such as {describe(want_arr)}")
    if arr.shape != want_arr.shape and not (arr.size == want_arr.size == 1):
        raise AssertionError(f"{call}: {where} has shape {arr.shape}, expected shape {want_arr.shape}")
    if arr.dtype.kind not in _ACCEPTS[want_arr.dtype.kind]:
        raise AssertionError(f"{call}: {where} holds {arr.dtype} values, wanted "
                             f"{_KIND_TEXT[want_arr.dtype.kind]} (got {describe(arr)})")
    return arr


def _walk(call, path, got, want, leaf):
    """Check `got` against `want` recursively; `leaf(path, got, want)` sees every pair of
    leaves once their structure agrees."""
    where = _where(path)
    if isinstance(want, dict):
        if not isinstance(got, dict):
            raise AssertionError(f"{call}: {where} is {describe(got)} ({type(got).__name__}), wanted a "
                                 f"dict with the keys {sorted(want, key=str)}")
        missing = [k for k in want if k not in got]
        extra = [k for k in got if k not in want]
        if missing or extra:
            parts = ([f"lacks the key{'s' * (len(missing) > 1)} {', '.join(map(repr, missing))}"] if missing else []) + \
                    ([f"has the unexpected key{'s' * (len(extra) > 1)} {', '.join(map(repr, extra[:5]))}"] if extra else [])
            raise AssertionError(f"{call}: {where} {' and '.join(parts)}")
        for key in want:
            _walk(call, _child(path, key), got[key], want[key], leaf)
        return
    want_arr = _numeric(want)
    if want_arr is not None and not isinstance(want, (bool, np.bool_)):
        leaf(path, _array(call, path, got, want_arr), want_arr)
        return
    if isinstance(want, (list, tuple)):
        if not isinstance(got, (list, tuple)):
            raise AssertionError(f"{call}: {where} is {describe(got)} ({type(got).__name__}), wanted a "
                                 f"list of {len(want)} item{'s' * (len(want) != 1)}")
        _sequence_length(call, path, got, want)
        for i, (g, w) in enumerate(zip(got, want)):  # lengths are equal here
            _walk(call, _child(path, i), g, w, leaf)
        return
    if isinstance(want, (bool, np.bool_)):
        ok = isinstance(got, (bool, np.bool_))
    elif want is None:
        ok = got is None
    else:  # str, bytes and anything else: the same type
        ok = isinstance(got, type(want))
    if not ok:
        kind = "None" if want is None else ("True or False" if isinstance(want, (bool, np.bool_))
                                            else f"a {type(want).__name__} such as {describe(want)}")
        raise AssertionError(f"{call}: {where} is {describe(got)} ({type(got).__name__}), wanted {kind}")
    leaf(path, got, want)


def check(got, want, call, name="the result", names=None):
    """Fail unless `got` has `want`'s structure; values are not compared.

    `names` names the items of a top-level tuple such as (loss, grad1, grad2)."""
    _check(got, want, call, name, names, lambda path, g, w: None)


def check_matches(got, want, call, name="the result", names=None, rtol=1e-5, atol=1e-7):
    """`check`, then every value: floats within tolerance (NaN never matches), integers,
    booleans, strings and None exactly."""
    def leaf(path, g, w):
        where = _where(path)
        if isinstance(w, np.ndarray):
            if w.dtype.kind in "fc":
                arrays.check_close(g, w, call, name=where, rtol=rtol, atol=atol)
            elif not np.array_equal(np.asarray(g).reshape(w.shape), w):
                g = np.asarray(g).reshape(w.shape)
                bad = np.argwhere(g != w)[0] if w.ndim else ()
                idx = tuple(int(i) for i in bad)
                at = f" at index {idx[0] if len(idx) == 1 else idx}" if idx else ""
                raise AssertionError(f"{call}: {where} is {describe(g)}, expected {describe(w)}"
                                     f"{at and f'; first mismatch{at}: got {g[idx]}, expected {w[idx]}'}")
        elif g != w:
            raise AssertionError(f"{call}: {where} is {describe(g)}, expected {describe(w)}")
    _check(got, want, call, name, names, leaf)


def _check(got, want, call, name, names, leaf):
    if names and isinstance(want, (tuple, list)) and len(names) == len(want):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            shape = f"{len(got)} values" if isinstance(got, (tuple, list)) else describe(got)
            raise AssertionError(f"{call}: returned {shape}, expected {len(want)} values ({', '.join(names)})")
        for g, w, n in zip(got, want, names):
            _walk(call, (n, ()), g, w, leaf)
        return
    _walk(call, (name, ()), got, want, leaf)
