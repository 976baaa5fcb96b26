"""Known-buggy a4 submissions: each loses exactly the tests that target its mistake,
public (1.1-1.6) and hidden (2.1-2.10) alike, with a message that names the function.

Each variant is graded once, as the grader does (with the reference), on
test_a4_public.py and test_a4_hidden.py; test_a4_heldout.py (2.11, 2.12: a trained
model) has its own proofs. Variants are the reference with functions replaced
(support.replace_function) or, for the subclass and hard-coded cases, a whole file.
Together they fail every one of these tests. This module is the one place the variants
are built: test_a4_public_checks.py imports hard_coded and sanity_script_bugs from here.

Values count only when they are right, so a bug in step also costs decode (2.3, which
calls step), the gradients of forward (2.7), the dropout test (2.6: eval mode equal to
the reference), the module test (2.8: credited only when encode and step match) and the
timing (2.10: the timed results are compared). Each hidden test loads only the weights
of the functions it calls, so a model whose encoder differs from the handout's loses the
tests that run encode (2.2, 2.7, 2.8), not those of step. 2.5 judges the scores e_t step
returns, so a softmax over the wrong dimension (after e_t) keeps it; 2.4, 2.6 and 2.8 run
step without masks too, so a mask left out costs 2.3, 2.4, 2.5, 2.7 and 2.10 but not 2.6
and 2.8. The public tests use the sanity sizes and fresh random ones: 1.6 sees the mask,
the softmax's dimension and [a_t; h_t]; 1.4 the initial state and the packing.
"""
import os
import time

import numpy as np
import pytest

from autograder import config as configmod
from autograder import grading
from support import check_variant_result, grade, make_submission, output_of, pin_seed, variant_names

A4 = configmod.load("a4")
NM, ME, UT = "nmt_model.py", "model_embeddings.py", "utils.py"
TEST_FILES = ("test_a4_public.py", "test_a4_hidden.py")       # not test_a4_heldout.py
GRADED = {n for n in A4.points if n.startswith("1.")} | {f"2.{k}" for k in range(1, 11)}
NO_MODEL = ("model.bin", "model.json")  # none of these tests reads a trained model
SANITY = os.path.join(A4.reference_dir, "sanity_check_data", "sanity.npz")


def source(name):
    with open(os.path.join(A4.reference_dir, name)) as f:
        return f.read()


def edited(name, *pairs):
    """The reference's `name` with each (old, new) replaced (old must occur)."""
    text = source(name)
    for old, new in pairs:
        assert old in text, (name, old)
        text = text.replace(old, new)
    return text


# ----- step -------------------------------------------------------------------------
STEP_START = '''
    def step(self, Ybar_t, dec_state, enc_hiddens, enc_hiddens_proj, enc_masks):
        dec_state = self.decoder(Ybar_t, dec_state)
        dec_hidden, dec_cell = dec_state
        e_t = torch.bmm(enc_hiddens_proj, dec_hidden.unsqueeze(2)).squeeze(2)
'''
MASK = '''
        if enc_masks is not None:
            e_t = e_t.masked_fill(enc_masks.bool(), -float("inf"))
'''


def step_variant(softmax="F.softmax(e_t, dim=1)", combined="torch.cat((a_t, dec_hidden), dim=1)",
                 projected="self.combined_output_projection(U_t)", output="self.dropout(torch.tanh(V_t))",
                 mask=MASK):
    return STEP_START + mask + f'''
        alpha_t = {softmax}
        a_t = torch.bmm(alpha_t.unsqueeze(1), enc_hiddens).squeeze(1)
        U_t = {combined}
        V_t = {projected}
        O_t = {output}
        return dec_state, O_t, e_t
'''


