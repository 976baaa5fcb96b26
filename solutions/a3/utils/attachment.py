"""Unlabeled attachment score (UAS), with and without punctuation.

Pure Python on purpose (no torch, no numpy): the grader imports this module in its
trusted process to score heads that came back from student code.
"""
import numbers

PUNCT = "PUNCT"  # the UD UPOS tag of punctuation


def _is_nested(seq):
    return len(seq) > 0 and isinstance(seq[0], (list, tuple))


def _sentences(pred_heads, gold_heads, upos):
    """The three arguments as lists of per-sentence lists (a flat list is one sentence)."""
    args = {"pred_heads": pred_heads, "gold_heads": gold_heads, "upos": upos}
    for name, value in args.items():
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{name} must be a list, got {type(value).__name__}")
    nested = [_is_nested(v) for v in args.values() if len(v)]
    if any(nested) and not all(nested):
        raise ValueError("pred_heads, gold_heads and upos must all be flat lists, "
                         "or all lists of per-sentence lists")
    if not any(nested):
        return [pred_heads], [gold_heads], [upos]
    return pred_heads, gold_heads, upos


def attachment_scores(pred_heads, gold_heads, upos):
    """UAS of predicted heads against gold heads.

    Each argument is either a list of per-sentence lists or one flat list (all three the
    same way). Heads are 1-based word positions, 0 = the root; a predicted head may be
    any integer (-1, say, for a word the parser left unattached). upos holds each word's
    UPOS tag; words tagged PUNCT are left out of the "no_punct" score.

    Returns {"uas": percent, "uas_no_punct": percent, "tokens": words scored,
    "tokens_no_punct": words scored without punctuation}; a score over no words is 0.0.
    Raises ValueError when the lengths disagree or a head is not an integer.
    """
    pred_s, gold_s, upos_s = _sentences(pred_heads, gold_heads, upos)
    if not len(pred_s) == len(gold_s) == len(upos_s):
        raise ValueError(f"different numbers of sentences: {len(pred_s)} predicted, "
                         f"{len(gold_s)} gold, {len(upos_s)} upos")
    correct = total = correct_np = total_np = 0
    for i, (pred, gold, tags) in enumerate(zip(pred_s, gold_s, upos_s)):
        if not len(pred) == len(gold) == len(tags):
            raise ValueError(f"sentence {i}: {len(pred)} predicted heads, {len(gold)} gold "
                             f"heads and {len(tags)} upos tags; they must be equal")
        for j, (p, g, tag) in enumerate(zip(pred, gold, tags)):
            # bool is an int in Python, but never a head
            if not isinstance(p, numbers.Integral) or isinstance(p, bool):
                raise ValueError(f"sentence {i}, word {j + 1}: predicted head {p!r} "
                                 "is not an integer")
            hit = int(p) == int(g)
            correct += hit
            total += 1
            if tag != PUNCT:
                correct_np += hit
                total_np += 1
    return {
        "uas": 100.0 * correct / total if total else 0.0,
        "uas_no_punct": 100.0 * correct_np / total_np if total_np else 0.0,
        "tokens": total,
        "tokens_no_punct": total_np,
    }
