"""A quickly trained a3 model for the tests: the reference code, the full vocabulary (so
the grader can load it), a few thousand training sentences and one or two epochs.

Its UAS is far below the real reference's (see `make bench`), so tests that grade with
it set the UAS bars from what it reaches. Run as a script in a subprocess, so the
reference's modules never enter the test process.
"""
import json
import os
import subprocess
import sys

from autograder import config as configmod

# The quick model's held-out UAS is 74.9 (seed 0). Full credit just below it, as the real
# bar sits just below the reference's: dropout left on at evaluation time costs about 2.5
# points of UAS, and must cost marks.
QUICK_THRESHOLDS = {"uas_full": 74.0, "uas_floor": 45.0}

SCRIPT = r'''
import json, sys, time
import numpy as np, torch
sys.path.insert(0, sys.argv[1])
from parser_model import ParserModel
from utils.parser_utils import Parser, build_embeddings, load_train_set, minibatches, read_conll
from utils.parser_utils import find_data_file, Config, predict_heads
from utils.attachment import attachment_scores

out, n_sentences, epochs, seed = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
score = sys.argv[6] == "1"
torch.manual_seed(seed); np.random.seed(seed); torch.set_num_threads(1)
Config.word_dropout = 0  # the bars below were measured without it: keep them still
train = load_train_set(reduced=False)
parser = Parser(train)                       # the full vocabulary, as the grader builds it
embeddings, _ = build_embeddings(parser, vectors_path=None, seed=seed)
model = ParserModel(embeddings)
instances = parser.create_instances(parser.vectorize(train[:n_sentences]))
optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
for epoch in range(epochs):
    model.train()
    for x, y in minibatches(instances, 512):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(torch.as_tensor(x)), torch.as_tensor(y.argmax(1)))
        loss.backward()
        optimizer.step()
torch.save(model.state_dict(), out)
if not score:
    sys.exit(0)
dev = read_conll(find_data_file(Config.dev_file))[:500]
heads = predict_heads(parser, model, [{"word": s["word"], "pos": s["pos"]} for s in dev])
print(json.dumps(attachment_scores(heads, [s["head"] for s in dev], [s["pos"] for s in dev])))
'''


def train_quick_weights(dest, n_sentences=3000, epochs=2, seed=0, score=True):
    """Write model.weights to `dest`; returns its dev UAS scores (500 dev sentences), or
    None without `score` (the weights are the same: they are saved before the scoring)."""
    reference = configmod.load("a3").reference_dir
    proc = subprocess.run([sys.executable, "-c", SCRIPT, reference, str(dest), str(n_sentences),
                           str(epochs), str(seed), "1" if score else "0"], capture_output=True, text=True, timeout=900,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    if proc.returncode != 0:
        raise RuntimeError(f"training the quick a3 model failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]) if score else None
