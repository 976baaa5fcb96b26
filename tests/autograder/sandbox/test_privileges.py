"""Sandbox identities: one uid per grading, leased with a lock that dies with its
holder, scrubbed of what an earlier holder left; the grader's private folders."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from autograder.sandbox import privileges
from autograder.sandbox.privileges import (count_processes, kill_all, lease_identity,
                                           protect_private_paths, sweep_files)

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="uids are leased only as root")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def one_uid(monkeypatch, uid):
    """Restrict the range to a single uid, chosen per test process (parallel runs)."""
    monkeypatch.setenv("NLPGRADE_SANDBOX_UIDS", f"{uid}-{uid}")


def free_uid():
    """A uid of the default range that nobody holds now (leased and released)."""
    identity = lease_identity()
    identity.release()
    return identity.uid


def as_uid(uid, code):
    """Start `python -c code` as `uid` (a process an earlier holder left running)."""
    return subprocess.Popen([sys.executable, "-c", code], user=uid, group=uid, extra_groups=[],
                            start_new_session=True, cwd="/")


def test_not_root_means_no_identity(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert lease_identity() is None
    assert protect_private_paths(ROOT, None) == []


def test_range_from_the_environment(monkeypatch):
    monkeypatch.setenv("NLPGRADE_SANDBOX_UIDS", "70000-70009")
    assert privileges.uid_range() == (70000, 70009)
    for bad in ("", "x-y", "9-3", "0-5"):
        monkeypatch.setenv("NLPGRADE_SANDBOX_UIDS", bad)
        assert privileges.uid_range() == privileges.DEFAULT_UIDS


@needs_root
def test_concurrent_leases_get_distinct_uids():
    leases = [lease_identity() for _ in range(5)]
    try:
        uids = [i.uid for i in leases]
        assert len(set(uids)) == 5
        first, last = privileges.uid_range()
        assert all(first <= u <= last and i.gid == u for u, i in zip(uids, leases))
        assert all(i.nproc_base == 0 for i in leases)  # nothing of theirs runs yet
    finally:
        for i in leases:
            i.release()


@needs_root
def test_lock_folder_is_root_only():
    lease_identity().release()
    st = os.lstat(privileges.LOCK_DIR)
    assert st.st_uid == 0 and st.st_mode & 0o777 == 0o700


@needs_root
def test_a_uid_with_an_account_is_never_used(monkeypatch):
    one_uid(monkeypatch, 65534)  # nobody
    with pytest.raises(RuntimeError, match="no free sandbox uid"):
        lease_identity()


@needs_root
def test_the_lease_dies_with_the_process_that_holds_it(monkeypatch):
    uid = free_uid()
    one_uid(monkeypatch, uid)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import sys, time
            from autograder.sandbox.privileges import lease_identity
            print(lease_identity().uid, flush=True)
            time.sleep(60)
        """)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert int(holder.stdout.readline()) == uid
        with pytest.raises(RuntimeError, match="no free sandbox uid"):
            lease_identity()  # held by a live process
    finally:
        holder.kill()  # a crash: no release, no cleanup of its own
        holder.wait()
    identity = lease_identity()
    try:
        assert identity.uid == uid
    finally:
        identity.release()


@needs_root
def test_a_lease_scrubs_what_a_crashed_holder_left(monkeypatch):
    uid = free_uid()
    one_uid(monkeypatch, uid)
    left = [as_uid(uid, "import time\ntime.sleep(60)") for _ in range(3)]
    planted = []
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        path = os.path.join(folder, f"nlpgrade-test-left-{uid}")
        os.makedirs(path + ".d/deep", exist_ok=True)
        with open(path, "w") as f:
            f.write("x")
        for p in (path, path + ".d", path + ".d/deep"):
            os.chown(p, uid, uid)
        planted += [path, path + ".d"]
    deadline = time.monotonic() + 10
    while count_processes(uid) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert count_processes(uid) == 3
    identity = lease_identity()
    try:
        assert count_processes(uid) == 0
        assert [p for p in planted if os.path.lexists(p)] == []
        assert identity.nproc_base == 0
    finally:
        identity.release()
        for p in left:
            p.wait(timeout=10)
            assert p.returncode == -signal.SIGKILL


