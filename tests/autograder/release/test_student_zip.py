"""The student zip: what it holds, that it is reproducible, and the release command."""
import hashlib
import json
import os
import sys
import types
import zipfile

import pytest

from autograder import config as configmod
from autograder import data as datamod
from autograder import grading
from autograder import release
from autograder.release import student_zip

WIKI = "wiki-en-10M/wiki-en-2015-10M.txt.gz"


@pytest.fixture(scope="module")
def a2():
    return configmod.load("a2")


@pytest.fixture(scope="module")
def entries(a2):
    return student_zip.entries(a2)


def test_one_top_folder_with_the_starter_code_tests_engine_and_data(a2, entries):
    assert all(p.startswith("a2/") for p in entries)
    for rel in a2.student_files + a2.provided + ["run.py"]:
        with open(os.path.join(a2.template_dir, rel), "rb") as f:
            assert entries["a2/" + rel][0] == f.read(), rel
    for name in ("README.md", "handout.md", "config.json", "requirements.txt", "conftest.py",
                 "pytest.ini", "tests/public/test_a2_public.py", "tests/public/probes_a2.py",
                 "autograder/__main__.py", "autograder/student.py", "autograder/harness.py",
                 "autograder/sandbox/worker.py",
                 "autograder/schemas/gradescope-results.schema.json"):
        assert "a2/" + name in entries, name
    with open(os.path.join(a2.folder, "config.json"), "rb") as f:
        assert entries["a2/config.json"][0] == f.read()
    data = entries["a2/data/" + WIKI][0]
    sha = {e["path"]: e["sha256"] for e in datamod.load_manifest()["files"]}[WIKI]
    assert hashlib.sha256(data).hexdigest() == sha


def test_nothing_private_or_generated(entries):
    for path in entries:
        assert "solutions" not in path and "hidden" not in path, path
        assert "__pycache__" not in path and not path.endswith(".pyc"), path
        # instructor tools stay home
        assert not path.startswith(("a2/autograder/release/", "a2/autograder/batch.py",
                                    "a2/autograder/batch_dask.py", "a2/autograder/report/",
                                    "a2/autograder/similarity.py", "a2/autograder/emulate.py")), path


def test_requirements_are_pinned_and_only_what_the_code_imports(a2, entries):
    lines = entries["a2/requirements.txt"][0].decode().splitlines()
    pins = [ln for ln in lines if ln and not ln.startswith("#")]
    assert [p.split("==")[0] for p in pins] == ["gradescope-utils", "jsonschema", "matplotlib",
                                                "numpy", "pytest", "scipy", "tqdm"]
    repo = student_zip.pinned(a2.root)
    assert all(p in repo.values() for p in pins)  # same versions as the repository


def test_torch_is_required_only_when_the_assignment_imports_it(a2):
    files = {"a9/model.py": (b"import torch.nn as nn\nimport numpy\nimport utils\n", False),
             "a9/utils/__init__.py": (b"", False)}
    text = student_zip.requirements(a2, files, "a9/")
    assert "torch==" in text and "numpy==" in text
    files["a9/model.py"] = (b"import somethingunpinned\n", False)
    with pytest.raises(student_zip.ReleaseError, match="somethingunpinned"):
        student_zip.requirements(a2, files, "a9/")


def test_public_data_must_be_in_the_manifest():
    with pytest.raises(student_zip.ReleaseError, match="no/such.file"):
        student_zip.data_entries(["no/such.file"], "a2/data/")


def test_handout_states_the_configured_grading(a2, entries):
    """The handout gives numbers from config.json: keep them in step."""
    text = " ".join(entries["a2/handout.md"][0].decode().split())
    lim = a2.limits
    public = sum(a2.points_for(grading.method_of(t).__number__)
                 for _, t in grading.load_tests(a2, hidden=False))
    for fact in (f"There are {a2.total_points:g} points", f"{public:g} points",
                 f"{lim.call_timeout_s:g} s", f"{lim.import_timeout_s:g} s", f"{lim.cpu_s:g} s",
                 f"{lim.memory_mb:g} MB", f"{lim.total_s:g} s", f"{lim.output_chars:,} characters",
                 f"more than {a2.timing['max_ratio']:g} times slower",
                 f"vocabulary {a2.timing['vocabulary']}", f"size {a2.timing['dimension']}",
                 "CC BY-SA 3.0"):
        assert fact in text, fact
    for rel in a2.student_files:
        assert f"`{rel}`" in text


def test_building_twice_gives_byte_identical_zips(a2, tmp_path):
    one = release.write_zip(str(tmp_path / "one.zip"), student_zip.entries(a2))
    two = release.write_zip(str(tmp_path / "two.zip"), student_zip.entries(a2))
    with open(one, "rb") as f1, open(two, "rb") as f2:
        assert f1.read() == f2.read()
    with zipfile.ZipFile(one) as z:
        infos = z.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {release.FIXED_TIME}
    assert {i.external_attr >> 16 for i in infos} <= {0o100644, 0o100755}


@pytest.fixture
def grader_zip_stub(monkeypatch):
    """autograder_zip is another module's job: stand in for it with a one-file zip."""
    calls = []

    def entries(assignment):
        calls.append(assignment.name)
        return {"stub.txt": (b"grader", False)}

    stub = types.ModuleType("autograder.release.autograder_zip")
    stub.entries = entries
    monkeypatch.setitem(sys.modules, stub.__name__, stub)
    monkeypatch.setattr(release, "autograder_zip", stub, raising=False)
    return calls


def test_release_writes_the_student_zip_and_lists_it(tmp_path, capsys, grader_zip_stub, entries):
    assert release.main(["a2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    path = tmp_path / "a2-student.zip"
    assert f"{path}: {len(entries)} files" in out and "  a2/handout.md" in out
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == sorted(entries)
        assert json.loads(z.read("a2/config.json"))["assignment"] == "a2"


def test_release_that_would_leak_fails_and_writes_nothing(tmp_path, capsys, monkeypatch,
                                                         grader_zip_stub, entries):
    leaky = dict(entries)
    hidden = os.path.join(configmod.ROOT, "assignments/a2/tests/hidden/test_a2_hidden.py")
    with open(hidden, "rb") as f:
        leaky["a2/tests/public/test_a2_hidden.py"] = (f.read(), False)
    monkeypatch.setattr(student_zip, "entries", lambda assignment: leaky)
    out_dir = tmp_path / "dist"
    assert release.main(["a2", "--out", str(out_dir)]) == 1
    err = capsys.readouterr().err
    assert "would leak" in err
    assert "a2/tests/public/test_a2_hidden.py:1: a hidden test" in err
    assert not out_dir.exists()
    assert grader_zip_stub == []  # stopped before building the grader's zip
