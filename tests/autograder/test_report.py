"""`nlpgrade report`: the class report of a regrade, from a hand-made state folder.

The state folder is what `nlpgrade batch` leaves (regrade.results/<submission>.json,
Gradescope results.json with extra_data.batch), written here by hand: full marks,
failures whose first lines repeat with other numbers, a hostile output, timing outputs
in the phrasings of autograder/checks/timing.py, held-out UAS values for a3's bars, a
grading error, a timeout and a file that is not JSON. The browser tests open the report
in headless Chromium (Debian package `chromium`, installed by `make setup`).
"""
import csv
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile

import numpy as np
import pytest

from autograder import report
from autograder import config as configmod
from autograder.batch import STATE_MARK
from autograder.grading import ENGINE_ERROR_NAME
from autograder.report import page, summary

A3 = configmod.load("a3")
HOSTILE = "<script>alert(1)</script>\n<img src=x onerror=alert(2)> & \x1b[31m"
SHIFT = "SHIFT moved the wrong word: {} words on the stack after {} steps"
SLOW = ("embedding_lookup on a batch of 8192 x 36 token ids (d=4) took {} (limit 5x): index the "
        "embedding matrix with the whole batch at once, no Python loop over the batch")


def results_json(failures=None, uas=None, status="ok"):
    """a3 results: every test passed but `failures` {number: (score, output)}."""
    failures = failures or {}
    tests = []
    if status != "ok":  # batch's engine_failure: the grader's own entry, no test of the student's
        tests.append({"name": ENGINE_ERROR_NAME, "number": "0", "score": 0.0, "max_score": 0.0,
                      "status": "failed", "output": "batch: grading was stopped"})
    else:
        for number, points in A3.points.items():
            score, output = failures.get(number, (points, ""))
            tests.append({"name": f"test {number} of a3", "number": number, "score": float(score),
                          "max_score": float(points), "status": "passed" if score >= points else "failed",
                          "output": output})
    res = {"score": sum(t["score"] for t in tests), "execution_time": 12.0, "tests": tests,
           "extra_data": {"batch": {"assignment": "a3", "hidden": True, "status": status, "seconds": 12.0,
                                    "exit_code": 0}}}
    if uas is not None:
        res["leaderboard"] = [{"name": "UAS (held-out)", "value": uas, "order": "desc"}]
    return res


def uas_output(uas):
    return (f"UAS on 1000 held-out sentences: {uas:.2f} (without punctuation {uas - 1:.2f})\n"
            f"held-out UAS {uas:.2f} is below the 85.5 needed for full credit")


SUBMISSIONS = {
    "sub_full": results_json(uas=88.0),
    "sub_a": results_json({"1.1": (0, SHIFT.format(2, 2) + "\nmore detail"),
                           "2.10": (0, SLOW.format("11.4 times as long as the reference (20.03 ms against "
                                                   "1.76 ms a call)")),
                           "2.12": (4.8, uas_output(72.5))}, uas=72.5),
    "sub_b": results_json({"1.1": (0, SHIFT.format(1, 3)),
                           "2.10": (0, SLOW.format("more than 34 times as long as the reference "
                                                   "(stopped after 2.0 s)")),
                           "2.12": (0, uas_output(55.0))}, uas=55.0),
    "sub_c": results_json({"1.1": (0, HOSTILE),
                           "2.10": (0, SLOW.format("6.2 times as long as the reference (3.10 ms against "
                                                   "0.50 ms a call)")),
                           "2.12": (0.4, uas_output(61.0))}, uas=61.0),
    "sub_error": results_json(status="grader error"),
    "sub_late": results_json(status="timeout"),
}


