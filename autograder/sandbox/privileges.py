"""Which user student code runs as.

As root (Gradescope runs us as root) student code runs as an unprivileged user, by
default `nlpgrade-sandbox` (created by the autograder's setup.sh), else `nobody`. Not as
root (a student at home) there is nobody to drop to, and we run as ourselves.
"""
import os
import pwd
from dataclasses import dataclass

DEFAULT_USERS = ("nlpgrade-sandbox", "nobody")


@dataclass
class Identity:
    uid: int
    gid: int
    name: str
    nproc_base: int  # processes this user already runs: RLIMIT_NPROC counts them all


def count_processes(uid):
    n = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.stat(f"/proc/{pid}").st_uid == uid:
                    n += 1
            except OSError:
                pass
    return n


def sandbox_identity():
    """The Identity to run student code as, or None when we cannot drop privileges."""
    if os.geteuid() != 0:
        return None
    wanted = os.environ.get("NLPGRADE_SANDBOX_USER")
    for name in ([wanted] if wanted else []) + list(DEFAULT_USERS):
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        if pw.pw_uid == 0:
            continue
        return Identity(pw.pw_uid, pw.pw_gid, name, count_processes(pw.pw_uid))
    raise RuntimeError("running as root but no unprivileged user exists to run student code "
                       f"(tried {', '.join(DEFAULT_USERS)})")


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
    hidden tests, hidden data."""
    # data/ too: hidden gold sits there at its manifest path (the public data reaches
    # students in their starter zip, never through the grader's copy)
    paths = [os.path.join(root, "solutions"), os.path.join(root, "data")]
    assignments = os.path.join(root, "assignments")
    if os.path.isdir(assignments):
        paths += [os.path.join(assignments, a, "tests", "hidden") for a in sorted(os.listdir(assignments))]
    return [p for p in paths if os.path.isdir(p)]


def protect_private_paths(root, identity):
    """As root, make the grader's private folders unreadable to everyone else.

    Only permissions change (git does not track them). On Gradescope setup.sh does the
    same to /autograder/source; here it covers a root run from a checkout.
    """
    if identity is None:
        return []
    protected = private_paths(root)
    for path in protected:
        mode = os.stat(path).st_mode
        os.chmod(path, mode & ~0o077)
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
