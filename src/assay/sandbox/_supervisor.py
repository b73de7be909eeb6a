"""The sandbox supervisor: a separate, single-threaded process that isolates and runs one program.

Run as ``python -I -S -B _supervisor.py CONFIG_JSON`` by ``assay.sandbox.runner`` (standard library only:
it must start fast and must not import the caller's packages). Doing the set-up here rather than in a
``preexec_fn`` keeps it safe in a threaded caller (the shared pool) and lets it fork an init process.

Steps (each one is tried, and what succeeded is reported back, never assumed):

1. Namespaces. As root: ``unshare(mount, net, pid, ipc, uts)``. Otherwise: the same plus a user namespace
   that maps only the caller's own uid. A new network namespace holds only a downed loopback: no
   connection can leave it, not even to 127.0.0.1 of the host.
2. Mounts (mount namespace only): every mount is made read-only recursively (``mount_setattr``), the
   sandbox directory is bind-mounted read-write, ``/dev/shm`` gets a private small tmpfs. As root, the
   directories the program needs but its unprivileged uid could not reach (an interpreter under a 0700
   home) are shown on a tmpfs that hides everything else there.
3. Init: in the new pid namespace the first child is pid 1; it runs the program as its child, reaps every
   orphan, and when the program ends it exits, and the kernel kills whatever is left in the namespace
   (daemons included). Without a pid namespace the supervisor is a child subreaper and kills every
   process that is reparented to it.
4. The program's process: new uid (as root; a root caller's program never runs as uid 0: without a uid
   to switch to the run fails), rlimits (CPU, address space, processes, file size, open files, core 0,
   stack), ``no_new_privs``, Landlock (writes only under the sandbox directory; reads only from system
   and interpreter directories; TCP bind/connect denied; signals and abstract sockets scoped to the
   sandbox), a seccomp filter (no UNIX-domain sockets, no sockets at all without network, no io_uring,
   ptrace, pidfd_getfd), signals restored, then ``execve`` with the scrubbed environment.

Reports: one JSON line on the status fd (exit code or signal, CPU and wall time, peak RSS, mechanisms).
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves the script's folder out

from _linux import (  # noqa: E402
    MS_NODEV,
    MS_NOEXEC,
    MS_NOSUID,
    PR_SET_CHILD_SUBREAPER,
    PR_SET_PDEATHSIG,
    _b,
    _libc,
    _mount,
    apply_landlock,
    apply_seccomp,
    enter_namespaces,
    landlock_abi,
)

# ------------------------------------------------------------------------------------------------- program


def _count_tasks(uid: int, live_only: bool = False) -> int:
    """Tasks (processes and threads) of ``uid`` on the host: RLIMIT_NPROC counts these (zombies too,
    unless ``live_only``)."""
    n = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", "rb") as f:
                text = f.read().decode("ascii", "replace")
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        try:
            if live_only and fields.get("State", "").strip().startswith("Z"):
                continue
            if int(fields["Uid"].split()[0]) == uid:
                n += int(fields.get("Threads", "1").strip())
        except (KeyError, ValueError):
            continue
    return n


def _set_limits(cfg: dict, fresh_count: bool, mech: list[str]) -> None:
    lim = cfg["limits"]
    mb = 1024 * 1024

    def put(res: int, soft: int, hard: int | None = None) -> None:
        cur_soft, cur_hard = resource.getrlimit(res)
        hard = soft if hard is None else hard
        if cur_hard != resource.RLIM_INFINITY and os.geteuid() != 0:
            hard = min(hard, cur_hard)
            soft = min(soft, hard)
        resource.setrlimit(res, (soft, hard))

    cpu = max(1, int(-(-lim["cpu_s"] // 1)))
    put(resource.RLIMIT_CPU, cpu, cpu + 1)
    put(resource.RLIMIT_AS, int(lim["memory_mb"]) * mb)
    put(resource.RLIMIT_FSIZE, int(lim["file_size_mb"]) * mb)
    put(resource.RLIMIT_NOFILE, int(lim["open_files"]))
    put(resource.RLIMIT_CORE, 0)
    if lim.get("stack_mb"):
        put(resource.RLIMIT_STACK, int(lim["stack_mb"]) * mb)
    nproc = int(lim["max_processes"])
    if not fresh_count and os.getuid() != 0:
        nproc += _count_tasks(os.getuid()) - 1  # shared with the uid's other processes (this one is the program's)
    if os.getuid() != 0:  # RLIMIT_NPROC does not bind uid 0
        put(resource.RLIMIT_NPROC, nproc)
        mech.append("rlimit-nproc")


_HIDDEN = "the interpreter's folder is not reachable by the fresh uid without a mount namespace"


def _drop_root(cfg: dict, mech: list[str], notes: list[str]) -> None:
    """As root: become the run's fresh uid, or raise (the run ends with an error, the program is not run).

    uid 0 ignores RLIMIT_NPROC, reads and writes every file a mount namespace does not hide, and keeps its
    capabilities: no program is run that way, with or without namespaces.
    """
    uid = cfg.get("uid")
    if uid is None:
        raise PermissionError("refusing to run the program as root: no unprivileged uid was given for it")
    if cfg.get("expose") and "private-home" not in mech:
        notes.append(_HIDDEN)  # tried anyway: a program outside the hidden folder (/usr/bin/python3) runs
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if 0 in (*os.getresuid(), *os.getresgid()):
        raise PermissionError(f"refusing to run the program as root: the switch to uid {uid} did not hold")
    mech.append("unprivileged-uid")


def run_program(cfg: dict, mech: list[str], notes: list[str], report_fd: int, parent: int) -> None:
    """In the forked child: drop privileges, limit, restrict, exec. Never returns."""
    try:
        for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGALRM):
            signal.signal(sig, signal.SIG_DFL)
        if os.getuid() == 0 or os.geteuid() == 0:
            _drop_root(cfg, mech, notes)  # fails closed: the program never runs as root
        # without a pid namespace nothing else ends the program if the supervisor is killed outright
        # (set after the uid change, which clears it; the parent check closes the race)
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(70)
        apply_landlock(cfg, mech, notes)
        apply_seccomp(cfg, mech, notes)
        argv = cfg["argv"]
        if "network-namespace" not in mech and not cfg["limits"]["network"] and cfg.get("guarded_argv"):
            argv = cfg["guarded_argv"]
            mech.append("python-socket-guard")
        os.chdir(cfg["cwd"])
        _set_limits(cfg, "user-namespace" in mech or "unprivileged-uid" in mech, mech)
        os.write(report_fd, (json.dumps({"isolation": mech, "notes": notes}) + "\n").encode())
        os.closerange(3, report_fd)
        os.closerange(report_fd + 1, 1 << 16)
        os.execvpe(argv[0], argv, cfg["env"])
    except BaseException as e:  # noqa: BLE001 - report anything, then leave
        why = f"{type(e).__name__}: {e}"
        if isinstance(e, PermissionError) and _HIDDEN in notes:
            why += f" ({_HIDDEN})"
        try:
            os.write(report_fd, (json.dumps({"exec_error": why}) + "\n").encode())
        finally:
            os._exit(127)


def init(cfg: dict, mech: list[str], notes: list[str], status_fd: int, pid_ns: bool) -> int:
    """Start the program, reap everything, report. Runs as pid 1 of the namespace, or as a subreaper."""
    # the program may signal its parent: only SIGKILL/SIGSTOP can stop a supervisor without a pid namespace
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR2, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    if pid_ns:
        try:
            _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
            mech.append("private-proc")
        except OSError as e:
            notes.append(f"no private /proc: {e}")
    else:
        _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    r, w = os.pipe()
    os.set_inheritable(w, False)
    t0 = time.monotonic()
    me = os.getpid()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.close(status_fd)
        run_program(cfg, mech, notes, w, me)
    if not pid_ns:
        _STATE["program"] = pid
        if os.getuid() == 0 and cfg.get("uid") is not None:
            _STATE["uid"] = int(cfg["uid"])  # the run's own uid: kill(-1) as that uid ends all of it at once
    os.close(w)

    deadline = cfg["limits"]["wall_s"] + 5.0  # backstop if the caller vanished; the caller kills first

    reaped = [False]

    def on_alarm(_sig: int, _frm: object) -> None:
        if not reaped[0]:  # once reaped, its pid may already belong to another process
            _kill_all(pid_ns, pid)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGUSR1, on_alarm)  # the caller's "stop now" (time or output limit, cancel)
    signal.setitimer(signal.ITIMER_REAL, deadline)
    cpu = 0.0
    maxrss = 0
    status = None
    while True:
        try:
            got, st, ru = os.wait4(-1, 0)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        cpu += ru.ru_utime + ru.ru_stime
        maxrss = max(maxrss, ru.ru_maxrss)
        if got == pid:
            reaped[0] = True
            status = st
            break
    wall = time.monotonic() - t0
    signal.setitimer(signal.ITIMER_REAL, 0)
    report = _read_all(r)
    os.close(r)
    out: dict = {"cpu_s": cpu, "wall_s": wall, "maxrss_kb": maxrss, "isolation": mech, "notes": notes}
    for line in report.splitlines():
        try:
            out.update(json.loads(line))
        except ValueError:
            continue
    if status is not None:
        if os.WIFSIGNALED(status):
            out["signal"] = os.WTERMSIG(status)
        else:
            out["exit_code"] = os.WEXITSTATUS(status)
    if not pid_ns:
        _kill_run_uid()
        _sweep_children()
        out["swept"] = True
    os.write(status_fd, (json.dumps(out) + "\n").encode())
    return 0


_STATE: dict = {"root": None, "child": None, "program": None, "parent_fd": None, "uid": None}


def _orphaned(_sig: int, _frm: object) -> None:
    """The caller died, even by SIGKILL: end every process of the run, delete its directory, leave."""
    for key in ("child", "program"):
        pid = _STATE.get(key)
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    if _STATE.get("program"):
        _sweep_children()
    elif _STATE.get("child"):
        try:
            os.waitpid(_STATE["child"], 0)
        except OSError:
            pass
    root = _STATE.get("root")
    try:
        if root:
            import shutil

            for dirpath, dirnames, _files in os.walk(root):
                for d in dirnames:
                    p = os.path.join(dirpath, d)
                    if not os.path.islink(p):
                        os.chmod(p, 0o700)
            shutil.rmtree(root, ignore_errors=True)
            # the directory itself: our mount namespace has it bind-mounted in a read-only /tmp, so undo the
            # bind and remove it through the caller's /tmp, opened before the namespaces were made
            _libc.umount2(_b(root), 2)  # MNT_DETACH
            os.rmdir(os.path.basename(root), dir_fd=_STATE["parent_fd"])
    except BaseException:  # noqa: BLE001 - leave in any case
        pass
    os._exit(75)


def _kill_all(pid_ns: bool, pid: int) -> None:
    if pid_ns:
        try:
            os.kill(-1, signal.SIGKILL)  # as pid 1: every other process of the namespace
        except OSError:
            pass
    else:
        try:
            os.kill(pid, signal.SIGKILL)  # the sweep after its reaping takes its descendants
        except OSError:
            pass
        _kill_run_uid()


def _kill_run_uid() -> None:
    """Without a pid namespace, for a root caller: kill every process of the run's fresh uid, by a child
    that becomes that uid and sends kill(-1) (atomic against a fork bomb, unlike a walk of /proc)."""
    uid = _STATE.get("uid")
    if uid is None:
        return
    helper = os.fork()
    if helper == 0:
        try:
            kill_uid(uid)
        finally:
            os._exit(0)
    try:
        os.waitpid(helper, 0)
    except ChildProcessError:  # reaped by the main loop's wait4(-1)
        pass


def _children(me: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                text = f.read().decode("ascii", "replace")
            ppid = int(text.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == me:
            out.append(int(name))
    return out


def _sweep_children() -> None:
    """As a child subreaper: kill and reap every descendant that outlived the program."""
    me = os.getpid()
    for _ in range(1000):
        kids = _children(me)
        if not kids:
            break
        for k in kids:
            try:
                os.kill(k, signal.SIGKILL)
            except OSError:
                pass
        while True:
            try:
                got, _st = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if got == 0:
                time.sleep(0.002)
                break


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            b = os.read(fd, 65536)
        except InterruptedError:
            continue
        if not b:
            break
        chunks.append(b)
    return b"".join(chunks).decode("utf-8", "replace")


def kill_uid(uid: int) -> None:
    """``--kill-uid N``: become ``uid`` and kill every process it owns (the uid was private to one run)."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    for _ in range(200):
        if _count_tasks(uid, live_only=True) <= 1:  # only this process is left
            return
        try:
            os.kill(-1, signal.SIGKILL)  # every process this uid may signal, i.e. its own
        except OSError:
            pass
        time.sleep(0.002)


