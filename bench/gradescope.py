"""`make bench`, Gradescope's resources: does each assignment's grading fit?

For a1-a5: the released autograder zip grades the reference (a3 with the
weights `bench/a3.py` trained, else a quickly trained model; a4 with the model
`bench/a4.py` trained, data/a4-reference/model.bin and model.json; a5 with the two models
`bench/a5.py` trained) through `nlpgrade emulate`
twice: once with this machine's resources (measured in a cgroup with no real limit),
once under Gradescope's defaults (--gradescope-limits: 768 MB, 0.5 CPU, 10 min; --repeat N
times, the worst peak shown).

Fails (exit status 1) when a grading under the limits leaves less than HEADROOM of the
memory unused (process memory of the whole tree), is killed for memory, or fails a test
that passed with this machine's resources (a timing test that 0.5 CPU makes fail, say).
Where no cgroup can be made the limits are only measured, and it says so.

Prints a markdown table and writes bench-results/gradescope.json.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from autograder import cgroups  # noqa: E402
from autograder import config as configmod  # noqa: E402
from autograder.release import autograder_zip, write_zip  # noqa: E402

NLPGRADE = os.path.join(os.path.dirname(sys.executable), "nlpgrade")
HEADROOM = 0.25       # of the memory limit, left unused by the reference's grading
ASSIGNMENTS = ("a1", "a2", "a3", "a4", "a5")
A3_WEIGHTS = os.path.join(ROOT, "data", "a3-reference", "model.weights")
A4_MODEL = os.path.join(ROOT, "data", "a4-reference", "model.bin")
A5_MODELS = [os.path.join(ROOT, "data", "a5-reference", f"{v}.finetune.params") for v in ("vanilla", "synthesizer")]


def a3_weights(tmp, given=None):
    """The reference's trained weights, else a quick model (about a minute)."""
    if given:
        return given, given
    if os.path.isfile(A3_WEIGHTS):
        return A3_WEIGHTS, "trained by bench/a3.py"
    sys.path.insert(0, os.path.join(ROOT, "tests", "assignments", "a3"))
    from quick_model import train_quick_weights

    path = os.path.join(tmp, "model.weights")
    train_quick_weights(path)
    return path, "quick model (no data/a3-reference/model.weights: run bench/a3.py first)"


