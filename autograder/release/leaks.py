"""Leak check of the student zip: nothing the grader keeps private may be in it.

`check(assignment, entries)` returns problems as "zip path:line: why" (empty: no leak):
- solution text: a line of a solution region (solutions/aN/**, between the markers)
  found in any text entry, even inside a longer line;
- a hidden test: an entry under a tests/hidden/ folder, named like a hidden test file, or
  with the same bytes as one;
- hidden data: an entry with the path or the sha256 of a config "hidden_data" file;
- a reference module: an entry with the same bytes as a solution file that has regions.

Solution lines too trivial to be a leak are not searched for (see `is_trivial`).
"""
import hashlib
import io
import json
import os
import re
import tokenize

from .. import data as datamod
from ..notebook.template import source_text
from ..templates import BEGIN, END, SKIP
from . import ReleaseError

MIN_LENGTH = 12  # shorter lines ("pass", "return loss", "else:") say nothing


def normalize(text):
    """Whitespace-insensitive form of a line, so re-indenting does not hide a leak."""
    return " ".join(text.split())


# ----- what the solutions hold -----------------------------------------------------
def read_files(folder):
    """{relative path: bytes} of the files under `folder` (no caches)."""
    found = {}
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not SKIP(root, [d]))
        for name in sorted(names):
            if not SKIP(root, [name]):
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    found[os.path.relpath(path, folder).replace(os.sep, "/")] = f.read()
    return found


def split_lines(text):
    """Per line: the pieces worth comparing, i.e. the whole line and, for Python, the
    code and the comment apart (a leak may copy just one of them)."""
    lines = text.splitlines()
    pieces = [[normalize(line)] for line in lines]
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                row, col = tok.start
                if row > len(lines):  # a line break splitlines and tokenize disagree on
                    break
                # the comment without its "#", as it would read if pasted into prose
                pieces[row - 1] += [normalize(lines[row - 1][:col]),
                                    normalize(tok.string.lstrip("#"))]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass  # not Python: whole lines only
    return [[p for p in ps if p] for ps in pieces]


def regions(text):
    """[(in_region, line number, pieces)] of every line; markers count as outside."""
    out, inside = [], False
    for number, (line, pieces) in enumerate(zip(text.splitlines(), split_lines(text)), 1):
        if BEGIN.match(line) or END.match(line):
            inside = bool(BEGIN.match(line))
            out.append((False, number, []))  # the markers themselves say nothing
        else:
            out.append((inside, number, pieces))
    return out


def is_trivial(piece, public_text):
    """Too short to mean anything, or also in text the student gets anyway."""
    return len(piece) < MIN_LENGTH or piece in public_text


def solution_secrets(assignment):
    """({normalized piece: "solutions/aN/file:line"}, {sha256: solution path}) of the
    region lines and of the files that have regions."""
    solutions = read_files(assignment.reference_dir)
    templates = read_files(assignment.template_dir)
    prefix = f"solutions/{assignment.name}/"
    outside, inside, modules = [], [], {}
    for rel, data in solutions.items():
        text = _text(data)
        if text is None:
            continue
        lines = regions(text)
        if any(in_region for in_region, _, _ in lines):
            modules[_sha(data)] = prefix + rel
        for in_region, number, pieces in lines:
            where = f"{prefix}{rel}:{number}"
            (inside if in_region else outside).extend((p, where) for p in pieces)
    public = [p for p, _ in outside]
    for data in templates.values():
        text = _text(data)
        if text is not None:
            public += [p for ps in split_lines(text) for p in ps]
    public_text = "\n".join(public)
    secrets = {}
    for piece, where in inside:
        if not is_trivial(piece, public_text):
            secrets.setdefault(piece, where)
    return secrets, modules


# ----- the checks ------------------------------------------------------------------
def check(assignment, entries):
    """Problems ("path:line: why") that make `entries` (the student zip) leak."""
    secrets, modules = solution_secrets(assignment)
    hidden_tests = _hidden_tests(assignment)
    hidden_data = _hidden_data(assignment)
    problems = []
    for path in sorted(entries):
        data = entries[path][0]
        digest = _sha(data)
        if digest in modules:
            problems.append(f"{path}:1: the reference module {modules[digest]}")
        source = _hidden_test_source(path, digest, hidden_tests)
        if source:
            problems.append(f"{path}:1: a hidden test ({source})")
        for rel, sha in hidden_data.items():
            if digest == sha or path.endswith("/data/" + rel):
                problems.append(f"{path}:1: the hidden data file {rel}")
        text = _text(data)
        if text is not None and digest not in modules:
            problems += _solution_lines(path, text, secrets)
    return problems


def _solution_lines(path, text, secrets):
    lines = [normalize(line) for line in text.splitlines()]
    joined = "\n".join(lines)
    found = []
    for secret, where in secrets.items():
        if secret in joined:  # cheap test on the whole file first
            for number, line in enumerate(lines, 1):
                if secret in line:
                    found.append((number, f"{path}:{number}: solution text from {where}: {secret}"))
    return [problem for _, problem in sorted(found)]


def _hidden_tests(assignment):
    """{"assignments/aN/tests/hidden/file": sha256} of the hidden test folder."""
    folder = assignment.tests_dir("hidden")
    prefix = f"assignments/{assignment.name}/tests/hidden/"
    return {prefix + rel: _sha(data) for rel, data in read_files(folder).items()}


def _hidden_test_source(path, digest, hidden_tests):
    """The hidden test that `path` copies (same bytes, or same test module name), or
    whether it sits in a tests/hidden/ folder; None when it is none of these."""
    for hidden, sha in hidden_tests.items():
        if sha == digest:
            return hidden
    for hidden in hidden_tests:
        # Only test modules have telling names (a hidden __init__.py would match anything).
        name = os.path.basename(hidden)
        if name.startswith("test") and os.path.basename(path) == name:
            return hidden
    if re.search(r"(^|/)tests/hidden/", path):
        return "a tests/hidden/ folder"
    return None


def _hidden_data(assignment):
    """{manifest path: sha256} of the config's "hidden_data" (from the manifest, so the
    files need not be on this machine)."""
    with open(os.path.join(assignment.folder, "config.json")) as f:
        wanted = json.load(f).get("hidden_data", [])
    manifest = {e["path"]: e["sha256"] for e in datamod.load_manifest()["files"]}
    missing = [p for p in wanted if p not in manifest]
    if missing:
        raise ReleaseError(f"hidden_data lists {', '.join(missing)}, "
                           "which data-manifest.json does not")
    return {p: manifest[p] for p in wanted}


def _text(data):
    notebook = source_text(data)  # a notebook's lines, not its JSON-escaped strings
    if notebook is not None:
        return notebook
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None  # binary: only its checksum is compared


def _sha(data):
    return hashlib.sha256(data).hexdigest()
