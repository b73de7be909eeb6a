"""Sandbox cleanup: daemons, a program killing its parent or caller, interrupted callers, and what is left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from assay.sandbox import Limits, describe, run_python
from sandbox_cases import assert_nothing_left, new_token, procs_with

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox runs on Linux")


@pytest.fixture(scope="module")
def isolation() -> dict[str, object]:
    return describe()


@pytest.mark.parametrize("keep_stdout", [False, True], ids=["detached", "holding-stdout"])
def test_daemon_that_outlives_its_parent_is_killed(keep_stdout: bool) -> None:
    token = new_token()
    detach = "" if keep_stdout else "for fd in (0, 1, 2):\n            os.close(fd)\n"
    code = (
        "import os\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f"        {detach}"
        f"        os.execv('/bin/sleep', ['sleep', '{token}'])\n"
        "    os._exit(0)\n"
        "os.wait()\n"
        "print('parent done')\n"
    )
    t0 = time.monotonic()
    res = run_python(code, limits=Limits(wall_s=10))
    assert res.ok and res.stdout == "parent done\n"
    assert time.monotonic() - t0 < 5  # the run ends with its program, not with the daemon
    assert_nothing_left(token)


def test_killing_the_parent_does_not_escape_or_hang(isolation: dict[str, object]) -> None:
    token = new_token()
    code = textwrap.dedent(
        f"""
        import os, signal, time
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGKILL):
            try:
                os.kill(os.getppid(), sig)
                print("sent", int(sig))
            except OSError as e:
                print("refused", int(sig), e.errno)
        try:
            os.kill({os.getpid()}, 0)  # the caller: must be out of reach
            print("CALLER REACHABLE")
        except OSError as e:
            print("caller unreachable", e.errno)
        if os.fork() == 0:
            os.execv("/bin/sleep", ["sleep", "{token}"])
        time.sleep(0.2)
        print("still here")
        """
    )
    res = run_python(code, limits=Limits(wall_s=5))
    assert "CALLER REACHABLE" not in res.stdout
    assert not res.timed_out  # neither hung nor escaped
    if set(isolation["isolation"]) & {"pid-namespace", "landlock-scope", "unprivileged-uid"}:  # type: ignore[arg-type]
        assert res.error is None and res.stdout.endswith("still here\n")  # the supervisor is out of reach
    else:  # a same-uid supervisor without a pid namespace can be killed: reported, never silent
        assert res.error is None or "supervisor" in res.error
    assert_nothing_left(token)


def test_signal_to_itself_is_reported() -> None:
    res = run_python("import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n")
    assert res.signal == signal.SIGTERM and res.exit_code is None and res.status == "signal"


def _interrupted_caller(how: signal.Signals) -> None:
    token = new_token()
    script = textwrap.dedent(
        f"""
        from assay.sandbox import Limits, run_command
        print("ready", flush=True)
        run_command(["sleep", "{token}"], limits=Limits(wall_s=60, cpu_s=60))
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 10
        while not procs_with(token):
            assert time.monotonic() < deadline, "the sandboxed sleep never started"
            time.sleep(0.02)
        # the sandbox directory: the sleep's working directory is its work/ folder
        folder = Path(os.readlink(f"/proc/{procs_with(token)[0]}/cwd")).parent
        assert folder.name.startswith("assay-sandbox-") and folder.is_dir()
        proc.send_signal(how)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert_nothing_left(token)
    deadline = time.monotonic() + 5
    while folder.exists() and time.monotonic() < deadline:  # removed by the orphaned supervisor
        time.sleep(0.05)
    assert not folder.exists(), "the sandbox directory outlived its caller"


def test_interrupted_caller_kills_its_sandboxes() -> None:
    _interrupted_caller(signal.SIGINT)


def test_killed_caller_leaves_no_sandboxed_process() -> None:
    _interrupted_caller(signal.SIGKILL)
