import os
import zipfile

import pytest

from autograder import config as configmod
from autograder.submission import SubmissionProblem, collect, safe_unzip, stage

WANTED = ["word2vec.py", "sgd.py"]


def write(path, text="x = 1\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_folder_with_files_at_the_top(tmp_path):
    write(tmp_path / "up" / "word2vec.py")
    write(tmp_path / "up" / "notes.txt")
    sub = collect(str(tmp_path / "up"), WANTED, str(tmp_path / "scratch"))
    assert list(sub.files) == ["word2vec.py"] and sub.missing == ["sgd.py"]
    assert any("notes.txt" in n for n in sub.notes)


def test_zip_of_a_nested_folder_prefers_the_shallowest_copy(tmp_path):
    zpath = tmp_path / "s.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        z.writestr("a2/word2vec.py", "top = 1\n")
        z.writestr("a2/old/word2vec.py", "old = 1\n")
        z.writestr("a2/sgd.py", "s = 1\n")
        z.writestr("__MACOSX/a2/._sgd.py", "junk")
    sub = collect(str(zpath), WANTED, str(tmp_path / "scratch"))
    assert sub.missing == []
    with open(sub.files["word2vec.py"]) as f:
        assert f.read() == "top = 1\n"
    assert any("several copies" in n for n in sub.notes)
    assert not any("__MACOSX" in n for n in sub.notes)


def test_zip_slip_and_links_never_leave_the_destination(tmp_path):
    zpath = tmp_path / "evil.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        z.writestr("../evil.py", "bad")
        z.writestr("/abs.py", "bad")
        link = zipfile.ZipInfo("link.py")
        link.external_attr = (0o120777 << 16)
        z.writestr(link, "/etc/passwd")
        z.writestr("ok/sgd.py", "fine")
    dest = tmp_path / "dest"
    dest.mkdir()
    safe_unzip(str(zpath), str(dest))
    assert not (tmp_path / "evil.py").exists()
    assert sorted(os.listdir(dest)) == ["ok"]


def test_bad_zip_is_a_clear_problem(tmp_path):
    bad = tmp_path / "submission.zip"
    bad.write_bytes(os.urandom(200))
    with pytest.raises(SubmissionProblem, match="not a valid zip"):
        collect(str(bad), WANTED, str(tmp_path / "scratch"))


def test_stage_uses_our_provided_files_not_the_students(tmp_path):
    write(tmp_path / "ref" / "utils" / "u.py", "ours = True\n")
    write(tmp_path / "up" / "utils" / "u.py", "ours = False\n")
    write(tmp_path / "up" / "sgd.py")
    sub = collect(str(tmp_path / "up"), WANTED, str(tmp_path / "scratch"), starter=["utils/u.py"])
    dest = stage(sub, str(tmp_path / "ref"), ["utils/u.py"], str(tmp_path / "stage"))
    with open(os.path.join(dest, "utils", "u.py")) as f:
        assert f.read() == "ours = True\n"
    assert sorted(os.listdir(dest)) == ["sgd.py", "utils"]
    assert sub.notes == []  # the starter's own files are expected, not noted


def test_a_single_renamed_notebook_is_taken_two_are_not(tmp_path):
    up = tmp_path / "up"
    up.mkdir()
    (up / "exploring_word_vectors (2).ipynb").write_text("{}")
    sub = collect(str(up), ["exploring_word_vectors.ipynb"], str(tmp_path / "s1"))
    assert sub.missing == [] and sub.files["exploring_word_vectors.ipynb"].endswith("(2).ipynb")
    assert "using exploring_word_vectors (2).ipynb as exploring_word_vectors.ipynb" in sub.notes
    (up / "Copy of exploring_word_vectors.ipynb").write_text("{}")
    sub = collect(str(up), ["exploring_word_vectors.ipynb"], str(tmp_path / "s2"))
    assert sub.missing == ["exploring_word_vectors.ipynb"]


def test_the_starter_graded_beside_a_written_notebook_is_named(tmp_path):
    """Two notebooks in a zip: the one with the graded name is the unfilled starter, the
    other writes the functions. The note says which was graded and how to switch."""
    a1 = configmod.load("a1")
    nb = "exploring_word_vectors.ipynb"
    starter = open(os.path.join(a1.template_dir, nb), "rb").read()
    written = open(os.path.join(a1.reference_dir, nb), "rb").read()
    zpath = tmp_path / "up.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        z.writestr(f"hw/{nb}", starter)
        z.writestr("hw/exploring_word_vectors_done.ipynb", written)
    sub = collect(str(zpath), [nb], str(tmp_path / "s1"))
    note = next(n for n in sub.notes if "still the starter stub" in n)
    assert note.startswith(f"graded hw/{nb}, where ") and "distinct_words" in note
    assert "hw/exploring_word_vectors_done.ipynb, which writes compute_co_occurrence_matrix, distinct_words" in note
    assert f"name it {nb}" in note

    # the other way round, or two starters: nothing to say
    for graded, other in ((written, starter), (starter, starter)):
        with zipfile.ZipFile(zpath, "w") as z:
            z.writestr(f"hw/{nb}", graded)
            z.writestr("hw/exploring_word_vectors_done.ipynb", other)
        sub = collect(str(zpath), [nb], str(tmp_path / "s2"))
        assert not any("starter stub" in n for n in sub.notes), sub.notes


def test_several_notebooks_none_with_the_graded_name_are_listed(tmp_path):
    up = tmp_path / "up"
    up.mkdir()
    for name in ("a.ipynb", "b.ipynb"):
        (up / name).write_text("{}")
    sub = collect(str(up), ["exploring_word_vectors.ipynb"], str(tmp_path / "s"))
    assert sub.missing == ["exploring_word_vectors.ipynb"]
    assert any("several other notebooks" in n and "a.ipynb, b.ipynb" in n for n in sub.notes), sub.notes
