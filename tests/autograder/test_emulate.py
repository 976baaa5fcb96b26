"""`nlpgrade emulate`: the autograder zip run as Gradescope runs it, on this machine."""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile

import pytest

from autograder import config as configmod
from autograder import emulate, results
from autograder.release import autograder_zip, write_zip
from support import open_workdir

ROOT = configmod.ROOT
RELEASED = ["a2"]  # assignments with a released autograder zip


@pytest.fixture(scope="module")
def workdir():
    # One folder for the module's zips and results (the zip is built once).
    with open_workdir("nlpgrade-test-emulate-") as path:
        yield path


@pytest.fixture(scope="module")
def zips(workdir):
    return {name: write_zip(os.path.join(workdir, f"{name}-autograder.zip"),
                            autograder_zip.entries(configmod.load(name)))
            for name in RELEASED}


def run_main(args, capfd):
    status = emulate.main([str(a) for a in args])
    out, err = capfd.readouterr()
    return status, out, err


def load_valid(path):
    with open(path) as f:
        res = json.load(f)
    results.validate(res)
    return res


@pytest.mark.parametrize("name", RELEASED)
def test_reference_folder_gets_full_marks(name, zips, workdir, capfd):
    out_path = os.path.join(workdir, f"{name}-reference.json")
    started = time.monotonic()
    status, out, err = run_main([zips[name], os.path.join(ROOT, "solutions", name),
                                 "--results", out_path], capfd)
    assert status == 0, out[-3000:] + err[-3000:]
    res = load_valid(out_path)
    total = configmod.load(name).total_points
    assert res["score"] == total == sum(t["max_score"] for t in res["tests"])
    assert "== results.json (valid) ==" in out
    # The table once (run_autograder's grader printed it), and no path of the removed root.
    assert out.count(results.table(res)) == 1 and "(the table run_autograder printed above)" in out
    assert "results written to" not in out and f"results.json copied to {out_path}" in out
    print(f"emulate {name} reference: {time.monotonic() - started:.1f} s")


def test_reference_zip_upload_gets_full_marks(zips, workdir, capfd):
    cfg = configmod.load("a2")
    upload = os.path.join(workdir, "upload.zip")
    with zipfile.ZipFile(upload, "w") as z:  # students often zip their folder
        for rel in cfg.student_files:
            z.write(os.path.join(cfg.reference_dir, rel), f"mywork/{rel}")
    out_path = os.path.join(workdir, "zip-upload.json")
    status, out, err = run_main([zips["a2"], upload, "--results", out_path], capfd)
    assert status == 0, out[-3000:] + err[-3000:]
    assert load_valid(out_path)["score"] == cfg.total_points


@pytest.mark.parametrize("name", RELEASED)
def test_template_gets_zero(name, zips, workdir, capfd):
    out_path = os.path.join(workdir, f"{name}-template.json")
    status, out, err = run_main([zips[name], os.path.join(ROOT, "student_template", name),
                                 "--results", out_path], capfd)
    assert status == 0, out[-3000:] + err[-3000:]
    res = load_valid(out_path)
    assert res["score"] == 0 and len(res["tests"]) == len(configmod.load(name).points)


def test_garbage_upload_gets_a_valid_zero(zips, workdir, capfd):
    garbage = os.path.join(workdir, "garbage.zip")
    with open(garbage, "wb") as f:
        f.write(os.urandom(4096))
    out_path = os.path.join(workdir, "garbage.json")
    status, out, err = run_main([zips["a2"], garbage, "--results", out_path], capfd)
    assert status == 0, out[-3000:] + err[-3000:]
    assert load_valid(out_path)["score"] == 0


