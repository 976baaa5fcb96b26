"""A CS224N Winter 2021 a4 submission drops into our harness unchanged.

Requirement (issue 12): a 2021-course `utils.py`, `model_embeddings.py` and `nmt_model.py`
score full marks on every test, and a `model.bin` written by the 2021 `NMT.save` (one
torch pickle of args, vocab and state_dict, no model.json) is graded as ours is; the 2021
`run.sh` commands run against our provided run.py.

The stand-in submission lives in course2021/ (written for these tests, not copied from the
course), in the 2021 starter's shape with a student's habits: utils.py runs `import nltk`
and `nltk.download('punkt')` at import time (nltk is not installed here and the sandbox
has no network: the worker's compat layer supplies a stand-in whose download() fetches
nothing), `np.int` / `np.float` (numpy 1.x names), `source is 'tgt'`, and the starter's
own `NMT.save` / `NMT.load`, beam_search with `//` on tensors, `e_t.data.masked_fill_`.

Outside the sandbox, the entry points run as they did in the 2021 environment, whose
numpy had those names and which had nltk: through the same compat layer (`compat.install()`
before the script), since our pinned numpy 2 and missing nltk are not the student's doing.
The stand-ins' top-level names (utils, nmt_model, ...) clash with other assignments'
modules, so they only ever run in subprocesses or in the grader's sandboxes.
"""
import ast
import json
import os
import shutil
import subprocess
import sys

import pytest

from autograder import config as configmod
from autograder import data as datamod
from autograder import results as resultsmod
from quick_model_a4 import QUICK_THRESHOLDS
from support import grade, lost, output_of

A4 = configmod.load("a4")
HERE = os.path.dirname(os.path.abspath(__file__))
COURSE = os.path.join(HERE, "course2021")
CODE = ("utils.py", "model_embeddings.py", "nmt_model.py")
RAW = "multi30k-de-en/raw"
PUBLIC_DATA = [f"{RAW}/{split}.{lang}" for split in ("train", "val") for lang in ("de", "en")]  # as students have


def course_file(name):
    with open(os.path.join(COURSE, name)) as f:
        return f.read()


def test_the_2021_files_are_all_the_code_we_grade():
    assert sorted(CODE) == sorted(f for f in A4.student_files if f.endswith(".py"))
    assert [f for f in A4.student_files if not f.endswith(".py")] == ["model.bin", "model.json"]


# --- a model.bin written by the 2021 NMT.save ---------------------------------------------

# In the course folder: the quick model's weights in the 2021 NMT, saved by its own save();
# then read back through the provided model_io (as the grader reads it).
SAVE_2021 = r'''
import json, sys
import torch
import model_io
from nmt_model import NMT
from vocab import build_vocab

sizes, state, _ = model_io.read_model_file(sys.argv[1])
vocab = build_vocab(out_dir=".")             # the quick model's src.model / tgt.model, copied here
model = NMT(sizes["embed_size"], sizes["hidden_size"], vocab, dropout_rate=sizes["dropout_rate"])
model.load_state_dict(state)
model.save("model.bin")
saved = torch.load("model.bin", weights_only=False)
loaded = model_io.load_model("model.bin", NMT)          # its own vocab, from the file
rebuilt = model_io.load_model("model.bin", NMT, vocab=vocab)
print(json.dumps({
    "keys": sorted(saved), "args": saved["args"], "vocab": type(saved["vocab"]).__module__ + "." + type(saved["vocab"]).__name__,
    "same_weights": all(torch.equal(loaded.state_dict()[k], v) and torch.equal(rebuilt.state_dict()[k], v)
                        for k, v in state.items()) and list(loaded.state_dict()) == list(state),
    "same_vocab": loaded.vocab.src.word2id == vocab.src.word2id and loaded.vocab.tgt.word2id == vocab.tgt.word2id,
    "class": type(loaded).__module__}))
'''


