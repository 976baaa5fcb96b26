"""Hidden checks of a5's submitted models: held-out accuracy of vanilla.finetune.params
(2.14) and synthesizer.finetune.params (2.15).

The held-out questions are those of birth_test_inputs.tsv whose answer the grader's
extractor (a5_gold.py) finds confidently in wiki.txt. The questions go to the
submission's sandbox, which sends back only its answers (strings, and the weights its
model holds); the answers never leave this process, and the accuracy is computed here.
The answers are claims of the submission's process: the reference's model, holding the
weights the submission's model holds, answers every question too, and an answer counts
only where the two agree (so an answer edited after decoding, say one looked up in
wiki.txt, earns nothing); more than a few disagreements fail the test.
"""
import os
import re
import time

import numpy as np

from autograder import data
from autograder.harness import SubmissionTestCase, graded
from a5_gold import heldout_gold
from probes_a5_heldout import HELDOUT_HELPERS, heldout_answers, reference_answers

PARAMS = {"vanilla": "vanilla.finetune.params", "synthesizer": "synthesizer.finetune.params"}
BOARD = {"vanilla": "Vanilla accuracy % (held-out)", "synthesizer": "Synthesizer accuracy % (held-out)"}
MAX_PARAMS_MB = 60  # the weights come back in one 64 MiB message (the handout's model: 13 MB)
STEPS = 32  # the course's evaluate: utils.sample(model, x, 32, sample=False)
# how many of the reference's answers from the submitted weights may differ from the
# submission's (float rounding can flip a near tie): 1%, at least 2
MAY_DIFFER = 0.01


def how_to_train(variant):
    """How a student gets the file (also for instructors grading the reference folder)."""
    name = PARAMS[variant]
    return (f"pretrain and fine-tune the {variant} model with the handout's run.py commands (`python src/run.py "
            f"pretrain {variant} wiki.txt --writing_params_path {variant}.pretrain.params`, then `python "
            f"src/run.py finetune {variant} wiki.txt --reading_params_path {variant}.pretrain.params "
            f"--writing_params_path {name} --finetune_corpus_path birth_places_train.tsv`) and submit the "
            f"{name} it writes next to your code. (In the nlpgrade checkout, for the reference: `make bench` "
            f"trains one into data/a5-reference/; copy it into the folder you grade.)")


_GOLD = {}


def gold():
    """[(question, answer)] the grader holds (a5_gold.heldout_gold), read once."""
    if "pairs" not in _GOLD:
        _GOLD["pairs"] = heldout_gold(os.path.dirname(data.path("birth-places/wiki.txt")))
    return _GOLD["pairs"]


def model_sizes(state):
    """(vocab, n_embd, block_size, n_layer, synthesizer) of a state dict's shapes, or None."""
    tok, pos = state.get("tok_emb.weight"), state.get("pos_emb")
    if not (isinstance(tok, np.ndarray) and tok.ndim == 2 and isinstance(pos, np.ndarray) and pos.ndim == 3):
        return None
    layers = {int(m.group(1)) for m in (re.match(r"blocks\.(\d+)\.", k) for k in state) if m}
    return (int(tok.shape[0]), int(tok.shape[1]), int(pos.shape[1]), max(layers, default=-1) + 1,
            "blocks.0.attn.w1.weight" in state)


