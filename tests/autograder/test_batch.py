"""`nlpgrade batch`: a Gradescope export regraded into a CSV, one submission per process.

The export is built under pytest's tmp_path, which (as root) sits in a folder only root
may enter: grading stages each submission itself, so the sandbox user never reads it.
"""
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest
from support import make_submission

from autograder import batch, results
from autograder import config as configmod
from autograder.config import ROOT

A2 = configmod.load("a2")
FULL = sum(A2.points.values())

METADATA = """\
submission_101:
  :submitters:
  - :name: Ada Lovelace
    :sid: '00101'
    :email: ada@example.edu
  :created_at: 2024-01-20 10:00:00.000000000 -08:00
  :score: 42.0
  :status: processed
submission_102:
  :submitters:
  - :name: Bob Byte
    :sid: '00102'
    :email: bob@example.edu
  - :name: Carol Cell
    :sid: '00103'
    :email: carol@example.edu
  :score: !ruby/object:BigDecimal 18:0.13e2
submission_103:
  :submitters:
  - :name: Dan Loop
    :sid: '00104'
submission_999:
  :submitters:
  - :name: Not In The Export
"""


def prepend(source_file, text):
    with open(os.path.join(A2.reference_dir, source_file)) as f:
        return text + f.read()


def build_export(folder, metadata=METADATA):
    """The reference, the template, an import that never ends, an import that floods."""
    make_submission(folder / "submission_101")
    shutil.copytree(A2.template_dir, folder / "submission_102", ignore=shutil.ignore_patterns("__pycache__"))
    make_submission(folder / "submission_103", files={
        "word2vec.py": prepend("word2vec.py", "while True:\n    pass\n")})
    make_submission(folder / "submission_104", files={"sampling.py": prepend("sampling.py", (
        "import sys\n"
        "print('x' * (25 << 20))\n"                       # captured by the sandbox
        "sys.__stderr__.write('y' * (25 << 20))\n"        # straight to the worker's fd 2
        "sys.__stderr__.flush()\n"))})
    if metadata is not None:
        (folder / "submission_metadata.yml").write_text(metadata)
    return folder


