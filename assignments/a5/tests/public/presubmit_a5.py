"""What `python -m autograder submit` checks in an a5 folder before it packs anything
(config "pre_submit"): that vanilla.finetune.params and synthesizer.finetune.params are
models the grader can use: state dicts torch reads with its weights-only loader, under
60 MB, holding the parameters of the provided GPT (vanilla: attention key, query, value;
synthesizer: w1, w2, b2, value) over wiki.txt's vocabulary, with n_embd a multiple of the
head size 32. The public tests never read them; without this, a missing or unusable
model is packed and scores 0 on its held-out accuracy test.

It reads the student's own files on the student's machine, in a subprocess, so nothing of
the folder is imported into the command's process.
"""
import json
import os
import re
import subprocess
import sys

PARAMS = {"vanilla": "vanilla.finetune.params", "synthesizer": "synthesizer.finetune.params"}
MAX_MB = 60
READ = r'''
import json, os, sys
import torch
out = {}
try:
    state = torch.load(sys.argv[1], map_location="cpu", weights_only=True)
except Exception as exc:
    out["error"] = "%s: %s" % (type(exc).__name__, str(exc).split("\n")[0][:300])
else:
    if isinstance(state, dict) and all(isinstance(k, str) and k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}
    if isinstance(state, dict) and all(isinstance(k, str) and torch.is_tensor(v) for k, v in state.items()):
        out["shapes"] = {k: list(v.shape) for k, v in state.items()}
    else:
        out["error"] = "it holds a %s, not a state dict (a dict of parameter names and tensors)" % type(state).__name__
wiki = os.path.join("data", "birth-places", "wiki.txt")
if os.path.isfile(wiki):
    out["vocab"] = len(set(open(wiki, encoding="utf-8").read())) + 2  # and PAD, MASK
print(json.dumps(out))
'''


def how(variant):
    return (f"Train it (the handout's `python src/run.py pretrain {variant} ...`, then `finetune {variant} ... "
            f"--writing_params_path {PARAMS[variant]}`) and submit the {PARAMS[variant]} it writes.")


def parameter_shapes(vocab, d, block, layers, synthesizer):
    """{state_dict name: shape} of the provided GPT, head size 32, the causal masks left
    out (as the grader's test_a5_heldout.parameter_shapes)."""
    shapes = {"tok_emb.weight": [vocab, d], "pos_emb": [1, block, d]}
    for i in range(layers):
        p = f"blocks.{i}."
        for ln in ("ln1", "ln2"):
            shapes.update({p + ln + ".weight": [d], p + ln + ".bias": [d]})
        for name in (("w1", "value", "proj") if synthesizer else ("key", "query", "value", "proj")):
            shapes.update({p + f"attn.{name}.weight": [d, d], p + f"attn.{name}.bias": [d]})
        if synthesizer:
            shapes.update({p + "attn.w2": [32, block - 1], p + "attn.b2": [block - 1]})
        shapes.update({p + "mlp.0.weight": [4 * d, d], p + "mlp.0.bias": [4 * d],
                       p + "mlp.2.weight": [d, 4 * d], p + "mlp.2.bias": [d]})
    shapes.update({"ln_f.weight": [d], "ln_f.bias": [d], "head.weight": [vocab, d]})
    return shapes


def check_one(folder, variant):
    """Reasons to refuse the folder's params file of `variant` ([] when the grader can use it)."""
    name = PARAMS[variant]
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        return [f"{name} is not in {folder}: the held-out accuracy test of the {variant} model answers with it. "
                + how(variant)]
    megabytes = os.path.getsize(path) / 2**20
    if megabytes > MAX_MB:
        return [f"{name} takes {megabytes:.0f} MB, over the {MAX_MB} MB the grader takes. " + how(variant)]
    try:
        proc = subprocess.run([sys.executable, "-c", READ, name], cwd=folder, capture_output=True, text=True,
                              timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
        found = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else None
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        found = None
    if found is None:
        return []  # torch could not run here; the grader still checks the file
    if "error" in found:
        return [f"{name} cannot be used: torch.load(..., weights_only=True), as the grader reads it, says "
                f"{found['error']}. " + how(variant)]
    shapes = found["shapes"]
    shapes = {k: v for k, v in shapes.items() if not k.endswith(".attn.mask")}
    tok, pos = shapes.get("tok_emb.weight"), shapes.get("pos_emb")
    if not (tok and pos and len(tok) == 2 and len(pos) == 3):
        return [f"{name} does not hold the provided GPT's parameters (no tok_emb.weight and pos_emb). " + how(variant)]
    synthesizer = "blocks.0.attn.w1.weight" in shapes
    if synthesizer != (variant == "synthesizer"):
        return [f"{name} holds a {'synthesizer' if synthesizer else 'vanilla'} model, not a {variant} one. "
                + how(variant)]
    vocab, d, block = tok[0], tok[1], pos[1]
    if found.get("vocab") and vocab != found["vocab"]:
        return [f"{name} holds a model of a vocabulary of {vocab} characters; the one run.py builds from "
                f"wiki.txt has {found['vocab']}. " + how(variant)]
    if d % 32:
        return [f"{name} holds a model with n_embd {d}: the grader builds the GPT with head size 32 (n_head = "
                f"n_embd / 32, as the handout's 256 and 8), so n_embd must be a multiple of 32. " + how(variant)]
    layers = max((int(m.group(1)) + 1 for m in (re.match(r"blocks\.(\d+)\.", k) for k in shapes) if m), default=0)
    want = parameter_shapes(vocab, d, block, layers, synthesizer)
    problems = [f"it has no {k}" for k in want if k not in shapes][:3]
    problems += [f"it has {k}, which the GPT has not" for k in shapes if k not in want][:3]
    problems += [f"{k} has shape {tuple(shapes[k])}, wanted {tuple(v)}" for k, v in want.items()
                 if k in shapes and shapes[k] != v][:3]
    if problems:
        return [f"{name} does not fit the provided GPT of the sizes it implies (vocabulary {vocab}, n_embd {d}, "
                f"block_size {block}, {layers} layers): {'; '.join(problems[:6])}. " + how(variant)]
    return []


def check(folder):
    """Reasons to refuse the folder's models ([] when the grader can use both)."""
    return [reason for variant in PARAMS for reason in check_one(folder, variant)]
