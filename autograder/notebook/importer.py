"""Import a notebook (`NAME.ipynb`) as the module NAME, inside the sandbox.

The worker puts `NotebookFinder` on `sys.meta_path`, after the normal finders, so
`import exploring_word_vectors` finds the submitted notebook when there is no `.py` of
that name. Reading the notebook (untrusted JSON) happens here, in the sandbox. Only what
`ast_filter` keeps runs; problems (a syntax error in a cell, an import of a package the
grader lacks) are kept as notes and shown when a graded function turns out missing.
"""
import ast
import importlib.abc
import importlib.util
import linecache
import os
import sys
import warnings

try:  # loaded by file path under a private name in the worker
    import _nlpgrade_nbfilter as ast_filter
except ImportError:
    from . import ast_filter


class NotebookError(ImportError):
    """The notebook cannot be read or holds no code."""


class _Missing:
    """Stands for a module the grader does not have: harmless until a graded function uses it."""

    def __init__(self, name):
        self._name = name

    def _fail(self, *args, **kwargs):
        raise ModuleNotFoundError(f"module {self._name!r} is not installed on the grader, so your "
                                  "graded functions cannot use it")

    __call__ = _fail

    def __getattr__(self, attr):
        self._fail()


def read_code_cells(path):
    """Sources of the code cells of the notebook at `path`."""
    import nbformat  # only workers that import a notebook pay for it

    name = os.path.basename(path)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError:
        raise NotebookError(f"{name} is not a text file (not UTF-8): is it really a notebook?") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # minor schema problems do not stop grading
            nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types for bad input
        raise NotebookError(f"{name} is not a readable Jupyter notebook ({str(exc)[:300]}); "
                            "upload the .ipynb file saved by Jupyter") from None
    cells = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    if not cells:
        raise NotebookError(f"{name} has no code cells: did you upload the right notebook?")
    return [c.get("source", "") if isinstance(c.get("source", ""), str) else "".join(c["source"])
            for c in cells]


def _bind_missing(node, module_dict):
    """After a failed import statement, bind each name it would have bound to a _Missing."""
    for alias in node.names:
        if isinstance(node, ast.Import):
            name = alias.asname or alias.name.split(".")[0]
            module_dict[name] = _Missing(alias.name)
        elif alias.name != "*":
            module_dict[alias.asname or alias.name] = _Missing(f"{node.module}.{alias.name}")


def execute(module, path, sources):
    """Run the kept statements of each cell in order, in the module's namespace."""
    notes, base = [], os.path.basename(path)
    module.__dict__[ast_filter.RUNTIME] = ast_filter.runtime()
    for number, source in enumerate(sources, 1):
        filename = f"{path} (code cell {number})"
        # So tracebacks show the student's own lines.
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        plan = ast_filter.plan_cell(number, source, filename)
        if plan.problem:
            notes.append(plan.problem)
        notes += plan.notes
        for node in plan.statements:
            try:
                code = compile(ast.Module(body=[node], type_ignores=[]), filename, "exec",
                               flags=ast_filter.COMPILE_FLAGS, dont_inherit=True)
                exec(code, module.__dict__)
            except ImportError as exc:
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    _bind_missing(node, module.__dict__)
                    notes.append(f"code cell {number}, line {node.lineno}: {exc} (skipped)")
                else:  # e.g. `KV = gensim.models.KeyedVectors` with gensim missing
                    notes.append(f"code cell {number}, line {node.lineno}: {type(exc).__name__}: "
                                 f"{exc} (that statement was skipped)")
            except Exception as exc:  # e.g. a base class that is not a plain class
                notes.append(f"code cell {number}, line {node.lineno}: {type(exc).__name__}: "
                             f"{exc} (that statement was skipped)")
    if notes:  # shown with the first test that imports the notebook
        print(f"While importing {base} (only imports, definitions and constants run when grading):\n"
              + "\n".join(f"  {n}" for n in notes[:20])
              + (f"\n  ... and {len(notes) - 20} more" if len(notes) > 20 else ""))
    module.__nlpgrade_hint__ = ("" if not notes else
                                f"\nWhile importing {base}: " + "; ".join(notes[:5]))

    def missing(attr):  # PEP 562: a clear message for a graded name that is not defined
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise AttributeError(f"{base} defines no {attr} (only imports, function and class "
                             f"definitions and constant assignments of a notebook are run when "
                             f"grading){module.__nlpgrade_hint__}")
    module.__dict__.setdefault("__getattr__", missing)


class NotebookLoader(importlib.abc.Loader):
    def __init__(self, path):
        self.path = path

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__file__ = self.path
        execute(module, self.path, read_code_cells(self.path))


class NotebookFinder(importlib.abc.MetaPathFinder):
    """Finds top-level NAME.ipynb in one folder (the submission)."""

    def __init__(self, folder):
        self.folder = folder

    def find_spec(self, fullname, path=None, target=None):
        if path is not None or "." in fullname:
            return None
        candidate = os.path.join(self.folder, fullname + ".ipynb")
        if not os.path.isfile(candidate):
            return None
        return importlib.util.spec_from_loader(fullname, NotebookLoader(candidate), origin=candidate)


def install(folder):
    sys.meta_path.append(NotebookFinder(folder))
