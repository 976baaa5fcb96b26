"""a1 notebooks with code that Python runs while defining things: a class body, a
decorator, a default value, an annotation, a metaclass, a class keyword, a base-class
expression, __init_subclass__, __set_name__, an enum, `__builtins__` rebound, an except
clause, a classmethod stacked over a property. Each trick, added to the student template
as a student would write it, tries to sleep, write a file, print, and define the graded
functions from a solution kept in a string. None of it may run when grading: no file
appears, nothing is printed, grading stays short, the template still scores 0, and
results.json is valid. The notebook is told which cell lost what.

Before issue 10 the class body, decorator, default, annotation and metaclass tricks ran
at grading time (a 3 s sleep and a file write ran; the notebook scored 23/23); before its
round 2, the classmethod over a property ran, read by a constant `SNEAKY = Sneaky.ran`.
"""
import ast
import os
import time

import nbformat
import pytest
from hostile_support import assert_no_gain, strict_results
from nbformat.v4 import new_code_cell
from support import grade, lost

from autograder import config as configmod

A1 = configmod.load("a1")
NB = "exploring_word_vectors.ipynb"
GRADED = ("distinct_words", "compute_co_occurrence_matrix", "reduce_to_k_dim", "plot_embeddings")
SLEEP_S = 45  # what each trick sleeps if it runs: far more than a grading of the template takes
# (1.6 s), under a1's 60 s import limit so that a trick that ran would show in full


def solution_source():
    """The reference's graded functions, as one string a trick could exec."""
    nb = nbformat.read(os.path.join(A1.reference_dir, NB), as_version=4)
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.FunctionDef) and node.name in GRADED:
                    parts.append(ast.get_source_segment(cell.source, node))
    assert len(parts) == len(GRADED)
    return "\n\n".join(parts)


def take_over(marks):
    """The cell defining what every trick calls if it runs."""
    return f'''
import time, enum, functools
SOLUTION = {solution_source()!r}
MARKS = {str(marks)!r}

def take_over(tag):
    print(f"TRICK {{tag}} RAN")
    try:
        open(MARKS + "/" + tag, "w").close()
    except OSError:
        pass
    time.sleep({SLEEP_S})
    exec(SOLUTION, globals())
    return tag

def take_over_decorator(fn):
    take_over("decorator")
    return fn
'''


# name: (the trick's cell, what the student is told it lost, or None where it loses nothing)
TRICKS = {
    "class body": ("class Helper:\n    take_over('class-body')\n    size = 3\n",
                   "statement in the body of class Helper (line 2) did not run"),
    "decorator": ("@take_over_decorator\ndef helper():\n    return 1\n",
                  "the decorator @take_over_decorator of helper was not applied"),
    "decorator argument": ("@functools.lru_cache(maxsize=take_over('decorator-argument'))\n"
                           "def helper():\n    return 1\n", "was not applied"),
    "walrus in a decorator": ("@(chosen := take_over_decorator)\ndef helper():\n    return 1\n",
                              "was not applied"),
    "default value": ("def helper(x=take_over('default')):\n    return x\n",
                      "the default value of x in helper (take_over('default')) is computed when the function is called"),
    "lambda default": ("def helper(f=(lambda: take_over('lambda-default'))()):\n    return f\n",
                       "is computed when the function is called"),
    "annotation": ("def helper(x: take_over('annotation')) -> take_over('return-annotation'):\n    return x\n"
                   "LIMIT: take_over('variable-annotation') = 3\n"
                   "class Fields:\n    size: take_over('class-annotation') = 1\n", None),
    "metaclass": ("class Meta(type):\n    def __new__(mcs, name, bases, ns):\n        take_over('metaclass')\n"
                  "        return super().__new__(mcs, name, bases, ns)\n\n"
                  "class Helper(metaclass=Meta):\n    pass\n",
                  "class Helper was defined without its keywords (metaclass=...)"),
    "class keyword": ("class Helper(flag=take_over('class-keyword')):\n    pass\n",
                      "class Helper was defined without its keywords (flag=...)"),
    "base class expression": ("class Helper(type('Base', (), {'x': take_over('base-class')})):\n    pass\n",
                              "class Helper was not defined: its base"),
    "__init_subclass__": ("class Base:\n    def __init_subclass__(cls, **kwargs):\n        take_over('init-subclass')\n\n"
                          "class Helper(Base):\n    pass\n", "__init_subclass__ in class Base was left out"),
    "__set_name__": ("class Hook:\n    def __set_name__(self, owner, name):\n        take_over('set-name')\n\n"
                     "class Helper:\n    hook = Hook()\n", "__set_name__ in class Hook was left out"),
    "enum": ("class Color(enum.Enum):\n    def __new__(cls, value):\n        take_over('enum')\n"
             "        member = object.__new__(cls)\n        member._value_ = value\n        return member\n"
             "    RED = 1\n", "cannot be a base class when grading"),
    "__builtins__ rebound": ("def hooked(*args, **kwargs):\n    take_over('builtins')\n\n"
                             "__builtins__ = {'__import__': hooked, '__build_class__': hooked}\n"
                             "import json\nclass Helper:\n    pass\n", "a binding of __builtins__ was not run"),
    "except clause": ("try:\n    import a_package_nobody_has\nexcept take_over('except-clause'):\n    pass\n", None),
    # round 2: Python 3.9-3.12 chain a classmethod over a property, so reading the class's
    # attribute calls the function: by a "constant", or by dataclass while it makes the class
    "classmethod over property": ("class Sneaky:\n    @classmethod\n    @property\n    def ran(cls):\n"
                                  "        return take_over('classproperty')\n\nSNEAKY = Sneaky.ran\n",
                                  "Sneaky.ran was not read: when grading, a constant reads attributes of "
                                  "imported modules only"),
    "classmethod over property in a dataclass": (
        "from dataclasses import dataclass\n\n@dataclass\nclass Record:\n    ran: int\n\n"
        "    @classmethod\n    @property\n    def ran(cls):\n        return take_over('dataclass-classproperty')\n",
        "the decorator @classmethod of Record.ran was not applied"),
}


