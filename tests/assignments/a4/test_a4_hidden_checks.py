"""a4 hidden tests 2.1-2.10: the reference gets full marks, and known-buggy variants (the
reference with one function replaced) each lose exactly the tests that target the bug.

Only test_a4_hidden.py is graded here (one grading per variant): the public tests and
the held-out ones have their own proofs. Values count only when they are right, so a bug
in step also costs decode (2.3, which calls step), the gradients of forward (2.7), the
dropout test (2.6: eval mode equal to the reference), the module test (2.8: credited
only when encode and step match) and the timing (2.10: the timed results are compared).
Each test loads only the weights of the functions it calls, so a model whose encoder
differs from the handout's loses the tests that run encode (2.2, 2.7, 2.8), not those of
step. 2.5 judges the scores e_t step returns, so a softmax over the wrong dimension (after
e_t) keeps it; 2.4, 2.6 and 2.8 run step without masks too, so a mask left out costs
2.3, 2.4, 2.5, 2.7 and 2.10 but not 2.6 and 2.8.

TABLE (variant -> lost hidden tests) is what the test-suite engineer reuses.
"""
import os
import time

import pytest

from autograder import config as configmod
from autograder import grading
from support import check_variant_result, grade, lost, make_submission, output_of, pin_seed

A4 = configmod.load("a4")
NM, ME, UT = "nmt_model.py", "model_embeddings.py", "utils.py"
MINE = "test_a4_hidden.py"
HIDDEN = {"2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9", "2.10"}
NO_MODEL = ("model.bin", "model.json")  # none of these tests reads a trained model

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

ENCODE = '''
    def encode(self, source_padded, source_lengths):
        X = self.model_embeddings.source(source_padded)
        packed = nn.utils.rnn.pack_padded_sequence(X, torch.as_tensor(source_lengths, dtype=torch.long))
        enc_hiddens, (last_hidden, last_cell) = self.encoder(packed)
        enc_hiddens, _ = nn.utils.rnn.pad_packed_sequence(enc_hiddens)
        enc_hiddens = enc_hiddens.permute(1, 0, 2)
        init_decoder_hidden = self.h_projection(HIDDEN)
        init_decoder_cell = self.c_projection(CELL)
        return enc_hiddens, (init_decoder_hidden, init_decoder_cell)
'''
# the decoder's initial state projected from the states at the last position (padding for
# the shorter sentences; the backward direction's first step, not its last)
WRONG_INIT_STATES = ENCODE.replace("HIDDEN", "enc_hiddens[:, -1, :]").replace(
    "CELL", "torch.cat((last_cell[0], last_cell[1]), dim=1)")
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
    "NMT.encode": ENCODE.replace("HIDDEN", "last_hidden[0]").replace("CELL", "last_cell[0]")}

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

VARIANTS = {
    "mask not applied": ({NM: {"NMT.step": step_variant(mask="")}}, {"2.3", "2.4", "2.5", "2.7", "2.10"}),
    "softmax over dim 0": ({NM: {"NMT.step": step_variant(softmax="F.softmax(e_t, dim=0)")}},
                           {"2.3", "2.4", "2.6", "2.7", "2.8", "2.10"}),
    "[h_t; a_t] instead of [a_t; h_t]": (
        {NM: {"NMT.step": step_variant(combined="torch.cat((dec_hidden, a_t), dim=1)")}},
        {"2.3", "2.4", "2.6", "2.7", "2.8", "2.10"}),
    "unidirectional encoder": ({NM: UNIDIRECTIONAL}, {"2.2", "2.7", "2.8"}),
    "decoder state projected from the last position's encoder states": (
        {NM: {"NMT.encode": WRONG_INIT_STATES}}, {"2.2", "2.7", "2.8"}),
    "last target token not dropped": ({NM: {"NMT.decode": LAST_TOKEN_KEPT}}, {"2.3"}),
    "dropout at evaluation time": (
        {NM: {"NMT.step": step_variant(output="F.dropout(torch.tanh(V_t), self.dropout_rate, training=True)")}},
        {"2.6"}),
    "dropout before the tanh": (
        {NM: {"NMT.step": step_variant(output="torch.tanh(self.dropout(V_t))")}}, {"2.6"}),
    "per-example loop in step": ({NM: {"NMT.step": STEP_LOOP}}, {"2.10"}),
    "embeddings without padding_idx": ({ME: {"ModelEmbeddings.__init__": NO_PADDING_IDX}}, {"2.9"}),
    "padding at the front": ({UT: {"pad_sents": PAD_AT_FRONT}}, {"2.1", "2.7"}),
    "pad_sents pads the caller's lists": ({UT: {"pad_sents": PAD_IN_PLACE}}, {"2.1"}),
    "W_u used through .data": (
        {NM: {"NMT.step": step_variant(projected="U_t @ self.combined_output_projection.weight.data.T")}},
        {"2.7"}),
}

