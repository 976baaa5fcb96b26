"""Rules about what submitted code may use ("write the layer without nn.Linear"), decided
by parsing the submitted source in the trusted process.

Asking the student's process which modules its model holds gets a claim. Here every name
the submitted files use is resolved through their imports and simple aliases
(`import torch.nn as nn`, `from torch.nn import Linear as L`, `layer = nn.Linear`,
`getattr(nn, "Linear")`, `vars(nn)["Linear"]`, `sys.modules["torch.nn"]`,
`importlib.import_module("torch.nn")`), and in the constant strings given to eval and
exec. What cannot be resolved by reading — an attribute of torch fetched under a computed
name (`getattr(nn, "Lin" + "ear")`), eval or exec of a built string, a walk over torch's
namespaces or `__subclasses__()` — is reported as hiding code from the check. Other
submitted files that the checked file imports are checked too.

Functional forms (`torch.nn.functional.linear`, `.embedding`) are allowed: they compute
with parameters the student created, shaped and initialised, which is what the rule is
there to teach; a module such as nn.Linear creates and initialises them itself.
"""
import ast
import os
from dataclasses import dataclass

# eval and exec of a constant are read; of anything else, they hide code
_DYNAMIC = {"eval", "exec", "compile", "__import__"}
_NAMESPACE_WALKS = {"__dict__", "__subclasses__", "__getattribute__", "__all__"}


@dataclass(frozen=True)
class Use:
    file: str
    line: int
    code: str       # the source text of the expression
    name: str       # the forbidden name it resolves to, or "" when it hides code

    def message(self, advice):
        if self.name:
            return f"{self.file} line {self.line}: `{self.code}` uses {self.name}; {advice}"
        return (f"{self.file} line {self.line}: `{self.code}` reaches torch under a name the grader "
                f"cannot read (a computed attribute, eval or exec of a built string, or a walk over "
                f"a namespace); name the torch functions you use directly. {advice}")


