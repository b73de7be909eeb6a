"""Run one program in the sandbox: a fresh directory, limits, isolation, capped output, full clean-up.

``run_command(argv)`` and ``run_python(code)`` create a temporary directory (``work/`` is the program's
working directory and holds ``files``; ``home/`` is its HOME; ``tmp/`` its TMPDIR), start the supervisor
(``_supervisor.py``: namespaces, read-only mounts, Landlock, seccomp, rlimits, an init that reaps all),
feed stdin, read stdout/stderr without blocking and with a cap, enforce the wall-clock limit, and
always, even when the caller is interrupted, kill the supervisor's process group (its pid namespace
dies with it), sweep what could have escaped, and delete the directory.

The program sees a scrubbed environment: PATH, HOME, TMPDIR, a UTF-8 locale, PYTHONHASHSEED=0, one
thread for OpenMP/OpenBLAS/MKL and nothing of the caller's (no tokens, keys or credentials). A root
caller's program runs as a fresh uid or not at all (a typed ``error`` result). See docs/sandbox.md for
exactly what is enforced where.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from assay.sandbox import pool
from assay.sandbox.hostfs import (
    chown_tree,
    claim_fresh_id,
    export_file,
    expose_map,
    interpreter_paths,
    release_id,
    remove_tree,
    write_files,
)
from assay.sandbox.limits import Limits, SandboxResult
from assay.sandbox.pump import Pump, killpg, read_status

SUPERVISOR = Path(__file__).with_name("_supervisor.py")
SYSTEM_READ_PATHS = (
    "/bin", "/sbin", "/usr", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/proc", "/sys", "/dev",
    "/nix", "/gnu",
)  # fmt: skip
_MEMORY_PATTERN = re.compile(r"MemoryError|std::bad_alloc|Cannot allocate memory|out of memory", re.IGNORECASE)
_GUARD = (
    "import sys, os, socket\n"
    "def _assay_guard(event, args, _inet=(socket.AF_INET, socket.AF_INET6)):\n"
    "    if event == 'socket.__new__' and args[1] in _inet or event in (\n"
    "            'socket.connect', 'socket.bind', 'socket.sendto', 'socket.sendmsg') and getattr(\n"
    "            args[0], 'family', None) in _inet:\n"
    "        raise PermissionError(1, 'network access is disabled in the sandbox')\n"
    "sys.addaudithook(_assay_guard)\n"
    "del _assay_guard\n"
    "sys.argv = sys.argv[1:]\n"
    "sys.path[0] = os.path.dirname(os.path.abspath(sys.argv[0]))\n"
    "import runpy\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)

_live_lock = threading.Lock()
_live: dict[int, subprocess.Popen[bytes]] = {}


def _kill_live() -> None:
    """At interpreter exit: no supervisor (and so no sandboxed program) outlives its caller."""
    with _live_lock:
        procs = list(_live.values())
    for p in procs:
        killpg(p.pid)


atexit.register(_kill_live)


def _program_env(root: Path, marker: str) -> dict[str, str]:
    py_dir = os.path.dirname(sys.executable)
    return {
        "PATH": f"{py_dir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(root / "home"),
        "TMPDIR": str(root / "tmp"),
        "TMP": str(root / "tmp"),
        "TEMP": str(root / "tmp"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        # numeric libraries start one thread per core by default, each with its own stack and arena
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "USER": "sandbox",
        "LOGNAME": "sandbox",
        "ASSAY_SANDBOX": marker,
    }


def _sweep_marker(marker: str) -> int:
    """Kill processes that carry this run's marker in their environment (escapees without a pid namespace)."""
    needle = f"ASSAY_SANDBOX={marker}".encode()
    killed = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                env = f.read()
        except OSError:
            continue
        if needle in env.split(b"\0"):
            try:
                os.kill(int(name), signal.SIGKILL)
                killed += 1
            except OSError:
                pass
    return killed


