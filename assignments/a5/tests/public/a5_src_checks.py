"""What the a5 checks of src/dataset.py and src/attention.py draw and judge, in the
trusted process (nothing here runs in the sandbox).

The dataset is judged on documents drawn here (random text, never wiki.txt), from the
ids it returns: they are read with the vocabulary the rules fix (id 0 PAD, id 1 MASK,
then the sorted characters of the data), worked out here from the raw text, never with
the submission's own itos. Every rule that is exact is checked on every example; the
rules about chance (the truncated length spread over its bounds, the masked span about
a quarter of it, spread over the document) over many examples, with bounds that a right
dataset fails with a probability under 1e-6 (see `span_statistics`).
"""
import math

import numpy as np

from autograder.checks import structure
from autograder.describe import describe
from probes_a5_src import dataset_examples, src_on_path, synthesizer_module, synthesizer_outputs

MASK_CHAR = "\u2047"  # ⁇
PAD_CHAR = "\u25A1"   # □
# Letters, digits, punctuation and a few characters outside ASCII: the vocabulary's order
# is Python's sorted order of the characters, which these exercise.
ALPHABET = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:'()-"
            "\u00e9\u00fc\u00df\u00f8\u00f1\u00e7\u00c5")


def longest_truncation(block_size):
    """The longest truncated document the rules allow: int(block_size * 7/8)."""
    return int(block_size * 7 / 8)


def draw_documents(rng, lengths, alphabet=ALPHABET):
    """One random document (no newline, PAD or MASK) of each length."""
    chars = np.array(list(alphabet))
    return ["".join(rng.choice(chars, size=int(n))) for n in lengths]


def vocabulary(text):
    """The rules' vocabulary of `text`: PAD, MASK, then its sorted characters (id = index)."""
    return [PAD_CHAR, MASK_CHAR] + sorted(set(text))


