"""The a5 reference's provided code: minGPT (model.py), the trainer and utils.

Sizes and state-dict names are what a 2021 params file has (the grader reads a student's
model size from them); the trainer's schedule, checkpoint, loss plot and epoch cap; greedy
sampling and evaluate_places.
"""
import ast
import json
import math
import os

import pytest
import torch

from a5_src_import import SRC, importable


NAMES = ("attention", "dataset", "model", "trainer", "utils")


def a5_modules():
    """The a5 src modules under their top-level names (as run.py imports them)."""
    return importable(SRC, NAMES)


@pytest.fixture(scope="module")
def a5():
    torch.set_num_threads(1)
    with a5_modules() as modules:
        yield type("A5", (), dict(zip(NAMES, modules)))


def course_config(a5, synthesizer):
    return a5.model.GPTConfig(256, 128, n_layer=4, n_head=8, n_embd=256, synthesizer=synthesizer)


def expected_keys(n_layer, synthesizer):
    keys = {"tok_emb.weight", "pos_emb", "ln_f.weight", "ln_f.bias", "head.weight"}
    attn = ["w1.weight", "w1.bias", "w2", "b2"] if synthesizer else \
        ["key.weight", "key.bias", "query.weight", "query.bias"]
    attn += ["value.weight", "value.bias", "proj.weight", "proj.bias", "mask"]
    for i in range(n_layer):
        b = f"blocks.{i}."
        keys |= {b + k for k in ("ln1.weight", "ln1.bias", "ln2.weight", "ln2.bias", "mlp.0.weight",
                                 "mlp.0.bias", "mlp.2.weight", "mlp.2.bias")}
        keys |= {b + "attn." + k for k in attn}
    return keys


@pytest.mark.parametrize("synthesizer,count", [(False, 3_323_392), (True, 3_076_988)])
def test_course_sizes_and_2021_names(a5, synthesizer, count):
    torch.manual_seed(0)
    gpt = a5.model.GPT(course_config(a5, synthesizer))
    assert sum(p.numel() for p in gpt.parameters()) == count
    state = gpt.state_dict()
    assert set(state) == expected_keys(4, synthesizer)
    assert state["pos_emb"].shape == (1, 128, 256) and state["head.weight"].shape == (256, 256)
    assert "head.bias" not in state
    # a params file written by another model of the same names and sizes loads strictly
    other = a5.model.GPT(course_config(a5, synthesizer))
    other.load_state_dict(state)
    assert torch.equal(other.state_dict()["blocks.3.mlp.2.weight"], state["blocks.3.mlp.2.weight"])


@pytest.mark.parametrize("synthesizer", [False, True])
def test_forward_shapes_and_pad_targets_ignored(a5, synthesizer):
    torch.manual_seed(1)
    gpt = a5.model.GPT(a5.model.GPTConfig(20, 16, n_layer=2, n_head=2, n_embd=64, synthesizer=synthesizer)).eval()
    for p in gpt.parameters():  # weights far from their initial values, so that a leak would show
        p.data.normal_(0, 0.3)
    x = torch.randint(2, 20, (3, 15))
    y = torch.randint(2, 20, (3, 15))
    y[:, 10:] = 0  # PAD targets
    logits, loss = gpt(x, y)
    assert logits.shape == (3, 15, 20)
    wanted = torch.nn.functional.cross_entropy(logits[:, :10].reshape(-1, 20), y[:, :10].reshape(-1))
    assert math.isclose(loss.item(), wanted.item(), rel_tol=1e-5)
    assert gpt(x[:, :5])[1] is None
    # causal: the first positions' logits do not depend on later ids
    x2 = x.clone()
    x2[:, 8:] = 3
    assert torch.allclose(gpt(x2)[0][:, :8], logits[:, :8], atol=1e-5)
    with pytest.raises(AssertionError):
        gpt(torch.zeros(1, 17, dtype=torch.long))