def _sweep_uid(uid: int) -> None:
    subprocess.run(
        [sys.executable, "-I", "-S", "-B", str(SUPERVISOR), "--kill-uid", str(uid)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=10,
        check=False,
    )


def _execute(
    argv: Sequence[str],
    *,
    stdin: str | bytes,
    limits: Limits,
    files: Mapping[str, str | bytes] | None,
    read_paths: Sequence[str],
    guarded_argv: Sequence[str] | None,
    disable: Sequence[str],
    export: Mapping[str, str | os.PathLike[str]] | None = None,
) -> SandboxResult:
    if not sys.platform.startswith("linux"):
        raise RuntimeError("assay.sandbox runs programs on Linux only (namespaces, rlimits, Landlock)")
    if not argv:
        raise ValueError("empty argv")
    data = stdin.encode("utf-8") if isinstance(stdin, str) else bytes(stdin)
    # ASSAY_SANDBOX_DISABLE=namespaces,landlock,...: leave mechanisms out (to see what a machine without
    # them would do; never needed otherwise)
    disable = (*disable, *filter(None, os.environ.get("ASSAY_SANDBOX_DISABLE", "").split(",")))
    with pool.slot():
        root = Path(tempfile.mkdtemp(prefix="assay-sandbox-"))
        try:
            res = _execute_in(root, argv, data, limits, files, read_paths, guarded_argv, disable)
            for name, dest in (export or {}).items():
                export_file(root / "work", name, Path(dest))
            return res
        finally:
            remove_tree(root)


def _execute_in(
    root: Path,
    argv: Sequence[str],
    stdin: bytes,
    limits: Limits,
    files: Mapping[str, str | bytes] | None,
    read_paths: Sequence[str],
    guarded_argv: Sequence[str] | None,
    disable: Sequence[str],
) -> SandboxResult:
    work = root / "work"
    for d in (work, root / "home", root / "tmp"):
        d.mkdir()
    write_files(work, files)
    needed = list(interpreter_paths()) + [os.path.abspath(p) for p in read_paths]
    if os.path.isabs(argv[0]):
        needed.append(argv[0])
    if os.geteuid() != 0:
        return _supervise(root, argv, stdin, limits, guarded_argv, disable, needed, None)
    # a root caller's program never runs as root: a fresh uid, or a typed error and no run at all
    if "uid" in disable:
        return _error_result(limits, "refusing to run the program as root (the uid switch is disabled)")
    uid = claim_fresh_id()
    if uid is None:
        return _error_result(limits, f"refusing to run the program as root: {_no_fresh_uid()}")
    try:
        try:
            chown_tree(root, uid)
        except OSError as e:
            return _error_result(
                limits, f"refusing to run the program as root: cannot give its folder to uid {uid}: {e}"
            )
        return _supervise(root, argv, stdin, limits, guarded_argv, disable, needed, uid)
    finally:
        release_id(uid)


def _no_fresh_uid() -> str:
    try:
        maps = " ".join(Path("/proc/self/uid_map").read_text().split())
    except OSError:
        maps = "?"
    return f"no unused uid is mapped in this user namespace (/proc/self/uid_map: {maps})"


def _error_result(limits: Limits, message: str) -> SandboxResult:
    """The typed result of a run the sandbox refused to start (the program did not run)."""
    return SandboxResult(
        exit_code=None,
        signal=None,
        timed_out=False,
        memory_exceeded=False,
        output_truncated=False,
        stdout="",
        stderr="",
        wall_s=0.0,
        cpu_s=0.0,
        network_isolated=False,
        error=message,
        limits=asdict(limits),
    )


def _supervise(
    root: Path,
    argv: Sequence[str],
    stdin: bytes,
    limits: Limits,
    guarded_argv: Sequence[str] | None,
    disable: Sequence[str],
    needed: list[str],
    uid: int | None,
) -> SandboxResult:
    work = root / "work"
    marker = secrets.token_hex(8)
    env = _program_env(root, marker)
    cfg = {
        "argv": list(argv),
        "guarded_argv": list(guarded_argv) if guarded_argv else None,
        "env": env,
        "root": str(root),
        "cwd": str(work),
        "limits": asdict(limits),
        "uid": uid,
        "expose": expose_map(needed) if uid is not None else {},
        "read_paths": [p for p in (*SYSTEM_READ_PATHS, *needed) if os.path.exists(p)],
        "write_paths": [str(root), "/dev/shm"],
        "disable": list(disable),
        "status_fd": -1,
        "caller_pid": os.getpid(),
    }
    status_r, status_w = os.pipe()
    try:
        cfg["status_fd"] = status_w
        t0 = time.monotonic()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-B", str(SUPERVISOR), json.dumps(cfg)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(status_w,),
                start_new_session=True,
                env=env,
                cwd=str(work),
            )
        finally:
            os.close(status_w)
        with _live_lock:
            _live[proc.pid] = proc
        pump: Pump | None = None
        try:
            pump = Pump(proc, stdin, limits)
            pump.run(t0 + float(limits.wall_s))
        finally:
            if pump is None or pump.wait_status is None:  # still there (an exception, an interrupt): end it
                killpg(proc.pid)
            try:
                if pump is not None:
                    pump._reap(block=True)
                else:
                    proc.wait()
            except ChildProcessError:
                pass
            for f in (proc.stdin, proc.stdout, proc.stderr):
                try:
                    if f:
                        f.close()
                except OSError:
                    pass
            if pump is not None:
                pump.sel.close()
            with _live_lock:
                _live.pop(proc.pid, None)
            os.set_blocking(status_r, False)
            status = read_status(status_r)
            if "pid-namespace" not in (status.get("isolation") or []):
                _sweep_marker(marker)
                if uid is not None:
                    _sweep_uid(uid)
    finally:
        os.close(status_r)
    assert pump is not None
    if pump.cancelled:
        raise KeyboardInterrupt("sandbox run cancelled")
    return _result(status, pump, limits, time.monotonic() - t0)