def show(text, limit=140):
    """A string for a message: quoted, cut in the middle when long."""
    if len(text) > limit:
        text = text[:limit // 2] + " ... " + text[-limit // 2:]
    return repr(text)


def dataset_call(n_documents, block_size):
    return (f"CharCorruptionDataset(the grader's text of {n_documents} random documents, "
            f"block_size={block_size})")


# ----- the claims about the vocabulary and the tensors -----------------------------------
def check_vocabulary(report, text, call):
    """The dataset's itos/stoi/vocab_size/block_size (its process's claims) against the rules.
    Only for the message: the examples are read with the vocabulary worked out here."""
    want = vocabulary(text)
    itos = report.get("itos")
    if not isinstance(itos, list) or len(itos) != len(want) or report.get("vocab_size") != len(want):
        raise AssertionError(
            f"{call}: vocab_size is {report.get('vocab_size')!r} and itos has "
            f"{len(itos) if isinstance(itos, list) else itos!r} entries; wanted {len(want)} (PAD, MASK and the "
            "text's distinct characters). The provided __init__ makes them: keep it as it is")
    for i, (got, wanted) in enumerate(zip(itos, want)):
        if got != wanted:
            raise AssertionError(
                f"{call}: itos[{i}] is {got!r}; wanted {wanted!r}: id 0 is PAD_CHAR ('\\u25A1'), id 1 MASK_CHAR "
                "('\\u2047'), then the text's characters in sorted order. The provided __init__ makes them: keep "
                "it as it is")
    if report.get("stoi_agrees") is not True:
        raise AssertionError(f"{call}: stoi is not the inverse of itos (stoi[itos[i]] == i for every id)")
    if report.get("block_size") != report.get("want_block_size"):
        raise AssertionError(f"{call}: self.block_size is {report.get('block_size')!r}; wanted the block_size "
                             f"given, {report.get('want_block_size')}")


def check_kinds(kinds, call):
    """x and y are LongTensors (what the probe says it got: torch.int64 tensors)."""
    wrong = [k for k in kinds if k != "torch.int64"]
    if wrong:
        raise AssertionError(f"{call}: __getitem__ returned {wrong[0]} values for x or y; wanted LongTensors "
                             "(torch.tensor(ids, dtype=torch.long))")


# ----- one example: every exact rule -------------------------------------------------------
def read_example(x, y, block_size, vocab, document):
    """(problem, parts): `problem` a sentence saying which rule the example breaks (None
    when it keeps them all); `parts` (truncated length, prefix length, span length) when
    x with y's last id reads as prefix MASK suffix MASK masked_content PAD... and the three
    parts are the truncated document's, in order, else None (for the statistics, which
    judge the spans whatever else is wrong: the shift, the truncation's bounds, the length)."""
    x = np.asarray(x)
    y = np.asarray(y)
    want = block_size - 1
    if x.ndim != 1 or y.ndim != 1 or len(x) == 0 or len(y) == 0:
        return (f"x has shape {tuple(x.shape)} and y {tuple(y.shape)}; wanted two 1-D tensors of "
                f"block_size - 1 = {want} ids"), None
    if len(x) != len(y):
        return f"x has {len(x)} ids and y {len(y)}; wanted block_size - 1 = {want} each", None
    for name, ids in (("x", x), ("y", y)):
        bad = (ids < 0) | (ids >= len(vocab))
        if bad.any():
            return (f"{name}[{int(np.argmax(bad))}] is {ids[bad][0]}, not an id of the vocabulary (0 to "
                    f"{len(vocab) - 1})"), None
    chars = np.asarray(vocab, dtype=object)
    text = "".join(chars[np.append(x, y[-1])])  # masked_string, when y is x shifted by one
    body = text.rstrip(PAD_CHAR)
    masks = body.count(MASK_CHAR)
    parts = None
    if PAD_CHAR not in body and masks == 2:
        prefix, suffix, content = body.split(MASK_CHAR)
        parts = (len(prefix) + len(suffix) + len(content), len(prefix), len(content))
    if not np.array_equal(x[1:], y[:-1]):
        if np.array_equal(x, y):
            return ("y equals x; wanted y = x shifted by one (x = masked_string[:-1], y = masked_string[1:]: "
                    "y[i] is the character after x[i])"), parts
        j = int(np.argmax(x[1:] != y[:-1]))
        return (f"y[{j}] is {vocab[y[j]]!r} but x[{j + 1}] is {vocab[x[j + 1]]!r}; wanted y = x shifted by one "
                "(x = masked_string[:-1], y = masked_string[1:])"), parts
    if PAD_CHAR in body:
        return (f"masked_string (x and the last of y) is {show(text)}: PAD_CHAR appears before its last "
                "non-PAD character; wanted PAD only after prefix + MASK + suffix + MASK + masked_content"), None
    if masks != 2:
        return (f"masked_string (x and the last of y) is {show(text)}, with {masks} MASK_CHAR; wanted 2: "
                "prefix + MASK_CHAR + suffix + MASK_CHAR + masked_content, then PAD_CHAR"), None
    length = parts[0]
    if prefix + content + suffix != document[:length]:
        hint = ""
        if content and prefix.endswith(content) and prefix + suffix == document[:len(prefix) + len(suffix)]:
            hint = " (the masked content is still in the prefix: cut it out of the document)"
        elif content and prefix + suffix == document[:len(prefix) + len(suffix)]:
            hint = " (prefix + suffix is the document, but the masked content is not the part cut out between them)"
        return (f"masked_string is {show(text)}: prefix {show(prefix, 60)}, suffix {show(suffix, 60)} and "
                f"masked_content {show(content, 60)}, but prefix + masked_content + suffix is not the start of "
                f"the document {show(document, 80)}; wanted the truncated document cut in three, in order{hint}"), None
    top = longest_truncation(block_size)
    if length > top or length < min(4, len(document)):
        return (f"masked_string is {show(text)}: the truncated document has {length} characters; wanted a length "
                f"between 4 and int(block_size * 7/8) = {top} (or the whole document when it is shorter)"), parts
    if len(text) != block_size:
        return (f"masked_string (x and the last of y) has {len(text)} characters; wanted block_size = "
                f"{block_size}: pad with PAD_CHAR up to block_size, then x = all but the last, y = all but the "
                "first"), parts
    return None, parts


def read_examples(got, documents, indices, block_size, text, call):
    """[(problem, parts)] (read_example) of every example of the probe's reply
    (probes_a5_src.dataset_examples)."""
    vocab = vocabulary(text)
    xs, ys = got.get("x"), got.get("y")
    if not isinstance(xs, (list, np.ndarray)) or not isinstance(ys, (list, np.ndarray)) \
            or len(xs) != len(indices) or len(ys) != len(indices):
        raise AssertionError(f"{call}: the grader asked for {len(indices)} examples and got back "
                             f"{len(xs) if hasattr(xs, '__len__') else describe(xs)}")
    return [read_example(xs[k], ys[k], block_size, vocab, documents[idx]) for k, idx in enumerate(indices)]


def check_examples(got, documents, indices, block_size, text, call):
    """Every example keeps every exact rule (else the first problem fails the test)."""
    for (problem, _), idx in zip(read_examples(got, documents, indices, block_size, text, call), indices):
        if problem:
            raise AssertionError(f"{call}[{idx}] (document {show(documents[idx], 80)}, {len(documents[idx])} "
                                 f"characters): {problem}")


# ----- many examples: the rules about chance -----------------------------------------------
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "last")
FALSE_FAILURE = 1e-7  # each statistical check; all of them together stay under 1e-6


