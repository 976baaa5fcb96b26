"""a4's public checks (1.1-1.6) and what students get: the reference scores full marks, the
template 0; known-buggy submissions lose exactly the checks for their bugs, with messages
that say what to change; a submission that returns the recorded sanity values passes at
home (no reference) and loses on the grader; the handout states the configured BLEU bars.

Each submission is graded once (module-scoped fixtures), public tests only. "grader"
gradings have the reference (the fresh variations run), "home" ones do not.
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

A4 = configmod.load("a4")
PUBLIC = {n for n in A4.points if n.startswith("1.")}
SANITY = os.path.join(A4.reference_dir, "sanity_check_data", "sanity.npz")


def public_grade(path, tmp, with_reference):
    """Grade the public tests only; with the reference (as the grader) or without (at home)."""
    original = grading.test_files
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(grading, "test_files", lambda assignment, hidden: original(assignment, False))
        return grade(path, assignment="a4", hidden=with_reference, results_path=os.path.join(tmp, "results.json"))


def source(name):
    with open(os.path.join(A4.reference_dir, name)) as f:
        return f.read()


def edited(name, *pairs):
    """The reference's `name` with each (old, new) replaced (old must occur)."""
    text = source(name)
    for old, new in pairs:
        assert old in text, (name, old)
        text = text.replace(old, new)
    return text


def submission(tmp_path_factory, label, files):
    folder = tmp_path_factory.mktemp(label)
    return make_submission(str(folder / "sub"), assignment="a4", files=files, drop=("model.bin", "model.json"))


# one bug per public check (but 1.3, whose bugs break every model check: see UNIDIRECTIONAL)
SEVERAL_BUGS = {
    "utils.py": edited("utils.py", ("[list(s) + [pad_token] * (longest - len(s)) for s in sents]",
                                    "[[pad_token] * (longest - len(s)) + list(s) for s in sents]")),
    "model_embeddings.py": edited("model_embeddings.py", (", padding_idx=vocab.src[PAD]", ""),
                                  (", padding_idx=vocab.tgt[PAD]", "")),
    "nmt_model.py": edited(
        "nmt_model.py",
        # the decoder's initial state from [backward's; forward's] final states
        ("torch.cat((last_hidden[0], last_hidden[1]), dim=1)", "torch.cat((last_hidden[1], last_hidden[0]), dim=1)"),
        ("target_padded = target_padded[:-1]", "target_padded = target_padded"),  # the last token fed in too
        ("torch.cat((a_t, dec_hidden), dim=1)", "torch.cat((dec_hidden, a_t), dim=1)")),  # [h_t; a_t]
}
MASK_AND_PACKING = {
    "nmt_model.py": edited(
        "nmt_model.py",
        ("            e_t = e_t.masked_fill(enc_masks.bool(), -float(\"inf\"))", "            pass"),
        ("packed = nn.utils.rnn.pack_padded_sequence(X, torch.as_tensor(source_lengths, dtype=torch.long))",
         "packed = X"),
        ("enc_hiddens, _ = nn.utils.rnn.pad_packed_sequence(enc_hiddens)", "enc_hiddens = enc_hiddens")),
}
UNIDIRECTIONAL = {"nmt_model.py": edited("nmt_model.py", ("bidirectional=True", "bidirectional=False"))}
# modules that are what the handout names (subclasses), and compute something else: their
# facts alone earn nothing
CLAIMS_ONLY = {
    "model_embeddings.py": edited(
        "model_embeddings.py",
        ("class ModelEmbeddings(", "class Doubled(nn.Embedding):\n    def forward(self, ids):\n"
                                  "        return 2 * super().forward(ids)\n\n\nclass ModelEmbeddings("),
        ("self.source = nn.Embedding(", "self.source = Doubled(")),
    "nmt_model.py": edited(
        "nmt_model.py",
        ("class NMT(", "class Doubled(nn.Linear):\n    def forward(self, x):\n        return 2 * super().forward(x)"
                       "\n\n\nclass NMT("),
        ("self.h_projection = nn.Linear(", "self.h_projection = Doubled(")),
}


def hard_coded():
    """nmt_model.py whose encode, decode and step return the recorded sanity values."""
    with np.load(SANITY) as z:
        lit = {k: repr(z[k].tolist()) for k in z.files}
    fake = {
        "encode": f"        return torch.tensor({lit['enc_hiddens']}), (torch.tensor({lit['dec_init_hidden']}), "
                  f"torch.tensor({lit['dec_init_cell']}))\n",
        # what decode gives step is checked too: give it the recorded inputs
        "decode": f"        for k in range({len(np.load(SANITY)['decode/o'])}):\n"
                  f"            self.step(torch.tensor({lit['decode/Ybar_t']})[k], (torch.tensor("
                  f"{lit['decode/dec_state_h']})[k], torch.tensor({lit['decode/dec_state_c']})[k]), enc_hiddens, "
                  f"torch.tensor({lit['enc_hiddens_proj']}), enc_masks)\n"
                  f"        return torch.tensor({lit['combined_outputs']})\n",
        "step": f"        return (torch.tensor({lit['step_dec_hidden']}), torch.tensor({lit['step_dec_cell']})), "
                f"torch.tensor({lit['step_combined_output']}), torch.tensor({lit['step_e_t']})\n"}
    text = source("nmt_model.py").replace("import torch\n", "import torch\ninf = float('inf')\n", 1)
    for method, body in fake.items():
        start = text.index(f"    def {method}(")
        doc_end = text.index('"""', text.index('"""', start) + 3) + 3  # after the docstring
        text = text[:doc_end] + "\n" + body + text[doc_end:]
    return {"nmt_model.py": text}


