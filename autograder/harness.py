"""What graded test modules import: the `graded` decorator and `SubmissionTestCase`.

Test methods run in the trusted process. They reach student code only through
`self.student` (a Sandbox over the submission) and, in hidden tests, the reference
through `self.reference`. Under `nlpgrade grade` the grader supplies both; under plain
pytest or unittest (a student running the public checks at home) the submission is the
folder named by $NLPGRADE_SUBMISSION, else the current directory.
"""
import atexit
import functools
import os
import secrets
import sys
import unittest
import zlib

from gradescope_utils.autograder_utils.decorators import number as gs_number
from gradescope_utils.autograder_utils.decorators import leaderboard as gs_leaderboard
from gradescope_utils.autograder_utils.decorators import partial_credit, visibility, weight

import numpy as np

from . import config as configmod
from .checks import arrays, structure, stubs
from .sandbox import SubmissionError


class ReferenceFailure(RuntimeError):
    """The reference solution failed: a grader problem, reported as an error, not a failure."""


SOURCE_LIMIT = 1 << 20  # bytes of one submitted file read for source checks


def read_sources(student):
    """{file: text} of the submitted Python files staged for `student`.

    Read when the grading starts, before any student code has run: the staged files
    belong to the sandbox user, and code that ran could rewrite them. A file over
    SOURCE_LIMIT is kept as None (a check that needs it says it cannot read it)."""
    out = {}
    workdir = getattr(student, "workdir", None)
    missing = {getattr(student, "student_modules", {}).get(m) for m in getattr(student, "missing", ())}
    for file in getattr(student, "student_modules", {}).values():
        if not file.endswith(".py") or file in missing:
            continue
        try:
            with open(os.path.join(workdir, file), "rb") as f:
                raw = f.read(SOURCE_LIMIT + 1)
        except OSError:
            continue
        out[file] = None if len(raw) > SOURCE_LIMIT else raw.decode("utf-8", "replace")
    return out


class GradingContext:
    """The sandboxes and assignment of one grading run.

    `sources` is {file: text} of the submitted Python files as submitted, for checks
    that read source in the trusted process; by default read from the student's
    staging folder now, so it must be made before the student's worker runs any code."""

    def __init__(self, assignment, student, reference=None, seed=None, sources=None):
        self.assignment = assignment
        self.student = student
        self.reference = reference
        self.sources = dict(sources) if sources is not None else read_sources(student)
        self.stubs = _stubs_of(assignment, student, self.sources)
        # Fresh inputs every run unless NLPGRADE_SEED pins them (to reproduce a report).
        if seed is None:
            seed = int(os.environ.get("NLPGRADE_SEED") or secrets.randbelow(2**31))
        self.seed = seed

    def close(self):
        for sb in (self.student, self.reference):
            if sb is not None:
                sb.close()


def _stubs_of(assignment, student, sources):
    """The starter stubs of the submission (checks.stubs), for failure messages only: a
    problem reading them costs the messages, never the grading."""
    try:
        return stubs.for_submission(assignment, student, sources)
    except Exception:
        return stubs.Stubs()