STEP_LOOP = STEP_START.replace("        e_t = torch.bmm(enc_hiddens_proj, dec_hidden.unsqueeze(2)).squeeze(2)\n", "") + '''
        e_rows, a_rows = [], []
        for i in range(enc_hiddens.size(0)):     # one sentence at a time
            e_i = enc_hiddens_proj[i] @ dec_hidden[i]
            if enc_masks is not None:
                e_i = e_i.masked_fill(enc_masks[i].bool(), -float("inf"))
            a_rows.append(F.softmax(e_i, dim=0) @ enc_hiddens[i])
            e_rows.append(e_i)
        e_t, a_t = torch.stack(e_rows), torch.stack(a_rows)
        V_t = self.combined_output_projection(torch.cat((a_t, dec_hidden), dim=1))
        return dec_state, self.dropout(torch.tanh(V_t)), e_t
'''

# ----- encode -----------------------------------------------------------------------
ENCODE = '''
    def encode(self, source_padded, source_lengths):
        X = self.model_embeddings.source(source_padded)
        packed = @PACK@
        enc_hiddens, (last_hidden, last_cell) = self.encoder(packed)
        enc_hiddens = @UNPACK@
        enc_hiddens = enc_hiddens.permute(1, 0, 2)
        init_decoder_hidden = self.h_projection(@HIDDEN@)
        init_decoder_cell = self.c_projection(@CELL@)
        return enc_hiddens, (init_decoder_hidden, init_decoder_cell)
'''


def encode_variant(pack="nn.utils.rnn.pack_padded_sequence(X, torch.as_tensor(source_lengths, dtype=torch.long))",
                   unpack="nn.utils.rnn.pad_packed_sequence(enc_hiddens)[0]",
                   hidden="torch.cat((last_hidden[0], last_hidden[1]), dim=1)",
                   cell="torch.cat((last_cell[0], last_cell[1]), dim=1)"):
    return (ENCODE.replace("@PACK@", pack).replace("@UNPACK@", unpack).replace("@HIDDEN@", hidden)
            .replace("@CELL@", cell))


# one direction of 2h units: the sizes downstream fit, the handout's weights do not
UNIDIRECTIONAL = {
    "NMT.__init__": '''
    def __init__(self, embed_size, hidden_size, vocab, dropout_rate=0.2):
        super(NMT, self).__init__()
        self.model_embeddings = ModelEmbeddings(embed_size, vocab)
        self.hidden_size = hidden_size
        self.dropout_rate = dropout_rate
        self.vocab = vocab
        self.encoder = nn.LSTM(embed_size, 2 * hidden_size, bias=True)     # one direction
        self.decoder = nn.LSTMCell(embed_size + hidden_size, hidden_size, bias=True)
        self.h_projection = nn.Linear(2 * hidden_size, hidden_size, bias=False)
        self.c_projection = nn.Linear(2 * hidden_size, hidden_size, bias=False)
        self.att_projection = nn.Linear(2 * hidden_size, hidden_size, bias=False)
        self.combined_output_projection = nn.Linear(3 * hidden_size, hidden_size, bias=False)
        self.target_vocab_projection = nn.Linear(hidden_size, len(vocab.tgt), bias=False)
        self.dropout = nn.Dropout(p=dropout_rate)
''',
    "NMT.encode": encode_variant(hidden="last_hidden[0]", cell="last_cell[0]")}

# ----- decode, embeddings, pad_sents ------------------------------------------------
LAST_TOKEN_KEPT = '''
    def decode(self, enc_hiddens, enc_masks, dec_init_state, target_padded):
        dec_state = dec_init_state
        o_prev = torch.zeros(enc_hiddens.size(0), self.hidden_size, device=enc_hiddens.device)
        combined_outputs = []
        enc_hiddens_proj = self.att_projection(enc_hiddens)
        Y = self.model_embeddings.target(target_padded)      # the final token fed in too
        for Y_t in torch.split(Y, 1, dim=0):
            Ybar_t = torch.cat((Y_t.squeeze(0), o_prev), dim=1)
            dec_state, o_t, _ = self.step(Ybar_t, dec_state, enc_hiddens, enc_hiddens_proj, enc_masks)
            combined_outputs.append(o_t)
            o_prev = o_t
        return torch.stack(combined_outputs, dim=0)
'''

