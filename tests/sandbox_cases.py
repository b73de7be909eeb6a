"""Sandbox test cases: run modes, unique tokens and the host-side checks that a run left nothing behind.

Every adversarial case runs real programs in the real sandbox. "Nothing behind" is checked on the host: no
process whose argv carries the case's unique token, no file at any path the program tried to write outside its
directory, and the sandbox directory itself deleted. Some cases also run with mechanisms switched off
(``_disable``) to show that the fallbacks (Landlock, the Python socket guard) hold on machines without
namespaces, such as CI runners that forbid unprivileged user namespaces (as root, those programs run
with a system interpreter: a root caller's program runs as a fresh uid, which cannot enter /root without
a mount namespace). Each case is bounded: wall limits of 1-10 s, plus the supervisor's 2 s stop grace
at most.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

import pytest

from assay.sandbox import SandboxResult
from assay.sandbox.hostfs import hidden_ancestor

# "full": everything this machine allows; "no-namespaces": Landlock + rlimits + Python guard only;
# "no-landlock": namespaces + read-only mounts only.
MODES = {"full": (), "no-namespaces": ("namespaces",), "no-landlock": ("landlock",)}
SLACK_S = 2.0 + 3.0  # the stop grace + a loaded machine


def python_for(disable: tuple[str, ...]) -> str | None:
    """The interpreter a program of this mode can run (None: this one).

    A root caller's program runs as a fresh uid, never as root; without a mount namespace nothing shows
    that uid an interpreter under a 0700 home (this one, under /root), so a system interpreter is used.
    """
    if os.geteuid() != 0 or "namespaces" not in disable or not hidden_ancestor(os.path.realpath(sys.executable)):
        return None
    for cand in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.path.exists(cand) and hidden_ancestor(os.path.realpath(cand)) is None:
            return cand
    pytest.skip("root without namespaces: no interpreter a fresh uid can run (the program is never run as root)")


def new_token() -> str:
    return f"1000.{secrets.randbelow(10**9):09d}"  # also a valid `sleep` argument


def procs_with(token: str) -> list[int]:
    """Host pids whose argv has ``token`` as one whole argument."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            argv = Path(f"/proc/{name}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if token.encode() in argv:
            found.append(int(name))
    return found


def assert_nothing_left(token: str, res: SandboxResult | None = None) -> None:
    deadline = time.monotonic() + 3
    while procs_with(token) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert procs_with(token) == [], "a sandboxed process outlived its run"
    if res is not None:
        for line in res.stdout.splitlines():
            if line.startswith("CWD "):
                assert not Path(line[4:]).parent.exists(), "the sandbox directory was not removed"


def remove_files(paths: list[str]) -> None:
    for p in paths:
        target = os.path.normpath(os.path.join(tempfile_root(), "..", p)) if not os.path.isabs(p) else p
        if os.path.isfile(os.path.normpath(target)):
            os.unlink(os.path.normpath(target))


def tempfile_root() -> str:
    return os.path.join(tempfile.gettempdir(), "assay-sandbox-")
