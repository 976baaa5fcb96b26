"""Sampling from a GPT and scoring birth-place predictions (provided, as in 2021)."""
import torch
from torch.nn import functional as F


def top_k_logits(logits, k):
    v, _ = torch.topk(logits, k)
    out = logits.clone()
    out[out < v[:, [-1]]] = -float("inf")
    return out


@torch.no_grad()
def sample(model, x, steps, temperature=1.0, sample=False, top_k=None):
    """Extend the (batch, t) id tensor x by `steps` ids, one at a time, feeding each back in.
    Greedy (the most likely id) unless sample=True; the context is cut to the model's block
    size from the left."""
    block_size = model.get_block_size()
    model.eval()
    for _ in range(steps):
        x_cond = x if x.size(1) <= block_size else x[:, -block_size:]
        logits, _ = model(x_cond)
        logits = logits[:, -1, :] / temperature
        if top_k is not None:
            logits = top_k_logits(logits, top_k)
        probs = F.softmax(logits, dim=-1)
        if sample:
            ix = torch.multinomial(probs, num_samples=1)
        else:
            _, ix = torch.topk(probs, k=1, dim=-1)
        x = torch.cat((x, ix), dim=1)
    return x


def evaluate_places(filepath, predicted_places):
    """Compare predicted_places (one per line of the tab-separated file at filepath, in order)
    with the second column. Returns (total, correct) as floats; (0, 0) when the file has no
    answers (a file of questions only)."""
    with open(filepath, encoding="utf-8") as fin:
        lines = [x.strip().split("\t") for x in fin]
    if len(lines[0]) == 1:
        print("No gold birth places provided; returning (0,0)")
        return (0, 0)
    true_places = [x[1] for x in lines]
    total = len(true_places)
    assert total == len(predicted_places)
    correct = sum(1 for gold, guess in zip(true_places, predicted_places) if gold == guess)
    return (float(total), float(correct))
