"""Sandbox resource bombs: endless loops, fork bombs, memory, output and recursion, each stopped within its limits."""

from __future__ import annotations

import signal
import sys
import textwrap
import time

import pytest

from assay.sandbox import Limits, run_python
from sandbox_cases import MODES, SLACK_S, assert_nothing_left, new_token, python_for

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox runs on Linux")


def test_infinite_loop_is_stopped_by_the_wall_clock() -> None:
    token = new_token()
    t0 = time.monotonic()
    res = run_python("while True:\n    pass\n", args=[token], limits=Limits(wall_s=2, cpu_s=30))
    elapsed = time.monotonic() - t0
    assert res.timed_out and not res.ok and res.status == "timeout"
    assert res.signal == signal.SIGKILL and res.exit_code is None
    assert 2.0 <= elapsed < 2 + SLACK_S
    assert res.cpu_s > 0.05  # it did spin, and the report of its CPU time survived the kill
    assert_nothing_left(token)


def test_cpu_limit_ends_a_busy_loop_before_the_wall_clock() -> None:
    res = run_python("while True:\n    pass\n", limits=Limits(wall_s=30, cpu_s=1))
    assert res.timed_out and res.signal in (signal.SIGXCPU, signal.SIGKILL)
    assert 0.8 <= res.cpu_s < 3
    assert res.wall_s < 30


def test_sleeping_program_times_out() -> None:
    res = run_python("import time\ntime.sleep(60)\n", limits=Limits(wall_s=1))
    assert res.timed_out and res.wall_s < 1 + SLACK_S
    assert res.cpu_s < 0.9  # asleep, not spinning


@pytest.mark.parametrize("mode", ["full", "no-namespaces"])
def test_fork_bomb_is_contained(mode: str) -> None:
    token = new_token()
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    t0 = time.monotonic()
    res = run_python(
        code,
        args=[token],
        limits=Limits(wall_s=3, max_processes=32),
        _disable=MODES[mode],
        python=python_for(MODES[mode]),
    )
    assert res.error is None and res.timed_out and not res.ok
    assert "rlimit-nproc" in res.isolation  # the bound that holds whatever else is missing
    assert time.monotonic() - t0 < 3 + SLACK_S
    assert_nothing_left(token)


def test_process_limit_refuses_forks_past_it() -> None:
    token = new_token()
    code = textwrap.dedent(
        """
        import os, time
        n = 0
        try:
            for _ in range(500):
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
                n += 1
        except OSError as e:
            print("blocked after", n, e.errno)
        """
    )
    res = run_python(code, args=[token], limits=Limits(wall_s=5, max_processes=16))
    assert res.ok, res.stderr
    words = res.stdout.split()
    assert words[:2] == ["blocked", "after"]
    assert int(words[2]) < 16  # never more processes than the limit
    assert int(words[3]) == 11  # EAGAIN
    assert_nothing_left(token)  # the 15 sleepers were killed when the program ended


@pytest.mark.parametrize(
    "code",
    ["x = bytearray(4 * 1024**3)\n", "chunks = []\nwhile True:\n    chunks.append(b'x' * 10**7)\n"],
    ids=["one-allocation", "growing"],
)
def test_memory_bomb_is_contained(code: str) -> None:
    res = run_python(code, limits=Limits(wall_s=10, memory_mb=256))
    assert res.memory_exceeded and not res.ok and res.status == "memory"
    assert "MemoryError" in res.stderr
    if "growing" in code or "chunks" in code:  # it filled the address space before failing
        assert 128 <= res.max_rss_mb <= 256
    else:  # refused up front: the 4 GB were never resident
        assert 0 < res.max_rss_mb < 128


def test_huge_output_is_cut_and_the_program_stopped() -> None:
    res = run_python("while True:\n    print('x' * 1000)\n", limits=Limits(wall_s=10, output_bytes=50_000))
    assert res.output_truncated and not res.ok and res.status == "output_limit"
    assert len(res.stdout) == 50_000
    assert not res.timed_out and res.wall_s < 5


def test_huge_stderr_is_cut_too() -> None:
    res = run_python("import sys\nwhile True:\n    sys.stderr.write('e' * 4096)\n", limits=Limits(output_bytes=10_000))
    assert res.output_truncated and len(res.stderr) == 10_000


@pytest.mark.parametrize(
    "code",
    [
        "def f(n):\n    return f(n + 1)\nf(0)\n",
        "import sys\nsys.setrecursionlimit(10**5)\ndef f(n):\n    return f(n + 1)\nf(0)\n",
        "import sys, json\nsys.setrecursionlimit(10**7)\nx = []\nfor _ in range(10**6):\n    x = [x]\njson.dumps(x)\n",
    ],
    ids=["default-limit", "raised-limit", "c-recursion"],
)
def test_deep_recursion_is_contained(code: str) -> None:
    t0 = time.monotonic()
    res = run_python(code, limits=Limits(wall_s=8, memory_mb=512))
    assert not res.ok
    assert res.exit_code == 1 or res.signal is not None or res.timed_out
    assert time.monotonic() - t0 < 8 + SLACK_S
    assert res.error is None