def hoeffding(n, delta=FALSE_FAILURE):
    """t with P(|mean - expectation| >= t) <= delta for the mean of n draws in [0, 1]
    (Hoeffding: 2 exp(-2 n t^2))."""
    return math.sqrt(math.log(2 / delta) / (2 * n))


def span_statistics(parts, block_size, call):
    """The rules about chance, over examples of documents longer than the block (so the
    truncated length is the length drawn). `parts`: (truncated length, prefix length,
    span length) of each example. Bounds, for n examples (n >= 2000):

    - the truncated length spreads over [4, int(7/8 block)]: each quarter of the range
      holds at least 10% of the examples (uniform: 25%), and some fall within the lowest
      and the highest 5% of it. A uniform draw fails the first with probability under
      4 exp(-2n 0.14^2) and the second under 2 (0.95)^n, both under 1e-30 at n = 2000;
    - the masked span averages a quarter of the truncated length: the mean of span/length
      within 0.25 +- (0.05 + t), t = sqrt(ln(2/1e-7) / 2n) (0.058 at n = 2000, Hoeffding);
      the reference's expectation (spans of 1 to length // 2) is 0.259 to 0.270 for blocks
      of 64 to 192, inside 0.25 +- 0.05, so it fails with probability under 1e-7;
    - the span's length is random: for the lengths drawn at least 8 times (8 or more
      characters), the span's lengths are not all the same for more than half of them;
    - the span's place is spread over the document: its centre lies in the first third
      for at least 10% of the examples, and in the last third for 10% (the reference:
      about 27% each; fails with probability under exp(-2n 0.17^2));
    - its start is spread over the places it could start: where the document leaves room
      for 11 or more (at least 500 such examples), each tenth of [0, length - span] holds
      at least 3% of them (the reference: 9% or more each; with m >= 150 expected in a
      tenth, Chernoff's exp(-m 0.7^2 / 2) is under 1e-15).
    """
    arr = np.asarray(parts, dtype=float).reshape(-1, 3)
    n = len(arr)
    length, start, span = arr[:, 0], arr[:, 1], arr[:, 2]
    top = longest_truncation(block_size)
    lo, width = 4, top - 4
    where = f"{call}: over {n} examples of documents longer than the block"
    edges = lo + width * np.arange(5) / 4
    for k in range(4):
        inside = (length >= edges[k]) & ((length < edges[k + 1]) if k < 3 else (length <= top))
        if inside.mean() < 0.10:
            raise AssertionError(
                f"{where}, {100 * inside.mean():.1f}% had a truncated length between {edges[k]:g} and "
                f"{edges[k + 1]:g}; wanted the length drawn at random over the whole of [4, int(block_size * "
                f"7/8)] = [4, {top}] (about a quarter of the examples in each quarter of it)")
    if length.min() > lo + 0.05 * width or length.max() < top - 0.05 * width:
        raise AssertionError(
            f"{where}, the truncated lengths ranged from {length.min():g} to {length.max():g}; wanted lengths "
            f"drawn over the whole of [4, {top}] (random.randint(4, int(block_size * 7/8)))")
    ratio = float(np.mean(span / length))
    t = hoeffding(n)
    low, high = 0.25 - 0.05 - t, 0.25 + 0.05 + t
    if not low <= ratio <= high:
        raise AssertionError(
            f"{where}, the masked content averaged {100 * ratio:.1f}% of the truncated document's length; "
            f"wanted about a quarter (between {100 * low:.1f}% and {100 * high:.1f}% for {n} examples): draw "
            "its length at random so that it averages len / 4")
    fixed = seen = 0
    for value in np.unique(length[length >= 8]):
        spans = span[length == value]
        if len(spans) >= 8:
            seen += 1
            fixed += bool(np.all(spans == spans[0]))
    if seen and fixed > seen / 2:
        raise AssertionError(
            f"{where}, the masked content's length was always the same for a given truncated length ({fixed} of "
            f"{seen} lengths seen at least 8 times); wanted a random length that averages a quarter")
    centre = (start + span / 2) / length
    for name, share in (("first", np.mean(centre < 1 / 3)), ("last", np.mean(centre > 2 / 3))):
        if share < 0.10:
            raise AssertionError(
                f"{where}, the masked span's centre lay in the {name} third of the truncated document for "
                f"{100 * share:.1f}% of them; wanted a span placed at random anywhere in the document")
    # where the span starts among the places it could start, for documents with room for
    # 11 or more: every tenth of that range is used (a span only at the ends, or at a few
    # fixed places, fails this where the thirds above let it through)
    room = length - span
    offset = start[room >= 10] / room[room >= 10]
    if len(offset) >= 500:
        tenths = np.bincount(np.minimum((offset * 10).astype(int), 9), minlength=10) / len(offset)
        if tenths.min() < 0.03:
            k = int(np.argmin(tenths))
            raise AssertionError(
                f"{where}, the masked span started in the {ORDINALS[k]} tenth of the places it could start "
                f"(0 to len - span) for {100 * tenths[k]:.1f}% of the {len(offset)} examples with room for it; "
                "wanted its start drawn at random over all of them (about 10% in each tenth)")
    return {"n": n, "span_ratio": ratio, "tolerance": 0.05 + t, "lengths": (int(length.min()), int(length.max()))}