@pytest.fixture(scope="module")
def model_bin_2021(tmp_path_factory, quick_model_dir):
    """model.bin of the quick model's weights, written by the 2021 NMT.save; and what
    model_io made of it."""
    folder = tmp_path_factory.mktemp("a4-2021-save")
    course_folder(folder)
    for name in ("src.model", "tgt.model"):
        shutil.copy(os.path.join(quick_model_dir, name), folder / name)
    proc = run_script(str(folder), "-c", SAVE_2021, os.path.join(quick_model_dir, "model.bin"), wrap=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not (folder / "model.json").exists()  # 2021's save writes one file
    return folder / "model.bin", json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_2021_model_bin_loads_through_model_io(model_bin_2021):
    _, got = model_bin_2021
    assert got["keys"] == ["args", "state_dict", "vocab"]
    assert set(got["args"]) == {"embed_size", "hidden_size", "dropout_rate"}
    assert got["vocab"] == "vocab.Vocab"
    assert got["same_weights"] and got["same_vocab"]
    assert got["class"] == "nmt_model"


# --- graded as the reference is graded -----------------------------------------------------

def test_2021_submission_scores_full_marks(tmp_path, model_bin_2021):
    """Every test, hidden ones included, with the 2021-format model.bin of the quick
    model's weights (and no model.json, which 2021 never wrote): full marks, as the
    reference gets with the quick model under the same bars."""
    sub = tmp_path / "sub"
    sub.mkdir()
    for name in CODE:
        (sub / name).write_text(course_file(name))
    shutil.copy(model_bin_2021[0], sub / "model.bin")

    res = grade(sub, assignment="a4", results_path=tmp_path / "results.json", thresholds=QUICK_THRESHOLDS)
    tests = {t["number"]: t for t in res["tests"]}
    assert set(tests) == set(A4.points)
    short = {n: (tests[n]["score"], tests[n]["max_score"], tests[n]["output"][:1500]) for n in sorted(lost(res))}
    assert not short, f"the 2021 submission lost points: {short}"
    assert all(t["max_score"] == A4.points[n] for n, t in tests.items())
    assert res["score"] == A4.total_points
    # nothing of the starter's import-time nltk call, nor its `is 'tgt'` warning, shows
    for n, t in tests.items():
        assert "SyntaxWarning" not in t["output"] and "nltk" not in t["output"], (n, t["output"][:800])
    resultsmod.validate(json.loads((tmp_path / "results.json").read_text()))
    (board,) = res["leaderboard"]
    assert board["name"] == "BLEU (held-out)" and board["value"] >= QUICK_THRESHOLDS["bleu_full"], board


# --- the 2021 entry points run against our provided modules --------------------------------

def course_folder(dest):
    """A folder laid out as a student's: our provided files, the three 2021 files, and the
    training and dev sets under data/ (the test sets are held out)."""
    for rel in A4.provided + ["sanity_check_data"]:
        src = os.path.join(A4.reference_dir, rel)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dest, rel))
        elif os.path.exists(src):
            shutil.copyfile(src, os.path.join(dest, rel))
    for name in CODE:
        with open(os.path.join(dest, name), "w") as f:
            f.write(course_file(name))
    data = os.path.join(dest, "data")
    for rel in PUBLIC_DATA:
        os.makedirs(os.path.dirname(os.path.join(data, rel)), exist_ok=True)
        os.symlink(datamod.path(rel), os.path.join(data, rel))
    return str(dest)


# the 2021 environment's numpy 1.x names and nltk, then the script as `python SCRIPT ARGS`
WRAP = ("import runpy, sys; from autograder.sandbox import compat; compat.install(); "
        "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')")


