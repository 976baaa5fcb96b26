"""Reading CoNLL-U (UD English EWT) with the `conllu` library.

No torch and no numpy on purpose: the grader reads the held-out gold heads with this
module in its trusted process, and parser_utils reads training data with it.
"""
import gzip
import io

from conllu import parse_incr


def read_conll(in_file, lowercase=False, max_example=None):
    """Sentences of a CoNLL-U file: a path (gzip if it ends in .gz) or a text file object.

    Multiword-token lines (ID 3-4) and empty nodes (ID 8.1) are skipped: a sentence is
    its word lines. Returns a list of {'word', 'pos', 'head', 'label'} dicts (FORM, UPOS,
    HEAD, DEPREL), words lowercased when `lowercase`.
    """
    if hasattr(in_file, "read"):
        return _read_sentences(in_file, lowercase, max_example)
    opener = gzip.open if str(in_file).endswith(".gz") else io.open
    with opener(in_file, "rt", encoding="utf-8") as f:
        return _read_sentences(f, lowercase, max_example)


def _read_sentences(f, lowercase, max_example):
    examples = []
    for tokens in parse_incr(f):
        if max_example is not None and len(examples) >= max_example:
            break
        words = [t for t in tokens if isinstance(t["id"], int)]  # ranges and empty nodes are tuples
        examples.append({
            "word": [t["form"].lower() if lowercase else t["form"] for t in words],
            "pos": [t["upos"] for t in words],
            "head": [t["head"] for t in words],
            "label": [t["deprel"] for t in words],
        })
    return examples
