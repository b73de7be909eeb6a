"""The sandbox's API: typed results, limits, files/stdin/args, the shared pool, and ``assay sandbox run``."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
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


def test_cancel_token_stops_running_programs() -> None:
    from assay.sandbox import pool

    out: dict[str, object] = {}
    token = pool.CancelToken()

    def target() -> None:
        try:
            with pool.cancel_scope(token):
                run_python("import time\ntime.sleep(30)", limits=Limits(wall_s=30))
        except KeyboardInterrupt:
            out["cancelled"] = True

    t = threading.Thread(target=target)
    t0 = time.monotonic()
    t.start()
    time.sleep(0.5)
    token.cancel()
    t.join(10)
    assert out.get("cancelled") and time.monotonic() - t0 < 8


@pytest.mark.skipif(cores() < 2, reason="needs two pool workers to run both calls at once")
def test_a_failing_run_many_does_not_cancel_another() -> None:
    """Each run_many has its own cancel token: one failing (in another thread, another benchmark) leaves
    the programs of the other running."""
    out: dict[str, object] = {}
    long_started = threading.Event()

    def long_job() -> SandboxResult:
        long_started.set()
        return run_python("import time\ntime.sleep(2)\nprint('done')", limits=Limits(wall_s=20))

    def quick() -> SandboxResult:
        return run_python("print('q')")

    def bad() -> SandboxResult:
        time.sleep(0.5)  # while the other call's long program runs
        raise RuntimeError("boom")

    def first() -> None:
        try:
            out["first"] = run_many([long_job, quick])
        except BaseException as e:  # noqa: BLE001 - recorded for the assertion
            out["first"] = e

    def second() -> None:
        try:
            run_many([bad, quick])
        except BaseException as e:  # noqa: BLE001 - recorded for the assertion
            out["second"] = e

    a = threading.Thread(target=first)
    a.start()
    assert long_started.wait(20)
    time.sleep(0.3)
    b = threading.Thread(target=second)
    b.start()
    b.join(30)
    a.join(30)
    assert isinstance(out["second"], RuntimeError)
    results = out["first"]
    assert isinstance(results, list), results
    assert [r.stdout for r in results] == ["done\n", "q\n"] and all(r.ok for r in results)


# --------------------------------------------------------------------------------------- timeouts, fds


def test_timeout_only_when_the_program_was_killed_at_the_deadline() -> None:
    from types import SimpleNamespace

    from assay.sandbox.runner import _result, killed_at_deadline

    assert killed_at_deadline(True, {"signal": int(signal.SIGKILL)})
    assert killed_at_deadline(True, {})  # no report: ended by the caller's kill
    assert not killed_at_deadline(True, {"exit_code": 0})  # exited just before, still reporting
    assert not killed_at_deadline(True, {"exit_code": 3})
    assert not killed_at_deadline(True, {"signal": int(signal.SIGSEGV)})
    assert not killed_at_deadline(False, {"signal": int(signal.SIGKILL)})

    def pump() -> SimpleNamespace:
        return SimpleNamespace(
            out={"stdout": bytearray(b"hi\n"), "stderr": bytearray()},
            timed_out=True,  # the caller's deadline passed before the supervisor had exited
            truncated=False,
            wait_status=0,
            rusage=None,
        )

    report = {"cpu_s": 0.2, "wall_s": 0.98, "maxrss_kb": 9000, "isolation": []}
    lim = Limits(wall_s=1, cpu_s=5)
    exited = _result({**report, "exit_code": 0}, pump(), lim, 1.05)  # type: ignore[arg-type]
    assert exited.ok and not exited.timed_out and exited.status == "ok" and exited.wall_s == 0.98
    killed = _result({**report, "signal": int(signal.SIGKILL), "wall_s": 1.0}, pump(), lim, 1.05)  # type: ignore[arg-type]
    assert killed.timed_out and killed.status == "timeout" and killed.wall_s == 1.05
    silent = _result({}, pump(), lim, 1.05)  # type: ignore[arg-type]
    assert silent.timed_out and silent.signal == signal.SIGKILL and silent.error is None


def _open_fds() -> list[str]:
    return sorted(os.listdir("/proc/self/fd"))


def test_no_fd_or_process_leak_when_the_supervisor_cannot_start(monkeypatch: pytest.MonkeyPatch) -> None:
    from assay.sandbox import runner

    run_python("pass")  # warm up (lazy imports, the pool's semaphore)
    before = _open_fds()

    def no_popen(*_a: object, **_k: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    with monkeypatch.context() as m:
        m.setattr(runner.subprocess, "Popen", no_popen)
        with pytest.raises(OSError, match="temporarily"):
            run_python("print(1)")
    assert _open_fds() == before


def test_no_fd_or_process_leak_when_the_pump_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from assay.sandbox import runner

    run_python("pass")
    before = _open_fds()
    token = f"{secrets.randbelow(10**9) + 1000}.5"

    class BrokenPump:
        def __init__(self, *_a: object, **_k: object) -> None:
            time.sleep(0.5)  # the supervisor has started the program by now
            raise RuntimeError("pump failed")

    monkeypatch.setattr(runner, "Pump", BrokenPump)
    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match="pump failed"):
        run_command(["sleep", token], limits=Limits(wall_s=30, cpu_s=30))
    assert time.monotonic() - t0 < 10  # the supervisor was killed, not waited for
    assert _open_fds() == before
    assert not [p for p in os.listdir("/proc") if p.isdigit() and _cmdline_has(p, token)]


def _cmdline_has(pid: str, token: str) -> bool:
    try:
        return token.encode() in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False


# ------------------------------------------------------------------------------------------------ export


def test_export_never_follows_a_linked_directory(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "prog").write_text("a file of the caller")
    res = run_command(
        ["sh", "-c", f"ln -s {outside} linked && ln -s {outside / 'prog'} direct && mkdir real && echo ok > real/prog"],
        export={"linked/prog": tmp_path / "a", "direct": tmp_path / "b", "real/prog": tmp_path / "c"},
    )
    assert res.ok, (res.error, res.stderr)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    assert (tmp_path / "c").read_text() == "ok\n"
    with pytest.raises(ValueError, match="inside"):
        run_command(["true"], export={"../x": tmp_path / "d"})


# --------------------------------------------------------------------------------------------- fresh uids


def test_fresh_ids_come_from_the_mapped_ranges() -> None:
    from assay.sandbox.hostfs import FRESH_ID_RANGE, pick_fresh_id

    full = "         0          0 4294967295\n"
    got = pick_fresh_id(full, full, set())
    assert got is not None and FRESH_ID_RANGE[0] <= got < FRESH_ID_RANGE[1]
    assert pick_fresh_id("0 0 1\n", "0 0 1\n", set()) is None  # unshare --map-root-user
    container = "0 100000 65536\n"
    for _ in range(20):
        got = pick_fresh_id(container, container, set())
        assert got is not None and 1000 <= got < 65534
    # mapped as uid and as gid, and not taken by another run
    assert pick_fresh_id("0 0 1\n70000 500000 1\n", "0 0 1\n70000 600000 1\n", set()) == 70000
    assert pick_fresh_id("0 0 1\n70000 500000 1\n", "0 0 1\n", set()) is None
    assert pick_fresh_id("0 0 1\n70000 500000 1\n", "0 0 1\n70000 600000 1\n", {70000}) is None


RUN_AND_PRINT = (
    "import json\nfrom assay.sandbox import run_python\n"
    "print(json.dumps(run_python('import os; print(os.getuid())').to_json()), flush=True)\n"
)


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1)")
def test_root_mapped_user_namespace_gives_a_typed_error() -> None:
    """``unshare --user --map-root-user`` maps only uid 0: there is no uid to run the program as."""
    p = subprocess.run(
        ["unshare", "--user", "--map-root-user", sys.executable, "-c", RUN_AND_PRINT],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if p.returncode != 0 and "unshare" in p.stderr and "Traceback" not in p.stderr:
        pytest.skip(f"user namespaces are not available here: {p.stderr.strip()}")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout.splitlines()[-1])
    assert out["status"] == "error" and out["stdout"] == "" and out["exit_code"] is None
    assert "no unused uid is mapped" in out["error"]


@pytest.mark.skipif(os.geteuid() != 0, reason="mapping a range of uids into a user namespace needs root")
def test_user_namespace_with_a_range_of_uids_runs_as_one_of_them() -> None:
    script = textwrap.dedent(
        """
        import ctypes, json, os, sys
        libc = ctypes.CDLL(None, use_errno=True)
        r1, w1 = os.pipe()
        r2, w2 = os.pipe()
        pid = os.fork()
        if pid == 0:
            ok = libc.unshare(0x10000000) == 0  # CLONE_NEWUSER
            os.write(w1, b"k" if ok else b"e")
            if not ok:
                os._exit(3)
            os.read(r2, 1)
            from assay.sandbox import run_python
            res = run_python("import os\\nprint(os.getuid())")
            print(json.dumps(res.to_json()), flush=True)
            os._exit(0)
        if os.read(r1, 1) != b"k":
            sys.exit("unshare failed")
        for name in ("uid_map", "gid_map"):
            with open(f"/proc/{pid}/{name}", "w") as f:
                f.write("0 0 1\\n1000 2000000000 60000\\n")
        os.write(w2, b"g")
        sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
        """
    )
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    if "unshare failed" in p.stderr:
        pytest.skip("user namespaces are not available here")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout.splitlines()[-1])
    assert out["ok"], out
    assert 1000 <= int(out["stdout"]) < 61000  # an id of the mapped range, not 0, not an unmapped one


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
