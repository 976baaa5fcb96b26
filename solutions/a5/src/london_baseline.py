"""The accuracy of a baseline that predicts "London" as everyone's birth place.

    python src/london_baseline.py birth_dev.tsv

prints "Correct: C out of T: P%" for the questions and answers in the given file (tab-separated,
as birth_dev.tsv), and writes the predictions, one a line, to --outputs_path when given.
"""
import argparse

import utils

argp = argparse.ArgumentParser()
argp.add_argument("eval_corpus_path", nargs="?", default="birth_dev.tsv",
                  help="Questions and answers, tab-separated (default: birth_dev.tsv)")
argp.add_argument("--outputs_path", default=None, help="Where to write the predictions, if anywhere")
args = argp.parse_args()

# Predict "London" for every question of args.eval_corpus_path, score the predictions with
# utils.evaluate_places, and print the accuracy as run.py does. A few lines.
### BEGIN SOLUTION
with open(args.eval_corpus_path, encoding="utf-8") as f:
    predictions = ["London" for _ in f]
if args.outputs_path is not None:
    with open(args.outputs_path, "w", encoding="utf-8") as fout:
        fout.writelines(p + "\n" for p in predictions)
total, correct = utils.evaluate_places(args.eval_corpus_path, predictions)
if total > 0:
    print("Correct: {} out of {}: {}%".format(correct, total, correct / total * 100))
else:
    print("No answers in {}".format(args.eval_corpus_path))
### END SOLUTION