class _Resolver(ast.NodeVisitor):
    """Collect the uses of forbidden names in one file's syntax tree."""

    def __init__(self, file, text, tree, forbidden, watched):
        self.file, self.text = file, text
        self._subscript_values = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Subscript)}
        self.forbidden, self.watched = forbidden, watched
        self.aliases = {}        # local name -> dotted name it stands for
        self.star = []           # modules imported with *
        self.uses = []
        self.imports = set()     # top-level module names imported (to follow sibling files)

    # ----- what a node stands for ----------------------------------------------------
    def resolve(self, node):
        """The dotted name an expression stands for ("torch.nn.Linear"), or None."""
        if isinstance(node, ast.Name):
            if node.id in self.aliases:
                return self.aliases[node.id]
            for module in self.star:
                if node.id in self.forbidden:
                    return f"{module}.{node.id}"
            return None
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):
            fn = self.resolve(node.func) or (node.func.id if isinstance(node.func, ast.Name) else None)
            const = _constant_str(node.args[0]) if node.args else None
            if fn == "getattr" and len(node.args) >= 2:
                base, attr = self.resolve(node.args[0]), _constant_str(node.args[1])
                return f"{base}.{attr}" if base and attr else None
            if fn in ("importlib.import_module", "__import__") and const:
                return const if fn != "__import__" else const.split(".")[0]
            if fn == "vars" and node.args:
                return self.resolve(node.args[0])
            return None
        if isinstance(node, ast.Subscript):
            key = _constant_str(node.slice)
            value = node.value
            if isinstance(value, ast.Attribute) and value.attr == "__dict__":
                value = value.value
            base = self.resolve(value)
            if base == "sys.modules" and key:
                return key
            if base and key and _is_watched(base, self.watched):
                return f"{base}.{key}"
            return None
        return None

    # ----- bindings --------------------------------------------------------------------
    def visit_Import(self, node):
        for alias in node.names:
            self.imports.add(alias.name.split(".")[0])
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                self.aliases[top] = top
            self._report(node, alias.name)

    def visit_ImportFrom(self, node):
        if node.level or not node.module:
            module = node.module or ""
            self.imports.add(module.split(".")[0])
        else:
            module = node.module
            self.imports.add(module.split(".")[0])
        for alias in node.names:
            if alias.name == "*":
                if _is_watched(module, self.watched):
                    self.star.append(module)
                continue
            full = f"{module}.{alias.name}" if module else alias.name
            self.aliases[alias.asname or alias.name] = full
            self._report(node, full)

    def visit_Assign(self, node):
        self.generic_visit(node)
        target = self.resolve(node.value)
        for t in node.targets:
            if isinstance(t, ast.Name):
                if target:
                    self.aliases[t.id] = target
                else:
                    self.aliases.pop(t.id, None)

    def visit_ClassDef(self, node):
        self.aliases[node.name] = "<local>." + node.name  # a class of the student's own
        self.generic_visit(node)

    def visit_FunctionDef(self, node):
        self.aliases[node.name] = "<local>." + node.name
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    # ----- uses --------------------------------------------------------------------------
    def visit_Attribute(self, node):
        base = self.resolve(node.value)
        if node.attr in _NAMESPACE_WALKS and _is_watched(base or "", self.watched):
            self._hidden(node)
        if self._report(node, self.resolve(node)):
            return
        if base is None and node.attr in self.forbidden:
            # `.Linear` of something the reading could not follow ([nn][0].Linear): only
            # torch has such a layer, so it counts
            self.uses.append(Use(self.file, node.lineno, self._code(node), node.attr))
            return
        self.generic_visit(node)

    def visit_Name(self, node):
        self._report(node, self.resolve(node))

    def visit_Subscript(self, node):
        if not self._report(node, self.resolve(node)):
            value = node.value.value if (isinstance(node.value, ast.Attribute)
                                         and node.value.attr == "__dict__") else node.value
            base = self.resolve(value)
            if base and _is_watched(base, self.watched) and _constant_str(node.slice) is None:
                self._hidden(node)
            self.generic_visit(node)

    def visit_Call(self, node):
        if self._report(node, self.resolve(node)):
            return
        fn = self.resolve(node.func) or (node.func.id if isinstance(node.func, ast.Name) else None)
        args = node.args
        if fn == "getattr" and len(args) >= 2:
            base = self.resolve(args[0])
            if base and _is_watched(base, self.watched) and _constant_str(args[1]) is None:
                self._hidden(node)
        elif fn in ("vars", "dir") and args:
            base = self.resolve(args[0])
            if base and _is_watched(base, self.watched) and not self._subscripted(node):
                self._hidden(node)
        elif fn in _DYNAMIC or fn in ("importlib.import_module", "builtins.eval", "builtins.exec"):
            code = _constant_str(args[0]) if args else None
            if code is None:
                self._hidden(node)
            elif fn in ("eval", "exec", "compile", "builtins.eval", "builtins.exec"):
                self._read_constant_code(node, code)
        self.generic_visit(node)

    def _subscripted(self, node):
        return id(node) in self._subscript_values

    def _read_constant_code(self, node, code):
        try:
            tree = ast.parse(code)
        except SyntaxError:
            return
        inner = _Resolver(self.file, code, tree, self.forbidden, self.watched)
        inner.aliases, inner.star = dict(self.aliases), list(self.star)
        inner.visit(tree)
        for use in inner.uses:
            self.uses.append(Use(self.file, node.lineno, self._code(node), use.name))

    def _report(self, node, name):
        if name and name.split(".")[0] in self.watched and name.split(".")[-1] in self.forbidden:
            self.uses.append(Use(self.file, node.lineno, self._code(node), name))
            return True
        return False

    def _hidden(self, node):
        self.uses.append(Use(self.file, node.lineno, self._code(node), ""))

    def _code(self, node):
        text = ast.get_source_segment(self.text, node) or ""
        text = " ".join(text.split())
        return text if len(text) <= 80 else text[:77] + "..."


def _constant_str(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_watched(dotted, watched):
    return dotted.split(".")[0] in watched


class Unreadable(ValueError):
    """A submitted file that does not parse: the check cannot say what it uses."""


def forbidden_uses(sources, entry, forbidden, watched=("torch",)):
    """The uses of `forbidden` names (last components, e.g. {"Linear", "Embedding"}) of
    the `watched` packages in `sources[entry]` and in the submitted files it imports.

    `sources`: {file name: text, or None for a file too large to read} of the submitted
    files. Returns a list of `Use`, in file and line order; raises Unreadable naming the
    file (and the line of a syntax error)."""
    modules = {os.path.splitext(f)[0]: f for f in sources if f.endswith(".py")}
    todo, seen, uses = [entry], set(), []
    while todo:
        file = todo.pop(0)
        if file in seen or file not in sources:
            continue
        seen.add(file)
        text = sources[file]
        if text is None:  # see harness.read_sources
            raise Unreadable(f"{file} is too large for the grader to read")
        try:
            tree = ast.parse(text, filename=file)
        except SyntaxError as exc:
            raise Unreadable(f"{file} could not be read: {exc.msg} at line {exc.lineno}") from None
        resolver = _Resolver(file, text, tree, set(forbidden), set(watched))
        resolver.visit(tree)
        uses.extend(resolver.uses)
        todo.extend(modules[m] for m in sorted(resolver.imports) if m in modules)
    unique = {}
    for u in uses:  # one report per line and name
        unique.setdefault((u.file, u.line, u.name), u)
    return sorted(unique.values(), key=lambda u: (u.file != entry, u.file, u.line))