# ----- SynthesizerAttention ----------------------------------------------------------------
def synthesizer_shapes(sizes):
    """{state_dict name: shape} of SynthesizerAttention's parameters (the provided __init__)."""
    c, h, b = sizes["n_embd"], sizes["n_head"], sizes["block_size"]
    return {"w1.weight": (c, c), "w1.bias": (c,), "w2": (c // h, b - 1), "b2": (b - 1,),
            "value.weight": (c, c), "value.bias": (c,), "proj.weight": (c, c), "proj.bias": (c,)}


def synthesizer_state(rng, sizes, scale=0.5):
    """Random weights: large enough that the attention weights are far from uniform, so a
    missing ReLU, mask or a softmax over the wrong axis changes the output."""
    return {name: (rng.standard_normal(shape) * scale).astype(np.float32)
            for name, shape in synthesizer_shapes(sizes).items()}


def synthesizer_sizes(rng, dropout=0.0):
    """Grader-drawn sizes: head size and head count never equal, the block never n_embd."""
    n_head = int(rng.integers(2, 5))
    head = int(rng.choice([k for k in range(2, 7) if k != n_head]))
    block = int(rng.integers(5, 14))
    if block == n_head * head:
        block += 1
    return {"n_embd": n_head * head, "n_head": n_head, "block_size": block, "attn_pdrop": dropout,
            "resid_pdrop": dropout}


def sizes_text(sizes):
    return (f"SynthesizerAttention(n_embd={sizes['n_embd']}, n_head={sizes['n_head']}, "
            f"block_size={sizes['block_size']}, attn_pdrop={sizes['attn_pdrop']:g}, "
            f"resid_pdrop={sizes['resid_pdrop']:g})")


# ----- running the probes and judging what they return (public and hidden tests) --------------
DATASET_HELPERS = (src_on_path,)
ATTENTION_HELPERS = (src_on_path, synthesizer_module)
TOL = {"rtol": 1e-4, "atol": 1e-5}  # float32 on both sides, possibly other operation orders


def tolerance(want):
    """TOL with the absolute part scaled to the largest wanted value: float32 sums in another
    order (per row, einsum) differ by about 1e-7 of the values summed, which shows as a
    large relative error on an entry that comes out near zero."""
    scale = float(np.max(np.abs(np.asarray(want, dtype=float)), initial=0.0))
    return {"rtol": TOL["rtol"], "atol": TOL["atol"] * max(1.0, scale)}
FORMULA = ("per head i: softmax(ReLU(X A_i + b1) B_i + b2) (X V_i), with ReLU after self.w1, self.w2[:, :T] and "
           "self.b2[:T], the causal mask (self.mask[:, :, :T, :T] == 0 -> -inf) before a softmax over the last "
           "axis, attn_drop, then the heads side by side through proj and resid_drop")


class DatasetChecks:
    """Running the dataset probe and judging what it returns (shared with the hidden tests)."""

    def dataset_reply(self, documents, block_size, indices, seed):
        """(call, reply of probes_a5_src.dataset_examples) for the examples dataset[i] of `indices`."""
        text = "\n".join(documents)
        call = dataset_call(len(documents), block_size)
        got = self.student.probe(dataset_examples, text, block_size, [int(i) for i in indices], int(seed),
                                 helpers=DATASET_HELPERS, what=f"{call} and its examples")
        if not isinstance(got, dict):
            raise AssertionError(f"{call}: the examples came back as {describe(got)}")
        return call, got

    def dataset_run(self, documents, block_size, indices, seed):
        """The examples dataset[i] for `indices`, checked against every exact rule."""
        call, got = self.dataset_reply(documents, block_size, indices, seed)
        text = "\n".join(documents)
        check_vocabulary(got.get("report") if isinstance(got.get("report"), dict) else {}, text, call)
        check_kinds(got.get("kinds") if isinstance(got.get("kinds"), list) else ["nothing"], call)
        check_examples(got, documents, indices, block_size, text, call)


class AttentionChecks:
    def attention_run(self, sizes, state, x, coef, train=False, what=""):
        call = f"{sizes_text(sizes)}.forward(x of shape {x.shape}){what}"
        got = self.student.probe(synthesizer_outputs, sizes, state, x, coef, train, helpers=ATTENTION_HELPERS,
                                 what=call)
        return call, got

    def check_output(self, call, got, want):
        structure.check(got, want, call, name="the output")
        try:
            self.assertClose(got, want, call, name="the output", **tolerance(want))
        except AssertionError as exc:
            raise AssertionError(f"{exc}. Wanted {FORMULA}") from None
