"""Feeding and draining a supervisor's pipes: stdin in, stdout/stderr out with a cap, a deadline."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import time
from typing import Any

from assay.sandbox import pool
from assay.sandbox.limits import Limits

STOP_GRACE_S = 2.0  # after a limit, the supervisor has this long to kill the program and report


def killpg(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class Pump:
    """Feeds stdin and drains stdout/stderr of the supervisor, with a per-stream cap and a deadline."""

    def __init__(self, proc: subprocess.Popen[bytes], stdin: bytes, limits: Limits) -> None:
        self.proc = proc
        self.cap = int(limits.output_bytes)
        self.out = {"stdout": bytearray(), "stderr": bytearray()}
        self.truncated = False
        self.timed_out = False
        self.cancelled = False
        self.wait_status: int | None = None
        self.hard_deadline: float | None = None
        self.rusage: Any = None
        self.sel = selectors.DefaultSelector()
        assert proc.stdin and proc.stdout and proc.stderr
        for name, f in (("stdout", proc.stdout), ("stderr", proc.stderr)):
            os.set_blocking(f.fileno(), False)
            self.sel.register(f.fileno(), selectors.EVENT_READ, name)
        self.stdin = memoryview(stdin)
        self.stdin_fd: int | None = proc.stdin.fileno()
        self.stdin_registered = False
        if stdin:
            os.set_blocking(self.stdin_fd, False)
            self.sel.register(self.stdin_fd, selectors.EVENT_WRITE, "stdin")
            self.stdin_registered = True
        else:
            self._close_stdin()

    def _close_stdin(self) -> None:
        if self.stdin_fd is None:
            return
        if self.stdin_registered:
            self.sel.unregister(self.stdin_fd)
            self.stdin_registered = False
        assert self.proc.stdin
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        self.stdin_fd = None

    def _reap(self, block: bool) -> bool:
        if self.wait_status is not None:
            return True
        pid, st, ru = os.wait4(self.proc.pid, 0 if block else os.WNOHANG)
        if pid == 0:
            return False
        self.wait_status, self.rusage = st, ru
        self.proc.returncode = os.waitstatus_to_exitcode(st)
        return True

    def _stop(self, now: float) -> None:
        """Ask the supervisor to kill the program (so it still reports times); force it after a grace."""
        if self.hard_deadline is None:
            try:
                os.kill(self.proc.pid, signal.SIGUSR1)
            except ProcessLookupError:
                pass
            self.hard_deadline = now + STOP_GRACE_S

    def run(self, deadline: float) -> None:
        exited_at: float | None = None
        while True:
            now = time.monotonic()
            if pool.cancelled() and not self.cancelled:
                self.cancelled = True
                self._stop(now)
            if now >= deadline and not self.timed_out and not self.cancelled and self.wait_status is None:
                self.timed_out = True
                self._stop(now)
            if self.truncated:
                self._stop(now)
            if self.hard_deadline is not None and now >= self.hard_deadline and self.wait_status is None:
                killpg(self.proc.pid)
            if exited_at is None and self._reap(block=False):
                exited_at = now
            readers = [k for k in self.sel.get_map().values() if k.data != "stdin"]
            if exited_at is not None and (not readers or now - exited_at > 0.5):
                return  # gone; anything still holding a pipe is killed by the sweep
            if not self.sel.get_map():
                time.sleep(0.005)
                continue
            for key, _ev in self.sel.select(timeout=0.05):
                if key.data == "stdin":
                    self._feed()
                else:
                    self._drain(key.fd, key.data)

    def _feed(self) -> None:
        assert self.stdin_fd is not None
        try:
            n = os.write(self.stdin_fd, self.stdin[:65536])
        except BlockingIOError:
            return
        except OSError:  # the program closed its stdin or ended: the rest is not wanted
            self._close_stdin()
            return
        self.stdin = self.stdin[n:]
        if not self.stdin:
            self._close_stdin()

    def _drain(self, fd: int, name: str) -> None:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self.sel.unregister(fd)
            return
        buf = self.out[name]
        room = self.cap - len(buf)
        if len(chunk) > room:
            buf += chunk[: max(room, 0)]
            self.truncated = True  # run() stops the program; the rest is read and dropped
        else:
            buf += chunk


def read_status(fd: int) -> dict[str, Any]:
    chunks = []
    while True:
        try:
            b = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not b:
            break
        chunks.append(b)
    for line in reversed(b"".join(chunks).decode("utf-8", "replace").splitlines()):
        try:
            d = json.loads(line)
        except ValueError:
            continue
        if isinstance(d, dict):
            return d
    return {}
