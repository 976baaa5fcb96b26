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
