"""a1 submissions that are broken or odd as notebooks: each gets a valid results.json,
loses exactly what it should, and says why in words."""
import json
import zipfile

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder import config as configmod
from autograder import results as resultsmod
from support import grade, lost

A1 = configmod.load("a1")
NB = "exploring_word_vectors.ipynb"
ALL = set(A1.points)


def reference_notebook():
    return nbformat.read(f"{A1.reference_dir}/{NB}", as_version=4)


def graded(tmp_path, folder):
    res = grade(folder, assignment="a1", results_path=tmp_path / "results.json")
    resultsmod.validate(json.loads((tmp_path / "results.json").read_text()))
    return res


def outputs(res):
    return " ".join(t["output"] for t in res["tests"])


def submit(tmp_path, nb=None, raw=None, name=NB):
    folder = tmp_path / "sub"
    folder.mkdir()
    if raw is not None:
        (folder / name).write_bytes(raw)
    else:
        nbformat.write(nb, str(folder / name))
    return folder


def test_top_level_work_never_runs(tmp_path):
    nb = reference_notebook()
    nb.cells.insert(2, new_code_cell("import os\nos._exit(3)"))
    nb.cells.insert(3, new_code_cell("while True:\n    pass"))
    nb.cells.insert(4, new_code_cell("big = bytearray(50 * 2**30)\nraise SystemExit('no')"))
    nb.cells.insert(5, new_code_cell("%pip install gensim\n!wget http://example.com/glove.zip"))
    res = graded(tmp_path, submit(tmp_path, nb))
    assert lost(res) == set(), outputs(res)


def test_malformed_notebook(tmp_path):
    res = graded(tmp_path, submit(tmp_path, raw=b'{"cells": [ {"cell_type": "code", '))
    assert lost(res) == ALL
    assert "is not a readable Jupyter notebook" in outputs(res)


def test_notebook_without_code_cells(tmp_path):
    res = graded(tmp_path, submit(tmp_path, new_notebook(cells=[new_markdown_cell("my answers")])))
    assert lost(res) == ALL
    assert f"{NB} has no code cells" in outputs(res)


def test_a_missing_function_is_named_and_the_rest_is_graded(tmp_path):
    nb = reference_notebook()
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("def plot_embeddings"):
            cell.source = "def plot_embedding(M_reduced, word2ind, words):\n    pass"  # misspelt
    res = graded(tmp_path, submit(tmp_path, nb))
    assert lost(res) == {"1.4", "2.8"}
    assert f"{NB} defines no plot_embeddings" in outputs(res)


def test_a_syntax_error_costs_only_its_cell(tmp_path):
    nb = reference_notebook()
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("def reduce_to_k_dim"):
            cell.source = cell.source.replace("def reduce_to_k_dim(M, k=2):", "def reduce_to_k_dim(M, k=2)")
    res = graded(tmp_path, submit(tmp_path, nb))
    assert lost(res) == {"1.3", "2.7"}
    assert "has a syntax error at line 1" in outputs(res)


def test_a_renamed_notebook_in_a_zip_is_graded(tmp_path):
    src = tmp_path / "src.ipynb"
    nbformat.write(reference_notebook(), str(src))
    upload = tmp_path / "upload.zip"
    with zipfile.ZipFile(upload, "w") as z:
        z.write(src, "my-a1/exploring_word_vectors (1).ipynb")
        z.write(src.parent / "src.ipynb", "my-a1/.ipynb_checkpoints/exploring_word_vectors-checkpoint.ipynb")
    res = grade(upload, assignment="a1", results_path=tmp_path / "results.json")
    assert lost(res) == set(), outputs(res)
    assert "using my-a1/exploring_word_vectors (1).ipynb as exploring_word_vectors.ipynb" in res["output"]


def test_missing_notebook(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "answers.py").write_text("x = 1\n")
    res = graded(tmp_path, folder)
    assert lost(res) == ALL
    assert f"{NB} is not in your submission" in outputs(res)
