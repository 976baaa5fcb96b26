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
# YOUR CODE HERE
raise NotImplementedError
