"""`nlpgrade report`: one self-contained HTML page on how a class did in a regrade.

    nlpgrade report EXPORT [--csv FILE] [--out FILE]

Reads what `nlpgrade batch` left (EXPORT/regrade.csv by default, and the results of the
submissions it lists in the state folder regrade.results/ beside it) and writes, beside
the CSV unless --out says otherwise (regrade.report.html): the score distribution, each
test's pass rate, the most common failure reasons per test (grouped by the first line of
the failure message), the timing ratios of the timing tests, and the held-out metrics
(leaderboard values) against the assignment's bars. Plots are PNGs inside the page: it opens offline, and it loads
nothing at all (see page.CSP).

`batch` calls write_report(csv_path) at its end.
"""
import argparse
import os
import statistics
import sys

from ..batch import write_private
from . import page, plots, state, summary
from .page import empty, esc, num

__all__ = ["write_report", "build_html", "default_out", "main"]


def default_out(csv_path):
    """regrade.report.html beside regrade.csv."""
    return os.path.splitext(os.path.abspath(csv_path))[0] + ".report.html"


def write_report(csv_path, out_path=None):
    """Write the report of the regrade whose CSV is `csv_path`; return its path.
    Raises state.NoRegrade when there is no CSV yet, state.Unreadable when the CSV or its
    state folder cannot be read."""
    regrade = state.load(csv_path)
    out = os.path.abspath(out_path or default_out(csv_path))
    text = build_html(regrade)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    write_private(out, text)  # submissions' outputs and scores: staff only, like the CSV
    return out


# ----- the sections ----------------------------------------------------------------
def _summary(regrade):
    counts = {}
    for g in regrade.graded:
        counts[g.status] = counts.get(g.status, 0) + 1
    rows = [[esc(k), str(v)] for k, v in sorted(counts.items())]
    rows += [["unreadable results file", str(len(regrade.unreadable))]] if regrade.unreadable else []
    rows += [["not graded", str(len(regrade.not_graded))]] if regrade.not_graded else []
    lines = [f"<p>Regrade of <code>{esc(regrade.csv_path)}</code>, results read from "
             f"<code>{esc(regrade.state_dir)}</code>.</p>"]
    if regrade.config_error:
        lines.append(empty(f"The assignment's configuration did not load ({regrade.config_error}): "
                           "no bars for the held-out metrics."))
    if not regrade.graded:
        lines.append(empty("No graded submissions: there is nothing to summarise. Run `nlpgrade batch` "
                           "on the export first."))
    if rows:
        lines.append(page.table(["status", "submissions"], rows, numeric=(1,)))
    return page.section("summary", "\n".join(lines))


def _scores(regrade):
    s = summary.scores(regrade)
    if not s.values:
        return page.section("scores", empty("No scores."))
    stats = page.table(["submissions", "mean", "median", "min", "max", "out of"],
                       [[str(len(s.values)), num(s.mean), num(s.median), num(min(s.values)),
                         num(max(s.values)), num(s.max_score)]], numeric=range(6))
    plot = plots.score_histogram(s.values, s.max_score, s.mean, s.median)
    note = "<p>Every graded submission, whatever its status (a grading that failed or timed out scores 0).</p>"
    return page.section("scores", stats + note + page.img(plot))


def _pass_rates(regrade):
    tests = summary.tests(regrade)
    if not tests:
        return page.section("pass-rates", empty("No tests were graded."))
    rows = [[esc(t.number), esc(t.name), num(t.max_score), f"{t.passed} / {t.graded}",
             f"{100 * t.pass_rate:.0f}%", num(t.mean_score)] for t in tests]
    body = page.table(["#", "test", "points", "passed", "pass rate", "mean score"], rows,
                      numeric=(2, 3, 4, 5)) + page.img(plots.pass_rates(tests))
    return page.section("pass-rates", body)


def _failures(regrade):
    tests = summary.tests(regrade)
    parts, clean = [], []
    for t in tests:
        if not t.reasons:
            clean.append(t.number)
            continue
        failed = t.graded - t.passed
        rows = []
        for r in t.reasons:
            variants = f" <small>({r.variants} variants, differing in numbers)</small>" if r.variants > 1 else ""
            example = (f"<details><summary>example: {esc(r.example_submission)}</summary>"
                       f"<pre>{esc(r.example_output) or '(no output)'}</pre></details>")
            rows.append([str(r.count), f"<code>{esc(r.first_line)}</code>{variants}", example])
        if t.other_reasons:
            rows.append([str(t.other_count), f"{t.other_reasons} other reasons", ""])
        parts.append(f'<h3 id="fail-{esc(t.number)}">{esc(t.number)} {esc(t.name)}: '
                     f"{failed} of {t.graded} failed</h3>"
                     + page.table(["failures", "first line of the failure message", "one in full"], rows,
                                  numeric=(0,)))
    if clean:
        parts.append(f"<p>No failures: {esc(', '.join(clean))}.</p>")
    body = "\n".join(parts) if parts else empty("No tests were graded.")
    intro = ("<p>Failures of each test grouped by the first line of their failure message (numbers in it "
             "ignored), most common first, with one output in full. A test's notes, written before the "
             "message pass or fail, are told apart by the outputs of the submissions that passed it; "
             "a test that no submission passed is grouped by its output's first line. What a "
             "submission's code printed is never read.</p>") if parts else ""
    return page.section("failures", intro + body)


