"""`nlpgrade report`: the class report of a regrade, from a hand-made state folder.

The state folder is what `nlpgrade batch` leaves (regrade.results/<submission>.json,
Gradescope results.json with extra_data.batch), written here by hand: full marks,
failures whose first lines repeat with other numbers, a hostile output, timing outputs
made by autograder/checks/timing.py's Timing, held-out UAS values for a3's bars, a
grading error, a timeout and a file that is not JSON. The browser tests open the report
in headless Chromium (Debian package `chromium`, installed by `make chromium`, which
`make setup` runs).
"""
import csv
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import unittest
from types import SimpleNamespace

import numpy as np
import pytest

from autograder import report
from autograder import config as configmod
from autograder import grading
from autograder.batch import STATE_MARK
from autograder.checks.timing import Timing
from autograder.grading import ENGINE_ERROR_NAME
from autograder.report import page, summary

A3 = configmod.load("a3")
HOSTILE = "<script>alert(1)</script>\n<img src=x onerror=alert(2)> & \x1b[31m"
SHIFT = "SHIFT moved the wrong word: {} words on the stack after {} steps"
SLOW = ("embedding_lookup on a batch of 8192 x 36 token ids (d=4) took {} (limit 5x): index the "
        "embedding matrix with the whole batch at once, no Python loop over the batch")


def slower(ratio, student_ms=None, reference_ms=0.5, stopped_after_s=None):
    """What timing.py says after "took": measured, or stopped after `stopped_after_s`."""
    if stopped_after_s is not None:
        return Timing(ratio, None, reference_ms / 1e3, 1, timed_out=True,
                      stopped_after_s=stopped_after_s).slower_text()
    return Timing(ratio, student_ms / 1e3, reference_ms / 1e3, 1).slower_text()


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
                           "2.10": (0, SLOW.format(slower(11.4, 20.03, 1.76))),
                           "2.12": (4.8, uas_output(72.5))}, uas=72.5),
    "sub_b": results_json({"1.1": (0, SHIFT.format(1, 3)),
                           "2.10": (0, SLOW.format(slower(34.6, stopped_after_s=2.0))),
                           "2.12": (0, uas_output(55.0))}, uas=55.0),
    "sub_c": results_json({"1.1": (0, HOSTILE),
                           "2.10": (0, SLOW.format(slower(6.2, 3.10, 0.50))),
                           "2.12": (0.4, uas_output(61.0))}, uas=61.0),
    "sub_error": results_json(status="grader error"),
    "sub_late": results_json(status="timeout"),
}


