"""Import the a4 reference modules by path, as `python run.py` in solutions/a4 would.

Their top-level names (vocab, utils, nmt_model, run, ...) clash with other assignments'
modules, and the reference imports some of them late (VocabEntry.to_input_tensor runs
`from utils import pad_sents`, NMT.load `import model_io`), so every test gets the a4
modules in sys.modules for its duration and the previous entries back afterwards.
"""
import contextlib
import importlib
import os
import sys
import types

import pytest

from autograder.config import ROOT

A4 = os.path.join(ROOT, "solutions", "a4")
NAMES = ("vocab", "utils", "model_embeddings", "nmt_model", "model_io", "decoding", "run")
RAW = os.path.join(ROOT, "data", "multi30k-de-en", "raw")
# vocabulary sizes of the small models (the real ones are vocab.SRC/TGT_VOCAB_SIZE)
SMALL_SRC, SMALL_TGT = 400, 300


def _swap(modules):
    """Put `modules` in sys.modules; returns what they replaced (None: absent)."""
    saved = {name: sys.modules.get(name) for name in modules}
    sys.modules.update(modules)
    return saved


def _restore(saved):
    for name, module in saved.items():
        if module is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = module


@pytest.fixture(scope="session")
def a4_modules():
    saved = {name: sys.modules.pop(name, None) for name in NAMES}
    saved_path = list(sys.path)
    sys.path.insert(0, A4)
    try:
        modules = {name: importlib.import_module(name) for name in NAMES}
    finally:
        sys.path[:] = saved_path
        _restore(saved)
    return modules


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """torch on one thread: two OpenMP threads on a machine busy with other work wait on
    each other (a training ran 40x slower)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def a4(a4_modules):
    """The reference modules (a namespace: a4.vocab, a4.nmt_model, ...), importable by
    name while the test runs."""
    saved = _swap(a4_modules)
    try:
        yield types.SimpleNamespace(dir=A4, **a4_modules)
    finally:
        _restore(saved)


@pytest.fixture(scope="session")
def a4_session(a4_modules):
    """For session fixtures: `with a4_session() as a4:` the reference modules, importable
    by name inside the block."""
    @contextlib.contextmanager
    def active():
        saved = _swap(a4_modules)
        try:
            yield types.SimpleNamespace(dir=A4, **a4_modules)
        finally:
            _restore(saved)
    return active


def _with_a4(a4_modules, build):
    saved = _swap(a4_modules)
    try:
        return build(types.SimpleNamespace(**a4_modules))
    finally:
        _restore(saved)


@pytest.fixture(scope="session")
def small_vocab_dir(a4_modules, tmp_path_factory):
    """src.model / tgt.model of SMALL_SRC / SMALL_TGT pieces, trained on the whole training text."""
    folder = tmp_path_factory.mktemp("a4-small-vocab")
    _with_a4(a4_modules, lambda m: m.vocab.build_vocab(src_size=SMALL_SRC, tgt_size=SMALL_TGT, out_dir=str(folder)))
    return folder


@pytest.fixture(scope="session")
def small_vocab(a4_modules, small_vocab_dir):
    return _with_a4(a4_modules, lambda m: m.vocab.Vocab.build(str(small_vocab_dir / "src.model"),
                                                              str(small_vocab_dir / "tgt.model")))


@pytest.fixture(scope="session")
def full_vocab_dir(a4_modules, tmp_path_factory):
    """src.model / tgt.model at the sizes the grader uses (8000 / 6000; about 5 s)."""
    folder = tmp_path_factory.mktemp("a4-full-vocab")
    _with_a4(a4_modules, lambda m: m.vocab.build_vocab(out_dir=str(folder)))
    return folder


@pytest.fixture(scope="session")
def corpus(a4_modules):
    """corpus(vocab_dir, "val.de", "src"): read_corpus of a Multi30k file with the
    sentencepiece models of vocab_dir."""
    def read(vocab_dir, name, source):
        cwd = os.getcwd()
        os.chdir(str(vocab_dir))  # read_corpus reads <source>.model from the current folder
        try:
            return _with_a4(a4_modules, lambda m: m.utils.read_corpus(os.path.join(RAW, name), source))
        finally:
            os.chdir(cwd)
    return read