def test_sample_is_greedy_and_evaluate_places(a5, tmp_path):
    torch.manual_seed(2)
    gpt = a5.model.GPT(a5.model.GPTConfig(12, 8, n_layer=1, n_head=1, n_embd=32))
    x = torch.tensor([[3, 4, 5]])
    out = a5.utils.sample(gpt, x, 10, sample=False)
    assert out.shape == (1, 13) and torch.equal(out[:, :3], x)
    for t in range(3, 13):  # each id is the argmax given the (block-size-cut) context
        context = out[:, max(0, t - 8):t]
        assert out[0, t].item() == gpt(context)[0][0, -1].argmax().item()
    tsv = tmp_path / "dev.tsv"
    tsv.write_text("Where was A born?\tLondon\nWhere was B born?\tParis\nWhere was C born?\tLondon\n")
    assert a5.utils.evaluate_places(str(tsv), ["London", "London", "London"]) == (3.0, 2.0)
    questions = tmp_path / "test.tsv"
    questions.write_text("Where was A born?\nWhere was B born?\n")
    assert a5.utils.evaluate_places(str(questions), ["x", "y"]) == (0, 0)


def test_trainer_schedule_checkpoint_plot_and_epoch_cap(a5, tmp_path, monkeypatch):
    torch.manual_seed(3)
    config = a5.trainer.TrainerConfig(max_epochs=5, batch_size=4, learning_rate=1e-2, lr_decay=True,
                                      warmup_tokens=100, final_tokens=1100, ckpt_path=str(tmp_path / "m.params"))
    t = a5.trainer.Trainer(None, None, None, config)
    for tokens, mult in [(0, 0.0), (50, 0.5), (100, 1.0), (600, 0.5), (1100, 0.1), (5000, 0.1)]:
        t.tokens = tokens
        assert math.isclose(t.learning_rate(), 1e-2 * mult, abs_tol=1e-12), tokens

    gpt = a5.model.GPT(a5.model.GPTConfig(10, 8, n_layer=1, n_head=1, n_embd=32))
    data = [(torch.arange(1, 8) % 10, (torch.arange(2, 9) % 10)) for _ in range(8)]
    monkeypatch.setenv("NLPGRADE_A5_MAX_EPOCHS", "3")
    trainer = a5.trainer.Trainer(gpt, data, data, config)
    trainer.train()
    log = json.loads((tmp_path / "m.params.loss.json").read_text())
    assert len(log["epoch_loss"]) == 3 and len(log["step_loss"]) == 6 and len(log["test_loss"]) == 3
    assert log["epoch_loss"][-1] < log["epoch_loss"][0]
    assert (tmp_path / "m.params.loss.png").stat().st_size > 1000
    state = torch.load(tmp_path / "m.params")
    assert torch.equal(state["head.weight"], gpt.state_dict()["head.weight"])

    # length buckets: the same number of steps and tokens counted for the schedule, batches
    # of one length each (trimmed to their last counted target)
    shapes = []
    gpt.forward = lambda x, y=None, f=gpt.forward: (shapes.append(tuple(x.shape)), f(x, y))[1]
    data = [(torch.arange(1, 9) % 10, torch.tensor([3] * n + [0] * (8 - n))) for n in (2, 7, 2, 7, 2, 7, 2, 7)]
    bucketed = a5.trainer.TrainerConfig(max_epochs=1, batch_size=2, length_buckets=4, ckpt_path=None)
    trainer = a5.trainer.Trainer(gpt, data, None, bucketed)
    trainer.train()
    assert sorted(shapes) == [(2, 2)] * 2 + [(2, 7)] * 2 and trainer.tokens == 64


def test_run_settings_keep_head_size_32():
    """The grader infers n_head = n_embd // 32 from a state dict."""
    tree = ast.parse(open(os.path.join(SRC, "run.py"), encoding="utf-8").read())
    settings = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            settings[node.targets[0].id] = {k.arg: ast.literal_eval(k.value) for k in node.value.keywords
                                            if isinstance(k.value, ast.Constant)}
    model = settings["MODEL"]
    assert model["n_embd"] // model["n_head"] == 32 and model["n_embd"] % 32 == 0
    assert {"PRETRAIN", "FINETUNE_PRETRAINED", "FINETUNE_FROM_SCRATCH"} <= set(settings)
