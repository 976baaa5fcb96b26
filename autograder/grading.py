"""One grading run: stage the submission, run the graded tests, write results.json.

The trusted process runs the unittest test methods; student code runs only in the
sandbox workers they talk to. Whatever happens (bad upload, crashing submission, a bug of
ours) a valid results.json is written, with every test present.
"""
import importlib.util
import os
import sys
import time
import traceback
import unittest
from dataclasses import dataclass, field

from . import config as configmod
from . import harness, results
from .session import Session

ENGINE_ERROR_NAME = "Autograder error"


@dataclass
class Outcome:
    status: str = "not run"           # passed | failed | error | skipped | not run
    message: str = ""
    detail: str = ""                  # instructor-only traceback
    seconds: float = 0.0
    output: str = ""
    staff: dict = field(default_factory=dict)  # staff-only figures (results.json extra_data)


# ----- loading tests ---------------------------------------------------------------
def test_files(assignment, hidden):
    kinds = ["public"] + (["hidden"] if hidden else [])
    files = []
    for kind in kinds:
        folder = assignment.tests_dir(kind)
        if os.path.isdir(folder):
            files += [(kind, os.path.join(folder, f)) for f in sorted(os.listdir(folder))
                      if f.startswith("test") and f.endswith(".py")]
    return files


def load_tests(assignment, hidden):
    """[(kind, TestCase)] of the assignment, public first, in file and definition order."""
    # Test modules import helpers (probes) that sit beside them, as under pytest.
    helper_dirs = [d for d in (assignment.tests_dir("public"), assignment.tests_dir("hidden"))
                   if os.path.isdir(d) and d not in sys.path]
    sys.path[:0] = helper_dirs
    try:
        return _load(assignment, hidden)
    finally:
        for d in helper_dirs:
            sys.path.remove(d)


def _load(assignment, hidden):
    loader = unittest.TestLoader()
    loaded = []
    for kind, path in test_files(assignment, hidden):
        name = f"nlpgrade_tests.{assignment.name}.{kind}.{os.path.basename(path)[:-3]}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        for test in _flatten(loader.loadTestsFromModule(module)):
            loaded.append((kind, test))
    return loaded