def run_script(cwd, *args, timeout=300, wrap=True):
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": configmod.ROOT, "NLPGRADE_DATA_DIR": os.path.join(cwd, "data")}
    command = [sys.executable, "-c", WRAP, *args] if wrap else [sys.executable, *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def dev_subset(cwd, n):
    """The first n dev pairs as devN.de / devN.en in cwd; their names by language."""
    names = {}
    for lang in ("de", "en"):
        with open(os.path.join(cwd, "data", RAW, "val." + lang), encoding="utf8") as f:
            lines = f.readlines()[:n]
        names[lang] = "dev%d.%s" % (n, lang)
        with open(os.path.join(cwd, names[lang]), "w", encoding="utf8") as f:
            f.writelines(lines)
    return names


def test_2021_run_sh_train_then_decode(tmp_path):
    """run.sh's `train` line (its flags; --debug --max-minutes to keep it short, --threads
    for a busy machine), then its `test` line on the first 100 dev sentences: the model.bin
    the 2021 save wrote is read back by run.py decode."""
    cwd = course_folder(tmp_path)
    d = f"data/{RAW}"
    proc = run_script(cwd, "run.py", "train", f"--train-src={d}/train.de", f"--train-tgt={d}/train.en",
                      f"--dev-src={d}/val.de", f"--dev-tgt={d}/val.en", "--vocab=vocab.json", "--lr=5e-4",
                      "--patience=1", "--valid-niter=200", "--batch-size=32", "--dropout=.3",
                      "--debug", "--max-minutes=0.25", "--threads=1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "save model parameters to [model.bin]" in proc.stderr  # the 2021 save's own message
    assert "validation: iter" in proc.stderr and "best dev BLEU" in proc.stderr
    assert os.path.isfile(os.path.join(cwd, "model.bin")) and not os.path.exists(os.path.join(cwd, "model.json"))
    dev = dev_subset(cwd, 100)
    proc = run_script(cwd, "run.py", "decode", "model.bin", dev["de"], dev["en"], "outputs/test_outputs.txt")
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(os.path.join(cwd, "outputs", "test_outputs.txt"), encoding="utf8") as f:
        assert len(f.read().splitlines()) == 100
    assert "Corpus BLEU: " in proc.stderr and "tok:13a" in proc.stderr


def test_2021_run_decays_the_learning_rate_from_its_own_model_bin(tmp_path):
    """run.sh's --patience=1 restores the best model.bin at the first validation that does
    not improve. With --lr=0 none improves on the first, so the restore surely runs (a
    validation every 2 batches of a tiny model on 100 dev sentences: no clock involved),
    and the second restore is the early stop."""
    cwd = course_folder(tmp_path)
    dev = dev_subset(cwd, 100)
    proc = run_script(cwd, "run.py", "train", f"--dev-src={dev['de']}", f"--dev-tgt={dev['en']}", "--lr=0",
                      "--patience=1", "--max-num-trial=2", "--valid-niter=2", "--batch-size=32",
                      "--embed-size=16", "--hidden-size=16", "--threads=1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "load the best model so far, decay the learning rate" in proc.stderr and "early stop" in proc.stderr


def test_2021_code_passes_our_sanity_check(tmp_path):
    """sanity_check.py (provided) on the 2021 functions."""
    cwd = course_folder(tmp_path)
    proc = run_script(cwd, "sanity_check.py", "all", timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    passed = [line for line in proc.stdout.splitlines() if line.startswith("All Sanity Checks Passed for Question")]
    assert len(passed) == 6 and "FAILED" not in proc.stdout, proc.stdout[-3000:]


def test_2021_utils_needs_the_worker_for_nltk(tmp_path):
    """Without the compat layer (our venv: no nltk) the 2021 utils.py does not import: the
    tests above pass because the worker supplies nltk, not because nltk is here."""
    cwd = course_folder(tmp_path)
    proc = run_script(cwd, "-c", "import utils", wrap=False)
    assert proc.returncode != 0 and "No module named 'nltk'" in proc.stderr


# --- the stand-ins keep the 2021 starter's shape (so the checks above mean something) ------

UTILS_IMPORTS = ["import math", "from typing import List", "import numpy as np", "import torch",
                 "import torch.nn as nn", "import torch.nn.functional as F", "import nltk",
                 "import sentencepiece as spm"]
UTILS_FUNCTIONS = {"pad_sents": "sents, pad_token", "read_corpus": "file_path, source, vocab_size=2500",
                   "autograder_read_corpus": "file_path, source", "batch_iter": "data, batch_size, shuffle=False"}
ME_IMPORTS = ["import torch.nn as nn"]
ME_CLASSES = {"ModelEmbeddings": {"__init__": "self, embed_size, vocab"}}
NMT_IMPORTS = ["from collections import namedtuple", "import sys",
               "from typing import List, Tuple, Dict, Set, Union", "import torch", "import torch.nn as nn",
               "import torch.nn.utils", "import torch.nn.functional as F",
               "from torch.nn.utils.rnn import pad_packed_sequence, pack_padded_sequence",
               "from model_embeddings import ModelEmbeddings"]
NMT_METHODS = ["__init__", "forward", "encode", "decode", "step", "generate_sent_masks", "beam_search", "device",
               "load", "save"]


def shape_of(source):
    tree = ast.parse(source)
    imports = [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    functions = {n.name: ast.unparse(n.args) for n in tree.body if isinstance(n, ast.FunctionDef)}
    classes = {n.name: {m.name: ast.unparse(m.args) for m in n.body if isinstance(m, ast.FunctionDef)}
               for n in tree.body if isinstance(n, ast.ClassDef)}
    statements = [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Assign, ast.Expr))
                  and not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    return imports, functions, classes, statements


def test_stand_ins_have_the_2021_shape():
    imports, functions, classes, statements = shape_of(course_file("utils.py"))
    assert imports == UTILS_IMPORTS and functions == UTILS_FUNCTIONS and classes == {}
    assert statements == ["nltk.download('punkt')"]  # at import time, as the starter did
    imports, functions, classes, statements = shape_of(course_file("model_embeddings.py"))
    assert imports == ME_IMPORTS and functions == {} and classes == ME_CLASSES
    imports, functions, classes, statements = shape_of(course_file("nmt_model.py"))
    assert imports == NMT_IMPORTS and functions == {}
    assert list(classes["NMT"]) == NMT_METHODS
    assert classes["NMT"]["__init__"] == "self, embed_size, hidden_size, vocab, dropout_rate=0.2"
    assert classes["NMT"]["load"] == "model_path: str" and classes["NMT"]["save"] == "self, path: str"
    assert statements == ["Hypothesis = namedtuple('Hypothesis', ['value', 'score'])"]


def test_stand_ins_have_the_habits_the_layers_exist_for():
    """What the grader must cope with (so the grading above is not the reference graded
    twice): numpy 1.x names, `is` on a literal, the one-pickle save, `//` on tensors."""
    utils, nmt = course_file("utils.py"), course_file("nmt_model.py")
    assert "dtype=np.int)" in utils and "np.float(" in utils and "source is 'tgt'" in utils
    save = next(n for n in ast.walk(ast.parse(nmt)) if isinstance(n, ast.FunctionDef) and n.name == "save")
    calls = [ast.unparse(c.func) for c in ast.walk(save) if isinstance(c, ast.Call)]
    assert calls.count("torch.save") == 1 and "'vocab': self.vocab" in ast.unparse(save)
    assert "top_cand_hyp_pos // len(self.vocab.tgt)" in nmt and "e_t.data.masked_fill_(" in nmt
    assert "pad_packed_sequence(enc_hiddens, batch_first=True)" in nmt
