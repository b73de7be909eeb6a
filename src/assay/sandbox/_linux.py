"""Linux system calls the sandbox supervisor needs, through ctypes: namespaces, mounts, Landlock, seccomp.

Standard library only (imported by ``_supervisor.py``, which runs as ``python -I -S``). Syscall numbers are
the generic ones (x86_64 and aarch64 agree on mount_setattr 442 and landlock 444-446); the seccomp filter
has its own table per architecture (``SECCOMP_ARCHES``).
"""

from __future__ import annotations

import ctypes
import os
import stat

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_NOSUID, MS_NODEV, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 2, 4, 4096, 8192, 16384, 1 << 18
MS_NOEXEC = 8
AT_FDCWD, AT_RECURSIVE = -100, 0x8000
MOUNT_ATTR_RDONLY = 0x1
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 36, 38

SYS_MOUNT_SETATTR, SYS_LL_CREATE, SYS_LL_ADD_RULE, SYS_LL_RESTRICT = 442, 444, 445, 446

# Landlock access rights (include/uapi/linux/landlock.h)
LL_EXECUTE, LL_WRITE_FILE, LL_READ_FILE, LL_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
LL_REMOVE_DIR, LL_REMOVE_FILE, LL_MAKE_CHAR, LL_MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
LL_MAKE_REG, LL_MAKE_SOCK, LL_MAKE_FIFO, LL_MAKE_BLOCK, LL_MAKE_SYM = 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12
LL_REFER, LL_TRUNCATE, LL_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
LL_NET_BIND_TCP, LL_NET_CONNECT_TCP = 1, 2
LL_SCOPE_ABSTRACT_UNIX, LL_SCOPE_SIGNAL = 1, 2
LL_RULE_PATH_BENEATH, LL_RULE_NET_PORT = 1, 2

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]


def _fail(what: str) -> OSError:
    e = ctypes.get_errno()
    return OSError(e, f"{what}: {os.strerror(e)}")


def _b(s: str | None) -> bytes | None:
    return None if s is None else os.fsencode(s)


def _mount(src: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    if _libc.mount(_b(src), _b(target), _b(fstype), flags, _b(data)) != 0:
        raise _fail(f"mount {target}")


class _MountAttr(ctypes.Structure):
    _fields_ = [
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    ]


def _set_readonly(path: str, readonly: bool, recursive: bool = True) -> None:
    attr = _MountAttr(MOUNT_ATTR_RDONLY if readonly else 0, 0 if readonly else MOUNT_ATTR_RDONLY, 0, 0)
    flags = AT_RECURSIVE if recursive else 0
    r = _libc.syscall(SYS_MOUNT_SETATTR, AT_FDCWD, _b(path), flags, ctypes.byref(attr), ctypes.sizeof(attr))
    if r != 0:
        raise _fail(f"mount_setattr {path}")


# --------------------------------------------------------------------------------------------- namespaces


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _unshare(flags: int) -> None:
    if _libc.unshare(flags) != 0:
        raise _fail("unshare")


def enter_namespaces(cfg: dict, mech: list[str], notes: list[str]) -> bool:
    """Enter new namespaces; True when a pid namespace was made (the next fork is its init)."""
    if "namespaces" in cfg["disable"]:
        return False
    base = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
    if not cfg["limits"]["network"]:
        base |= CLONE_NEWNET
    uid, gid = os.getuid(), os.getgid()
    try:
        if uid == 0:
            _unshare(base)
        else:
            _unshare(base | CLONE_NEWUSER)
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"{uid} {uid} 1")
            _write("/proc/self/gid_map", f"{gid} {gid} 1")
            mech.append("user-namespace")
    except OSError as e:
        notes.append(f"no namespaces: {e}")
        return False
    mech.extend(["mount-namespace", "pid-namespace", "ipc-namespace"])
    if base & CLONE_NEWNET:
        mech.append("network-namespace")
    try:
        _setup_mounts(cfg, mech, notes)
    except OSError as e:
        notes.append(f"read-only mounts not set: {e}")
    return True


def _setup_mounts(cfg: dict, mech: list[str], notes: list[str]) -> None:
    root = cfg["root"]
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    if cfg.get("expose"):
        _expose(cfg["expose"], os.path.join(root, ".stage"), notes)
        mech.append("private-home")
    _mount(root, root, None, MS_BIND | MS_REC)
    shm = False
    if "mount" not in cfg["disable"]:
        try:
            _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=1777")
            shm = True
            mech.append("private-shm")
        except OSError as e:
            notes.append(f"no private /dev/shm: {e}")
        _set_readonly("/", True)
        _set_readonly(root, False)
        if shm:
            _set_readonly("/dev/shm", False, recursive=False)
        mech.append("read-only-root")


