"""The reference's training script runs end to end on a slice of the corpus (the full
training run is a benchmark, not a test)."""
import json
import os
import subprocess
import sys

import numpy as np

from autograder.config import ROOT


def test_run_trains_saves_and_plots(tmp_path):
    proc = subprocess.run(
        [sys.executable, "run.py", "--iterations", "60", "--lines", "800", "--dim", "5",
         "--print-every", "20", "--out", str(tmp_path)],
        cwd=os.path.join(ROOT, "solutions", "a2"), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    files = sorted(os.listdir(tmp_path))
    assert "word_vectors.npy" in files and "word_vectors.png" in files
    vectors = np.load(tmp_path / "word_vectors.npy")
    tokens_file = next(f for f in files if f.endswith(".json"))
    tokens = json.loads((tmp_path / tokens_file).read_text())
    assert vectors.shape[1] == 5 and vectors.shape[0] in (len(tokens), 2 * len(tokens))
    assert np.isfinite(vectors).all()
    assert (tmp_path / "word_vectors.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_reference_self_checks_pass():
    for script in ("word2vec.py", "sgd.py", "sampling.py", "information.py"):
        proc = subprocess.run([sys.executable, script], cwd=os.path.join(ROOT, "solutions", "a2"),
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, (script, proc.stdout[-1500:], proc.stderr[-1500:])
