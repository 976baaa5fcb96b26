"""What `python -m autograder submit` checks in an a3 folder before it packs anything
(config "pre_submit"): that model.weights is one the grader can parse with, i.e. the
state_dict of a ParserModel over the FULL training vocabulary. The public tests never
read model.weights; without this, a debug-mode (`run.py -d`) model is packed and scores
0 on the held-out UAS test.

It reads the student's own files on the student's machine. The vocabulary is counted in
a subprocess (the provided utils/ of this folder), so nothing of the folder is imported
into the command's process.
"""
import os
import subprocess
import sys

NAMES = ("embeddings", "embed_to_hidden_weight", "embed_to_hidden_bias",
         "hidden_to_logits_weight", "hidden_to_logits_bias")
TRAIN = "python run.py --output model.weights"
COUNT = "from utils.parser_utils import build_parser; print(build_parser(reduced=False).n_tokens)"


def full_vocabulary_size(folder):
    """Tokens of the parser run.py builds without -d, counted by this folder's utils/;
    None (said by the caller) when that cannot be done."""
    proc = subprocess.run([sys.executable, "-c", COUNT], cwd=folder, capture_output=True, text=True)
    lines = proc.stdout.split()
    return int(lines[-1]) if proc.returncode == 0 and lines and lines[-1].isdigit() else None


def check(folder):
    """Reasons to refuse the folder's model.weights ([] when it fits the grader's parser)."""
    try:
        import torch

        state = torch.load(os.path.join(folder, "model.weights"), map_location="cpu", weights_only=True)
    except Exception as exc:
        return [f"model.weights could not be read with torch.load ({type(exc).__name__}: {str(exc)[:200]}): "
                f"the grader reads it the same way. Submit the file run.py saves ({TRAIN})."]
    if not isinstance(state, dict):
        return [f"model.weights holds a {type(state).__name__}, not a state_dict; submit the file run.py "
                f"saves with torch.save(model.state_dict(), ...) ({TRAIN})."]
    missing = [n for n in NAMES if not isinstance(state.get(n), torch.Tensor)]
    if missing:
        return [f"model.weights has no {', '.join(missing)}: the grader parses with these weights of your "
                f"ParserModel (it has: {', '.join(sorted(map(str, state))[:8]) or 'nothing'}). Submit the "
                f"file run.py saves ({TRAIN})."]
    rows = state["embeddings"].shape[0] if state["embeddings"].dim() == 2 else None
    tokens = full_vocabulary_size(folder)
    if tokens is None:
        return []  # the grader still checks it; nothing certain to say here
    if rows != tokens:
        return [f"model.weights has embeddings for {rows} tokens, but the full training vocabulary has "
                f"{tokens}: it was trained in debug mode (run.py -d builds a smaller vocabulary), and the "
                "grader, which parses the held-out sentences with the full vocabulary, would reject it "
                f"(the held-out UAS test would score 0). Train without -d: {TRAIN}"]
    return []
