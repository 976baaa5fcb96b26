"""a5's checks of src/dataset.py and src/attention.py (1.6, 1.7, 2.7-2.11): the reference
scores full marks, the template zero, and known-buggy variants each lose exactly the
tests that target their mistake, with a message that names the class.

The dataset's tests (1.6, 2.7, 2.8) read only src/dataset.py and the attention's (1.7,
2.9-2.11) only src/attention.py, so one grading serves a dataset variant and an attention
variant at once (PAIRS), each judged on its own file's tests: five gradings prove nine
variants. The other a5 tests belong to other files and other proofs. Values count only when they are right, so every attention variant with
wrong values also loses 2.10 (the outputs must be the reference's) and 2.11 (the timed
outputs are compared). A variant whose examples no longer read as prefix MASK suffix
MASK content, the content cut from the document in place (a MASK left out, the content
left in the prefix), also loses 2.8, which cannot measure its spans.
"""
import os
import time

import pytest

from autograder import config as configmod
from autograder import grading
from support import check_variant_result, grade, lost, make_submission, output_of, pin_seed, variant_names

A5 = configmod.load("a5")
DS, AT = "src/dataset.py", "src/attention.py"
TEST_FILES = ("test_a5_src_public.py", "test_a5_src_hidden.py")
DATASET_TESTS = {"1.6", "2.7", "2.8"}
ATTENTION_TESTS = {"1.7", "2.9", "2.10", "2.11"}
OURS = DATASET_TESTS | ATTENTION_TESTS


def getitem(length="random.randint(4, int(self.block_size * 7 / 8))",
            span="random.randint(1, length // 2) if length >= 2 else length", prefix="document[:start]",
            layout="prefix + self.MASK_CHAR + suffix + self.MASK_CHAR + masked_content", y="masked_string[1:]"):
    """The reference's CharCorruptionDataset.__getitem__ with one expression changed."""
    return f'''
    def __getitem__(self, idx):
        document = self.data[idx]
        length = {length}
        document = document[:length]
        length = len(document)
        span = {span}
        start = random.randint(0, length - span)
        prefix = {prefix}
        masked_content = document[start:start + span]
        suffix = document[start + span:]
        masked_string = {layout}
        masked_string += self.PAD_CHAR * (self.block_size - len(masked_string))
        x = torch.tensor([self.stoi[c] for c in masked_string[:-1]], dtype=torch.long)
        y = torch.tensor([self.stoi[c] for c in {y}], dtype=torch.long)
        return x, y
'''


def forward(hidden="F.relu(self.w1(x))", mask='att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))',
            dim=-1):
    """The reference's SynthesizerAttention.forward with one line changed."""
    return f'''
    def forward(self, x, layer_past=None):
        B, T, C = x.size()
        hs = C // self.n_head
        hidden = {hidden}.view(B, T, self.n_head, hs).transpose(1, 2)
        v = self.value(x).view(B, T, self.n_head, hs).transpose(1, 2)
        att = hidden @ self.w2[:, :T] + self.b2[:T]
        {mask}
        att = F.softmax(att, dim={dim})
        att = self.attn_drop(att)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_drop(self.proj(y))
'''


HEAD_LOOP = '''
    def forward(self, x, layer_past=None):
        B, T, C = x.size()
        hs = C // self.n_head
        hidden = F.relu(self.w1(x))
        v = self.value(x)
        heads = []
        for i in range(self.n_head):
            att = hidden[:, :, i * hs:(i + 1) * hs] @ self.w2[:, :T] + self.b2[:T]
            att = att.masked_fill(self.mask[0, :, :T, :T] == 0, float("-inf"))
            att = self.attn_drop(F.softmax(att, dim=-1))
            heads.append(att @ v[:, :, i * hs:(i + 1) * hs])
        return self.resid_drop(self.proj(torch.cat(heads, dim=-1)))
'''

BATCH_LOOP = '''
    def forward(self, x, layer_past=None):
        B, T, C = x.size()
        hs = C // self.n_head
        rows = []
        for b in range(B):
            xb = x[b:b + 1]
            hidden = F.relu(self.w1(xb)).view(1, T, self.n_head, hs).transpose(1, 2)
            v = self.value(xb).view(1, T, self.n_head, hs).transpose(1, 2)
            att = hidden @ self.w2[:, :T] + self.b2[:T]
            att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
            att = self.attn_drop(F.softmax(att, dim=-1))
            rows.append((att @ v).transpose(1, 2).contiguous().view(1, T, C))
        return self.resid_drop(self.proj(torch.cat(rows, dim=0)))
'''

