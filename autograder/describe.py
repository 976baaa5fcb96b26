"""Short, readable renderings of values and calls for messages students read."""
import re
import reprlib

import numpy as np

SHOW_ELEMENTS = 12  # arrays up to this size are printed in full in messages


def describe(value):
    """A short, readable rendering of a value for a failure message."""
    if value is None:
        return "None"
    if _is_tensor(value):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        if value.size <= SHOW_ELEMENTS:
            return np.array2string(value, precision=8, separator=", ")
        return f"array of shape {value.shape}, dtype {value.dtype}"
    if isinstance(value, (list, tuple)) and len(value) > SHOW_ELEMENTS:
        return f"{type(value).__name__} of length {len(value)}"
    if isinstance(value, float):
        return f"{value:.10g}"
    text = _REPR.repr(value)  # bounded work, even for a huge nested list
    return text if len(text) <= 200 else text[:200] + "..."


def call_text(function, *args, **kwargs):
    """'f(x=[1, 2], K=3)' for messages: which function, which input."""
    parts = [describe(a) for a in args] + [f"{k}={describe(v)}" for k, v in kwargs.items()]
    return f"{function}({', '.join(parts)})"


_REPR = reprlib.Repr()
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxdict = SHOW_ELEMENTS
_REPR.maxstring = _REPR.maxother = 200
_REPR.maxlevel = 4

# What student text may not carry into a terminal, a results.json or Gradescope's page:
# C0 and C1 controls but tab and newline (ESC starts ANSI/VT sequences, CR overwrites a
# line, 0x9b is a one-byte CSI), DEL, the Unicode bidi controls (which reorder what is
# shown, "Trojan source"), the line and paragraph separators, and lone surrogates (not
# UTF-8: they make results.json invalid strict JSON).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                     "\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _shown(match):
    c = match.group()
    if "\ud800" <= c <= "\udfff":
        return "\ufffd"  # the replacement character, as a UTF-8 decoder would show it
    return repr(c)[1:-1]  # Python's own escape: \x1b, \r, \u202e


def visible(text):
    """`text` with every unsafe character (see _UNSAFE) made visible as its Python escape
    (ESC becomes the four characters \\x1b) and every lone surrogate replaced by U+FFFD.
    Tabs and newlines stay. Idempotent: what it returns is printable as is."""
    return _UNSAFE.sub(_shown, text)


def unsafe_character(text):
    """The first character `visible` would change, or None."""
    m = _UNSAFE.search(text)
    return m.group() if m else None


def _is_tensor(value):
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")
