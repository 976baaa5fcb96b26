"""`make bench`, a5: how good the held-out gold derived from wiki.txt is.

assignments/a5/tests/hidden/a5_gold.py answers "Where was X born?" from X's line in
wiki.txt, and only where it is confident. Measured here against the course's answers:
precision among the resolved questions and coverage (resolved / all) on birth_dev.tsv (500,
never used to design the patterns) and birth_places_train.tsv (2,000, used to design them);
coverage on birth_test_inputs.tsv (437, no answers exist); the seconds heldout_gold takes;
precision per pattern; a few wrong answers and unresolved questions from dev.

Prints a markdown table and writes bench-results/a5_gold.json.
"""
import collections
import importlib.util
import json
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from autograder import data as datamod  # noqa: E402

DATA = os.path.dirname(datamod.path("birth-places/wiki.txt"))
GOLD_PATH = os.path.join(ROOT, "assignments", "a5", "tests", "hidden", "a5_gold.py")


def load_gold():
    # Loaded by path: this file shares the hidden module's basename.
    spec = importlib.util.spec_from_file_location("a5_gold_hidden", GOLD_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_pairs(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as f:
        return [tuple(line.split("\t")) for line in f.read().split("\n") if line.strip()]


def measure(gold_mod, wiki_text, pairs):
    questions = [q for q, _ in pairs]
    gold = gold_mod.derive(wiki_text, questions)
    resolved = [(q, a, gold[q]) for q, a in pairs if q in gold]
    correct = sum(a == g for _, a, g in resolved)
    return {
        "questions": len(pairs),
        "resolved": len(resolved),
        "correct": correct,
        "precision": correct / len(resolved),
        "coverage": len(resolved) / len(pairs),
        "wrong": [(q, a, g) for q, a, g in resolved if a != g],
        "unresolved": [(q, a) for q, a in pairs if q not in gold],
    }


def per_rule(gold_mod, wiki_text, pairs):
    """{rule: [count, correct, kept]} over the questions with one line in wiki.txt."""
    exact, _ = gold_mod._index(wiki_text)
    rules = collections.defaultdict(lambda: [0, 0, False])
    for q, a in pairs:
        name = gold_mod.QUESTION.match(q).group(1)
        texts = exact.get(name, [])
        if len(texts) != 1:
            rules["several lines"][0] += 1
            continue
        answer, rule = gold_mod.extract(texts[0], name)
        row = rules[rule]
        row[0] += 1
        row[1] += answer == a
        row[2] = answer is not None and gold_mod.confident(rule)
    return dict(rules)


def main():
    gold_mod = load_gold()
    with open(os.path.join(DATA, "wiki.txt"), encoding="utf-8") as f:
        wiki_text = f.read()
    dev = measure(gold_mod, wiki_text, read_pairs("birth_dev.tsv"))
    train = measure(gold_mod, wiki_text, read_pairs("birth_places_train.tsv"))
    test_questions = gold_mod.read_questions(os.path.join(DATA, "birth_test_inputs.tsv"))

    times = []
    for _ in range(5):
        started = time.perf_counter()
        test_gold = gold_mod.heldout_gold(DATA)
        times.append(time.perf_counter() - started)
    seconds = statistics.median(times)

    print("| split | questions | resolved | coverage | precision (resolved) |")
    print("|---|---:|---:|---:|---:|")
    for name, m in (("dev (held out from the design)", dev), ("train (design)", train)):
        print(f"| {name} | {m['questions']} | {m['resolved']} | {m['coverage']:.1%} | "
              f"{m['precision']:.1%} ({m['correct']}/{m['resolved']}) |")
    print(f"| test (no answers) | {len(test_questions)} | {len(test_gold)} | "
          f"{len(test_gold) / len(test_questions):.1%} | - |")
    print(f"\nheldout_gold: {seconds * 1000:.0f} ms (median of 5, wiki.txt read included)")

    print("\nper pattern on train (rule/components: count, precision, kept):")
    rules = per_rule(gold_mod, wiki_text, read_pairs("birth_places_train.tsv"))
    for rule, (count, correct, kept) in sorted(rules.items(), key=lambda kv: -kv[1][0])[:16]:
        print(f"  {rule:24s} {count:5d}  {correct / count:6.1%}  {'kept' if kept else '-'}")

    print("\ndev, wrong answers (question, course's answer, derived):")
    for q, a, g in dev["wrong"][:8]:
        print(f"  {q}  course: {a}  derived: {g}")
    print("\ndev, unresolved (question, course's answer):")
    for q, a in dev["unresolved"][:8]:
        print(f"  {q}  course: {a}")

    os.makedirs(os.path.join(ROOT, "bench-results"), exist_ok=True)
    summary = {
        "dev": {k: v for k, v in dev.items() if k not in ("wrong", "unresolved")},
        "train": {k: v for k, v in train.items() if k not in ("wrong", "unresolved")},
        "test": {"questions": len(test_questions), "resolved": len(test_gold),
                 "coverage": len(test_gold) / len(test_questions)},
        "heldout_gold_s": seconds,
        "dev_wrong": dev["wrong"],
    }
    with open(os.path.join(ROOT, "bench-results", "a5_gold.json"), "w") as f:
        json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