@pytest.fixture(scope="module")
def graded_reference(tmp_path_factory):
    sub = submission(tmp_path_factory, "ref", {})
    return public_grade(sub, str(tmp_path_factory.mktemp("ref-res")), with_reference=True)


@pytest.fixture(scope="module")
def graded_template(tmp_path_factory):
    return public_grade(A4.template_dir, str(tmp_path_factory.mktemp("tpl-res")), with_reference=True)


@pytest.fixture(scope="module")
def graded_bugs(tmp_path_factory):
    sub = submission(tmp_path_factory, "bugs", SEVERAL_BUGS)
    return public_grade(sub, str(tmp_path_factory.mktemp("bugs-res")), with_reference=True)


@pytest.fixture(scope="module")
def graded_mask(tmp_path_factory):
    sub = submission(tmp_path_factory, "mask", MASK_AND_PACKING)
    return public_grade(sub, str(tmp_path_factory.mktemp("mask-res")), with_reference=True)


@pytest.fixture(scope="module")
def hard_coded_sub(tmp_path_factory):
    return submission(tmp_path_factory, "hard", hard_coded())


def test_reference_full_marks(graded_reference):
    assert lost(graded_reference) == set(), [t for t in graded_reference["tests"] if t["score"] < t["max_score"]]
    assert {t["number"] for t in graded_reference["tests"]} == PUBLIC
    assert graded_reference["score"] == sum(A4.points[n] for n in PUBLIC)


def test_template_scores_zero(graded_template):
    assert graded_template["score"] == 0 and lost(graded_template) == PUBLIC
    assert "pad_sents() is not implemented yet" in output_of(graded_template, "1.1")
    assert "ModelEmbeddings.__init__() is not implemented yet" in output_of(graded_template, "1.2")


def test_each_bug_loses_its_check(graded_bugs):
    """Padding at the front (1.1), embeddings without padding_idx (1.2), the decoder's
    initial state from swapped final states (1.4: the constant sanity weights cannot see
    it, the random ones do), the last target token fed (1.5), [h_t; a_t] (1.6: likewise)."""
    assert lost(graded_bugs) == PUBLIC - {"1.3"}, {t["number"]: t["output"][:300] for t in graded_bugs["tests"]}
    assert "padding is at the front: put it at the end" in output_of(graded_bugs, "1.1")
    assert "self.source is nn.Embedding(55, 3, padding_idx=None)" in output_of(graded_bugs, "1.2")
    assert "set padding_idx" in output_of(graded_bugs, "1.2")
    assert "dec_init_state[0]" in output_of(graded_bugs, "1.4")
    assert "forward's last; backward's first" in output_of(graded_bugs, "1.4")
    assert "drop the last target token" in output_of(graded_bugs, "1.5")
    assert "combined_output" in output_of(graded_bugs, "1.6") and "a_t first" in output_of(graded_bugs, "1.6")


def test_mask_and_packing(graded_mask):
    assert lost(graded_mask) == {"1.4", "1.6"}
    assert "not zero at padded positions" in output_of(graded_mask, "1.4")
    assert "pack_padded_sequence" in output_of(graded_mask, "1.4")
    assert "masked positions must be -inf before the softmax" in output_of(graded_mask, "1.6")


def test_module_facts_count_only_with_the_values(tmp_path_factory):
    """Subclasses of nn.Embedding / nn.Linear that report the handout's sizes and
    padding_idx but compute something else lose 1.2 and 1.3 (and encode, which uses
    them)."""
    sub = submission(tmp_path_factory, "claims", CLAIMS_ONLY)
    res = public_grade(sub, str(tmp_path_factory.mktemp("claims-res")), with_reference=True)
    assert lost(res) == {"1.2", "1.3", "1.4"}
    assert "self.source(ids of shape" in output_of(res, "1.2") and "the embeddings" in output_of(res, "1.2")
    assert "self.h_projection's output" in output_of(res, "1.3")


def test_unidirectional_encoder(tmp_path_factory):
    sub = submission(tmp_path_factory, "uni", UNIDIRECTIONAL)
    res = public_grade(sub, str(tmp_path_factory.mktemp("uni-res")), with_reference=True)
    assert lost(res) == {"1.3", "1.4", "1.5", "1.6"}
    assert "the encoder is bidirectional" in output_of(res, "1.3")


def test_hard_coded_sanity_answers_pass_at_home_only(hard_coded_sub, tmp_path_factory):
    """The recorded values are public: returning them passes the checks a student runs at
    home, and earns nothing on the grader, whose random variation they do not fit."""
    home = public_grade(hard_coded_sub, str(tmp_path_factory.mktemp("hard-home")), with_reference=False)
    assert lost(home) == set()
    grader = public_grade(hard_coded_sub, str(tmp_path_factory.mktemp("hard-grader")), with_reference=True)
    assert lost(grader) == {"1.4", "1.5", "1.6"}
    assert grader["score"] == sum(A4.points[n] for n in ("1.1", "1.2", "1.3"))


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
    """The buggy submission, run through the students' sanity_check.py."""
    folder = tmp_path / "a4"
    for name in os.listdir(A4.template_dir):
        src = os.path.join(A4.template_dir, name)
        if os.path.isfile(src):
            (folder / name).parent.mkdir(exist_ok=True)
            (folder / name).write_bytes(open(src, "rb").read())
    os.symlink(os.path.join(A4.template_dir, "sanity_check_data"), folder / "sanity_check_data")
    for name, text in {**SEVERAL_BUGS, **{"nmt_model.py": MASK_AND_PACKING["nmt_model.py"]}}.items():
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