# name -> (patches {file: {function: source}}, lost tests)
VARIANTS = {
    "span not masked (content left in the prefix)": (
        {DS: {"CharCorruptionDataset.__getitem__": getitem(prefix="document[:start + span]")}},
        {"1.6", "2.7", "2.8"}),
    "no MASK before the masked content": (
        {DS: {"CharCorruptionDataset.__getitem__": getitem(
            layout="prefix + self.MASK_CHAR + suffix + masked_content")}}, {"1.6", "2.7", "2.8"}),
    "truncation up to block_size": (
        {DS: {"CharCorruptionDataset.__getitem__": getitem(length="random.randint(4, self.block_size)")}},
        {"1.6", "2.7"}),
    "x and y not shifted": ({DS: {"CharCorruptionDataset.__getitem__": getitem(y="masked_string[:-1]")}},
                            {"1.6", "2.7"}),
    "span length uniform over the whole document": (
        {DS: {"CharCorruptionDataset.__getitem__": getitem(span="random.randint(1, length) if length else 0")}},
        {"2.8"}),
    "synthesizer without ReLU": ({AT: {"SynthesizerAttention.forward": forward(hidden="self.w1(x)")}},
                                 {"1.7", "2.9", "2.10", "2.11"}),
    "synthesizer without the causal mask": ({AT: {"SynthesizerAttention.forward": forward(mask="pass")}},
                                            {"1.7", "2.9", "2.10", "2.11"}),
    "softmax over the wrong axis": ({AT: {"SynthesizerAttention.forward": forward(dim=-2)}},
                                    {"1.7", "2.9", "2.10", "2.11"}),
    "a Python loop over the heads": ({AT: {"SynthesizerAttention.forward": HEAD_LOOP}}, {"2.11"}),
    "a Python loop over the batch": ({AT: {"SynthesizerAttention.forward": BATCH_LOOP}}, {"2.11"}),
}

TEST_FUNCTIONS = {n: ("CharCorruptionDataset",) for n in DATASET_TESTS}
TEST_FUNCTIONS.update({n: ("SynthesizerAttention",) for n in ATTENTION_TESTS})

# what the message says, for the variants whose advice is specific
SAID = {
    "span not masked (content left in the prefix)": [("2.7", "the masked content is still in the prefix"),
                                                     ("2.8", "cannot be measured")],
    "no MASK before the masked content": [("2.7", "with 1 MASK_CHAR; wanted 2"), ("2.8", "cannot be measured")],
    "truncation up to block_size": [("2.7", "wanted a length between 4 and int(block_size * 7/8)")],
    "x and y not shifted": [("1.6", "y equals x"), ("2.7", "shifted by one")],
    "span length uniform over the whole document": [("2.8", "wanted about a quarter")],
    "synthesizer without the causal mask": [("2.10", "attend to positions <= t only")],
    "softmax over the wrong axis": [("2.10", "attend to positions <= t only")],
    "synthesizer without ReLU": [("1.7", "ReLU after self.w1"), ("2.10", "values are not the reference's")],
    "a Python loop over the heads": [("2.11", "n_head=40"), ("2.11", "no Python loop over the heads or the batch")],
    "a Python loop over the batch": [("2.11", "a batch of 48 inputs"),
                                     ("2.11", "no Python loop over the heads or the batch")],
}


def graded_number(test):
    return getattr(grading.method_of(test), "__number__", None)


@pytest.fixture
def only(monkeypatch):
    """only(numbers): the next grading runs these tests of ours, no others."""
    def choose(numbers):
        every_file, every_test = grading.test_files, grading.load_tests
        monkeypatch.setattr(grading, "test_files", lambda assignment, hidden: [
            (kind, path) for kind, path in every_file(assignment, hidden) if os.path.basename(path) in TEST_FILES])
        monkeypatch.setattr(grading, "load_tests", lambda assignment, hidden: [
            (kind, t) for kind, t in every_test(assignment, hidden) if graded_number(t) in numbers])
    return choose


