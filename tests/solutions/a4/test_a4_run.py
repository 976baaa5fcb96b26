"""run.py end to end in a temporary folder: `train --debug` for a few seconds, then
`decode` of the model it kept, as a student runs them (subprocesses, the reference's
files copied beside each other)."""
import json
import os
import shutil
import subprocess
import sys

from autograder.config import ROOT

CODE = ("vocab.py", "utils.py", "model_embeddings.py", "nmt_model.py", "model_io.py", "decoding.py", "run.py")


def run(cwd, *args, timeout=400):
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1",
           "NLPGRADE_DATA_DIR": os.path.join(ROOT, "data")}
    return subprocess.run([sys.executable, "run.py", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_train_debug_then_decode(a4, tmp_path):
    for name in CODE:
        shutil.copy(os.path.join(a4.dir, name), tmp_path / name)
    proc = run(tmp_path, "train", "--debug", "--max-minutes", "0.2", "--threads", "1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    err = proc.stderr
    assert "validation: iter" in err and "save the best model so far to model.bin" in err, err[-2000:]
    assert "best dev BLEU" in err
    for name in ("model.bin", "model.json", "src.model", "tgt.model", "training_log.json", "training_curve.png"):
        assert (tmp_path / name).is_file(), name
    assert not (tmp_path / "model.bin.optim").exists()  # the optimizer's state is removed at the end
    sizes = json.loads((tmp_path / "model.json").read_text())
    assert sizes["format"] == "nlpgrade-nmt-1" and sizes["embed_size"] == sizes["hidden_size"] == 64
    log = json.loads((tmp_path / "training_log.json").read_text())
    assert log["valid"] and all(r["dev_ppl"] > 1 for r in log["valid"])

    lines = (tmp_path / "dev.de")
    with open(os.path.join(ROOT, "data", "multi30k-de-en", "raw", "val.de"), encoding="utf8") as f:
        lines.write_text("".join(f.readlines()[:60]), encoding="utf8")
    with open(os.path.join(ROOT, "data", "multi30k-de-en", "raw", "val.en"), encoding="utf8") as f:
        (tmp_path / "dev.en").write_text("".join(f.readlines()[:60]), encoding="utf8")
    proc = run(tmp_path, "decode", "model.bin", "dev.de", "dev.en", "outputs/dev.txt")
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = (tmp_path / "outputs" / "dev.txt").read_text(encoding="utf8").splitlines()
    assert len(out) == 60 and all("\u2581" not in line for line in out)
    assert "Corpus BLEU: " in proc.stderr and "nrefs:1|case:mixed|eff:no|tok:13a" in proc.stderr
    # without references: the translations only
    proc = run(tmp_path, "decode", "model.bin", "dev.de", "outputs/again.txt", "--beam-size", "1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len((tmp_path / "outputs" / "again.txt").read_text(encoding="utf8").splitlines()) == 60
    assert "Corpus BLEU" not in proc.stderr