def main() -> int:
    if sys.argv[1] == "--kill-uid":
        kill_uid(int(sys.argv[2]))
        return 0
    if sys.argv[1] == "--probe":
        print(json.dumps({"landlock_abi": landlock_abi()}))
        return 0
    cfg = json.loads(sys.argv[1])
    status_fd = int(cfg["status_fd"])
    os.set_inheritable(status_fd, True)
    _STATE["root"] = cfg["root"]
    _STATE["parent_fd"] = os.open(os.path.dirname(cfg["root"]), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    signal.signal(signal.SIGRTMIN, _orphaned)
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGRTMIN, 0, 0, 0)  # the caller died: so do we, after cleaning up
    if os.getppid() != cfg["caller_pid"]:
        return 70
    mech: list[str] = []
    notes: list[str] = []
    pid_ns = enter_namespaces(cfg, mech, notes)
    if not pid_ns:
        return init(cfg, mech, notes, status_fd, False)
    alive_r, alive_w = os.pipe()
    child = os.fork()
    if child == 0:  # pid 1 of the new namespace
        os.close(alive_w)
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if select.select([alive_r], [], [], 0)[0]:  # the supervisor already died
            os._exit(70)
        os.close(alive_r)
        os._exit(init(cfg, mech, notes, status_fd, True))
    _STATE["child"] = child
    os.close(alive_r)
    os.close(status_fd)
    signal.signal(signal.SIGUSR1, lambda _s, _f: os.kill(child, signal.SIGUSR1))  # forward "stop now" to init
    while True:
        try:
            _, st = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
    return os.waitstatus_to_exitcode(st) if os.WIFEXITED(st) else 71


if __name__ == "__main__":
    sys.exit(main())
