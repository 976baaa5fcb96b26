"""run.py and london_baseline.py as the course ran them: scripts with their command lines
(2021 shape), in a folder holding the reference's src files, on a small corpus, with the
trainer's epoch cap (NLPGRADE_A5_MAX_EPOCHS) so that each mode takes seconds."""
import os
import shutil
import subprocess
import sys

import pytest
import torch

from autograder.config import ROOT

SRC = os.path.join(ROOT, "solutions", "a5", "src")
DATA = os.path.join(ROOT, "data", "birth-places")
CODE = ("attention.py", "dataset.py", "model.py", "trainer.py", "utils.py", "run.py", "london_baseline.py")


def script(cwd, *args):
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1", "NLPGRADE_A5_MAX_EPOCHS": "2"}
    proc = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def lines(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as f:
        return f.read().splitlines()


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """src/ with the reference's files, and small data: 40 training and 12 dev questions,
    the wiki lines of those people (the vocabulary) and the dev questions without answers."""
    root = tmp_path_factory.mktemp("a5run")
    os.mkdir(root / "src")
    for name in CODE:
        shutil.copy(os.path.join(SRC, name), root / "src" / name)
    train, dev = lines("birth_places_train.tsv")[:40], lines("birth_dev.tsv")[:12]
    names = [q.split("\t")[0][len("Where was "):-len(" born?")] for q in train + dev]
    wiki = [line for line in lines("wiki.txt") if line.split(".")[0] in names]
    wiki.append("Where was it? Who knows?")  # the questions' characters are in the vocabulary
    (root / "wiki.txt").write_text("\n".join(wiki) + "\n", encoding="utf-8")
    (root / "train.tsv").write_text("\n".join(train) + "\n", encoding="utf-8")
    (root / "dev.tsv").write_text("\n".join(dev) + "\n", encoding="utf-8")
    (root / "test.tsv").write_text("\n".join(q.split("\t")[0] for q in dev) + "\n", encoding="utf-8")
    return root


@pytest.mark.parametrize("variant", ["vanilla", "synthesizer"])
def test_pretrain_finetune_evaluate(work, variant):
    run = ["src/run.py"]
    script(work, *run, "pretrain", variant, "wiki.txt", "--writing_params_path", f"{variant}.pretrain.params")
    assert (work / f"{variant}.pretrain.params.loss.png").is_file()
    script(work, *run, "finetune", variant, "wiki.txt", "--reading_params_path", f"{variant}.pretrain.params",
           "--writing_params_path", f"{variant}.finetune.params", "--finetune_corpus_path", "train.tsv")
    pre, fine = torch.load(work / f"{variant}.pretrain.params"), torch.load(work / f"{variant}.finetune.params")
    assert set(pre) == set(fine) and ("blocks.0.attn.w2" in fine) == (variant == "synthesizer")
    assert not torch.equal(pre["head.weight"], fine["head.weight"])  # finetuning started from pretraining
    out = script(work, *run, "evaluate", variant, "wiki.txt", "--reading_params_path", f"{variant}.finetune.params",
                 "--eval_corpus_path", "dev.tsv", "--outputs_path", f"{variant}.dev.predictions")
    assert "Correct: " in out and "out of 12.0" in out, out
    assert len((work / f"{variant}.dev.predictions").read_text(encoding="utf-8").splitlines()) == 12
    out = script(work, *run, "evaluate", variant, "wiki.txt", "--reading_params_path", f"{variant}.finetune.params",
                 "--eval_corpus_path", "test.tsv", "--outputs_path", f"{variant}.test.predictions")
    assert "no targets provided" in out, out


def test_finetune_without_pretraining(work):
    script(work, "src/run.py", "finetune", "vanilla", "wiki.txt", "--writing_params_path", "nopretrain.params",
           "--finetune_corpus_path", "train.tsv")
    assert (work / "nopretrain.params").is_file()


def test_london_baseline(work):
    out = script(work, "src/london_baseline.py", os.path.join(DATA, "birth_dev.tsv"))
    assert "Correct: 25.0 out of 500.0: 5.0%" in out, out
