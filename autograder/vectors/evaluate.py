"""One score sheet for a set of vectors: Google analogies, WordSim-353, SimLex-999.

The protocols are KeyedVectors' (gensim's): analogies over the top 30k words, Spearman
over the pairs whose two words are known.
"""
import os

from .. import data

EVAL_DIR = "wordvec-eval"
ANALOGIES = "questions-words.txt"
PAIRS = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}


def eval_file(name, data_dir=None):
    return data.path(os.path.join(EVAL_DIR, name), data_dir)


def analogy_scores(kv, path, restrict_vocab=30000):
    acc, sections = kv.evaluate_word_analogies(path, restrict_vocab=restrict_vocab)
    parts = {"semantic": [0, 0], "syntactic": [0, 0]}
    for sec in sections[:-1]:
        part = parts["syntactic" if sec["section"].startswith("gram") else "semantic"]
        part[0] += len(sec["correct"])
        part[1] += len(sec["correct"]) + len(sec["incorrect"])
    out = {"accuracy": round(acc, 4), "questions": parts["semantic"][1] + parts["syntactic"][1],
           "restrict_vocab": restrict_vocab}
    for name, (right, n) in parts.items():
        out[name] = round(right / n, 4) if n else 0.0
    return out


def pair_scores(kv, path):
    try:
        pearson, spearman, oov = kv.evaluate_word_pairs(path)
    except ValueError:  # a toy vocabulary knows too few pairs to correlate
        return {"spearman": None, "pearson": None, "oov_percent": 100.0}
    return {"spearman": round(float(spearman[0]), 4), "pearson": round(float(pearson[0]), 4),
            "oov_percent": round(oov, 2)}


def evaluate_all(kv, data_dir=None, restrict_vocab=30000):
    """{'analogy': {...}, 'wordsim353': {...}, 'simlex999': {...}} for a KeyedVectors."""
    scores = {"analogy": analogy_scores(kv, eval_file(ANALOGIES, data_dir), restrict_vocab)}
    for name, fname in PAIRS.items():
        scores[name] = pair_scores(kv, eval_file(fname, data_dir))
    return scores


def summary(scores):
    return (f"analogy {scores['analogy']['accuracy']:.4f} "
            f"(semantic {scores['analogy']['semantic']:.4f}, syntactic {scores['analogy']['syntactic']:.4f}, "
            f"{scores['analogy']['questions']} questions), "
            f"WordSim-353 {_num(scores['wordsim353']['spearman'])}, SimLex-999 {_num(scores['simlex999']['spearman'])}")


def _num(x):
    return "n/a" if x is None else f"{x:.4f}"
