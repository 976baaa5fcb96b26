"""`make bench`, a5: train the reference GPTs on this machine's CPU and measure them.

For vanilla and synthesizer (at once by default, one torch thread each: two cores), in
data/a5-reference/ with the reference's src/ copied there, the 2021 command lines:
1. `run.py pretrain` on wiki.txt with run.py's settings (sized for one CPU core), kept
   unless --retrain: wall and CPU minutes, the loss curve;
2. `run.py finetune` from it on birth_places_train.tsv: minutes, loss;
3. `run.py evaluate` on birth_dev.tsv (dev accuracy) and on birth_test_inputs.tsv, scored
   against the held-out gold derived from wiki.txt (assignments/a5/tests/hidden/a5_gold.py);
4. the London baseline on both.
The models stay in data/a5-reference/ (vanilla.finetune.params, synthesizer.finetune.params,
logs); the loss curves go to bench/figures/a5-<variant>-<stage>.png. Prints a markdown
table and writes bench-results/a5.json (and data/a5-reference/results.json).

--course trains the course's configuration instead (COURSE below, as the handout tells a
student with a GPU to set it in run.py; the trainer uses a GPU when torch sees one), in
--work (default data/a5-course/), writing its results there and to
bench-results/a5-course.json; on the lent GPU machine:
    python bench/a5.py --course --work $OUT/a5-course
"""
import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "solutions", "a5", "src")
WORK = os.path.join(ROOT, "data", "a5-reference")
RESULTS = os.path.join(ROOT, "bench-results")
FIGURES = os.path.join(ROOT, "bench", "figures")
LABEL = "a5"  # of the results file and the figures ("a5-course" with --course)
GOLD_PATH = os.path.join(ROOT, "assignments", "a5", "tests", "hidden", "a5_gold.py")


# The 2021 course's settings (its run.py and handout): 4 layers, 8 heads, 256 dimensions,
# minGPT's dropout 0.1; pretraining 650 epochs of batches of 128 at 6e-3, the cosine over
# 200 epochs' tokens; fine-tuning as run.py's (the course's) already is.
COURSE = {
    "MODEL": "dict(n_layer=4, n_head=8, n_embd=256, embd_pdrop=0.1, resid_pdrop=0.1, attn_pdrop=0.1)",
    "PRETRAIN": "dict(max_epochs=650, batch_size=128, learning_rate=6e-3, lr_decay=True,\n"
                "                warmup_tokens=512 * 20, final_tokens_epochs=200)",
}


def set_course_settings(run_py):
    """Rewrite run.py's MODEL and PRETRAIN settings to COURSE's."""
    with open(run_py, encoding="utf-8") as f:
        text = f.read()
    for name, value in COURSE.items():
        text, n = re.subn(r"^%s = dict\((?:[^()]|\n)*?\)$" % name, "%s = %s" % (name, value), text, count=1,
                          flags=re.M)
        if n != 1:
            raise SystemExit(f"{run_py}: no {name} = dict(...) to set")
    with open(run_py, "w", encoding="utf-8") as f:
        f.write(text)


def data_dir():
    return os.path.join(os.environ.get("NLPGRADE_DATA_DIR") or os.path.join(ROOT, "data"), "birth-places")


