"""a4 2.11 (a short training run) and 2.12 (held-out BLEU of the submitted model.bin).

The reference with the quick model (quick_model_a4.py) scores full marks under bars measured
from it; a missing, corrupt, mismatched or oversized model.bin, a model that emits
nothing, a 2021-format model.bin and a malicious pickle each get the right message and
cost 2.12 alone. Those gradings run only test_a4_heldout.py (model.bin is read by no
other test; the reference's full grading shows the rest unaffected), and each writes a
valid results.json.
"""
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest
import torch

from autograder import config as configmod
from autograder import grading, presubmit
from autograder import results as resultsmod
from quick_model_a4 import QUICK_BLEU, QUICK_THRESHOLDS
from support import grade, lost, make_submission, output_of, scores

A4 = configmod.load("a4")
MINE = "test_a4_heldout.py"
CODE = ("utils.py", "model_embeddings.py", "nmt_model.py")
SIGNATURE = "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.5.1"
HIDDEN = 128  # the quick model's hidden size


def submission(folder, quick_model_dir=None, drop=("model.bin", "model.json"), files=None):
    """The reference's code, the quick model's files when `quick_model_dir` is given."""
    make_submission(folder, assignment="a4", drop=drop, files=files)
    if quick_model_dir:
        for name in ("model.bin", "model.json"):
            shutil.copy(os.path.join(quick_model_dir, name), os.path.join(folder, name))
    return folder


def graded(tmp_path, folder, monkeypatch, only_mine=True, **thresholds):
    """Grade `folder` (with the hidden tests), only test_a4_heldout.py unless `only_mine`;
    the results.json it writes is valid."""
    if only_mine:
        every = grading.test_files
        monkeypatch.setattr(grading, "test_files", lambda assignment, hidden: [
            (kind, path) for kind, path in every(assignment, hidden) if os.path.basename(path) == MINE])
    res = grade(folder, assignment="a4", results_path=tmp_path / "results.json",
                thresholds={**QUICK_THRESHOLDS, **thresholds})
    resultsmod.validate(json.loads((tmp_path / "results.json").read_text()))
    if only_mine:
        assert set(scores(res)) == {"2.11", "2.12"}, scores(res)
    return res


def heldout_bleu(res):
    (board,) = res["leaderboard"]
    assert board["name"] == "BLEU (held-out)" and board["order"] == "desc"
    return board["value"]


def test_reference_with_the_quick_model_full_marks(tmp_path, quick_model_dir, monkeypatch):
    """2.11 and 2.12 (the whole assignment: test_a4_reference_and_template.py), with the
    staff's BLEU on the 2017 sets switched on: in extra_data, never in the output."""
    folder = submission(tmp_path / "sub", quick_model_dir)
    res = graded(tmp_path, folder, monkeypatch, staff_bleu=True)
    assert lost(res) == set(), {n: output_of(res, n)[:300] for n in lost(res)}
    (entry,) = [t for t in res["tests"] if t["number"] == "2.12"]
    staff = entry["extra_data"]["staff"]
    assert set(staff) == {"test_2017_flickr", "test_2017_mscoco"}, staff
    assert all(0 <= v["bleu"] <= 100 and v["chrf"] > 0 for v in staff.values()), staff
    assert "2017" not in entry["output"]
    bleu = heldout_bleu(res)
    assert abs(bleu - QUICK_BLEU) < 0.5, bleu  # what the bars were measured from
    note = output_of(res, "2.12")
    assert f"BLEU on 1000 held-out sentences: {bleu:.2f} (chrF " in note and SIGNATURE in note, note
    assert "loss per target piece" in output_of(res, "2.11")


