"""Which user student code runs as, and what it may leave behind.

As root (Gradescope runs us as root) every grading leases its own sandbox identity: a
uid and gid from a reserved range (no passwd entry is needed), held by an flock on a
root-only lock file, so the lease ends with the grading process however it ends. No two
concurrent gradings (`nlpgrade batch --jobs N`, parallel test runs) share a uid, so none
can read, write, signal or trace another's files or processes. Before a uid is handed
out, whatever an earlier holder that crashed left (processes, files in /tmp, /var/tmp,
/dev/shm) is killed and removed.

Not as root (a student at home) there is nobody to drop to, and we run as ourselves.

NLPGRADE_SANDBOX_UIDS=FIRST-LAST changes the range (default 62000-62999); a uid or gid
with a passwd or group entry is never used.
"""
import errno
import fcntl
import grp
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field

DEFAULT_UIDS = (62000, 62999)
LOCK_DIR = "/run/nlpgrade-sandbox"        # root-only; /run is cleared at boot
SWEPT = ("/tmp", "/var/tmp", "/dev/shm")  # where any user may create files


@dataclass
class Identity:
    uid: int
    gid: int
    name: str
    nproc_base: int  # processes this user already runs: RLIMIT_NPROC counts them all
    lock_fd: int = field(default=-1, repr=False, compare=False)

    def release(self):
        """End the lease (closing the lock file drops the flock)."""
        fd, self.lock_fd = self.lock_fd, -1
        if fd >= 0:
            os.close(fd)


def count_processes(uid):
    """Living (not zombie) processes whose real or effective uid is `uid`."""
    n = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit() and _runs_as(pid, uid):
            n += 1
    return n


def _runs_as(pid, uid):
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
    except (OSError, ValueError):
        return False
    if fields.get("State", "").strip().startswith("Z"):
        return False
    ids = fields.get("Uid", "").split()
    return str(uid) in ids[:3]


def uid_range():
    text = os.environ.get("NLPGRADE_SANDBOX_UIDS", "")
    try:
        first, last = (int(x) for x in text.split("-", 1))
    except ValueError:
        return DEFAULT_UIDS
    return (first, last) if 0 < first <= last else DEFAULT_UIDS


def _taken(uid):
    """A uid/gid some account or group uses: never ours to hand out or clean."""
    for lookup in (pwd.getpwuid, grp.getgrgid):
        try:
            lookup(uid)
            return True
        except KeyError:
            pass
    return False


def _lock_dir():
    os.makedirs(LOCK_DIR, mode=0o700, exist_ok=True)
    st = os.lstat(LOCK_DIR)
    import stat

    if not stat.S_ISDIR(st.st_mode) or st.st_uid != 0:
        raise RuntimeError(f"{LOCK_DIR} is not a directory owned by root: cannot lease sandbox uids")
    if st.st_mode & 0o077:
        os.chmod(LOCK_DIR, 0o700)
    return LOCK_DIR


