"""student_template/ from solutions/: each solution region becomes a stub.

A region is the lines from `### BEGIN SOLUTION` to `### END SOLUTION` (markers
included). It is replaced by a "YOUR CODE HERE" comment and `raise NotImplementedError`
at the indentation of the BEGIN marker; every other byte of the file is kept.
Files without regions are copied as they are, so the template is the whole starter code.
Notebooks (.ipynb) get the same treatment cell by cell, with outputs cleared
(`notebook.template`).
"""
import os
import re
import shutil

BEGIN = re.compile(r"^([ \t]*)### BEGIN SOLUTION[ \t]*$")
END = re.compile(r"^[ \t]*### END SOLUTION[ \t]*$")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "*.egg-info")


class TemplateError(ValueError):
    pass


def strip_solutions(text, filename="<text>"):
    """The student version of one source file's text."""
    out, depth_line, indent = [], None, ""
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        begin = BEGIN.match(line.rstrip("\r\n"))
        if depth_line is None:
            if begin:
                depth_line, indent = number, begin.group(1)
                newline = "\r\n" if line.endswith("\r\n") else "\n"
                out.append(f"{indent}# YOUR CODE HERE{newline}")
                out.append(f"{indent}raise NotImplementedError{newline}")
            elif END.match(line.rstrip("\r\n")):
                raise TemplateError(f"{filename}:{number}: END SOLUTION without BEGIN")
            else:
                out.append(line)
        elif begin:
            raise TemplateError(f"{filename}:{number}: BEGIN SOLUTION inside the region "
                                f"opened at line {depth_line}")
        elif END.match(line.rstrip("\r\n")):
            depth_line = None
    if depth_line is not None:
        raise TemplateError(f"{filename}:{depth_line}: BEGIN SOLUTION is never closed")
    return "".join(out)


def has_regions(text):
    return any(BEGIN.match(line) for line in text.splitlines())


def render(solution_dir):
    """{relative path: bytes} of the template generated from one solution folder."""
    files = {}
    for root, dirs, names in os.walk(solution_dir):
        dirs[:] = sorted(d for d in dirs if not SKIP(root, [d]))
        for name in sorted(names):
            if SKIP(root, [name]):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, solution_dir).replace(os.sep, "/")
            with open(path, "rb") as f:
                data = f.read()
            if name.endswith(".py"):
                text = data.decode("utf-8")
                if has_regions(text):
                    data = strip_solutions(text, rel).encode("utf-8")
            elif name.endswith(".ipynb"):
                from .notebook.template import student_notebook  # it imports this module

                data = student_notebook(data, rel)
            files[rel] = data
    return files


def _existing(template_dir):
    found = {}
    if os.path.isdir(template_dir):
        for root, dirs, names in os.walk(template_dir):
            dirs[:] = [d for d in dirs if not SKIP(root, [d])]
            for name in names:
                if not SKIP(root, [name]):
                    path = os.path.join(root, name)
                    found[os.path.relpath(path, template_dir).replace(os.sep, "/")] = path
    return found


def _assignments(solutions_root, template_root):
    """(name, solution folder, template folder) of every assignment with a solution."""
    for assignment in sorted(os.listdir(solutions_root)):
        src = os.path.join(solutions_root, assignment)
        if os.path.isdir(src):
            yield assignment, src, os.path.join(template_root, assignment)


def stale_files(solutions_root, template_root):
    """Paths (relative to template_root) that differ from what would be generated."""
    stale = []
    for assignment, src, dest in _assignments(solutions_root, template_root):
        wanted = render(src)
        have = _existing(dest)
        for rel, data in wanted.items():
            path = have.get(rel)
            if path is None:
                stale.append(f"{assignment}/{rel} (missing)")
                continue
            with open(path, "rb") as f:
                if f.read() != data:
                    stale.append(f"{assignment}/{rel} (differs)")
            if os.stat(path).st_mode & 0o111 != os.stat(os.path.join(src, rel)).st_mode & 0o111:
                stale.append(f"{assignment}/{rel} (mode differs)")
        stale += [f"{assignment}/{rel} (not in solutions)" for rel in sorted(set(have) - set(wanted))]
    return stale


def write_all(solutions_root, template_root):
    """Regenerate every assignment's template; returns the files written."""
    written = []
    for assignment, src, dest in _assignments(solutions_root, template_root):
        if os.path.isdir(dest):
            shutil.rmtree(dest)
        for rel, data in render(src).items():
            path = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            shutil.copymode(os.path.join(src, rel), path)
            written.append(f"{assignment}/{rel}")
    return written


__all__ = ["strip_solutions", "render", "stale_files", "write_all", "TemplateError"]