def _result(status: dict[str, Any], pump: Pump, limits: Limits, elapsed: float) -> SandboxResult:
    stdout = bytes(pump.out["stdout"]).decode("utf-8", "replace")
    stderr = bytes(pump.out["stderr"]).decode("utf-8", "replace")
    exit_code: int | None = status.get("exit_code")
    sig: int | None = status.get("signal")
    error = status.get("exec_error")
    wall_hit = killed_at_deadline(pump.timed_out, status)
    if "exit_code" not in status and "signal" not in status:
        if wall_hit or pump.truncated:
            sig = signal.SIGKILL  # ended by us before the supervisor could report
        elif error is None:
            st = pump.wait_status
            how = f"signal {os.WTERMSIG(st)}" if st is not None and os.WIFSIGNALED(st) else f"wait status {st}"
            error = f"the sandbox supervisor ended without a report ({how}; the program may have killed it)"
            if pump.out["stderr"]:
                error += ": " + stderr[-2000:]
    if error is not None:
        exit_code = None if "exit_code" not in status else exit_code
    cpu = float(status["cpu_s"]) if "cpu_s" in status else _rusage_cpu(pump.rusage)
    wall = float(status["wall_s"]) if "wall_s" in status and not wall_hit else elapsed
    cpu_hit = sig in (signal.SIGXCPU,) or (sig == signal.SIGKILL and cpu >= float(limits.cpu_s) - 0.05)
    timed_out = wall_hit or bool(cpu_hit)
    rss_mb = float(status.get("maxrss_kb", 0)) / 1024
    failed = exit_code != 0 or sig is not None
    memory = (
        failed
        and not timed_out
        and (bool(_MEMORY_PATTERN.search(stderr[-4096:])) or rss_mb >= 0.95 * float(limits.memory_mb))
    )
    mech = tuple(status.get("isolation") or ())
    return SandboxResult(
        exit_code=exit_code,
        signal=int(sig) if sig is not None else None,
        timed_out=timed_out,
        memory_exceeded=bool(memory),
        output_truncated=pump.truncated,
        stdout=stdout,
        stderr=stderr,
        wall_s=wall,
        cpu_s=cpu,
        network_isolated="network-namespace" in mech,
        isolation=mech,
        max_rss_mb=rss_mb,
        error=error,
        limits=asdict(limits),
    )


def killed_at_deadline(deadline_passed: bool, status: Mapping[str, Any]) -> bool:
    """Whether the wall-clock limit ended the program: the deadline passed while the supervisor was still
    running, and the program did not exit by itself (its report has no exit code: it was SIGKILLed, or
    there is no report). A program that exited just before the deadline, while its supervisor was still
    reporting, keeps its exit status."""
    if not deadline_passed:
        return False
    if "exit_code" in status:
        return False
    return status.get("signal", signal.SIGKILL) == signal.SIGKILL


def _rusage_cpu(ru: Any) -> float:
    return float(ru.ru_utime + ru.ru_stime) if ru is not None else 0.0


def run_command(
    argv: Sequence[str],
    *,
    stdin: str | bytes = "",
    limits: Limits = Limits(),  # noqa: B008 - frozen
    files: Mapping[str, str | bytes] | None = None,
    read_paths: Sequence[str] = (),
    export: Mapping[str, str | os.PathLike[str]] | None = None,
    _disable: Sequence[str] = (),
) -> SandboxResult:
    """Run ``argv`` (found on the sandbox's PATH, or an absolute path) in a fresh sandbox directory.

    ``files`` are written into the working directory first (str as UTF-8 text, bytes as an executable).
    ``read_paths``: extra files/directories the program may read (e.g. a compiled binary's folder).
    ``export``: {file in the working directory: destination} copied out after the run when the program
    left a regular file there (a compiler's output); links and oversized files are not copied.
    ``_disable`` (tests only): mechanisms to leave out, from "namespaces", "mount", "landlock", "scope",
    "seccomp", "uid" (for a root caller "uid" means a typed error: the program never runs as root).
    """
    return _execute(
        argv,
        stdin=stdin,
        limits=limits,
        files=files,
        read_paths=read_paths,
        guarded_argv=None,
        disable=_disable,
        export=export,
    )


def run_python(
    code: str,
    *,
    stdin: str | bytes = "",
    limits: Limits = Limits(),  # noqa: B008 - frozen
    files: Mapping[str, str | bytes] | None = None,
    args: Sequence[str] = (),
    python: str | None = None,
    read_paths: Sequence[str] = (),
    _disable: Sequence[str] = (),
) -> SandboxResult:
    """Run Python ``code`` as ``main.py`` (``python -s -B main.py *args``) in a fresh sandbox.

    ``python`` defaults to this interpreter (so the packages of its environment are importable). Not
    ``-I``/``-S``: the script's folder stays on sys.path (helper modules in ``files`` import) and the
    environment's site-packages stay available; the environment is scrubbed instead. Where no network
    namespace can be made, the interpreter also gets an audit hook that refuses internet sockets.
    """
    if files and "main.py" in files:
        raise ValueError("files may not contain 'main.py': run_python writes the code there")
    exe = python or sys.executable
    all_files = {**(files or {}), "main.py": code}
    argv = [exe, "-s", "-B", "main.py", *args]
    guarded = [exe, "-s", "-B", "-c", _GUARD, "main.py", *args]
    return _execute(
        argv, stdin=stdin, limits=limits, files=all_files, read_paths=read_paths, guarded_argv=guarded, disable=_disable
    )