def test_2021_model_file_loads_and_points_scale_between_the_bars(tmp_path, quick_model_dir, monkeypatch):
    """A model.bin written by the 2021 NMT.save (one pickle of args, vocab.Vocab objects and
    the state dict, no model.json) is graded as the same weights are; with the bar for full
    credit above its BLEU, 2.12 earns its share of the points."""
    folder = submission(tmp_path / "sub")
    script = ("import json, sys, torch; sys.path.insert(0, sys.argv[1]); import vocab\n"
              "d = sys.argv[2]; sizes = json.load(open(d + '/model.json'))\n"
              "v = vocab.build_vocab(out_dir=d)\n"
              "args = dict(embed_size=sizes['embed_size'], hidden_size=sizes['hidden_size'], "
              "dropout_rate=sizes['dropout_rate'])\n"
              "torch.save({'args': args, 'vocab': v, 'state_dict': torch.load(d + '/model.bin')}, sys.argv[3])\n")
    subprocess.run([sys.executable, "-c", script, A4.reference_dir, quick_model_dir, str(folder / "model.bin")],
                   check=True, cwd=tmp_path)
    with zipfile.ZipFile(folder / "model.bin") as archive:  # the pickle names the vocab.py classes
        pickled = archive.read(next(n for n in archive.namelist() if n.endswith("data.pkl")))
    assert b"vocab\nVocab\n" in pickled and b"vocab\nVocabEntry\n" in pickled
    full = round(QUICK_BLEU * 2, 1)
    res = graded(tmp_path, folder, monkeypatch, bleu_full=full, bleu_floor=1.0)
    bleu = heldout_bleu(res)
    assert abs(bleu - QUICK_BLEU) < 0.5, bleu
    assert lost(res) == {"2.12"}
    points = A4.points["2.12"]
    assert abs(scores(res)["2.12"] - round(points * (bleu - 1.0) / (full - 1.0), 2)) < 0.02
    assert f"below the {full:g} needed for full credit" in output_of(res, "2.12")


def test_missing_model(tmp_path, monkeypatch):
    res = graded(tmp_path, submission(tmp_path / "sub"), monkeypatch)
    assert lost(res) == {"2.12"}
    out = output_of(res, "2.12")
    assert "model.bin is missing from your submission" in out
    assert "python run.py train" in out and "make bench" in out  # how to make one
    assert res.get("leaderboard") is None
    assert "missing from your submission: model.bin, model.json" in res["output"]


def test_corrupt_model(tmp_path, monkeypatch, quick_model_dir):
    folder = submission(tmp_path / "sub", quick_model_dir)
    (folder / "model.bin").write_bytes(os.urandom(100_000))
    res = graded(tmp_path, folder, monkeypatch)
    assert lost(res) == {"2.12"}
    out = output_of(res, "2.12")
    assert "model.bin could not be used: model.bin is not a model torch can read safely" in out, out
    assert "python run.py train" in out


def test_model_json_of_another_size(tmp_path, monkeypatch, quick_model_dir):
    folder = submission(tmp_path / "sub", quick_model_dir)
    sizes = json.loads((folder / "model.json").read_text())
    (folder / "model.json").write_text(json.dumps({**sizes, "hidden_size": sizes["hidden_size"] * 2}))
    res = graded(tmp_path, folder, monkeypatch)
    assert lost(res) == {"2.12"}
    out = output_of(res, "2.12")
    assert "the parameters in model.bin do not fit the NMT built from its sizes" in out, out
    assert "size mismatch" in out


def test_oversized_model(tmp_path, monkeypatch, quick_model_dir):
    folder = submission(tmp_path / "sub", quick_model_dir)
    with open(folder / "model.bin", "r+b") as f:
        f.truncate(61 * 2**20)  # a sparse file: its size is what counts
    res = graded(tmp_path, folder, monkeypatch)
    assert lost(res) == {"2.12"}
    assert "model.bin takes 61 MB, over the 60 MB a model may take" in output_of(res, "2.12")


def silent_state(quick_model_dir, loop=False):
    """The quick model's weights made to emit </s> first (an empty translation), or with
    `loop` never to emit it (the same piece over and over, up to the step limit): the
    decoder's state is made constant and positive (zero weights, saturated gate biases),
    the combined output too, and one row of target_vocab_projection gets all of it."""
    state = torch.load(os.path.join(quick_model_dir, "model.bin"), weights_only=True)
    h = HIDDEN
    for name in ("decoder.weight_ih", "decoder.weight_hh", "decoder.bias_hh"):
        state[name].zero_()
    state["decoder.bias_ih"][:] = torch.cat([torch.full((h,), 10.0), torch.full((h,), -10.0),
                                             torch.full((h,), 10.0), torch.full((h,), 10.0)])  # i, f, g, o
    w = torch.zeros(h, 3 * h)
    w[:, 2 * h:] = 5 * torch.eye(h)  # o_t = tanh(5 h_t): the attention's share left out
    state["combined_output_projection.weight"] = w
    v = state["target_vocab_projection.weight"]
    v.zero_()
    v[2] = -1.0 if loop else 1.0  # </s> is id 2
    if loop:
        v[10] = 1.0
    return state


