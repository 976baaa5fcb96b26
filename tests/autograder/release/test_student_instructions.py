"""Every student zip works by its own instructions: its requirements.txt installs every
package its code imports (the bundled engine included), and its README says how to
install, open the work and run the checks.

The static checks here always run; `test_student_zip_in_a_fresh_venv.py` follows the
README for real (NLPGRADE_SLOW=1)."""
import ast
import importlib.metadata
import json
import re
import sys

import pytest

from autograder import config as configmod
from autograder.release import student_zip

ASSIGNMENTS = ["a1", "a2", "a3"]
# Imported by the engine only when the assignment needs them (a tensor crosses the sandbox
# boundary; the worker reads a notebook): name -> when a zip must install it.
CONDITIONAL = {"torch": lambda own, notebooks: "torch" in own,
               "nbformat": lambda own, notebooks: bool(notebooks)}


class Zips(dict):
    """{assignment: entries}, each built on first use, with a stand-in for the trained
    vectors (`make vectors` is too slow for tests)."""

    def __init__(self, vectors_dir):
        super().__init__()
        self.vectors_dir = vectors_dir

    def __missing__(self, name):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(student_zip, "generated_data_dir", lambda: self.vectors_dir)
            self[name] = student_zip.entries(configmod.load(name))
        return self[name]


@pytest.fixture(scope="module")
def zips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vectors")
    (folder / "vectors").mkdir()
    (folder / "vectors" / "wiki-sgns-100d.bin").write_bytes(b"1 3\nthe " + bytes(12) + b"\n")
    return Zips(str(folder))


def requirement_names(text):
    return {re.sub(r"[-_.]+", "-", re.split(r"[=<>!~;\[ ]", line)[0]).lower()
            for line in (ln.split("#", 1)[0].strip() for ln in text.splitlines())
            if line and not line.startswith("-")}


def code_of(path, data):
    if path.endswith(".ipynb"):
        cells = json.loads(data)["cells"]
        return "\n".join(
            "\n".join(ln for ln in "".join(c["source"]).splitlines() if not ln.lstrip().startswith(("%", "!")))
            for c in cells if c["cell_type"] == "code")
    return data.decode()


def imports(entries, top):
    """{third-party module: [files]} for the assignment's code and for the engine."""
    local = {p[len(top):].split("/")[0].removesuffix(".py") for p in entries}
    local |= {p.rsplit("/", 1)[-1].rsplit(".", 1)[0] for p in entries if p.endswith((".py", ".ipynb"))}
    own, engine = {}, {}
    for path, (data, _) in entries.items():
        if not path.endswith((".py", ".ipynb")):
            continue
        for node in ast.walk(ast.parse(code_of(path, data))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            for name in (n.split(".")[0] for n in names):
                if name in sys.stdlib_module_names or name in local or name.startswith("_nlpgrade_"):
                    continue
                (engine if path.startswith(top + "autograder/") else own).setdefault(name, []).append(path)
    return own, engine


def uncovered(entries, top):
    """["module (file, ...)"] imported by the zip's code and not installed by its
    requirements.txt."""
    pinned = requirement_names(entries[top + "requirements.txt"][0].decode())
    dists = importlib.metadata.packages_distributions()
    own, engine = imports(entries, top)
    notebooks = [p for p in entries if p.endswith(".ipynb")]
    needed = dict(own)
    for name, paths in engine.items():
        if name not in CONDITIONAL or CONDITIONAL[name](own, notebooks):
            needed.setdefault(name, []).extend(paths)
    problems = []
    for name, paths in sorted(needed.items()):
        dist = [re.sub(r"[-_.]+", "-", d).lower() for d in dists.get(name, [name])]
        if not set(dist) & pinned:
            problems.append(f"{name} ({', '.join(sorted(set(paths))[:3])})")
    return problems


def readme_gaps(entries, top, assignment):
    """What a student following README.md could not do."""
    readme = entries[top + "README.md"][0].decode()
    pinned = requirement_names(entries[top + "requirements.txt"][0].decode())
    gaps = [step for step in ("python3 -m venv .venv", "pip install -r requirements.txt",
                              "python -m autograder check", "python -m autograder submit")
            if step not in readme]
    for nb in (f for f in assignment.student_files if f.endswith(".ipynb")):
        if f"jupyter notebook {nb}" not in readme and f"jupyter lab {nb}" not in readme:
            gaps.append(f"how to open {nb}")
        if not pinned & {"notebook", "jupyterlab"}:
            gaps.append("Jupyter in requirements.txt")
    return gaps


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_requirements_install_everything_the_zip_imports(name, zips):
    assert uncovered(zips[name], name + "/") == []


def test_only_what_is_needed_a_numpy_assignment_gets_no_torch_or_jupyter(zips):
    assert not requirement_names(zips["a2"]["a2/requirements.txt"][0].decode()) & {
        "torch", "nbformat", "notebook"}
    assert {"nbformat", "notebook"} <= requirement_names(zips["a1"]["a1/requirements.txt"][0].decode())
    assert "torch" in requirement_names(zips["a3"]["a3/requirements.txt"][0].decode())


def test_the_check_catches_a_requirement_left_out(zips):
    """The a1 zip as it shipped before: no nbformat, which the engine needs to read the
    notebook (`check` then failed every test)."""
    entries = dict(zips["a1"])
    text = entries["a1/requirements.txt"][0].decode()
    entries["a1/requirements.txt"] = ("\n".join(ln for ln in text.splitlines()
                                                if not ln.startswith("nbformat")).encode(), False)
    assert [p.split(" ")[0] for p in uncovered(entries, "a1/")] == ["nbformat"]
    entries["a1/tests/public/extra.py"] = (b"import yaml\n", False)  # dist name differs
    assert "yaml" in " ".join(uncovered(entries, "a1/"))


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_readme_says_how_to_install_open_and_check(name, zips):
    assert readme_gaps(zips[name], name + "/", configmod.load(name)) == []


def test_a1_readme_without_jupyter_is_caught(zips):
    entries = dict(zips["a1"])
    readme = entries["a1/README.md"][0].decode()
    entries["a1/README.md"] = (re.sub(r"jupyter \w+ exploring_word_vectors.ipynb", "", readme).encode(), False)
    assert readme_gaps(entries, "a1/", configmod.load("a1")) == ["how to open exploring_word_vectors.ipynb"]


def test_release_refuses_a_notebook_assignment_without_jupyter(monkeypatch):
    a1 = configmod.load("a1")
    monkeypatch.setattr(student_zip, "extra_requirements", lambda assignment: [])
    files = {"a1/exploring_word_vectors.ipynb": (b'{"cells": []}', False)}
    with pytest.raises(student_zip.ReleaseError, match="pins no Jupyter"):
        student_zip.requirements(a1, files, "a1/")


def test_release_refuses_an_extra_pin_that_contradicts_the_project(monkeypatch):
    a1 = configmod.load("a1")
    monkeypatch.setattr(student_zip, "extra_requirements",
                        lambda assignment: ["notebook==7.6.3", "numpy==1.26.4"])
    with pytest.raises(student_zip.ReleaseError, match="numpy==1.26.4"):
        student_zip.requirements(a1, {"a1/x.py": (b"import numpy\n", False)}, "a1/")
