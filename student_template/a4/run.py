#!/usr/bin/env python
"""Train the German->English translator on Multi30k, or translate with a trained one.

    python vocab.py                      # once: src.model, tgt.model (subword vocabularies)
    python run.py train                  # trains, keeps the best model in model.bin (+ model.json)
    python run.py train --debug          # a small model on 1,000 sentences, a couple of minutes
    python run.py decode model.bin VAL_DE [VAL_EN] outputs/val.txt   # BLEU too when VAL_EN is given

Training prints the loss, and at each validation the dev perplexity and the dev BLEU
(sacrebleu on detokenised text, as the grader's); the model with the best dev BLEU is
kept. When the dev BLEU has not improved for --patience validations, the learning rate
is multiplied by --lr-decay and training restarts from the best model; after
--max-num-trial such restarts it stops (the course's schedule). A plot of the curves is
written to training_curve.png.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
from tqdm import tqdm

import model_io
from decoding import translate
from nmt_model import NMT
from utils import batch_iter, read_corpus
from vocab import build_vocab, data_file


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    t = sub.add_parser("train")
    t.add_argument("--train-src"), t.add_argument("--train-tgt")
    t.add_argument("--dev-src"), t.add_argument("--dev-tgt")
    t.add_argument("--vocab", help="unused: the vocabulary is built from the training text (vocab.py)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--embed-size", type=int, default=256)
    t.add_argument("--hidden-size", type=int, default=256)
    t.add_argument("--dropout", type=float, default=0.3)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--lr-decay", type=float, default=0.5)
    t.add_argument("--uniform-init", type=float, default=0.1)
    t.add_argument("--clip-grad", type=float, default=5.0)
    t.add_argument("--log-every", type=int, default=100)
    t.add_argument("--valid-niter", type=int, default=1000)
    t.add_argument("--patience", type=int, default=2)
    t.add_argument("--max-num-trial", type=int, default=3)
    t.add_argument("--max-epoch", type=int, default=30)
    t.add_argument("--max-minutes", type=float, default=None, help="stop training after this many minutes")
    t.add_argument("--beam-size", type=int, default=5, help="for the dev BLEU")
    t.add_argument("--save-to", default="model.bin")
    t.add_argument("--no-bucket", dest="bucket", action="store_false",
                   help="random batches (batch_iter) instead of batches of similar lengths")
    t.add_argument("--cuda", action="store_true")
    t.add_argument("--threads", type=int, default=None,
                   help="CPU threads (default: up to 2); 1 trains faster on a machine busy with other work")
    t.add_argument("--debug", action="store_true", help="1,000 training sentences, a small model")
    d = sub.add_parser("decode")
    d.add_argument("model_path"), d.add_argument("test_source_file")
    d.add_argument("files", nargs="+", metavar="[TEST_TARGET_FILE] OUTPUT_FILE")
    d.add_argument("--beam-size", type=int, default=5)
    d.add_argument("--max-decoding-time-step", type=int, default=70)
    d.add_argument("--cuda", action="store_true")
    return p.parse_args(argv)


def bleu(hypotheses, references):
    """sacrebleu's corpus BLEU (its defaults: cased, 13a tokenisation) on plain text."""
    import sacrebleu

    return sacrebleu.corpus_bleu(hypotheses, [references]).score


def read_lines(path):
    with open(path, encoding="utf8") as f:
        return [line.strip() for line in f]


def bucketed_batches(data, batch_size, rng):
    """Batches of pairs of similar source lengths, in random order: less padding than
    batch_iter's random batches (about half the time per epoch), the same pairs each epoch.
    Each batch is sorted by source length, longest first."""
    order = rng.permutation(len(data))
    order = sorted(order, key=lambda i: len(data[i][0]))  # stable: random among equal lengths
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    for b in rng.permutation(len(batches)):
        examples = sorted((data[i] for i in batches[b]), key=lambda e: len(e[0]), reverse=True)
        yield [e[0] for e in examples], [e[1] for e in examples]


