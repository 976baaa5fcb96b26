"""Import the a3 reference modules by path, as `python run.py` in solutions/a3 would.

Their top-level names (utils, parser_transitions, parser_model, run) clash with other
assignments' modules, so they are imported with a clean slate and sys.modules and
sys.path are put back afterwards; the module objects keep working on their own.
"""
import importlib
import os
import sys
import types

import pytest

from autograder.config import ROOT

A3 = os.path.join(ROOT, "solutions", "a3")
NAMES = ("utils", "parser_transitions", "parser_model", "run")


def _ours(name):
    return any(name == n or name.startswith(n + ".") for n in NAMES)


@pytest.fixture(scope="session")
def a3():
    saved_modules = {k: v for k, v in sys.modules.items() if _ours(k)}
    saved_path = list(sys.path)
    for k in saved_modules:
        del sys.modules[k]
    sys.path.insert(0, A3)
    try:
        ns = types.SimpleNamespace(
            pt=importlib.import_module("parser_transitions"),
            pm=importlib.import_module("parser_model"),
            pu=importlib.import_module("utils.parser_utils"),
            gu=importlib.import_module("utils.general_utils"),
            att=importlib.import_module("utils.attachment"),
            conll=importlib.import_module("utils.conll"),
            run=importlib.import_module("run"),
            dir=A3,
        )
    finally:
        for k in [k for k in sys.modules if _ours(k)]:
            del sys.modules[k]
        sys.modules.update(saved_modules)
        sys.path[:] = saved_path
    return ns


@pytest.fixture(scope="session")
def dev_raw(a3):
    """The EWT dev sentences, lowercased as the parser reads them."""
    return a3.pu.read_conll(a3.pu.find_data_file(a3.pu.Config.dev_file), lowercase=True)


@pytest.fixture(scope="session")
def small_parser(a3):
    """The debug-mode parser (vocabulary of the first 1000 training sentences)."""
    return a3.pu.build_parser(reduced=True)