def parameter_shapes(vocab, d, block, layers, synthesizer):
    """{state_dict name: shape} of the provided GPT (head size 32; the causal masks, which
    are constants, left out)."""
    shapes = {"tok_emb.weight": (vocab, d), "pos_emb": (1, block, d)}
    for i in range(layers):
        p = f"blocks.{i}."
        for ln in ("ln1", "ln2"):
            shapes.update({p + ln + ".weight": (d,), p + ln + ".bias": (d,)})
        linears = ("w1", "value", "proj") if synthesizer else ("key", "query", "value", "proj")
        for name in linears:
            shapes.update({p + f"attn.{name}.weight": (d, d), p + f"attn.{name}.bias": (d,)})
        if synthesizer:
            shapes.update({p + "attn.w2": (d // max(1, d // 32), block - 1), p + "attn.b2": (block - 1,)})
        shapes.update({p + "mlp.0.weight": (4 * d, d), p + "mlp.0.bias": (4 * d,),
                       p + "mlp.2.weight": (d, 4 * d), p + "mlp.2.bias": (d,)})
    shapes.update({"ln_f.weight": (d,), "ln_f.bias": (d,), "head.weight": (vocab, d)})
    return shapes


class TestHeldout(SubmissionTestCase):
    longMessage = False  # our messages say what differs; unittest's diffs only bury them

    def answers(self, variant, questions):
        """(the submission's answers to `questions`, the weights its model holds), or a
        failure saying why there are none."""
        name = PARAMS[variant]
        what = f"answering {len(questions)} held-out questions with your {variant} model ({name})"
        reply = self.student.probe(heldout_answers, name, questions, variant, True, what=what,
                                   helpers=HELDOUT_HELPERS,
                                   timeout=max(60, min(400, self.student.budget.left() - 30)))
        if isinstance(reply, dict) and isinstance(reply.get("model_error"), str):
            self.fail(f"{name} could not be used: {reply['model_error'][:1500]}. To make it: {how_to_train(variant)}")
        answers = reply.get("answers") if isinstance(reply, dict) else None
        if not (isinstance(answers, list) and len(answers) == len(questions)
                and all(isinstance(a, str) for a in answers)):
            self.fail(f"{what}: wanted a list of {len(questions)} strings (one answer per question), got "
                      + (f"a list of {len(answers)}" if isinstance(answers, list) else type(reply).__name__))
        longest = max((len(a) for a in answers), default=0)
        if longest > STEPS:  # more than greedy decoding writes: not its output
            self.fail(f"{what}: an answer of {longest} characters came back; decoding writes at most {STEPS}")
        return answers, reply.get("state")

    def check_they_come_from_the_model(self, variant, questions, answers, state):
        """The reference's GPT holding the weights the submission's model holds answers every
        question; a correct model gives the same answers from the same weights. Returns the
        reference's answers (only answers both give count)."""
        name = PARAMS[variant]
        sizes = model_sizes(state) if isinstance(state, dict) else None
        wanted = parameter_shapes(*sizes) if sizes else {}
        if not (sizes and sizes[4] == (variant == "synthesizer") and set(state) == set(wanted)
                and all(isinstance(state[n], np.ndarray) and state[n].dtype.kind == "f"
                        and state[n].shape == shape for n, shape in wanted.items())):
            have = ", ".join(sorted(state)[:12]) if isinstance(state, dict) else type(state).__name__
            self.fail(f"your {variant} model does not hold the parameters of the provided GPT (tok_emb, pos_emb, "
                      f"blocks.N.ln1/attn/ln2/mlp.0/mlp.2, ln_f, head, of the shapes model.py gives them); it holds "
                      f"{have}. The grader checks answers against the handout's GPT holding your weights, so it "
                      f"needs that model. To make {name}: {how_to_train(variant)}")
        if not all(np.isfinite(v).all() for v in state.values()):
            self.fail(f"{name} holds NaN or infinite weights: the training diverged")
        want = self.reference_probe(reference_answers, state, questions, helpers=HELDOUT_HELPERS, timeout=300)
        differ = [i for i, (w, a) in enumerate(zip(want, answers)) if w != a]
        if len(differ) > max(2, MAY_DIFFER * len(questions)):
            i = differ[0]
            self.fail(f"the answers your submission returned are not what {name} gives: the handout's GPT (the "
                      f"grader's own code) holding your model's weights answers {len(differ)} of {len(questions)} "
                      f"held-out questions differently (e.g. {questions[i]!r}: yours "
                      f"{answers[i]!r}, the handout's model {want[i]!r}). A correct model gives the "
                      f"same answers from the same weights, so your attention computes something else (see the "
                      f"attention tests), or the answers do not come from the model; fix it, retrain, and "
                      f"submit the new {name}")
        self.note(f"{len(questions) - len(differ)} of {len(questions)} answers equal those of the handout's GPT "
                  "holding your weights" + (" (only those count)" if differ else ""))
        return want

    def heldout(self, variant, number, set_score, set_leaderboard_value):
        set_score(0)
        name = PARAMS[variant]
        path = os.path.join(self.student.workdir, name)
        if not os.path.isfile(path):
            self.fail(f"{name} is missing from your submission, so there is no {variant} model to answer the "
                      f"held-out questions with. To make it: {how_to_train(variant)}")
        megabytes = os.path.getsize(path) / 2**20
        if megabytes > MAX_PARAMS_MB:
            self.fail(f"{name} takes {megabytes:.0f} MB, over the {MAX_PARAMS_MB} MB a model may take (the "
                      f"handout's model saves about 13 MB): submit a smaller model. To make it: "
                      f"{how_to_train(variant)}")
        pairs = gold()
        questions = [q for q, _ in pairs]
        started = time.monotonic()
        answers, state = self.answers(variant, questions)
        seconds = time.monotonic() - started
        want = self.check_they_come_from_the_model(variant, questions, answers, state)
        del state
        correct = sum(a == w == g for a, w, (_, g) in zip(answers, want, pairs))
        accuracy = 100.0 * correct / len(pairs)
        full = float(self.config.thresholds[f"{variant}_full"])
        floor = float(self.config.thresholds[f"{variant}_floor"])
        points = self.config.points_for(number)
        share = min(1.0, max(0.0, (accuracy - floor) / (full - floor)))
        set_score(round(points * share, 2))
        set_leaderboard_value(round(accuracy, 2))
        empty = sum(not a for a in answers)
        self.note(f"{variant} accuracy on {len(pairs)} held-out questions: {accuracy:.2f}% ({correct} correct), "
                  f"answered by your model with greedy decoding as run.py's evaluate does (at most {STEPS} "
                  f"characters, up to the ⁇ it writes); full credit at {full:g}% or more, none at {floor:g}% or "
                  f"less: {points * share:.2f}/{points}"
                  + (f". {empty} of the answers are empty (the model writes ⁇ first)" if empty else ""))
        self.staff_note("seconds", round(seconds, 1))
        if share < 1.0:
            self.fail(f"held-out {variant} accuracy {accuracy:.2f}% is below the {full:g}% needed for full credit")

    @graded("2.14", partial=True, leaderboard=(BOARD["vanilla"], "desc"))
    def test_vanilla_heldout_accuracy(self, set_score=None, set_leaderboard_value=None):
        """vanilla.finetune.params: accuracy of its answers to held-out questions (pretrained, fine-tuned)"""
        self.heldout("vanilla", "2.14", set_score, set_leaderboard_value)

    @graded("2.15", partial=True, leaderboard=(BOARD["synthesizer"], "desc"))
    def test_synthesizer_heldout_accuracy(self, set_score=None, set_leaderboard_value=None):
        """synthesizer.finetune.params: accuracy of its answers to held-out questions (pretrained, fine-tuned)"""
        self.heldout("synthesizer", "2.15", set_score, set_leaderboard_value)
