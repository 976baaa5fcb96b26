"""The numbers of the class report, computed from a state.Regrade: no HTML, no plots."""
import math
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ..results import first_line, number_key

TOP_REASONS = 5  # failure groups shown per test; the rest are counted together

# What a timing test writes (autograder/checks/timing.py, Timing.slower_text, and the
# notes of a4/a5's timing tests): "took 11.4 times as long as the reference (...)",
# "took more than 34 times as long as the reference (stopped after 2.0 s)", "took 3.2
# times as long as the reference's (limit 5x)".
RATIO = re.compile(r"took (more than )?(\d+(?:\.\d+)?) times as long as the reference")
LIMIT = re.compile(r"\(limit (\d+(?:\.\d+)?)x\)")
# Numbers in a first line (sizes, ratios, seeds) would make every failure a group of its
# own; they are masked for grouping only, and the line shown is a real one.
NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
# grading.score_test appends what the student's code printed after this line: text the
# student chose, so no ratio or failure reason is read from it (a submission could print
# "took 1.0 times as long as the reference"). It follows a blank line, or opens the output
# of a test that has no message.
PRINTED = "Your code printed:\n"
LINE = 300  # characters of a first line kept for a failure group


@dataclass
class Scores:
    values: list          # total of each graded submission
    max_score: float      # the most common maximum (hidden and public tests: all the same run)
    mean: float = None
    median: float = None


@dataclass
class Reason:
    first_line: str       # the most common exact first line of the group
    count: int
    variants: int         # distinct first lines in the group (they differ only in numbers)
    example_submission: str
    example_output: str


@dataclass
class TestSummary:
    number: str
    name: str
    max_score: float
    graded: int = 0
    passed: int = 0
    total_score: float = 0.0
    reasons: list = field(default_factory=list)     # [Reason], most common first
    other_reasons: int = 0                          # groups beyond TOP_REASONS
    other_count: int = 0                            # their failures

    @property
    def pass_rate(self):
        return self.passed / self.graded if self.graded else 0.0

    @property
    def mean_score(self):
        return self.total_score / self.graded if self.graded else 0.0


@dataclass
class TimingSummary:
    number: str
    name: str
    limit: float                                    # None when no output and no config says
    measured: list = field(default_factory=list)    # ratios
    stopped: list = field(default_factory=list)     # lower bounds: stopped before finishing
    passed_silent: int = 0                          # passed, their output gives no ratio
    failed_other: int = 0                           # failed without a ratio (e.g. wrong values)


@dataclass
class MetricSummary:
    column: str
    values: list
    floor: float = None   # no credit at or below (assignment's thresholds)
    full: float = None    # full credit at or above
    bar_key: str = None   # which thresholds: e.g. "uas" for uas_floor/uas_full


def scores(regrade):
    values = [g.score for g in regrade.graded]
    maxima = Counter(g.max_score for g in regrade.graded if g.max_score > 0)
    max_score = maxima.most_common(1)[0][0] if maxima else (
        float(regrade.config.total_points) if regrade.config else 0.0)
    out = Scores(values, max_score)
    if values:
        out.mean, out.median = statistics.fmean(values), statistics.median(values)
    return out


def grader_text(output):
    """The part of a test's output the grader wrote (its notes and failure message), without
    what the student's code printed."""
    if output.startswith(PRINTED):
        return ""
    cut = output.find("\n\n" + PRINTED)
    return output if cut < 0 else output[:cut]


def _shape(line):
    return NUMBER.sub("#", line.strip())


def reason_line(output, note_shapes):
    """The first line of the failure message in a failed test's output. grading.py writes a
    test's notes first, one a line, then the failure message, with nothing between them; a
    note is written pass or fail, so a leading line shaped like a line of a passing output of
    the same test (numbers aside) is a note, and skipped. Where every line is one, the
    message is the last (it comes last)."""
    lines = [ln.strip() for ln in grader_text(output).splitlines() if ln.strip()]
    for line in lines:
        if _shape(line) not in note_shapes:
            return first_line(line, LINE)
    return first_line(lines[-1], LINE) if lines else ""