def write_state(export, submissions, broken=("broken",), not_graded=("sub_never",)):
    """export/regrade.csv and export/regrade.results/ as batch leaves them."""
    state = export / "regrade.results"
    state.mkdir(parents=True)
    (state / STATE_MARK).write_text("nlpgrade batch results and logs, not a submission\n")
    for name, res in submissions.items():
        (state / f"{name}.json").write_text(json.dumps(res))
        (state / f"{name}.log").write_text("log\n")
    for name in broken:
        (state / f"{name}.json").write_text('{"tests": [')  # cut short: not JSON
    (state / ".sub_x.partial.json").write_text("{}")  # a grading in progress: not read
    with open(export / "regrade.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["submission", "names", "emails", "sids", "total", "max", "status", "seconds"])
        for name in sorted(submissions):
            w.writerow([name, "", "", "", "1", "40", submissions[name]["extra_data"]["batch"]["status"], "1"])
        for name in not_graded:
            w.writerow([name, "", "", "", "", "", "not graded", ""])
    return export / "regrade.csv"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    export = tmp_path_factory.mktemp("export")
    csv_path = write_state(export, SUBMISSIONS)
    path = report.write_report(str(csv_path))
    assert path == str(export / "regrade.report.html")  # beside the CSV
    with open(path, encoding="utf-8") as f:
        return path, f.read()


def section(text, ident):
    m = re.search(rf'<section id="{ident}">(.*?)</section>', text, re.S)
    assert m, f"no section {ident}"
    return m.group(1)


def plain(fragment):
    """The text of an HTML fragment, tags dropped and whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


# ----- content ---------------------------------------------------------------------
def test_private_and_every_section_present(built):
    path, text = built
    assert os.stat(path).st_mode & 0o077 == 0  # students' outputs: staff only, like the CSV
    for ident in page.SECTIONS:
        section(text, ident)
    assert "Class report: a3 (Neural transition-based dependency parsing)" in text


def test_self_contained_nothing_from_the_network(built):
    _, text = built
    assert not re.search(r"https?://", text)
    sources = re.findall(r'\b(?:src|href)\s*=\s*"([^"]*)"', text)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "<script" not in text.lower() and "<link" not in text.lower() and "@import" not in text
    assert f'content="{page.CSP}"' in text


def test_hostile_output_is_escaped(built):
    _, text = built
    assert "<script>alert(1)</script>" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(2)&gt; &amp; \\x1b[31m" in text  # ESC shown as text, as in results.json
    assert "\x1b" not in text


def test_submission_counts(built):
    _, text = built
    words = plain(section(text, "summary"))
    for status, n in (("ok", 4), ("grader error", 1), ("timeout", 1), ("unreadable results file", 1),
                      ("not graded", 1)):
        assert f"{status} {n}" in words
    look = plain(section(text, "look"))
    for name in ("sub_error", "sub_late", "broken.json", "JSONDecodeError", "sub_never"):
        assert name in look
    assert "sub_x" not in text  # a partial file of a grading in progress is no submission


def test_scores_mean_and_median(built):
    _, text = built
    totals = [res["score"] for res in SUBMISSIONS.values()]  # 0 for the grading error and the timeout
    stats = [6, statistics.fmean(totals), statistics.median(totals), min(totals), max(totals), 38.0]
    assert plain(section(text, "scores")).startswith(
        "Score distribution submissions mean median min max out of " + " ".join(page.num(x) for x in stats))
    assert section(text, "scores").count('class="plot"') == 1


def test_pass_rates_in_test_number_order(built):
    _, text = built
    body = section(text, "pass-rates")
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td>.*?<td class=\"n\">(\d+ / \d+)</td>", body)
    assert [r[0] for r in rows] == sorted(A3.points, key=lambda n: [int(p) for p in n.split(".")])
    rate = {number: passed for number, _, passed in rows}
    assert rate["1.1"] == "1 / 4" and rate["2.10"] == "1 / 4" and rate["2.12"] == "1 / 4"
    assert rate["1.2"] == "4 / 4"
    assert dict((r[0], r[1]) for r in rows)["2.9"] == "test 2.9 of a3"
    assert body.count('class="plot"') == 1


def test_failures_grouped_by_first_line_with_an_example(built):
    _, text = built
    body = section(text, "failures")
    one = body[body.index('id="fail-1.1"'):body.index('id="fail-2.10"')]
    assert "3 of 4 failed" in plain(one)
    groups = re.findall(r'<td class="n">(\d+)</td><td><code>(.*?)</code>', one)
    # the two SHIFT messages differ only in numbers: one group of 2, the hostile one alone
    assert [int(n) for n, _ in groups] == [2, 1]
    assert groups[0][1].startswith("SHIFT moved the wrong word") and "(2 variants" in one
    assert groups[1][1] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert "more detail" in one  # the example is the whole output, not its first line
    assert "No failures: 1.2, 1.3" in plain(body)  # tests with no failures: named, no empty tables
    assert 'id="fail-1.2"' not in body


def test_timing_ratios_parsed(built):
    _, text = built
    body = section(text, "timing")
    cells = re.findall(r'<td class="n">([^<]*)</td>', body)
    # limit, measured, stopped, min, median, max, over the limit, passed silent, failed other
    assert cells == ["5x", "2", "1", "6.2", "11.4", "34", "3", "1", "0"]
    assert "2.10" in plain(body) and body.count('class="plot"') == 1


def test_held_out_metric_against_the_bars(built):
    _, text = built
    body = plain(section(text, "metrics"))
    assert "UAS (held-out) 4 69.12 66.75 55 88" in body  # submissions, mean, median, min, max
    assert "1 (at or above 85.5) 2 1 (at or below 60)" in body  # 88 / 72.5, 61 / 55
    assert section(text, "metrics").count('class="plot"') == 1


def test_no_results_at_all_is_a_clear_message(tmp_path, capsys):
    assert report.main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no regrade at" in err and "nlpgrade batch" in err and "Traceback" not in err


def test_empty_export_gives_a_report_that_says_so(tmp_path, capsys):
    csv_path = write_state(tmp_path, {}, broken=(), not_graded=())
    out = tmp_path / "elsewhere" / "r.html"
    assert report.main([str(tmp_path), "--csv", str(csv_path), "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    text = out.read_text()
    assert "No graded submissions" in text and "No scores." in text and 'class="plot"' not in text
    for ident in page.SECTIONS:
        section(text, ident)


def test_odd_results_files_are_listed_not_raised(tmp_path):
    odd = {"list": [], "no_tests": {"score": 3}, "bad_tests": {"tests": "many"},
           "odd_entries": {"tests": [None, {"number": "1.1", "score": "NaN", "max_score": 2},
                                     {"number": "1.2", "name": "$\\frac{x$", "score": 0, "max_score": 1,
                                      "output": 7}],
                           "leaderboard": [{"name": "UAS (held-out)", "value": "high"}, "x"]}}
    state = tmp_path / "regrade.results"
    state.mkdir()
    for name, raw in odd.items():
        (state / f"{name}.json").write_text(json.dumps(raw))
    (state / "deep.json").write_text("[" * 100000 + "]" * 100000)
    text = open(report.write_report(str(tmp_path / "regrade.csv"))).read()
    look = plain(section(text, "look"))
    for name in ("list.json", "no_tests.json", "bad_tests.json", "deep.json"):
        assert name in look
    assert "1 / 1" not in text and "0 / 1" in plain(section(text, "pass-rates"))  # 1.2 read, 1.1 (NaN) not


def test_cli_subcommand(tmp_path, capsys):
    from autograder import cli

    csv_path = write_state(tmp_path, {"sub_full": SUBMISSIONS["sub_full"]}, broken=(), not_graded=())
    assert cli.main(["report", str(tmp_path)]) == 0
    assert os.path.isfile(tmp_path / "regrade.report.html")
    assert "report written to" in capsys.readouterr().out
    assert csv_path.exists()


# ----- in a browser ----------------------------------------------------------------
def chromium():
    path = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)
    if path is None:
        pytest.fail("Chromium is not installed, and the class report must be checked in a real browser: "
                    "install it with `apt-get install -y chromium` (Debian; `make setup` does this)")
    return path


def test_without_chromium_the_browser_tests_fail_saying_how_to_install_it(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium"):
        chromium()


def run_chromium(url, *flags):
    """Headless Chromium on `url` with a fresh profile; its stdout."""
    with tempfile.TemporaryDirectory(prefix="nlpgrade-chromium-") as profile:
        cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--hide-scrollbars", f"--user-data-dir={profile}", *flags, url]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, cwd=profile)
    assert proc.returncode == 0, f"chromium failed ({proc.returncode}): {proc.stderr[-2000:]}"
    return proc.stdout


def frames(png_path):
    """Bounding boxes (top, left, bottom, right) of the plot frames in a screenshot: the
    connected areas of exactly PLOT_FRAME's colour, big enough to frame a plot."""
    from PIL import Image
    from scipy import ndimage

    pixels = np.asarray(Image.open(png_path).convert("RGB"))
    rgb = tuple(int(page.PLOT_FRAME[i:i + 2], 16) for i in (1, 3, 5))
    labels, _ = ndimage.label((pixels == rgb).all(axis=2))
    boxes = []
    for where in ndimage.find_objects(labels):
        top, bottom, left, right = where[0].start, where[0].stop, where[1].start, where[1].stop
        if bottom - top > 100 and right - left > 100:
            boxes.append((top, left, bottom, right))
    return pixels, sorted(boxes)


def test_browser_renders_every_plot(built, tmp_path):
    path, text = built
    shot = tmp_path / "report.png"
    run_chromium(f"file://{path}", f"--screenshot={shot}", "--window-size=1200,7000")
    pixels, boxes = frames(shot)
    sizes = sorted((int(h), int(w)) for w, h in re.findall(r'class="plot" src="[^"]+" width="(\d+)" height="(\d+)"',
                                                              text))
    assert len(sizes) == 4
    assert len(boxes) == len(sizes), f"found {len(boxes)} plot frames in the screenshot, wanted {len(sizes)}"
    # each frame holds a drawn plot of the image's size: not a broken-image box, not blank
    assert sorted((b - t - 6, r - l - 6) for t, l, b, r in boxes) == sizes
    for t, l, b, r in boxes:
        inside = pixels[t + 3:b - 3, l + 3:r - 3].reshape(-1, 3)
        assert (inside < 250).any(axis=1).mean() > 0.03, "a plot's frame holds an (almost) blank area"
        assert len(np.unique(inside, axis=0)) > 20, "a plot's frame holds too few colours to be a plot"
    outside = pixels[:boxes[0][0]].reshape(-1, 3)  # the title and the first tables rendered too
    assert (outside < 128).all(axis=1).sum() > 500


def with_script(text, csp):
    """The report with another Content-Security-Policy and a script that, once every
    image has loaded or failed, counts the decoded plots into the body's data-plots."""
    script = ("<script>window.addEventListener('load', function () { var all = "
              "document.querySelectorAll('img.plot'), ok = 0; for (var i = 0; i < all.length; i++) "
              "{ if (all[i].complete && all[i].naturalWidth > 0) ok++; } "
              "document.body.setAttribute('data-plots', ok + '/' + all.length); });</script>")
    return text.replace(f'content="{page.CSP}"', f'content="{csp}"').replace("</body>", script + "</body>")


def test_browser_decodes_every_image_and_runs_no_script(built, tmp_path):
    _, text = built
    # with scripts allowed (images as the report's own policy says): every plot decodes
    allowed = tmp_path / "allowed.html"
    allowed.write_text(with_script(text, page.CSP + "; script-src 'unsafe-inline'"))
    dom = run_chromium(f"file://{allowed}", "--dump-dom", "--virtual-time-budget=10000")
    assert 'data-plots="4/4"' in dom, dom[:500]
    # under the report's own policy a script in the page (say, one an escaping mistake let
    # through) does not run
    kept = tmp_path / "kept.html"
    kept.write_text(with_script(text, page.CSP))
    dom = run_chromium(f"file://{kept}", "--dump-dom", "--virtual-time-budget=10000")
    assert "<section" in dom and "data-plots" not in dom.split("<script")[0]


# ----- a class -----------------------------------------------------------------------
@pytest.mark.parametrize("assignment, column, key", [
    ("a3", "UAS (held-out)", "uas"), ("a4", "BLEU (held-out)", "bleu"),
    ("a5", "Vanilla accuracy % (held-out)", "vanilla"), ("a5", "Synthesizer accuracy % (held-out)", "synthesizer")])
def test_each_leaderboard_column_finds_its_bars(assignment, column, key):
    thresholds = configmod.load(assignment).thresholds
    assert summary.bars_for(column, thresholds) == (key, thresholds[f"{key}_floor"], thresholds[f"{key}_full"])


A5 = configmod.load("a5")
REASONS = ["attention: the output for a batch of {} differs from the reference's at row {}",
           "causal mask: position {} attends to position {} after it",
           "ImportError: cannot import name 'CausalSelfAttention' (line {} of attention.py, col {})"]


def fake_class(n, seed=0):
    """n a5 results as a regrade of a class leaves them: random failures from a few
    reasons, timing ratios for 2.11 (noted whether it passes or fails), two accuracies."""
    rng = np.random.default_rng(seed)
    out = {}
    for i in range(n):
        tests = []
        for number, points in A5.points.items():
            output, score = "", float(points)
            if number == "2.11":
                ratio = float(rng.lognormal(1.0, 0.8))
                output = f"attention forward took {ratio:.1f} times as long as the reference's (limit 5x)"
                if ratio > 5:
                    score, output = 0.0, output + f"\nattention forward took {ratio:.1f} times as long as the " \
                                                  "reference (2.00 ms against 0.40 ms a call) (limit 5x)"
            elif rng.random() < 0.2:
                score = 0.0
                output = REASONS[int(rng.integers(3))].format(*rng.integers(1, 99, 2)) + "\n" + "detail " * 20
            tests.append({"name": f"test {number}", "number": number, "score": score, "max_score": float(points),
                          "status": "passed" if score >= points else "failed", "output": output})
        board = [{"name": "Vanilla accuracy % (held-out)", "value": round(float(rng.uniform(5, 30)), 2)},
                 {"name": "Synthesizer accuracy % (held-out)", "value": round(float(rng.uniform(2, 15)), 2)}]
        out[f"submission_{i:04d}"] = {
            "score": sum(t["score"] for t in tests), "tests": tests, "leaderboard": board,
            "extra_data": {"batch": {"assignment": "a5", "hidden": True, "status": "ok", "seconds": 60.0}}}
    return out


def test_a_class_of_fifty(tmp_path):
    subs = fake_class(50)
    text = open(report.write_report(str(write_state(tmp_path, subs, broken=(), not_graded=())))).read()
    assert "Class report: a5" in text
    assert text.count('class="plot"') == 5  # scores, pass rates, 2.11's ratios, two accuracies
    failed = {n: sum(t["number"] == n and t["status"] == "failed" for s in subs.values() for t in s["tests"])
              for n in A5.points}
    rows = dict(re.findall(r"<tr><td>([^<]*)</td><td>[^<]*</td><td class=\"n\">[^<]*</td>"
                           r"<td class=\"n\">(\d+) / 50</td>", section(text, "pass-rates")))
    assert {n: 50 - int(p) for n, p in rows.items()} == failed
    timing = [c for c in re.findall(r'<td class="n">([^<]*)</td>', section(text, "timing"))]
    assert timing[:3] == ["5x", "50", "0"]  # every ratio read, passed or failed
    metrics = plain(section(text, "metrics"))
    assert "Vanilla accuracy % (held-out) 50" in metrics and "Synthesizer accuracy % (held-out) 50" in metrics
    for number in failed:  # three reasons at most per test, whatever the numbers in them
        body = section(text, "failures")
        if failed[number] and number != "2.11":
            part = body[body.index(f'id="fail-{number}"'):]
            part = part[:part.index("</table>")]
            assert len(re.findall(r"<tr><td class=\"n\">", part)) <= 3


def test_absurd_values_cost_a_section_at_most(tmp_path):
    """A hand-edited file with overflowing numbers: a section says it could not be built."""
    state = tmp_path / "regrade.results"
    state.mkdir()
    for i, (score, value, output) in enumerate([(1e308, 1e308, "took " + "9" * 400 + " times as long as the reference"),
                                                (1e308, -1e308, "took 0 times as long as the reference (limit 0x)"),
                                                (-5, 3, "took 0.5 times as long as the reference")]):
        (state / f"s{i}.json").write_text(json.dumps({
            "score": score, "tests": [{"number": "1.1", "name": "x", "score": score, "max_score": 1e308,
                                       "output": output}],
            "leaderboard": [{"name": "UAS (held-out)", "value": value}],
            "extra_data": {"batch": {"assignment": "a3", "status": "ok"}}}))
    text = open(report.write_report(str(tmp_path / "regrade.csv"))).read()
    for ident in page.SECTIONS:
        section(text, ident)
    assert "could not be built (OverflowError" in plain(section(text, "scores"))
    assert "1.1 x 1e+308 2 / 3 67% inf" in plain(section(text, "pass-rates"))  # 1e308 of 1e308 passes
