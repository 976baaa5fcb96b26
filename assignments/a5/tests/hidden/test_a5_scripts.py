"""Hidden checks of a5's scripts, run as the course ran them: run.py (2.12) with its
command lines (pretrain, finetune with and without a pretrained model, evaluate; vanilla
and synthesizer) and london_baseline.py (2.13), inside the sandbox, on small files the
grader draws (a few lines of wiki.txt as the pretraining corpus, a few question/answer
pairs as the fine-tuning and evaluation files), under the names the handout's commands use.

run.py trains with the provided trainer; in the sandbox it is a stand-in that records
what it was given and trains a few steps (probes_a5_scripts). Every verdict is made
here: the datasets and the model from the records, the params files read by the
reference (their weights must be the ones training left, and fine-tuning must start
from the pretrained weights), the predictions compared with the reference's decoding of
the same params, the London baseline's printed accuracy with the fraction computed here.
"""
import re

import numpy as np

from autograder import data
from autograder.harness import SubmissionTestCase, graded
from probes_a5_heldout import _built, _sizes, _src_on_path
from probes_a5_scripts import (_course_folder, _fingerprint, _recording_trainer, _run_script, _small_model,
                               reference_reads, run_commands, run_london)

MASK, PAD = "\u2047", "\u25a1"
CORPUS_LINES, FINETUNE_LINES, EVAL_LINES = 24, 16, 3
# the GPT run.py builds, whatever sizes it asks for (head size 32)
SMALL = {"n_layer": 2, "n_head": 2, "n_embd": 64}
SCRIPT_HELPERS = (_fingerprint, _recording_trainer, _small_model, _run_script, _course_folder)
READ_HELPERS = (_src_on_path, _sizes, _built, _fingerprint)
ATTENTION = {"vanilla": "CausalSelfAttention", "synthesizer": "SynthesizerAttention"}


def read_lines(name):
    with open(data.path("birth-places/" + name), encoding="utf-8") as f:
        return [line for line in f.read().split("\n") if line.strip()]


def command(*args):
    return " ".join(["python src/run.py", *args])


def same_weights(a, b):
    """Whether two fingerprints (probes_a5_scripts._fingerprint) are of the same weights."""
    if not isinstance(a, dict) or not isinstance(b, dict) or set(a) != set(b) or not a:
        return False
    return all(np.allclose(a[k], b[k], rtol=1e-9, atol=1e-9) for k in a)


