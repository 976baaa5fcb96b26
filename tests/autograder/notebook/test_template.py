"""The student notebook generated from the solution notebook, and leak checks on notebooks."""
import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from autograder import templates
from autograder.notebook.template import source_text, student_notebook
from autograder.release import leaks

SOLVED = "def f(x):\n    ### BEGIN SOLUTION\n    secret_value = x * 42\n    return secret_value\n    ### END SOLUTION"


def solution_bytes():
    code = new_code_cell(SOLVED, execution_count=3, metadata={"tags": ["graded"]},
                         outputs=[new_output("stream", name="stdout", text="42\n")])
    nb = new_notebook(cells=[new_markdown_cell("## Part 1\nExplain *this*."), code,
                             new_code_cell("print(f(1))", execution_count=4,
                                           outputs=[new_output("stream", name="stdout", text="42\n")])],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                               "language": "python"}})
    return nbformat.writes(nb).encode(), nb


def test_regions_become_stubs_and_outputs_go():
    data, original = solution_bytes()
    nb = nbformat.reads(student_notebook(data).decode(), as_version=4)
    nbformat.validate(nb)
    code = nb.cells[1]
    assert code.source == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError"
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")
    # everything else is kept: markdown, ids, metadata, the cells without regions
    assert nb.cells[0].source == original.cells[0].source
    assert [c.id for c in nb.cells] == [c.id for c in original.cells]
    assert code.metadata == {"tags": ["graded"]} and nb.metadata == original.metadata
    assert nb.cells[2].source == "print(f(1))"


def test_the_stub_raises_and_the_same_bytes_come_out_every_time():
    data, _ = solution_bytes()
    out = student_notebook(data)
    assert out == student_notebook(data)
    ns = {}
    exec(nbformat.reads(out.decode(), as_version=4).cells[1].source, ns)
    with pytest.raises(NotImplementedError):
        ns["f"](1)


def test_unclosed_region_and_unreadable_notebooks_are_errors():
    nb = new_notebook(cells=[new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1")])
    with pytest.raises(templates.TemplateError, match="never closed"):
        student_notebook(nbformat.writes(nb).encode(), "a1/x.ipynb")
    with pytest.raises(templates.TemplateError, match="not a readable notebook"):
        student_notebook(b"{oops", "a1/x.ipynb")


def test_templates_render_and_check_notebooks(tmp_path):
    data, _ = solution_bytes()
    (tmp_path / "solutions" / "a9").mkdir(parents=True)
    (tmp_path / "solutions" / "a9" / "nb.ipynb").write_bytes(data)
    written = templates.write_all(str(tmp_path / "solutions"), str(tmp_path / "student_template"))
    assert written == ["a9/nb.ipynb"]
    assert templates.stale_files(str(tmp_path / "solutions"), str(tmp_path / "student_template")) == []
    stub = tmp_path / "student_template" / "a9" / "nb.ipynb"
    stub.write_bytes(data)  # someone pasted the solution into the template
    assert templates.stale_files(str(tmp_path / "solutions"),
                                 str(tmp_path / "student_template")) == ["a9/nb.ipynb (differs)"]


def test_leak_search_sees_notebook_lines_not_json():
    data, _ = solution_bytes()
    text = source_text(data)
    assert "    secret_value = x * 42" in text.splitlines()
    assert source_text(b"not a notebook") is None and source_text(b'{"a": 1}') is None
    number = text.splitlines().index("    secret_value = x * 42") + 1
    assert (True, number) == leaks.regions(text)[number - 1][:2]  # seen inside its region
    found = leaks._solution_lines("a1/nb.ipynb", text, {"secret_value = x * 42": "solutions/a1/nb.ipynb:5"})
    assert [line.split(": ")[0] for line in found] == [f"a1/nb.ipynb:{number}"]
