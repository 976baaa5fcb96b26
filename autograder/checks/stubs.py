"""Functions still as the starter left them, named as unwritten in failure messages.

A function of the submission is a starter stub when its body, read from the submitted
source in the trusted process (docstrings, comments, `pass` and `raise
NotImplementedError` ignored), is the starter's body for that function (the student
template, or the reference with its solution regions stubbed), or, where the starter is
not at hand (a student's own checkout) or was the course's own, when it computes nothing:
it always raises NotImplementedError, or it only returns the placeholders it set
(`corpus_words = []` ... `return corpus_words, num_corpus_words`).

A failing test then says "distinct_words is still the starter stub: ..." rather than
comparing [] with ten words or showing a NoneType traceback. Only messages change, never
scores. A stub that still raises is named only when the worker reported that
NotImplementedError (its code may have been replaced at run time: the message then
describes what ran).
"""
import ast
import copy
import json
import os
import re

from ..sandbox.errors import StudentException
from .. import templates

NIE = "NotImplementedError"
SOURCE_LIMIT = 32 << 20  # bytes of one submitted file read (a notebook with its outputs)
# What is analysed at most: real submissions are a few dozen functions in tens of KB of
# code; a submission built to be expensive to parse here (thousands of defs in MBs of
# code) only loses the stub messages, it cannot slow the grader or exhaust its memory.
CODE_LIMIT = 256 << 10   # characters of code in one file (a notebook: its code cells)
FUNCTION_LIMIT = 400     # functions and methods in the whole submission
WHERE = "where it says YOUR CODE HERE"
PLACEHOLDER_CALLS = {"zeros", "zeros_like", "empty", "empty_like"}
CONTROL = (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try)


class Stub:
    def __init__(self, name, file, raises):
        self.name, self.file, self.raises = name, file, raises  # name: "f" or "Class.f"

    @property
    def bare(self):
        return self.name.rsplit(".", 1)[-1]


# ----- reading sources ---------------------------------------------------------------
def code_cells(text):
    """The code cells of a notebook's JSON text ([] when it is not one), or [text] for a
    .py file's text. Magics and shell lines (% !) are dropped so the rest parses."""
    try:
        nb = json.loads(text)
        cells = [c.get("source", "") for c in nb.get("cells", []) if c.get("cell_type") == "code"]
        cells = [s if isinstance(s, str) else "".join(s) for s in cells]
    except (ValueError, AttributeError, TypeError, RecursionError):
        return []
    return ["\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in s.splitlines())
            for s in cells]


def _cells(file, text):
    return code_cells(text) if file.endswith(".ipynb") else [text]


def functions(cells):
    """{qualified name: FunctionDef} of the module-level functions and the methods of
    module-level classes; a later definition replaces an earlier one (notebook cells)."""
    found = {}
    for source in cells:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue  # that cell or file fails on its own; its tests say so
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found[node.name] = node
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        found[f"{node.name}.{item.name}"] = item
    return found


# ----- one function's body -----------------------------------------------------------
def _is_nie(stmt):
    if not isinstance(stmt, ast.Raise) or stmt.exc is None:
        return False
    exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
    return isinstance(exc, ast.Name) and exc.id == NIE


def _is_noise(stmt):
    """Statements that write nothing: pass, a string or constant on its own (docstrings)."""
    return isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))


def normalized(fn):
    """(body as text, whether it raised NotImplementedError): the body with every raise
    of NotImplementedError, pass and docstring removed, at any depth."""
    body = copy.deepcopy(fn.body)
    raised = False
    for node in [n for stmt in body for n in ast.walk(stmt)] + [None]:
        for holder in ([body] if node is None else
                       [getattr(node, f) for f in ("body", "orelse", "finalbody") if isinstance(getattr(node, f, None), list)]):
            kept = [s for s in holder if not (_is_nie(s) or _is_noise(s))]
            raised = raised or any(_is_nie(s) for s in holder)
            holder[:] = kept
    return ast.dump(ast.Module(body=body, type_ignores=[])), raised


def _trivial(expr):
    """A placeholder value: a constant, an empty container, np.zeros(...)-like."""
    if isinstance(expr, ast.Constant):
        return True
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.operand, ast.Constant):
        return True
    if isinstance(expr, (ast.List, ast.Tuple, ast.Set)) and not expr.elts:
        return True
    if isinstance(expr, ast.Dict) and not expr.keys:
        return True
    if isinstance(expr, ast.Call) and isinstance(expr.func, (ast.Attribute, ast.Name)):
        name = expr.func.attr if isinstance(expr.func, ast.Attribute) else expr.func.id
        return name in PLACEHOLDER_CALLS
    return False