def _timing(regrade):
    found = summary.timings(regrade)
    if not found:
        return page.section("timing", empty("No test output gives a timing ratio (no timing test failed "
                                            "or reported one). " + A1_A3_TIMING))
    parts = ["<p>Time of each submission's code over the reference's, as the timing tests report it. "
             "A run stopped before it finished counts at the ratio it had reached (a lower bound). "
             f"{esc(A1_A3_TIMING)}</p>"]
    for s in found:
        ratios = s.measured + s.stopped
        over = sum(r > s.limit for r in ratios) if s.limit else None
        limit = f"{num(float(s.limit))}x" if s.limit else "?"
        cells = [esc(s.number), esc(s.name), limit, str(len(s.measured)),
                 str(len(s.stopped)), num(min(ratios), 1), num(statistics.median(ratios), 1),
                 num(max(ratios), 1), "?" if over is None else str(over), str(s.passed_silent), str(s.failed_other)]
        parts.append(page.table(["#", "test", "limit", "measured", "stopped", "min", "median", "max",
                                 "over the limit", "passed, no ratio given", "failed, no ratio given"],
                                [cells], numeric=range(2, 11)))
        parts.append(page.img(plots.timing_histogram(s)))
    return page.section("timing", "\n".join(parts))


# Their tests fail with the ratio and pass without a word, and record it nowhere else
# (no staff_note in extra_data, unlike a4 and a5's, which note it pass or fail).
A1_A3_TIMING = ("Timing tests of a1 to a3 report their ratio only when they fail: a pass gives none, in "
                "its output or in results.json, so passes are counted apart (\"passed, no ratio given\") "
                "and a test that every submission passed is not listed.")


def _metrics(regrade):
    found = summary.metrics(regrade)
    if not found:
        return page.section("metrics", empty("No leaderboard values in the results (UAS, BLEU and accuracy "
                                             "on held-out data come from a3, a4 and a5's hidden tests)."))
    parts = []
    for m in found:
        values = sorted(m.values)
        cells = [esc(m.column), str(len(values)), num(statistics.fmean(values)), num(statistics.median(values)),
                 num(values[0]), num(values[-1])]
        header = ["leaderboard column", "submissions", "mean", "median", "min", "max"]
        if m.full is not None:
            header += ["full credit", "partial", "no credit"]
            floor = m.floor if m.floor is not None else float("-inf")
            cells += [f"{sum(v >= m.full for v in values)} (at or above {num(m.full)})",
                      str(sum(floor < v < m.full for v in values)),
                      f"{sum(v <= floor for v in values)}" + (f" (at or below {num(m.floor)})" if m.floor is not None
                                                               else "")]
        parts.append(page.table(header, [cells], numeric=range(1, len(cells))))
        if m.full is None:
            parts.append(empty(f"No bar for {m.column} in the assignment's thresholds."))
        parts.append(page.img(plots.metric_histogram(m)))
    return page.section("metrics", "\n".join(parts))


def _look(regrade):
    rows = [[esc(g.submission), esc(g.status), f"see {esc(g.submission)}.log in the state folder"]
            for g in regrade.graded if g.status != "ok"]
    rows += [[esc(name), "unreadable results file", esc(reason)] for name, reason in regrade.unreadable]
    rows += [[esc(name), "not graded", "rerun `nlpgrade batch` to grade it"] for name in regrade.not_graded]
    body = page.table(["submission", "status", "what to do"], rows) if rows else empty(
        "Every submission was graded without a grading error or timeout.")
    return page.section("look", body)


def _guarded(ident, build, *args):
    """A section, or where its numbers defeat it (a hand-edited results file with a score
    of 1e308...) a line saying so: one odd file must not cost the whole report."""
    try:
        return build(*args)
    except Exception as exc:
        return page.section(ident, empty(
            f"This section could not be built ({type(exc).__name__}: {str(exc)[:200]}); "
            "a results file may hold odd values. The other sections stand."))


def build_html(regrade):
    title = "Class report"
    if regrade.assignment:
        title += f": {regrade.assignment}"
        if regrade.config is not None and regrade.config.title:
            title += f" ({regrade.config.title})"
    builders = {"summary": _summary, "scores": _scores, "pass-rates": _pass_rates, "failures": _failures,
                "timing": _timing, "metrics": _metrics, "look": _look}
    return page.page(title, [_guarded(ident, builders[ident], regrade) for ident in page.SECTIONS])


# ----- the command -----------------------------------------------------------------
def build_parser():
    p = argparse.ArgumentParser(prog="nlpgrade report",
                                description="Write a self-contained HTML report of a regrade made by `nlpgrade batch`.")
    p.add_argument("export", help="the export folder given to `nlpgrade batch`")
    p.add_argument("--csv", help="the batch's CSV (default EXPORT/regrade.csv); its results are read "
                                 "from the folder beside it")
    p.add_argument("--out", help="where to write the report (default: beside the CSV, NAME.report.html)")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    csv_path = os.path.abspath(args.csv or os.path.join(args.export, "regrade.csv"))
    try:
        out = write_report(csv_path, args.out)
    except (state.NoRegrade, state.Unreadable) as exc:
        print(f"nlpgrade report: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"nlpgrade report: could not write the report: {exc}", file=sys.stderr)
        return 2
    print(f"report written to {out}")
    return 0
