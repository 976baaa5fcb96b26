"""Quickly trained a5 models for the tests: the reference's dataset, model and attention
code, wiki.txt's vocabulary (so the grader can load them), a small GPT (2 layers,
n_embd 64, head size 32, block 128) fine-tuned on birth_places_train.tsv without
pretraining (SETTINGS["pretrain_steps"] pretrains first on wiki.txt; a few hundred steps
cost minutes, not seconds): about a minute of CPU for both variants. They answer the
frequent places (London first), as the course's "no pretraining" runs did.

Their accuracy is far below the real reference's (see `make bench`), so tests that grade
with them set the bars from what they reach (QUICK_THRESHOLDS). They are trained once and
kept under data/a5-quick/ (git-ignored), keyed by the reference's code and the settings,
so a changed reference trains new ones. Training runs as a script in a subprocess, so the
reference's modules (dataset, model, ...) never enter the test process.
"""
import json
import os
import shutil
import subprocess
import sys

from autograder import config as configmod
from support import trained_once

SETTINGS = {"n_layer": 2, "n_embd": 64, "block_size": 128, "pretrain_steps": 0, "finetune_steps": 200,
            "batch": 32, "lr": 3e-3, "seed": 0}
# Bars under which the quick models earn full marks: below their held-out accuracy (they
# answer London, 20 of the 366 held-out answers, and a few more); a model that emits
# nothing scores 0 and must lose every point.
QUICK_THRESHOLDS = {"vanilla_full": 0.5, "vanilla_floor": 0.0, "synthesizer_full": 0.5, "synthesizer_floor": 0.0}
VARIANTS = ("vanilla", "synthesizer")
FILES = {v: f"{v}.finetune.params" for v in VARIANTS}

SCRIPT = r'''
import contextlib, io, json, os, random, sys, time
import torch
sys.path.insert(0, os.path.join(sys.argv[1], "src"))
import dataset, model

out, s, data_dir = sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
torch.set_num_threads(1)
text = open(os.path.join(data_dir, "wiki.txt"), encoding="utf-8").read()
with contextlib.redirect_stdout(io.StringIO()):
    pretrain = dataset.CharCorruptionDataset(text, s["block_size"])
with open(os.path.join(data_dir, "birth_places_train.tsv"), encoding="utf-8") as f:
    finetune = dataset.NameDataset(pretrain, f.read())
report = {}
started = time.process_time()
for variant in ("vanilla", "synthesizer"):
    random.seed(s["seed"]); torch.manual_seed(s["seed"])
    config = model.GPTConfig(pretrain.vocab_size, s["block_size"], n_layer=s["n_layer"], n_head=s["n_embd"] // 32,
                             n_embd=s["n_embd"], synthesizer=variant == "synthesizer")
    net = model.GPT(config)
    optimizer = torch.optim.AdamW(net.parameters(), lr=s["lr"], weight_decay=0.0)
    net.train()
    for data, steps in ((pretrain, s["pretrain_steps"]), (finetune, s["finetune_steps"])):
        for step in range(steps):
            x, y = zip(*(data[random.randrange(len(data))] for _ in range(s["batch"])))
            x, y = torch.stack(x), torch.stack(y)
            used = int((y != 0).nonzero()[:, 1].max()) + 1  # past the last target: PAD only, no loss
            _, loss = net(x[:, :used].contiguous(), y[:, :used].contiguous())
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimizer.step()
    torch.save(net.state_dict(), os.path.join(out, variant + ".finetune.params"))
    report[variant] = round(float(loss), 3)
report["cpu_s"] = round(time.process_time() - started, 1)
print(json.dumps(report))
'''

# the reference's files training runs
TRAINED_BY = ("src/dataset.py", "src/model.py", "src/attention.py")


def quick_model(folder=None):
    """The folder holding the quick models' vanilla.finetune.params and
    synthesizer.finetune.params (trained when the cache has none for the current
    reference and settings)."""
    return trained_once("a5", SETTINGS, SCRIPT, TRAINED_BY, _train, folder)


def _train(folder):
    if all(os.path.isfile(os.path.join(folder, f)) for f in FILES.values()):
        return folder
    scratch = os.path.join(folder, "training")
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    reference = configmod.load("a5").reference_dir
    data_dir = os.path.join(os.environ.get("NLPGRADE_DATA_DIR") or os.path.join(configmod.ROOT, "data"),
                            "birth-places")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, reference, scratch, json.dumps(SETTINGS), data_dir],
                          capture_output=True, text=True, timeout=1800, env=env, cwd=scratch)
    if proc.returncode != 0:
        raise RuntimeError(f"training the quick a5 models failed:\n{proc.stderr[-3000:]}")
    # the models move into place last: a run killed half-way leaves none behind to be
    # taken for finished ones
    for name in FILES.values():
        shutil.move(os.path.join(scratch, name), os.path.join(folder, name))
    with open(os.path.join(folder, "training.json"), "w") as f:
        f.write(proc.stdout.strip().splitlines()[-1] + "\n")  # last losses, CPU seconds
    shutil.rmtree(scratch, ignore_errors=True)
    return folder


if __name__ == "__main__":
    print(quick_model())