def lease_identity():
    """Lease a free sandbox uid for this grading; None when we are not root.

    The flock is held on a file descriptor that is not inherited by children, so the
    lease lasts exactly as long as this process (or `Identity.release`)."""
    if os.geteuid() != 0:
        return None
    folder = _lock_dir()
    first, last = uid_range()
    start = first + (os.getpid() % (last - first + 1))  # spread, fewer collisions to skip
    for i in range(last - first + 1):
        uid = first + (start - first + i) % (last - first + 1)
        if _taken(uid):
            continue
        fd = os.open(os.path.join(folder, f"{uid}.lock"), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW
                     | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                continue
            raise
        identity = Identity(uid, uid, f"uid {uid}", 0, fd)
        try:
            scrub(identity)  # what a crashed earlier holder left
            identity.nproc_base = count_processes(uid)
        except BaseException:
            identity.release()
            raise
        return identity
    raise RuntimeError(f"no free sandbox uid in {first}-{last}: {last - first + 1} gradings "
                       "running at once? (NLPGRADE_SANDBOX_UIDS widens the range)")


def kill_all(identity, rounds=50):
    """SIGKILL every process of the identity's uid, wherever it is in the process tree.

    A short-lived child takes the uid and sends kill(-1, SIGKILL): the kernel delivers it
    to every process that uid may signal, that is, exactly its own."""
    if identity is None:
        return 0
    killed = 0
    for _ in range(rounds):
        if not count_processes(identity.uid):
            return killed
        killed += 1
        # a fresh interpreter, not a bare fork: we may have threads (their locks would
        # be copied held into the child)
        try:
            subprocess.run([sys.executable, "-I", "-S", "-c", f"import os; os.kill(-1, {int(signal.SIGKILL)})"],
                           user=identity.uid, group=identity.gid, extra_groups=[], cwd="/",
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env={}, check=False)
        except OSError:  # an interpreter the uid cannot run: one by one, as root
            for pid in os.listdir("/proc"):
                if pid.isdigit() and _runs_as(pid, identity.uid):
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except OSError:
                        pass
        time.sleep(0.005)
    return killed


def sweep_files(uid, roots=SWEPT, skip=()):
    """Remove what `uid` owns under `roots` (not following links); return the paths."""
    removed = []
    skip = {os.path.realpath(s) for s in skip}
    for root in roots:
        for folder, dirs, files in os.walk(root):
            keep = []
            for name in dirs:
                path = os.path.join(folder, name)
                if path in skip:
                    continue
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                if st.st_uid == uid:
                    shutil.rmtree(path, ignore_errors=True)
                    removed.append(path)
                else:
                    keep.append(name)
            dirs[:] = keep
            for name in files:
                path = os.path.join(folder, name)
                try:
                    if os.lstat(path).st_uid == uid:
                        os.unlink(path)
                        removed.append(path)
                except OSError:
                    pass
    return removed


# /proc/sysvipc/<kind>: the column of the id and of the owner's and creator's uid, and
# how to remove one (its ctl call's name and IPC_RMID = 0 as the command argument)
IPC_TABLES = {"shm": (1, (7, 9), "shmctl"), "msg": (1, (7, 9), "msgctl"), "sem": (1, (4, 6), "semctl")}


def sweep_ipc(uid):
    """Remove the System V shared memory segments, message queues and semaphore sets
    that `uid` owns or created: they outlive every process (the seccomp filter refuses
    them to the worker; this is for where it is off). Returns how many were removed."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return 0
    removed = 0
    for kind, (id_col, uid_cols, ctl) in IPC_TABLES.items():
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                rows = [line.split() for line in f.readlines()[1:]]
        except OSError:
            continue
        for row in rows:
            try:
                if any(int(row[c]) == uid for c in uid_cols):
                    args = (int(row[id_col]), 0, 0, None) if kind == "sem" else (int(row[id_col]), 0, None)
                    removed += getattr(libc, ctl)(*args) == 0
            except (IndexError, ValueError):
                continue
    return removed


def scrub(identity, skip=()):
    """Kill the identity's processes and remove its files outside `skip` and its System
    V IPC objects; return the paths removed."""
    if identity is None:
        return []
    kill_all(identity)
    sweep_ipc(identity.uid)
    return sweep_files(identity.uid, skip=skip)


def give_to(path, identity):
    """Let the sandbox user own a staged directory tree (it may write scratch files there)."""
    if identity is None:
        return
    for root, dirs, files in os.walk(path):
        os.chown(root, identity.uid, identity.gid)
        for name in files:
            os.chown(os.path.join(root, name), identity.uid, identity.gid, follow_symlinks=False)


def private_paths(root):
    """The grader's own files that student code must not read: reference solutions,
    hidden tests, data (and the default data mirror), the repository's history, built
    zips."""
    # data/ too: hidden gold sits there at its manifest path (the public data reaches
    # students in their starter zip, never through the grader's copy)
    paths = [os.path.join(root, name) for name in ("solutions", "data", ".git", "dist")]
    paths.append(os.path.normpath(os.path.join(root, "..", "shared", "data")))  # `make setup`'s MIRROR
    assignments = os.path.join(root, "assignments")
    if os.path.isdir(assignments):
        paths += [os.path.join(assignments, a, "tests", "hidden") for a in sorted(os.listdir(assignments))]
    return [p for p in paths if os.path.isdir(p)]


def holds_grader_secrets(root):
    """Whether `root` is the grader's tree (a checkout, /autograder/source): it holds a
    reference or hidden tests. A student's assignment folder (the unpacked student zip)
    holds neither: its data/, .git and the rest are the student's own."""
    if os.path.isdir(os.path.join(root, "solutions")):
        return True
    assignments = os.path.join(root, "assignments")
    return os.path.isdir(assignments) and any(
        os.path.isdir(os.path.join(assignments, a, "tests", "hidden")) for a in os.listdir(assignments))


def protect_private_paths(root, identity):
    """As root, make the grader's private folders unreadable to everyone else.

    Only permissions change (git does not track them). On Gradescope setup.sh does the
    same to /autograder/source; here it covers a root run from a checkout. A folder whose
    mode cannot change (a read-only mount) is left to the kernel layer (confine.py).
    A student's own folder (`check` run as root) is never touched: nothing in it is
    secret, and its permissions are the student's."""
    if identity is None or not holds_grader_secrets(root):
        return []
    protected = []
    for path in private_paths(root):
        mode = os.stat(path).st_mode
        try:
            if mode & 0o077:
                os.chmod(path, mode & ~0o077)
            protected.append(path)
        except OSError:
            pass
    return protected


PR_SET_CHILD_SUBREAPER = 36


def become_subreaper():
    """Make processes that our workers leave behind (a student process that called
    setsid() survives the kill of its worker's process group) our children rather than
    init's, so that `kill_leftovers` can find them. Linux only; elsewhere a no-op."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _parents():
    parents = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    parents[int(pid)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    return parents


def kill_leftovers(identity, rounds=50):
    """SIGKILL every process below this one that runs as the sandbox user, and reap
    those that became our children. Call once every worker has been closed."""
    if identity is None:
        return
    import signal

    me = os.getpid()
    for _ in range(rounds):
        parents = _parents()
        victims = []
        for pid in parents:
            p, steps = pid, 0
            while p in parents and p not in (me, 0, 1) and steps < 10000:
                p, steps = parents[p], steps + 1
            if p == me and pid != me:
                try:
                    if os.stat(f"/proc/{pid}").st_uid == identity.uid:
                        victims.append(pid)
                except OSError:
                    pass
        if not victims:
            return
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for pid in victims:
            if parents.get(pid) == me:
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass


# ----- can the sandbox user run this Python? ----------------------------------------
def runtime_paths():
    """{path: what it is} the sandbox worker needs to start: the interpreter (as called
    and as resolved), its standard library, its packages, libpython, and the engine."""
    import sysconfig

    engine = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = {os.path.abspath(sys.executable): "the Python interpreter",
             os.path.realpath(sys.executable): "the Python interpreter"}
    for key, what in (("stdlib", "Python's standard library"), ("platstdlib", "Python's standard library"),
                      ("purelib", "the installed packages"), ("platlib", "the installed packages")):
        path = sysconfig.get_paths().get(key)
        if path and os.path.isdir(path):
            paths.setdefault(path, what)
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        lib = os.path.join(sysconfig.get_config_var("LIBDIR") or "", sysconfig.get_config_var("LDLIBRARY") or "")
        if os.path.isfile(lib):
            paths.setdefault(lib, "libpython")
    paths.setdefault(engine, "the grading engine")
    return paths


def closed_to_others(path):
    """Why a user who is neither owner nor group member cannot reach `path` ("/root is
    drwx------"), judged from permission bits; None when it can. A folder must be
    enterable and readable, a file readable (and runnable when it is a program)."""
    path = os.path.abspath(path)
    parts = path.split(os.sep)
    for i in range(1, len(parts)):
        folder = os.sep.join(parts[:i]) or os.sep
        try:
            mode = os.stat(folder).st_mode
        except OSError:
            return None  # gone: not ours to judge
        if not mode & stat.S_IXOTH:
            return f"{folder} is {stat.filemode(mode)}: other users cannot enter it"
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    need = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) or mode & stat.S_IXUSR else 0)
    if mode & need != need:
        return f"{path} is {stat.filemode(mode)}: other users cannot read it"
    return None


def blocked_runtime(identity):
    """["what (path): why"] the sandbox user of `identity` cannot reach among
    `runtime_paths`; [] when it can (or when there is no identity: we are not root).

    The permission bits say what may be wrong; an interpreter started as that user
    confirms it (an ACL or a capability may allow more than the bits), so a working
    setup is never refused."""
    if identity is None:
        return []
    suspects = {path: (what, why) for path, what in runtime_paths().items()
                if (why := closed_to_others(path))}
    if not suspects:
        return []
    probe = ("import os, sys\n"
             "for p in sys.argv[1:]:\n"
             "    try:\n"
             "        os.listdir(p) if os.path.isdir(p) else open(p, 'rb').close()\n"
             "    except OSError:\n"
             "        print(p)\n")
    try:
        proc = subprocess.run([sys.executable, "-I", "-S", "-c", probe, *suspects],
                              user=identity.uid, group=identity.gid, extra_groups=[], cwd="/",
                              stdin=subprocess.DEVNULL, capture_output=True, env={}, timeout=30)
        failed = set(proc.stdout.decode(errors="replace").splitlines()) if proc.returncode == 0 else set(suspects)
    except (OSError, subprocess.SubprocessError):  # the interpreter itself cannot be run
        failed = set(suspects)
    return [f"{what} ({path}): {why}" for path, (what, why) in suspects.items() if path in failed]