def _expose(expose: dict[str, list[str]], stage: str, notes: list[str]) -> None:
    """Show only ``paths`` of each hidden directory (e.g. /root) to the unprivileged uid.

    Each needed path is bind-mounted to a staging point, a fresh tmpfs (mode 0755) covers the hidden
    directory, and the staged mounts are moved to their old paths inside it.
    """
    os.makedirs(stage, exist_ok=True)
    for hidden, paths in expose.items():
        staged = []
        for i, p in enumerate(paths):
            point = os.path.join(stage, f"{len(os.listdir(stage))}-{i}")
            if os.path.isdir(p):
                os.mkdir(point)
            else:
                open(point, "w").close()
            _mount(p, point, None, MS_BIND | MS_REC)
            staged.append((p, point))
        _mount("tmpfs", hidden, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
        for p, point in staged:
            parent = os.path.dirname(p)
            os.makedirs(parent, mode=0o755, exist_ok=True)
            if os.path.isdir(point):
                os.makedirs(p, mode=0o755, exist_ok=True)
            else:
                open(p, "w").close()
            _mount(point, p, None, MS_MOVE)
    for name in os.listdir(stage):
        point = os.path.join(stage, name)
        (os.rmdir if os.path.isdir(point) else os.unlink)(point)
    os.rmdir(stage)


# ------------------------------------------------------------------------------------------------ landlock


def landlock_abi() -> int:
    r = _libc.syscall(SYS_LL_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return int(r) if r > 0 else 0


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def apply_landlock(cfg: dict, mech: list[str], notes: list[str]) -> None:
    """Restrict this process (and everything it starts) with Landlock, as far as the kernel's ABI goes."""
    abi = 0 if "landlock" in cfg["disable"] else landlock_abi()
    if abi < 1:
        notes.append("no Landlock")
        return
    write = LL_WRITE_FILE | LL_REMOVE_DIR | LL_REMOVE_FILE | LL_MAKE_CHAR | LL_MAKE_DIR | LL_MAKE_REG | LL_MAKE_SOCK
    write |= LL_MAKE_FIFO | LL_MAKE_BLOCK | LL_MAKE_SYM
    if abi >= 2:
        write |= LL_REFER
    if abi >= 3:
        write |= LL_TRUNCATE
    read = LL_EXECUTE | LL_READ_FILE | LL_READ_DIR
    ioctl = LL_IOCTL_DEV if abi >= 5 else 0
    fs = write | read | ioctl
    net = (LL_NET_BIND_TCP | LL_NET_CONNECT_TCP) if abi >= 4 and not cfg["limits"]["network"] else 0
    scoped = (LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL) if abi >= 6 and "scope" not in cfg["disable"] else 0
    fields = [fs] + ([net] if abi >= 4 else []) + ([scoped] if abi >= 6 else [])
    attr = (ctypes.c_uint64 * len(fields))(*fields)
    rfd = _libc.syscall(SYS_LL_CREATE, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0))
    if rfd < 0:
        notes.append(f"Landlock unavailable: {_fail('create_ruleset')}")
        return
    file_bits = LL_EXECUTE | LL_WRITE_FILE | LL_READ_FILE | (LL_TRUNCATE if abi >= 3 else 0) | ioctl
    rules: list[tuple[str, int]] = [(p, read | ioctl) for p in cfg["read_paths"]]
    # the host's /dev/shm is never writable: only a private one (mount namespace) is
    rules += [(p, fs) for p in cfg["write_paths"] if p != "/dev/shm" or "private-shm" in mech]
    rules += [(p, read | write | ioctl) for p in ("/dev/null", "/dev/zero", "/dev/full", "/dev/tty")]
    try:
        for path, access in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                if not stat.S_ISDIR(os.fstat(fd).st_mode):
                    access &= file_bits
                rule = _PathBeneath(access, fd)
                if _libc.syscall(SYS_LL_ADD_RULE, rfd, LL_RULE_PATH_BENEATH, ctypes.byref(rule), 0) != 0:
                    notes.append(f"Landlock rule {path}: {_fail('add_rule')}")
            finally:
                os.close(fd)
        if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise _fail("no_new_privs")
        if _libc.syscall(SYS_LL_RESTRICT, rfd, 0) != 0:
            raise _fail("landlock_restrict_self")
    except OSError as e:
        notes.append(f"Landlock not applied: {e}")
        return
    finally:
        os.close(rfd)
    mech.extend(["landlock-fs-write", "landlock-fs-read"])
    if net:
        mech.append("landlock-tcp")
    if scoped:
        mech.append("landlock-scope")


# ------------------------------------------------------------------------------------------------- seccomp

# include/uapi/linux/audit.h, include/uapi/linux/seccomp.h, include/uapi/linux/filter.h
_BPF_LD_W_ABS, _BPF_JEQ_K, _BPF_JGE_K, _BPF_RET_K = 0x20, 0x15, 0x35, 0x06
SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_ERRNO, SECCOMP_RET_ALLOW = 0x80000000, 0x00050000, 0x7FFF0000
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
AF_UNIX = 1
EPERM = 1
X32_SYSCALL_BIT = 0x40000000

# machine -> (AUDIT_ARCH_*, socket, [io_uring_setup/enter/register, pidfd_getfd, ptrace, process_vm_readv/writev])
_GENERIC_DENIED = [425, 426, 427, 438, 117, 270, 271]  # asm-generic/unistd.h (aarch64, riscv64, loongarch64)
SECCOMP_ARCHES: dict[str, tuple[int, int, list[int]]] = {
    "x86_64": (0xC000003E, 41, [425, 426, 427, 438, 101, 310, 311]),
    "aarch64": (0xC00000B7, 198, _GENERIC_DENIED),
    "riscv64": (0xC00000F3, 198, _GENERIC_DENIED),
    "loongarch64": (0xC0000102, 198, _GENERIC_DENIED),
}


def seccomp_program(machine: str, network: bool) -> list[tuple[int, int, int, int]]:
    """The classic-BPF seccomp filter the program runs under, as (code, jt, jf, k) instructions.

    * a system call of another ABI (i386 or x32 on x86_64, arm32 on aarch64: they have other numbers,
      e.g. i386 ``socketcall``) kills the process;
    * ``socket(AF_UNIX, ...)`` fails with EPERM: a pathname UNIX socket of the host (``/var/run/docker.sock``,
      ``/run/user/UID/bus``, a daemon's socket in ``/tmp``) is reachable through the file system whatever the
      network namespace, and neither read-only mounts nor Landlock stop ``connect()`` on it;
      ``socketpair()`` stays allowed (it only connects the two ends it creates);
    * with ``network=False``, ``socket()`` fails with EPERM for every family (internet, UDP, raw, packet,
      netlink...), in every process of the run: children, ``ctypes``, any language;
    * ``io_uring_*`` (its operations bypass seccomp: IORING_OP_SOCKET/CONNECT), ``pidfd_getfd`` (taking a
      socket from another process), ``ptrace`` and ``process_vm_readv/writev`` fail with EPERM.
    """
    if machine not in SECCOMP_ARCHES:
        raise OSError(f"no seccomp filter for the {machine or 'unknown'} architecture")
    arch, socket_nr, denied = SECCOMP_ARCHES[machine]
    prog: list[tuple] = [("ld", 4), ("jeq", arch, None, "kill"), ("ld", 0)]
    if machine == "x86_64":
        prog.append(("jge", X32_SYSCALL_BIT, "kill", None))
    prog.append(("jeq", socket_nr, "socket" if network else "deny", None))
    prog += [("jeq", nr, "deny", None) for nr in denied]
    prog.append(("ret", SECCOMP_RET_ALLOW))
    if network:
        prog += [("label", "socket"), ("ld", 16), ("jeq", AF_UNIX, "deny", None), ("ret", SECCOMP_RET_ALLOW)]
    prog += [
        ("label", "deny"),
        ("ret", SECCOMP_RET_ERRNO | EPERM),
        ("label", "kill"),
        ("ret", SECCOMP_RET_KILL_PROCESS),
    ]
    labels: dict[str, int] = {}
    body = []
    for ins in prog:
        if ins[0] == "label":
            labels[ins[1]] = len(body)
        else:
            body.append(ins)

    def off(i: int, target: str | None) -> int:
        return 0 if target is None else labels[target] - (i + 1)

    out = []
    for i, ins in enumerate(body):
        if ins[0] == "ld":  # A = seccomp_data[k] (nr 0, arch 4, low word of args[0] 16: little-endian)
            out.append((_BPF_LD_W_ABS, 0, 0, ins[1]))
        elif ins[0] == "ret":
            out.append((_BPF_RET_K, 0, 0, ins[1]))
        else:
            code = _BPF_JEQ_K if ins[0] == "jeq" else _BPF_JGE_K
            out.append((code, off(i, ins[2]), off(i, ins[3]), ins[1]))
    return out


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def install_seccomp(network: bool, machine: str | None = None) -> None:
    """Install :func:`seccomp_program` on this thread, inherited by every process it starts. Raises OSError."""
    insns = seccomp_program(machine or os.uname().machine, network)
    arr = (_SockFilter * len(insns))(*[_SockFilter(*ins) for ins in insns])
    prog = _SockFprog(len(insns), arr)
    ul = ctypes.c_ulong
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, ul(1), ul(0), ul(0), ul(0)) != 0:
        raise _fail("no_new_privs")
    if _libc.prctl(PR_SET_SECCOMP, ul(SECCOMP_MODE_FILTER), ctypes.byref(prog), ul(0), ul(0)) != 0:
        raise _fail("seccomp filter")


def apply_seccomp(cfg: dict, mech: list[str], notes: list[str]) -> None:
    """The program's seccomp filter; a failure raises (the run then fails: never silently without it)."""
    if "seccomp" in cfg["disable"]:
        notes.append("no seccomp filter (disabled)")
        return
    try:
        install_seccomp(bool(cfg["limits"]["network"]))
    except OSError as e:
        raise OSError(
            f"{e}: the program is not run without its seccomp filter (ASSAY_SANDBOX_DISABLE=seccomp runs it "
            "without one: then UNIX-domain sockets of the host are reachable)"
        ) from None
    mech.append("seccomp")
    if not cfg["limits"]["network"]:
        mech.append("seccomp-no-sockets")
