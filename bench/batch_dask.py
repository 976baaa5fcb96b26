"""Throughput of `nlpgrade batch --scheduler`: the Dask path with two local workers
against the local path, `--jobs 2`, on the same N copies of a reference.

    .venv/bin/python bench/batch_dask.py [--assignment a2] [--copies 50] [--public-only]

Builds an export of N copies of the assignment's reference, grades it with --jobs 2, then
starts a `dask scheduler` and two `dask worker --nthreads 1` on 127.0.0.1 and grades a
second copy of the export through them (the cluster's start is not counted). Prints a
markdown row and writes bench-results/batch_dask-<assignment>.json.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gradescope  # noqa: E402  (the reference folders it grades: weights and models included)
from batch import build_export, run_batch  # noqa: E402

DASK = os.path.join(os.path.dirname(sys.executable), "dask")


def start_cluster(folder):
    """A scheduler and two one-thread workers; returns (address, processes)."""
    scheduler_file = os.path.join(folder, "scheduler.json")
    procs = []

    def start(*args):
        log = open(os.path.join(folder, f"{len(procs)}.log"), "wb")
        procs.append(subprocess.Popen([DASK, *args], cwd=folder, stdout=log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True))

    start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
          "--scheduler-file", scheduler_file)
    for name in ("w1", "w2"):
        start("worker", "--scheduler-file", scheduler_file, "--nthreads", "1", "--no-dashboard",
              "--name", name)
    from distributed import Client
    deadline = time.monotonic() + 120
    while not os.path.exists(scheduler_file):
        if time.monotonic() > deadline:
            sys.exit("the Dask scheduler did not start")
        time.sleep(0.2)
    with Client(scheduler_file=scheduler_file, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=120)
        address = client.scheduler.address
    return address, procs


def stop_cluster(procs):
    for proc in reversed(procs):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--assignment", default="a2")
    parser.add_argument("--copies", type=int, default=50)
    parser.add_argument("--public-only", action="store_true")
    args = parser.parse_args()
    options = ["--public-only"] if args.public_only else []

    with tempfile.TemporaryDirectory(prefix="nlpgrade-bench-") as tmp:
        here, there = os.path.join(tmp, "here"), os.path.join(tmp, "there")
        reference, _ = gradescope.submission(args.assignment, tmp)  # with its weights or models
        build_export(here, args.copies, args.assignment, reference)
        build_export(there, args.copies, args.assignment, reference)
        local = run_batch(here, "--jobs", "2", *options, assignment=args.assignment)
        address, procs = start_cluster(tmp)
        try:
            dask = run_batch(there, "--scheduler", address, *options, assignment=args.assignment)
        finally:
            stop_cluster(procs)

    report = {"machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
              "assignment": args.assignment, "copies": args.copies, "public_only": args.public_only,
              "local_jobs_2": local, "dask_two_workers": dask,
              "ratio": round(dask["seconds"] / local["seconds"], 2)}
    os.makedirs(os.path.join(ROOT, "bench-results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench-results", f"batch_dask-{args.assignment}.json"), "w") as f:
        json.dump(report, f, indent=2)

    n, what = args.copies, " --public-only" if args.public_only else ""
    print(f"| `nlpgrade batch {args.assignment}{what}`, {n} copies of the reference "
          f"({report['machine']}) | wall | submissions/minute | full marks |")
    print("|---|---|---|---|")
    for label, r in (("local, --jobs 2", local), ("Dask, 2 local workers", dask)):
        print(f"| {label} | {r['seconds']:.1f} s | {r['per_minute']:.1f} | {r['full_marks']}/{n} |")
    print(f"| Dask over local (wall) | {report['ratio']:.2f}x | | |")


if __name__ == "__main__":
    main()