@needs_root
def test_kill_all_reaches_processes_outside_our_tree():
    identity = lease_identity()
    try:
        # a double fork: the sleeper is nobody's child of ours
        starter = as_uid(identity.uid, "import os, time\nif os.fork() == 0:\n    os.setsid()\n"
                                       "    time.sleep(60)\n")
        starter.wait()
        deadline = time.monotonic() + 10
        while count_processes(identity.uid) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert count_processes(identity.uid) == 1
        kill_all(identity)
        assert count_processes(identity.uid) == 0
    finally:
        identity.release()


@needs_root
def test_sweep_removes_only_that_uids_files(tmp_path):
    identity = lease_identity()
    try:
        mine, other = tmp_path / "mine", tmp_path / "other"
        (mine / "sub").mkdir(parents=True)
        other.write_text("keep")
        os.chown(mine, identity.uid, identity.gid)
        removed = sweep_files(identity.uid, roots=[str(tmp_path)])
        assert removed == [str(mine)] and other.exists() and not mine.exists()
    finally:
        identity.release()


HOLD_IPC = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
assert libc.shmget(0, 2**20, 0o1600) >= 0 and libc.msgget(0, 0o1600) >= 0 and libc.semget(0, 1, 0o1600) >= 0
"""


def ipc_of(uid):
    """{kind: ids} of the System V IPC objects `uid` owns."""
    found = {}
    for kind, (id_col, uid_cols, _) in privileges.IPC_TABLES.items():
        with open(f"/proc/sysvipc/{kind}") as f:
            rows = [line.split() for line in f.readlines()[1:]]
        found[kind] = [r[id_col] for r in rows if int(r[uid_cols[0]]) == uid]
    return found


@needs_root
def test_sweep_removes_that_uids_system_v_ipc():
    """A segment, a queue, a semaphore set outlive the process that made them (where
    seccomp cannot refuse them): the sweep removes them, and only that uid's."""
    identity = lease_identity()
    try:
        proc = as_uid(identity.uid, HOLD_IPC)
        assert proc.wait(timeout=60) == 0
        assert all(ipc_of(identity.uid).values()), ipc_of(identity.uid)
        others = {k: len(v) for k, v in ipc_of(0).items()}
        assert privileges.sweep_ipc(identity.uid) == 3
        assert not any(ipc_of(identity.uid).values())
        assert {k: len(v) for k, v in ipc_of(0).items()} == others
    finally:
        privileges.sweep_ipc(identity.uid)
        identity.release()


@needs_root
def test_private_paths_lose_every_bit_for_others(tmp_path):
    root = tmp_path / "checkout"
    for rel in (".git", "dist", "solutions/a2", "data", "assignments/a2/tests/hidden",
                "assignments/a2/tests/public"):
        (root / rel).mkdir(parents=True)
        os.chmod(root / rel, 0o755)
    identity = lease_identity()
    try:
        protected = protect_private_paths(str(root), identity)
    finally:
        identity.release()
    for rel in (".git", "dist", "solutions", "data", "assignments/a2/tests/hidden"):
        assert str(root / rel) in protected
        assert os.stat(root / rel).st_mode & 0o077 == 0, rel
    assert os.stat(root / "assignments/a2/tests/public").st_mode & 0o005  # public stays public


@needs_root
def test_a_students_folder_has_nothing_of_the_graders_to_protect(tmp_path):
    """`check` run as root in the unpacked student zip: its data/ (public data), a .git
    the student made, are the student's own; their modes stay."""
    root = tmp_path / "a2"
    for rel in ("data", ".git", "dist", "tests/public", "autograder"):
        (root / rel).mkdir(parents=True)
        os.chmod(root / rel, 0o755)
    identity = lease_identity()
    try:
        assert protect_private_paths(str(root), identity) == []
        assert {os.stat(root / rel).st_mode & 0o777 for rel in ("data", ".git", "dist")} == {0o755}
        (root / "solutions").mkdir()  # a reference beside it: the grader's tree after all
        assert str(root / "data") in protect_private_paths(str(root), identity)
    finally:
        identity.release()
