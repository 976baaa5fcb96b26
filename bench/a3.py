"""`make bench`, a3: train the reference parser and grade it.

1. `solutions/a3/run.py` on the full EWT training set (its defaults; the project's word
   vectors when data/vectors has them): training minutes, best dev UAS, test UAS with
   and without punctuation. The weights are kept in data/a3-reference/model.weights.
2. `nlpgrade grade a3 --hidden` on the reference with those weights: the score, the
   held-out UAS, and the seconds of the held-out UAS test (2.12) and of the whole run.

Prints a markdown table and writes bench-results/a3.json.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NLPGRADE = os.path.join(os.path.dirname(sys.executable), "nlpgrade")
REFERENCE = os.path.join(ROOT, "solutions", "a3")
WEIGHTS = os.path.join(ROOT, "data", "a3-reference", "model.weights")
CODE = ("parser_transitions.py", "parser_model.py", "run.py")


def train(extra_args):
    """Run the reference's run.py in a scratch copy; returns figures parsed from its output."""
    with tempfile.TemporaryDirectory() as tmp:
        work = os.path.join(tmp, "a3")
        shutil.copytree(REFERENCE, work, ignore=shutil.ignore_patterns("__pycache__", "results"))
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "run.py", "--output", "model.weights", *extra_args],
                              cwd=work, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        log = proc.stdout + proc.stderr
        os.makedirs(os.path.join(ROOT, "bench-results"), exist_ok=True)
        with open(os.path.join(ROOT, "bench-results", "a3-train.log"), "w") as f:
            f.write(log)
        if proc.returncode != 0:
            sys.exit(f"run.py failed:\n{log[-3000:]}")
        os.makedirs(os.path.dirname(WEIGHTS), exist_ok=True)
        shutil.copy(os.path.join(work, "model.weights"), WEIGHTS)
    dev = [float(x) for x in re.findall(r"- dev UAS: ([\d.]+)", log)]
    test = re.search(r"- test UAS: ([\d.]+) \(without punctuation: ([\d.]+)", log)
    minutes = re.search(r"training took ([\d.]+) minutes", log)
    skipped = re.search(r"skipped (\d+) of \d+ training sentences", log)
    vectors = re.search(r"(word vectors [^\n]*|random normal[^\n]*)", log)
    return {"wall_s": round(seconds, 1), "train_minutes": float(minutes.group(1)) if minutes else None,
            "epochs": len(dev), "dev_uas_per_epoch": dev, "best_dev_uas": max(dev) if dev else None,
            "test_uas": float(test.group(1)) if test else None,
            "test_uas_no_punct": float(test.group(2)) if test else None,
            "non_projective_skipped": int(skipped.group(1)) if skipped else None,
            "embeddings": vectors.group(1) if vectors else None}


def grade():
    """Grade the reference code with the trained weights, hidden tests included."""
    with tempfile.TemporaryDirectory() as tmp:
        sub = os.path.join(tmp, "sub")
        os.makedirs(sub)
        for name in CODE:
            shutil.copy(os.path.join(REFERENCE, name), sub)
        shutil.copy(WEIGHTS, sub)
        os.chmod(tmp, 0o755)
        results = os.path.join(tmp, "results.json")
        started = time.perf_counter()
        subprocess.run([NLPGRADE, "grade", "a3", sub, "--hidden", "--results", results],
                       check=True, capture_output=True)
        seconds = time.perf_counter() - started
        with open(results) as f:
            res = json.load(f)
    heldout = next(t for t in res["tests"] if t["number"] == "2.12")
    return {"whole_run_s": round(seconds, 1), "score": res["score"],
            "max_score": sum(t["max_score"] for t in res["tests"]),
            "heldout_uas": (res.get("leaderboard") or [{}])[0].get("value"),
            "heldout_test_s": heldout["extra_data"]["seconds"], "heldout_output": heldout["output"]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-training", action="store_true",
                    help="grade the weights already in data/a3-reference")
    ap.add_argument("run_args", nargs="*", help="extra arguments for run.py (after --)")
    args = ap.parse_args(argv)
    out = {"training": None if args.skip_training else train(args.run_args), "grading": grade()}
    with open(os.path.join(ROOT, "bench-results", "a3.json"), "w") as f:
        json.dump(out, f, indent=2)
    t, g = out["training"], out["grading"]
    print("| a3 measure | value |\n|---|---|")
    if t:
        print(f"| reference training (`run.py`, {t['epochs']} epochs, {t['embeddings']}) | "
              f"{t['train_minutes']} min |")
        print(f"| best dev UAS / test UAS (test without punctuation) | {t['best_dev_uas']} / "
              f"{t['test_uas']} ({t['test_uas_no_punct']}) |")
    print(f"| `nlpgrade grade a3 --hidden` on the reference | {g['score']}/{g['max_score']} in "
          f"{g['whole_run_s']} s; held-out UAS test {g['heldout_test_s']} s (UAS {g['heldout_uas']}) |")


if __name__ == "__main__":
    main()
