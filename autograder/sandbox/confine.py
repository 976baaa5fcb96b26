"""Kernel layers around the sandbox worker: Landlock (what it may read and write) and a
seccomp filter (no network sockets, no memory that no process holds).

Applied by the worker to itself, before any student code runs, and inherited by every
process it starts; neither needs privileges. Each layer is best effort: where the kernel
lacks it (an old kernel, Docker's default seccomp profile, not Linux) `apply` says why
instead of failing, and the grader records that in its staff-only output.

Landlock rules: read and execute on the Python runtime, installed packages, the engine
and the few system files numpy/torch need; read and write on a few devices; everything
on the staging folder (the student's files, staged data, its private TMPDIR). Anything
else, the grader's checkout, data, /tmp and /dev/shm included, is denied. On ABI 4+ TCP
bind/connect are denied too; on ABI 6+ signals and abstract unix sockets cannot reach
processes outside the sandbox.

The seccomp filter lets socket() create only AF_UNIX and AF_NETLINK sockets, refuses
io_uring (whose socket operation bypasses the filter), the x32 ABI and foreign
architectures' system calls, and refuses memory no process holds: System V shared
memory, semaphores and message queues (a detached segment outlives its process, in no
process's resident memory: the memory watch cannot see it, no kill frees it) and
memfd_create (a memfd written to, not mapped, is the same).
"""
import ctypes
import errno
import os
import platform
import struct
import sys
import sysconfig

# ----- Landlock (linux/landlock.h) -------------------------------------------------------
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FS_ABI1 = (1 << 13) - 1          # execute .. make_sym
FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1
CREATE_RULESET_VERSION = 1 << 0
RULE_PATH_BENEATH = 1
SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446  # same on every arch

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2

READ = FS_READ_FILE | FS_READ_DIR | FS_EXECUTE
# System files the runtime and numpy/torch read; those missing are skipped.
SYSTEM_READ = ("/usr", "/lib", "/lib64", "/bin", "/etc/ld.so.cache", "/etc/ld.so.conf",
               "/etc/ld.so.conf.d", "/etc/localtime", "/etc/passwd", "/etc/group",
               "/etc/nsswitch.conf", "/etc/fonts", "/proc", "/sys/devices/system/cpu", "/sys/devices/system/node",
               "/sys/fs/cgroup")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _syscall(nr, *args):
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    res = libc.syscall(ctypes.c_long(nr), *(ctypes.c_long(a) if isinstance(a, int) else a for a in args))
    if res < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return res


def landlock_abi():
    """The kernel's Landlock ABI version, or 0 when it has none (or is not Linux)."""
    if sys.platform != "linux":
        return 0
    try:
        return _syscall(SYS_CREATE_RULESET, None, 0, CREATE_RULESET_VERSION)
    except OSError:
        return 0