def _flatten(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _flatten(item)
        else:
            yield item


def method_of(test):
    return getattr(type(test), test._testMethodName)


def _layers(method):
    """The method and the functions it wraps: gradescope-utils decorators each wrap, and
    each records what the test set (score, leaderboard value) on its own wrapper."""
    while method is not None:
        yield method
        method = getattr(method, "__wrapped__", None)


def recorded(test, attr, default=None):
    """What a decorated test recorded under `attr` (e.g. "__score__"), on any layer."""
    return next((getattr(m, attr) for m in _layers(method_of(test)) if attr in vars(m)), default)


def describe_test(test, kind, assignment):
    method = method_of(test)
    doc = (method.__doc__ or "").strip().splitlines()
    name = doc[0].strip() if doc else f"{type(test).__name__}.{test._testMethodName}"
    return {"name": name, "number": getattr(method, "__number__", test.id()),
            "max_score": float(getattr(method, "__weight__", 0.0)),
            "visibility": getattr(method, "__visibility__", assignment.visibility.get(kind, "visible")),
            "tags": list(getattr(method, "__tags__", ()))}


# ----- running them ----------------------------------------------------------------
class Collector(unittest.TestResult):
    """Records one Outcome per test, keeping exception objects rather than text."""

    def __init__(self, context):
        super().__init__()
        self.context = context
        self.outcomes = {}
        self.fixture_errors = []  # (where, exc_info) of failed setUpClass/setUpModule
        self._started = {}

    def startTest(self, test):
        super().startTest(test)
        self._started[test.id()] = time.monotonic()
        self.outcomes.setdefault(test.id(), Outcome(status="passed"))
        for layer in _layers(method_of(test)):
            for attr in ("__score__", "__leaderboard_value__"):  # left over from an earlier run
                if attr in vars(layer):
                    delattr(layer, attr)

    def stopTest(self, test):
        super().stopTest(test)
        out = self.outcomes[test.id()]
        out.seconds = time.monotonic() - self._started.get(test.id(), time.monotonic())
        out.output = self.context.student.take_output()
        out.staff = dict(getattr(test, "staff", {}))
        notes = getattr(test, "notes", [])
        if notes:  # what the test wants the student to read, pass or fail
            out.message = "\n".join(notes) + ("\n" + out.message if out.message else "")
        if self.context.reference is not None:
            self.context.reference.take_output()

    def _record(self, test, status, err):
        exc = err[1]
        tid = test.id()
        if tid not in self.outcomes:  # a class or module fixture failed: _ErrorHolder
            self.fixture_errors.append((str(test), err))
            return
        out = self.outcomes[tid]
        if out.status in ("failed", "error"):  # keep the first failure of a test (subtests)
            return
        out.status = status
        if status == "failed":
            out.message = str(exc)
        else:
            out.message = (f"The grader could not check this result ({type(exc).__name__}: "
                           f"{str(exc)[:300]}). Course staff can see the details.")
            out.detail = "".join(traceback.format_exception(*err))

    def addFailure(self, test, err):
        self._record(test, "failed", err)

    def addError(self, test, err):
        if issubclass(err[0], AssertionError):
            return self._record(test, "failed", err)
        self._record(test, "error", err)

    def addSubTest(self, test, subtest, err):
        if err is not None:
            self.addFailure(test, err) if issubclass(err[0], AssertionError) else self.addError(test, err)

    def addSkip(self, test, reason):
        out = self.outcomes[test.id()]
        out.status, out.message = "skipped", f"skipped: {reason}"

    def addExpectedFailure(self, test, err):
        pass

    def addUnexpectedSuccess(self, test):
        pass


def run_tests(tests, context):
    collector = Collector(context)
    suite = unittest.TestSuite([t for _, t in tests])
    harness.set_context(context)
    try:
        suite.run(collector)
    finally:
        harness.set_context(None)
    return collector


def score_test(test, kind, assignment, outcome, fixture_message=""):
    info = describe_test(test, kind, assignment)
    max_score = info["max_score"]
    if outcome.status in ("passed", "failed"):
        # A partial-credit test keeps the score it set even when it then fails (as
        # gradescope-utils does): "UAS 80.1, below the 86 for full credit" earns a share.
        score = recorded(test, "__score__", max_score if outcome.status == "passed" else 0.0)
        score = min(max(float(score), 0.0), max_score)
    else:
        score = 0.0
    message = outcome.message
    if outcome.status == "not run":
        message = fixture_message or "not run"
    output = message
    if outcome.output.strip():
        output += ("\n\n" if output else "") + "Your code printed:\n" + outcome.output.strip()
    extra = {"seconds": round(outcome.seconds, 3)}
    if outcome.staff:
        extra["staff"] = outcome.staff
    if outcome.detail:
        extra["grader_traceback"] = outcome.detail
    return results.test_entry(info["name"], info["number"], score, max_score, output,
                              info["visibility"], info["tags"], extra)


# ----- one whole run ---------------------------------------------------------------
def _grade(assignment, submission_path, hidden, log):
    started = time.monotonic()
    with Session(assignment, submission_path, with_reference=hidden) as session:
        context = session.context
        tests = load_tests(assignment, hidden)
        collector = run_tests(tests, context)
        fixture_message = "; ".join(
            f"not run: setting up the tests failed ({err[0].__name__}: {err[1]})"
            for _, err in collector.fixture_errors)
        for where, err in collector.fixture_errors:
            log(f"fixture error in {where}:\n" + "".join(traceback.format_exception(*err)))
        entries = []
        for kind, test in tests:
            outcome = collector.outcomes.get(test.id(), Outcome())
            if outcome.detail:
                log(f"grader error in {test.id()}:\n{outcome.detail}")
            entries.append(score_test(test, kind, assignment, outcome, fixture_message))
        leaderboard = [{"name": recorded(t, "__leaderboard_column__"),
                        "value": recorded(t, "__leaderboard_value__"),
                        "order": recorded(t, "__leaderboard_sort_order__", "desc")}
                       for _, t in tests if recorded(t, "__leaderboard_value__") is not None]
        return results.build(entries, time.monotonic() - started, "\n".join(session.notes),
                             leaderboard, extra_data={"sandbox_seconds": round(session.budget.spent, 3),
                                         "sandbox_isolation": session.isolation})


def engine_failure(assignment, hidden, exc_text, elapsed):
    """Results when the grader itself broke: every test present, scored 0."""
    entries = []
    try:
        for kind, test in load_tests(assignment, hidden):
            info = describe_test(test, kind, assignment)
            entries.append(results.test_entry(info["name"], info["number"], 0, info["max_score"],
                                              "not graded: the autograder failed (see above)",
                                              info["visibility"], info["tags"]))
    except Exception:
        pass
    entries.append(results.test_entry(
        ENGINE_ERROR_NAME, "0", 0, 0,
        "The autograder failed while grading your submission; this is not your fault. "
        "Course staff have the details; please tell them.", "visible",
        extra_data={"grader_traceback": exc_text}))
    for e in entries:
        e["status"] = "failed"
    return results.build(entries, elapsed, "The autograder failed; course staff have been shown why.")


def grade(assignment_name, submission_path, hidden=False, results_path="results.json",
          root=configmod.ROOT, log=None, assignment=None):
    """Grade one submission and write results.json. Never raises for a bad submission."""
    log = log or (lambda text: print(text, file=sys.stderr))
    started = time.monotonic()
    try:
        assignment = assignment or configmod.load(assignment_name, root)
        res = _grade(assignment, submission_path, hidden, log)
        results.validate(res)
    except BaseException as exc:  # KeyboardInterrupt too: still leave a valid file behind
        detail = traceback.format_exc()
        log(f"autograder error:\n{detail}")
        res = engine_failure(assignment, hidden, detail, time.monotonic() - started) \
            if assignment is not None else engine_failure_bare(detail, time.monotonic() - started)
        results.write(res, results_path)
        if isinstance(exc, KeyboardInterrupt):
            raise
        return res
    results.write(res, results_path)
    return res


def engine_failure_bare(detail, elapsed):
    entry = results.test_entry(ENGINE_ERROR_NAME, "0", 0, 0,
                               "The autograder failed before it could load the assignment.",
                               "visible", extra_data={"grader_traceback": detail})
    entry["status"] = "failed"
    return results.build([entry], elapsed, "The autograder failed; course staff have been shown why.")
