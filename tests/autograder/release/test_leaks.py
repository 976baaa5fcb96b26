"""The leak check finds each kind of leak, with the zip path and line, and passes a2."""
import dataclasses
import json
import os
import shutil

import pytest

from autograder import config as configmod
from autograder import data as datamod
from autograder.release import leaks, student_zip

SOLUTIONS = os.path.join(configmod.ROOT, "solutions", "a2")
HIDDEN_TEST = os.path.join(configmod.ROOT, "assignments", "a2", "tests", "hidden",
                           "test_a2_hidden.py")


@pytest.fixture(scope="module")
def a2():
    return configmod.load("a2")


@pytest.fixture(scope="module")
def clean(a2):
    return student_zip.entries(a2)


@pytest.fixture
def entries(clean):
    return dict(clean)  # each test spoils its own copy


def read(path):
    with open(path, "rb") as f:
        return f.read()


def solution_line(rel, text):
    """(line number in solutions/a2/rel, the line) of the line containing `text`."""
    with open(os.path.join(SOLUTIONS, rel)) as f:
        for number, line in enumerate(f, 1):
            if text in line:
                return number, line.rstrip("\n")
    raise AssertionError(f"{text!r} not in {rel}")


def inject(entries, path, after, new_line):
    """Put `new_line` into the text entry `path` after the first line containing `after`;
    return its line number."""
    lines = entries[path][0].decode().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if after in line) + 1
    lines.insert(at, new_line + "\n")
    entries[path] = ("".join(lines).encode(), entries[path][1])
    return at + 1


def test_the_real_student_zip_does_not_leak(a2, clean):
    assert leaks.check(a2, clean) == []


def test_a_solution_line_in_a_template_file(a2, entries):
    src_line, text = solution_line("word2vec.py", "e = np.exp(-np.abs(x))")
    at = inject(entries, "a2/word2vec.py", "def sigmoid", "  " + text.strip())  # re-indented
    problems = leaks.check(a2, entries)
    assert problems == [f"a2/word2vec.py:{at}: solution text from "
                        f"solutions/a2/word2vec.py:{src_line}: e = np.exp(-np.abs(x))"]


def test_solution_code_and_comments_are_found_inside_other_text(a2, entries):
    _, code = solution_line("sampling.py", "** power")
    _, comment = solution_line("word2vec.py", "unbuffered add")
    at_code = inject(entries, "a2/handout.md", "## Grading", f"Hint: `{code.strip()}` works.")
    at_comment = inject(entries, "a2/handout.md", "## Data", comment.strip().lstrip("# "))
    found = leaks.check(a2, entries)
    assert len(found) == 2
    assert found[0].startswith(f"a2/handout.md:{at_code}: solution text from "
                               "solutions/a2/sampling.py:")
    assert found[1].startswith(f"a2/handout.md:{at_comment}: solution text from "
                               "solutions/a2/word2vec.py:")


def test_short_lines_and_lines_students_see_anyway_are_not_leaks(a2, entries):
    for rel, text in (("word2vec.py", "loss += l"),                       # too short
                      ("word2vec.py", "x = np.asarray(x, dtype=float)"),  # also outside regions
                      ("information.py", "return e / np.sum(e, axis=-1, keepdims=True)")):  # utils
        solution_line(rel, text)  # it is a region line
        inject(entries, "a2/word2vec.py", "def sigmoid", "    " + text)
    assert leaks.check(a2, entries) == []


def test_a_hidden_test_by_path_name_or_content(a2, entries):
    data = read(HIDDEN_TEST)
    entries["a2/tests/public/test_a2_hidden.py"] = (data, False)
    entries["a2/notes/old_checks.txt"] = (data, False)
    entries["a2/tests/hidden/helpers.py"] = (b"x = 1\n", False)
    found = leaks.check(a2, entries)
    assert "a2/tests/public/test_a2_hidden.py:1: a hidden test " \
           "(assignments/a2/tests/hidden/test_a2_hidden.py)" in found
    assert "a2/notes/old_checks.txt:1: a hidden test " \
           "(assignments/a2/tests/hidden/test_a2_hidden.py)" in found
    assert "a2/tests/hidden/helpers.py:1: a hidden test (a tests/hidden/ folder)" in found
    assert len(found) == 3


def test_a_reference_module(a2, entries):
    entries["a2/reference/word2vec.py"] = (read(os.path.join(SOLUTIONS, "word2vec.py")), False)
    entries["a2/sampling.py"] = (read(os.path.join(SOLUTIONS, "sampling.py")), False)
    # one problem per file, not one per line
    assert leaks.check(a2, entries) == [
        "a2/reference/word2vec.py:1: the reference module solutions/a2/word2vec.py",
        "a2/sampling.py:1: the reference module solutions/a2/sampling.py",
    ]


def test_a_solution_file_without_regions_is_not_a_reference_module(a2, entries):
    # utils/ ships unchanged: the same bytes as the solution's copy
    shipped = entries["a2/utils/gradcheck.py"][0]
    assert shipped == read(os.path.join(SOLUTIONS, "utils", "gradcheck.py"))
    assert leaks.check(a2, entries) == []


def test_hidden_data_by_path_or_checksum(a2, entries, tmp_path):
    hidden = "wordvec-eval/wordsim353.tsv"
    folder = tmp_path / "a2"
    shutil.copytree(a2.folder, folder, ignore=shutil.ignore_patterns("__pycache__"))
    cfg = json.loads((folder / "config.json").read_text())
    cfg["hidden_data"] = [hidden]
    (folder / "config.json").write_text(json.dumps(cfg))
    fake = dataclasses.replace(a2, folder=str(folder))
    data = read(datamod.path(hidden))
    entries["a2/data/" + hidden] = (data, False)
    entries["a2/data/renamed.tsv"] = (data, False)
    entries["a2/data/" + hidden.replace(".tsv", "-v2.tsv")] = (b"other bytes\n", False)
    assert leaks.check(fake, entries) == [
        f"a2/data/renamed.tsv:1: the hidden data file {hidden}",
        f"a2/data/{hidden}:1: the hidden data file {hidden}",
    ]