def test_layout_is_like_gradescope(zips, workdir):
    root = tempfile.mkdtemp(prefix="nlpgrade-test-layout-")
    try:
        emulate.layout(zips["a2"], os.path.join(ROOT, "student_template", "a2"), root)
        for name in ("source/setup.sh", "source/run_autograder", "run_autograder",
                     "submission/word2vec.py", "submission_metadata.json"):
            assert os.path.exists(os.path.join(root, name)), name
        assert os.access(os.path.join(root, "run_autograder"), os.X_OK)
        assert os.path.isdir(os.path.join(root, "results"))
        with open(os.path.join(root, "submission_metadata.json")) as f:
            meta = json.load(f)
        assert {"id", "created_at", "assignment", "users", "previous_submissions"} <= set(meta)
        # The sandbox user may pass through the root, never into source/.
        assert stat.S_IMODE(os.stat(root).st_mode) & 0o001
        assert stat.S_IMODE(os.stat(os.path.join(root, "source")).st_mode) == 0o700
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_run_autograder_writes_a_valid_fallback_when_python_is_broken(zips):
    root = tempfile.mkdtemp(prefix="nlpgrade-test-fallback-")
    try:
        emulate.layout(zips["a2"], os.path.join(ROOT, "solutions", "a2"), root)
        env = dict(os.environ, NLPGRADE_AUTOGRADER_ROOT=root, NLPGRADE_PYTHON="/bin/false")
        proc = subprocess.run([os.path.join(root, "run_autograder")], cwd=root, env=env,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        res = load_valid(os.path.join(root, "results", "results.json"))
        assert res["score"] == 0
        assert [t["name"] for t in res["tests"]] == ["Autograder error"]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_run_autograder_tells_a_kill_from_its_time_limit(zips):
    """A grader killed early (the OOM killer's SIGKILL) is not "stopped after 570 s", and
    the student is not told it cannot be their code."""
    root = tempfile.mkdtemp(prefix="nlpgrade-test-killed-")
    try:
        emulate.layout(zips["a2"], os.path.join(ROOT, "solutions", "a2"), root)
        killed = os.path.join(root, "killed.sh")
        with open(killed, "w") as f:
            f.write("#!/bin/sh\nkill -9 $$\n")
        os.chmod(killed, 0o755)
        env = dict(os.environ, NLPGRADE_AUTOGRADER_ROOT=root, NLPGRADE_PYTHON=killed)
        proc = subprocess.run([os.path.join(root, "run_autograder")], cwd=root, env=env,
                              capture_output=True, text=True, timeout=60)
        assert "stopped after" not in proc.stdout and "ran out of memory" in proc.stdout, proc.stdout
        res = load_valid(os.path.join(root, "results", "results.json"))
        (test,) = res["tests"]
        assert "ran out of memory" in test["output"] and "uses a lot of memory" in test["output"], test
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_run_autograder_stops_a_long_run_and_still_leaves_results(zips):
    root = tempfile.mkdtemp(prefix="nlpgrade-test-timeout-")
    try:
        emulate.layout(zips["a2"], os.path.join(ROOT, "solutions", "a2"), root)
        env = dict(os.environ, NLPGRADE_AUTOGRADER_ROOT=root, NLPGRADE_PYTHON=sys.executable,
                   NLPGRADE_RUN_TIMEOUT_S="1")
        proc = subprocess.run([os.path.join(root, "run_autograder")], cwd=root, env=env,
                              capture_output=True, text=True, timeout=60)
        assert "stopped after 1 s" in proc.stdout, proc.stdout + proc.stderr
        res = load_valid(os.path.join(root, "results", "results.json"))
        assert res["score"] == 0 and "Autograder error" in [t["name"] for t in res["tests"]]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def fake_autograder(path, run_script):
    """An autograder zip whose run_autograder is `run_script` (bash)."""
    body = "#!/usr/bin/env bash\n" + run_script
    return write_zip(path, {"setup.sh": (b"#!/usr/bin/env bash\n", True),
                            "run_autograder": (body.encode(), True)})


@pytest.mark.parametrize("script, says", [
    ("exit 0\n", "no results.json"),
    ('echo "{not json" > "$NLPGRADE_AUTOGRADER_ROOT/results/results.json"\n', "invalid"),
    ('echo \'{"score": "ten"}\' > "$NLPGRADE_AUTOGRADER_ROOT/results/results.json"\n', "invalid"),
])
def test_missing_or_invalid_results_fail_the_emulation(script, says, workdir, capfd):
    zpath = fake_autograder(os.path.join(workdir, "fake.zip"), script)
    status, out, err = run_main([zpath, os.path.join(ROOT, "solutions", "a2")], capfd)
    assert status == 1 and says in err and "failed to execute correctly" in err


def test_a_table_the_grader_did_not_print_is_printed_once(workdir, capfd):
    """run_autograder's own fallback: no grader table, so emulate prints the file's."""
    script = ('cat > "$NLPGRADE_AUTOGRADER_ROOT/results/results.json" <<JSON\n'
              '{"score": 0, "tests": [{"name": "Autograder error", "number": "0", "score": 0, '
              '"max_score": 0, "status": "failed", "output": "x"}]}\nJSON\n'
              'echo "results written to $NLPGRADE_AUTOGRADER_ROOT/results/results.json"\n')
    zpath = fake_autograder(os.path.join(workdir, "fallback.zip"), script)
    status, out, err = run_main([zpath, os.path.join(ROOT, "solutions", "a2")], capfd)
    assert status == 0, out + err
    assert out.count("Autograder error") == 1 and "printed above" not in out
    assert "results written to" not in out  # that root is gone when emulate returns
    status, out, _ = run_main([zpath, os.path.join(ROOT, "solutions", "a2"), "--keep"], capfd)
    kept = out.split("kept the emulated root ")[1].split()[0]
    try:
        assert f"results written to {kept}/results/results.json" in out  # kept: still true
    finally:
        shutil.rmtree(kept, ignore_errors=True)


def test_usage_errors(workdir, capfd):
    assert run_main(["/no/such.zip", ROOT], capfd)[0] == 2
    not_zip = os.path.join(workdir, "not-a-zip")
    with open(not_zip, "w") as f:
        f.write("hello")
    status, _, err = run_main([not_zip, os.path.join(ROOT, "solutions", "a2")], capfd)
    assert status == 1 and "not a zip" in err


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("NLPGRADE_SLOW") != "1",
                    reason="installs every dependency into a fresh venv (about a minute); NLPGRADE_SLOW=1")
def test_setup_builds_a_venv_that_grades_the_reference(zips, workdir, capfd):
    out_path = os.path.join(workdir, "setup.json")
    started = time.monotonic()
    status, out, err = run_main([zips["a2"], os.path.join(ROOT, "solutions", "a2"), "--setup",
                                 "--results", out_path], capfd)
    assert status == 0, out[-5000:] + err[-5000:]
    assert "setup.sh: done" in out
    assert load_valid(out_path)["score"] == configmod.load("a2").total_points
    print(f"emulate --setup a2 reference: {time.monotonic() - started:.1f} s")
