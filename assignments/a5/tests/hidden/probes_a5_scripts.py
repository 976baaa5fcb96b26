"""Probes for a5's scripts: run.py (2.12) and london_baseline.py (2.13), run as the course
ran them (`python src/run.py pretrain vanilla wiki.txt --writing_params_path ...`, from
the assignment folder), on small files the grader writes, inside the sandbox.

2021's run.py trains 650 epochs when it runs. The trainer is provided (ours), so here it
is replaced by one with the same names whose Trainer.train records what it was given
(the model, the dataset and the TrainerConfig) and trains a few steps of a few examples,
then saves a checkpoint where the provided one would (config.ckpt_path). What the scripts
write comes back as bytes; the trusted side judges it (the reference reads the params
files and decodes the questions itself). Shipped as source; helpers=SCRIPT_HELPERS.
"""


def _fingerprint(state):
    """{name: [sum, sum of squares]} of a state dict's float tensors (float64): equal
    for equal weights, different for weights that moved."""
    import torch

    out = {}
    for k, v in state.items():
        if torch.is_tensor(v) and v.is_floating_point() and not k.endswith(".attn.mask"):
            w = v.detach().double()
            out[k] = [float(w.sum()), float((w * w).sum())]
    return out


def _recording_trainer(real, log, steps, batch, seed):
    """A module standing in for the provided trainer module `real`: its names, and a
    Trainer whose train() appends to `log` what it was given and trains `steps` steps."""
    import random
    import types

    import torch

    fake = types.ModuleType("trainer")
    fake.__dict__.update({k: v for k, v in vars(real).items() if not k.startswith("__")})

    class Trainer(real.Trainer):
        def train(self):
            model, data, config = self.model, self.train_dataset, self.config
            blocks = list(getattr(model, "blocks", []))
            tok = getattr(model, "tok_emb", None)
            record = {
                "model": type(model).__name__,
                "attention": sorted({type(getattr(b, "attn", None)).__name__ for b in blocks}),
                "vocab": int(tok.weight.shape[0]) if tok is not None else None,
                "block_size": int(getattr(model, "block_size", 0) or 0),
                "dataset": type(data).__name__,
                "length": len(data),
                "data": [str(d) for d in getattr(data, "data", [])][:200],
                "test_dataset": None if self.test_dataset is None else type(self.test_dataset).__name__,
                "config": {k: getattr(config, k) for k in dir(config) if not k.startswith("_")
                           and isinstance(getattr(config, k), (int, float, str, bool, type(None)))},
                "before": _fingerprint(model.state_dict()),
            }
            rng = random.Random(seed)
            optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
            model.train()
            losses = []
            for _ in range(steps):
                x, y = zip(*(data[rng.randrange(len(data))] for _ in range(batch)))
                _, loss = model(torch.stack(x), torch.stack(y))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(float(loss))
            record["losses"] = losses
            record["after"] = _fingerprint(model.state_dict())
            log.append(record)
            if config.ckpt_path is not None:  # the provided trainer saves after every epoch
                torch.save(model.state_dict(), config.ckpt_path)

    Trainer.__name__ = Trainer.__qualname__ = "Trainer"
    fake.Trainer = Trainer
    return fake


def _small_model(real, sizes):
    """A module standing in for the provided model module `real`: its names, and a
    GPTConfig whose n_layer, n_head and n_embd are `sizes` whatever run.py asks for (the
    handout's GPT trains a step in seconds, not milliseconds)."""
    import types

    fake = types.ModuleType("model")
    fake.__dict__.update({k: v for k, v in vars(real).items() if not k.startswith("__")})

    class GPTConfig(real.GPTConfig):
        def __init__(self, vocab_size, block_size, **kwargs):
            super().__init__(vocab_size, block_size, **{**kwargs, **sizes})

    GPTConfig.__name__ = GPTConfig.__qualname__ = "GPTConfig"
    fake.GPTConfig = GPTConfig
    return fake


