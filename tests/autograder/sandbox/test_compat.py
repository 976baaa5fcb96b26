"""The numpy 1.x names the sandbox worker restores for 2021 code (sandbox/compat.py).

`install()` changes the numpy it runs with, so it runs here in a fresh interpreter, never
in the test process: that one is the trusted side, which must stay without the layer.
"""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from autograder import config as configmod
from autograder.sandbox import Sandbox, compat

# After install(): each 1.x spelling and what numpy 1.19/1.20 gave for it.
PROBE = textwrap.dedent(r'''
    import json, math, sys, warnings
    import numpy as np
    import numpy.lib
    from autograder.sandbox import compat

    warnings.simplefilter("ignore")
    before = dict(vars(np))
    lib_before = dict(vars(numpy.lib))
    added = compat.install()
    out = {"added": added}
    # nothing numpy had is rebound: only names are added
    out["rebound"] = sorted(k for k, v in before.items() if vars(np).get(k, object()) is not v)
    out["lib_rebound"] = sorted(k for k, v in lib_before.items() if vars(numpy.lib).get(k, object()) is not v)
    out["second_install_adds"] = compat.install()
    from numpy.lib.function_base import gradient
    from numpy.lib.arraysetops import unique
    from numpy.lib.shape_base import expand_dims
    import numpy.lib.type_check as type_check
    checks = {
        "gradient": gradient is np.gradient and gradient(np.array([1.0, 4.0, 9.0])).tolist() == [3.0, 4.0, 5.0],
        "arraysetops": unique is np.unique,
        "shape_base": expand_dims is np.expand_dims,
        "type_check": type_check.iscomplexobj is np.iscomplexobj,
        "attribute": np.lib.function_base.gradient is np.gradient,
        "float": np.float is float and np.zeros(2, dtype=np.float).dtype == np.float64,
        "int": np.int is int and np.int(3.7) == 3 and np.zeros(2, np.int).dtype == np.dtype(int),
        "object": np.object is object and np.array([None], dtype=np.object).dtype == object,
        "str_complex_unicode": np.str is str and np.complex is complex and np.unicode is str,
        "Inf": np.Inf == math.inf and np.Infinity == math.inf and np.infty == math.inf
               and np.PINF == math.inf and np.NINF == -math.inf,
        "NaN": math.isnan(np.NaN) and math.isnan(np.NAN),
        "zeros": np.PZERO == 0.0 and math.copysign(1, np.PZERO) == 1 and math.copysign(1, np.NZERO) == -1,
        "product": np.product([2, 3, 4]) == 24 and np.cumproduct([1, 2, 3]).tolist() == [1, 2, 6]
                   and np.product([[1, 2], [3, 4]], axis=0).tolist() == [3, 8],
        "alltrue_sometrue": np.alltrue([True, False]) == False and np.sometrue([False, True]) == True
                            and np.alltrue([[1, 1], [0, 1]], axis=1).tolist() == [True, False],
        "round_": np.round_(2.675, 2) == np.round(2.675, 2) and np.round_([0.5, 1.5]).tolist() == [0.0, 2.0],
        "row_stack": np.row_stack([[1], [2]]).tolist() == [[1], [2]],
        "mat": isinstance(np.mat([[1, 2]]), np.matrix),
        "asfarray": np.asfarray([1, 2]).dtype == np.float64
                    and np.asfarray([1], dtype=np.float32).dtype == np.float32
                    and np.asfarray([1], dtype=int).dtype == np.float64,
        "msort": np.msort(np.array([[3, 1], [1, 2]])).tolist() == [[1, 1], [3, 2]],
        "asscalar": np.asscalar(np.array([5])) == 5 and type(np.asscalar(np.array([5]))) is int,
        "scalar_types": np.float_ is np.float64 and np.complex_ is np.complex128 and np.cfloat is np.complex128
                        and np.singlecomplex is np.complex64 and np.longfloat is np.longdouble
                        and np.longcomplex is np.clongdouble and np.clongfloat is np.clongdouble
                        and np.string_ is np.bytes_ and np.unicode_ is np.str_ and np.int0 is np.intp
                        and np.uint0 is np.uintp and np.bool8 is np.bool_ and np.object0 is np.object_
                        and np.str0 is np.str_ and np.bytes0 is np.bytes_ and np.void0 is np.void,
        "modules": np.math is math and np.warnings is warnings,
        # numpy 2's own names keep numpy 2's meaning
        "bool_unchanged": np.bool is np.bool_,
    }
    out["checks"] = checks
    print(json.dumps(out))
''')


@pytest.fixture(scope="module")
def installed():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          cwd=configmod.ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_every_1x_spelling_behaves_as_in_numpy_1(installed):
    assert {name for name, ok in installed["checks"].items() if not ok} == set()


def test_only_names_are_added_none_rebound(installed):
    assert installed["rebound"] == [] and installed["lib_rebound"] == []
    assert installed["second_install_adds"] == []  # idempotent: a worker may call it twice


def test_it_adds_exactly_what_numpy_lacks(installed):
    with_numpy = {name for name in compat.aliases(np) if compat._missing(np, name)}
    modules = {f"numpy.lib.{name}" for name in compat.LIB_MODULES}
    assert set(installed["added"]) == with_numpy | modules | {"nltk"}
    # the 2021 habits of the issue are among them under our pinned numpy 2.x
    assert {"float", "int", "object", "Inf", "NaN", "product", "float_", "numpy.lib.function_base"} \
        <= set(installed["added"])


