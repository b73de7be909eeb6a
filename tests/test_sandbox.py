"""The sandbox's API: typed results, limits, files/stdin/args, the shared pool, and ``assay sandbox run``."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.sandbox import ISOLATION_MECHANISMS, Limits, SandboxResult, cores, run_command, run_many, run_python

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox runs on Linux")


def test_stdout_stderr_exit_code_and_times() -> None:
    res = run_python("import sys\nprint('out')\nprint('err', file=sys.stderr)\nsys.exit(3)\n")
    assert (res.exit_code, res.signal, res.stdout, res.stderr) == (3, None, "out\n", "err\n")
    assert not res.ok and res.status == "exit" and not res.timed_out and not res.memory_exceeded
    assert 0 < res.wall_s < 10 and 0 <= res.cpu_s < 10
    assert set(res.isolation) <= set(ISOLATION_MECHANISMS)


def test_ok_program() -> None:
    res = run_python("print(sum(range(10)))")
    assert res.ok and res.status == "ok" and res.stdout == "45\n" and res.error is None


def test_stdin_files_and_args_reach_the_program() -> None:
    code = "import sys, helper\nprint(helper.twice(sys.stdin.read().strip()), sys.argv[1:], open('data/x.txt').read())"
    res = run_python(
        code,
        stdin="abc\n",
        files={"helper.py": "def twice(s):\n    return s * 2\n", "data/x.txt": "X"},
        args=["--flag", "v"],
    )
    assert res.ok, res.stderr
    assert res.stdout == "abcabc ['--flag', 'v'] X\n"


def test_large_stdin_and_stdout_do_not_deadlock() -> None:
    data = "".join(f"{i}\n" for i in range(300_000))  # ~2 MB each way, far past the pipe buffers
    res = run_python(
        "import sys\nsys.stdout.write(sys.stdin.read())", stdin=data, limits=Limits(output_bytes=4_000_000)
    )
    assert res.ok and res.stdout == data


def test_program_that_ignores_its_stdin() -> None:
    res = run_python("print('no read')", stdin="x" * 1_000_000)
    assert res.ok and res.stdout == "no read\n"


def test_bytes_stdin_and_non_utf8_output() -> None:
    res = run_python("import sys\nsys.stdout.buffer.write(sys.stdin.buffer.read() + b'\\xff')", stdin=b"\x00ab")
    assert res.ok and res.stdout == "\x00ab\ufffd"


def test_run_command_and_missing_program() -> None:
    res = run_command(["sh", "-c", "echo $HOME; exit 4"])
    assert res.exit_code == 4 and "assay-sandbox-" in res.stdout
    missing = run_command(["no-such-program-anywhere"])
    assert missing.status == "error" and "No such file" in (missing.error or "") and not missing.ok


def test_signal_ends_program() -> None:
    res = run_command(["sh", "-c", "kill -KILL $$"])
    assert res.signal == signal.SIGKILL and res.exit_code is None and not res.timed_out


def test_file_size_limit() -> None:
    code = (
        "f = open('big', 'wb')\ntry:\n    f.write(b'x' * (3 * 1024 * 1024))\n    f.flush()\n"
        "except OSError as e:\n    print('EFBIG', e.errno)"
    )
    res = run_python(code, limits=Limits(file_size_mb=1))
    assert res.stdout.startswith("EFBIG 27"), (res.stdout, res.stderr)


def test_open_files_limit() -> None:
    code = (
        "fs = []\ntry:\n    while True:\n        fs.append(open('f%d' % len(fs), 'w'))\n"
        "except OSError as e:\n    print(len(fs), e.errno)"
    )
    res = run_python(code, limits=Limits(open_files=20))
    n, errno = res.stdout.split()
    assert int(n) < 20 and errno == "24"  # EMFILE


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="wall_s"):
        Limits(wall_s=0)
    with pytest.raises(ValueError, match="open_files"):
        Limits(open_files=2)
    with pytest.raises(ValueError, match="memory_mb"):
        Limits(memory_mb=0)


def test_file_names_must_stay_inside() -> None:
    with pytest.raises(ValueError, match="inside"):
        run_python("pass", files={"../x": "no"})
    with pytest.raises(ValueError, match="main.py"):
        run_python("pass", files={"main.py": "no"})


def test_result_json_round_trip() -> None:
    res = run_python("print('x')")
    d = res.to_json()
    assert json.loads(json.dumps(d)) == d
    assert d["ok"] is True and d["status"] == "ok" and d["signal_name"] is None
    back = SandboxResult.from_json(d)
    assert back.stdout == res.stdout and back.isolation == res.isolation and back.ok


def test_hash_seed_is_fixed_so_runs_reproduce() -> None:
    code = "print(list({'alpha', 'beta', 'gamma', 'delta', 'epsilon'}))"
    assert run_python(code).stdout == run_python(code).stdout


def test_each_run_gets_a_fresh_directory() -> None:
    first = run_python("import os\nopen('left.txt', 'w').write('x')\nprint(os.getcwd())")
    second = run_python("import os\nprint(os.path.exists('left.txt'), os.getcwd())")
    assert first.ok and second.ok
    assert second.stdout.split()[0] == "False"
    assert first.stdout.strip() != second.stdout.split()[1]
    assert not Path(first.stdout.strip()).exists()


def test_run_many_keeps_order_and_bounds_concurrency() -> None:
    code = "import time\nprint(time.time())\ntime.sleep(0.4)\nprint(time.time())"
    jobs = [lambda i=i: run_python(code + f"\nprint({i})") for i in range(2 * cores() + 1)]
    results = run_many(jobs)
    assert [int(r.stdout.split()[2]) for r in results] == list(range(len(jobs)))
    spans = [(float(r.stdout.split()[0]), float(r.stdout.split()[1])) for r in results]
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    assert 1 <= peak <= cores()


def test_run_many_nested_runs_inline() -> None:
    def job() -> SandboxResult:
        inner = run_many([lambda: run_python("print(1)"), lambda: run_python("print(2)")])
        return inner[1]

    assert [r.stdout for r in run_many([job, job])] == ["2\n", "2\n"]


def test_run_many_propagates_errors() -> None:
    def bad() -> SandboxResult:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        run_many([lambda: run_python("print(1)"), bad])


def test_cancel_event_stops_running_programs() -> None:
    import threading

    from assay.sandbox import pool

    out: dict[str, object] = {}

    def target() -> None:
        try:
            run_python("import time\ntime.sleep(30)", limits=Limits(wall_s=30))
        except KeyboardInterrupt:
            out["cancelled"] = True

    t = threading.Thread(target=target)
    t0 = time.monotonic()
    t.start()
    time.sleep(0.5)
    pool.cancel_event.set()
    try:
        t.join(10)
    finally:
        pool.cancel_event.clear()
    assert out.get("cancelled") and time.monotonic() - t0 < 8


# ---------------------------------------------------------------------------------------------------- CLI


def test_cli_sandbox_run_prints_the_typed_result(tmp_path: Path) -> None:
    from assay.cli import app

    prog = tmp_path / "prog.py"
    prog.write_text("import sys\nprint(sys.stdin.read().upper(), end='')\n")
    data = tmp_path / "in.txt"
    data.write_text("hello")
    res = CliRunner().invoke(app, ["sandbox", "run", str(prog), "--stdin", str(data), "--timeout", "5"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["stdout"] == "HELLO" and out["ok"] and out["limits"]["wall_s"] == 5.0


def test_cli_sandbox_run_reports_timeout_and_memory(tmp_path: Path) -> None:
    from assay.cli import app

    prog = tmp_path / "loop.py"
    prog.write_text("import time\ntime.sleep(30)\n")
    out = json.loads(CliRunner().invoke(app, ["sandbox", "run", str(prog), "--timeout", "1"]).stdout)
    assert out["timed_out"] and out["status"] == "timeout"
    prog.write_text("x = bytearray(1024**3)\n")
    out = json.loads(CliRunner().invoke(app, ["sandbox", "run", str(prog), "--memory", "128"]).stdout)
    assert out["memory_exceeded"] and out["status"] == "memory"


def test_cli_sandbox_run_executable_and_bad_usage(tmp_path: Path) -> None:
    from assay.cli import app

    exe = tmp_path / "hello.sh"
    exe.write_text('#!/bin/sh\necho shell "$1"\n')
    exe.chmod(0o755)
    res = CliRunner().invoke(app, ["sandbox", "run", str(exe), "--arg", "x"])
    assert json.loads(res.stdout)["stdout"] == "shell x\n"
    missing = CliRunner().invoke(app, ["sandbox", "run", str(tmp_path / "nope.py")])
    assert missing.exit_code == 2
    plain = tmp_path / "data.txt"
    plain.write_text("x")
    os.chmod(plain, 0o644)
    assert CliRunner().invoke(app, ["sandbox", "run", str(plain)]).exit_code == 2


def test_cli_sandbox_info() -> None:
    from assay.cli import app

    res = CliRunner().invoke(app, ["sandbox", "info"])
    assert res.exit_code == 0
    info = json.loads(res.stdout)
    assert set(info["isolation"]) <= set(ISOLATION_MECHANISMS) and info["cores"] == cores()