def submission(dest, patches=None):
    """The reference's dataset.py and attention.py (with `patches`); the other student files
    are not needed by these tests."""
    drop = [f for f in A5.student_files if f not in (DS, AT)]
    return make_submission(str(dest), assignment="a5", patches=patches, drop=drop)


def test_variants_cover_our_tests():
    covered = set().union(*(expected for _, expected in VARIANTS.values()))
    assert covered == OURS, sorted(OURS ^ covered)
    assert OURS <= set(A5.points)


def test_reference_full_marks_and_template_zero(tmp_path, only, monkeypatch):
    pin_seed(monkeypatch)
    only(OURS)
    started = time.monotonic()
    res = grade(submission(tmp_path / "ref"), assignment="a5", results_path=tmp_path / "ref.json")
    print(f"reference graded in {time.monotonic() - started:.1f} s")
    assert {t["number"] for t in res["tests"]} == OURS
    assert lost(res) == set(), [(t["number"], t["output"][:800]) for t in res["tests"] if t["score"] < t["max_score"]]
    assert "times as long as the reference's (limit 5x)" in output_of(res, "2.11")
    res = grade(A5.template_dir, assignment="a5", results_path=tmp_path / "template.json")
    assert {t["number"] for t in res["tests"]} == OURS
    assert sum(t["score"] for t in res["tests"]) == 0
    # the stub named (checks.stubs' words once the engine reads src/ files, the worker's before)
    for number in OURS:
        stub = "CharCorruptionDataset.__getitem__" if number in DATASET_TESTS else "SynthesizerAttention.forward"
        text = output_of(res, number)
        assert f"{stub}() is not implemented yet" in text or f"{stub} is still the starter stub" in text, \
            (number, text[:600])


# one grading each: a dataset variant and an attention variant (None: the reference's file)
PAIRS = {
    "span not masked + no ReLU": ("span not masked (content left in the prefix)", "synthesizer without ReLU"),
    "no MASK before the content + no causal mask": ("no MASK before the masked content",
                                                    "synthesizer without the causal mask"),
    "truncation up to block_size + softmax over the wrong axis": ("truncation up to block_size",
                                                                   "softmax over the wrong axis"),
    "x and y not shifted + a loop over the heads": ("x and y not shifted", "a Python loop over the heads"),
    "span uniform over the document + a loop over the batch": ("span length uniform over the whole document",
                                                               "a Python loop over the batch"),
}


def test_pairs_hold_every_variant_once():
    names = [n for pair in PAIRS.values() for n in pair if n is not None]
    assert sorted(names) == sorted(VARIANTS)
    for dataset_variant, attention_variant in PAIRS.values():
        assert set(VARIANTS[dataset_variant][0]) == {DS}
        assert attention_variant is None or set(VARIANTS[attention_variant][0]) == {AT}


@pytest.mark.parametrize("pair", variant_names(PAIRS, serial={"x and y not shifted + a loop over the heads",
                                                              "span uniform over the document + a loop over the batch"}))
def test_variants_lose_exactly_their_tests(pair, tmp_path, only, monkeypatch):
    names = [n for n in PAIRS[pair] if n is not None]
    patches = {f: fns for name in names for f, fns in VARIANTS[name][0].items()}
    seed = pin_seed(monkeypatch)
    only(OURS if len(names) == 2 else DATASET_TESTS)
    sub = submission(tmp_path / "sub", patches)
    started = time.monotonic()
    res = grade(sub, assignment="a5", results_path=tmp_path / "results.json")
    print(f"graded in {time.monotonic() - started:.1f} s")
    for name in names:
        tests = DATASET_TESTS if DS in VARIANTS[name][0] else ATTENTION_TESTS
        own = {"tests": [t for t in res["tests"] if t["number"] in tests]}
        assert {t["number"] for t in own["tests"]} == tests
        expected = VARIANTS[name][1]
        check_variant_result(own, name, expected, TEST_FUNCTIONS, seed)
        for number, text in SAID.get(name, ()):
            assert text in output_of(res, number), (number, text, output_of(res, number))
        for number in sorted(expected):
            print(f"{name}, {number}: {output_of(res, number)[:700]}")
