"""What goes into `ASSIGNMENT-student.zip`: everything a student needs, under one folder.

    a2/README.md              how to set up, check and submit (generated here)
    a2/handout.md             assignments/a2/handout.md
    a2/config.json            assignments/a2/config.json: points and limits, read by the tests
    a2/requirements.txt       pinned packages the shipped code imports
    a2/pytest.ini, conftest.py  let a plain `pytest` use the bundled engine on this folder
    a2/word2vec.py ...        student_template/a2/: the stubs, provided utils, run.py
    a2/tests/public/...       assignments/a2/tests/public/: the public tests
    a2/autograder/...         the grading engine, so `python -m autograder check|submit` works
    a2/data/<manifest path>   each file of config "public_data", sha256-checked
    a1/data/<path>            each file of config "generated_data" (made by a project
                              command, e.g. word vectors), with its .json sidecar

The tests keep the repository's `tests/public/` layout, so the engine grades the starter
folder exactly as it grades the repository (config.for_test_file makes a2/ the root).
Nothing here decides what is secret: leaks.check inspects the result.
"""
import ast
import functools
import importlib.metadata
import json
import os
import re
import sys

from .. import data as datamod
from .. import templates
from ..notebook.ast_filter import without_magics
from ..preflight import EXTRAS_MARK
from . import ReleaseError, read_tree

ENGINE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Instructor tools: they build or run the grader's own artifacts and are no use to students.
ENGINE_EXCLUDED = ("release/", "batch.py", "batch_dask.py", "report/", "similarity.py", "emulate.py",
                   "vectors/sgns.py", "vectors/cli.py", "vectors/corpus.py", "vectors/evaluate.py")
# Every third-party module the shipped engine imports is required, except these, which it
# imports only when the assignment needs them: name -> whether `assignment_imports` (the
# third-party modules of the starter code and tests) and `notebook` (the zip holds one)
# say it is needed. A student's venv then never fetches torch for a numpy assignment.
ENGINE_CONDITIONAL = {
    "torch": lambda assignment_imports, notebook: "torch" in assignment_imports,  # tensors cross
    "nbformat": lambda assignment_imports, notebook: notebook,  # the worker reads the notebook
}
# Run by the student, never imported: pytest (a plain `pytest` runs the public tests).
TOOLS = ("pytest",)
# What opens a notebook; a notebook assignment's student requirements must pin one.
NOTEBOOK_APPS = ("notebook", "jupyterlab")
# Per assignment, optional: lines added to the student's requirements.txt (pins of tools
# the grader does not need, such as Jupyter; pip options such as an extra index), and
# text added to the README's set-up section.
EXTRA_REQUIREMENTS = "student-requirements.txt"
EXTRA_SETUP = "student-setup.md"

CONFTEST = '''\
# For a plain `pytest`: import the grading engine bundled here, and check the files of
# this folder wherever pytest is started from (unless NLPGRADE_SUBMISSION says otherwise).
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ.setdefault("NLPGRADE_SUBMISSION", HERE)
'''
# Makes this folder pytest's rootdir however pytest is started, so conftest.py is loaded.
PYTEST_INI = "[pytest]\ntestpaths = tests\n"


def raw_config(assignment):
    """config.json as written: it holds keys (public_data, ...) the Assignment ignores."""
    with open(os.path.join(assignment.folder, "config.json"), "rb") as f:
        return f.read()


def entries(assignment):
    """{archive path: (bytes, executable)} of the student zip of `assignment`."""
    top = assignment.name + "/"
    config_bytes = raw_config(assignment)
    config = json.loads(config_bytes)
    out = {}
    out.update(template_entries(assignment, top))
    out.update(read_tree(assignment.tests_dir("public"), top + "tests/public/"))
    out.update(engine_entries(top + "autograder/"))
    out.update(data_entries(config.get("public_data", []), top + "data/"))
    out.update(generated_entries(config.get("generated_data", []), top + "data/"))
    out[top + "config.json"] = (config_bytes, False)
    out[top + "handout.md"] = (_handout(assignment), False)
    out[top + "conftest.py"] = (CONFTEST.encode(), False)
    out[top + "pytest.ini"] = (PYTEST_INI.encode(), False)
    out[top + "requirements.txt"] = (requirements(assignment, out, top).encode(), False)
    out[top + "README.md"] = (readme(assignment, config, out, top).encode(), False)
    return out


def template_entries(assignment, prefix):
    """student_template/aN, refusing stale files. Only files the solutions generate are
    taken, so leftovers in the folder (outputs of run.py, say) are not shipped."""
    wanted = templates.render(assignment.reference_dir)
    have = read_tree(assignment.template_dir, "")
    stale = sorted(rel for rel in wanted if rel not in have or have[rel][0] != wanted[rel])
    if stale:
        raise ReleaseError(f"student_template/{assignment.name} is stale ({', '.join(stale)}); "
                           "run `nlpgrade templates`")
    return {prefix + rel: have[rel] for rel in wanted}


