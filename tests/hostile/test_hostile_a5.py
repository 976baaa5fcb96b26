"""Hostile a5 submissions: the cheapest ways an adversary round found to earn a5 points
without solving the task, each graded against its honest baseline (the same defect
without the trick). Each worked against the engine before the fixes named; each must
gain nothing now.

- sample_keys with too few draws (1.2, 2.2, 2.3): code at the top of attention_math.py
  keeps only N = (sqrt(p) + s)^2 of the draws of each drawn_keys probe (it rewrites the
  reply in the worker's codec); the bounds were derived from the N that came back, about
  [0, 4] at that N, so a sampler that never perturbs key a passed. Now check_keys judges
  the number of draws the grader asked for.
- Held-out answers edited (2.14, 2.15): the reference re-answered 40 of the 366 held-out
  questions and up to 2 could differ, so two wrong answers replaced with gold extracted
  from wiki.txt (sandbox data) always passed. Now the reference answers every question
  and only answers both give count.
- A dataset whose span sits only at the very start or the very end of the document
  (2.8): the statistics asked only that the span's centre land in the first and the last
  third often enough. Now every tenth of the places a span could start must be used.
- run.py's evaluate for the synthesizer writing "London" lines without loading the model
  (2.12): only vanilla's predictions were compared with the reference's decoding. Now both.
"""
import os
import sys

import pytest
from hostile_support import assert_no_gain, gains, strict_results
from support import grade, lost, make_submission, output_of, scores

from autograder import config as configmod
from autograder import data as datamod
from autograder import grading

A5 = configmod.load("a5")
PARAMS = ("vanilla.finetune.params", "synthesizer.finetune.params")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "assignments", "a5"))


def graded_with(tmp_path, monkeypatch, folder, files, name, thresholds=None):
    """Grade `folder` with only the test files named in `files` (a5 gradings are slow)."""
    every = grading.test_files
    monkeypatch.setattr(grading, "test_files", lambda assignment, hidden: [
        (kind, path) for kind, path in every(assignment, hidden) if os.path.basename(path) in files])
    path = tmp_path / f"{name}.json"
    res = grade(folder, assignment="a5", results_path=path, thresholds=thresholds)
    strict_results(path)
    return res


# ----- Part 1: sample_keys judged on a number of draws the student's process chooses ---------
MATH_FILES = {"test_a5_math_public.py", "test_a5_math_hidden.py"}

NO_PERTURBATION = '''
def sample_keys(mu, alpha, rng, perturbed=None):
    mu = np.asarray(mu, dtype=float)
    return mu + np.sqrt(alpha) * rng.standard_normal(mu.shape)   # key a never perturbed
'''

# Rewrites the worker's replies: a (count, n, d) array of keys (count = 4000 or 8000, what
# the drawn_keys probes ask for) keeps its first (sqrt(n d) + s)^2 rows, s the grader's
# sqrt(2 ln(2 / 2e-8)): there the covariance check's bounds are (1 -+ 1)^2.
FEW_DRAWS = r'''
import sys as _fd_sys


def _fd_install():
    w = _fd_sys.modules.get("_nlpgrade_worker")
    if w is None or getattr(w, "_fd", False):
        return
    import math
    import numpy

    real = w.codec

    class Codec:
        def __getattr__(self, name):
            return getattr(real, name)

        def write_frame(self, out, reply):
            v = reply.get("value") if isinstance(reply, dict) else None
            if isinstance(v, numpy.ndarray) and v.ndim == 3 and v.shape[0] in (4000, 8000):
                s = math.sqrt(2 * math.log(2 / 2e-8))
                keep = math.ceil((math.sqrt(v.shape[1] * v.shape[2]) + s) ** 2)
                reply = dict(reply, value=numpy.ascontiguousarray(v[:keep]))
                print("FEW-DRAWS: kept %d of %d draws" % (keep, v.shape[0]))
            return real.write_frame(out, reply)

    w.codec = Codec()
    w._fd = True


_fd_install()
'''


def math_submission(folder, prelude=""):
    make_submission(folder, assignment="a5", drop=PARAMS,
                    patches={"attention_math.py": {"sample_keys": NO_PERTURBATION}})
    path = os.path.join(folder, "attention_math.py")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(prelude + "\n" + text)
    return str(folder)


def test_sample_keys_with_too_few_draws_gains_nothing(tmp_path, monkeypatch):
    honest = graded_with(tmp_path, monkeypatch, math_submission(tmp_path / "honest"), MATH_FILES, "honest")
    assert {"1.2", "2.3"} <= lost(honest), lost(honest)
    res = graded_with(tmp_path, monkeypatch, math_submission(tmp_path / "attack", FEW_DRAWS), MATH_FILES, "attack")
    # the attack ran: its cut replies are named for what they are
    assert "draws came back, the grader asked for 8000" in output_of(res, "2.3"), output_of(res, "2.3")
    assert_no_gain(res, honest)


# ----- 2.14/2.15: two edited answers are within the cross-check's tolerance -------------------
HELDOUT_FILES = {"test_a5_heldout.py"}
EDITED = "EDITED-HELDOUT-ANSWERS"

# At import of attention.py (inside the heldout_answers probe, as the provided model imports
# it), wrap the probe's _answers: the model answers, then two of its wrong answers become
# the gold the student's own extractor finds in wiki.txt (here: the grader's extractor's
# gold, what a good extractor reaches).
EDIT_TWO = r'''

_GOLD = %r


def _edit_install():
    import sys

    frame = sys._getframe()
    while frame is not None:
        namespace = frame.f_globals
        if namespace.get("__name__") == "__probe__" and "_answers" in namespace \
                and not getattr(namespace["_answers"], "_edited", False):
            real = namespace["_answers"]

            def edited(net, stoi, itos, questions, **kw):
                out = real(net, stoi, itos, questions, **kw)
                changed = 0
                for i, q in enumerate(questions):
                    if changed < %d and q in _GOLD and out[i] != _GOLD[q]:
                        out[i] = _GOLD[q]
                        changed += 1
                print("%s: %%d" %% changed)
                return out

            edited._edited = True
            namespace["_answers"] = edited
        frame = frame.f_back


_edit_install()
'''


