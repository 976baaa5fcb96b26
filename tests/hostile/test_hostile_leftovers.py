"""A student's code leaves files behind: in /tmp, /var/tmp and /dev/shm (many small ones,
big ones), and floods its own working folder. Nothing may remain after the grading, and
the grading says so: a write the sandbox may not make fails in the student's code
(Landlock on), or is found after the request, removed and reported as the student's
failure (Landlock off); a working folder grown past its caps fails that request.
"""
import os
import uuid

import pytest
from hostile_support import files_owned_by, strict_results
from support import grade, lost, make_submission, output_of

from autograder import config as configmod
from autograder import session as sessionmod
from autograder.sandbox import confine

A2 = configmod.load("a2")
SAMPLING = {"2.1", "2.2", "5.1", "5.2"}   # the tests of sampling.py's two functions
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="files are found by their owner, a sandbox uid")

LITTER = r'''
import os as _os
_REPORT = []


def _litter(tag):
    for _folder in ("/tmp", "/var/tmp", "/dev/shm"):
        _base = "%s/litter-%s" % (_folder, tag)
        try:
            _os.makedirs(_base)
            for _i in range(5000 if _folder == "/tmp" else 50):
                with open("%s/f%d" % (_base, _i), "w") as _f:
                    _f.write("x")
            _REPORT.append("WROTE %s (many small files)" % _base)
        except OSError as _e:
            _REPORT.append("DENIED %s: %s" % (_base, type(_e).__name__))
        for _j in range(2 if _folder == "/dev/shm" else 0):  # 96 MiB in memory, in files under the size limit
            _big = "%s/litter-%s-big%d" % (_folder, tag, _j)
            try:
                with open(_big, "wb") as _f:
                    _f.write(b"\0" * (48 << 20))
                _REPORT.append("WROTE %s (48 MiB)" % _big)
            except OSError as _e:
                _REPORT.append("DENIED %s: %s" % (_big, type(_e).__name__))
    print("LITTER REPORT\n" + "\n".join(_REPORT))


_litter(TAG)
'''


def reference(name):
    with open(os.path.join(A2.reference_dir, name)) as f:
        return f.read()


def litter_report(res):
    lines = []
    for t in res["tests"]:
        if "LITTER REPORT" in t["output"]:
            lines += [ln for ln in t["output"].split("LITTER REPORT", 1)[1].splitlines()
                      if ln.startswith(("WROTE", "DENIED"))]
    return lines


def no_litter(tag):
    return [os.path.join(folder, name) for folder in ("/tmp", "/var/tmp", "/dev/shm")
            for name in os.listdir(folder) if name.startswith(f"litter-{tag}")]


def uid_of(res):
    return int(res["extra_data"]["sandbox_isolation"]["user"].split()[-1])


@pytest.mark.skipif(confine.landlock_abi() < 1, reason="no Landlock in this kernel")
def test_writes_outside_the_working_folder_fail_in_the_students_code(tmp_path):
    tag = uuid.uuid4().hex[:8]
    sub = make_submission(tmp_path / "sub", files={
        "sampling.py": f"TAG = {tag!r}\n" + LITTER + reference("sampling.py")})
    res = grade(sub, results_path=str(tmp_path / "results.json"))
    strict_results(tmp_path / "results.json")
    report = litter_report(res)
    assert len(report) == 5, report
    assert [ln for ln in report if ln.startswith("WROTE")] == [], report
    assert all(ln.endswith("PermissionError") for ln in report), report   # what the student sees
    assert res["score"] == A2.total_points  # it caught its own errors: nothing else changes
    assert no_litter(tag) == []
    if os.geteuid() == 0:
        assert files_owned_by(uid_of(res)) == []


@needs_root
def test_without_landlock_leftovers_are_removed_and_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("NLPGRADE_CONFINE", "seccomp")  # as on a kernel without Landlock
    tag = uuid.uuid4().hex[:8]
    sub = make_submission(tmp_path / "sub", files={
        "sampling.py": f"TAG = {tag!r}\n" + LITTER + reference("sampling.py")})
    res = grade(sub, results_path=str(tmp_path / "results.json"))
    strict_results(tmp_path / "results.json")
    assert res["extra_data"]["sandbox_isolation"]["landlock"] == "off: turned off by NLPGRADE_CONFINE"
    # importing sampling.py litters: every test of it fails, saying why
    assert lost(res) == SAMPLING, {n: output_of(res, n)[:300] for n in lost(res) - SAMPLING}
    for n in SAMPLING:
        text = output_of(res, n)
        assert "your code wrote files outside its working folder" in text, text
        assert f"litter-{tag}" in text and "they were removed" in text, text
    assert no_litter(tag) == []
    assert files_owned_by(uid_of(res)) == []


FLOOD = {
    "subsampleKeepProbability": '''def subsampleKeepProbability(wordFraction, threshold=1e-3):
    import os
    os.makedirs("cache", exist_ok=True)
    for i in range(1000):  # many small files
        with open("cache/%d.txt" % i, "w") as f:
            f.write("x")
    wordFraction = np.asarray(wordFraction, dtype=float)
    return np.minimum(1.0, np.sqrt(threshold / np.maximum(wordFraction, 1e-300)))
''',
    "negativeSamplingDistribution": '''def negativeSamplingDistribution(counts, power=0.75):
    for i in range(3):  # big files: 30 MB
        with open("weights%d.bin" % i, "wb") as f:
            f.write(bytes(10 << 20))
    p = np.asarray(counts, dtype=float) ** power
    return p / p.sum()
''',
}


def test_a_flooded_working_folder_fails_that_request(tmp_path, monkeypatch):
    monkeypatch.setattr(sessionmod, "FILES", 300)
    monkeypatch.setattr(sessionmod, "DISK_MB", 16)
    sub = make_submission(tmp_path / "sub", patches={"sampling.py": FLOOD})
    res = grade(sub, results_path=str(tmp_path / "results.json"))
    strict_results(tmp_path / "results.json")
    assert lost(res) == SAMPLING, {n: output_of(res, n)[:300] for n in lost(res) - SAMPLING}
    for n in SAMPLING:
        text = output_of(res, n)
        assert "in its working folder, over the grader's limit (300 files, 16 MB)" in text, text
        assert "they were removed" in text, text
    if os.geteuid() == 0:
        assert files_owned_by(uid_of(res)) == []


def test_a_runaway_writer_is_stopped_during_its_request(open_tmp):
    """One request that keeps writing: stopped when it passes the cap, not at its timeout."""
    import time

    from autograder.sandbox import Limits
    from autograder.sandbox.privileges import give_to, lease_identity

    (open_tmp / "m.py").write_text(
        "def fill():\n    i = 0\n    while True:\n"
        "        with open('chunk%d' % i, 'wb') as f:\n            f.write(bytes(1 << 20))\n"
        "        i += 1\n")
    identity = lease_identity()
    give_to(str(open_tmp), identity)
    sb = sessionmod.GuardedSandbox(str(open_tmp), Limits(call_timeout_s=60), ["m.py"],
                                   identity=identity, disk_mb=32, files=100000)
    try:
        started = time.monotonic()
        with pytest.raises(sessionmod.QuotaExceeded, match="over the grader's limit"):
            sb.call("m", "fill")
        # stopped by the write cap, not by the 60 s call timeout (no tighter bound: load)
        assert time.monotonic() - started < 50
        assert sorted(os.listdir(open_tmp)) == ["m.py"]  # back to what was staged
    finally:
        sb.close()
        if identity is not None:
            identity.release()