def test_model_that_emits_nothing_gets_its_bleu(tmp_path, monkeypatch, quick_model_dir):
    folder = submission(tmp_path / "sub", quick_model_dir)
    torch.save(silent_state(quick_model_dir), folder / "model.bin")
    res = graded(tmp_path, folder, monkeypatch)
    assert lost(res) == {"2.12"} and scores(res)["2.12"] == 0
    assert heldout_bleu(res) == 0.0
    out = output_of(res, "2.12")
    assert "BLEU on 1000 held-out sentences: 0.00" in out and "1000 of the translations are empty" in out, out


def test_malicious_pickle_is_refused_and_not_run(tmp_path, monkeypatch):
    class Payload:
        def __reduce__(self):
            return (print, ("PAYLOAD RAN",))

    folder = submission(tmp_path / "sub")
    torch.save({"args": {"embed_size": 8, "hidden_size": 8}, "state_dict": Payload()}, folder / "model.bin")
    res = graded(tmp_path, folder, monkeypatch)
    assert lost(res) == {"2.12"}
    out = output_of(res, "2.12")
    assert "model.bin could not be used: model.bin is not a model torch can read safely" in out, out
    assert "PAYLOAD RAN" not in json.dumps(res)


# the pre-submit check (config "pre_submit"), on a student's folder
def student_folder(tmp_path, quick_model_dir=None):
    folder = tmp_path / "a4"
    shutil.copytree(A4.reference_dir, folder, ignore=shutil.ignore_patterns("__pycache__", "*.png", "*.bin"))
    for name in ("model.bin", "model.json"):
        if os.path.exists(folder / name):
            os.remove(folder / name)
        if quick_model_dir:
            shutil.copy(os.path.join(quick_model_dir, name), folder / name)
    shutil.copytree(A4.tests_dir("public"), folder / "tests" / "public", ignore=shutil.ignore_patterns("__pycache__"))
    config = json.loads(open(os.path.join(A4.folder, "config.json")).read())
    config.setdefault("pre_submit", "tests/public/presubmit_a4.py")
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_a4_declares_its_pre_submit_check():
    with open(os.path.join(A4.folder, "config.json")) as f:
        assert json.load(f).get("pre_submit") == "tests/public/presubmit_a4.py"


def test_presubmit_accepts_the_quick_model(tmp_path, quick_model_dir):
    assert presubmit.problems(str(student_folder(tmp_path, quick_model_dir))) == []


def test_presubmit_refuses_missing_unreadable_and_mismatched_models(tmp_path, quick_model_dir):
    folder = student_folder(tmp_path)
    (reason,) = presubmit.problems(str(folder))
    assert reason.startswith("model.bin is not in") and "python run.py train" in reason, reason
    shutil.copy(os.path.join(quick_model_dir, "model.bin"), folder / "model.bin")
    (reason,) = presubmit.problems(str(folder))  # no model.json beside it
    assert "the sizes file" in reason and "model.json" in reason and "is missing" in reason, reason
    sizes = json.loads(open(os.path.join(quick_model_dir, "model.json")).read())
    (folder / "model.json").write_text(json.dumps({**sizes, "embed_size": sizes["embed_size"] + 1}))
    (reason,) = presubmit.problems(str(folder))
    assert "model.bin does not fit the NMT" in reason and "model_embeddings.source.weight has shape" in reason, reason
    (folder / "model.bin").write_bytes(b"not a torch file")
    (reason,) = presubmit.problems(str(folder))
    assert reason.startswith("model.bin cannot be used: model.bin is not a model torch can read safely"), reason


