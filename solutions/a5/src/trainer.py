"""Training loop (after minGPT's), as the 2021 assignment provides it.

TrainerConfig(**kwargs) overrides the defaults below; Trainer(model, train_dataset,
test_dataset, config).train() trains with AdamW (on a GPU when torch sees one, else on the
CPU; the state dict saved is the same either way), an optional linear warm-up and
cosine decay of the learning rate (counted in tokens), a tqdm progress bar, and saves the
model's state dict to ckpt_path after every epoch, with a plot of the training loss beside
it (ckpt_path + ".loss.png") and the losses themselves (ckpt_path + ".loss.json").

The environment variable NLPGRADE_A5_MAX_EPOCHS, when set, caps max_epochs: the grader runs
run.py on small data with it, and so can you to try your code quickly.
"""
import json
import math
import os
import random
import time

import torch
from torch.utils.data.dataloader import DataLoader
from tqdm import tqdm


class TrainerConfig:
    # optimisation
    max_epochs = 10
    batch_size = 64
    learning_rate = 3e-4
    betas = (0.9, 0.95)
    grad_norm_clip = 1.0
    weight_decay = 0.1  # applied to weight matrices only
    # learning-rate schedule: linear warm-up over warmup_tokens, then cosine decay down to
    # 10% of learning_rate at final_tokens, 10% after that
    lr_decay = False
    warmup_tokens = 375e6
    final_tokens = 260e9
    # checkpoint and data loading
    ckpt_path = None
    num_workers = 0
    # ours: stop after this many minutes of training (None: train all max_epochs)
    max_minutes = None
    # ours: draw this many batches at once and regroup them by length (1: plain batches)
    length_buckets = 1

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)


class Trainer:

    def __init__(self, model, train_dataset, test_dataset, config):
        self.model = model
        self.train_dataset = train_dataset
        self.test_dataset = test_dataset
        self.config = config
        # a GPU when there is one (the 2021 trainer did the same); train() moves the model there
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.tokens = 0  # tokens seen so far, for the learning-rate schedule
        self.log = {"step_loss": [], "epoch_loss": [], "test_loss": [], "lr": [], "seconds": []}

    def save_checkpoint(self):
        if self.config.ckpt_path is None:
            return
        torch.save(self.model.state_dict(), self.config.ckpt_path)
        with open(self.config.ckpt_path + ".loss.json", "w") as f:
            json.dump(self.log, f)
        self.plot_losses(self.config.ckpt_path + ".loss.png")

    def plot_losses(self, path):
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:  # the plot is a convenience; training does not need it
            return
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.plot(range(1, len(self.log["step_loss"]) + 1), self.log["step_loss"], lw=0.5, alpha=0.5, label="batch")
        steps = len(self.log["step_loss"]) / max(1, len(self.log["epoch_loss"]))
        ax.plot([steps * (i + 1) for i in range(len(self.log["epoch_loss"]))], self.log["epoch_loss"], label="epoch mean")
        if self.log["test_loss"]:
            ax.plot([steps * (i + 1) for i in range(len(self.log["test_loss"]))], self.log["test_loss"], label="test")
        ax.set_xlabel("step")
        ax.set_ylabel("cross-entropy")
        ax.legend()
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)

    def learning_rate(self):
        config = self.config
        if not config.lr_decay:
            return config.learning_rate
        if self.tokens < config.warmup_tokens:
            mult = self.tokens / max(1, config.warmup_tokens)
        else:
            progress = (self.tokens - config.warmup_tokens) / max(1, config.final_tokens - config.warmup_tokens)
            mult = max(0.1, 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress))))
        return config.learning_rate * mult

    def make_optimizer(self):
        # weight decay on the weight matrices of the linear layers only, not on biases,
        # LayerNorms or embeddings
        decay, no_decay = [], []
        for module_name, module in self.model.named_modules():
            for name, p in module.named_parameters(recurse=False):
                if isinstance(module, torch.nn.Linear) and name == "weight":
                    decay.append(p)
                else:
                    no_decay.append(p)
        groups = [{"params": decay, "weight_decay": self.config.weight_decay},
                  {"params": no_decay, "weight_decay": 0.0}]
        return torch.optim.AdamW(groups, lr=self.config.learning_rate, betas=self.config.betas)

    def train(self):
        model, config = self.model.to(self.device), self.config
        optimizer = self.make_optimizer()
        started = time.perf_counter()

        def trim(x, y):
            # Drop the columns after the last target that counts (PAD targets are ignored,
            # and the attention is causal, so they change nothing): the same loss, faster.
            counted = (y != 0).any(dim=0).nonzero()
            if len(counted):
                end = counted[-1, 0] + 1
                x, y = x[:, :end].contiguous(), y[:, :end].contiguous()
            return x, y

        def batches(loader):
            """(x, y, tokens) batches of batch_size rows, trimmed. With length_buckets = k,
            k batches are drawn at once and regrouped by length, in random order, so that
            short examples share a batch and trimming saves more."""
            for x, y in loader:
                tokens = y.size(1)  # the schedule counts every position, as in 2021
                if x.size(0) > config.batch_size:
                    lengths = torch.where(y != 0, torch.arange(1, y.size(1) + 1), 0).max(dim=1).values
                    order = lengths.argsort()
                    groups = list(order.split(config.batch_size))
                    random.shuffle(groups)
                else:
                    groups = [torch.arange(x.size(0))]
                for rows in groups:
                    yield (*trim(x[rows], y[rows]), len(rows) * tokens)

        def run_epoch(split, epoch):
            is_train = split == "train"
            model.train(is_train)
            data = self.train_dataset if is_train else self.test_dataset
            buckets = max(1, config.length_buckets) if is_train else 1
            loader = DataLoader(data, shuffle=is_train, batch_size=config.batch_size * buckets,
                                num_workers=config.num_workers)
            losses = []
            total = math.ceil(len(data) / config.batch_size)
            pbar = tqdm(enumerate(batches(loader)), total=total, mininterval=2.0) if is_train \
                else enumerate(batches(loader))
            for it, (x, y, batch_tokens) in pbar:
                x, y = x.to(self.device), y.to(self.device)
                with torch.set_grad_enabled(is_train):
                    logits, loss = model(x, y)
                losses.append(loss.item())
                if is_train:
                    model.zero_grad(set_to_none=True)
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_norm_clip)
                    self.tokens += batch_tokens
                    lr = self.learning_rate()
                    for group in optimizer.param_groups:
                        group["lr"] = lr
                    optimizer.step()
                    self.log["step_loss"].append(loss.item())
                    pbar.set_description(f"epoch {epoch + 1} iter {it}: train loss {loss.item():.5f}. lr {lr:e}")
            mean = sum(losses) / max(1, len(losses))
            if is_train:
                self.log["epoch_loss"].append(mean)
                self.log["lr"].append(self.learning_rate())
                self.log["seconds"].append(time.perf_counter() - started)
            else:
                self.log["test_loss"].append(mean)
            return mean

        max_epochs = config.max_epochs
        if os.environ.get("NLPGRADE_A5_MAX_EPOCHS"):
            max_epochs = min(max_epochs, int(os.environ["NLPGRADE_A5_MAX_EPOCHS"]))
        for epoch in range(max_epochs):
            run_epoch("train", epoch)
            if self.test_dataset is not None:
                run_epoch("test", epoch)
            self.save_checkpoint()
            if config.max_minutes is not None and time.perf_counter() - started > 60 * config.max_minutes:
                print(f"stopping after epoch {epoch + 1}: {config.max_minutes} minutes of training")
                break
