"""The kernel layers of the sandbox worker: Landlock (reads and writes) and the seccomp
socket filter. Each is tried in a fresh interpreter, as the worker applies them to
itself, and through a real Sandbox; without root too, since neither needs privileges."""
import errno
import json
import os
import struct
import subprocess
import sys
import textwrap

import pytest

from autograder.sandbox import Sandbox, confine
from autograder.sandbox.errors import StudentException

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
needs_landlock = pytest.mark.skipif(confine.landlock_abi() < 1, reason="no Landlock in this kernel")
needs_seccomp = pytest.mark.skipif(sys.platform != "linux" or os.uname().machine not in confine.AUDIT_ARCH,
                                   reason="no seccomp filter for this platform")


def confined(workdir, code, **env):
    """Run `code` in a fresh interpreter after confine.apply(plan(workdir)); return its
    stdout parsed as JSON (the code prints one JSON value)."""
    script = textwrap.dedent(f"""
        import json, os, sys
        from autograder.sandbox import confine
        status = confine.apply(confine.plan({str(workdir)!r}))
        print(json.dumps(status))
    """) + textwrap.dedent(code)
    proc = subprocess.run([sys.executable, "-c", script], cwd=str(workdir), capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": ROOT, **env})
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    return json.loads(lines[0]), json.loads(lines[-1])


def attempt(kind, target):
    return f"""
try:
    {kind}
    result.append("ALLOWED {target}")
except OSError as exc:
    result.append("denied {target}: " + type(exc).__name__)
"""


def test_filter_program_is_well_formed():
    for machine in confine.AUDIT_ARCH:
        prog = confine.socket_filter(machine)
        assert len(prog) % 8 == 0 and len(prog) // 8 < 64
        insns = [struct.unpack("=HBBI", prog[i:i + 8]) for i in range(0, len(prog), 8)]
        # every jump lands inside the program, and it ends in a return
        for pc, (code, jt, jf, k) in enumerate(insns):
            if code in (confine.JEQ_K, confine.JGE_K):
                assert pc + 1 + max(jt, jf) < len(insns)
        assert insns[-1][0] == confine.RET_K
    with pytest.raises(OSError):
        confine.socket_filter("sparc64")


def test_plan_reads_the_runtime_and_writes_only_staging(tmp_path):
    plan = confine.plan(tmp_path)
    assert plan["write"] == [str(tmp_path)]
    assert sys.base_prefix in plan["read"] and sys.prefix in plan["read"]
    engine = os.path.join(ROOT, "autograder")
    assert engine in plan["read"]
    # never the checkout itself, nor a folder above it: .git, data, solutions lie beside the engine
    assert not [p for p in plan["read"] if ROOT == p or ROOT.startswith(p.rstrip("/") + "/")], plan["read"]


def test_layers_can_be_turned_off_and_say_so(tmp_path, monkeypatch):
    monkeypatch.setenv("NLPGRADE_CONFINE", "none")
    status = confine.apply(confine.plan(tmp_path))  # nothing applied: safe in this process
    assert status == {"landlock": "off: turned off by NLPGRADE_CONFINE",
                      "seccomp": "off: turned off by NLPGRADE_CONFINE"}


def test_an_unavailable_layer_is_a_note_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.setattr(confine, "landlock_abi", lambda: 0)
    monkeypatch.setattr(confine, "socket_filter", lambda machine=None: (_ for _ in ()).throw(
        OSError(errno.ENOSYS, "no seccomp filter written for this machine")))
    status = confine.apply(confine.plan(tmp_path))
    assert status["landlock"].startswith("off: ENOSYS") and status["seccomp"].startswith("off: ENOSYS")


@needs_landlock
@needs_seccomp
def test_confined_process_reads_runtime_writes_staging_and_nothing_else(tmp_path):
    work = tmp_path / "staging"
    work.mkdir()
    secret = tmp_path / "secret.txt"  # readable by every user: only Landlock stops this
    secret.write_text("42")
    os.chmod(secret, 0o644)
    code = "result = []\n"
    for target, kind in [
        (secret, f"open({str(secret)!r}).read()"),
        (os.path.join(ROOT, ".git", "HEAD"), f"open({os.path.join(ROOT, '.git', 'HEAD')!r}).read()"),
        (os.path.join(ROOT, "README.md"), f"open({os.path.join(ROOT, 'README.md')!r}).read()"),
        ("listing /tmp", "os.listdir('/tmp')"),
        ("write /tmp", "open('/tmp/nlpgrade-confine-%d' % os.getpid(), 'w').write('x')"),
        ("write /dev/shm", "open('/dev/shm/nlpgrade-confine-%d' % os.getpid(), 'w').write('x')"),
        ("write /var/tmp", "open('/var/tmp/nlpgrade-confine-%d' % os.getpid(), 'w').write('x')"),
        ("inet socket", "__import__('socket').socket(__import__('socket').AF_INET)"),
        ("inet6 socket", "__import__('socket').socket(__import__('socket').AF_INET6, 2)"),
        ("signal parent", "os.kill(os.getppid(), 0)"),
        # memory no process holds (a detached System V segment, a written memfd)
        ("SysV shared memory", "__import__('ctypes').CDLL(None, use_errno=True).shmget(0, 2**20, 0o1600) != -1 "
                               "or (_ for _ in ()).throw(OSError(__import__('ctypes').get_errno(), 'shmget'))"),
        ("SysV message queue", "__import__('ctypes').CDLL(None, use_errno=True).msgget(0, 0o1600) != -1 "
                               "or (_ for _ in ()).throw(OSError(__import__('ctypes').get_errno(), 'msgget'))"),
        ("memfd", "os.memfd_create('x')"),
    ]:
        code += attempt(kind, target)
    code += textwrap.dedent("""
        import tempfile, socket
        import numpy, torch, scipy.special, matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        plt.plot([1, 2, 3]); plt.savefig("plot.png")
        torch.save(torch.nn.Linear(3, 2).state_dict(), "model.weights")
        with tempfile.NamedTemporaryFile(dir=os.environ["TMPDIR"]) as f:
            f.write(b"scratch")
        a, b = socket.socketpair()  # AF_UNIX stays
        result.append("works: %s %s %s" % (float(numpy.ones(3).sum()), os.path.getsize("model.weights") > 0,
                                          sorted(os.listdir("."))))
        print(json.dumps(result))
    """)
    (work / ".tmp").mkdir()
    status, result = confined(work, code, TMPDIR=str(work / ".tmp"), MPLCONFIGDIR=str(work / ".mpl"))
    assert status["landlock"].startswith("on (ABI") and status["seccomp"].startswith("on")
    allowed = [r for r in result if r.startswith("ALLOWED")]
    if confine.landlock_abi() < 6:  # signal scoping came with ABI 6
        allowed = [r for r in allowed if "signal parent" not in r]
    assert allowed == [], result
    assert result[-1].startswith("works: 3.0 True") and "plot.png" in result[-1], result
    assert not [p for p in os.listdir("/tmp") if p.startswith("nlpgrade-confine-")]


@needs_landlock
def test_sandbox_worker_reports_its_layers_and_is_confined(open_tmp):
    tmp_path = open_tmp
    work = tmp_path / "staging"
    work.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    os.chmod(tmp_path, 0o755)
    os.chmod(outside, 0o644)
    (work / "m.py").write_text(f"def peek():\n    return open({str(outside)!r}).read()\n"
                               "def scratch():\n    import tempfile, os\n"
                               "    with tempfile.NamedTemporaryFile() as f:\n"
                               "        return os.path.dirname(f.name)\n")
    os.chmod(work, 0o777)  # the sandbox user may write here when we are root
    os.chmod(work / "m.py", 0o644)
    sb = Sandbox(str(work), student_files=["m.py"])
    try:
        with pytest.raises(StudentException, match="PermissionError"):
            sb.call("m", "peek")
        assert sb.call("m", "scratch") == str(work / ".tmp")  # TMPDIR: private, in staging
        assert sb.confinement["landlock"].startswith("on (ABI")
        assert sb.confinement["seccomp"].startswith("on")
    finally:
        sb.close()
