"""A CS224N Winter 2021 a5 submission drops into our harness unchanged.

The stand-in submission lives in course2021/ (written for these tests in the 2021
starter's shape, not copied from the course or from students): run.py parses its command
line and trains at the top level (650 pretraining epochs), imports dataset, model, trainer
and utils as top-level modules, names its GPT `model` (shadowing the module) and its
Trainer `trainer`, and reads files without an encoding; london_baseline.py hard-codes
birth_dev.tsv; dataset.py carries the 2021 NameDataset (its length one less than its
lines, the file's trailing newline being one); attention.py masks with -1e10, permutes
rather than transposes, and imports logging.

Graded with our attention_math.py (our addition: 2021 had no such file) and the quick
models, it scores full marks on every test. Its run.py command lines, and
london_baseline.py, run as the course ran them against our provided model.py, trainer.py
and utils.py (in subprocesses: the stand-ins' module names are the reference's too).
"""
import ast
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import torch

from autograder import config as configmod
from autograder import data as datamod
from autograder import results as resultsmod
from quick_model_a5 import FILES, QUICK_THRESHOLDS, quick_model
from support import grade, lost, output_of

A5 = configmod.load("a5")
HERE = os.path.dirname(os.path.abspath(__file__))
COURSE = os.path.join(HERE, "course2021")
CODE = ("dataset.py", "attention.py", "run.py", "london_baseline.py")


def course_file(name):
    with open(os.path.join(COURSE, name), encoding="utf-8") as f:
        return f.read()


def test_the_2021_files_are_the_code_we_grade_but_ours():
    """Every graded code file but attention_math.py (ours) is a 2021 file under src/."""
    assert sorted("src/" + n for n in CODE) == sorted(f for f in A5.student_files if f.startswith("src/"))
    assert [f for f in A5.student_files if f.endswith(".py") and not f.startswith("src/")] == ["attention_math.py"]


@pytest.fixture(scope="module")
def quick_dir():
    return quick_model()


def test_2021_submission_scores_full_marks(tmp_path, quick_dir):
    """Every test, with the quick models under bars measured from them (the held-out tests
    cross-check the 2021 attention against the reference's holding the same weights)."""
    sub = tmp_path / "sub"
    (sub / "src").mkdir(parents=True)
    for name in CODE:
        (sub / "src" / name).write_text(course_file(name), encoding="utf-8")
    shutil.copy(os.path.join(A5.reference_dir, "attention_math.py"), sub / "attention_math.py")
    for name in FILES.values():
        shutil.copy(os.path.join(quick_dir, name), sub / name)
    res = grade(sub, assignment="a5", results_path=tmp_path / "results.json", thresholds=QUICK_THRESHOLDS)
    tests = {t["number"]: t for t in res["tests"]}
    assert set(tests) == set(A5.points)
    short = {n: (tests[n]["score"], tests[n]["max_score"], tests[n]["output"][:1500]) for n in sorted(lost(res))}
    assert not short, f"the 2021 submission lost points: {short}"
    assert res["score"] == A5.total_points
    resultsmod.validate(json.loads((tmp_path / "results.json").read_text()))


# --- the 2021 command lines, against our provided modules ---------------------------------

