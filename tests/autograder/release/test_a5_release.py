"""The a5 release: the student zip has wiki.txt and the questions (train and dev with
answers, test without), never the held-out answers or the code that derives them; the
autograder zip has both, and what grading reads."""
from autograder import config as configmod
from autograder.release import autograder_zip, leaks, student_zip

DATA = "birth-places/"


def test_a5_student_zip_has_the_course_files_but_never_the_derived_answers():
    a5 = configmod.load("a5")
    entries = student_zip.entries(a5)
    for name in ("wiki.txt", "birth_places_train.tsv", "birth_dev.tsv", "birth_test_inputs.tsv"):
        assert f"a5/data/{DATA}{name}" in entries, name
    assert not any("/tests/hidden/" in path or "gold" in path for path in entries), \
        [p for p in entries if "/tests/hidden/" in p or "gold" in p]
    for rel in ("attention_math.py", "src/model.py", "src/trainer.py", "src/utils.py", "src/dataset.py",
                "src/attention.py", "src/run.py", "src/london_baseline.py"):
        assert f"a5/{rel}" in entries, rel
    assert leaks.check(a5, entries) == []


def test_a5_autograder_zip_carries_the_gold_extractor_and_what_grading_reads():
    a5 = configmod.load("a5")
    entries = autograder_zip.entries(a5)
    for name in ("wiki.txt", "birth_dev.tsv", "birth_test_inputs.tsv", "birth_places_train.tsv"):
        assert f"data/{DATA}{name}" in entries, name
    assert "assignments/a5/tests/hidden/a5_gold.py" in entries


def test_a5_autograder_zip_grades_the_starter_as_gradescope_would(capfd):
    """The zip alone is enough to grade: emulated as Gradescope runs it, the starter gets a
    valid zero with every test of the config listed (the reference's full marks need
    trained models: `make bench`, bench/gradescope.py)."""
    import json
    import os

    from autograder import emulate, results
    from autograder.release import write_zip
    from support import open_workdir

    a5 = configmod.load("a5")
    with open_workdir("nlpgrade-test-a5-emulate-") as workdir:
        zip_path = write_zip(os.path.join(workdir, "a5-autograder.zip"), autograder_zip.entries(a5))
        out_path = os.path.join(workdir, "template.json")
        status = emulate.main([zip_path, os.path.join(configmod.ROOT, "student_template", "a5"),
                               "--results", out_path])
        out, err = capfd.readouterr()
        assert status == 0, out[-3000:] + err[-3000:]
        with open(out_path) as f:
            res = json.load(f)
    results.validate(res)
    assert res["score"] == 0
    assert sorted(t["number"] for t in res["tests"]) == sorted(a5.points), [t["number"] for t in res["tests"]]