def nlpgrade_batch(*args):
    return subprocess.run([sys.executable, "-m", "autograder", "batch", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def read_csv(path):
    with open(path, newline="") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


def stored(export, sub):
    with open(export / "regrade.results" / f"{sub}.json") as f:
        return json.load(f)


def lost(res):
    return {t["number"]: t["output"] for t in res["tests"] if t["score"] < t["max_score"]}


@pytest.fixture(scope="module")
def graded_export(tmp_path_factory):
    export = build_export(tmp_path_factory.mktemp("export"))
    started = time.monotonic()
    proc = nlpgrade_batch("a2", export, "--jobs", 2)
    return export, proc, time.monotonic() - started


def test_private_folder_is_out_of_the_sandbox_users_reach(graded_export):
    export, _, _ = graded_export
    if os.geteuid() != 0:
        pytest.skip("only as root does student code run as another user")
    folders = [str(p) for p in [export, *export.parents]]
    assert any(os.stat(p).st_mode & 0o077 == 0 for p in folders)


def test_the_class_report_is_written_at_the_end(graded_export):
    export, proc, _ = graded_export
    report = export / "regrade.report.html"
    assert f"class report written to {report}" in proc.stdout, proc.stdout[-2000:]
    html = report.read_text(encoding="utf-8")
    words = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "status submissions ok 4" in words, words[:1500]  # the four rows it summarises
    assert html.count("data:image/png;base64,") >= 2  # plots embedded, nothing fetched


def test_what_the_batch_writes_is_for_its_owner_alone(graded_export):
    export, _, _ = graded_export
    state = export / "regrade.results"
    written = [export / "regrade.csv", export / "regrade.report.html", state, *state.iterdir()]
    assert len(written) > 4
    for path in written:  # names, emails, SIDs, other students' results
        assert os.stat(path).st_mode & 0o077 == 0, path
    if os.geteuid() == 0:  # the export too: sandbox uids run while it is graded
        for path in (export, export / "submission_metadata.yml"):
            assert os.stat(path).st_mode & 0o077 == 0, path


def test_one_row_per_submission_with_scores_names_and_status(graded_export):
    export, proc, seconds = graded_export
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = read_csv(export / "regrade.csv")
    assert list(rows) == ["submission_101", "submission_102", "submission_103", "submission_104"]
    with open(export / "regrade.csv", newline="") as f:
        header = next(csv.reader(f))
    numbers = sorted(A2.points, key=results.number_key)
    assert header == ["submission", "names", "emails", "sids", *numbers, "total", "max", "status", "seconds"]
    for row in rows.values():
        assert row["status"] == "ok" and float(row["max"]) == FULL
        assert float(row["total"]) == sum(float(row[n]) for n in numbers)

    ref, template, loop, flood = rows.values()
    assert float(ref["total"]) == FULL
    assert float(template["total"]) == 0
    assert (ref["names"], ref["emails"], ref["sids"]) == ("Ada Lovelace", "ada@example.edu", "00101")
    assert template["names"] == "Bob Byte; Carol Cell" and template["sids"] == "00102; 00103"
    assert loop["names"] == "Dan Loop" and loop["emails"] == ""
    assert flood["names"] == ""  # not in the yml: graded all the same

    # The hostile ones lose only the tests of the file that misbehaves.
    loop_lost = lost(stored(export, "submission_103"))
    assert loop_lost and all("importing word2vec.py timed out" in out for out in loop_lost.values())
    assert {"1.6", "2.1", "3.1", "5.4"}.isdisjoint(loop_lost)
    assert all("sampling" in out for out in lost(stored(export, "submission_104")).values())
    assert float(flood["total"]) > FULL / 2

    for sub in rows:
        log = export / "regrade.results" / f"{sub}.log"
        assert log.stat().st_size < batch.LOG_LIMIT + 1024
        results.validate(stored(export, sub))
    print(f"\nbatch of 4, --jobs 2: {seconds:.1f} s")


def test_rerun_skips_finished_submissions(graded_export):
    export, _, _ = graded_export
    state = export / "regrade.results"
    before = {p.name: p.stat().st_mtime_ns for p in state.glob("*.json")}
    csv_before = (export / "regrade.csv").read_text()
    started = time.monotonic()
    proc = nlpgrade_batch("a2", export, "--jobs", 2)
    seconds = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "4 of 4 submissions already graded" in proc.stderr
    assert {p.name: p.stat().st_mtime_ns for p in state.glob("*.json")} == before
    assert (export / "regrade.csv").read_text() == csv_before
    # nothing was graded (the results files are untouched); no bound on seconds: load can reach any
    print(f"\nrerun skipping 4: {seconds:.2f} s")


def test_malformed_metadata_still_grades_all_and_force_regrades(tmp_path):
    export = tmp_path / "export"
    make_submission(export / "submission_1")
    shutil.copytree(A2.template_dir, export / "submission_2", ignore=shutil.ignore_patterns("__pycache__"))
    (export / "submission_metadata.yml").write_text("submission_1:\n  :submitters: [{:name: 'Ada\n")
    out = tmp_path / "elsewhere" / "grades.csv"

    proc = nlpgrade_batch("a2", export, "--jobs", 2, "--csv", out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "could not read submission_metadata.yml" in proc.stderr
    rows = read_csv(out)
    assert [(r["total"], r["names"], r["status"]) for r in rows.values()] == \
        [(f"{FULL:g}", "", "ok"), ("0", "", "ok")]
    state = tmp_path / "elsewhere" / "grades.results"
    first = {p.name: p.stat().st_mtime_ns for p in state.glob("*.json")}
    assert set(first) == {"submission_1.json", "submission_2.json"}

    proc = nlpgrade_batch("a2", export, "--csv", out, "--force")
    assert proc.returncode == 0 and "graded 2 (2 ok)" in proc.stdout
    assert all(p.stat().st_mtime_ns != first[p.name] for p in state.glob("*.json"))

    # Results of a hidden run do not stand in for a public-only one, force or not.
    proc = nlpgrade_batch("a2", export, "--csv", out, "--public-only")
    assert "graded 2 (2 ok)" in proc.stdout
    rows = read_csv(out)
    assert float(rows["submission_1"]["total"]) == float(rows["submission_1"]["max"]) < FULL
    assert "4.1" not in rows["submission_1"]  # hidden tests have no column


# ----- a grading process that crashes, floods or hangs ------------------------------
FAKE = {
    "crash": "import os, signal; os.kill(os.getpid(), signal.SIGKILL)",
    "flood": "import os\nfor _ in range(800): os.write(1, b'z' * 65536)",
    # Ignores Ctrl-C and leaves a process of its own, in another session, behind.
    "hang": ("import signal, subprocess, sys, time\n"
             "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
             "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'],"
             " start_new_session=True)\n"
             "import os; open(sys.argv[1], 'w').write(f'{p.pid} {os.environ[\"TMPDIR\"]}')\n"
             "time.sleep(600)\n"),
}


def alive(pid):
    try:
        os.waitpid(pid, os.WNOHANG)  # reap it if it was left to us (a subreaper)
    except ChildProcessError:
        pass
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_grader_that_crashes_floods_or_hangs_spoils_only_its_own_row(tmp_path, monkeypatch):
    export = tmp_path / "export"
    for name in ("crash", "flood", "hang", "normal"):
        make_submission(export / name)
    pid_file = tmp_path / "grandchild.pid"
    real_command = batch.grade_command

    def fake_command(assignment, submission, results_path, hidden):
        kind = os.path.basename(submission)
        if kind == "normal":
            return real_command(assignment, submission, results_path, hidden)
        return [sys.executable, "-c", FAKE[kind], str(pid_file)]

    monkeypatch.setattr(batch, "grade_command", fake_command)
    monkeypatch.setattr(batch, "GRACE_S", 0.5)
    started = time.monotonic()
    # the real "normal" grading (about 2 s) has the same timeout: 30 s, not 8, so that a busy
    # machine cannot make it a timeout too
    code = batch.main(["a2", str(export), "--jobs", "2", "--timeout", "30", "--public-only"])
    seconds = time.monotonic() - started
    assert code == 0
    rows = read_csv(export / "regrade.csv")
    assert {s: r["status"] for s, r in rows.items()} == {
        "crash": "grader error", "flood": "grader error", "hang": "timeout", "normal": "ok"}
    assert rows["normal"]["total"] == rows["normal"]["max"] != "0"
    for sub in ("crash", "flood", "hang"):
        assert rows[sub]["total"] == "0" and rows[sub]["max"] == rows["normal"]["max"]
    # given its 30 s, then stopped: far under its 600 s sleep (no tighter bound: load can reach it)
    assert 30 <= float(rows["hang"]["seconds"]) < 300
    flood_log = export / "regrade.results" / "flood.log"
    assert batch.LOG_LIMIT <= flood_log.stat().st_size < batch.LOG_LIMIT + 1024
    assert "more bytes of output were cut" in flood_log.read_text()
    assert "still running after 30 s" in (export / "regrade.results" / "hang.log").read_text()
    grandchild, scratch = pid_file.read_text().split()
    assert not alive(int(grandchild))  # the hang's own child went with it
    assert not os.path.exists(scratch)  # and so did its scratch folder
    assert seconds < 300  # the batch did not wait for the hang (600 s) or its grandchild


def test_a_grading_whose_sandbox_could_not_start_is_a_grader_error(tmp_path):
    """Graded from a TMPDIR the sandbox's user cannot enter, every test is one the grader
    could not check: the row must read "grader error", not a silent 0 that reads "ok"."""
    if os.geteuid() != 0:
        pytest.skip("only as root does student code run as another user")
    export = tmp_path / "export"
    make_submission(export / "reference")
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    proc = subprocess.run([sys.executable, "-m", "autograder", "batch", "a2", str(export), "--public-only"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, TMPDIR=str(closed)))
    rows = read_csv(export / "regrade.csv")
    assert rows["reference"]["status"] == "grader error", (rows, proc.stderr[-2000:])
    assert "reference (grader error)" in proc.stdout


def test_metadata_reading_is_tolerant(tmp_path):
    assert batch.read_metadata(tmp_path)[0] == {}  # no file: a warning, no names
    (tmp_path / "submission_metadata.yml").write_text(METADATA)
    people, warning = batch.read_metadata(tmp_path)
    assert warning is None
    assert people["submission_102"] == {"names": ["Bob Byte", "Carol Cell"],
                                        "emails": ["bob@example.edu", "carol@example.edu"],
                                        "sids": ["00102", "00103"]}
    for text in ("- just\n- a list\n", "submission_1: {:submitters: 7}\nsubmission_2: 3\n",
                 "{{{{", "\0binary", ""):
        (tmp_path / "submission_metadata.yml").write_text(text)
        people, warning = batch.read_metadata(tmp_path)
        assert all(not any(v.values()) for v in people.values()), text


def test_submission_folders_exclude_our_state_and_stray_entries(tmp_path):
    for name in ("submission_2", "submission_10", ".hidden", "__MACOSX", "regrade.results"):
        (tmp_path / name).mkdir()
    (tmp_path / "submission_metadata.yml").write_text("")
    assert batch.find_submissions(tmp_path, exclude=tmp_path / "regrade.results") == \
        ["submission_10", "submission_2"]


def test_a_run_with_another_csv_never_grades_an_earlier_runs_state(graded_export, tmp_path):
    """Run twice on one export, the second time with --csv elsewhere: the first run's
    regrade.results/ sits among the submissions and must not be graded as one."""
    export, _, _ = graded_export
    assert (export / "regrade.results" / batch.STATE_MARK).is_file()
    assert batch.find_submissions(export, exclude=tmp_path / "grades.results") == \
        ["submission_101", "submission_102", "submission_103", "submission_104"]
    # a state folder from before the mark: NAME.results beside NAME.csv
    (tmp_path / "old.results").mkdir()
    (tmp_path / "old.csv").write_text("")
    (tmp_path / "submission_7.results").mkdir()  # no CSV beside it: a submission after all
    assert batch.find_submissions(tmp_path) == ["submission_7.results"]


def test_usage_errors():
    assert nlpgrade_batch("a99", ROOT).returncode == 2
    assert nlpgrade_batch("a2", "/no/such/folder").returncode == 2
    assert nlpgrade_batch("a2", ROOT, "--jobs", "0").returncode == 2
