"""numpy 1.x names for 2021 course code, restored inside the sandbox worker only.

The 2021 course was written against numpy 1.19/1.20. Our pinned numpy 2.2 removed or
moved names that correct 2021 code still uses, so an unused
`from numpy.lib.function_base import gradient` at the top of sgd.py failed to import and
lost every test of sgd. `install()` runs in the worker before any student code is
imported (never in the trusted process: the grader's own code must not lean on it) and
only ADDS names numpy no longer has, each bound to the numpy 2 object that does exactly
what the 1.x name did. A name numpy 2 still defines is never touched, even where its
meaning changed: `np.bool` is numpy's bool type again (1.x: the builtin `bool`; same
results as a dtype, `np.bool(1) is True` differs) and `np.long` is the C long type.

Why a layer rather than a pin to numpy 1.26 (checked on this venv, November 2026):
- 1.26 would not help the commonest habit: `np.float`, `np.int`, `np.bool`, `np.object`
  were removed in 1.24, so 1.26.4 refuses them as numpy 2 does. Only a layer restores
  them (2021 students had 1.19/1.20, where they were aliases of the builtins).
- It would break today's students: names added in 2.x (`np.concat`, `np.astype`,
  `np.trapezoid`, `np.isdtype`, `np.vecdot`, `np.cumulative_sum`, `np.unstack`...) are
  missing from 1.26.4. Adding old names keeps both generations importing.
- 1.26.4 (February 2024) is the last 1.x release and has no wheel for Python 3.13+, which
  students' laptops already run; the index we install from offers only 2.1+ for 3.13.
- Not torch: torch 2.13 (no numpy requirement in its metadata), scipy 1.15.3
  (numpy>=1.23.5,<2.5), scikit-learn 1.7.2 and matplotlib 3.10.3 all accept 1.26.4, and
  torch.from_numpy works with it on Python 3.11; so the choice is ours, for the reasons
  above.

Not restored (they change behaviour, not names): `np.array(x, copy=False)` raising when
a copy is needed, NEP 50 scalar promotion, ragged nested lists refused without
dtype=object (since 1.24), scalar reprs (`np.float64(1.0)`).

Cost: numpy is already imported by the worker (the codec needs it), and so are the
private modules aliased; installing takes about 1 ms per worker start.

nltk: the 2021 a4 starter's utils.py (a file students submit) runs `import nltk` and
`nltk.download('punkt')` at import time, and uses nltk nowhere the grader calls. nltk is
not installed here and the sandbox has no network, so `install()` also appends a finder
to the END of sys.meta_path: it is asked only after every real finder failed, i.e. only
where no nltk is importable, and then supplies a stand-in module whose `download()`
fetches nothing and returns False, quietly (the real one returns False without a
network too, after printing an error). Nothing else pretends to work: any other name,
or submodule, raises with a message saying that nltk is not installed in the grader.
"""
import importlib
import importlib.abc
import importlib.util
import math
import sys
import types
import warnings

# numpy.lib modules of 1.x, made private in 2.0 (same functions, new module names).
LIB_MODULES = {name: f"numpy.lib._{name}_impl" for name in (
    "arraypad", "arraysetops", "arrayterator", "function_base", "histograms", "index_tricks",
    "nanfunctions", "polynomial", "shape_base", "twodim_base", "type_check", "ufunclike", "utils")}


def _asfarray(a, dtype=None):
    """numpy 1.x asfarray: `a` as an array of a floating type (float64 unless `dtype` is
    inexact)."""
    import numpy as np

    if dtype is None or not np.issubdtype(dtype, np.inexact):
        dtype = np.float64
    return np.asarray(a, dtype=dtype)


def _msort(a):
    """numpy 1.x msort: a sorted copy along the first axis."""
    import numpy as np

    return np.sort(a, axis=0)


def _asscalar(a):
    """numpy 1.x asscalar (removed in 1.23): the Python scalar of a one-element array."""
    return a.item()