def load_gold():
    spec = importlib.util.spec_from_file_location("a5_gold_for_bench", GOLD_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def step(variant, name, args, priority):
    """Run `python src/run.py ARGS` in WORK; (stdout, wall minutes, CPU minutes)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    log_path = os.path.join(WORK, f"{variant}.{name}.log")
    started = time.perf_counter()
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, *args], cwd=WORK, stdout=subprocess.PIPE,
                                stderr=log, text=True, env=env)
        if priority:  # a higher share of the CPU against other jobs (nice alone does not do it)
            try:
                with open(f"/proc/{proc.pid}/autogroup", "w") as f:
                    f.write("-15")
            except OSError:
                pass
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = (time.perf_counter() - started) / 60
    with open(log_path, "a") as log:
        log.write(out)
    if proc.returncode != 0:
        raise RuntimeError(f"{variant} {name} failed ({proc.returncode}); see {log_path}")
    return out, wall, (usage.ru_utime + usage.ru_stime) / 60


def loss_summary(params):
    with open(params + ".loss.json") as f:
        log = json.load(f)
    return {"epochs": len(log["epoch_loss"]), "first_loss": log["epoch_loss"][0],
            "last_loss": log["epoch_loss"][-1], "epoch_loss": log["epoch_loss"]}


def accuracy(predictions_path, pairs):
    with open(predictions_path, encoding="utf-8") as f:
        predicted = f.read().split("\n")
    correct = sum(1 for (_, answer), guess in zip(pairs, predicted) if guess == answer)
    return correct / len(pairs), correct


def train_and_measure(variant, retrain, priority, results):
    data = data_dir()
    wiki = os.path.join(data, "wiki.txt")
    r = {}
    pre = f"{variant}.pretrain.params"
    if retrain or not os.path.exists(os.path.join(WORK, pre)):
        _, r["pretrain_wall_min"], r["pretrain_cpu_min"] = step(
            variant, "pretrain", ["src/run.py", "pretrain", variant, wiki, "--writing_params_path", pre], priority)
        with open(os.path.join(WORK, pre + ".minutes.json"), "w") as f:
            json.dump({"wall": r["pretrain_wall_min"], "cpu": r["pretrain_cpu_min"]}, f)
    else:
        with open(os.path.join(WORK, pre + ".minutes.json")) as f:
            saved = json.load(f)
        r["pretrain_wall_min"], r["pretrain_cpu_min"] = saved["wall"], saved["cpu"]
        r["pretrain_reused"] = True
    r["pretrain"] = loss_summary(os.path.join(WORK, pre))
    fine = f"{variant}.finetune.params"
    _, r["finetune_wall_min"], r["finetune_cpu_min"] = step(
        variant, "finetune", ["src/run.py", "finetune", variant, wiki, "--reading_params_path", pre,
                              "--writing_params_path", fine, "--finetune_corpus_path",
                              os.path.join(data, "birth_places_train.tsv")], priority)
    r["finetune"] = loss_summary(os.path.join(WORK, fine))
    for split, path in [("dev", "birth_dev.tsv"), ("test", "birth_test_inputs.tsv")]:
        out, r[f"evaluate_{split}_wall_min"], _ = step(
            variant, f"evaluate-{split}", ["src/run.py", "evaluate", variant, wiki, "--reading_params_path", fine,
                                           "--eval_corpus_path", os.path.join(data, path),
                                           "--outputs_path", f"{variant}.{split}.predictions"], priority)
        if split == "dev":
            m = re.search(r"Correct: ([\d.]+) out of ([\d.]+)", out)
            r["dev_accuracy"] = float(m.group(1)) / float(m.group(2))
    for stage in ("pretrain", "finetune"):
        shutil.copy(os.path.join(WORK, f"{variant}.{stage}.params.loss.png"),
                    os.path.join(FIGURES, f"{LABEL}-{variant}-{stage}.png"))
    results[variant] = r


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", nargs="+", default=["vanilla", "synthesizer"])
    parser.add_argument("--retrain", action="store_true", help="pretrain again even if a pretrained model exists")
    parser.add_argument("--sequential", action="store_true", help="one variant after the other")
    parser.add_argument("--priority", action="store_true", help="raise the runs' CPU share (root, Linux)")
    parser.add_argument("--course", action="store_true", help="the course's configuration (a GPU's work)")
    parser.add_argument("--work", help="where to train (default data/a5-reference, data/a5-course with --course)")
    args = parser.parse_args()
    global WORK, LABEL
    WORK = os.path.abspath(args.work or (os.path.join(ROOT, "data", "a5-course") if args.course else WORK))
    LABEL = "a5-course" if args.course else "a5"
    os.makedirs(os.path.join(WORK, "src"), exist_ok=True)
    os.makedirs(RESULTS, exist_ok=True)
    for name in os.listdir(SRC):
        if name.endswith(".py"):
            shutil.copy(os.path.join(SRC, name), os.path.join(WORK, "src", name))
    if args.course:
        set_course_settings(os.path.join(WORK, "src", "run.py"))

    results, errors = {}, []

    def job(variant):
        try:
            train_and_measure(variant, args.retrain, args.priority, results)
        except Exception as e:  # report the other variant anyway
            errors.append(f"{variant}: {e}")

    threads = [threading.Thread(target=job, args=(v,)) for v in args.variants]
    for t in threads:
        t.start()
        if args.sequential:
            t.join()
    for t in threads:
        t.join()

    # held-out accuracy against the gold derived from wiki.txt, and the London baseline
    data = data_dir()
    gold = load_gold()
    with open(os.path.join(data, "birth_test_inputs.tsv"), encoding="utf-8") as f:
        questions = [line.rstrip("\n").split("\t")[0] for line in f if line.strip()]
    answers = dict(gold.heldout_gold(data))
    kept = [i for i, q in enumerate(questions) if q in answers]
    with open(os.path.join(data, "birth_dev.tsv"), encoding="utf-8") as f:
        dev = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    summary = {"heldout_questions": len(questions), "heldout_gold": len(kept),
               "london_dev": sum(a == "London" for _, a in dev) / len(dev),
               "london_heldout": sum(answers[questions[i]] == "London" for i in kept) / len(kept)}
    for variant, r in results.items():
        with open(os.path.join(WORK, f"{variant}.test.predictions"), encoding="utf-8") as f:
            predicted = f.read().split("\n")
        correct = sum(1 for i in kept if predicted[i] == answers[questions[i]])
        r["heldout_accuracy"], r["heldout_correct"] = correct / len(kept), correct
    out = {"summary": summary, "results": results, "errors": errors}
    for path in (os.path.join(WORK, "results.json"), os.path.join(RESULTS, LABEL + ".json")):
        with open(path, "w") as f:
            json.dump(out, f, indent=1)

    print("| variant | pretrain epochs | pretrain wall / CPU min | final loss | finetune min | dev acc | held-out acc |")
    print("|---|---|---|---|---|---|---|")
    for variant, r in results.items():
        cpu = "?" if r["pretrain_cpu_min"] is None else f"{r['pretrain_cpu_min']:.1f}"  # a run timed from its log
        print(f"| {variant} | {r['pretrain']['epochs']} | {r['pretrain_wall_min']:.1f} / {cpu} "
              f"| {r['pretrain']['last_loss']:.3f} | {r['finetune_wall_min']:.1f} | {100 * r['dev_accuracy']:.1f}% "
              f"| {100 * r['heldout_accuracy']:.1f}% ({r['heldout_correct']}/{len(kept)}) |")
    print(f"| London baseline | | | | | {100 * summary['london_dev']:.1f}% | {100 * summary['london_heldout']:.1f}% |")
    for e in errors:
        print("ERROR", e)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