NO_PADDING_IDX = '''
    def __init__(self, embed_size, vocab):
        super(ModelEmbeddings, self).__init__()
        self.embed_size = embed_size
        self.source = nn.Embedding(len(vocab.src), embed_size)
        self.target = nn.Embedding(len(vocab.tgt), embed_size)
'''

PAD_AT_FRONT = '''
def pad_sents(sents, pad_token):
    longest = max((len(s) for s in sents), default=0)
    return [[pad_token] * (longest - len(s)) + list(s) for s in sents]
'''

PAD_IN_PLACE = '''
def pad_sents(sents, pad_token):
    longest = max((len(s) for s in sents), default=0)
    for s in sents:
        s.extend([pad_token] * (longest - len(s)))   # the caller's lists
    return sents
'''

# ----- whole files: modules that are what the handout names, and compute something else
CLAIMS_ONLY = {
    ME: edited(
        ME,
        ("class ModelEmbeddings(", "class Doubled(nn.Embedding):\n    def forward(self, ids):\n"
                                   "        return 2 * super().forward(ids)\n\n\nclass ModelEmbeddings("),
        ("self.source = nn.Embedding(", "self.source = Doubled(")),
    NM: edited(
        NM,
        ("class NMT(", "class Doubled(nn.Linear):\n    def forward(self, x):\n        return 2 * super().forward(x)"
                       "\n\n\nclass NMT("),
        ("self.h_projection = nn.Linear(", "self.h_projection = Doubled(")),
}


def hard_coded():
    """nmt_model.py whose encode, decode and step return the recorded sanity values."""
    with np.load(SANITY) as z:
        lit = {k: repr(z[k].tolist()) for k in z.files}
        steps = len(z["decode/o"])
    fake = {
        "encode": f"        return torch.tensor({lit['enc_hiddens']}), (torch.tensor({lit['dec_init_hidden']}), "
                  f"torch.tensor({lit['dec_init_cell']}))\n",
        # what decode gives step is checked too: give it the recorded inputs
        "decode": f"        for k in range({steps}):\n"
                  f"            self.step(torch.tensor({lit['decode/Ybar_t']})[k], (torch.tensor("
                  f"{lit['decode/dec_state_h']})[k], torch.tensor({lit['decode/dec_state_c']})[k]), enc_hiddens, "
                  f"torch.tensor({lit['enc_hiddens_proj']}), enc_masks)\n"
                  f"        return torch.tensor({lit['combined_outputs']})\n",
        "step": f"        return (torch.tensor({lit['step_dec_hidden']}), torch.tensor({lit['step_dec_cell']})), "
                f"torch.tensor({lit['step_combined_output']}), torch.tensor({lit['step_e_t']})\n"}
    text = source(NM).replace("import torch\n", "import torch\ninf = float('inf')\n", 1)
    for method, body in fake.items():
        start = text.index(f"    def {method}(")
        doc_end = text.index('"""', text.index('"""', start) + 3) + 3  # after the docstring
        text = text[:doc_end] + "\n" + body + text[doc_end:]
    return {NM: text}


