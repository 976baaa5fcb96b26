"""What of a notebook runs at grading time: imports, definitions, constants; nothing else."""
import ast

import pytest

from autograder.notebook.ast_filter import is_constant, keeps, plan_cell, without_magics


def kept(source):
    return [type(node).__name__ for node in plan_cell(1, source).statements]


@pytest.mark.parametrize("source", [
    "import numpy as np", "from a.b import c as d", "def f(x):\n    return x",
    "async def f():\n    pass", "class A:\n    pass", "X = 3", "START = '<START>'",
    "A, B = 1, (2, 3)", "W = 2 * 4 - 1", "T: int = 5", "D = {'a': [1, -2.5], 'b': None}",
    "DTYPE = np.float32", "N = M * 2", "try:\n    import x\nexcept ImportError:\n    x = None",
])
def test_kept_statements(source):
    assert len(kept(source)) == 1


@pytest.mark.parametrize("source", [
    "print('hi')", "x = f()", "x = [i for i in range(10**9)]", "data = open('f').read()",
    "while True:\n    pass", "for i in range(3):\n    pass", "if True:\n    import os",
    "x[0] = 1", "obj.attr = 1", "x += 1", "plt.show()", "M = np.zeros((9999, 9999))",
    "x = lambda: 1", "T: int", "assert False", "try:\n    import x\nexcept ImportError:\n    print(1)",
    "with open('f') as f:\n    pass", "del x", "raise SystemExit",
])
def test_skipped_statements(source):
    assert kept(source) == []


def test_a_cell_keeps_its_definitions_and_drops_its_work():
    cell = "import os\nresult = compute()\ndef f():\n    return 1\nf()\nLIMIT = 10\n"
    plan = plan_cell(4, cell)
    assert [type(n).__name__ for n in plan.statements] == ["Import", "FunctionDef", "Assign"]
    assert plan.skipped == 2 and plan.problem is None


def test_magics_become_pass_and_keep_line_numbers():
    src = "%matplotlib inline\n!pip install x\nx = !ls\nnp.zeros?\ndef f():\n    %time g()\n    return 2"
    code = without_magics(src)
    assert code.splitlines()[4:] == ["def f():", "    pass", "    return 2"]
    tree = ast.parse(code)
    assert [n.lineno for n in tree.body if isinstance(n, ast.FunctionDef)] == [5]
    assert without_magics("%%bash\nls\n") is None
    assert plan_cell(1, "%%time\nx = 1").statements == []


def test_a_syntax_error_names_the_cell_and_line():
    plan = plan_cell(7, "x = 1\ndef f(:\n    pass")
    assert plan.statements == []
    assert "code cell 7" in plan.problem and "line 2" in plan.problem and "def f(:" in plan.problem


def test_constant_expressions():
    assert is_constant(ast.parse("(1, 'a', -2.0, None, [True])", mode="eval").body)
    assert not is_constant(ast.parse("f(1)", mode="eval").body)
    assert not is_constant(ast.parse("a[1]", mode="eval").body)
    assert not keeps(ast.parse("x.y = 1").body[0])


# ----- definitions are made inert before they run (issue 10) ---------------------------------
import sys  # noqa: E402
import time  # noqa: E402
import types  # noqa: E402

from autograder.notebook import importer  # noqa: E402
from autograder.notebook.ast_filter import runtime  # noqa: E402


@pytest.fixture
def run_cells(tmp_path, monkeypatch):
    """Import cells as a notebook module in this process; `mark(n)` in them writes a file."""
    marks = tmp_path / "marks"
    marks.mkdir()
    prelude = ("import time, functools, enum, abc\nfrom functools import lru_cache\n"
               "from dataclasses import dataclass, field\n"
               f"def mark(*n):\n    open({str(marks)!r} + '/' + '-'.join(map(str, n)) or 'x', 'w').close()\n"
               "    time.sleep(0.5)\n    return n[0] if n else None\n")

    def run(*cells):
        module = types.ModuleType("nbtest")
        monkeypatch.setitem(sys.modules, "nbtest", module)  # as the import system does
        started = time.monotonic()
        importer.execute(module, str(tmp_path / "nbtest.ipynb"), [prelude, *cells])
        module.seconds = time.monotonic() - started
        module.marks = marks
        return module
    return run


def ran(module):
    return sorted(p.name for p in module.marks.iterdir())