def engine_entries(prefix):
    """The engine package, less the instructor tools and hidden (dot) files."""
    tree = read_tree(ENGINE_DIR, "")
    return {prefix + rel: value for rel, value in tree.items()
            if not rel.startswith(ENGINE_EXCLUDED)
            and not any(part.startswith(".") for part in rel.split("/"))}


def data_entries(paths, prefix):
    """Each manifest path from the data folder, refusing a file whose sha256 is wrong."""
    manifest = {e["path"]: e for e in datamod.load_manifest()["files"]}
    out = {}
    for rel in paths:
        if rel not in manifest:
            raise ReleaseError(f"public_data lists {rel}, which data-manifest.json does not")
        try:
            path = datamod.path(rel)
        except datamod.DataError as exc:
            raise ReleaseError(str(exc)) from None
        if datamod.sha256_of(path) != manifest[rel]["sha256"]:
            raise ReleaseError(f"{path} does not match its sha256 in data-manifest.json; "
                               "run `nlpgrade data`")
        with open(path, "rb") as f:
            out[prefix + rel] = (f.read(), False)
    return out


def generated_data_dir():
    return datamod.DEFAULT_DATA_DIR


def generated_entries(paths, prefix):
    """Files the project makes itself (e.g. `nlpgrade vectors`), with their sidecar
    description (same name, .json) when there is one. Not in the manifest: they are
    reproducible from it, not downloaded."""
    out, data_dir = {}, generated_data_dir()
    for rel in paths:
        path = os.path.join(data_dir, rel)
        if not os.path.isfile(path):
            raise ReleaseError(f"{path} is missing: it is made by a project command "
                               "(`make vectors` for word vectors), not downloaded")
        for extra in (rel, os.path.splitext(rel)[0] + ".json"):
            full = os.path.join(data_dir, extra)
            if os.path.isfile(full):
                with open(full, "rb") as f:
                    out[prefix + extra] = (f.read(), False)
    return out


def _handout(assignment):
    path = os.path.join(assignment.folder, "handout.md")
    if not os.path.isfile(path):
        raise ReleaseError(f"{path} is missing: the student zip needs a handout")
    with open(path, "rb") as f:
        return f.read()


# ----- requirements.txt ------------------------------------------------------------
def pinned(root):
    """{normalized name: pin line} of the repository's requirements.txt."""
    with open(os.path.join(root, "requirements.txt")) as f:
        return {name: line for name, line in _pins(f)}


def _pins(lines):
    """(normalized name, line) of each requirement line, comments and pip options left out."""
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            yield _normalize(re.split(r"[=<>!~;\[ ]", line)[0]), line


def _normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def distribution(module):
    """The (normalized) distribution that installs a top-level module: sklearn ->
    scikit-learn, yaml -> pyyaml, as installed here; the module's own name otherwise."""
    found = _distributions().get(module)
    return _normalize(found[0] if found else module)


@functools.lru_cache(maxsize=1)
def _distributions():
    return importlib.metadata.packages_distributions()


def imported_packages(sources):
    """Top-level names of the absolute imports in some Python sources."""
    names = set()
    for path, text in sources:
        for node in ast.walk(ast.parse(text, path)):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def notebook_code(data):
    """A notebook's code cells as one Python text (IPython magics blanked out)."""
    cells = json.loads(data.decode("utf-8")).get("cells", [])
    sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
               for c in cells if c.get("cell_type") == "code"]
    return "\n".join(code for code in map(without_magics, sources) if code is not None)


def third_party_imports(files, top):
    """({module: [paths]} imported by the assignment's own code (starter code, notebooks,
    public tests), the same for the bundled engine), leaving out the standard library and
    the zip's own modules (word2vec, utils, probes_a2, autograder, the engine's private
    `_nlpgrade_*` aliases ...)."""
    code = {p: data.decode("utf-8") for p, (data, _) in files.items() if p.endswith(".py")}
    code.update({p: notebook_code(data) for p, (data, _) in files.items() if p.endswith(".ipynb")})
    local = {p[len(top):].split("/")[0].removesuffix(".py") for p in files}
    local |= {os.path.splitext(os.path.basename(p))[0] for p in code}
    own, engine = {}, {}
    for path, text in code.items():
        where = engine if path.startswith(top + "autograder/") else own
        for name in imported_packages([(path, text)]):
            if name not in sys.stdlib_module_names and name not in local \
                    and not name.startswith("_nlpgrade_"):
                where.setdefault(name, []).append(path)
    return own, engine


