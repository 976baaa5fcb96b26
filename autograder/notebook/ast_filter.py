"""Which statements of a notebook run when it is graded, and in what form.

A notebook is graded by importing it as a module, but only its imports, function and
class definitions and constant assignments run: top-level work (downloads, training
loops, plots, sanity checks) never runs, so it can neither hang nor break the grading of
the functions. A definition is itself made inert before it runs, since Python runs code
while defining: decorators, default values, annotations, base classes, class keywords
and class bodies. What a definition loses is told to the student as a note ("code cell
4, line 2: ...").

Stdlib only: this module is also loaded by file path inside the sandbox.
"""
import __future__
import ast
import re

# IPython syntax that plain Python cannot parse: line magics, shell escapes, help.
_MAGIC_LINE = re.compile(r"^(\s*)(?:[%!]|[\w.]+\?\??\s*$|\w+\s*=\s*[%!])")

_CONSTANT_NODES = (ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.UnaryOp,
                   ast.BinOp, ast.BoolOp, ast.Name, ast.Attribute, ast.operator,
                   ast.unaryop, ast.boolop, ast.expr_context)

# Annotations are kept as strings and never evaluated (PEP 563), in every cell, whatever
# the student wrote: an annotation is documentation, and `x: slow() = 1` must not run.
COMPILE_FLAGS = __future__.annotations.compiler_flag

# The one global name the filtered code uses to reach trusted helpers (see `runtime`).
# A student's own binding of it, or of any module-level dunder, is dropped: rebinding
# `__builtins__` would let `import` or `class` run a student function.
RUNTIME = "__nlpgrade__"

# Decorators applied at grading time: the builtin descriptors and the stdlib wrappers a
# notebook uses for caching or records. Each only wraps what it decorates and runs none
# of the student's code while doing so (dataclass builds methods from the class's
# constant defaults). A decorator is applied as the trusted object of that name, never
# whatever the notebook bound to the name. Others (a student's own @timer, @njit,
# @torch.no_grad()) are left off: the function is defined undecorated.
_DECORATORS = {
    "staticmethod": "staticmethod", "classmethod": "classmethod", "property": "property",
    "lru_cache": "functools.lru_cache", "functools.lru_cache": "functools.lru_cache",
    "cache": "functools.cache", "functools.cache": "functools.cache",
    "cached_property": "functools.cached_property",
    "functools.cached_property": "functools.cached_property",
    "dataclass": "dataclasses.dataclass", "dataclasses.dataclass": "dataclasses.dataclass",
}
_DECORATOR_FACTORIES = {"functools.lru_cache", "dataclasses.dataclass"}  # @lru_cache(maxsize=None)
_PROPERTY_ACCESSORS = {"setter", "getter", "deleter"}                     # @x.setter
_WRAP_FUNCTIONS_ONLY = {"classmethod", "staticmethod"}                    # innermost only

# Class attributes Python calls while a class (or a subclass) is being created.
_CLASS_HOOKS = {"__init_subclass__", "__set_name__", "__mro_entries__", "__prepare__",
                "__class_getitem__"}

# Modules that run a program when imported (the rest of an import is library code).
_RUNS_WHEN_IMPORTED = {"antigravity", "this", "__hello__", "__phello__", "idlelib",
                       "turtledemo", "test", "__main__"}


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
    `np.float32`): nothing that calls, indexes or builds anything big. An attribute is read
    only from a module, checked when it runs (see _ModuleAttributes)."""
    if not all(isinstance(node, _CONSTANT_NODES) for node in ast.walk(expr)):
        return False
    # `9 ** 9 ** 9` would compute for hours: a power or shift takes a small literal
    # exponent, and no power is raised again.
    return all(_small_power(node) for node in ast.walk(expr)
               if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Pow, ast.LShift)))


def _small_power(node):
    exponent = node.right
    if isinstance(exponent, ast.UnaryOp) and isinstance(exponent.op, ast.USub):
        exponent = exponent.operand
    return (isinstance(exponent, ast.Constant) and type(exponent.value) in (int, float)
            and abs(exponent.value) <= 1024
            and not any(isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Pow, ast.LShift))
                        for n in ast.walk(node.left)))


# Module-level dunders a notebook may set: plain data nothing at grading time looks at.
_HARMLESS_DUNDERS = {"__all__", "__version__", "__author__", "__doc__"}


def _is_dunder(name):
    return (len(name) > 4 and name.startswith("__") and name.endswith("__")
            and name not in _HARMLESS_DUNDERS)


def _names_only(target):
    if isinstance(target, ast.Name):
        return True
    return isinstance(target, (ast.Tuple, ast.List)) and all(_names_only(t) for t in target.elts)


def _bound_names(target):
    if isinstance(target, ast.Name):
        return [target.id]
    return [n for t in getattr(target, "elts", []) for n in _bound_names(t)]


def _dotted(expr):
    """`a.b.c` as "a.b.c" for a chain of names, else None."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        head = _dotted(expr.value)
        return head and f"{head}.{expr.attr}"
    return None