# name -> (changes: {file: {function: source}} or {file: whole text}, lost tests)
VARIANTS = {
    "mask not applied": ({NM: {"NMT.step": step_variant(mask="")}}, {"1.6", "2.3", "2.4", "2.5", "2.7", "2.10"}),
    "softmax over dim 0": ({NM: {"NMT.step": step_variant(softmax="F.softmax(e_t, dim=0)")}},
                           {"1.6", "2.3", "2.4", "2.6", "2.7", "2.8", "2.10"}),
    "[h_t; a_t] instead of [a_t; h_t]": (
        {NM: {"NMT.step": step_variant(combined="torch.cat((dec_hidden, a_t), dim=1)")}},
        {"1.6", "2.3", "2.4", "2.6", "2.7", "2.8", "2.10"}),
    "unidirectional encoder": ({NM: UNIDIRECTIONAL}, {"1.3", "1.4", "1.5", "1.6", "2.2", "2.7", "2.8"}),
    # the states at the last position: padding for the shorter sentences; the backward
    # direction's first step, not its last
    "decoder state projected from the last position's encoder states": (
        {NM: {"NMT.encode": encode_variant(hidden="enc_hiddens[:, -1, :]")}}, {"1.4", "2.2", "2.7", "2.8"}),
    "decoder state from [backward's; forward's] final states": (
        {NM: {"NMT.encode": encode_variant(hidden="torch.cat((last_hidden[1], last_hidden[0]), dim=1)")}},
        {"1.4", "2.2", "2.7", "2.8"}),
    "no packing": ({NM: {"NMT.encode": encode_variant(pack="X", unpack="enc_hiddens")}},
                   {"1.4", "2.2", "2.7", "2.8"}),
    "last target token not dropped": ({NM: {"NMT.decode": LAST_TOKEN_KEPT}}, {"1.5", "2.3"}),
    "dropout at evaluation time": (
        {NM: {"NMT.step": step_variant(output="F.dropout(torch.tanh(V_t), self.dropout_rate, training=True)")}},
        {"2.6"}),
    "dropout before the tanh": ({NM: {"NMT.step": step_variant(output="torch.tanh(self.dropout(V_t))")}}, {"2.6"}),
    "per-example loop in step": ({NM: {"NMT.step": STEP_LOOP}}, {"2.10"}),
    "embeddings without padding_idx": ({ME: {"ModelEmbeddings.__init__": NO_PADDING_IDX}}, {"1.2", "2.9"}),
    "padding at the front": ({UT: {"pad_sents": PAD_AT_FRONT}}, {"1.1", "2.1", "2.7"}),
    # a 2021 habit, harmless in everything the course runs: it keeps every point
    "pad_sents pads the caller's lists": ({UT: {"pad_sents": PAD_IN_PLACE}}, set()),
    "W_u used through .data": (
        {NM: {"NMT.step": step_variant(projected="U_t @ self.combined_output_projection.weight.data.T")}}, {"2.7"}),
    "subclasses that report the handout's modules": (CLAIMS_ONLY, {"1.2", "1.3", "1.4", "2.2", "2.7", "2.8", "2.9"}),
    # the recorded values fit neither the grader's fresh variation nor its hidden inputs
    "hard-coded sanity answers": (
        hard_coded(), {"1.4", "1.5", "1.6", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.10"}),
}

TEST_FUNCTIONS = {
    "1.1": ("pad_sents",), "1.2": ("ModelEmbeddings", "padding_idx", "self.source"), "1.3": ("NMT", "__init__"),
    "1.4": ("encode",), "1.5": ("decode",), "1.6": ("step",),
    "2.1": ("pad_sents",), "2.2": ("encode",), "2.3": ("decode",), "2.4": ("step",), "2.5": ("step",),
    "2.6": ("step", "dropout"), "2.7": ("forward", "gradient", "gradients"), "2.8": ("NMT", "step", "encode"),
    "2.9": ("ModelEmbeddings", "padding_idx"), "2.10": ("step",),
}

# what the message says, for the variants whose advice is specific
SAID = {
    "mask not applied": [("1.6", "masked positions must be -inf before the softmax"),
                         ("2.4", "mask the scores with enc_masks"), ("2.5", "padding must get weight 0")],
    "[h_t; a_t] instead of [a_t; h_t]": [("1.6", "combined_output"), ("1.6", "a_t first")],
    "no packing": [("1.4", "not zero at padded positions"), ("1.4", "pack_padded_sequence")],
    "decoder state from [backward's; forward's] final states": [("1.4", "dec_init_state[0]"),
                                                                 ("1.4", "forward's last; backward's first")],
    "per-example loop in step": [("2.10", "no Python loop over the batch")],
    "embeddings without padding_idx": [("1.2", "self.source is nn.Embedding(55, 3, padding_idx=None)"),
                                       ("1.2", "set padding_idx"), ("2.9", "padding_idx=vocab.src['<pad>']")],
    "W_u used through .data": [("2.7", "no gradient of the loss reaches combined_output_projection.weight")],
    "last target token not dropped": [("1.5", "drop the last target token"), ("2.3", "if step fails 2.4, fix it first")],
    "dropout at evaluation time": [("2.6", "zero in evaluation mode, where dropout must be off")],
    "dropout before the tanh": [("2.6", "kept entries scaled by 1/(1-p) = 2")],
    "unidirectional encoder": [("1.3", "the encoder is bidirectional"), ("2.2", "could not load its weights"),
                               ("2.8", "bidirectional=False")],
    "padding at the front": [("1.1", "padding is at the front: put it at the end"), ("2.7", "your pad_sents")],
    "subclasses that report the handout's modules": [
        ("1.2", "self.source(ids of shape"), ("1.2", "the embeddings"), ("1.3", "self.h_projection's output")],
}


def changes_to_submission(dest, changes):
    """A submission folder: the reference's files with `changes` made (see VARIANTS)."""
    patches = {f: c for f, c in changes.items() if isinstance(c, dict)}
    files = {f: c for f, c in changes.items() if isinstance(c, str)}
    return make_submission(str(dest), assignment="a4", patches=patches, files=files, drop=NO_MODEL)


def sanity_script_bugs(folder):
    """The buggy files the sanity_check.py test runs (padding at the front, no padding_idx,
    no mask, no packing), written into `folder`."""
    changes = {}
    for name in ("padding at the front", "embeddings without padding_idx", "mask not applied", "no packing"):
        for f, fns in VARIANTS[name][0].items():
            changes.setdefault(f, {}).update(fns)
    sub = changes_to_submission(os.path.join(str(folder), "bugs"), changes)
    return {f: open(os.path.join(sub, f)).read() for f in changes}


@pytest.fixture(scope="module", autouse=True)
def only_these_tests():
    """Grade the public tests and test_a4_hidden.py: one grading per variant stays short."""
    mp = pytest.MonkeyPatch()
    every = grading.test_files
    mp.setattr(grading, "test_files", lambda assignment, hidden: [
        (kind, path) for kind, path in every(assignment, hidden) if os.path.basename(path) in TEST_FILES])
    yield
    mp.undo()


def test_variants_cover_every_graded_test():
    covered = set().union(*(expected for _, expected in VARIANTS.values()))
    assert covered == GRADED, {"never failed": sorted(GRADED - covered), "not graded": sorted(covered - GRADED)}
    assert set(TEST_FUNCTIONS) == GRADED


@pytest.mark.parametrize("name", variant_names(VARIANTS, serial={"per-example loop in step"}))
def test_variant_loses_exactly_its_tests(name, tmp_path, monkeypatch):
    changes, expected = VARIANTS[name]
    seed = pin_seed(monkeypatch)
    sub = changes_to_submission(tmp_path / "sub", changes)
    started = time.monotonic()
    res = grade(sub, assignment="a4", results_path=tmp_path / "results.json")
    print(f"graded in {time.monotonic() - started:.1f} s")
    assert {t["number"] for t in res["tests"]} == GRADED
    check_variant_result(res, name, expected, TEST_FUNCTIONS, seed)
    for number, text in SAID.get(name, ()):
        assert text in output_of(res, number), (number, text, output_of(res, number))
    if "2.10" not in expected:  # a passed timing test states the ratio (the reference's run has no other check)
        assert "times as long as the reference's (limit 5x)" in output_of(res, "2.10"), output_of(res, "2.10")
    for number in sorted(expected, key=lambda n: (int(n.split(".")[0]), int(n.split(".")[1]))):
        print(f"{number}: {output_of(res, number)[:700]}")
