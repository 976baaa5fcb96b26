"""Assignment configuration: `assignments/aN/config.json`, and where things live.

Everything about an assignment except its code is in its folder: points, limits,
thresholds, the files students submit and the files the grader provides.
"""
import json
import os
from dataclasses import dataclass, field

from .sandbox import Limits

# The folder holding assignments/ and solutions/: the checkout, or wherever an installed
# engine is told (the Gradescope image sets NLPGRADE_ROOT=/autograder/source).
ROOT = os.environ.get("NLPGRADE_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


class ConfigError(ValueError):
    pass


@dataclass
class Assignment:
    name: str
    title: str
    folder: str                       # assignments/aN
    student_files: list               # what students submit and we grade
    provided: list                    # files we supply next to them (from the reference)
    points: dict                      # test number -> points
    limits: Limits
    timing: dict = field(default_factory=dict)
    visibility: dict = field(default_factory=dict)
    # data files (manifest paths) copied next to the code in the sandboxes, for the
    # provided modules to read there: the sandbox user cannot read the data/ folder
    sandbox_data: list = field(default_factory=list)
    # assignment-specific bars (e.g. the UAS for full credit), read by its tests
    thresholds: dict = field(default_factory=dict)
    root: str = ROOT

    @property
    def reference_dir(self):
        return os.path.join(self.root, "solutions", self.name)

    @property
    def template_dir(self):
        return os.path.join(self.root, "student_template", self.name)

    def tests_dir(self, kind):
        return os.path.join(self.folder, "tests", kind)

    def points_for(self, number):
        try:
            return self.points[str(number)]
        except KeyError:
            raise ConfigError(f"{self.name}: test {number} has no points in config.json") from None

    @property
    def total_points(self):
        return sum(self.points.values())


def _find_config(start):
    """The config.json of the assignment folder that contains `start`, walking up."""
    path = os.path.abspath(start)
    while True:
        candidate = os.path.join(path, "config.json")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(path)
        if parent == path:
            raise ConfigError(f"no config.json above {start}")
        path = parent


def load_file(path, root=ROOT):
    with open(path) as f:
        raw = json.load(f)
    try:
        assignment = Assignment(
            name=raw["assignment"], title=raw.get("title", raw["assignment"]),
            folder=os.path.dirname(os.path.abspath(path)),
            student_files=list(raw["student_files"]), provided=list(raw.get("provided", [])),
            points={str(k): v for k, v in raw.get("points", {}).items()},
            limits=Limits.from_config(raw.get("limits")), timing=raw.get("timing", {}),
            visibility=raw.get("visibility", {}), sandbox_data=list(raw.get("sandbox_data", [])),
            thresholds=dict(raw.get("thresholds", {})),
            root=root)
    except KeyError as exc:
        raise ConfigError(f"{path}: missing key {exc}") from None
    for kind, vis in assignment.visibility.items():
        if vis not in VISIBILITIES:
            raise ConfigError(f"{path}: visibility of {kind} tests must be one of {VISIBILITIES}")
    return assignment


def load(name, root=ROOT):
    """The Assignment called `name` (e.g. "a2") in this repository."""
    path = os.path.join(root, "assignments", name, "config.json")
    if not os.path.isfile(path):
        known = sorted(d for d in os.listdir(os.path.join(root, "assignments"))
                       if os.path.isfile(os.path.join(root, "assignments", d, "config.json")))
        raise ConfigError(f"unknown assignment {name!r}; known: {', '.join(known) or 'none'}")
    return load_file(path, root)


def for_test_file(test_file):
    """The Assignment a test module belongs to (found from the module's own path).

    In the repository the config sits at ROOT/assignments/aN/config.json; in a student's
    starter folder at its top, which is then the root (it has no solutions/)."""
    path = _find_config(os.path.dirname(test_file))
    folder = os.path.dirname(path)
    parent = os.path.dirname(folder)
    root = os.path.dirname(parent) if os.path.basename(parent) == "assignments" else folder
    return load_file(path, root=root)
