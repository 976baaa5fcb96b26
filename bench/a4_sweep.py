#!/usr/bin/env python
"""Train several a4 configurations side by side and report dev/test BLEU (used on a GPU
machine to choose the reference's CPU configuration; see README, a4).

    python bench/a4_sweep.py OUT_DIR NAME="--opt val ..." [NAME="..." ...]

Each configuration trains in its own copy of solutions/a4 (run.py train, extra options
as given), then decodes test_2016_flickr, test_2017_flickr and test_2017_mscoco with
beam 5 and test_2016_flickr greedily. OUT_DIR gets NAME.json (the training log and the
test scores) and NAME.png (the curve).
"""
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from a4 import decode_test_sets  # noqa: E402


def run_one(name, options, out_dir):
    work = tempfile.mkdtemp(prefix="a4-%s-" % name)
    for f in os.listdir(os.path.join(ROOT, "solutions", "a4")):
        if f.endswith(".py"):
            shutil.copy(os.path.join(ROOT, "solutions", "a4", f), work)
    log = open(os.path.join(out_dir, name + ".log"), "w")
    cmd = [sys.executable, "run.py", "train"] + shlex.split(options)
    return subprocess.Popen(cmd, cwd=work, stdout=log, stderr=subprocess.STDOUT), work, options


def evaluate(name, work, options, out_dir):
    result = {"options": options}
    if os.path.exists(os.path.join(work, "training_log.json")):
        result["log"] = json.load(open(os.path.join(work, "training_log.json")))
    if os.path.exists(os.path.join(work, "training_curve.png")):
        shutil.copy(os.path.join(work, "training_curve.png"), os.path.join(out_dir, name + ".png"))
    # models over the grader's 100 MB cap (the course size) are decoded here all the same
    result.update(decode_test_sets(work, cuda="--cuda" in options, size_cap=False))
    json.dump(result, open(os.path.join(out_dir, name + ".json"), "w"), indent=1)
    return result


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    runs = {}
    for arg in sys.argv[2:]:
        name, options = arg.split("=", 1)
        runs[name] = run_one(name, options, out_dir)
    from concurrent.futures import ThreadPoolExecutor

    def finish(name):
        proc, work, options = runs[name]
        proc.wait()
        return name, options, evaluate(name, work, options, out_dir)

    with ThreadPoolExecutor(len(runs)) as pool:
        finished = list(pool.map(finish, runs))
    for name, options, result in finished:
        best = max((v["dev_bleu"] for v in result.get("log", {}).get("valid", [])), default=None)
        print(name, options, "best dev", best, {k: v for k, v in result.items() if k.startswith("test")}, flush=True)


if __name__ == "__main__":
    main()
