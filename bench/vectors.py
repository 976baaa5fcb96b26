"""Our SGNS trainer against gensim 4.4.0 at equal wall time (`make bench`; needs requirements-bench.txt).

Same corpus (wiki-en-10M), dim 100, window 5, 5 negatives, min_count 5, subsampling t, 2 cores
(gensim workers=2, torch 2 threads). gensim trains a fixed number of epochs; its training wall
time becomes our trainer's time budget. Both models are scored by OUR evaluation code, so the
protocol is identical: Google analogies over the top 30k words, WordSim-353 and SimLex-999
Spearman. Prints a markdown table and writes bench-results/vectors.json.

Run it alone on the machine: `flock /tmp/nlpgrade-cpu.lock python bench/vectors.py`.
"""
import argparse
import json
import os
import platform
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from autograder.vectors import KeyedVectors, corpus, evaluate, sgns  # noqa: E402

GOAL = 0.9  # our analogy accuracy must reach 90% of gensim's at equal wall time
GENSIM_ALPHA = 0.025  # gensim keeps its default learning rate; ours uses its own default


def train_gensim(token_lists, s, epochs):
    from gensim.models import Word2Vec

    model = Word2Vec(vector_size=s.dim, window=s.window, negative=s.negatives, min_count=s.min_count,
                     sample=s.sample, sg=1, hs=0, workers=2, seed=s.seed,
                     alpha=GENSIM_ALPHA)  # gensim's (and word2vec's) own default, its best-tuned setting
    started = time.perf_counter()
    model.build_vocab(token_lists)
    vocab_s = time.perf_counter() - started
    started = time.perf_counter()
    model.train(token_lists, total_examples=model.corpus_count, total_words=model.corpus_total_words,
                epochs=epochs)
    seconds = time.perf_counter() - started
    kv = KeyedVectors(model.wv.index_to_key, model.wv.vectors)
    return kv, {"train_seconds": round(seconds, 2), "vocab_seconds": round(vocab_s, 2), "epochs_done": epochs,
                "words_per_second": round(model.corpus_total_words * epochs / seconds),
                "train_vocab": len(kv)}


def train_ours(token_lists, s):
    started = time.perf_counter()
    enc = corpus.Corpus.encode(token_lists, corpus.Vocab.build(token_lists, min_count=s.min_count))
    vocab_s = time.perf_counter() - started
    vecs, stats = sgns.train(enc, s, progress=False)
    stats.update(vocab_seconds=round(vocab_s, 2), train_vocab=len(enc.vocab))
    return KeyedVectors(enc.vocab.words, vecs), stats


def row(name, stats, scores):
    a = scores["analogy"]
    return (f"| {name} | {stats['train_seconds']:.0f} | {stats['epochs_done']:.2f} | "
            f"{stats['words_per_second']:,} | {a['accuracy']:.4f} | {a['semantic']:.4f} | {a['syntactic']:.4f} | "
            f"{scores['wordsim353']['spearman']:.4f} | {scores['simlex999']['spearman']:.4f} |")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=5, help="gensim's epochs; they set the shared wall time")
    p.add_argument("--sample", type=float, default=sgns.Settings.sample, help="subsampling t for both")
    p.add_argument("--max-lines", type=int, default=None, help="only the first n paragraphs (a quick run)")
    p.add_argument("--out", default=os.path.join(ROOT, "bench-results", "vectors.json"))
    args = p.parse_args(argv)

    import gensim
    import numpy
    import torch

    corpus_path = corpus.default_corpus_path()
    started = time.perf_counter()
    token_lists = list(corpus.paragraphs(corpus_path, max_lines=args.max_lines))
    read_s = time.perf_counter() - started
    print(f"corpus: {sum(map(len, token_lists)):,} tokens in {len(token_lists):,} paragraphs, read in {read_s:.1f}s",
          flush=True)

    base = sgns.Settings(sample=args.sample)
    print(f"gensim {gensim.__version__}: {args.epochs} epochs ...", flush=True)
    g_kv, g_stats = train_gensim(token_lists, base, args.epochs)
    g_scores = evaluate.evaluate_all(g_kv)
    print(f"  {g_stats['train_seconds']:.0f}s; {evaluate.summary(g_scores)}", flush=True)

    budget = g_stats["train_seconds"]
    ours = sgns.Settings(sample=args.sample, epochs=10 ** 6, time_budget_s=budget)
    print(f"ours: {budget:.0f}s budget ...", flush=True)
    o_kv, o_stats = train_ours(token_lists, ours)
    o_scores = evaluate.evaluate_all(o_kv)
    print(f"  {o_stats['epochs_done']:.2f} epochs; {evaluate.summary(o_scores)}", flush=True)

    ratio = {
        "analogy": o_scores["analogy"]["accuracy"] / g_scores["analogy"]["accuracy"],
        "wordsim353": o_scores["wordsim353"]["spearman"] / g_scores["wordsim353"]["spearman"],
        "simlex999": o_scores["simlex999"]["spearman"] / g_scores["simlex999"]["spearman"],
        "words_per_second": o_stats["words_per_second"] / g_stats["words_per_second"],
    }
    ratio = {k: round(v, 3) for k, v in ratio.items()}
    print()
    print("| trainer | train s | epochs | words/s | analogy | semantic | syntactic | WS-353 | SimLex-999 |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(row(f"gensim {gensim.__version__} (workers=2)", g_stats, g_scores))
    print(row("ours (torch, 2 threads)", o_stats, o_scores))
    print(f"| ours / gensim | | | {ratio['words_per_second']:.2f} | {ratio['analogy']:.3f} | | | "
          f"{ratio['wordsim353']:.3f} | {ratio['simlex999']:.3f} |")
    met = ratio["analogy"] >= GOAL
    print(f"\ngoal (analogy >= {GOAL} x gensim at equal wall time): {'met' if met else 'NOT met'}")

    result = {
        "benchmark": "SGNS word vectors, ours vs gensim at equal wall time",
        "corpus": corpus.describe(corpus_path), "max_lines": args.max_lines,
        "shared_settings": {k: v for k, v in ours.to_dict().items()
                            if k in ("dim", "window", "negatives", "min_count", "sample", "seed")},
        "ours_settings": ours.to_dict(),
        "gensim": {"version": gensim.__version__, "workers": 2, "epochs": args.epochs, "alpha": GENSIM_ALPHA,
                   **g_stats, "scores": g_scores},
        "ours": {"threads": ours.threads, **o_stats, "scores": o_scores},
        "ratio_ours_over_gensim": ratio, "goal": {"analogy_ratio_at_least": GOAL, "met": met},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
                    "numpy": numpy.__version__},
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
