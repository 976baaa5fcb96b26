"""Hidden checks for a4 that need training or a trained model: a short training run of
the submission's NMT (2.11) and the BLEU of the submitted model.bin on held-out
sentences (2.12).

The held-out German sentences are read here, in the trusted process, and passed to the
submission's sandbox, which sends back only its translations (strings); the English
references never leave this process, and BLEU and chrF are computed here with sacrebleu.
"""
import os
import sys
import time

import numpy as np

from autograder import data
from autograder.checks import structure
from autograder.harness import SubmissionTestCase, graded
from a4_inputs import parameter_shapes, random_state
from probes_a4 import MODEL_HELPERS
from probes_a4_heldout import (HELDOUT_HELPERS, _pairs, heldout_translations, reference_translations, short_training,
                               training_losses)

RAW = "multi30k-de-en/raw/"
HELDOUT = "test_2016_flickr"
# staff only (config thresholds "staff_bleu"): not graded, never shown to students
STAFF_SETS = ("test_2017_flickr", "test_2017_mscoco")
MAX_MODEL_MB = 60  # as the provided model_io's MAX_MODEL_MB: the weights come back in one 64 MiB message
BEAM, MAX_STEPS = 5, 70
# the sample the reference translates from the submitted weights, and how many of its
# translations may differ from the submission's (float rounding can flip a near tie)
SAMPLE, MAY_DIFFER = 40, 2
SRC_VOCAB, TGT_VOCAB = 8000, 6000  # the provided vocab.py's SRC_VOCAB_SIZE, TGT_VOCAB_SIZE
MAX_CHARS = 4000  # of one translation: 70 pieces of the subword vocabulary are far fewer

# how a student gets a model.bin the grader can use (also for instructors grading the
# reference folder, which holds none until it is trained)
HOW_TO_TRAIN = ("run `python vocab.py` once, then `python run.py train` in your assignment folder (not "
                "--debug: its model is too small to translate), and submit the model.bin and model.json it "
                "saves next to your code. (In the nlpgrade checkout, for the reference: `make bench` trains "
                "one into data/a4-reference/; copy its model.bin and model.json into the folder you grade.)")

# 2.11: a model small enough to train in a second, on a task it can learn in a few steps
TRAIN_SIZES = {"embed": 12, "hidden": 16, "src_vocab": 24, "tgt_vocab": 22, "dropout": 0.2}
TRAIN_PAIRS, TRAIN_STEPS, TRAIN_LR, TRAIN_CLIP = 24, 25, 0.02, 5.0


