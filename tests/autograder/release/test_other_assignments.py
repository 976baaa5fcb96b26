"""Releases of the notebook assignment (a1) and of the held-out-UAS assignment (a3):
what their zips hold and, above all, what they must not."""
import pytest

from autograder import config as configmod
from autograder.release import autograder_zip, leaks, student_zip

VECTORS = "vectors/wiki-sgns-100d.bin"
HELDOUT = "ud-english-ewt/en_ewt-ud-test.conllu"


@pytest.fixture
def fake_vectors(tmp_path, monkeypatch):
    """A stand-in for the trained vectors (made by `make vectors`, too slow for tests)."""
    (tmp_path / "vectors").mkdir()
    (tmp_path / VECTORS).write_bytes(b"2 3\nthe \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\n")
    (tmp_path / "vectors" / "wiki-sgns-100d.json").write_text('{"dim": 3}')
    monkeypatch.setattr(student_zip, "generated_data_dir", lambda: str(tmp_path))
    return tmp_path


def test_a1_student_zip_ships_the_student_notebook_and_the_vectors(fake_vectors):
    a1 = configmod.load("a1")
    entries = student_zip.entries(a1)
    with open(f"{a1.template_dir}/exploring_word_vectors.ipynb", "rb") as f:
        assert entries["a1/exploring_word_vectors.ipynb"][0] == f.read()
    assert entries["a1/data/" + VECTORS][0] == (fake_vectors / VECTORS).read_bytes()
    assert "a1/data/vectors/wiki-sgns-100d.json" in entries
    assert "a1/data/wordvec-eval/questions-words.txt" in entries
    requirements = entries["a1/requirements.txt"][0].decode()
    for package in ("matplotlib==", "numpy==", "scipy=="):  # imported by the notebook only
        assert package in requirements
    assert not any("vectors/sgns.py" in p or "vectors/cli.py" in p for p in entries)  # instructors' tools
    assert "a1/autograder/vectors/keyed.py" in entries  # what the notebook queries vectors with
    assert leaks.check(a1, entries) == []


def test_a1_release_needs_the_vectors(tmp_path, monkeypatch):
    monkeypatch.setattr(student_zip, "generated_data_dir", lambda: str(tmp_path))
    with pytest.raises(student_zip.ReleaseError, match="make vectors"):
        student_zip.entries(configmod.load("a1"))


def test_a1_leak_check_reads_the_notebook(fake_vectors):
    a1 = configmod.load("a1")
    entries = student_zip.entries(a1)
    with open(f"{a1.reference_dir}/exploring_word_vectors.ipynb", "rb") as f:
        solved = f.read()
    entries["a1/exploring_word_vectors.ipynb"] = (solved.replace(b'"cell_type"', b'"cell_type" '), False)
    problems = leaks.check(a1, entries)
    assert problems and all(p.startswith("a1/exploring_word_vectors.ipynb:") for p in problems)
    assert any("solution text from solutions/a1/exploring_word_vectors.ipynb" in p for p in problems)


def test_a3_student_zip_has_train_and_dev_but_never_the_heldout_set(fake_vectors):
    a3 = configmod.load("a3")
    entries = student_zip.entries(a3)
    assert "a3/data/" + VECTORS in entries              # the parser starts from them
    assert "a3/data/ud-english-ewt/en_ewt-ud-train.conllu.gz" in entries
    assert "a3/data/ud-english-ewt/en_ewt-ud-dev.conllu" in entries
    assert not any(HELDOUT.rsplit("/", 1)[1] in p for p in entries)
    assert "a3/model.weights" not in entries          # students train their own
    assert "torch==" in entries["a3/requirements.txt"][0].decode()
    assert leaks.check(a3, entries) == []


def test_a3_autograder_zip_carries_the_heldout_gold_and_the_sandbox_data():
    a3 = configmod.load("a3")
    entries = autograder_zip.entries(a3)
    for rel in (HELDOUT, "ud-english-ewt/en_ewt-ud-train.conllu.gz", "ud-english-ewt/en_ewt-ud-dev.conllu"):
        assert "data/" + rel in entries, rel
    assert "solutions/a3/utils/attachment.py" in entries


def test_a1_autograder_zip_carries_the_corpus_its_timing_test_reads():
    entries = autograder_zip.entries(configmod.load("a1"))
    assert "data/wiki-en-10M/wiki-en-2015-10M.txt.gz" in entries
