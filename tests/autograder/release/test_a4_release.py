"""The a4 release: the student zip has the training and validation text only, the
autograder zip the held-out test sets and the held-out tests."""
from autograder import config as configmod
from autograder.release import autograder_zip, leaks, student_zip

RAW = "multi30k-de-en/raw/"
HELDOUT = [RAW + f"{name}.{side}" for name in ("test_2016_flickr", "test_2017_flickr", "test_2017_mscoco")
           for side in ("de", "en")]


def test_a4_student_zip_has_train_and_val_but_never_a_test_set():
    a4 = configmod.load("a4")
    entries = student_zip.entries(a4)
    for name in ("train.de", "train.en", "val.de", "val.en"):
        assert f"a4/data/{RAW}{name}" in entries
    assert not any("/test_20" in path for path in entries), [p for p in entries if "/test_20" in p]
    assert not any("/tests/hidden/" in path for path in entries)
    assert "a4/tests/public/presubmit_a4.py" in entries  # `submit` runs it on the student's machine
    assert "a4/model_io.py" in entries and "a4/decoding.py" in entries  # provided: load and translate
    assert leaks.check(a4, entries) == []


def test_a4_autograder_zip_carries_the_heldout_sets_and_tests():
    a4 = configmod.load("a4")
    entries = autograder_zip.entries(a4)
    for rel in HELDOUT + [RAW + "train.de", RAW + "train.en"]:  # the training text: the vocabulary
        assert "data/" + rel in entries, rel
    for rel in ("tests/hidden/test_a4_heldout.py", "tests/hidden/probes_a4_heldout.py",
                "tests/public/probes_a4.py", "tests/public/a4_inputs.py"):
        assert f"assignments/a4/{rel}" in entries, rel
    assert "solutions/a4/model_io.py" in entries
    assert set(HELDOUT) <= set(autograder_zip.hidden_data(a4))
