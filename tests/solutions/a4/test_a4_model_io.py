"""model_io: the provided save/load, the 2021 course's model.bin, and files that must be
refused, each with a message saying what is wrong."""
import json
import os
import pickle

import pytest
import torch


@pytest.fixture
def model(a4, small_vocab):
    torch.manual_seed(0)
    return a4.nmt_model.NMT(8, 6, small_vocab, dropout_rate=0.25)


def same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return list(sa) == list(sb) and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_save_then_load_gives_the_same_model(a4, model, small_vocab, tmp_path):
    path = str(tmp_path / "model.bin")
    model.save(path)
    with open(tmp_path / "model.json") as f:
        sizes = json.load(f)
    assert sizes == {"format": "nlpgrade-nmt-1", "embed_size": 8, "hidden_size": 6, "dropout_rate": 0.25,
                     "src_vocab_size": len(small_vocab.src), "tgt_vocab_size": len(small_vocab.tgt)}
    loaded = a4.model_io.load_model(path, a4.nmt_model.NMT, vocab=small_vocab)
    assert same_state(model, loaded)
    assert (loaded.hidden_size, loaded.dropout_rate, loaded.model_embeddings.embed_size) == (6, 0.25, 8)
    # the file holds tensors only: the weights-only loader reads it without any allow-list
    state = torch.load(path, weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())


def test_load_without_a_vocab_rebuilds_it_beside_the_model(a4, full_vocab_dir, tmp_path):
    """NMT.load(path) (the course's call): the vocabulary is build_vocab's in the model's
    folder, at the grader's sizes (the src.model / tgt.model found there are reused)."""
    for name in ("src.model", "tgt.model"):
        (tmp_path / name).write_bytes((full_vocab_dir / name).read_bytes())
    vocab = a4.vocab.Vocab.build(str(tmp_path / "src.model"), str(tmp_path / "tgt.model"))
    torch.manual_seed(0)
    model = a4.nmt_model.NMT(4, 3, vocab)
    path = str(tmp_path / "model.bin")
    model.save(path)
    loaded = a4.nmt_model.NMT.load(path)
    assert same_state(model, loaded) and loaded.vocab.src.word2id == vocab.src.word2id
    assert (tmp_path / "src.model").read_bytes() == (full_vocab_dir / "src.model").read_bytes()


def save_2021(model, path, **extra):
    """What the 2021 course's NMT.save wrote: one pickle of args, vocab and state_dict."""
    params = {"args": dict(embed_size=model.model_embeddings.embed_size, hidden_size=model.hidden_size,
                           dropout_rate=model.dropout_rate),
              "vocab": model.vocab, "state_dict": model.state_dict(), **extra}
    torch.save(params, path)


def test_a_2021_model_file_loads_with_its_vocab(a4, model, tmp_path):
    path = str(tmp_path / "model.bin")
    save_2021(model, path)
    assert not os.path.exists(tmp_path / "model.json")  # 2021 wrote no sizes file
    loaded = a4.model_io.load_model(path, a4.nmt_model.NMT)
    assert same_state(model, loaded)
    assert isinstance(loaded.vocab, a4.vocab.Vocab)
    assert loaded.vocab.src.word2id == model.vocab.src.word2id
    assert loaded.vocab.tgt.id2word == model.vocab.tgt.id2word
    assert loaded.vocab.tgt["</s>"] == 2 and loaded.vocab.tgt["no-such-piece"] == loaded.vocab.tgt.unk_id
    assert loaded.dropout_rate == 0.25