def runtime_paths():
    """Read-only roots of the Python runtime, its packages and the engine."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable))}
    for scheme_vars in ({}, {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}):
        for key in ("stdlib", "platstdlib", "purelib", "platlib"):
            try:
                paths.add(sysconfig.get_path(key, vars=scheme_vars or None))
            except KeyError:
                pass
    # the engine: with an editable install it lives in a checkout, of which only the
    # package itself is readable
    paths.add(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return sorted(p for p in paths if p and os.path.exists(p))


def _add_rule(ruleset, path, access, handled):
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        import stat

        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            access &= FILE_RIGHTS
        access &= handled
        attr = struct.pack("=Qi", access, fd)  # struct landlock_path_beneath_attr, packed
        _syscall(SYS_ADD_RULE, ruleset, RULE_PATH_BENEATH, ctypes.c_char_p(attr), 0)
        return True
    finally:
        os.close(fd)


def landlock(read, write, devices=DEVICES):
    """Restrict this process (and its future children) to reading `read` and writing
    `write`. Returns the ABI used; raises OSError when Landlock is unavailable."""
    abi = landlock_abi()
    if abi < 1:
        raise OSError(errno.ENOSYS, "the kernel has no Landlock")
    handled = FS_ABI1 | (FS_REFER if abi >= 2 else 0) | (FS_TRUNCATE if abi >= 3 else 0) \
        | (FS_IOCTL_DEV if abi >= 5 else 0)
    net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0
    if abi >= 6:
        attr = struct.pack("=QQQ", handled, net, scoped)
    elif abi >= 4:
        attr = struct.pack("=QQ", handled, net)
    else:
        attr = struct.pack("=Q", handled)
    ruleset = _syscall(SYS_CREATE_RULESET, ctypes.c_char_p(attr), len(attr), 0)
    try:
        for path in read:
            _add_rule(ruleset, path, READ, handled)
        for path in devices:
            _add_rule(ruleset, path, FS_READ_FILE | FS_WRITE_FILE | FS_IOCTL_DEV, handled)
        for path in write:
            if not _add_rule(ruleset, path, handled, handled):
                raise OSError(errno.ENOENT, f"cannot open {path} for a Landlock rule")
        _no_new_privs()
        _syscall(SYS_RESTRICT_SELF, ruleset, 0)
    finally:
        os.close(ruleset)
    return abi


def _no_new_privs():
    if _libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


# ----- seccomp ---------------------------------------------------------------------------
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
SYS_SOCKET = {"x86_64": 41, "aarch64": 198}
SYS_IO_URING = (425, 426, 427)    # setup, enter, register: same on both
# shmget, semget, msgget, memfd_create
SYS_UNHELD_MEMORY = {"x86_64": (29, 64, 68, 319), "aarch64": (194, 190, 186, 279)}
X32_BIT = 0x40000000
AF_UNIX, AF_NETLINK = 1, 16
RET_ALLOW = 0x7FFF0000
RET_ERRNO = 0x00050000
LD_W_ABS, JEQ_K, JGE_K, RET_K = 0x20, 0x15, 0x35, 0x06


def _bpf(code, jt, jf, k):
    return struct.pack("=HBBI", code, jt, jf, k)


def socket_filter(machine=None):
    """The BPF program (bytes) of the seccomp filter, for this machine's architecture."""
    machine = machine or platform.machine()
    if machine not in AUDIT_ARCH:
        raise OSError(errno.ENOSYS, f"no seccomp filter written for {machine}")
    deny = RET_ERRNO | errno.EACCES
    nosys = RET_ERRNO | errno.ENOSYS
    refused = [(nr, nosys) for nr in SYS_IO_URING] + [(nr, deny) for nr in SYS_UNHELD_MEMORY[machine]]
    prog = [
        _bpf(LD_W_ABS, 0, 0, 4),                           # arch
        _bpf(JEQ_K, 1, 0, AUDIT_ARCH[machine]),
        _bpf(RET_K, 0, 0, nosys),                          # a foreign architecture
        _bpf(LD_W_ABS, 0, 0, 0),                           # syscall number
        _bpf(JGE_K, 0, 1, X32_BIT),
        _bpf(RET_K, 0, 0, nosys),                          # x32 ABI
    ]
    for nr, ret in refused:
        prog += [_bpf(JEQ_K, 0, 1, nr), _bpf(RET_K, 0, 0, ret)]
    prog += [
        _bpf(JEQ_K, 1, 0, SYS_SOCKET[machine]),
        _bpf(RET_K, 0, 0, RET_ALLOW),                      # any other call
        _bpf(LD_W_ABS, 0, 0, 16),                          # socket's family (args[0], low half)
        _bpf(JEQ_K, 2, 0, AF_UNIX),
        _bpf(JEQ_K, 1, 0, AF_NETLINK),
        _bpf(RET_K, 0, 0, deny),                           # AF_INET, AF_INET6, ...
        _bpf(RET_K, 0, 0, RET_ALLOW),
    ]
    return b"".join(prog)


def seccomp():
    """Install the socket filter on this process (and its future children)."""
    if sys.platform != "linux":
        raise OSError(errno.ENOSYS, "not Linux")
    prog = socket_filter()
    buf = ctypes.create_string_buffer(prog, len(prog))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(prog) // 8, ctypes.cast(buf, ctypes.c_void_p))
    _no_new_privs()
    libc = _libc()
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


# ----- both --------------------------------------------------------------------------------
LAYERS = ("landlock", "seccomp")


def plan(workdir):
    """What the worker of `workdir` may read and write: computed by the trusted side and
    sent in the worker's settings. NLPGRADE_CONFINE (default "landlock,seccomp"; "none")
    names the layers to apply: staff may turn one off to tell a problem of a layer from
    one of the submission, and the results record it."""
    wanted = os.environ.get("NLPGRADE_CONFINE", ",".join(LAYERS)).replace(" ", "").split(",")
    return {"read": runtime_paths() + [p for p in SYSTEM_READ if os.path.exists(p)],
            "write": [os.path.abspath(workdir)],
            "layers": [layer for layer in LAYERS if layer in wanted]}


def apply(settings):
    """Apply both layers as `plan` describes; return {"landlock": ..., "seccomp": ...},
    each "on ..." or "off: why". Never raises: a missing layer is a staff note."""
    status = {}
    layers = settings.get("layers", LAYERS)
    try:
        if "landlock" not in layers:
            raise ValueError("turned off by NLPGRADE_CONFINE")
        abi = landlock(settings["read"], settings["write"])
        status["landlock"] = f"on (ABI {abi})"
    except Exception as exc:  # ENOSYS, EOPNOTSUPP (disabled at boot), EPERM (seccomp'd)
        status["landlock"] = f"off: {_why(exc)}"
    try:
        if "seccomp" not in layers:
            raise ValueError("turned off by NLPGRADE_CONFINE")
        seccomp()
        status["seccomp"] = "on (no network sockets, no System V IPC or memfd)"
    except Exception as exc:
        status["seccomp"] = f"off: {_why(exc)}"
    return status


def _why(exc):
    if isinstance(exc, OSError) and exc.errno:
        return f"{errno.errorcode.get(exc.errno, exc.errno)} ({exc.strerror})"
    if isinstance(exc, ValueError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