def _runtime(key, *args):
    """`__nlpgrade__[key]`, or `__nlpgrade__[key](*args)`."""
    ref = ast.Subscript(value=ast.Name(id=RUNTIME, ctx=ast.Load()), slice=ast.Constant(value=key),
                        ctx=ast.Load())
    return ast.Call(func=ref, args=list(args), keywords=[]) if args else ref


class _ModuleAttributes(ast.NodeTransformer):
    """Each attribute read `a.b` as `__nlpgrade__["attribute"](a, "b", "a.b")`, which reads it
    only from a module: `Cls.attr` would run a descriptor of the notebook's own class (a
    classmethod over a property calls the function), so a constant reads no such attribute."""

    def visit_Attribute(self, node):
        if not isinstance(node.ctx, ast.Load):
            return node
        text, base = _shown(node), _shown(node.value)
        value = self.visit(node.value)
        return ast.copy_location(_runtime("attribute", value, ast.Constant(value=node.attr),
                                          ast.Constant(value=text), ast.Constant(value=base)), node)


def _guarded(expr):
    """A constant expression with its attribute reads checked when it runs (see above)."""
    return ast.fix_missing_locations(_ModuleAttributes().visit(expr))


def _literal(expr):
    try:
        ast.literal_eval(expr)
        return True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False


def _shown(expr, limit=60):
    text = ast.unparse(expr)
    return text if len(text) <= limit else text[:limit - 3] + "..."


