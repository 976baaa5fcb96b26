"""Throughput of `nlpgrade batch`: N copies of the a2 reference, --jobs 1 against --jobs 2.

    .venv/bin/python bench/batch.py [--copies 50]

Builds a Gradescope-style export (submission folders plus submission_metadata.yml) in a
temporary folder, regrades it with --jobs 1, then again with --jobs 2 --force, then once
more without --force (every submission skipped). Prints a markdown table and writes
bench-results/batch.json.
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from autograder import config as configmod  # noqa: E402


def build_export(folder, copies, assignment="a2", reference=None):
    """An export of `copies` copies of the student files of `reference` (default: the
    assignment's reference folder; bench/gradescope.submission gives one with a3's weights
    or a4/a5's models beside the code)."""
    cfg = configmod.load(assignment)
    reference = reference or cfg.reference_dir
    lines = []
    for i in range(copies):
        name = f"submission_{100000 + i}"
        for rel in cfg.student_files:
            os.makedirs(os.path.dirname(os.path.join(folder, name, rel)), exist_ok=True)
            shutil.copy(os.path.join(reference, rel), os.path.join(folder, name, rel))
        lines += [f"{name}:", "  :submitters:", f"  - :name: Student {i}", f"    :sid: '{i:05d}'",
                  f"    :email: s{i}@example.edu", "  :status: processed"]
    with open(os.path.join(folder, "submission_metadata.yml"), "w") as f:
        f.write("\n".join(lines) + "\n")


def load_average():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def run_batch(export, *options, assignment="a2"):
    load_before = load_average()  # other work on the machine skews the figures: keep a record
    cmd = [sys.executable, "-m", "autograder", "batch", assignment, export, *options]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    with open(os.path.join(export, "regrade.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    lost = {}  # test number -> copies of the reference that lost it (should stay empty)
    for row in rows:
        with open(os.path.join(export, "regrade.results", row["submission"] + ".json")) as f:
            for t in json.load(f)["tests"]:
                if t["score"] < t["max_score"]:
                    lost.setdefault(t["number"], []).append(t["output"].splitlines()[0][:200])
    return {"options": " ".join(options), "seconds": round(seconds, 2),
            "load_before": load_before, "load_after": load_average(),
            "per_minute": round(len(rows) / seconds * 60, 2),
            "ok": sum(r["status"] == "ok" for r in rows),
            "full_marks": sum(r["total"] == r["max"] for r in rows), "lost": lost,
            "median_row_s": sorted(float(r["seconds"]) for r in rows)[len(rows) // 2]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=50)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nlpgrade-bench-") as tmp:
        export = os.path.join(tmp, "export")
        build_export(export, args.copies)
        one = run_batch(export, "--jobs", "1")
        two = run_batch(export, "--jobs", "2", "--force")
        skip = run_batch(export, "--jobs", "2")

    report = {"machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
              "copies": args.copies, "jobs_1": one, "jobs_2": two, "rerun_skipping_all": skip,
              "speedup": round(one["seconds"] / two["seconds"], 2)}
    os.makedirs(os.path.join(ROOT, "bench-results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench-results", "batch.json"), "w") as f:
        json.dump(report, f, indent=2)

    n = args.copies
    print(f"| `nlpgrade batch a2`, {n} copies of the reference ({report['machine']}) "
          "| wall | submissions/minute | full marks |")
    print("|---|---|---|---|")
    for label, r in (("--jobs 1", one), ("--jobs 2 --force", two)):
        print(f"| {label} | {r['seconds']:.1f} s | {r['per_minute']:.1f} | {r['full_marks']}/{n} |")
    print(f"| rerun, all {n} skipped | {skip['seconds']:.1f} s | | |")
    print(f"| speed-up, --jobs 2 over --jobs 1 | {report['speedup']:.2f}x | | |")


if __name__ == "__main__":
    main()