@pytest.fixture
def marks(open_tmp):
    """A folder anyone may write to: a trick that ran would leave its file here."""
    folder = open_tmp / "marks"
    folder.mkdir()
    os.chmod(folder, 0o1777)
    return folder


def notebook_with(base_dir, cells, folder):
    nb = nbformat.read(os.path.join(base_dir, NB), as_version=4)
    nb.cells += [new_code_cell(c) for c in cells]
    folder.mkdir()
    nbformat.write(nb, str(folder / NB))
    return folder, sum(c.cell_type == "code" for c in nb.cells)


def graded(folder, tmp_path, hidden):
    started = time.monotonic()
    res = grade(folder, assignment="a1", hidden=hidden, results_path=tmp_path / "results.json")
    seconds = time.monotonic() - started
    strict_results(tmp_path / "results.json")
    return res, seconds


def outputs(res):
    return "\n".join(t["output"] for t in res["tests"]) + res.get("output", "")


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """The honest baseline: the template's public grading (0 points)."""
    res, _ = graded(A1.template_dir, tmp_path_factory.mktemp("baseline"), hidden=False)
    assert res["score"] == 0
    return res


@pytest.mark.parametrize("name", sorted(TRICKS))
def test_a_trick_runs_nothing_and_gains_nothing(name, tmp_path, marks, baseline):
    cell, told = TRICKS[name]
    folder, n_cells = notebook_with(A1.template_dir, [take_over(marks), cell], tmp_path / "sub")
    res, _ = graded(folder, tmp_path, hidden=False)
    assert sorted(os.listdir(marks)) == []
    assert "RAN" not in outputs(res)
    # relative to the honest grading of this run: a trick that ran would add SLEEP_S
    assert res["execution_time"] < baseline["execution_time"] + SLEEP_S, (res["execution_time"],
                                                                          baseline["execution_time"])
    assert_no_gain(res, baseline)
    if told:
        assert f"code cell {n_cells}, line " in outputs(res) and told in outputs(res), outputs(res)[:2000]


def test_every_trick_together_leaves_the_reference_at_full_marks(tmp_path, marks):
    """An honest notebook with all the tricks in it is graded as if they were not there,
    and what they lost is listed with the first test that imported the notebook."""
    cells = [take_over(marks)] + [cell for cell, _ in TRICKS.values()]
    folder, _ = notebook_with(A1.reference_dir, cells, tmp_path / "sub")
    res, _ = graded(folder, tmp_path, hidden=True)
    assert lost(res) == set(), [t["output"][:300] for t in res["tests"] if t["score"] < t["max_score"]]
    assert sorted(os.listdir(marks)) == [] and "RAN" not in outputs(res)
    # no bound on seconds: a hidden grading of the reference has no baseline here (the marks
    # and the printed RAN show any trick that ran; the test above bounds each trick's time)
    shown = outputs(res)
    assert "While importing exploring_word_vectors.ipynb" in shown
    for name, (_, told) in TRICKS.items():
        if told:
            assert told in shown, (name, shown[:3000])


@pytest.fixture(scope="module")
def a1_zip():
    import shutil
    import tempfile

    from autograder.release import autograder_zip, write_zip

    folder = tempfile.mkdtemp(prefix="nlpgrade-hostile-emulate-")
    yield write_zip(os.path.join(folder, "a1-autograder.zip"), autograder_zip.entries(A1))
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("setup", [
    False,
    pytest.param(True, marks=[pytest.mark.slow, pytest.mark.skipif(
        os.environ.get("NLPGRADE_SLOW") != "1",
        reason="installs every dependency into a fresh venv (minutes); NLPGRADE_SLOW=1")])])
def test_every_trick_together_on_the_gradescope_layout(tmp_path, marks, a1_zip, setup, capfd):
    """The template with every trick, graded by `nlpgrade emulate` (the autograder zip run
    as Gradescope runs it): nothing runs, nothing is gained over the template."""
    from autograder import emulate

    def emulated(folder, name):
        args = [a1_zip, str(folder), "--results", str(tmp_path / name)] + (["--setup"] if setup else [])
        assert emulate.main(args) == 0
        return strict_results(tmp_path / name)

    baseline = emulated(A1.template_dir, "honest.json")
    cells = [take_over(marks)] + [cell for cell, _ in TRICKS.values()]
    folder, _ = notebook_with(A1.template_dir, cells, tmp_path / "sub")
    res = emulated(folder, "attack.json")
    capfd.readouterr()
    assert sorted(os.listdir(marks)) == [] and "RAN" not in outputs(res)
    # the grading's own time (a --setup run also installs a venv first, which varies)
    assert res["execution_time"] < baseline["execution_time"] + SLEEP_S, (res["execution_time"],
                                                                          baseline["execution_time"])
    assert_no_gain(res, baseline)
    assert "While importing exploring_word_vectors.ipynb" in outputs(res)