class Exploit:
    """Unpickling it calls open(marker, "w"): it would create the marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("where", ["top", "in_2021_dict", "as_vocab"])
def test_a_pickle_that_runs_code_is_refused_unrun(a4, model, tmp_path, where):
    path = str(tmp_path / "model.bin")
    marker = str(tmp_path / "ran")
    if where == "top":
        torch.save(Exploit(marker), path)
    elif where == "in_2021_dict":
        save_2021(model, path, extra=Exploit(marker))
    else:
        torch.save({"args": {"embed_size": 8, "hidden_size": 6}, "vocab": Exploit(marker),
                    "state_dict": model.state_dict()}, path)
    assert not os.path.exists(marker)
    with pytest.raises(a4.model_io.ModelFileError) as refused:
        a4.model_io.load_model(path, a4.nmt_model.NMT, vocab=model.vocab)
    assert not os.path.exists(marker), "unpickling ran the payload"
    assert "is not a model torch can read safely" in str(refused.value)
    # it names what was refused, and never advises loading with weights_only=False
    assert "Unsupported global" in str(refused.value) and "weights_only=False" not in str(refused.value)
    # the same file does run its payload under a plain pickle load: the test means something
    torch.load(path, weights_only=False)
    assert os.path.exists(marker)


def refusal(a4, path, vocab=None):
    with pytest.raises(a4.model_io.ModelFileError) as refused:
        a4.model_io.load_model(str(path), a4.nmt_model.NMT, vocab=vocab)
    return str(refused.value)


def test_a_missing_file_is_named(a4, tmp_path, small_vocab):
    assert refusal(a4, tmp_path / "model.bin", small_vocab) == "%s does not exist" % (tmp_path / "model.bin")


def test_an_oversized_file_is_refused_before_reading(a4, tmp_path, small_vocab):
    path = tmp_path / "model.bin"
    with open(path, "wb") as f:  # sparse: 61 MB without writing them
        f.truncate((a4.model_io.MAX_MODEL_MB + 1) * 2 ** 20)
    assert refusal(a4, path, small_vocab) == "%s takes 61 MB, over the 60 MB a model may take" % path


def test_a_file_that_is_not_a_model(a4, tmp_path, small_vocab):
    path = tmp_path / "model.bin"
    path.write_bytes(b"this is not a torch file\n" * 10)
    assert "is not a model torch can read safely" in refusal(a4, path, small_vocab)
    path.write_bytes(pickle.dumps([1, 2, 3]))  # a pickle, but not torch's format
    assert "is not a model torch can read safely" in refusal(a4, path, small_vocab)


def test_a_missing_or_broken_sizes_file(a4, model, tmp_path):
    path = tmp_path / "model.bin"
    model.save(str(path))
    (tmp_path / "model.json").unlink()
    message = refusal(a4, path, model.vocab)
    assert message.startswith("the sizes file %s beside %s is missing or not JSON" % (tmp_path / "model.json", path))
    assert "save_model writes it" in message
    (tmp_path / "model.json").write_text("{not json")
    assert "is missing or not JSON" in refusal(a4, path, model.vocab)
    (tmp_path / "model.json").write_text(json.dumps({"embed_size": "eight", "hidden_size": 6}))
    assert refusal(a4, path, model.vocab) == "the model's sizes have no sensible 'embed_size' ('eight')"
    (tmp_path / "model.json").write_text(json.dumps({"embed_size": 8, "hidden_size": 10 ** 6}))
    assert refusal(a4, path, model.vocab) == "the model's sizes have no sensible 'hidden_size' (1000000)"


def test_sizes_that_do_not_fit_the_parameters(a4, model, tmp_path):
    path = tmp_path / "model.bin"
    model.save(str(path))
    sizes = json.loads((tmp_path / "model.json").read_text())
    (tmp_path / "model.json").write_text(json.dumps({**sizes, "hidden_size": 7}))
    message = refusal(a4, path, model.vocab)
    assert message.startswith("the parameters in %s do not fit the NMT built from its sizes: " % path)
    assert "size mismatch" in message


def test_a_vocabulary_of_another_size(a4, model, tmp_path, full_vocab_dir):
    """A model trained with other vocabulary sizes than the grader rebuilds."""
    path = tmp_path / "model.bin"
    model.save(str(path))
    full = a4.vocab.Vocab.build(str(full_vocab_dir / "src.model"), str(full_vocab_dir / "tgt.model"))
    assert refusal(a4, path, full) == "the model was trained with a src vocabulary of %d pieces; this one has 8000" \
        % len(model.vocab.src)


def test_a_state_dict_with_other_names(a4, model, tmp_path):
    path = tmp_path / "model.bin"
    model.save(str(path))
    state = {k.replace("encoder.", "enc."): v for k, v in model.state_dict().items()}
    torch.save(state, str(path))
    message = refusal(a4, path, model.vocab)
    assert "do not fit the NMT built from its sizes" in message and "enc.weight_ih_l0" in message
    torch.save({"weights": [1, 2, 3]}, str(path))
    assert refusal(a4, path, model.vocab) == "%s does not hold a state dict of tensors" % path