DETACHED_STEP = '''
    def step(self, Ybar_t, dec_state, enc_hiddens, enc_hiddens_proj, enc_masks):
        dec_state = self.decoder(Ybar_t, dec_state)
        dec_hidden, dec_cell = dec_state
        e_t = torch.bmm(enc_hiddens_proj, dec_hidden.unsqueeze(2)).squeeze(2)
        if enc_masks is not None:
            e_t = e_t.masked_fill(enc_masks.bool(), -float("inf"))
        alpha_t = F.softmax(e_t, dim=1)
        a_t = torch.bmm(alpha_t.unsqueeze(1), enc_hiddens).squeeze(1)
        U_t = torch.cat((a_t, dec_hidden), dim=1)
        O_t = self.dropout(torch.tanh(self.combined_output_projection(U_t)))
        # the bug: no gradient flows back through the decoder, the attention or the encoder
        return (dec_hidden.detach(), dec_cell.detach()), O_t.detach(), e_t
'''


def test_training_that_cannot_reach_the_model_loses_2_11(tmp_path, monkeypatch):
    """Values right, gradients cut at step's outputs: only the target embeddings and
    target_vocab_projection learn, and the loss drops by about 15%, not 30%."""
    folder = make_submission(tmp_path / "sub", assignment="a4", drop=("model.bin", "model.json"),
                             patches={"nmt_model.py": {"NMT.step": DETACHED_STEP}})
    res = graded(tmp_path, folder, monkeypatch)
    assert lost(res) == {"2.11", "2.12"}
    out = output_of(res, "2.11")
    assert "computed by the grader with the reference's NMT, went from" in out and "wanted below" in out, out
    assert "Does the loss reach every parameter" in out


# A table of public translations (found by the a4 adversary review): test_2016_flickr is the
# public Multi30k test split, so a submission can ship its English side keyed by the German
# sentence and, from code run when nmt_model.py is imported, replace the provided
# decoding.translate in its own process. Before the sample check this scored 2.12 10/10 and
# a leaderboard BLEU of 100 on the template. Now the reference's NMT, holding the weights
# the submission's model holds, translates a sample the grader picks: the table's
# sentences are not what any model.bin gives. The table is built here from the data.
LOOKUP = r'''

_TABLE = %r  # German sentence -> its public English reference


def _table_install():
    import decoding
    import model_io

    class _NoModel:
        def eval(self):
            return self

    def translate(model, pieces, **kwargs):
        return [_TABLE.get("".join(p).replace("\u2581", " ").strip(), "") for p in pieces]

    if %r:  # no model at all: the loader is replaced too
        model_io.load_model = lambda *args, **kwargs: _NoModel()
    decoding.translate = translate


_table_install()
'''


@pytest.mark.parametrize("model", ["junk model.bin", "a real model.bin"])
def test_a_table_of_public_translations_gains_nothing(tmp_path, monkeypatch, quick_model_dir, model):
    from autograder import data as datamod

    raw = "multi30k-de-en/raw/test_2016_flickr."
    with open(datamod.path(raw + "de"), encoding="utf-8") as f, open(datamod.path(raw + "en"), encoding="utf-8") as g:
        table = dict(zip((line.rstrip("\n") for line in f), (line.rstrip("\n") for line in g)))
    assert len(table) >= 990  # the attack is real: (almost) every held-out sentence is in it
    junk = model == "junk model.bin"
    folder = submission(tmp_path / "sub", None if junk else quick_model_dir)
    with open(folder / "nmt_model.py", "a", encoding="utf-8") as f:
        f.write(LOOKUP % (table, junk))
    if junk:
        (folder / "model.bin").write_bytes(b"x")
        (folder / "model.json").write_text("{}")
    # the default bars: a table would earn all 10 points there
    res = graded(tmp_path, folder, monkeypatch, bleu_full=A4.thresholds["bleu_full"],
                 bleu_floor=A4.thresholds["bleu_floor"])
    assert scores(res)["2.12"] == 0, output_of(res, "2.12")
    assert all(b.get("value") != 100.0 for b in res.get("leaderboard", []))
    if not junk:
        assert "are not what your model.bin gives" in output_of(res, "2.12"), output_of(res, "2.12")
