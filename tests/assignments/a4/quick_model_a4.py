"""A quickly trained a4 model for the tests: the reference code, the full subword
vocabulary (so the grader can load it), a small model, a few thousand short training
sentences and about a minute of CPU.

Its BLEU is far below the real reference's (see `make bench`), so tests that grade with
it set the BLEU bars from what it reaches (QUICK_THRESHOLDS). It is trained once and
kept under data/a4-quick/ (git-ignored), keyed by the reference's code and the training
settings, so a changed reference trains a new one. Training runs as a script in a
subprocess, so the reference's modules never enter the test process.
"""
import json
import os
import shutil
import subprocess
import sys

from autograder import config as configmod
from support import trained_once

# Measured from the quick model (seed 0; about 85 CPU seconds of training): held-out BLEU
# 3.55, chrF 18.6 on test_2016_flickr. Full credit just below it, as the real bar sits just
# below the reference's; a model that emits nothing scores 0 and must lose every point.
QUICK_BLEU = 3.55
QUICK_THRESHOLDS = {"bleu_full": 3.0, "bleu_floor": 0.5}
SETTINGS = {"embed": 128, "hidden": 128, "sentences": 20000, "max_len": 16, "epochs": 1, "batch": 64,
            "lr": 0.003, "seed": 0}

SCRIPT = r'''
import json, os, random, sys, time
import torch
sys.path.insert(0, sys.argv[1])
import model_io
from nmt_model import NMT
from vocab import build_vocab, data_file, START, END
import sentencepiece as spm

out, s = sys.argv[2], json.loads(sys.argv[3])
torch.manual_seed(s["seed"]); random.seed(s["seed"]); torch.set_num_threads(1)
folder = os.path.dirname(out)
vocab = build_vocab(out_dir=folder)          # the full vocabulary, as the grader builds it
sp_src = spm.SentencePieceProcessor(model_file=os.path.join(folder, "src.model"))
sp_tgt = spm.SentencePieceProcessor(model_file=os.path.join(folder, "tgt.model"))
src = [l.strip() for l in open(data_file("train.de"), encoding="utf-8")]
tgt = [l.strip() for l in open(data_file("train.en"), encoding="utf-8")]
pairs = [(sp_src.encode(a, out_type=str), [START] + sp_tgt.encode(b, out_type=str) + [END])
         for a, b in zip(src, tgt)]
pairs = [p for p in pairs if len(p[0]) <= s["max_len"] and len(p[1]) <= s["max_len"] + 2][:s["sentences"]]
model = NMT(s["embed"], s["hidden"], vocab, dropout_rate=0.1)
for p in model.parameters():
    p.data.uniform_(-0.1, 0.1)
optimizer = torch.optim.Adam(model.parameters(), lr=s["lr"])
started = time.time()
model.train()
for epoch in range(s["epochs"]):
    pairs.sort(key=lambda p: (len(p[0]), random.random()))     # batches of similar lengths
    batches = [pairs[i:i + s["batch"]] for i in range(0, len(pairs), s["batch"])]
    random.shuffle(batches)
    for batch in batches:
        batch = sorted(batch, key=lambda p: -len(p[0]))
        optimizer.zero_grad()
        loss = -model([p[0] for p in batch], [p[1] for p in batch]).sum() / len(batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
model_io.save_model(model, out)
print(json.dumps({"seconds": round(time.time() - started, 1), "cpu_s": round(time.process_time(), 1),
                  "batches": len(batches), "loss": float(loss)}))
'''


# the reference's files training runs (saving and decoding do not change the weights)
TRAINED_BY = ("vocab.py", "utils.py", "model_embeddings.py", "nmt_model.py")


def quick_model(folder=None):
    """The folder holding the quick model's model.bin and model.json (trained when the
    cache has none for the current reference and settings)."""
    return trained_once("a4", SETTINGS, SCRIPT, TRAINED_BY, _train, folder)


def _train(folder):
    model = os.path.join(folder, "model.bin")
    if os.path.isfile(model) and os.path.isfile(os.path.join(folder, "model.json")):
        return folder
    scratch = model + ".training"
    reference = configmod.load("a4").reference_dir
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "NLPGRADE_DATA_DIR": os.environ.get("NLPGRADE_DATA_DIR") or os.path.join(configmod.ROOT, "data")}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, reference, scratch, json.dumps(SETTINGS)],
                          capture_output=True, text=True, timeout=900, env=env, cwd=folder)
    if proc.returncode != 0:
        raise RuntimeError(f"training the quick a4 model failed:\n{proc.stderr[-3000:]}")
    # the sizes file save_model wrote beside the scratch file, then the model: a run killed
    # half-way leaves no model.bin behind to be taken for a finished one
    shutil.move(os.path.splitext(scratch)[0] + ".json", os.path.join(folder, "model.json"))
    shutil.move(scratch, model)
    with open(os.path.join(folder, "training.json"), "w") as f:
        f.write(proc.stdout.strip().splitlines()[-1] + "\n")  # seconds, CPU seconds, batches, last loss
    return folder


if __name__ == "__main__":
    print(quick_model())
