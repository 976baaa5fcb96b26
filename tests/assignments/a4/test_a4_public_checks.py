"""a4's public checks (1.1-1.6) at home, and what students get: a submission that returns
the recorded sanity values passes at home (no reference; test_a4_variants.py grades it as
the grader does, where it loses); the students' sanity_check.py says what is wrong; the
handout states the configured BLEU bars; the student zip.

The reference and the template are graded in test_a4_reference_and_template.py, the
known-buggy submissions in test_a4_variants.py (once each, public and hidden tests
together), which also builds the buggy files used here.
"""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from autograder import config as configmod
from autograder import grading
from support import grade, lost, make_submission, output_of
from test_a4_variants import hard_coded, sanity_script_bugs

A4 = configmod.load("a4")
SANITY = os.path.join(A4.reference_dir, "sanity_check_data", "sanity.npz")


def public_grade(path, tmp, with_reference):
    """Grade the public tests only; with the reference (as the grader) or without (at home)."""
    original = grading.test_files
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(grading, "test_files", lambda assignment, hidden: original(assignment, False))
        return grade(path, assignment="a4", hidden=with_reference, results_path=os.path.join(tmp, "results.json"))


def submission(tmp_path_factory, label, files):
    folder = tmp_path_factory.mktemp(label)
    return make_submission(str(folder / "sub"), assignment="a4", files=files, drop=("model.bin", "model.json"))


def test_hard_coded_sanity_answers_pass_at_home(tmp_path_factory):
    """The recorded values are public: returning them passes the checks a student runs at
    home (on the grader, whose random variation they do not fit, the variant "hard-coded
    sanity answers" of test_a4_variants.py loses 1.4-1.6 and the hidden tests)."""
    sub = submission(tmp_path_factory, "hard", hard_coded())
    home = public_grade(sub, str(tmp_path_factory.mktemp("hard-home")), with_reference=False)
    assert lost(home) == set(), {n: output_of(home, n)[:300] for n in lost(home)}


# ----- sanity_check.py ----------------------------------------------------------------
def run_sanity(folder, which="all"):
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}  # nothing written into solutions/ or the template
    return subprocess.run([sys.executable, "sanity_check.py", which], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=120)


def test_sanity_check_passes_on_the_reference_and_fails_on_the_template():
    ref = run_sanity(A4.reference_dir)
    assert ref.returncode == 0, ref.stdout + ref.stderr
    assert ref.stdout.count("All Sanity Checks Passed") == 6
    tpl = run_sanity(A4.template_dir)
    assert tpl.returncode == 1 and tpl.stdout.count("not implemented yet") == 6, tpl.stdout + tpl.stderr


def test_sanity_check_says_what_is_wrong(tmp_path):
    """Padding at the front, no padding_idx, no mask and no packing (variants of
    test_a4_variants.py), run through the students' sanity_check.py."""
    folder = tmp_path / "a4"
    for name in os.listdir(A4.template_dir):
        src = os.path.join(A4.template_dir, name)
        if os.path.isfile(src):
            (folder / name).parent.mkdir(exist_ok=True)
            (folder / name).write_bytes(open(src, "rb").read())
    os.symlink(os.path.join(A4.template_dir, "sanity_check_data"), folder / "sanity_check_data")
    for name, text in sanity_script_bugs(tmp_path).items():
        (folder / name).write_text(text)
    out = run_sanity(folder).stdout
    assert "FAILED 1a" in out and "pad at the end" in out
    assert "FAILED 1b" in out and "padding_idx=None" in out
    assert "FAILED 1d" in out and "enc_hiddens is incorrect" in out
    assert "FAILED 1f" in out and "-inf" in out
    # the seeded initial weights show the missing padding_idx too (the pad rows are not zero)
    assert "FAILED 1c" in out and "model_embeddings.source.weight" in out
    assert "All Sanity Checks Passed for Question 1e!" in out  # decode is right: recorded steps stand in


def test_sanity_data_is_what_the_reference_records(tmp_path):
    """--record on a copy of the reference reproduces the shipped arrays (the data is the
    reference's, and the instructors' command works)."""
    ref = tmp_path / "ref"
    ref.mkdir()
    for name in os.listdir(A4.reference_dir):
        if name.endswith(".py"):
            (ref / name).write_bytes(open(os.path.join(A4.reference_dir, name), "rb").read())
    env = {**os.environ, "NLPGRADE_DATA_DIR": os.path.join(A4.root, "data")}
    proc = subprocess.run([sys.executable, "sanity_check.py", "--record"], cwd=ref, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with np.load(ref / "sanity_check_data" / "sanity.npz") as new, np.load(SANITY) as old:
        assert sorted(new.files) == sorted(old.files)
        for k in old.files:
            np.testing.assert_allclose(new[k], old[k], rtol=1e-6, atol=1e-7, err_msg=k)


# ----- the handout -------------------------------------------------------------------
def handout_bars(text):
    """(full, floor) BLEU bars the handout states."""
    text = " ".join(text.split())
    full = re.search(r"A BLEU of ([0-9.]+) or more earns all (\d+) points", text)
    floor = re.search(r"([0-9.]+) or less earns none", text)
    assert full and floor, "the handout does not state the BLEU bars in the expected words"
    return float(full.group(1)), float(floor.group(1)), int(full.group(2))


def test_handout_states_the_configured_bleu_bars():
    """Recalibrating the bars in config.json without the handout would mislead students."""
    with open(os.path.join(A4.folder, "handout.md")) as f:
        full, floor, points = handout_bars(f.read())
    assert (full, floor) == (A4.thresholds["bleu_full"], A4.thresholds["bleu_floor"])
    assert points == A4.points["2.12"]


def test_the_bars_check_catches_a_stale_handout():
    with open(os.path.join(A4.folder, "handout.md")) as f:
        text = f.read()
    stale = text.replace(f"A BLEU of {A4.thresholds['bleu_full']:g} or more", "A BLEU of 30 or more")
    assert handout_bars(stale)[0] == 30.0 != A4.thresholds["bleu_full"]


# ----- what students get ---------------------------------------------------------------
def test_student_zip_installs_what_it_imports_and_says_how():
    """The a4 student zip by the release checks a1-a3 pass (tests/autograder/release/
    test_student_instructions.py), with torch from the CPU index."""
    import importlib.util

    from autograder.release import student_zip

    path = os.path.join(A4.root, "tests", "autograder", "release", "test_student_instructions.py")
    spec = importlib.util.spec_from_file_location("a4_student_instructions", path)
    instructions = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(instructions)
    entries = student_zip.entries(A4)
    assert instructions.uncovered(entries, "a4/") == []
    assert instructions.readme_gaps(entries, "a4/", A4) == []
    names = instructions.requirement_names(entries["a4/requirements.txt"][0].decode())
    assert {"torch", "sentencepiece", "sacrebleu", "tqdm", "matplotlib", "numpy"} <= names
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in entries["a4/requirements.txt"][0].decode()
    # what sanity_check.py needs travels with it; the held-out test set does not
    assert {"a4/sanity_check.py", "a4/sanity_check_data/sanity.npz", "a4/sanity_check_data/sanity.json",
            "a4/sanity_check_data/vocab_sanity_check.json"} <= set(entries)
    assert not any("test_2016" in p or "test_2017" in p for p in entries)
    from autograder.release import leaks

    assert leaks.check(A4, entries) == []  # no solution text (sanity_check.py ships no step or decode)
