"""`make bench`, a4: train the reference translator on this machine's CPU and grade it.

1. `solutions/a4/run.py train` (its defaults, capped at --minutes of training, 55 by
   default so that training and its validations end within 60) in data/a4-reference/:
   minutes, epochs, dev perplexity and dev BLEU at each validation, the curve
   (bench-results/a4-training_curve.png). The model stays in data/a4-reference/model.bin
   (+ model.json); an existing one is reused unless --retrain.
2. `run.py decode` of test_2016_flickr (beam 5 and greedy), test_2017_flickr and
   test_2017_mscoco (beam 5): sacrebleu BLEU and chrF.
3. `nlpgrade grade a4 --hidden` of the reference with that model: score, held-out BLEU,
   seconds (skipped with --no-grade).

Prints a markdown table and writes bench-results/a4.json.
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
REFERENCE = os.path.join(ROOT, "solutions", "a4")
WORK = os.path.join(ROOT, "data", "a4-reference")
RESULTS = os.path.join(ROOT, "bench-results")
TESTS = [("test_2016_flickr", 5), ("test_2016_flickr", 1), ("test_2017_flickr", 5), ("test_2017_mscoco", 5)]


def data_dir():
    return os.environ.get("NLPGRADE_DATA_DIR") or os.path.join(ROOT, "data")


def train(minutes, retrain, threads=None):
    os.makedirs(WORK, exist_ok=True)
    for f in os.listdir(REFERENCE):
        if f.endswith(".py"):
            shutil.copy(os.path.join(REFERENCE, f), WORK)
    if os.path.exists(os.path.join(WORK, "model.bin")) and not retrain:
        print("reusing", os.path.join(WORK, "model.bin"), file=sys.stderr)
    else:
        started = time.perf_counter()
        with open(os.path.join(RESULTS, "a4-train.log"), "w") as log:
            subprocess.run([sys.executable, "run.py", "train", "--max-minutes", str(minutes), "--valid-niter", "500"]
                           + (["--threads", str(threads)] if threads else []),
                           cwd=WORK, stdout=log, stderr=subprocess.STDOUT, check=True)
        with open(os.path.join(WORK, "wall_minutes.txt"), "w") as f:
            f.write("%.2f\n" % ((time.perf_counter() - started) / 60))
    shutil.copy(os.path.join(WORK, "training_curve.png"), os.path.join(RESULTS, "a4-training_curve.png"))
    with open(os.path.join(WORK, "training_log.json")) as f:
        log = json.load(f)
    with open(os.path.join(WORK, "wall_minutes.txt")) as f:
        wall = float(f.read())
    best = max(log["valid"], key=lambda v: v["dev_bleu"])
    return {"wall_minutes": wall, "validations": log["valid"], "best": best,
            "epochs": log["valid"][-1]["epoch"], "options": log["args"]}


def decode_test_sets(work, cuda=False, size_cap=True):
    """`run.py decode` of each of TESTS with the model in `work`: {"<test> beam <k>":
    {bleu, chrf, signature, seconds}}, or the error's last lines where it printed no BLEU.
    size_cap=False lifts the grader's 100 MB cap on model files (the course-size model)."""
    out = {}
    for test, beam in TESTS:
        raw = os.path.join(data_dir(), "multi30k-de-en", "raw", test)
        args = ["decode", "--beam-size", str(beam)] + (["--cuda"] if cuda else []) + [
            "model.bin", raw + ".de", raw + ".en", "outputs/%s.beam%d.txt" % (test, beam)]
        code = "import model_io, run; %srun.main(%r)" % ("" if size_cap else "model_io.MAX_MODEL_MB = 10 ** 6; ", args)
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", code], cwd=work, capture_output=True, text=True)
        m = re.search(r"Corpus BLEU: ([\d.]+) \(chrF ([\d.]+); (.*)\)", proc.stderr)
        out["%s beam %d" % (test, beam)] = {"bleu": float(m.group(1)), "chrf": float(m.group(2)),
                                            "signature": m.group(3), "seconds": time.perf_counter() - started} \
            if m else proc.stderr[-2000:]
    return out


def evaluate():
    out = decode_test_sets(WORK)
    failed = [v for v in out.values() if isinstance(v, str)]
    if failed:
        raise SystemExit(failed[0])
    return out


def grade():
    with tempfile.TemporaryDirectory() as tmp:
        sub = os.path.join(tmp, "a4")
        shutil.copytree(REFERENCE, sub, ignore=shutil.ignore_patterns("__pycache__", "*.model", "*.vocab",
                                                                       "vocab.json", "model.*"))
        for f in ("model.bin", "model.json"):
            shutil.copy(os.path.join(WORK, f), sub)
        results = os.path.join(tmp, "results.json")
        started = time.perf_counter()
        subprocess.run([NLPGRADE, "grade", "a4", sub, "--hidden", "--results", results], capture_output=True)
        seconds = time.perf_counter() - started
        with open(results) as f:
            res = json.load(f)
    board = {b["name"]: b["value"] for b in res.get("leaderboard", [])}
    return {"score": res["score"], "max_score": sum(t.get("max_score", 0) for t in res["tests"]),
            "seconds": seconds, "leaderboard": board}


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--minutes", type=float, default=55)
    p.add_argument("--retrain", action="store_true")
    p.add_argument("--no-grade", action="store_true")
    p.add_argument("--threads", type=int, help="torch threads for training (default: run.py's, up to 2)")
    args = p.parse_args(argv)
    os.makedirs(RESULTS, exist_ok=True)
    out = {"train": train(args.minutes, args.retrain, args.threads)}
    out["test"] = evaluate()
    if not args.no_grade:
        out["grade"] = grade()
    with open(os.path.join(RESULTS, "a4.json"), "w") as f:
        json.dump(out, f, indent=2)
    t, b = out["train"], out["train"]["best"]
    print("| a4 reference (CPU, 2 cores) | value |\n|---|---|")
    print("| training wall minutes (validations included) | %.1f |" % t["wall_minutes"])
    print("| epochs | %d |" % t["epochs"])
    print("| best dev BLEU / dev perplexity | %.2f / %.2f |" % (b["dev_bleu"], b["dev_ppl"]))
    for k, v in out["test"].items():
        print("| %s: BLEU (chrF) | %.2f (%.2f) |" % (k, v["bleu"], v["chrf"]))
    if "grade" in out:
        g = out["grade"]
        print("| nlpgrade grade a4 --hidden | %s/%s in %.1f s |" % (g["score"], g["max_score"], g["seconds"]))


if __name__ == "__main__":
    main()