def _run_script(script, argv, folder, stand_ins=None):
    """Run src/`script` as `python src/SCRIPT ARGV...` run from `folder` would: its folder
    first on sys.path, a fresh import of the assignment's modules, those that
    `stand_ins()` returns ({name: module}, made once the path is set) in their place.
    Returns {"error": None or what went wrong, "printed": its output}."""
    import contextlib
    import io
    import os
    import runpy
    import sys
    import traceback

    names = ("dataset", "model", "trainer", "utils", "attention")
    saved_modules = {n: sys.modules.pop(n) for n in names if n in sys.modules}
    saved = (os.getcwd(), list(sys.argv), list(sys.path))
    printed = io.StringIO()
    error = None
    try:
        os.chdir(folder)
        sys.path.insert(0, os.path.join(folder, "src"))
        sys.argv = [os.path.join("src", script), *argv]
        if stand_ins is not None:
            sys.modules.update(stand_ins())
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):
            runpy.run_path(os.path.join("src", script), run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (0, None):
            error = f"it exited with status {exc.code!r}"
    except BaseException as exc:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(folder)]
        for f in frames:
            f.filename = os.path.relpath(f.filename, folder)
        error = "".join(traceback.format_list(frames[-6:]) + traceback.format_exception_only(type(exc), exc))
        error = error.replace(folder + os.sep, "")[-2500:]
    finally:
        os.chdir(saved[0])
        sys.argv[:], sys.path[:] = saved[1], saved[2]
        for n in names:
            sys.modules.pop(n, None)
        sys.modules.update(saved_modules)
    return {"error": error, "printed": printed.getvalue()[-3000:]}


def _course_folder(folder, files):
    """`folder` laid out as the course's assignment folder: src/ (a copy of the staged
    code) and the grader's `files` ({relative path: text})."""
    import os
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree("src", os.path.join(folder, "src"), ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for rel, text in files.items():
        path = os.path.join(folder, rel)
        os.makedirs(os.path.dirname(path) or folder, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return os.path.abspath(folder)


def run_commands(folder, files, commands, outputs, sizes, steps=1, batch=2, seed=0):
    """Run in the submission's sandbox: run.py with each of `commands` (argument lists),
    in order, from `folder` laid out by _course_folder with the grader's `files`, with the
    recording trainer and the GPT of `sizes`. Returns {"runs": [{"argv", "error",
    "printed", "records"}], "files": {name: bytes or None}} for the files named in
    `outputs` (what the commands were told to write)."""
    import importlib
    import os

    import torch

    torch.set_num_threads(1)
    folder = _course_folder(folder, files)
    runs = []
    for argv in commands:
        log = []

        def stand_ins():
            return {"trainer": _recording_trainer(importlib.import_module("trainer"), log, steps, batch, seed),
                    "model": _small_model(importlib.import_module("model"), sizes)}

        result = _run_script("run.py", argv, folder, stand_ins)
        runs.append({"argv": list(argv), **result, "records": log})
    found = {}
    for name in outputs:
        path = os.path.join(folder, name)
        found[name] = None
        if os.path.isfile(path) and not os.path.islink(path) and os.path.getsize(path) < 40 * 2**20:
            with open(path, "rb") as f:
                found[name] = f.read()
    return {"runs": runs, "files": found}


def run_london(folder, files, argv=()):
    """Run in the submission's sandbox: london_baseline.py from `folder` (laid out by
    _course_folder with the grader's files, birth_dev.tsv among them). Returns
    {"error", "printed"}."""
    folder = _course_folder(folder, files)
    return _run_script("london_baseline.py", list(argv), folder)


def reference_reads(params, questions):
    """Run on the reference: for each params file's bytes ({name: bytes}), its fingerprint
    (or why torch cannot read it), and for the file named by `questions` ({name: [question,
    ...]}) the course's evaluate predictions: the reference's GPT of the file's sizes
    holding its weights, utils.sample(model, x, 32, sample=False) one question at a time,
    the text between the first and second ⁇."""
    import io

    import torch

    torch.set_num_threads(1)
    _src_on_path()
    import utils

    out = {}
    for name, raw in params.items():
        try:
            state = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
            assert isinstance(state, dict) and all(torch.is_tensor(v) for v in state.values())
        except Exception as exc:
            out[name] = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"}
            continue
        entry = {"fingerprint": _fingerprint(state)}
        if name in questions:
            try:
                net = _built(_sizes(state), state)
            except Exception as exc:
                entry["error"] = f"{type(exc).__name__}: {str(exc)[:600]}"
            else:
                stoi, itos = questions[name]["stoi"], questions[name]["itos"]
                itos = {int(k): v for k, v in itos.items()}
                predictions = []
                for q in questions[name]["questions"]:
                    x = torch.tensor([[stoi[c] for c in q + "\u2047"]], dtype=torch.long)
                    completion = "".join(itos[int(i)] for i in utils.sample(net, x, 32, sample=False)[0])
                    predictions.append(completion.split("\u2047")[1])
                entry["predictions"] = predictions
        out[name] = entry
    return out
