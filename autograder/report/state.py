"""What `nlpgrade batch` left behind, read defensively: the CSV and its state folder.

Every results file is student-influenced text (outputs, names of tests in a file someone
edited by hand), so nothing here trusts a field's type: a file that does not parse, or
is not a results.json, is listed as unreadable with the reason, never raised.
"""
import csv
import json
import math
import os
from collections import Counter
from dataclasses import dataclass, field

from .. import config as configmod
from ..batch import state_dir_for  # the batch decides where its state lives
from ..grading import ENGINE_ERROR_NAME
from ..results import number_key

MAX_OUTPUT = 8000  # characters of one output kept (results.json caps them at this too)


class NoRegrade(Exception):
    """Nothing to report on yet: there is no CSV (batch writes it at the end of every run)."""


@dataclass
class Test:
    number: str
    name: str
    score: float
    max_score: float
    passed: bool
    output: str


@dataclass
class Graded:
    submission: str
    status: str                  # the batch's: ok, grader error, timeout
    score: float
    max_score: float
    tests: list                  # [Test], without the engine's own error entry
    leaderboard: list            # [(column, value)]


@dataclass
class Regrade:
    csv_path: str
    state_dir: str
    graded: list = field(default_factory=list)       # [Graded], by submission name
    unreadable: list = field(default_factory=list)   # [(file name, reason)]
    not_graded: list = field(default_factory=list)   # submissions in the CSV without results
    assignment: str = None
    config: object = None                            # configmod.Assignment, when it loads
    config_error: str = None


def _number(value):
    """A finite float, or None."""
    if isinstance(value, bool):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return x if math.isfinite(x) else None


def _text(value, limit=MAX_OUTPUT):
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return text if len(text) <= limit else text[:limit] + f"\n[... {len(text) - limit} more characters cut]"


def parse_results(submission, raw):
    """A Graded from one results.json (already JSON-decoded); ValueError if it is not one."""
    if not isinstance(raw, dict):
        raise ValueError("not a JSON object")
    if not isinstance(raw.get("tests"), list):
        raise ValueError('no list of "tests": not a results.json')
    tests = []
    for entry in raw["tests"]:
        if not isinstance(entry, dict) or entry.get("number") in (None, ""):
            continue
        if entry.get("name") == ENGINE_ERROR_NAME:  # the grader's failure, not a test of the student's
            continue
        score, max_score = _number(entry.get("score", 0)), _number(entry.get("max_score", 0))
        if score is None or max_score is None:
            continue
        status = entry.get("status")
        passed = status == "passed" if status in ("passed", "failed") else score >= max_score
        tests.append(Test(_text(entry["number"], 40), _text(entry.get("name", ""), 300), score, max_score,
                          passed, _text(entry.get("output", ""))))
    tests.sort(key=lambda t: number_key(t.number))
    extra = raw.get("extra_data") if isinstance(raw.get("extra_data"), dict) else {}
    batch = extra.get("batch") if isinstance(extra.get("batch"), dict) else {}
    score = _number(raw.get("score"))
    board = []
    entries = raw.get("leaderboard")
    for entry in entries if isinstance(entries, list) else []:
        value = _number(entry.get("value")) if isinstance(entry, dict) else None
        if value is not None and entry.get("name") not in (None, ""):
            board.append((_text(entry["name"], 200), value))
    return Graded(submission=submission, status=_text(batch.get("status") or "ok", 40),
                  score=score if score is not None else sum(t.score for t in tests),
                  max_score=sum(t.max_score for t in tests), tests=tests, leaderboard=board), \
        batch.get("assignment")


class Unreadable(Exception):
    """The CSV or the state folder is there but cannot be read (permissions, an I/O error)."""


def _csv_rows(csv_path):
    """[(submission, status)] of the CSV's rows, in its order: the submission is its first
    column, whatever the header says. FileNotFoundError if there is no CSV."""
    try:
        with open(csv_path, newline="", encoding="utf-8", errors="replace") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError:
        raise
    except (OSError, csv.Error) as exc:
        raise Unreadable(f"cannot read {csv_path}: {exc}") from None
    header = rows[0] if rows else []
    status = header.index("status") if "status" in header else None
    out, seen = [], set()
    for row in rows[1:]:
        if not row or not row[0] or row[0] in seen:
            continue
        seen.add(row[0])
        out.append((row[0], row[status] if status is not None and status < len(row) else ""))
    return out


def _safe_name(name):
    """A submission name that names a file inside the state folder (a hand-edited CSV could
    say ../../x): batch's names are folder names of the export, never hidden ones."""
    return name == os.path.basename(name) and not name.startswith(".") and "\0" not in name


def load(csv_path):
    """Everything the report needs, for exactly the submissions the CSV lists (a results
    file of a submission no longer in the export, left from an earlier run, is not one of
    this regrade's). NoRegrade when there is no CSV; Unreadable when the CSV or the state
    folder exists but cannot be read."""
    csv_path = os.path.abspath(csv_path)
    state = state_dir_for(csv_path)
    try:
        rows = _csv_rows(csv_path)
    except FileNotFoundError:
        hint = (f" ({os.path.basename(state)}/ is there: rerun the same `nlpgrade batch`, which rewrites the CSV "
                "without regrading what it already graded)") if os.path.isdir(state) else ""
        raise NoRegrade(f"no regrade at {csv_path}{hint}: run `nlpgrade batch` first, or name its CSV "
                        "with --csv") from None
    try:
        os.listdir(state)
        state_there = True
    except FileNotFoundError:
        state_there = False  # a CSV without results: every row is "not graded"
    except OSError as exc:
        raise Unreadable(f"cannot read the state folder {state}: {exc}") from None
    regrade = Regrade(csv_path=csv_path, state_dir=state)
    assignments = Counter()
    for sub, status in rows:
        if not _safe_name(sub):
            regrade.unreadable.append((sub, "not a submission name (a CSV row edited by hand?)"))
            continue
        if status == "not graded" or not state_there:  # as the CSV says, whatever file is left
            regrade.not_graded.append(sub)
            continue
        name = f"{sub}.json"
        try:
            with open(os.path.join(state, name), encoding="utf-8", errors="replace") as f:
                raw = json.load(f)
            graded, assignment = parse_results(sub, raw)
        except FileNotFoundError:
            regrade.not_graded.append(sub)
            continue
        except (OSError, ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
            regrade.unreadable.append((name, f"{type(exc).__name__}: {exc}"[:300]))
            continue
        regrade.graded.append(graded)
        if isinstance(assignment, str):
            assignments[assignment] += 1
    regrade.graded.sort(key=lambda g: g.submission)
    if assignments:
        regrade.assignment = assignments.most_common(1)[0][0]
        try:
            regrade.config = configmod.load(regrade.assignment)
        except (configmod.ConfigError, OSError, ValueError) as exc:
            regrade.config_error = str(exc)
    return regrade
