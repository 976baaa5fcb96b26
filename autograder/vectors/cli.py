"""`nlpgrade vectors`: train the standard vectors, or score any word2vec file.

    nlpgrade vectors train                  # the standard file data/vectors/wiki-sgns-100d.bin
    nlpgrade vectors evaluate FILE          # (or: nlpgrade vectors --evaluate FILE)
"""
import argparse
import json
import os
import platform
import sys
import tempfile
import time

from .. import data
from . import corpus as corpusmod
from . import default_vectors_path, evaluate, sgns
from .keyed import KeyedVectors


def _write_atomic(path, write):
    """write(tmp_path), then move into place: a killed run never leaves half a file."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".vectors-")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def train_and_save(settings, corpus_path, out_path, text=False, evaluate_with=True, data_dir=None,
                   progress=True, log=print):
    """Train, write `out_path` (binary word2vec) and its .json sidecar; returns the sidecar dict."""
    started = time.perf_counter()
    corpus = corpusmod.load(corpus_path, min_count=settings.min_count)
    load_s = time.perf_counter() - started
    log(f"vectors: corpus {corpus.raw_tokens:,} tokens, {len(corpus.vocab):,} words with count >= "
        f"{settings.min_count} ({load_s:.1f}s)")
    vecs, stats = sgns.train(corpus, settings, progress=progress)
    n = min(settings.max_vocab or len(vecs), len(vecs))
    kv = KeyedVectors(corpus.vocab.words[:n], vecs[:n])
    _write_atomic(out_path, lambda p: kv.save_word2vec_format(p, binary=True))
    if text:
        _write_atomic(os.path.splitext(out_path)[0] + ".txt", lambda p: kv.save_word2vec_format(p, binary=False))
    import numpy
    import torch

    meta = {
        "file": os.path.basename(out_path),
        "format": "word2vec binary (float32 little-endian)",
        "words": n,
        "dim": settings.dim,
        "settings": settings.to_dict(),
        "seed": settings.seed,
        "corpus": corpusmod.describe(corpus_path),
        "corpus_tokens": corpus.raw_tokens,
        "train_vocab": len(corpus.vocab),
        "load_seconds": round(load_s, 2),
        **stats,
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "numpy": numpy.__version__},
    }
    if evaluate_with:
        meta["evaluation"] = evaluate.evaluate_all(kv, data_dir)
        log("vectors: " + evaluate.summary(meta["evaluation"]))
    sidecar = os.path.splitext(out_path)[0] + ".json"
    _write_atomic(sidecar, lambda p: open(p, "w").write(json.dumps(meta, indent=2) + "\n"))
    log(f"vectors: wrote {out_path} ({os.path.getsize(out_path) / 1e6:.1f} MB, {n:,} x {settings.dim}) "
        f"in {stats['train_seconds']:.0f}s of training, {stats['words_per_second']:,} words/s; "
        f"settings and scores in {sidecar}")
    return meta


def _train_parser(p):
    d = sgns.Settings()
    p.add_argument("--dim", type=int, default=d.dim)
    p.add_argument("--window", type=int, default=d.window)
    p.add_argument("--negatives", type=int, default=d.negatives)
    p.add_argument("--min-count", type=int, default=d.min_count)
    p.add_argument("--max-vocab", type=int, default=d.max_vocab, help="words written out (most frequent first)")
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--sample", type=float, default=d.sample, help="subsampling threshold t")
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--batch", type=int, default=d.batch)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--threads", type=int, default=d.threads)
    p.add_argument("--time-budget", type=float, default=None, metavar="SECONDS",
                   help="stop after this much training, with the lr decay spread over it "
                        "(then the result depends on the machine's speed)")
    p.add_argument("--corpus", default=None, help=f"default: the data folder's {corpusmod.CORPUS}")
    p.add_argument("--out", default=None, help="default: data/vectors/wiki-sgns-<dim>d.bin")
    p.add_argument("--text", action="store_true", help="also write the text format (.txt)")
    p.add_argument("--no-eval", action="store_true", help="skip scoring on the evaluation sets")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _settings(args):
    return sgns.Settings(dim=args.dim, window=args.window, negatives=args.negatives,
                         min_count=args.min_count, max_vocab=args.max_vocab, epochs=args.epochs,
                         sample=args.sample, lr=args.lr, batch=args.batch, seed=args.seed,
                         threads=args.threads, time_budget_s=args.time_budget)


def cmd_train(args):
    settings = _settings(args)
    corpus_path = args.corpus or corpusmod.default_corpus_path(args.data_dir)
    out = args.out or default_vectors_path(args.data_dir, settings.dim)
    train_and_save(settings, corpus_path, out, text=args.text, evaluate_with=not args.no_eval,
                   data_dir=args.data_dir, progress=not args.quiet)
    return 0


def cmd_evaluate(args):
    if not os.path.isfile(args.path):
        print(f"nlpgrade vectors: {args.path} does not exist", file=sys.stderr)
        return 1
    kv = KeyedVectors.load_word2vec_format(args.path, limit=args.limit)
    scores = evaluate.evaluate_all(kv, args.data_dir, restrict_vocab=args.restrict_vocab)
    if args.json:
        print(json.dumps(scores, indent=2))
    else:
        print(f"{args.path}: {len(kv):,} x {kv.vector_size}")
        print(evaluate.summary(scores))
    return 0


def _eval_options(p, default):
    p.add_argument("--restrict-vocab", type=int, default=default or 30000,
                   help="analogy vocabulary: the n most frequent words (default 30000)")
    p.add_argument("--limit", type=int, default=default, help="read only the first n vectors")
    p.add_argument("--json", action="store_true", default=default, help="print the scores as JSON")


def build_parser():
    p = argparse.ArgumentParser(prog="nlpgrade vectors",
                                description="Train SGNS word vectors on the Wikipedia corpus, or score a "
                                            "word2vec file. Never downloads.")
    p.add_argument("--data-dir", default=None, help=f"data folder (default {data.DEFAULT_DATA_DIR})")
    p.add_argument("--evaluate", metavar="PATH", default=None, help="same as `evaluate PATH`")
    _eval_options(p, None)
    sub = p.add_subparsers(dest="command")
    t = sub.add_parser("train", help="train and write data/vectors/wiki-sgns-<dim>d.bin + .json")
    _train_parser(t)
    t.set_defaults(func=cmd_train)
    e = sub.add_parser("evaluate", help="analogy, WordSim-353 and SimLex-999 scores of a word2vec file")
    e.add_argument("path")
    e.set_defaults(func=cmd_evaluate)
    # Options given after the subcommand; SUPPRESS keeps those given before it.
    for q in (t, e):
        q.add_argument("--data-dir", default=argparse.SUPPRESS, help="data folder")
    _eval_options(e, argparse.SUPPRESS)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.evaluate and not args.command:
        args.path, args.func = args.evaluate, cmd_evaluate
    if not hasattr(args, "func"):
        build_parser().print_help(sys.stderr)
        return 2
    try:
        return args.func(args)
    except data.DataError as exc:
        print(f"nlpgrade vectors: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
