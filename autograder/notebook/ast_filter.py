"""Which top-level statements of a notebook run when it is graded.

A notebook is graded by importing it as a module, but only its imports, function and
class definitions and constant assignments run: top-level work (downloads, training
loops, plots, sanity checks) never runs, so it can neither hang nor break the grading of
the functions. Stdlib only: this module is also loaded by file path inside the sandbox.
"""
import ast
import re

# IPython syntax that plain Python cannot parse: line magics, shell escapes, help.
_MAGIC_LINE = re.compile(r"^(\s*)(?:[%!]|[\w.]+\?\??\s*$|\w+\s*=\s*[%!])")

_CONSTANT_NODES = (ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.UnaryOp,
                   ast.BinOp, ast.BoolOp, ast.Name, ast.Attribute, ast.operator,
                   ast.unaryop, ast.boolop, ast.expr_context)


def without_magics(source):
    """Cell source with IPython-only lines replaced by `pass` (line numbers kept).

    None for a cell run by a cell magic (`%%bash`, `%%time`, ...): it is not Python."""
    lines = source.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if first.lstrip().startswith("%%"):
        return None
    out = []
    for line in lines:
        m = _MAGIC_LINE.match(line)
        out.append(m.group(1) + "pass" if m else line)
    return "\n".join(out) + "\n"


def is_constant(expr):
    """Literals, containers of literals, arithmetic on them, and names (`2 * WINDOW`,
    `np.float32`): nothing that calls, indexes or builds anything big."""
    return all(isinstance(node, _CONSTANT_NODES) for node in ast.walk(expr))


def _names_only(target):
    if isinstance(target, ast.Name):
        return True
    return isinstance(target, (ast.Tuple, ast.List)) and all(_names_only(t) for t in target.elts)


def keeps(node):
    """Does this top-level statement run at grading time?"""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                         ast.ClassDef)):
        return True
    if isinstance(node, ast.Assign):
        return all(_names_only(t) for t in node.targets) and is_constant(node.value)
    if isinstance(node, ast.AnnAssign):
        return isinstance(node.target, ast.Name) and node.value is not None and is_constant(node.value)
    if isinstance(node, ast.Try):  # try: import x / except ImportError: x = None
        inner = node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body]
        return all(isinstance(s, ast.Pass) or keeps(s) for s in inner)
    return False


class CellPlan:
    """What of one code cell runs: `statements` (ast nodes) or a `problem` explaining why not."""

    def __init__(self, number, statements=(), skipped=0, problem=None):
        self.number, self.statements, self.skipped, self.problem = number, list(statements), skipped, problem


def plan_cell(number, source, filename="<cell>"):
    """Parse one code cell (numbered from 1 among code cells) and keep what may run."""
    code = without_magics(source)
    if code is None:
        return CellPlan(number, problem=None)
    try:
        tree = ast.parse(code, filename)
    except SyntaxError as exc:
        line = (exc.text or "").strip()
        where = f"line {exc.lineno}" + (f" ({line})" if line else "")
        return CellPlan(number, problem=f"code cell {number} has a syntax error at {where}: {exc.msg}; "
                                        "nothing in that cell was run")
    kept = [node for node in tree.body if keeps(node)]
    return CellPlan(number, kept, skipped=len(tree.body) - len(kept))