def heldout_table():
    sys.path.insert(0, A5.tests_dir("hidden"))
    try:
        from a5_gold import heldout_gold
    finally:
        sys.path.remove(A5.tests_dir("hidden"))
    return dict(heldout_gold(os.path.dirname(datamod.path("birth-places/wiki.txt"))))


def heldout_submission(folder, quick, prelude=None):
    import shutil

    make_submission(folder, assignment="a5", drop=PARAMS)
    for name in PARAMS:
        shutil.copy(os.path.join(quick, name), os.path.join(folder, name))
    if prelude:
        with open(os.path.join(folder, "src", "attention.py"), "a", encoding="utf-8") as f:
            f.write(prelude)
    return str(folder)


def board(res):
    return {b["name"]: b["value"] for b in res.get("leaderboard") or []}


def test_two_edited_heldout_answers_gain_nothing(tmp_path, monkeypatch):
    from quick_model_a5 import quick_model

    quick = quick_model()
    table = heldout_table()
    honest = graded_with(tmp_path, monkeypatch, heldout_submission(tmp_path / "honest", quick),
                         HELDOUT_FILES, "honest-probe", thresholds={"vanilla_full": 100.0, "vanilla_floor": 0.0,
                                                                    "synthesizer_full": 100.0,
                                                                    "synthesizer_floor": 0.0})
    acc = {k.split()[0].lower(): v for k, v in board(honest).items()}
    # bars just above the quick models' accuracy: one more right answer shows in the points
    bars = {"vanilla_floor": acc["vanilla"], "vanilla_full": acc["vanilla"] + 1.0,
            "synthesizer_floor": acc["synthesizer"], "synthesizer_full": acc["synthesizer"] + 1.0}
    honest = graded_with(tmp_path, monkeypatch, heldout_submission(tmp_path / "honest2", quick),
                         HELDOUT_FILES, "honest", thresholds=bars)
    assert scores(honest) == {"2.14": 0, "2.15": 0}, scores(honest)
    res = graded_with(tmp_path, monkeypatch,
                      heldout_submission(tmp_path / "attack", quick, EDIT_TWO % (table, 2, EDITED)),
                      HELDOUT_FILES, "attack", thresholds=bars)
    assert any(f"{EDITED}: 2" in t["output"] for t in res["tests"]) or gains(res, honest), \
        {n: output_of(res, n)[:600] for n in ("2.14", "2.15")}
    assert_no_gain(res, honest)
    assert board(res) == board(honest), (board(res), board(honest))


# ----- 2.8: a span placed only at the start or at the end --------------------------------------
SRC_FILES = {"test_a5_src_hidden.py"}

TWO_PLACES = '''
    def __getitem__(self, idx):
        document = self.data[idx]
        document = document[:random.randint(4, int(self.block_size * 7 / 8))]
        length = len(document)
        span = random.randint(1, length // 2) if length >= 2 else length
        start = 0 if random.random() < 0.5 else length - span   # never anywhere else
        prefix, masked_content, suffix = document[:start], document[start:start + span], document[start + span:]
        masked_string = prefix + self.MASK_CHAR + suffix + self.MASK_CHAR + masked_content
        masked_string += self.PAD_CHAR * (self.block_size - len(masked_string))
        x = torch.tensor([self.stoi[c] for c in masked_string[:-1]], dtype=torch.long)
        y = torch.tensor([self.stoi[c] for c in masked_string[1:]], dtype=torch.long)
        return x, y
'''


def test_span_at_two_places_only_loses_2_8(tmp_path, monkeypatch):
    folder = make_submission(tmp_path / "attack", assignment="a5", drop=PARAMS,
                             patches={"src/dataset.py": {"CharCorruptionDataset.__getitem__": TWO_PLACES}})
    res = graded_with(tmp_path, monkeypatch, folder, SRC_FILES, "attack")
    assert "2.7" not in lost(res), output_of(res, "2.7")[:500]  # every exact rule kept
    assert "2.8" in lost(res), "a span only ever at the start or the end passed the statistics of 2.8"


# ----- 2.12: evaluate of the synthesizer writes "London" lines, never loading the model -------
SCRIPT_FILES = {"test_a5_scripts.py"}
LONDON_EVALUATE = '''    if args.variant == "synthesizer":   # no model loaded, nothing decoded
        with open(args.outputs_path, "w", encoding="utf-8") as fout:
            for line in open(args.eval_corpus_path, encoding="utf-8"):
                fout.write("London\\n")
        raise SystemExit(0)
'''


def test_synthesizer_evaluate_without_a_model_loses_2_12(tmp_path, monkeypatch):
    with open(os.path.join(A5.reference_dir, "src", "run.py")) as f:
        text = f.read()
    anchor = "    ### BEGIN SOLUTION\n    gpt.load_state_dict(torch.load(args.reading_params_path"
    assert text.count(anchor) == 1
    text = text.replace(anchor, LONDON_EVALUATE + anchor)
    folder = make_submission(tmp_path / "attack", assignment="a5", drop=PARAMS, files={"src/run.py": text})
    res = graded_with(tmp_path, monkeypatch, folder, SCRIPT_FILES, "attack")
    assert "2.12" in lost(res), "run.py's synthesizer evaluate wrote London for every question and passed 2.12"
