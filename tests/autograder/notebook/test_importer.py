"""Importing a submitted notebook as a module inside the sandbox."""
import os

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.sandbox import MissingFile, Sandbox, StudentException


def write_notebook(folder, name, *cells):
    nb = new_notebook(cells=[new_markdown_cell("# Title")] + [new_code_cell(c) for c in cells])
    nbformat.write(nb, os.path.join(folder, name))


@pytest.fixture
def sandbox(open_tmp):
    write_notebook(open_tmp, "nb.ipynb",
                   "%matplotlib inline\nimport numpy as np\nimport not_a_real_package as nrp\n"
                   "from also_missing import thing\nSCALE = 3",
                   "def scaled(x):\n    return np.asarray(x) * SCALE\n"
                   "open('ran-top-level', 'w').write('yes')\nwhile True:\n    pass",
                   "def broken(:\n    pass",
                   "def uses_missing():\n    return nrp.go()\n",
                   "def scaled(x):\n    return np.asarray(x) * SCALE * 2\n")  # redefined later
    (open_tmp / "bad.ipynb").write_text("{ not json")
    (open_tmp / "binary.ipynb").write_bytes(b"\xff\xfe\x00garbage")
    write_notebook(open_tmp, "nocode.ipynb")
    sb = Sandbox(str(open_tmp), student_files=["nb.ipynb", "bad.ipynb", "binary.ipynb", "nocode.ipynb",
                                               "absent.ipynb"],
                 present=["nb.ipynb", "bad.ipynb", "binary.ipynb", "nocode.ipynb"])
    yield sb, open_tmp
    sb.close()


def test_only_definitions_run_and_the_last_definition_wins(sandbox):
    sb, folder = sandbox
    assert list(sb.call("nb", "scaled", [1, 2])) == [6, 12]
    assert not (folder / "ran-top-level").exists()


def test_a_missing_function_names_the_notebook_and_the_syntax_error(sandbox):
    sb, _ = sandbox
    with pytest.raises(StudentException) as info:
        sb.call("nb", "broken")
    text = str(info.value)
    assert "nb.ipynb defines no function broken" in text
    assert "code cell 3 has a syntax error at line 1" in text


def test_an_import_the_grader_lacks_fails_only_where_it_is_used(sandbox):
    sb, _ = sandbox
    with pytest.raises(StudentException, match="not_a_real_package' is not installed on the grader") as info:
        sb.call("nb", "uses_missing")
    assert "nb.ipynb (code cell 4)" in str(info.value)  # the student's own frame


def test_probes_import_notebooks_and_see_clear_attribute_errors(sandbox):
    sb, _ = sandbox
    assert sb.probe(probe_scaled) == [3]
    with pytest.raises(StudentException, match="nb.ipynb defines no nothing_here"):
        sb.probe(probe_missing)


def probe_scaled():
    import nb
    return [float(v) for v in nb.scaled([0.5])]  # the second definition: 0.5 * 3 * 2


def probe_missing():
    import nb
    return nb.nothing_here()


@pytest.mark.parametrize("module, message", [
    ("bad", "bad.ipynb is not a readable Jupyter notebook"),
    ("binary", "binary.ipynb is not a text file"),
    ("nocode", "nocode.ipynb has no code cells"),
])
def test_unreadable_notebooks_say_why(sandbox, module, message):
    sb, _ = sandbox
    with pytest.raises(StudentException, match=message):
        sb.call(module, "f")


def test_a_missing_notebook_is_named(sandbox):
    sb, _ = sandbox
    with pytest.raises(MissingFile, match="absent.ipynb is not in your submission"):
        sb.call("absent", "f")