def computes_nothing(fn):
    """True when `fn` only sets placeholders and returns them untouched (the course's own
    starters), or has nothing but a docstring: no loop or branch, every value returned a
    placeholder or a name bound once to one and used nowhere else; a function without a
    return may only set placeholders or copy its parameters (`self.sentence = sentence`)."""
    body = [s for s in fn.body if not (_is_noise(s) or _is_nie(s))]
    if any(isinstance(n, CONTROL) for s in body for n in ast.walk(s)):
        return False
    returns = [s for s in body if isinstance(s, ast.Return)]
    params = {a.arg for a in fn.args.args + fn.args.kwonlyargs + fn.args.posonlyargs}
    if not returns:
        return all(isinstance(s, ast.Assign) and (_trivial(s.value) or
                   (isinstance(s.value, ast.Name) and s.value.id in params)) for s in body)
    bound = {}
    for s in body:
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
                and _trivial(s.value):
            bound.setdefault(s.targets[0].id, []).append(s)
    uses = {}
    for s in body:
        for n in ast.walk(s):
            if isinstance(n, ast.Name):
                uses[n.id] = uses.get(n.id, 0) + 1
    for r in returns:
        values = r.value.elts if isinstance(r.value, ast.Tuple) else [r.value]
        for v in values:
            if v is None or _trivial(v):
                continue
            # bound once to a placeholder, then named only by the return
            if not (isinstance(v, ast.Name) and len(bound.get(v.id, ())) == 1 and uses.get(v.id) == 2):
                return False
    return True


def used_names(fn):
    """Names a function refers to (f, self.f, module.f): what it may call."""
    out = set()
    for n in ast.walk(fn):
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.Attribute):
            out.add(n.attr)
    return out


# ----- the submission ----------------------------------------------------------------
def _judge(name, fn, starter_fn, file):
    """A Stub when `fn` is unwritten (see the module's docstring), else None."""
    body, raised = normalized(fn)
    if starter_fn is not None:
        starter_body, to_write = normalized(starter_fn)
        if not to_write:
            return None  # provided code, not an exercise
        same = body == starter_body
    else:  # no starter: one that always raises is unwritten
        same = any(_is_nie(s) for s in fn.body)
    return Stub(name, file, raised) if same or computes_nothing(fn) else None


class Stubs:
    """The unwritten functions of one submission, and what each function uses."""

    def __init__(self, stubs=(), uses=None):
        self.stubs = list(stubs)
        self.uses = uses or {}  # qualified name -> names its body refers to

    @classmethod
    def analyse(cls, submitted, starter=None):
        """`submitted`, `starter`: {file: text} (a notebook as its JSON text). A file of
        the starter missing or unreadable: judged without it."""
        starter = starter or {}
        stubs, uses = [], {}
        for file, text in sorted(submitted.items()):
            if text is None:
                continue
            cells = _cells(file, text)
            if sum(len(c) for c in cells) > CODE_LIMIT:
                continue  # not a submission a person wrote: no stub messages from it
            mine = functions(cells)
            if len(uses) + len(mine) > FUNCTION_LIMIT:
                return cls()
            theirs = functions(_cells(file, starter[file])) if starter.get(file) else {}
            for name, fn in mine.items():
                uses[name] = used_names(fn)
                try:
                    stub = _judge(name, fn, theirs.get(name), file)
                except RecursionError:  # an expression nested thousands deep: not a stub
                    stub = None
                if stub is not None:
                    stubs.append(stub)
        return cls(stubs, uses)

    def __bool__(self):
        return bool(self.stubs)

    def _unique(self, bare):
        """Whether one function alone of the submission has this bare name."""
        return not bare.startswith("__") and sum(q.rsplit(".", 1)[-1] == bare for q in self.uses) == 1

    def _named(self, name, traceback=""):
        """The stubs called `name` ("f", "C.f" or a method's bare name); where several
        files define one (__init__), those whose file the traceback shows."""
        name = name or ""
        found = [s for s in self.stubs if s.name == name or s.bare == name.rsplit(".", 1)[-1]]
        if len(found) > 1 and "." in name:
            found = [s for s in found if s.name == name] or found
        if len(found) > 1:
            found = [s for s in found if f'"{s.file}' in traceback or f"{s.file} (code cell" in traceback] or found[:1]
        return found[:1]

    def explain(self, exc):
        """The message for the failure `exc` when it comes from a starter stub, else None."""
        text = str(exc)
        if isinstance(exc, StudentException) and exc.type == NIE:
            stub = next((s for s in self._named(exc.function, exc.traceback) if s.raises), None)
            if stub is None:
                return None
            return (f"{stub.name} is still the starter stub: write your code {WHERE}, in place "
                    f"of `raise NotImplementedError`.\n{text}")
        called = self._mentioned(text)
        direct = [s for s in self.stubs if not s.raises and s.name in called]
        if direct:
            names = " and ".join(s.name for s in direct)
            verb = "is" if len(direct) == 1 else "are"
            seen = text.strip()
            return (f"{names} {verb} still the starter stub: nothing is written {WHERE}, the body is "
                    f"the starter's. Write the function there."
                    + (f"\nWhat the test saw: {seen}" if seen else ""))
        # named in passing (an argument: `wrapper(skipgram, ...)`), else used by what was called
        needed = [s for s in self.stubs if not s.raises and self._named_in(s.name, text)] or self._used_by(called)
        if needed:
            users = ", ".join(sorted(called))
            return (f"{' and '.join(s.name for s in needed)} {'is' if len(needed) == 1 else 'are'} still the "
                    f"starter stub (nothing written {WHERE}), and this test{' of ' + users if users else ''} "
                    f"needs {'it' if len(needed) == 1 else 'them'}: write {'it' if len(needed) == 1 else 'them'} "
                    f"first.\n{text}")
        return None

    def _named_in(self, name, text):
        """Whether the message names the function at all (a word, not a call)."""
        bare = name.rsplit(".", 1)[-1]
        words = [name] + ([bare] if "." not in name or self._unique(bare) else [])
        return any(re.search(rf"(?<![\w.]){re.escape(w)}(?!\w)", text) for w in words)

    def _mentioned(self, text):
        """Functions of the submission the message names as called (`f(`, `C.m(`, `C(`
        for C.__init__, a unique method name `.m(`) or as a frame of a traceback (`in f`)."""
        names = set()
        for name in self.uses:
            bare = name.rsplit(".", 1)[-1]
            patterns = [rf"(?<![\w.]){re.escape(name)}\s*\("]
            if "." in name and bare == "__init__":
                patterns.append(rf"(?<![\w.]){re.escape(name.split('.')[0])}\s*\(")
            if "." not in name or self._unique(bare):
                patterns += [rf"(?<!\w){re.escape(bare)}\s*\(", rf", in {re.escape(bare)}$"]
            if any(re.search(p, text, re.M) for p in patterns):
                names.add(name)
        return names

    def _resolve(self, used):
        """The functions of the submission a used name may stand for."""
        if used in self.uses:
            return [used]
        if f"{used}.__init__" in self.uses:  # a class: its constructor runs
            return [f"{used}.__init__"]
        if self._unique(used):
            return [q for q in self.uses if q.endswith("." + used)]
        return []

    def _used_by(self, names, depth=3):
        """Unwritten stubs (not raising) that the functions `names` use, through up to
        `depth` written functions."""
        found, frontier, seen = [], set(names), set(names)
        stubs = {s.name: s for s in self.stubs if not s.raises}
        for _ in range(depth):
            nxt = set()
            for name in frontier:
                for used in self.uses.get(name, ()):
                    for q in self._resolve(used):
                        if q in stubs and stubs[q] not in found:
                            found.append(stubs[q])
                        elif q not in stubs and q not in seen:
                            nxt.add(q)
                            seen.add(q)
            frontier = nxt
        return found