def write_csv(export, rows):
    """export/regrade.csv with the rows [(submission, status)], as batch writes it."""
    with open(export / "regrade.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["submission", "names", "emails", "sids", "total", "max", "status", "seconds"])
        for name, status in rows:
            w.writerow([name, "", "", "", "1", "40", status, "1"] if status != "not graded" else
                       [name, "", "", "", "", "", status, ""])
    return export / "regrade.csv"


def write_state(export, submissions, broken=("broken",), not_graded=("sub_never",)):
    """export/regrade.csv and export/regrade.results/ as batch leaves them, with what an
    earlier run left: results of a submission no longer in the export, and a stale file of
    one the CSV says was not graded."""
    state = export / "regrade.results"
    state.mkdir(parents=True)
    (state / STATE_MARK).write_text("nlpgrade batch results and logs, not a submission\n")
    for name, res in submissions.items():
        (state / f"{name}.json").write_text(json.dumps(res))
        (state / f"{name}.log").write_text("log\n")
    for name in broken:
        (state / f"{name}.json").write_text('{"tests": [')  # cut short: not JSON
    for name in not_graded:  # an earlier run's, of another kind (public only, say): not this regrade's
        (state / f"{name}.json").write_text(json.dumps(results_json()))
    (state / "sub_gone.json").write_text(json.dumps(results_json()))  # removed from the export since
    (state / ".sub_x.partial.json").write_text("{}")  # a grading in progress: not read
    return write_csv(export, [(name, submissions[name]["extra_data"]["batch"]["status"]) for name in
                              sorted(submissions)] + [(name, "ok") for name in broken]
                     + [(name, "not graded") for name in not_graded])


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
    assert "sub_gone" not in text  # results of a submission the CSV does not list: not this regrade's


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
    # a3's passes say no ratio anywhere, and the section says so rather than leave it to guess
    assert "Timing tests of a1 to a3 report their ratio only when they fail" in plain(body)


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
    csv_path = write_csv(tmp_path, [(name, "ok") for name in [*odd, "deep"]] + [("../regrade", "ok")])
    text = open(report.write_report(str(csv_path))).read()
    look = plain(section(text, "look"))
    for name in ("list.json", "no_tests.json", "bad_tests.json", "deep.json"):
        assert name in look
    assert "../regrade unreadable results file not a submission name" in look  # no path out of the folder
    assert "1 / 1" not in text and "0 / 1" in plain(section(text, "pass-rates"))  # 1.2 read, 1.1 (NaN) not


def test_the_csv_decides_which_submissions_are_in_the_report(tmp_path):
    """A row without a results file is not graded; a results file without a row is left out."""
    write_state(tmp_path, {"sub_full": SUBMISSIONS["sub_full"], "sub_a": SUBMISSIONS["sub_a"]},
                broken=(), not_graded=())
    write_csv(tmp_path, [("sub_a", "ok"), ("sub_lost", "ok")])  # a later run: sub_full gone from the export
    text = open(report.write_report(str(tmp_path / "regrade.csv"))).read()
    assert "ok 1" in plain(section(text, "summary")) and "not graded 1" in plain(section(text, "summary"))
    assert "sub_lost not graded" in plain(section(text, "look"))
    assert "sub_full" not in text and "sub_gone" not in text
    assert "1 / 1" in plain(section(text, "pass-rates"))  # 1.2: sub_a's alone


def test_a_state_folder_without_its_csv_says_to_rerun_batch(tmp_path, capsys):
    write_state(tmp_path, {"sub_full": SUBMISSIONS["sub_full"]}, broken=(), not_graded=())
    os.remove(tmp_path / "regrade.csv")
    assert report.main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "regrade.results/ is there: rerun the same `nlpgrade batch`" in err and "Traceback" not in err


def test_an_unreadable_state_folder_is_an_error_naming_it(tmp_path, capsys, monkeypatch):
    write_state(tmp_path, {"sub_full": SUBMISSIONS["sub_full"]}, broken=(), not_graded=())
    state = str(tmp_path / "regrade.results")
    listdir = os.listdir

    def denied(path="."):  # as for another user's 0700 folder (chmod does not stop root)
        if os.path.abspath(path) == state:
            raise PermissionError(13, "Permission denied", path)
        return listdir(path)

    monkeypatch.setattr(os, "listdir", denied)
    assert report.main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"cannot read the state folder {state}" in err and "Permission denied" in err
    assert "No graded submissions" not in err and "Traceback" not in err
    assert not (tmp_path / "regrade.report.html").exists()


def graded_entry(number, points, notes=(), failure=None, printed=""):
    """One test's entry of results.json as grading.py writes it (its Collector, then
    score_test): the test's notes, its failure message, then what the code printed."""
    class Graded(unittest.TestCase):
        def test_it(self):
            """a test"""
            self.notes = list(notes)
            if failure:
                self.fail(failure)

    Graded.test_it.__number__, Graded.test_it.__weight__ = number, float(points)
    context = SimpleNamespace(student=SimpleNamespace(take_output=lambda: printed), reference=None)
    collector = grading.Collector(context)
    test = Graded("test_it")
    test.run(collector)
    return grading.score_test(test, "hidden", A3, collector.outcomes[test.id()])


def report_of(tmp_path, entries_by_submission):
    """The report of a3 results made of the given test entries."""
    subs = {}
    for sub, entries in entries_by_submission.items():
        res = results_json()
        res["tests"] = entries
        res["score"] = sum(t["score"] for t in entries)
        subs[sub] = res
    return open(report.write_report(str(write_state(tmp_path, subs, broken=(), not_graded=())))).read()


def test_what_the_student_printed_gives_no_ratio_and_no_reason(tmp_path):
    fake = f"took {slower(1.0, 0.5, 0.5)}\n"  # a student's print of a timing line
    printed = graded_entry("2.10", 2, printed=fake)
    assert summary.PRINTED in printed["output"] and printed["status"] == "passed"
    slow = graded_entry("2.10", 2, failure=SLOW.format(slower(11.4, 20.03, 1.76)), printed=fake)
    text = report_of(tmp_path, {"sub_a": [printed], "sub_b": [slow], "sub_c": [graded_entry("2.10", 2)]})
    cells = re.findall(r'<td class="n">([^<]*)</td>', section(text, "timing"))
    # limit, measured (sub_b's 11.4 alone), stopped, min, median, max, over, passed silent, failed other
    assert cells == ["5x", "1", "0", "11.4", "11.4", "11.4", "1", "2", "0"]
    # a failure whose message is empty is not grouped by a line the student printed
    silent = graded_entry("2.10", 2, failure=" ", printed="took over the machine\n")
    assert summary.grader_text(silent["output"]).strip() == ""
    text = report_of(tmp_path / "again", {"sub_d": [silent]})
    shown = re.sub(r"<details>.*?</details>", "", section(text, "failures"), flags=re.S)  # the examples aside
    assert "took over the machine" not in plain(shown)


def test_failures_are_grouped_by_the_message_not_the_notes_before_it(tmp_path):
    note = "checked {} transitions of the sentence"  # written pass or fail, before any failure
    entries = {"sub_pass": [graded_entry("1.1", 2, notes=[note.format(12)])],
               "sub_shift": [graded_entry("1.1", 2, notes=[note.format(10)], failure=SHIFT.format(2, 3))],
               "sub_shift2": [graded_entry("1.1", 2, notes=[note.format(7)], failure=SHIFT.format(1, 4))],
               "sub_arc": [graded_entry("1.1", 2, notes=[note.format(10)],
                                        failure="LEFT-ARC removed the head, not the dependent\nmore")]}
    assert entries["sub_arc"][0]["output"].startswith(note.format(10) + "\nLEFT-ARC")  # as grading.py writes it
    text = report_of(tmp_path, entries)
    groups = re.findall(r'<td class="n">(\d+)</td><td><code>(.*?)</code>', section(text, "failures"))
    assert [(int(n), line.split(":")[0]) for n, line in groups] == [
        (2, "SHIFT moved the wrong word"), (1, "LEFT-ARC removed the head, not the dependent")]


def test_cli_subcommand(tmp_path, capsys):
    from autograder import cli

    csv_path = write_state(tmp_path, {"sub_full": SUBMISSIONS["sub_full"]}, broken=(), not_graded=())
    assert cli.main(["report", str(tmp_path)]) == 0
    assert os.path.isfile(tmp_path / "regrade.report.html")
    assert "report written to" in capsys.readouterr().out
    assert csv_path.exists()


# ----- in a browser ----------------------------------------------------------------
INSTALL_CHROMIUM = "make chromium"  # the Makefile's target (as root), which `make setup` runs
CHROMIUM_TIMEOUT_S = 600  # not a speed test: a loaded 2-core CI machine may take minutes to start it


def chromium():
    path = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)
    if path is None:
        pytest.fail("Chromium is not installed, and the class report must be checked in a real browser: "
                    f"install it with `{INSTALL_CHROMIUM}` as root (Debian's chromium package)")
    return path