class TestScripts(SubmissionTestCase):
    longMessage = False

    def small_files(self):
        """The grader's files: a pretraining corpus of a few wiki.txt lines (no trailing
        newline), and fine-tuning and evaluation pairs of birth_places_train.tsv whose
        characters the corpus has (run.py's vocabulary is the corpus's)."""
        wiki, pairs = read_lines("wiki.txt"), read_lines("birth_places_train.tsv")
        usable = [p for p in pairs if p.isascii() and p.count("\t") == 1]
        chosen = [usable[i] for i in self.rng.choice(len(usable), size=FINETUNE_LINES + EVAL_LINES, replace=False)]
        picked = set(self.rng.choice(len(wiki), size=CORPUS_LINES, replace=False).tolist())
        # a line of wiki.txt for each character of the pairs the drawn lines lack ("?" ...)
        for c in sorted(set("".join(chosen)) - {"\t"}):
            if not any(c in wiki[i] for i in picked):
                having = [i for i, line in enumerate(wiki) if c in line]
                picked.add(having[int(self.rng.integers(len(having)))])
        corpus = "\n".join(wiki[i] for i in sorted(picked))
        return corpus, chosen[:FINETUNE_LINES], chosen[FINETUNE_LINES:]

    def fail_run(self, run, why):
        self.fail(f"`{command(*run['argv'])}` {why}")

    def checked_run(self, run):
        if run["error"]:
            self.fail_run(run, f"failed: {run['error']}")
        return run["records"]

    def trained(self, run, dataset, variant, corpus_vocab, lines):
        """The record of the one training run.py's command asked for, checked: the
        dataset's type and documents, the model's vocabulary and attention."""
        records = self.checked_run(run)
        if not records:
            self.fail_run(run, "never trained: it must train with the provided trainer (trainer.Trainer(model, "
                               "dataset, None, config).train())")
        record = records[-1]
        if record["dataset"] != dataset:
            self.fail_run(run, f"trained on a {record['dataset']}; wanted a {dataset} of "
                               + ("the pretraining corpus" if dataset == "CharCorruptionDataset" else
                                  "the fine-tuning corpus (--finetune_corpus_path)"))
        documents = [d for d in record["data"] if d.strip()]
        if documents != [d for d in lines if d.strip()][:len(documents)] or len(documents) < min(len(lines), 200):
            self.fail_run(run, f"trained on a {dataset} whose documents are not the lines of the given file "
                               f"(first: {documents[:1]!r}, wanted {lines[:1]!r})")
        if record["model"] != "GPT" or record["vocab"] != corpus_vocab:
            self.fail_run(run, f"trained a {record['model']} of a vocabulary of {record['vocab']}; wanted the "
                               f"provided GPT over the pretraining corpus's vocabulary ({corpus_vocab} characters)")
        if record["attention"] != [ATTENTION[variant]]:
            self.fail_run(run, f"trained a GPT whose blocks use {', '.join(record['attention'])}; the {variant} "
                               f"model uses {ATTENTION[variant]} (GPTConfig(..., synthesizer="
                               f"{variant == 'synthesizer'}))")
        return record

    def check_saved(self, run, name, read, record):
        if read.get(name) is None:
            self.fail_run(run, f"wrote no {name} (--writing_params_path)")
        if "error" in read[name]:
            self.fail_run(run, f"wrote a {name} torch.load(..., weights_only=True) cannot read: "
                               f"{read[name]['error']}")
        if not same_weights(read[name]["fingerprint"], record["after"]):
            self.fail_run(run, f"wrote a {name} whose weights are not the ones training left: save "
                               f"model.state_dict() with torch.save after trainer.train()")

    @graded("2.12")
    def test_run_py_as_the_course_ran_it(self):
        """run.py: pretrain, finetune (with and without pretraining) and evaluate, vanilla and synthesizer"""
        corpus, finetune, evaluate = self.small_files()
        vocab = [PAD, MASK] + sorted(set(corpus))
        files = {"wiki.txt": corpus, "birth_places_train.tsv": "\n".join(finetune) + "\n",
                 "birth_dev.tsv": "\n".join(evaluate) + "\n"}
        questions = [line.split("\t")[0] for line in evaluate]
        notes = []
        for variant in ("vanilla", "synthesizer"):
            pre, fine, scratch = (f"{variant}.pretrain.params", f"{variant}.finetune.params",
                                  f"{variant}.nopretrain.params")
            predictions = f"{variant}.pretrain.dev.predictions"
            commands = [["pretrain", variant, "wiki.txt", "--writing_params_path", pre],
                        ["finetune", variant, "wiki.txt", "--reading_params_path", pre, "--writing_params_path", fine,
                         "--finetune_corpus_path", "birth_places_train.tsv"]]
            if variant == "vanilla":  # the course's "no pretraining" run
                commands.append(["finetune", variant, "wiki.txt", "--writing_params_path", scratch,
                                 "--finetune_corpus_path", "birth_places_train.tsv"])
            commands.append(["evaluate", variant, "wiki.txt", "--reading_params_path", fine, "--eval_corpus_path",
                             "birth_dev.tsv", "--outputs_path", predictions])
            outputs = [pre, fine, predictions] + ([scratch] if variant == "vanilla" else [])
            folder = f".a5-run-{variant}"
            reply = self.student.probe(run_commands, folder, files, commands, outputs, SMALL, helpers=SCRIPT_HELPERS,
                                       what=f"running run.py's {variant} commands on the grader's small files",
                                       timeout=max(60, min(300, self.student.budget.left() - 30)))
            if not (isinstance(reply, dict) and isinstance(reply.get("runs"), list)
                    and len(reply["runs"]) == len(commands) and isinstance(reply.get("files"), dict)):
                self.fail(f"running run.py's {variant} commands: the grader's runner did not come back with a "
                          "report of each command (did your code replace it?)")
            runs, written = reply["runs"], reply["files"]
            params = {n: written[n] for n in (pre, fine, scratch) if written.get(n) is not None}
            stoi = {c: i for i, c in enumerate(vocab)}
            read = self.reference_probe(reference_reads, params,
                                        {fine: {"questions": questions, "stoi": stoi,
                                                "itos": {str(i): c for i, c in enumerate(vocab)}}}
                                        if fine in params else {},
                                        helpers=READ_HELPERS, timeout=120)
            # pretrain
            record = self.trained(runs[0], "CharCorruptionDataset", variant, len(vocab), corpus.split("\n"))
            self.check_saved(runs[0], pre, read, record)
            pretrained = read[pre]["fingerprint"]
            # finetune from the pretrained model
            record = self.trained(runs[1], "NameDataset", variant, len(vocab), finetune)
            if not same_weights(record["before"], pretrained):
                self.fail_run(runs[1], f"did not start from the weights in {pre} (--reading_params_path): load them "
                                       "with model.load_state_dict(torch.load(args.reading_params_path)) before "
                                       "training")
            self.check_saved(runs[1], fine, read, record)
            # finetune without pretraining
            if variant == "vanilla":
                record = self.trained(runs[2], "NameDataset", variant, len(vocab), finetune)
                if same_weights(record["before"], pretrained):
                    self.fail_run(runs[2], "started from the pretrained weights although no --reading_params_path "
                                           "was given: without it, fine-tune a new model")
                self.check_saved(runs[2], scratch, read, record)
            # evaluate
            run = runs[-1]
            if self.checked_run(run):
                self.fail_run(run, "trained the model: evaluate only loads --reading_params_path and predicts")
            text = written.get(predictions)
            if text is None:
                self.fail_run(run, f"wrote no {predictions} (--outputs_path)")
            got = text.decode("utf-8", "replace").split("\n")
            got = got[:-1] if got and got[-1] == "" else got
            if len(got) != len(questions) or any(len(g) > 32 for g in got):
                self.fail_run(run, f"wrote {len(got)} lines to {predictions}; wanted one prediction (at most 32 "
                                   f"characters) for each of the {len(questions)} questions of birth_dev.tsv")
            # both variants: an evaluate that writes answers without its model loses here
            want = read[fine].get("predictions")
            if want is None:
                self.fail_run(runs[1], f"wrote a {fine} the provided GPT cannot hold: {read[fine].get('error')}")
            differ = [i for i, (g, w) in enumerate(zip(got, want)) if g != w]
            if differ:
                i = differ[0]
                self.fail_run(run, f"predicted {got[i]!r} for {questions[i]!r}; the provided GPT holding "
                                   f"{fine}, decoding greedily as the handout says (question + ⁇, "
                                   f"utils.sample(model, x, 32, sample=False), the text between the first and "
                                   f"second ⁇), predicts {want[i]!r} ({len(differ)} of {len(questions)} "
                                   "differ)")
            notes.append(f"{variant}: {len(runs)} commands ran")
        self.note("run.py pretrained on a CharCorruptionDataset of the given corpus, fine-tuned on a NameDataset "
                  "(from the pretrained weights, and from scratch without them), saved the trained weights, and "
                  "evaluate's predictions are the provided GPT's greedy answers (" + "; ".join(notes) + ")")

    @graded("2.13")
    def test_london_baseline(self):
        """london_baseline.py: prints the accuracy of answering "London" on the grader's birth_dev.tsv"""
        pairs = read_lines("birth_places_train.tsv") + read_lines("birth_dev.tsv")
        london = [p for p in pairs if p.endswith("\tLondon")]
        other = [p for p in pairs if not p.endswith("\tLondon")]
        total = int(self.rng.integers(30, 60))
        n_london = int(self.rng.integers(3, total // 2))
        lines = ([london[i] for i in self.rng.choice(len(london), n_london, replace=False)]
                 + [other[i] for i in self.rng.choice(len(other), total - n_london, replace=False)])
        lines = [lines[i] for i in self.rng.permutation(total)]
        text = "\n".join(lines) + "\n"
        files = {"birth_dev.tsv": text, "data/birth-places/birth_dev.tsv": text}
        reply = self.student.probe(run_london, ".a5-london", files, helpers=(_course_folder, _run_script),
                                   what="running `python src/london_baseline.py` on the grader's birth_dev.tsv",
                                   timeout=60)
        want = 100.0 * n_london / total
        if isinstance(reply, dict) and reply.get("error"):
            self.fail(f"`python src/london_baseline.py` (birth_dev.tsv holding the grader's {total} questions) "
                      f"failed: {reply['error']}")
        printed = reply.get("printed") if isinstance(reply, dict) else None
        printed = printed if isinstance(printed, str) else ""
        percents = [float(x) for x in re.findall(r"(\d+(?:\.\d+)?)\s*%", printed)]
        numbers = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", printed)]
        said = percents[-1] if percents else (numbers[-1] * (100 if numbers and numbers[-1] <= 1 else 1)
                                              if numbers else None)
        if said is None or abs(said - want) > 0.01 + 1e-9 * want:
            shown = printed.strip()[-300:] or "nothing"
            self.fail(f"`python src/london_baseline.py` on the grader's birth_dev.tsv ({n_london} of its {total} "
                      f"answers are London) printed {shown!r}; wanted the accuracy of predicting London for "
                      f"every question: {want:.2f}% (score the predictions with utils.evaluate_places on "
                      "the file)")
        self.note(f"london_baseline.py printed {said:.2f}% on the grader's file ({n_london} of {total} answers "
                  "London)")
