"""Import the a5 reference's src/ modules under their top-level names, as run.py does.

Their names (attention, dataset, model, trainer, utils) clash with other assignments'
modules (a4 has a `utils` too), so whatever held those names is put back afterwards."""
import contextlib
import importlib
import os
import sys

from autograder.config import ROOT

SRC = os.path.join(ROOT, "solutions", "a5", "src")


@contextlib.contextmanager
def importable(folder, names):
    """`names` imported from `folder`, and whatever had those names back afterwards."""
    saved = {name: sys.modules.pop(name, None) for name in names}
    sys.path.insert(0, folder)
    try:
        yield [importlib.import_module(name) for name in names]
    finally:
        sys.path.remove(folder)
        for name, module in saved.items():
            sys.modules.pop(name, None)
            if module is not None:
                sys.modules[name] = module