def test_without_chromium_the_browser_tests_fail_saying_how_to_install_it(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match=f"install it with `{INSTALL_CHROMIUM}` as root"):
        chromium()


def _kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # every process of the group has exited


def run_chromium(url, *flags):
    """Headless Chromium on `url` with a fresh profile; its stdout. It runs in a session of
    its own, and its whole process group (zygote, GPU and renderer helpers) is killed at
    the end, timed out or not: no helper outlives the test on a busy machine."""
    with tempfile.TemporaryDirectory(prefix="nlpgrade-chromium-", ignore_cleanup_errors=True) as profile:
        cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", "--disable-crash-reporter", "--disable-breakpad",
               "--hide-scrollbars", f"--user-data-dir={profile}", *flags, url]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=profile,
                                start_new_session=True)
        try:
            out, err = proc.communicate(timeout=CHROMIUM_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            out, err = proc.communicate()
            pytest.fail(f"chromium did not finish within {CHROMIUM_TIMEOUT_S} s: {err[-2000:]}")
        finally:
            _kill_group(proc.pid)
    assert proc.returncode == 0, f"chromium failed ({proc.returncode}): {err[-2000:]}"
    return out


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
                if ratio > 5:  # a5's timing tests fail with timing.py's words...
                    score, output = 0.0, f"attention forward took {slower(ratio, 0.4 * ratio, 0.4)} (limit 5x)"
                else:  # ...and note the ratio of a pass in their own (test_a5_src_hidden.py)
                    output = f"attention forward took {ratio:.1f} times as long as the reference's (limit 5x)"
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
    text = open(report.write_report(str(write_csv(tmp_path, [(f"s{i}", "ok") for i in range(3)])))).read()
    for ident in page.SECTIONS:
        section(text, ident)
    assert "could not be built (OverflowError" in plain(section(text, "scores"))
    assert "1.1 x 1e+308 2 / 3 67% inf" in plain(section(text, "pass-rates"))  # 1e308 of 1e308 passes