def submission(name, tmp, weights=None):
    folder = os.path.join(tmp, f"{name}-reference")
    shutil.copytree(configmod.load(name).reference_dir, folder,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    note = "reference"
    if name == "a3":
        weights, how = a3_weights(tmp, weights)
        shutil.copy(weights, os.path.join(folder, "model.weights"))
        note = f"reference, weights: {how}"
    if name == "a4":
        if not os.path.isfile(A4_MODEL):
            raise SystemExit(f"a4 needs the reference's trained model {A4_MODEL}: run bench/a4.py first")
        for f in ("model.bin", "model.json"):
            shutil.copy(os.path.join(os.path.dirname(A4_MODEL), f), os.path.join(folder, f))
        note = "reference, model trained by bench/a4.py"
    if name == "a5":
        missing = [m for m in A5_MODELS if not os.path.isfile(m)]
        if missing:
            raise SystemExit(f"a5 needs the reference's trained models {', '.join(missing)}: run bench/a5.py first")
        for m in A5_MODELS:
            shutil.copy(m, folder)
        note = "reference, models trained by bench/a5.py"
    return folder, note


def emulate(zip_path, folder, tmp, tag, memory_mb, cpus):
    usage_path = os.path.join(tmp, f"{tag}.usage.json")
    results_path = os.path.join(tmp, f"{tag}.results.json")
    proc = subprocess.run([NLPGRADE, "emulate", zip_path, folder, "--gradescope-limits",
                           "--memory-mb", str(memory_mb), "--cpus", str(cpus),
                           "--usage-json", usage_path, "--results", results_path],
                          capture_output=True, text=True)
    if not os.path.isfile(usage_path) or not os.path.isfile(results_path):
        raise SystemExit(f"{tag}: nlpgrade emulate failed (status {proc.returncode}):\n"
                         f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    with open(usage_path) as f:
        usage = json.load(f)
    with open(results_path) as f:
        res = json.load(f)
    failed = sorted(t["number"] for t in res["tests"] if t["score"] < t["max_score"])
    return {"usage": usage, "score": res["score"], "failed": failed}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS))
    p.add_argument("--memory-mb", type=int, default=cgroups.GRADESCOPE_MEMORY_MB)
    p.add_argument("--cpus", type=float, default=cgroups.GRADESCOPE_CPUS)
    p.add_argument("--a3-weights", metavar="FILE", help="a3's model.weights to grade with")
    p.add_argument("--repeat", type=int, default=1, metavar="N",
                   help="grade N times under the limits (false timing failures are rare)")
    args = p.parse_args(argv)
    out, problems = {}, []
    tmp = tempfile.mkdtemp(prefix="nlpgrade-bench-gradescope-")
    os.chmod(tmp, 0o755)
    try:
        for name in args.assignments:
            zip_path = write_zip(os.path.join(tmp, f"{name}-autograder.zip"),
                                 autograder_zip.entries(configmod.load(name)))
            folder, note = submission(name, tmp, args.a3_weights)
            free = emulate(zip_path, folder, tmp, f"{name}-free", 64 * 1024, os.cpu_count())
            runs = [emulate(zip_path, folder, tmp, f"{name}-limited-{i}", args.memory_mb, args.cpus)
                    for i in range(args.repeat)]
            limited = max(runs, key=lambda r: r["usage"]["process_peak_mb"])
            out[name] = {"submission": note, "machine": free, "gradescope": limited,
                         "repeats": [{"peak_mb": r["usage"]["process_peak_mb"], "wall_s": r["usage"]["wall_s"],
                                      "failed": r["failed"]} for r in runs]}
            u = limited["usage"]
            allowed = (1 - HEADROOM) * args.memory_mb
            if not u["enforced"]:
                print(f"{name}: limits not enforced ({u['why_not']}): measured only")
            if u["oom_kills"]:
                problems.append(f"{name}: {u['oom_kills']} process(es) killed at {args.memory_mb} MB")
            if u["process_peak_mb"] > allowed:
                problems.append(f"{name}: peak {u['process_peak_mb']:.0f} MB leaves less than "
                                f"{HEADROOM:.0%} of {args.memory_mb} MB (at most {allowed:.0f} MB)")
            for i, run in enumerate(runs):
                newly = sorted(set(run["failed"]) - set(free["failed"]))
                if newly:
                    problems.append(f"{name} (run {i + 1} of {len(runs)}): under the limits, tests "
                                    f"{', '.join(newly)} fail that pass with this machine's resources")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\n| assignment | peak MB (machine) | peak MB ({args.memory_mb} MB, {args.cpus:g} CPU) "
          "| with page cache | wall s (machine / limited) | CPU s (machine / limited) "
          "| OOM kills | score (machine / limited) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in out.items():
        f, g = r["machine"]["usage"], r["gradescope"]["usage"]
        cache = "-" if g["peak_mb"] is None else f"{g['peak_mb']:.0f}"
        cpu = lambda u: "?" if u["cpu_s"] is None else f"{u['cpu_s']:.1f}"  # noqa: E731
        print(f"| {name} | {f['process_peak_mb']:.0f} | {g['process_peak_mb']:.0f} | {cache} "
              f"| {f['wall_s']:.1f} / {g['wall_s']:.1f} | {cpu(f)} / {cpu(g)} "
              f"| {g['oom_kills'] if g['oom_kills'] is not None else '?'} "
              f"| {r['machine']['score']:g} / {r['gradescope']['score']:g} |")
    if args.repeat > 1:
        for name, r in out.items():
            walls = sorted(x["wall_s"] for x in r["repeats"])
            false = sum(1 for x in r["repeats"] if set(x["failed"]) - set(r["machine"]["failed"]))
            print(f"{name}: {len(walls)} runs under the limits, wall {walls[0]:.1f}-{walls[-1]:.1f} s, "
                  f"peak up to {max(x['peak_mb'] for x in r['repeats']):.0f} MB, {false} with a test "
                  "failing that passed with this machine's resources")
    os.makedirs(os.path.join(ROOT, "bench-results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench-results", "gradescope.json"), "w") as f:
        json.dump(out, f, indent=2)
    for line in problems:
        print(f"FAIL {line}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