@pytest.mark.parametrize("cell", [
    "class Slow:\n    mark(1)\n    time.sleep(3)\n    def f(self):\n        return 1\nf = Slow",
    "@mark\ndef f():\n    return 1",
    "@functools.lru_cache(maxsize=mark(2))\ndef f():\n    return 1",
    "@(d := mark)\ndef f():\n    return 1",
    "def f(x, y=mark(3)):\n    return 1",
    "def f(x, *, y=[mark(3)]):\n    return 1",
    "def f(x: mark(4)) -> mark(5):\n    return 1",
    "T: mark(6) = 1\ndef f():\n    return 1",
    "class M(type):\n    def __new__(m, *a):\n        mark(7)\n        return super().__new__(m, *a)\n"
    "class C(metaclass=M):\n    def f(self):\n        return 1\nf = 1",
    "class C(object, flag=mark(8)):\n    pass\ndef f():\n    return 1",
    "class B:\n    def __init_subclass__(cls, **kw):\n        mark(9)\nclass C(B):\n    pass\ndef f():\n    return 1",
    "class B:\n    __init_subclass__ = mark\nclass C(B):\n    pass\ndef f():\n    return 1",
    "class E(enum.Enum):\n    def __new__(cls, v):\n        mark(10)\n        return object.__new__(cls)\n    A = 1\n"
    "def f():\n    return 1",
    "class C(type('X', (), {'y': mark(11)})):\n    pass\ndef f():\n    return 1",
    "__builtins__ = {'__import__': mark, '__build_class__': mark}\nimport json\nclass C:\n    pass\n"
    "def f():\n    return 1",
    "class C:\n    x: int = field(default_factory=mark)\n    @staticmethod\n    @mark\n    def f():\n        return 1\n"
    "f = 1",
    "try:\n    import not_installed_anywhere\nexcept mark(12):\n    pass\ndef f():\n    return 1",
    "staticmethod = mark\nclass C:\n    @staticmethod\n    def g():\n        return 1\ndef f():\n    return 1",
    "class C:\n    p = mark\n    @p.setter\n    def q(self):\n        return 1\ndef f():\n    return 1",
    "X = 9 ** 9 ** 9\nY = 1 << 10 ** 12\ndef f():\n    return 1",
    "import antigravity\nimport this\ndef f():\n    return 1",
    # round 2: a classmethod over a property calls the function when the class's attribute
    # is read (Python 3.9-3.12), by a constant, a default, a base, a handler, dataclass or ABCMeta
    "class S:\n    @classmethod\n    @property\n    def ran(cls):\n        return mark(13)\nSNEAKY = S.ran\ndef f():\n    return 1",
    "class S:\n    @classmethod\n    @property\n    def ran(cls):\n        return mark(13)\nT: int = S.ran + 1\nclass C:\n    y = S.ran\ndef g(x=S.ran, *, y=S.ran):\n    return 1\ndef f():\n    return 1",
    "class S:\n    @classmethod\n    @property\n    def ran(cls):\n        return mark(13)\nclass C(S.ran):\n    pass\ndef f():\n    return 1",
    "class S:\n    @classmethod\n    @property\n    def ran(cls):\n        return mark(13)\ntry:\n    import not_installed_anywhere\nexcept S.ran:\n    pass\ndef f():\n    return 1",
    "@dataclass\nclass D:\n    ran: int\n    @classmethod\n    @property\n    def ran(cls):\n        return mark(14)\n"
    "def f():\n    return 1",
    "class B(abc.ABC):\n    @property\n    @abc.abstractmethod\n    def ran(self):\n        pass\n"
    "class C(B):\n    @classmethod\n    @property\n    def ran(cls):\n        return mark(15)\n"
    "def f():\n    return 1",
])
def test_definitions_run_no_student_code_while_defined(run_cells, cell):
    module = run_cells(cell)
    assert ran(module) == []  # (the marks, not the seconds they sleep: load reaches any bound)
    assert "f" in vars(module)  # the rest of the cell is defined


def test_what_a_definition_loses_is_told_per_cell(run_cells, capsys):
    run_cells("class Slow:\n    time.sleep(3)\n    x = 1",
              "@mark\ndef timed():\n    return 1",
              "def f(x, k=mark(1)):\n    return k",
              "class C(metaclass=abc.ABCMeta):\n    pass",
              "class E(enum.Enum):\n    A = 1",
              "class B:\n    def __init_subclass__(cls):\n        pass")
    shown = capsys.readouterr().out
    assert "code cell 2, line 1: 1 statement in the body of class Slow (line 2) did not run" in shown
    assert "code cell 3, line 1: the decorator @mark of timed was not applied" in shown
    assert ("code cell 4, line 1: the default value of k in f (mark(1)) is computed when the function "
            "is called") in shown
    assert "code cell 5, line 1: class C was defined without its keywords (metaclass=...)" in shown
    assert "code cell 6, line 1: TypeError: 'Enum'" in shown and "cannot be a base class" in shown
    assert "code cell 7, line 2: __init_subclass__ in class B was left out" in shown


