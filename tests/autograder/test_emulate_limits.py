"""`nlpgrade emulate --gradescope-limits`: the run under Gradescope's memory and CPU, what
it used, and whether the reference's grading leaves the headroom it must.

a2's reference is graded here (seconds); a1 and a3 (a3 needs trained weights, a grading
of about a minute) by `make bench` (bench/gradescope.py), with the same bound."""
import json
import os

import pytest

from autograder import cgroups
from autograder import config as configmod
from autograder import emulate
from autograder.release import autograder_zip, write_zip
from support import open_workdir

ROOT = configmod.ROOT
HEADROOM = 0.25  # of Gradescope's 768 MB, left unused by a reference's grading (bench/gradescope.py)

RESULTS = ('cat > "$NLPGRADE_AUTOGRADER_ROOT/results/results.json" <<JSON\n'
           '{"score": 0, "tests": [{"name": "t", "number": "1", "score": 0, "max_score": 1, '
           '"status": "failed", "output": "x"}]}\nJSON\n')


@pytest.fixture(scope="module")
def workdir():
    with open_workdir("nlpgrade-test-emulate-limits-") as path:
        yield path


def fake_autograder(path, run_script):
    body = "#!/usr/bin/env bash\n" + run_script
    return write_zip(path, {"setup.sh": (b"#!/usr/bin/env bash\n", True),
                            "run_autograder": (body.encode(), True)})


def can_limit():
    try:
        cgroups.make_group("nlpgrade-test-probe", 64, 1).remove()
        return True
    except cgroups.Unavailable:
        return False


def run_main(args, capfd):
    status = emulate.main([str(a) for a in args])
    out, err = capfd.readouterr()
    return status, out, err


@pytest.mark.skipif(not can_limit(), reason="no cgroup can be made here")
def test_an_oom_kill_is_reported_and_fails_the_emulation(workdir, capfd):
    hog = "python3 -c \"b = bytearray(300 * 2**20); b[::4096] = b'1' * len(b[::4096])\"\n"
    zpath = fake_autograder(os.path.join(workdir, "hog.zip"), RESULTS + hog)
    usage_path = os.path.join(workdir, "hog.usage.json")
    status, out, err = run_main([zpath, os.path.join(ROOT, "solutions", "a2"), "--gradescope-limits",
                                 "--memory-mb", "200", "--usage-json", usage_path], capfd)
    assert status == 3, out + err
    assert "OUT OF MEMORY" in out and "200 MB" in out and "does not fit in 200 MB" in err
    with open(usage_path) as f:
        usage = json.load(f)
    assert usage["oom_kills"] >= 1 and usage["memory_mb"] == 200 and usage["cpus"] == 0.5


def test_without_cgroups_the_report_says_nothing_was_enforced(workdir, capfd, monkeypatch):
    def unavailable(*args):
        raise cgroups.Unavailable("cgroups off (test)")

    monkeypatch.setattr(cgroups, "make_group", unavailable)
    zpath = fake_autograder(os.path.join(workdir, "quiet.zip"), RESULTS)
    status, out, err = run_main([zpath, os.path.join(ROOT, "solutions", "a2"),
                                 "--gradescope-limits", "--minutes", "1"], capfd)
    assert status == 0, out + err
    assert "limits NOT enforced (cgroups off (test)): measuring only" in out


def test_limits_must_be_positive(workdir, capfd):
    zpath = fake_autograder(os.path.join(workdir, "quiet.zip"), RESULTS)
    status, _, err = run_main([zpath, os.path.join(ROOT, "solutions", "a2"),
                               "--gradescope-limits", "--cpus", "0"], capfd)
    assert status == 1 and "must be positive" in err


def test_a2_reference_grading_leaves_the_headroom(workdir, capfd):
    """The reference's whole grading (grader, both workers) under Gradescope's 768 MB
    keeps a quarter free (CPU left unlimited here: the bench measures 0.5 CPU)."""
    zpath = write_zip(os.path.join(workdir, "a2-autograder.zip"),
                      autograder_zip.entries(configmod.load("a2")))
    usage_path = os.path.join(workdir, "a2.usage.json")
    results_path = os.path.join(workdir, "a2.results.json")
    status, out, err = run_main([zpath, os.path.join(ROOT, "solutions", "a2"), "--gradescope-limits",
                                 "--cpus", str(os.cpu_count()), "--usage-json", usage_path,
                                 "--results", results_path], capfd)
    assert status == 0, out[-3000:] + err[-3000:]
    with open(usage_path) as f:
        usage = json.load(f)
    with open(results_path) as f:
        res = json.load(f)
    assert res["score"] == configmod.load("a2").total_points
    assert not usage["oom_kills"]
    assert 0 < usage["process_peak_mb"] <= (1 - HEADROOM) * cgroups.GRADESCOPE_MEMORY_MB, usage
    assert "peak memory of the process tree" in out