class _Filter:
    """Filters and rewrites the statements of one cell, collecting notes for the student."""

    def __init__(self, number):
        self.number = number
        self.notes = []

    def note(self, node, text):
        self.notes.append(f"code cell {self.number}, line {node.lineno}: {text}")

    # ----- statements ---------------------------------------------------------------
    def statement(self, node, scope=None):
        """The statement as it may run (at top level, or in the body of class `scope`), or None."""
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return self.import_(node, scope)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return self.function(node, scope)
        if isinstance(node, ast.ClassDef):
            return self.class_(node, scope)
        if isinstance(node, ast.Assign):
            if not all(_names_only(t) for t in node.targets) or not is_constant(node.value):
                return None
            names = [n for t in node.targets for n in _bound_names(t)]
            if not self.may_bind(node, names, scope):
                return None
            node.value = _guarded(node.value)
            return node
        if isinstance(node, ast.AnnAssign):
            if not isinstance(node.target, ast.Name):
                return None
            if node.value is None:  # a bare `x: int` is a field of a class (dataclass), nothing at top level
                return node if scope is not None and self.may_bind(node, [node.target.id], scope) else None
            if not (is_constant(node.value) and self.may_bind(node, [node.target.id], scope)):
                return None
            node.value = _guarded(node.value)
            return node
        if isinstance(node, ast.Try):  # try: import x / except ImportError: x = None
            return self.try_(node, scope)
        if scope is not None and isinstance(node, ast.Pass):
            return node
        if scope is not None and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            return node  # a docstring, or `...`
        return None

    def may_bind(self, node, names, scope, what="a binding of"):
        """Whether the statement may bind these names; says why not to the student."""
        for name in names:
            if name == RUNTIME or (scope is None and _is_dunder(name)):
                self.note(node, f"{what} {name} was not run (the grader reserves module-level "
                                "names of the form __name__)")
                return False
            if scope is not None and name in _CLASS_HOOKS:
                self.note(node, f"{name} in class {scope} was left out (Python would run it while "
                                "defining classes, and only definitions run when grading)")
                return False
        return True

    def import_(self, node, scope):
        modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                   else [node.module or ""] if node.level == 0 else [])
        for module in modules:
            if set(module.split(".")) & _RUNS_WHEN_IMPORTED:
                self.note(node, f"the import of {module} was not run (importing it runs a program)")
                return None
        bound = [a.asname or a.name.split(".")[0] for a in node.names if a.name != "*"]
        return node if self.may_bind(node, bound, scope, "the import of") else None

    def try_(self, node, scope):
        if any(h.type is not None and not is_constant(h.type) for h in node.handlers):
            return None
        if any(h.name and not self.may_bind(h, [h.name], scope) for h in node.handlers):
            return None
        parts = {}
        for field in ("body", "orelse", "finalbody"):
            parts[field] = self.block(getattr(node, field), scope)
        handlers = []
        for h in node.handlers:
            body = self.block(h.body, scope)
            if body is None:
                return None
            handlers.append(ast.ExceptHandler(type=h.type and _guarded(h.type), name=h.name, body=body, lineno=h.lineno,
                                              col_offset=h.col_offset))
        if any(p is None for p in parts.values()):
            return None
        return ast.Try(handlers=handlers, **parts, lineno=node.lineno, col_offset=node.col_offset)

    def block(self, body, scope):
        """Every statement of a try block kept (pass included), or None."""
        out = []
        for s in body:
            kept = s if isinstance(s, ast.Pass) else self.statement(s, scope)
            if kept is None:
                return None
            out.append(kept)
        return out

    # ----- definitions --------------------------------------------------------------
    def decorators(self, node, what):
        kept = []  # (decorator as written, its trusted form)
        for dec in node.decorator_list:
            safe = self.decorator(dec)
            if safe is None:
                self.note(dec, f"the decorator @{_shown(dec)} of {what} was not applied (when grading, "
                               "only staticmethod, classmethod, property, functools' caches and dataclass are)")
            else:
                kept.append((dec, safe))
        # classmethod and staticmethod wrap only the function itself: over a property (or any
        # other descriptor) Python 3.9-3.12 chain them, and reading the class's attribute, as
        # dataclass and ABCMeta do while the class is made, would call the function.
        for dec, _ in kept[:-1]:
            if _dotted(dec) in _WRAP_FUNCTIONS_ONLY:
                self.note(dec, f"the decorator @{_shown(dec)} of {what} was not applied (when grading, "
                               f"@{_shown(dec)} applies only directly to a function, not over another "
                               "decorator)")
        return [safe for dec, safe in kept[:-1] if _dotted(dec) not in _WRAP_FUNCTIONS_ONLY] + [
            safe for _, safe in kept[-1:]]

    def decorator(self, dec):
        """The decorator as a trusted object, or None if it is not one we apply."""
        name = _dotted(dec)
        if name in _DECORATORS:
            return _runtime(_DECORATORS[name])
        if (isinstance(dec, ast.Call) and _DECORATORS.get(_dotted(dec.func)) in _DECORATOR_FACTORIES
                and all(_literal(a) for a in dec.args) and all(k.arg and _literal(k.value) for k in dec.keywords)):
            return ast.Call(func=_runtime(_DECORATORS[_dotted(dec.func)]), args=dec.args, keywords=dec.keywords)
        if (isinstance(dec, ast.Attribute) and isinstance(dec.value, ast.Name)
                and dec.attr in _PROPERTY_ACCESSORS):
            # `x.setter` of a property x defined above; the helper checks x is a property
            return _runtime("property accessor", dec.value, ast.Constant(value=dec.attr))
        return None

    def function(self, node, scope):
        if not self.may_bind(node, [node.name], scope, "the definition of"):
            return None
        what = node.name if scope is None else f"{scope}.{node.name}"
        node.decorator_list = self.decorators(node, what)
        args = node.args
        positional = args.posonlyargs + args.args
        deferred = []  # (parameter name, its default expression)
        for i, default in enumerate(args.defaults):
            if is_constant(default):
                args.defaults[i] = _guarded(default)
            else:
                deferred.append((positional[len(positional) - len(args.defaults) + i].arg, default))
                args.defaults[i] = _runtime("unset")
        for i, default in enumerate(args.kw_defaults):
            if default is not None and is_constant(default):
                args.kw_defaults[i] = _guarded(default)
            elif default is not None:
                deferred.append((args.kwonlyargs[i].arg, default))
                args.kw_defaults[i] = _runtime("unset")
        if deferred:
            # The default is computed at each call that leaves it out, inside the function,
            # rather than once when the function is defined.
            checks = [ast.If(test=ast.Compare(left=ast.Name(id=arg, ctx=ast.Load()), ops=[ast.Is()],
                                              comparators=[_runtime("unset")]),
                             body=[ast.Assign(targets=[ast.Name(id=arg, ctx=ast.Store())], value=default,
                                              lineno=default.lineno)],
                             orelse=[])
                      for arg, default in deferred]
            body = node.body
            docstring = body[:1] if (body and isinstance(body[0], ast.Expr)
                                     and isinstance(body[0].value, ast.Constant)
                                     and isinstance(body[0].value.value, str)) else []
            node.body = docstring + checks + body[len(docstring):]
            for arg, default in deferred:
                self.note(default, f"the default value of {arg} in {what} ({_shown(default)}) is computed "
                                   "when the function is called, not when it is defined")
        return ast.fix_missing_locations(node)

    def class_(self, node, scope):
        if not self.may_bind(node, [node.name], scope, "the definition of"):
            return None
        what = node.name if scope is None else f"{scope}.{node.name}"
        bad = [b for b in node.bases if _dotted(b) is None]
        if bad:
            self.note(node, f"class {what} was not defined: its base {_shown(bad[0])} is not a plain class "
                            "name (when grading, a class statement runs no calls or subscripts)")
            return None
        if node.keywords:
            shown = ", ".join(_shown(k) if k.arg is None else f"{k.arg}=..." for k in node.keywords)
            self.note(node, f"class {what} was defined without its keywords ({shown}): when grading, "
                            "classes get no metaclass or class arguments")
            node.keywords = []
        # Each base is checked when the class is defined: a plain class, no enum or other
        # metaclass that would run the body's methods.
        node.bases = [_runtime("base", _guarded(b)) for b in node.bases]
        node.decorator_list = self.decorators(node, f"class {what}")
        body, dropped = [], []
        for s in node.body:
            kept = self.statement(s, what)
            if kept is None:
                dropped.append(s)
            else:
                body.append(kept)
        dropped = [s for s in dropped if not _binds_hook(s)]  # those have a note of their own
        if dropped:
            lines = ", ".join(str(s.lineno) for s in dropped[:8]) + (", ..." if len(dropped) > 8 else "")
            self.note(node, f"{len(dropped)} statement{'s' if len(dropped) > 1 else ''} in the body of class "
                            f"{what} (line{'s' if len(dropped) > 1 else ''} {lines}) did not run: a class "
                            "body runs only definitions and constant assignments when grading")
        node.body = body or [ast.Pass(lineno=node.lineno, col_offset=node.col_offset)]
        return ast.fix_missing_locations(node)


