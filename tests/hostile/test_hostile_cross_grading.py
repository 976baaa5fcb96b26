"""One submission attacks another under `nlpgrade batch --jobs 2`: it looks for the other
grading's worker in /proc and tries to read its staged code, environment and memory,
overwrite its files, stop and kill it, and to read the export (other students' code,
submission_metadata.yml with names, emails and SIDs) and the results of earlier
gradings. The victim's score must be what it is alone, and the attacker's report must
show only denials (and that it did find the victim).
"""
import json
import os
import subprocess
import sys

import pytest
from hostile_support import strict_results
from support import grade, make_submission

from autograder import config as configmod
from autograder.config import ROOT

A2 = configmod.load("a2")
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="sandbox uids exist only as root")

METADATA = """\
victim:
  :submitters:
  - :name: Vera Victim
    :sid: 'SID-VICTIM-0001'
    :email: vera@example.edu
attacker:
  :submitters:
  - :name: Mallory
    :sid: '00666'
"""

# The victim is honest, only slow to import: its worker is surely alive while the
# attacker's runs.
VICTIM = "import time as _t\n_t.sleep(2)\n"

ATTACK = r'''
import os as _os, re as _re, signal as _signal, time as _time
_REPORT, _seen = [], set()


def _try(label, fn):
    try:
        got = fn()
    except BaseException as _e:
        _REPORT.append("DENIED %s: %s" % (label, type(_e).__name__))
        return None
    _REPORT.append("GOT %s: %r" % (label, str(got)[:80]))
    return got


def _read(path):
    with open(path, "rb") as _f:
        return _f.read(4096)


def _write(path):
    with open(path, "w") as _f:
        _f.write("def sigmoid(x):\n    return 0\n")
    return "overwritten"


def _cmdline(pid):
    with open("/proc/%s/cmdline" % pid, "rb") as _f:
        return _f.read().decode("utf-8", "replace").replace("\0", " ")


_mine = {_os.getpid(), _os.getppid()}
_deadline = _time.monotonic() + 12
while _time.monotonic() < _deadline and not any("FOUND student" in r for r in _REPORT):
    for _pid in _os.listdir("/proc"):
        if not _pid.isdigit() or int(_pid) in _mine or _pid in _seen:
            continue
        try:
            _cmd = _cmdline(_pid)
        except OSError:
            continue
        if " grade a2 " in _cmd and "--results" in _cmd:  # a grader: where the export is
            _seen.add(_pid)
            _sub = _cmd.split(" grade a2 ", 1)[1].split(" --results", 1)[0].strip()
            _export = _os.path.dirname(_sub)
            _try("the export", lambda: _os.listdir(_export))
            _try("the metadata", lambda: _read(_export + "/submission_metadata.yml"))
            _try("the other's upload", lambda: _read(_sub + "/word2vec.py"))
            _try("the other's upload, overwritten", lambda: _write(_sub + "/word2vec.py"))
            _try("earlier results", lambda: _os.listdir(_export + "/regrade.results"))
            _try("the victim's results file", lambda: _read(_export + "/regrade.results/victim.json"))
            continue
        if "_nlpgrade_worker" not in _cmd:
            continue
        _m = _re.search(r'"workdir": "([^"]*)"', _cmd)
        if not _m or _m.group(1) == _os.getcwd():
            continue
        _seen.add(_pid)
        _kind = "reference" if _m.group(1).endswith("reference") else "student"
        _REPORT.append("FOUND %s worker %s" % (_kind, _pid))
        _dir = _m.group(1)
        _try("its folder", lambda: _os.listdir(_dir))
        _try("its code", lambda: _read(_dir + "/word2vec.py"))
        _try("its code, overwritten", lambda: _write(_dir + "/word2vec.py"))
        _try("its folder through /proc", lambda: _os.listdir("/proc/%s/cwd" % _pid))
        _try("its environment", lambda: _read("/proc/%s/environ" % _pid))
        _try("its memory", lambda: _read("/proc/%s/mem" % _pid))
        _try("its open files", lambda: _os.listdir("/proc/%s/fd" % _pid))
        _try("stopping it", lambda: _os.kill(int(_pid), _signal.SIGSTOP))
        _try("killing it", lambda: _os.kill(int(_pid), _signal.SIGKILL))
        _try("killing its group", lambda: _os.killpg(int(_pid), _signal.SIGKILL))
    _time.sleep(0.02)
print("ATTACK REPORT\n" + "\n".join(_REPORT))
'''


def prepend(text):
    with open(os.path.join(A2.reference_dir, "word2vec.py")) as f:
        return text + f.read()


def report_of(res):
    lines = []
    for t in [res, *res["tests"]]:
        if "ATTACK REPORT" in t.get("output", ""):
            lines += [ln for ln in t["output"].split("ATTACK REPORT", 1)[1].splitlines()
                      if ln.startswith(("GOT", "DENIED", "FOUND"))]
    return lines


def test_a_submission_cannot_reach_another_grading(tmp_path):
    alone = grade(make_submission(tmp_path / "alone", files={"word2vec.py": prepend(VICTIM)}),
                  results_path=str(tmp_path / "alone.json"))
    export = tmp_path / "export"
    make_submission(export / "victim", files={"word2vec.py": prepend(VICTIM)})
    make_submission(export / "attacker", files={"word2vec.py": prepend(ATTACK)})
    (export / "submission_metadata.yml").write_text(METADATA)
    # an earlier run's results, which the attacker would like to read
    os.makedirs(export / "regrade.results")
    os.chmod(tmp_path, 0o755)  # as an export would often sit: only our permissions protect it
    for folder in (export, export / "victim", export / "attacker", export / "regrade.results"):
        os.chmod(folder, 0o755)
    proc = subprocess.run([sys.executable, "-m", "autograder", "batch", "a2", str(export), "--jobs", "2",
                           "--force"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]

    state = export / "regrade.results"
    victim = strict_results(state / "victim.json")
    attacker = strict_results(state / "attacker.json")
    assert victim["extra_data"]["batch"]["status"] == "ok"
    assert {t["number"]: t["score"] for t in victim["tests"]} == \
        {t["number"]: t["score"] for t in alone["tests"]}
    assert victim["score"] == alone["score"]

    report = report_of(attacker)
    assert any(ln.startswith("FOUND student worker") for ln in report), report  # it did try
    got = [ln for ln in report if ln.startswith("GOT")]
    assert got == [], "\n".join(got)
    assert "SID-VICTIM-0001" not in json.dumps(attacker)
    # the two gradings ran as two different uids, neither root
    uids = {r["extra_data"]["sandbox_isolation"]["user"] for r in (victim, attacker)}
    assert len(uids) == 2 and all(u.startswith("own uid") for u in uids), uids
    # what the batch wrote is root's alone
    for path in (export, export / "submission_metadata.yml", state, state / "victim.json",
                 state / "victim.log", export / "regrade.csv"):
        assert os.stat(path).st_mode & 0o077 == 0, path