def extra_requirements(assignment):
    """The lines of assignments/aN/student-requirements.txt (none if there is no such file)."""
    path = os.path.join(assignment.folder, EXTRA_REQUIREMENTS)
    if not os.path.isfile(path):
        return []
    with open(path) as f:
        return [line.rstrip() for line in f if line.strip()]


def requirements(assignment, files, top):
    """Pins for what the zip's code imports, engine included (torch only when the starter
    code or the public tests use it, nbformat only with a notebook), pytest, and the
    assignment's extra lines (Jupyter, a wheel index)."""
    own, engine = third_party_imports(files, top)
    notebook = any(p.endswith(".ipynb") for p in files)
    wanted_modules = set(own) | {n for n in engine if n not in ENGINE_CONDITIONAL}
    wanted_modules |= {n for n, needed in ENGINE_CONDITIONAL.items() if needed(set(own), notebook)}
    wanted = {distribution(n) for n in wanted_modules} | set(TOOLS)
    pins = pinned(assignment.root)
    unknown = sorted(n for n in wanted if n not in pins)
    if unknown:
        raise ReleaseError(f"{assignment.name} imports {', '.join(unknown)}, which "
                           "requirements.txt does not pin")
    extra = extra_requirements(assignment)
    for name, line in _pins(extra):
        if name in pins and pins[name] != line:
            raise ReleaseError(f"assignments/{assignment.name}/{EXTRA_REQUIREMENTS} pins {line}, "
                               f"requirements.txt {pins[name]}: keep one version")
    extra_names = {name for name, _ in _pins(extra)}
    if notebook and not extra_names & set(NOTEBOOK_APPS):
        raise ReleaseError(f"{assignment.name} hands out a notebook, but "
                           f"assignments/{assignment.name}/{EXTRA_REQUIREMENTS} pins no "
                           f"Jupyter ({' or '.join(NOTEBOOK_APPS)}) to open it with")
    lines = [f"# Packages for {assignment.name}: `python -m pip install -r requirements.txt`",
             "# (Python 3.10 or 3.11)."] + [pins[n] for n in sorted(wanted - extra_names)]
    if extra:
        # preflight.py stops at this line: `check` needs only what is above it
        lines += [f"{EXTRAS_MARK} {assignment.name} (the grader does not need these):"] + extra
    return "\n".join(lines) + "\n"


# ----- README.md -------------------------------------------------------------------
def readme(assignment, config, files, top):
    name = assignment.name
    graded = "\n".join(f"- `{f}`" for f in assignment.student_files)
    # The rest of the code, by top-level name: "utils/x.py" -> "utils/", "run.py" stays.
    tops = {rel.split("/")[0] + ("/" if "/" in rel else "")
            for rel in (p[len(top):] for p in files)}
    code = sorted(t for t in tops if t.endswith((".py", "/")) and t not in assignment.student_files
                  and t not in ("conftest.py", "data/"))
    provided = ", ".join(f"`{t}`" for t in code)
    data_text = ("\nThe data the assignment needs is in `data/` (see the handout for its "
                 "source and license).\n") if config.get("public_data") else ""
    setup_text = _extra_setup(assignment)
    notebooks = [f for f in assignment.student_files if f.endswith(".ipynb")]
    notebook_text = "".join(f"""
Open the notebook with Jupyter (installed by `requirements.txt`), from this folder with
the venv active:

```sh
jupyter notebook {nb}
```

Run its cells as you go. Save it before you check or submit: the grader reads the saved
`{nb}` (its code cells; their outputs are not graded).
""" for nb in notebooks)
    return f"""# {name}: {assignment.title}

Read `handout.md` first: it describes the assignment and how it is graded.

## Set up (once)

The checks run on Linux (on Windows, use WSL), with Python 3.10 or 3.11.

```sh
cd {name}
python3 -m venv .venv
. .venv/bin/activate
python -m pip install -r requirements.txt
```

Use this venv (`. .venv/bin/activate` in each new terminal) for everything below.
{setup_text}
## Work

Fill in the parts marked `YOUR CODE HERE` in:

{graded}

The rest ({provided}) is provided.
The grader uses its own copy of the provided modules, so changes you make to them are
not graded.
{notebook_text}{data_text}
## Check and submit

Run these from this folder:

```sh
python -m autograder check    # runs the public checks, prints a score table
python -m autograder submit   # runs the public checks, then writes {name}-submission.zip
```

`submit` packs exactly the files listed above and tells you which; it refuses if one
is missing. Upload `{name}-submission.zip` to Gradescope. The public checks are a subset
of the grading: hidden tests run after you submit.
"""


def _extra_setup(assignment):
    """assignments/aN/student-setup.md, for the README's set-up section ("" if none)."""
    path = os.path.join(assignment.folder, EXTRA_SETUP)
    if not os.path.isfile(path):
        return ""
    with open(path) as f:
        return "\n" + f.read().strip() + "\n"