TEST_FUNCTIONS = {
    "2.1": ("pad_sents",), "2.2": ("encode",), "2.3": ("decode",), "2.4": ("step",), "2.5": ("step",),
    "2.6": ("step", "dropout"), "2.7": ("forward", "gradient", "gradients"), "2.8": ("NMT", "step", "encode"),
    "2.9": ("ModelEmbeddings", "padding_idx"), "2.10": ("step",),
}

# what the message says, for the variants whose advice is specific
SAID = {
    "mask not applied": [("2.4", "mask the scores with enc_masks"), ("2.5", "padding must get weight 0")],
    "per-example loop in step": [("2.10", "no Python loop over the batch")],
    "embeddings without padding_idx": [("2.9", "padding_idx=vocab.src['<pad>']")],
    "pad_sents pads the caller's lists": [("2.1", "the first call left the sentences as they were")],
    "W_u used through .data": [("2.7", "no gradient of the loss reaches combined_output_projection.weight")],
    "last target token not dropped": [("2.3", "if step fails 2.4, fix it first")],
    "dropout at evaluation time": [("2.6", "zero in evaluation mode, where dropout must be off")],
    "dropout before the tanh": [("2.6", "kept entries scaled by 1/(1-p) = 2")],
    "unidirectional encoder": [("2.2", "could not load its weights"), ("2.8", "bidirectional=False")],
    "padding at the front": [("2.7", "your pad_sents")],
}


@pytest.fixture(scope="module", autouse=True)
def only_these_tests():
    """Grade test_a4_hidden.py alone: one grading per variant stays short."""
    mp = pytest.MonkeyPatch()
    every = grading.test_files
    mp.setattr(grading, "test_files", lambda assignment, hidden: [
        (kind, path) for kind, path in every(assignment, hidden) if os.path.basename(path) == MINE])
    yield
    mp.undo()


def graded_variant(tmp_path, patches):
    sub = make_submission(tmp_path / "sub", assignment="a4", patches=patches, drop=NO_MODEL)
    started = time.monotonic()
    res = grade(sub, assignment="a4", results_path=tmp_path / "results.json")
    print(f"graded in {time.monotonic() - started:.1f} s")
    return res


def test_reference_full_marks(tmp_path, monkeypatch):
    seed = pin_seed(monkeypatch)
    res = graded_variant(tmp_path, {})
    numbers = {t["number"] for t in res["tests"]}
    assert numbers == HIDDEN, numbers
    assert lost(res) == set(), (seed, {n: output_of(res, n)[:400] for n in lost(res)})
    assert "times as long as the reference's (limit 5x)" in output_of(res, "2.10")
    print(output_of(res, "2.10"))


def test_variants_cover_every_hidden_test():
    covered = set().union(*(expected for _, expected in VARIANTS.values()))
    assert covered == HIDDEN, sorted(HIDDEN - covered)
    assert set(TEST_FUNCTIONS) == HIDDEN


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_loses_exactly_its_tests(name, tmp_path, monkeypatch):
    patches, expected = VARIANTS[name]
    seed = pin_seed(monkeypatch)
    res = graded_variant(tmp_path, patches)
    check_variant_result(res, name, expected, TEST_FUNCTIONS, seed)
    for number, text in SAID.get(name, ()):
        assert text in output_of(res, number), output_of(res, number)
    for number in sorted(expected, key=lambda n: int(n.split(".")[1])):
        print(f"{number}: {output_of(res, number)[:700]}")