def test_what_2021_notebooks_use_still_works(run_cells):
    module = run_cells(
        "START_TOKEN = '<START>'\nWINDOW = 4\nNP_DTYPE = abc.ABC",
        "def read_corpus(category='crude'):\n    return category",
        "def compute(corpus, window_size=WINDOW, words=None, tokens=[START_TOKEN], k=2 * WINDOW):\n"
        "    return window_size, words, tokens, k",
        "def get_matrix_of_vectors(wv, required_words=['barrels', 'bpd']):\n    return required_words",
        "def order(xs, key=lambda w: -w, *, n=len('abc')):\n    'docstring kept'\n    return sorted(xs, key=key)[:n]",
        "@lru_cache(maxsize=None)\ndef double(x):\n    return 2 * x",
        "class Counter:\n    '''doc'''\n    start: int = 0\n    def __init__(self, n=1):\n        self.n = n\n"
        "    @property\n    def twice(self):\n        return 2 * self.n\n    @twice.setter\n    def twice(self, v):\n"
        "        self.n = v / 2\n    @staticmethod\n    def zero():\n        return 0\n"
        "    @classmethod\n    def make(cls):\n        return cls(3)",
        "@dataclass(frozen=True)\nclass Pair:\n    a: int\n    b: 'list' = 2",
        "class Base(abc.ABC):\n    pass\nclass Child(Base, Exception):\n    pass",
    )
    assert ran(module) == []
    assert module.read_corpus() == "crude"
    assert module.compute([]) == (4, None, ["<START>"], 8)
    assert module.get_matrix_of_vectors(None) == ["barrels", "bpd"]
    assert module.order([1, 3, 2, 5]) == [5, 3, 2] and module.order.__doc__ == "docstring kept"
    assert module.double(4) == 8 and module.double.cache_info().hits == 0
    c = module.Counter.make()
    c.twice = 10
    assert (c.n, module.Counter.zero(), module.Counter.start, module.Counter.__doc__) == (5, 0, 0, "doc")
    assert module.Pair(1) == module.Pair(1, 2)
    assert issubclass(module.Child, module.Base)


def test_constants_read_attributes_of_modules_only_and_say_so(run_cells, capsys):
    module = run_cells("import numpy as np\nclass S:\n    @classmethod\n    @property\n    def ran(cls):\n"
                       "        return mark(1)\n    x = 3\n",
                       "SNEAKY = S.ran\nX = S.x\nDTYPE = np.random.RandomState\nF32 = np.float32\n"
                       "def f(d=np.float64):\n    return d")
    shown = capsys.readouterr().out
    assert ran(module) == []
    assert "code cell 2, line 3: the decorator @classmethod of S.ran was not applied" in shown
    assert ("code cell 3, line 1: TypeError: S.ran was not read: when grading, a constant reads "
            "attributes of imported modules only (like np.float32), and S is a class") in shown
    assert "code cell 3, line 2: TypeError: S.x was not read" in shown
    assert not hasattr(module, "SNEAKY") and not hasattr(module, "X")
    import numpy as np
    assert (module.DTYPE, module.F32, module.f()) == (np.random.RandomState, np.float32, np.float64)
    assert module.S().ran == 1 and ran(module) == ["1"]  # still a property of its instances


def test_classmethod_and_staticmethod_apply_directly_to_functions_only():
    plan = plan_cell(2, "class C:\n    @classmethod\n    @functools.lru_cache\n    def f(cls):\n        pass\n"
                        "    @staticmethod\n    @mystery\n    def g():\n        pass\n"
                        "    @property\n    @classmethod\n    def h(cls):\n        pass\n")
    body = plan.statements[0].body
    assert [len(d.decorator_list) for d in body] == [1, 1, 2]  # g keeps staticmethod: @mystery is off
    assert plan.notes[0] == ("code cell 2, line 2: the decorator @classmethod of C.f was not applied "
                             "(when grading, @classmethod applies only directly to a function, not over "
                             "another decorator)")


def test_a_deferred_default_runs_at_each_call_that_leaves_it_out(run_cells):
    module = run_cells("def f(x, y=mark(1)):\n    return y")
    assert ran(module) == []
    assert module.f(0, 7) == 7 and ran(module) == []
    assert module.f(0) == 1 and ran(module) == ["1"]


def test_reserved_names_cannot_be_rebound():
    for source in ("__nlpgrade__ = {}", "import json as __nlpgrade__", "def __nlpgrade__():\n    pass",
                   "__builtins__ = {}", "class __builtins__:\n    pass", "from os import path as __builtins__",
                   "def __getattr__(name):\n    return 1",
                   "try:\n    import x\nexcept ImportError as __builtins__:\n    pass"):
        plan = plan_cell(3, source)
        assert plan.statements == [], source
        assert plan.notes[0].startswith("code cell 3, line ") and "__" in plan.notes[0], source
    assert isinstance(runtime(), types.MappingProxyType)  # read-only even to code that reaches it
    assert kept("__all__ = ['f']\n__version__ = '1.0'") == ["Assign", "Assign"]


@pytest.mark.parametrize("source", ["X = 9 ** 9 ** 9", "X = 2 ** N", "X = 1 << 10 ** 9", "X = (2 ** 10) ** 3"])
def test_constants_that_take_long_to_compute_are_skipped(source):
    assert kept(source) == []


@pytest.mark.parametrize("source", ["X = 2 ** 10", "EPS = 1e-3 * 10 ** -6", "X = 1 << 20"])
def test_small_powers_are_constants(source):
    assert kept(source) == ["Assign"]
