"""What goes into `dist/ASSIGNMENT-autograder.zip`, the zip uploaded to Gradescope.

Gradescope unpacks it into /autograder/source, runs `setup.sh` once when it builds the
image, then `run_autograder` for each submission (see shared/specs/gradescope.md). The
zip holds exactly what grading needs:

    setup.sh, run_autograder      at the root, executable (templates in gradescope/)
    requirements.txt              the repo's pins, torch pinned to its CPU build
    pyproject.toml, README.md     to pip-install the engine (README is the package readme)
    autograder/**                 the engine
    assignments/NAME/**           config, public and hidden tests
    solutions/NAME/**             the reference (also where provided modules come from)
    data/PATH, data-manifest.json the data grading reads (config "hidden_data", "grader_data",
                               "sandbox_data"), if any

Nothing else: no other assignment, no tests of the harness, no .venv, no dist/.
"""
import json
import os
import re

from . import ReleaseError, read_tree
from .. import data as datamod

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gradescope")
ASSIGNMENT_MARK = "@ASSIGNMENT@"
# Where setup.sh finds CPU-only torch wheels. PyPI's default torch wheel pulls in ~3 GB
# of CUDA libraries that Gradescope's CPU-only image can never use, so the zip pins the
# `+cpu` local version, which only this index serves.
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _read(path):
    with open(path, "rb") as f:
        return f.read()


# Packages of staff tools that grading one submission never imports (batch on a Dask
# cluster, code similarity): not installed in Gradescope's image.
STAFF_ONLY = ("dask", "distributed", "copydetect")


def gradescope_requirements(text):
    """The repo's requirements with `torch==X` pinned to `torch==X+cpu`, less STAFF_ONLY.

    The repo's own pin accepts any local build (pip picks the CPU wheel from the mirror
    here); on Gradescope the exact `+cpu` pin makes pip take the wheel from the CPU index
    that setup.sh adds, never PyPI's CUDA one."""
    text = re.sub(r"(?m)^(torch==[0-9][0-9A-Za-z.]*)(?![+0-9A-Za-z.])", r"\1+cpu", text)
    staff = re.compile(r"(?i)^(%s)\s*(==|>=|<=|~=|\[|$)" % "|".join(re.escape(n) for n in STAFF_ONLY))
    return "".join(line for line in text.splitlines(keepends=True) if not staff.match(line))


def script(name, assignment):
    """A Gradescope script from gradescope/, with the assignment name baked in."""
    text = _read(os.path.join(TEMPLATES, name)).decode("utf-8")
    return text.replace(ASSIGNMENT_MARK, assignment.name).encode("utf-8")


def hidden_data(assignment):
    """The config's "hidden_data": manifest paths (under data/) that grading reads."""
    with open(os.path.join(assignment.folder, "config.json")) as f:
        return list(json.load(f).get("hidden_data", []))


def grading_data(assignment):
    """Every data file a grading run reads: "hidden_data" (only the grader has them),
    "grader_data" (public files the tests read in the trusted process) and
    "sandbox_data" (staged for the sandboxes), each once."""
    with open(os.path.join(assignment.folder, "config.json")) as f:
        config = json.load(f)
    paths = config.get("hidden_data", []) + config.get("grader_data", []) + assignment.sandbox_data
    return list(dict.fromkeys(paths))


def _data_entries(assignment, paths):
    """data/PATH for each data path grading reads, checked against the manifest's sha256, so a
    stale or half-copied data/ folder can never be shipped."""
    if not paths:
        return {}
    manifest_path = os.path.join(assignment.root, "data-manifest.json")
    manifest = datamod.load_manifest(manifest_path)
    known = {e["path"]: e for e in manifest["files"]}
    entries = {"data-manifest.json": (_read(manifest_path), False)}
    for rel in paths:
        if rel not in known:
            raise ReleaseError(f"{assignment.name}: data {rel!r} is not in data-manifest.json")
        path = os.path.join(assignment.root, "data", rel)
        if not os.path.isfile(path):
            raise ReleaseError(f"{assignment.name}: data {path} is missing; run `make setup`")
        if datamod.sha256_of(path) != known[rel]["sha256"]:
            raise ReleaseError(f"{assignment.name}: {path} does not match its sha256 in data-manifest.json")
        entries[f"data/{rel}"] = (_read(path), False)
    return entries


def entries(assignment):
    """{archive path: (bytes, executable)} of the autograder zip, for `write_zip`."""
    root = assignment.root
    reference = assignment.reference_dir
    if not os.path.isdir(reference):
        raise ReleaseError(f"{assignment.name}: no reference in {reference}")
    requirements = _read(os.path.join(root, "requirements.txt")).decode("utf-8")
    result = {
        "setup.sh": (script("setup.sh", assignment), True),
        "run_autograder": (script("run_autograder", assignment), True),
        "requirements.txt": (gradescope_requirements(requirements).encode("utf-8"), False),
        "pyproject.toml": (_read(os.path.join(root, "pyproject.toml")), False),
        "README.md": (_read(os.path.join(root, "README.md")), False),
    }
    result.update(read_tree(os.path.join(root, "autograder"), "autograder/"))
    result.update(read_tree(assignment.folder, f"assignments/{assignment.name}/"))
    result.update(read_tree(reference, f"solutions/{assignment.name}/"))
    result.update(_data_entries(assignment, grading_data(assignment)))
    return result