def course_folder(dest):
    """A folder laid out like the 2021 a5 starter: src/ with our provided modules and the
    2021 files; wiki.txt, birth_places_train.tsv and birth_dev.tsv at the top (small: a
    few lines each, so that a few epochs take seconds)."""
    src = os.path.join(dest, "src")
    os.makedirs(src)
    for rel in A5.provided:
        if rel.startswith("src/"):
            shutil.copyfile(os.path.join(A5.reference_dir, rel), os.path.join(dest, rel))
    for name in CODE:
        with open(os.path.join(src, name), "w", encoding="utf-8") as f:
            f.write(course_file(name))

    def lines(name):
        with open(datamod.path("birth-places/" + name), encoding="utf-8") as f:
            return [line for line in f.read().split("\n") if line.strip()]
    wiki, pairs = lines("wiki.txt"), lines("birth_places_train.tsv")
    corpus = wiki[:30]
    known = set("\n".join(corpus))
    usable = [p for p in pairs if p.isascii() and set(p) - {"\t"} <= known]
    if len(usable) < 23:  # characters the first lines lack ("?"): lines that have them
        corpus += [next(line for line in wiki if c in line) for c in sorted(set("".join(pairs[:200])) - known - {"\t"})
                   if any(c in line for line in wiki)]
        known = set("\n".join(corpus))
        usable = [p for p in pairs if p.isascii() and set(p) - {"\t"} <= known]
    with open(os.path.join(dest, "wiki.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(corpus))
    with open(os.path.join(dest, "birth_places_train.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(usable[:20]) + "\n")
    with open(os.path.join(dest, "birth_dev.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(usable[20:23]) + "\n")
    return str(dest)


# 2021's run.py asks for 650 epochs (75 and 10 fine-tuning) of the course's 4-layer,
# 256-dimension GPT: here the provided TrainerConfig keeps one epoch and the provided
# GPTConfig two layers of 64 (head size 32), nothing else changes; the script runs as
# `python src/run.py ...` would
ONE_EPOCH = r'''
import os, runpy, sys
sys.path.insert(0, os.path.abspath("src"))
import model, trainer
given = trainer.TrainerConfig.__init__
def one_epoch(self, **kwargs):
    given(self, **kwargs)
    self.max_epochs = 1
trainer.TrainerConfig.__init__ = one_epoch
sized = model.GPTConfig.__init__
def small(self, vocab_size, block_size, **kwargs):
    sized(self, vocab_size, block_size, **{**kwargs, "n_layer": 2, "n_head": 2, "n_embd": 64})
model.GPTConfig.__init__ = small
sys.argv = ["src/run.py"] + sys.argv[1:]
runpy.run_path("src/run.py", run_name="__main__")
'''


def run(cwd, *args, timeout=300):
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def test_2021_run_commands_against_our_provided_code(tmp_path):
    """pretrain, finetune (with the pretrained weights, and without), evaluate: vanilla
    and synthesizer, as the 2021 handout wrote the commands, for one epoch of the small
    files (a smaller GPT than the 2021 run.py asks for: see ONE_EPOCH)."""
    cwd = course_folder(tmp_path / "a5")
    commands = []
    for variant in ("vanilla", "synthesizer"):
        commands += [
            ["pretrain", variant, "wiki.txt", "--writing_params_path", f"{variant}.pretrain.params"],
            ["finetune", variant, "wiki.txt", "--reading_params_path", f"{variant}.pretrain.params",
             "--writing_params_path", f"{variant}.finetune.params", "--finetune_corpus_path", "birth_places_train.tsv"],
            ["evaluate", variant, "wiki.txt", "--reading_params_path", f"{variant}.finetune.params",
             "--eval_corpus_path", "birth_dev.tsv", "--outputs_path", f"{variant}.pretrain.dev.predictions"]]
    commands.append(["finetune", "vanilla", "wiki.txt", "--writing_params_path", "vanilla.model.params",
                     "--finetune_corpus_path", "birth_places_train.tsv"])
    for argv in commands:
        proc = run(cwd, "-c", ONE_EPOCH, *argv)
        assert proc.returncode == 0, (argv, proc.stdout[-2000:], proc.stderr[-3000:])
        if argv[0] == "evaluate":
            assert re.search(r"Correct: \d+\.0 out of 3\.0: [\d.]+%", proc.stdout), proc.stdout
    for variant in ("vanilla", "synthesizer"):
        state = torch.load(os.path.join(cwd, f"{variant}.finetune.params"), weights_only=True)
        assert state["tok_emb.weight"].shape[1] == 64 and "blocks.1.attn.mask" in state  # the masks: 2021's buffers
        assert ("blocks.0.attn.w1.weight" in state) == (variant == "synthesizer")
        with open(os.path.join(cwd, f"{variant}.pretrain.dev.predictions"), encoding="utf-8") as f:
            assert len(f.read().split("\n")) == 4  # three lines and the final newline
    assert os.path.isfile(os.path.join(cwd, "vanilla.model.params"))


def test_2021_london_baseline_and_dataset_main(tmp_path):
    cwd = course_folder(tmp_path / "a5")
    with open(os.path.join(cwd, "birth_dev.tsv"), encoding="utf-8") as f:
        answers = [line.split("\t")[1] for line in f.read().split("\n") if line]
    proc = run(cwd, "src/london_baseline.py")
    assert proc.returncode == 0, proc.stderr
    london = sum(a == "London" for a in answers)
    assert proc.stdout.strip() == f"Correct: {float(london)} out of {float(len(answers))}: " \
                                  f"{london / len(answers) * 100}%", proc.stdout
    for kind in ("charcorruption", "namedata"):
        proc = run(os.path.join(cwd), "src/dataset.py", kind)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.count("x: ") == 4 and proc.stdout.count("y: ") == 4, proc.stdout


# --- the stand-ins keep the 2021 starter's shape (so the checks above mean something) ------

def top_level(source):
    tree = ast.parse(source)
    return ([ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))],
            [ast.unparse(n) for n in tree.body if isinstance(n, ast.Assign)])


def test_stand_ins_have_the_2021_shape():
    imports, assigns = top_level(course_file("run.py"))
    assert imports[-4:] == ["import dataset", "import model", "import trainer", "import utils"]
    assert "args = argp.parse_args()" in assigns  # at import time, not under __main__
    assert "pretrain_dataset = dataset.CharCorruptionDataset(text, block_size)" in assigns
    assert not any(isinstance(n, ast.If) and "__main__" in ast.unparse(n.test)
                   for n in ast.parse(course_file("run.py")).body)
    assert "model = model.GPT(mconf)" in course_file("run.py")  # the GPT shadows the module
    assert "trainer = trainer.Trainer(" in course_file("run.py")
    assert 'eval_path = "birth_dev.tsv"' in course_file("london_baseline.py")
    dataset = course_file("dataset.py")
    assert "return len(self.data) - 1" in dataset and "import argparse" in dataset
    attention = course_file("attention.py")
    assert "-1e10" in attention and ".permute(0, 2, 1, 3)" in attention and "import logging" in attention