def read_lines(name):
    with open(data.path(RAW + name), encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def bleu_and_chrf(hypotheses, references):
    """(BLEU, its sacrebleu signature, chrF) of the hypotheses, sacrebleu's defaults."""
    import sacrebleu

    bleu = sacrebleu.metrics.BLEU()
    score = bleu.corpus_score(hypotheses, [references])
    chrf = sacrebleu.metrics.CHRF().corpus_score(hypotheses, [references])
    return score.score, str(bleu.get_signature()), chrf.score


def piece_pairs(rng, n_pairs, sizes):
    """Sentence pairs of the tiny vocabulary (probes_a4.tiny_vocab's pieces): a source of
    3-9 pieces, and as its target each piece mapped by a fixed random permutation, in
    reverse order, between <s> and </s>: something attention can learn in a few steps."""
    n_src, n_tgt = sizes["src_vocab"] - 4, sizes["tgt_vocab"] - 4
    mapping = rng.permutation(n_src) % n_tgt
    pairs = []
    for _ in range(n_pairs):
        ids = rng.integers(n_src, size=int(rng.integers(3, 10)))
        pairs.append((["\u2581de%d" % i for i in ids],
                      ["<s>"] + ["\u2581en%d" % mapping[i] for i in ids[::-1]] + ["</s>"]))
    return pairs


class TestHeldout(SubmissionTestCase):
    longMessage = False  # our messages say what differs; unittest's diffs only bury them

    @graded("2.11")
    def test_short_training_run_lowers_the_loss(self):
        """NMT: a few Adam steps of your model (the provided training recipe) bring the loss down"""
        # The share of the starting loss training must remove, as a share so that it does
        # not depend on how far the random start happens to be. The weights to start from,
        # the pairs and the evaluation are the grader's (the reference's NMT computes the
        # loss): only the trained weights come from the submission.
        drop = float(self.config.thresholds.get("short_training_drop", 0.3))
        sizes = TRAIN_SIZES
        start = random_state(self.rng, sizes, scale=0.3)
        pairs = piece_pairs(self.rng, TRAIN_PAIRS, sizes)
        seed = int(self.rng.integers(1000))
        call = (f"{TRAIN_STEPS} steps of Adam (lr {TRAIN_LR:g}) on {TRAIN_PAIRS} sentence pairs, loss = "
                f"-model(src, tgt).sum() / batch size, gradient norm clipped to {TRAIN_CLIP:g}, from "
                f"NMT(embed_size={sizes['embed']}, hidden_size={sizes['hidden']}, dropout_rate="
                f"{sizes['dropout']}) holding the grader's weights")
        trained = self.student.probe(short_training, sizes, start, pairs, TRAIN_STEPS, TRAIN_LR, TRAIN_CLIP,
                                     seed, helpers=(*MODEL_HELPERS, _pairs), what=call, timeout=120)
        structure.check(trained, start, call, name="the model's state_dict after training")
        if not all(np.isfinite(v).all() for v in trained.values()):
            self.fail(f"{call}: the weights after training hold NaN or infinite values")
        before, after = self.reference_probe(training_losses, sizes, [start, trained], pairs,
                                             helpers=(*MODEL_HELPERS, _pairs))
        wanted = before * (1 - drop)
        if not after < wanted:
            self.fail(f"{call}: the loss per target piece of the weights it left, computed by the grader "
                      f"with the reference's NMT, went from {before:.3f} to {after:.3f}; wanted below "
                      f"{wanted:.3f} ({1 - drop:g} of where it started). Does the loss reach every "
                      "parameter (no .detach(), .data or torch.no_grad() in encode, decode or step)? (If "
                      "encode, decode or step fail their own tests, fix them first: the trained weights are "
                      "evaluated with the reference's code.)")
        self.note(f"loss per target piece of the weights training left, computed by the grader: "
                  f"{before:.3f} before, {after:.3f} after (wanted below {wanted:.3f})")

    def translations(self, sentences, timeout, with_state=False):
        """The submission's translations of `sentences` (checked: exactly one string each),
        or a failure saying why there are none; `with_state`: and the weights its model
        holds ({state_dict name: array}, unchecked)."""
        what = f"translating {len(sentences)} held-out German sentences with your NMT and model.bin"
        reply = self.student.probe(heldout_translations, sentences, BEAM, MAX_STEPS, with_state, what=what,
                                   helpers=HELDOUT_HELPERS,
                                   timeout=timeout)
        if isinstance(reply, dict) and isinstance(reply.get("model_error"), str):
            self.fail(f"model.bin could not be used: {reply['model_error'][:1500]}. To make one: {HOW_TO_TRAIN}")
        hypotheses = reply.get("hypotheses") if isinstance(reply, dict) else None
        if not (isinstance(hypotheses, list) and len(hypotheses) == len(sentences)
                and all(isinstance(h, str) for h in hypotheses)):
            kinds = sorted({type(h).__name__ for h in hypotheses}) if isinstance(hypotheses, list) else []
            self.fail(f"{what}: wanted a list of {len(sentences)} strings (one translation per sentence), got "
                      + (f"a list of {len(hypotheses)} ({', '.join(kinds) or 'empty'})"
                         if isinstance(hypotheses, list) else type(reply).__name__))
        longest = max((len(h) for h in hypotheses), default=0)
        if longest > MAX_CHARS:  # more than the provided search can write: not its output
            self.fail(f"{what}: a translation of {longest} characters came back; the provided beam search "
                      f"writes at most {MAX_STEPS} pieces (a few hundred characters)")
        return (hypotheses, reply.get("state")) if with_state else hypotheses

    def check_they_come_from_the_model(self, source, hypotheses, state):
        """The translations are claims of the submission's process (the German test set is
        public: a table of its English side would score 100). The reference's NMT, holding
        the weights the submission's model holds, translates a sample the grader picks;
        a correct NMT writes the same translations from the same weights."""
        wanted = parameter_shapes(self.model_sizes(state))
        if not (isinstance(state, dict) and set(state) == set(wanted)
                and all(isinstance(state[n], np.ndarray) and state[n].dtype.kind == "f"
                        and state[n].shape == shape for n, shape in wanted.items())):
            have = ", ".join(sorted(state)[:20]) if isinstance(state, dict) else type(state).__name__
            self.fail("model.bin does not hold the NMT the handout fixes (its state_dict names and shapes: "
                      f"{', '.join(f'{n} {s}' for n, s in list(wanted.items())[:6])}, ...); your model holds "
                      f"{have}. The grader checks translations against the handout's NMT holding your weights, "
                      f"so it needs that model. To make one: {HOW_TO_TRAIN}")
        if not all(np.isfinite(v).all() for v in state.values()):
            self.fail("model.bin holds NaN or infinite weights: the training diverged")
        sample = sorted(self.rng.choice(len(source), size=min(SAMPLE, len(source)), replace=False).tolist())
        want = self.reference_probe(reference_translations, state, [source[i] for i in sample], BEAM, MAX_STEPS,
                                    helpers=HELDOUT_HELPERS,
                                    timeout=240)
        differ = sum(want[j] != hypotheses[i] for j, i in enumerate(sample))
        if differ > MAY_DIFFER:
            self.fail(f"the translations your submission returned are not what your model.bin gives: the "
                      f"handout's NMT (the grader's own code) holding your model.bin's weights translates "
                      f"{differ} of {len(sample)} held-out sentences the grader picked differently. A correct NMT "
                      "gives the same translations from the same weights, so encode, decode or step compute "
                      "something else (see 2.2-2.4), or the translations do not come from the model; fix the "
                      "model, retrain, and submit the new model.bin")
        self.note(f"{len(sample) - differ} of {len(sample)} sampled translations equal those of the handout's "
                  "NMT holding your weights")

    def model_sizes(self, state):
        """The sizes of the NMT the weights `state` are for (embed and hidden from their
        shapes; the vocabularies the provided vocab.py builds)."""
        def dim(name, axis):
            value = state.get(name) if isinstance(state, dict) else None
            return int(value.shape[axis]) if isinstance(value, np.ndarray) and value.ndim == 2 else 1
        return {"embed": dim("model_embeddings.source.weight", 1), "hidden": dim("h_projection.weight", 0),
                "src_vocab": SRC_VOCAB, "tgt_vocab": TGT_VOCAB}

    @graded("2.12", partial=True, leaderboard=("BLEU (held-out)", "desc"))
    def test_heldout_bleu(self, set_score=None, set_leaderboard_value=None):
        """model.bin: BLEU of its translations of held-out sentences (beam search, beam 5)"""
        set_score(0)
        path = os.path.join(self.student.workdir, "model.bin")
        if not os.path.isfile(path):
            self.fail(f"model.bin is missing from your submission, so there is nothing to translate the "
                      f"held-out sentences with. To make one: {HOW_TO_TRAIN}")
        megabytes = os.path.getsize(path) / 2**20
        if megabytes > MAX_MODEL_MB:
            self.fail(f"model.bin takes {megabytes:.0f} MB, over the {MAX_MODEL_MB} MB a model may take (the "
                      "run.py defaults, embed and hidden size 256, save about 29 MB): submit a smaller model. "
                      f"To make one: {HOW_TO_TRAIN}")
        source, references = read_lines(HELDOUT + ".de"), read_lines(HELDOUT + ".en")
        started = time.monotonic()
        hypotheses, state = self.translations(source, timeout=max(60, min(400, self.student.budget.left() - 30)),
                                              with_state=True)
        seconds = time.monotonic() - started
        self.check_they_come_from_the_model(source, hypotheses, state)
        del state
        bleu, signature, chrf = bleu_and_chrf(hypotheses, references)
        full, floor = float(self.config.thresholds["bleu_full"]), float(self.config.thresholds["bleu_floor"])
        points = self.config.points_for("2.12")
        share = min(1.0, max(0.0, (bleu - floor) / (full - floor)))
        set_score(round(points * share, 2))
        set_leaderboard_value(round(bleu, 2))
        empty = sum(not h.strip() for h in hypotheses)
        self.note(f"BLEU on {len(source)} held-out sentences: {bleu:.2f} (chrF {chrf:.2f}; sacrebleu {signature}), "
                  f"translated by your NMT with the provided beam search (beam {BEAM}, at most {MAX_STEPS} "
                  f"pieces); full credit at {full:g} or more, none at {floor:g} or less: "
                  f"{points * share:.2f}/{points}"
                  + (f". {empty} of the translations are empty" if empty else ""))
        self.staff_bleu(seconds)
        if share < 1.0:
            self.fail(f"held-out BLEU {bleu:.2f} is below the {full:g} needed for full credit")

    def staff_bleu(self, seconds):
        """BLEU and chrF on the other test sets, for course staff only (config thresholds
        "staff_bleu"): never graded or shown to students (results.json extra_data["staff"]
        and stderr, the grader's log), and
        only when the grading's time allows another decode as long as the first."""
        if not self.config.thresholds.get("staff_bleu"):
            return
        sets = {name: (read_lines(name + ".de"), read_lines(name + ".en")) for name in STAFF_SETS}
        n = sum(len(s) for s, _ in sets.values())
        estimate = seconds * n / 1000 + 15
        line = None
        if self.student.budget.left() < 2 * estimate + 60:  # said to staff in extra_data too
            line = f"staff BLEU skipped: {estimate:.0f} s needed, {self.student.budget.left():.0f} s of the budget left"
        else:
            try:
                hypotheses = self.translations([s for s, _ in sets.values() for s in s],
                                               timeout=int(2 * estimate))
            except Exception as exc:  # staff data: it never changes the test's outcome
                line = f"staff BLEU failed: {str(exc)[:300]}"
        if line is None:
            parts, at = [], 0
            for name, (src, ref) in sets.items():
                bleu, _, chrf = bleu_and_chrf(hypotheses[at:at + len(src)], ref)
                at += len(src)
                self.staff_note(name, {"bleu": round(bleu, 2), "chrf": round(chrf, 2)})
                parts.append(f"{name} BLEU {bleu:.2f} chrF {chrf:.2f}")
            line = "staff BLEU: " + "; ".join(parts)
        else:
            self.staff_note("staff_bleu", line)
        print(f"nlpgrade a4: {line}", file=sys.stderr)