def aliases(np):
    """1.x name -> what it meant, in terms of numpy 2 (`np`)."""
    return {
        # aliases of builtins (deprecated in 1.20, removed in 1.24)
        "float": float, "int": int, "object": object, "str": str, "complex": complex,
        "unicode": str,
        # modules numpy's namespace happened to hold
        "math": math, "warnings": warnings,
        # constants
        "Inf": np.inf, "Infinity": np.inf, "infty": np.inf, "PINF": np.inf, "NINF": -np.inf,
        "NaN": np.nan, "NAN": np.nan, "PZERO": 0.0, "NZERO": -0.0,
        # functions under a second name
        "product": np.prod, "cumproduct": np.cumprod, "alltrue": np.all, "sometrue": np.any,
        "round_": np.round, "mat": np.asmatrix, "row_stack": np.vstack,
        "asfarray": _asfarray, "msort": _msort, "asscalar": _asscalar,
        # scalar types under a second name
        "float_": np.float64, "complex_": np.complex128, "cfloat": np.complex128,
        "singlecomplex": np.complex64, "longfloat": np.longdouble,
        "longcomplex": np.clongdouble, "clongfloat": np.clongdouble,
        "string_": np.bytes_, "unicode_": np.str_, "int0": np.intp, "uint0": np.uintp,
        "bool8": np.bool_, "object0": np.object_, "str0": np.str_, "bytes0": np.bytes_,
        "void0": np.void,
    }


def _missing(module, name):
    """Whether `module` lacks `name` (asked as student code would, through the module's
    __getattr__, whose warnings about names it still has are not ours to show)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            getattr(module, name)
        except AttributeError:
            return True
    return False


NLTK_MISSING = ("nltk is not installed where your code is graded (and there is no network): only "
                "nltk.download exists, and it downloads nothing and returns False, so that "
                "`nltk.download('punkt')` at the top of the starter's utils.py runs. "
                "No graded function needs nltk; use the provided vocab.py / sentencepiece instead.")


def _nltk_download(*args, **kwargs):
    """nltk.download without nltk or a network: nothing fetched, False (as the real one
    returns when it cannot fetch), nothing printed."""
    return False


class NltkStandIn(types.ModuleType):
    """The `nltk` module where the real one is missing: download() only."""

    def __getattr__(self, name):
        raise AttributeError("nltk.%s is not available: %s" % (name, NLTK_MISSING))


class NltkFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Supplies NltkStandIn for `import nltk`; asked last, so a real nltk always wins."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "nltk":
            return importlib.util.spec_from_loader("nltk", self, origin="nlpgrade stand-in", is_package=True)
        if fullname.startswith("nltk."):
            raise ModuleNotFoundError("No module named %r: %s" % (fullname, NLTK_MISSING), name=fullname)
        return None

    def create_module(self, spec):
        module = NltkStandIn("nltk", "stand-in for nltk, which is not installed in the grader: "
                                     "download() only")
        module.download = _nltk_download
        return module

    def exec_module(self, module):
        pass


def install():
    """Add the 1.x names numpy lacks, and the nltk stand-in's finder; returns the names
    added (for tests and notes)."""
    import numpy as np
    import numpy.lib

    added = []
    if not any(isinstance(f, NltkFinder) for f in sys.meta_path):
        sys.meta_path.append(NltkFinder())
        added.append("nltk")
    for name, value in aliases(np).items():
        if _missing(np, name):
            setattr(np, name, value)
            added.append(name)
    for name, target in LIB_MODULES.items():
        full = f"numpy.lib.{name}"
        if full in sys.modules or not _missing(numpy.lib, name):
            continue
        try:
            module = importlib.import_module(target)
        except ImportError:  # a numpy whose private layout moved again: nothing to alias
            continue
        sys.modules[full] = module
        setattr(numpy.lib, name, module)
        added.append(full)
    return added