def evaluate_ppl(model, dev_data, batch_size=64):
    """Perplexity of the model on dev_data (pairs of source and target pieces)."""
    was_training = model.training
    model.eval()
    cum_loss = cum_tgt_words = 0.0
    with torch.no_grad():
        for src_sents, tgt_sents in batch_iter(dev_data, batch_size):
            cum_loss += -model(src_sents, tgt_sents).sum().item()
            cum_tgt_words += sum(len(s[1:]) for s in tgt_sents)  # <s> is never predicted
    model.train(was_training)
    return math.exp(cum_loss / cum_tgt_words)


def plot_curve(log, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    if log["train"]:
        it, ppl = zip(*[(r["iter"], r["ppl"]) for r in log["train"]])
        ax[0].plot(it, ppl, label="train")
    if log["valid"]:
        it, ppl, b = zip(*[(r["iter"], r["dev_ppl"], r["dev_bleu"]) for r in log["valid"]])
        ax[0].plot(it, ppl, label="dev")
        ax[1].plot(it, b, marker="o")
    ax[0].set(xlabel="iteration", ylabel="perplexity", yscale="log", title="perplexity")
    ax[0].legend()
    ax[1].set(xlabel="iteration", ylabel="BLEU", title="dev BLEU (beam search)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def train(args):
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    device = torch.device("cuda:0" if args.cuda else "cpu")
    train_src = args.train_src or data_file("train.de")
    train_tgt = args.train_tgt or data_file("train.en")
    vocab = build_vocab(train_src, train_tgt)  # src.model / tgt.model in this folder
    train_data = list(zip(read_corpus(train_src, "src"), read_corpus(train_tgt, "tgt")))
    dev_src_path = args.dev_src or data_file("val.de")
    dev_data = list(zip(read_corpus(dev_src_path, "src"), read_corpus(args.dev_tgt or data_file("val.en"), "tgt")))
    dev_refs = read_lines(args.dev_tgt or data_file("val.en"))
    if args.debug:
        train_data, dev_data, dev_refs = train_data[:1000], dev_data[:200], dev_refs[:200]
        args.embed_size = args.hidden_size = min(args.hidden_size, 64)
        args.max_epoch, args.valid_niter, args.log_every = min(args.max_epoch, 8), 50, 10

    model = NMT(embed_size=args.embed_size, hidden_size=args.hidden_size, dropout_rate=args.dropout, vocab=vocab)
    if abs(args.uniform_init) > 0.0:
        for p in model.parameters():
            p.data.uniform_(-args.uniform_init, args.uniform_init)
    for embedding in (model.model_embeddings.source, model.model_embeddings.target):
        if embedding.padding_idx is not None:  # the pad vector stays zero
            embedding.weight.data[embedding.padding_idx].zero_()
    model = model.to(device)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    print("%s; %d parameters; %d training pairs" % (vocab, sum(p.numel() for p in model.parameters()),
                                                   len(train_data)), file=sys.stderr)

    log = {"args": vars(args), "train": [], "valid": []}
    best_bleu, patience, num_trial, train_iter = -1.0, 0, 0, 0
    report_loss = report_words = 0.0
    start = time.time()
    out_of_time = False
    rng = np.random.default_rng(args.seed)
    for epoch in range(1, args.max_epoch + 1):
        n_batches = math.ceil(len(train_data) / args.batch_size)
        batches = (bucketed_batches(train_data, args.batch_size, rng) if args.bucket
                   else batch_iter(train_data, args.batch_size, shuffle=True))
        for src_sents, tgt_sents in tqdm(batches, total=n_batches,
                                         desc="epoch %d" % epoch, leave=False, file=sys.stderr):
            train_iter += 1
            optimizer.zero_grad()
            example_losses = -model(src_sents, tgt_sents)  # (b,)
            loss = example_losses.sum() / len(src_sents)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip_grad)
            optimizer.step()
            report_loss += example_losses.sum().item()
            report_words += sum(len(s[1:]) for s in tgt_sents)

            if train_iter % args.log_every == 0:
                ppl = math.exp(report_loss / report_words)
                log["train"].append({"iter": train_iter, "ppl": ppl, "minutes": (time.time() - start) / 60})
                tqdm.write("epoch %d, iter %d, train ppl %.2f, %.1f min" % (epoch, train_iter, ppl,
                                                                           (time.time() - start) / 60),
                           file=sys.stderr)
                report_loss = report_words = 0.0

            out_of_time = args.max_minutes is not None and time.time() - start > 60 * args.max_minutes
            if train_iter % args.valid_niter == 0 or out_of_time:
                dev_ppl = evaluate_ppl(model, dev_data)
                hyps = translate(model, [s for s, _ in dev_data], beam_size=args.beam_size)
                dev_bleu = bleu(hyps, dev_refs)
                minutes = (time.time() - start) / 60
                log["valid"].append({"iter": train_iter, "epoch": epoch, "dev_ppl": dev_ppl, "dev_bleu": dev_bleu,
                                     "minutes": minutes, "lr": optimizer.param_groups[0]["lr"]})
                tqdm.write("validation: iter %d, dev ppl %.2f, dev BLEU %.2f, %.1f min"
                           % (train_iter, dev_ppl, dev_bleu, minutes), file=sys.stderr)
                if dev_bleu > best_bleu:
                    best_bleu, patience = dev_bleu, 0
                    tqdm.write("save the best model so far to %s" % args.save_to, file=sys.stderr)
                    model.save(args.save_to)
                    torch.save(optimizer.state_dict(), args.save_to + ".optim")
                elif patience < args.patience:
                    patience += 1
                    if patience == args.patience:
                        num_trial += 1
                        if num_trial == args.max_num_trial:
                            tqdm.write("early stop", file=sys.stderr)
                            out_of_time = True
                        else:
                            lr = optimizer.param_groups[0]["lr"] * args.lr_decay
                            tqdm.write("load the best model so far, decay the learning rate to %g" % lr,
                                       file=sys.stderr)
                            # read as the grader reads it: our format or a 2021 NMT.save pickle
                            _, best_state, _ = model_io.read_model_file(args.save_to)
                            model.load_state_dict(best_state)
                            optimizer.load_state_dict(torch.load(args.save_to + ".optim", map_location=device,
                                                                 weights_only=True))
                            for group in optimizer.param_groups:
                                group["lr"] = lr
                            patience = 0
                with open("training_log.json", "w") as f:
                    json.dump(log, f, indent=1)
                plot_curve(log, "training_curve.png")
            if out_of_time:
                break
        if out_of_time:
            break
    if os.path.exists(args.save_to + ".optim"):
        os.remove(args.save_to + ".optim")
    print("best dev BLEU %.2f, %.1f minutes; the model is in %s" % (best_bleu, (time.time() - start) / 60,
                                                                    args.save_to), file=sys.stderr)
    return best_bleu


def decode(args):
    if len(args.files) > 2:
        sys.exit("decode takes MODEL_PATH TEST_SOURCE_FILE [TEST_TARGET_FILE] OUTPUT_FILE")
    target_file, output_file = (args.files if len(args.files) == 2 else (None, args.files[0]))
    device = torch.device("cuda:0" if args.cuda else "cpu")
    model = model_io.load_model(args.model_path, NMT).to(device)
    src_sents = read_corpus(args.test_source_file, "src")
    hyps = translate(model, src_sents, beam_size=args.beam_size, max_decoding_time_step=args.max_decoding_time_step)
    os.makedirs(os.path.dirname(os.path.abspath(output_file)), exist_ok=True)
    with open(output_file, "w", encoding="utf8") as f:
        for hyp in hyps:
            f.write(hyp + "\n")
    if target_file:
        import sacrebleu

        refs = [read_lines(target_file)]
        b, c = sacrebleu.BLEU(), sacrebleu.CHRF()
        score = b.corpus_score(hyps, refs)
        print("Corpus BLEU: %.2f (chrF %.2f; %s)" % (score.score, c.corpus_score(hyps, refs).score,
                                                     b.get_signature()), file=sys.stderr)


def main(argv=None):
    args = parse_args(argv)
    if not getattr(args, "cuda", False):
        torch.set_num_threads(getattr(args, "threads", None) or max(1, min(2, os.cpu_count() or 1)))
    if args.mode == "train":
        train(args)
    else:
        decode(args)


if __name__ == "__main__":
    main()