def _binds_hook(node):
    names = [getattr(node, "name", None)]
    if isinstance(node, ast.Assign):
        names = [n for t in node.targets for n in _bound_names(t)]
    elif isinstance(node, ast.AnnAssign):
        names = _bound_names(node.target)
    return bool(set(names) & _CLASS_HOOKS)


def keeps(node):
    """Does this top-level statement run (in some form) at grading time?"""
    return _Filter(0).statement(node) is not None


class CellPlan:
    """What of one code cell runs: `statements` (ast nodes, to compile with COMPILE_FLAGS)
    or a `problem` explaining why nothing does; `notes` say what definitions lost."""

    def __init__(self, number, statements=(), skipped=0, problem=None, notes=()):
        self.number, self.statements, self.skipped, self.problem = number, list(statements), skipped, problem
        self.notes = list(notes)


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
    cell = _Filter(number)
    kept = [k for k in (cell.statement(node) for node in tree.body) if k is not None]
    return CellPlan(number, kept, skipped=len(tree.body) - len(kept), notes=cell.notes)


# ----- what the filtered code calls (bound to RUNTIME in the notebook's module) -------------
class _Unset:
    """Stands for a default value computed at call time."""

    def __repr__(self):
        return "<default computed when called>"


def _property_accessor(prop, name):
    if type(prop) is not property:
        raise TypeError(f"@{name} decorates the methods of a property, and this is a "
                        f"{type(prop).__name__}")
    return getattr(prop, name)


def _module_attribute(obj, name, text, base):
    import types

    # type(obj), never obj.__class__ or another attribute: those could run the notebook's code
    if issubclass(type(obj), types.ModuleType) or type(obj).__name__ == "_Missing":
        return getattr(obj, name)  # a library's code (or the importer's note on a missing one)
    kind = "a class" if issubclass(type(obj), type) else f"a {type(obj).__name__}"
    raise TypeError(f"{text} was not read: when grading, a constant reads attributes of imported "
                    f"modules only (like np.float32), and {base} is {kind}, not a module")


def _base(cls):
    import abc

    if not isinstance(cls, type) or type(cls) not in (type, abc.ABCMeta):
        kind = type(cls).__name__
        raise TypeError(f"{getattr(cls, '__name__', cls)!r} (a {kind}) cannot be a base class when "
                        "grading: only plain classes are, not enums or classes with a metaclass")
    return cls


def runtime():
    """The read-only mapping bound to RUNTIME in a notebook's module before its cells run."""
    import dataclasses
    import functools
    import types

    return types.MappingProxyType({
        "staticmethod": staticmethod, "classmethod": classmethod, "property": property,
        "functools.lru_cache": functools.lru_cache, "functools.cache": functools.cache,
        "functools.cached_property": functools.cached_property,
        "dataclasses.dataclass": dataclasses.dataclass,
        "property accessor": _property_accessor, "base": _base, "unset": _Unset(),
        "attribute": _module_attribute,
    })
