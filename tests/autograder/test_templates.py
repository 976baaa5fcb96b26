import pytest

from autograder import templates
from autograder.config import ROOT

SOLUTION = '''import numpy as np


def f(x):
    """Doc."""
    y = 1
    ### BEGIN SOLUTION
    y = x * 2
    if y:
        y += 1
    ### END SOLUTION
    return y


class A:
    def g(self):
        ### BEGIN SOLUTION
        return 3
        ### END SOLUTION
'''


def test_regions_become_stubs_at_their_indentation():
    out = templates.strip_solutions(SOLUTION)
    assert "y = x * 2" not in out and "return 3" not in out
    assert "    # YOUR CODE HERE\n    raise NotImplementedError\n    return y\n" in out
    assert "        # YOUR CODE HERE\n        raise NotImplementedError\n" in out
    assert out.startswith('import numpy as np\n\n\ndef f(x):\n    """Doc."""\n    y = 1\n')
    compile(out, "t", "exec")


def test_everything_outside_regions_is_kept_byte_for_byte():
    text = "a = 1  \r\n\t# tab\r\n### BEGIN SOLUTION\r\nb = 2\r\n### END SOLUTION\r\nc = 3"
    out = templates.strip_solutions(text)
    assert out == "a = 1  \r\n\t# tab\r\n# YOUR CODE HERE\r\nraise NotImplementedError\r\nc = 3"


@pytest.mark.parametrize("bad, where", [
    ("### BEGIN SOLUTION\nx = 1\n", ":1: BEGIN SOLUTION is never closed"),
    ("x = 1\n### END SOLUTION\n", ":2: END SOLUTION without BEGIN"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", ":2: BEGIN SOLUTION inside"),
])
def test_malformed_regions_are_errors_with_a_line(bad, where):
    with pytest.raises(templates.TemplateError, match=where):
        templates.strip_solutions(bad, "f.py")


def test_check_finds_stale_missing_and_extra_files(tmp_path):
    sol, tpl = tmp_path / "solutions", tmp_path / "student_template"
    (sol / "a9").mkdir(parents=True)
    (sol / "a9" / "m.py").write_text(SOLUTION)
    (sol / "a9" / "data.txt").write_text("plain\n")
    assert templates.stale_files(sol, tpl) == ["a9/data.txt (missing)", "a9/m.py (missing)"]
    templates.write_all(sol, tpl)
    assert templates.stale_files(sol, tpl) == []
    (tpl / "a9" / "m.py").write_text(SOLUTION)
    (tpl / "a9" / "extra.py").write_text("")
    assert templates.stale_files(sol, tpl) == ["a9/m.py (differs)", "a9/extra.py (not in solutions)"]


def test_committed_templates_are_up_to_date():
    stale = templates.stale_files(f"{ROOT}/solutions", f"{ROOT}/student_template")
    assert stale == [], "student_template/ is stale: run `nlpgrade templates` and commit"


def test_template_files_hold_no_solution_text():
    for rel, data in templates.render(f"{ROOT}/solutions/a2").items():
        assert b"BEGIN SOLUTION" not in data, rel