def _explained(fn):
    """`fn` with an assertion that comes from a starter stub reworded to say so."""
    @functools.wraps(fn)
    def run(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except AssertionError as exc:
            try:
                found = getattr(self.context(), "stubs", None)
                text = found.explain(exc) if found else None
            except Exception:  # a bug here must not turn the student's failure into ours
                text = None
            if text:
                exc.args = (text,)
            raise
    return run


_context = None


def set_context(context):
    global _context
    _context = context


def current_context(test_file):
    """The grader's context, or one made for a local run over the submission folder."""
    global _context
    if _context is None:
        from .session import Session  # here: session imports this module

        assignment = configmod.for_test_file(test_file)
        folder = os.path.abspath(os.environ.get("NLPGRADE_SUBMISSION", os.getcwd()))
        session = Session(assignment, folder, with_reference=True)
        atexit.register(session.close)
        _context = session.context
    return _context


def graded(test_number, partial=False, visible=None, leaderboard=None):
    """Mark a test method as graded: its number, and its points from config.json.

    `partial=True` lets the test call `set_score(points)`; `visible` overrides the
    assignment's default visibility for the test; `leaderboard=(column, "desc"|"asc")`
    lets it call `set_leaderboard_value(value)` for a Gradescope leaderboard column.
    """
    caller = sys._getframe(1).f_globals["__file__"]
    assignment = configmod.for_test_file(caller)
    points = assignment.points_for(test_number)

    def decorate(fn):
        fn = _explained(fn)
        fn = gs_number(test_number)(fn)
        fn = (partial_credit(points) if partial else weight(points))(fn)
        if visible:
            fn = visibility(visible)(fn)
        if leaderboard:
            fn = gs_leaderboard(*leaderboard)(fn)
        return fn
    return decorate


class SubmissionTestCase(unittest.TestCase):
    """Base class of graded tests."""

    @classmethod
    def context(cls):
        return current_context(sys.modules[cls.__module__].__file__)

    @property
    def student(self):
        return self.context().student

    @property
    def reference(self):
        ref = self.context().reference
        if ref is None:
            self.skipTest("the reference solution is only available to the grader")
        return ref

    @property
    def config(self):
        return self.context().assignment

    @property
    def rng(self):
        """A numpy Generator for this test, seeded from the run's seed and the test's id."""
        if getattr(self, "_rng", None) is None:
            seed = (self.context().seed * 1_000_003 + zlib.crc32(self.id().encode())) % 2**32
            self._rng = np.random.default_rng(seed)
        return self._rng

    def reference_probe(self, probe, *args, **kwargs):
        """Run a probe on the reference. Its failures are the grader's, never the student's."""
        return self._on_reference(self.reference.probe, probe, *args, **kwargs)

    def reference_call(self, module, function, *args, **kwargs):
        """Call a reference function (see reference_probe)."""
        return self._on_reference(self.reference.call, module, function, *args, **kwargs)

    @staticmethod
    def _on_reference(method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except SubmissionError as exc:
            raise ReferenceFailure(f"the reference failed: {exc}") from None

    def assertMatchesReference(self, probe, *args, what, names=None, helpers=(), rtol=1e-5,
                               atol=1e-7, **kwargs):
        """Run `probe` on both sides with the same inputs and compare what came back:
        its structure first (an empty, truncated or padded reply fails), then every
        value. `names` names the items of a returned tuple."""
        want = self.reference_probe(probe, *args, helpers=helpers, **kwargs)
        got = self.student.probe(probe, *args, helpers=helpers, what=what, **kwargs)
        structure.check_matches(got, want, what, names=names, rtol=rtol, atol=atol)
        return got

    def assertStructure(self, got, want, call, name="the result", names=None):
        """Fail unless `got` has `want`'s structure (see checks.structure)."""
        structure.check(got, want, call, name=name, names=names)

    def submitted_sources(self, file):
        """{file: text} of the submitted Python files as submitted (read before any student
        code ran), for checks made by reading them; fails the test when `file` is missing."""
        sources = self.context().sources
        if sources.get(file) is None:
            reason = "is too large to read" if file in sources else "is not in your submission"
            self.fail(f"{file} {reason}")
        return sources

    def note(self, text):
        """A line for the student in this test's output, whether it passes or fails."""
        self.__dict__.setdefault("notes", []).append(text)

    def staff_note(self, key, value):
        """A figure for course staff only: results.json's extra_data["staff"] of this test
        (Gradescope never shows extra_data to students)."""
        self.__dict__.setdefault("staff", {})[key] = value

    # Comparison helpers, so tests read as one line each.
    def assertClose(self, got, want, call, name="the result", rtol=1e-5, atol=1e-7):
        arrays.check_close(got, want, call, name=name, rtol=rtol, atol=atol)

    def assertResults(self, got, want, call, names, rtol=1e-5, atol=1e-7):
        arrays.check_results(got, want, call, names, rtol=rtol, atol=atol)