def group_failures(failures, passing_outputs=()):
    """[(submission, output)] of one test's failures -> ([Reason], most common first; ties
    by first line). `passing_outputs`: the outputs of the same test where it passed, whose
    lines tell its notes apart from its failure messages."""
    notes = {_shape(ln) for output in passing_outputs for ln in grader_text(output).splitlines() if ln.strip()}
    groups = defaultdict(list)
    for sub, output in failures:
        line = reason_line(output, notes)
        groups[_shape(line)].append((sub, output, line))
    reasons = []
    for members in groups.values():
        lines = Counter(line for _, _, line in members)
        line = lines.most_common(1)[0][0]
        sub, output, _ = next(m for m in members if m[2] == line)
        reasons.append(Reason(line or "(no output)", len(members), len(lines), sub, output))
    reasons.sort(key=lambda r: (-r.count, r.first_line))
    return reasons


def tests(regrade):
    """One TestSummary per test number, in test-number order."""
    by_number = {}
    failures, passing = defaultdict(list), defaultdict(list)
    for g in regrade.graded:
        for t in g.tests:
            s = by_number.setdefault(t.number, TestSummary(t.number, t.name, t.max_score))
            s.graded += 1
            s.passed += t.passed
            s.total_score += t.score
            if t.passed:
                passing[t.number].append(t.output)
            else:
                failures[t.number].append((g.submission, t.output))
    for number, s in by_number.items():
        reasons = group_failures(failures[number], passing[number])
        s.reasons = reasons[:TOP_REASONS]
        s.other_reasons = len(reasons) - len(s.reasons)
        s.other_count = sum(r.count for r in reasons[TOP_REASONS:])
    return [by_number[n] for n in sorted(by_number, key=number_key)]


def ratios_in(output):
    """[(stopped, ratio)] of every timing message the grader wrote in an output (finite
    ones: a hand-made file could write 400 digits); what the student printed is not read."""
    found = [(bool(m.group(1)), float(m.group(2))) for m in RATIO.finditer(grader_text(output))]
    return [(stopped, ratio) for stopped, ratio in found if math.isfinite(ratio)]


def timings(regrade):
    """A TimingSummary for each test whose output gives a ratio in any submission."""
    found = {}
    limits = defaultdict(Counter)
    for g in regrade.graded:
        for t in g.tests:
            ratios = ratios_in(t.output)
            if not ratios:
                continue
            s = found.setdefault(t.number, TimingSummary(t.number, t.name, None))
            stopped, ratio = max(ratios, key=lambda r: r[1])  # a test timing two calls: the slower decides
            (s.stopped if stopped else s.measured).append(ratio)
            for m in LIMIT.finditer(grader_text(t.output)):
                limits[t.number][float(m.group(1))] += 1
    default = None
    if regrade.config is not None:
        default = regrade.config.timing.get("max_ratio")
    for g in regrade.graded:  # the same tests where a submission's output named no ratio
        for t in g.tests:
            s = found.get(t.number)
            if s is not None and not ratios_in(t.output):
                if t.passed:
                    s.passed_silent += 1
                else:
                    s.failed_other += 1
    for number, s in found.items():
        s.limit = limits[number].most_common(1)[0][0] if limits[number] else default
    return [found[n] for n in sorted(found, key=number_key)]


def bars_for(column, thresholds):
    """(key, floor, full) of the thresholds a leaderboard column is judged against: the
    pair NAME_floor/NAME_full whose NAME is a word of the column ("uas" in "UAS
    (held-out)", "vanilla" in "Vanilla accuracy % (held-out)"); Nones if none fits."""
    words = set(re.findall(r"[a-z]+", column.lower()))
    for key, full in thresholds.items():
        if key.endswith("_full") and key[:-len("_full")] in words:
            name = key[:-len("_full")]
            floor = thresholds.get(f"{name}_floor")
            try:
                return name, (float(floor) if floor is not None else None), float(full)
            except (TypeError, ValueError):
                continue
    return None, None, None


def metrics(regrade):
    """A MetricSummary per leaderboard column (held-out UAS, BLEU, accuracy)."""
    values = defaultdict(list)
    for g in regrade.graded:
        for column, value in g.leaderboard:
            values[column].append(value)
    thresholds = regrade.config.thresholds if regrade.config is not None else {}
    out = []
    for column in values:  # in leaderboard order (a5: vanilla, then synthesizer)
        key, floor, full = bars_for(column, thresholds)
        out.append(MetricSummary(column, values[column], floor, full, key))
    return out