# ----- where the texts come from -----------------------------------------------------
def read_limited(path, limit=SOURCE_LIMIT):
    try:
        with open(path, "rb") as f:
            raw = f.read(limit + 1)
    except OSError:
        return None
    return None if len(raw) > limit else raw.decode("utf-8", "replace")


def starter_texts(assignment):
    """{student file: starter text}: the student template's file, else the reference's
    with its solution regions stubbed (the template is made that way; the Gradescope
    image has only the reference), else nothing (a student's own checkout)."""
    out = {}
    for file in assignment.student_files:
        if not file.endswith((".py", ".ipynb")):
            continue
        text = read_limited(os.path.join(assignment.template_dir, file))
        if text is None:
            text = read_limited(os.path.join(assignment.reference_dir, file))
            if text is not None:
                text = _stubbed(file, text)
        if text is not None:
            out[file] = text
    return out


def _stubbed(file, text):
    try:
        if file.endswith(".ipynb"):
            nb = json.loads(text)
            for cell in nb.get("cells", []):
                if cell.get("cell_type") == "code":
                    src = cell.get("source", "")
                    src = src if isinstance(src, str) else "".join(src)
                    cell["source"] = templates.strip_solutions(src, file) if templates.has_regions(src) else src
            return json.dumps(nb)
        return templates.strip_solutions(text, file)
    except (ValueError, AttributeError, TypeError, templates.TemplateError):
        return None


def for_submission(assignment, student, sources=None):
    """The Stubs of the submission staged for `student`, read now (before its code runs).
    `sources`: {file: text} already read (harness.read_sources); notebooks are read here."""
    submitted = dict(sources or {})
    workdir = getattr(student, "workdir", None)
    missing = {getattr(student, "student_modules", {}).get(m) for m in getattr(student, "missing", ())}
    for file in assignment.student_files:
        if file.endswith(".ipynb") and file not in missing and workdir:
            submitted[file] = read_limited(os.path.join(workdir, file))
    submitted = {f: t for f, t in submitted.items() if f in assignment.student_files}
    return Stubs.analyse(submitted, starter_texts(assignment))