def test_every_private_module_aliased_exists():
    import importlib

    for target in compat.LIB_MODULES.values():
        importlib.import_module(target)


def test_the_trusted_process_never_installs_it():
    """Only the worker calls install(): the grader's own numpy stays numpy 2."""
    callers = []
    for folder, _, files in os.walk(os.path.join(configmod.ROOT, "autograder")):
        for name in files:
            if name.endswith(".py") and name != "compat.py":
                with open(os.path.join(folder, name)) as f:
                    if "compat.install(" in f.read():
                        callers.append(name)
    assert callers == ["worker.py"]


STUDENT_2021 = '''
from numpy.lib.function_base import gradient
import numpy as np

def habits(x):
    a = np.asarray(x, dtype=np.float)
    return [float(np.product(a)), int(np.int(a[0])), bool(np.alltrue(a < np.Inf)), str(np.float_(a[1]).dtype)]
'''


def test_2021_code_imports_and_runs_in_the_worker_not_here(tmp_path):
    (tmp_path / "old.py").write_text(STUDENT_2021)
    sb = Sandbox(str(tmp_path), untrusted=False, student_files={"old.py"})
    try:
        assert sb.call("old", "habits", [2.0, 3.0]) == [6.0, 2, True, "float64"]
    finally:
        sb.close()
    assert "numpy.lib.function_base" not in sys.modules
    assert compat._missing(np, "float") and compat._missing(np, "Inf")


# --- nltk: the 2021 a4 starter's utils.py imports it and calls nltk.download('punkt') -----

NLTK_PROBE = textwrap.dedent(r"""
    import contextlib, io, json, sys
    from autograder.sandbox import compat

    fake_real = sys.argv[1] if len(sys.argv) > 1 else None
    if fake_real:  # a real nltk on the path must win over the stand-in
        sys.path.insert(0, fake_real)
    compat.install()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        import nltk
        result = {"download": nltk.download("punkt"), "download_quiet": nltk.download("punkt", quiet=True)}
    result["printed"] = out.getvalue() + err.getvalue()
    result["origin"] = nltk.__spec__.origin
    errors = {}
    for name in ("word_tokenize", "__version__", "translate"):
        try:
            getattr(nltk, name)
        except AttributeError as exc:
            errors[name] = str(exc)
    for stmt in ("import nltk.tokenize", "from nltk.translate.bleu_score import corpus_bleu"):
        try:
            exec(stmt)
        except ImportError as exc:
            errors[stmt] = type(exc).__name__ + ": " + str(exc)
    result["errors"] = errors
    result["installed_twice"] = compat.install().count("nltk")
    print(json.dumps(result))
""")


def run_nltk_probe(*args):
    done = subprocess.run([sys.executable, "-c", NLTK_PROBE, *args], capture_output=True, text=True,
                          cwd=configmod.ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_nltk_is_not_installed_here():
    """The premise of the stand-in (if nltk is ever installed, the real one is used)."""
    import importlib.util

    assert importlib.util.find_spec("nltk") is None


def test_nltk_stand_in_downloads_nothing_quietly():
    got = run_nltk_probe()
    assert got["origin"] == "nlpgrade stand-in"
    assert got["download"] is False and got["download_quiet"] is False
    assert got["printed"] == ""
    assert got["installed_twice"] == 0  # one finder, however often install() runs


def test_nltk_stand_in_pretends_nothing_else():
    errors = run_nltk_probe()["errors"]
    assert set(errors) == {"word_tokenize", "__version__", "translate", "import nltk.tokenize",
                           "from nltk.translate.bleu_score import corpus_bleu"}
    assert errors["word_tokenize"].startswith("nltk.word_tokenize is not available: nltk is not installed "
                                              "where your code is graded")
    assert errors["import nltk.tokenize"].startswith("ModuleNotFoundError: No module named 'nltk.tokenize': "
                                                     "nltk is not installed")
    assert all("only nltk.download exists" in e for e in errors.values()), errors


def test_a_real_nltk_wins(tmp_path):
    """The finder is asked last: where an nltk is importable it is the one imported."""
    (tmp_path / "nltk").mkdir()
    (tmp_path / "nltk" / "__init__.py").write_text("def download(*a, **k):\n    return True\n"
                                                   "def word_tokenize(s):\n    return s.split()\n")
    got = run_nltk_probe(str(tmp_path))
    assert got["origin"].endswith("__init__.py") and got["download"] is True
    assert "word_tokenize" not in got["errors"]


UTILS_2021_TOP = """
import math
import numpy as np
import nltk
import sentencepiece as spm
nltk.download('punkt')

def pad_sents(sents, pad_token):
    longest = max(len(s) for s in sents)
    return [s + [pad_token] * (longest - len(s)) for s in sents]

def tokenize(line):
    return nltk.word_tokenize(line)
"""


def test_2021_a4_utils_imports_and_works_in_the_worker(tmp_path):
    """Imported in a real sandbox worker (no network): nothing fetched, nothing printed,
    the graded function works; a call that needs nltk names what is missing."""
    (tmp_path / "utils.py").write_text(UTILS_2021_TOP)
    sb = Sandbox(str(tmp_path), untrusted=False, student_files={"utils.py"})
    try:
        assert sb.call("utils", "pad_sents", [[1], [2, 3]], 0) == [[1, 0], [2, 3]]
        with pytest.raises(Exception) as failed:
            sb.call("utils", "tokenize", "a b")
    finally:
        sb.close()
    assert "nltk.word_tokenize is not available" in str(failed.value)
    assert "nltk" not in sys.modules  # the trusted process has no stand-in
