"""Adversarial programs: each must end within its limits and leave nothing behind (no process, no file).

Every case runs real programs in the real sandbox. "Nothing behind" is checked on the host: no process
whose argv carries the case's unique token, no file at any path the program tried to write outside its
directory, and the sandbox directory itself deleted. Some cases also run with mechanisms switched off
(``_disable``) to show that the fallbacks (Landlock, the Python socket guard) hold on machines without
namespaces, such as CI runners that forbid unprivileged user namespaces (as root, those programs run
with a system interpreter: a root caller's program runs as a fresh uid, which cannot enter /root without
a mount namespace). Each case is bounded: wall limits of 1-10 s, plus the supervisor's 2 s stop grace
at most.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from assay.sandbox import Limits, SandboxResult, describe, run_python
from assay.sandbox.hostfs import hidden_ancestor

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox runs on Linux")

# "full": everything this machine allows; "no-namespaces": Landlock + rlimits + Python guard only;
# "no-landlock": namespaces + read-only mounts only.
MODES = {"full": (), "no-namespaces": ("namespaces",), "no-landlock": ("landlock",)}
SLACK_S = 2.0 + 3.0  # the stop grace + a loaded machine


def _python_for(disable: tuple[str, ...]) -> str | None:
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


def _token() -> str:
    return f"1000.{secrets.randbelow(10**9):09d}"  # also a valid `sleep` argument


def _procs_with(token: str) -> list[int]:
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


def _assert_nothing_left(token: str, res: SandboxResult | None = None) -> None:
    deadline = time.monotonic() + 3
    while _procs_with(token) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _procs_with(token) == [], "a sandboxed process outlived its run"
    if res is not None:
        for line in res.stdout.splitlines():
            if line.startswith("CWD "):
                assert not Path(line[4:]).parent.exists(), "the sandbox directory was not removed"


def _cleanup(paths: list[str]) -> None:
    for p in paths:
        target = os.path.normpath(os.path.join(tempfile_root(), "..", p)) if not os.path.isabs(p) else p
        if os.path.isfile(os.path.normpath(target)):
            os.unlink(os.path.normpath(target))


@pytest.fixture(scope="module")
def isolation() -> dict[str, object]:
    return describe()


def test_this_machine_reports_its_isolation(isolation: dict[str, object]) -> None:
    mech = set(isolation["isolation"])  # type: ignore[arg-type]
    assert isolation["error"] is None
    # the process limit and the write restriction are essential: one mechanism of each must be in force
    assert "rlimit-nproc" in mech
    assert mech & {"read-only-root", "landlock-fs-write"}
    assert isolation["network_isolated"] == ("network-namespace" in mech)


def test_infinite_loop_is_stopped_by_the_wall_clock() -> None:
    token = _token()
    t0 = time.monotonic()
    res = run_python("while True:\n    pass\n", args=[token], limits=Limits(wall_s=2, cpu_s=30))
    elapsed = time.monotonic() - t0
    assert res.timed_out and not res.ok and res.status == "timeout"
    assert res.signal == signal.SIGKILL and res.exit_code is None
    assert 2.0 <= elapsed < 2 + SLACK_S
    assert res.cpu_s > 0.05  # it did spin, and the report of its CPU time survived the kill
    _assert_nothing_left(token)


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
    token = _token()
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    t0 = time.monotonic()
    res = run_python(
        code,
        args=[token],
        limits=Limits(wall_s=3, max_processes=32),
        _disable=MODES[mode],
        python=_python_for(MODES[mode]),
    )
    assert res.error is None and res.timed_out and not res.ok
    assert "rlimit-nproc" in res.isolation  # the bound that holds whatever else is missing
    assert time.monotonic() - t0 < 3 + SLACK_S
    _assert_nothing_left(token)


@pytest.mark.parametrize("mode", list(MODES))
def test_the_program_never_runs_as_root(mode: str) -> None:
    code = "import os\nprint(*os.getresuid(), *os.getresgid())"
    res = run_python(code, _disable=MODES[mode], python=_python_for(MODES[mode]))
    assert res.ok, (res.error, res.stderr)
    assert 0 not in [int(x) for x in res.stdout.split()] and "rlimit-nproc" in res.isolation
    if os.geteuid() == 0:
        assert "unprivileged-uid" in res.isolation


@pytest.mark.skipif(os.geteuid() != 0, reason="a root caller only")
def test_root_caller_without_a_fresh_uid_gets_a_typed_error_not_a_root_program() -> None:
    token = _token()
    res = run_python(f"open('/root-was-here-{token}', 'w')", _disable=("uid",))
    assert res.status == "error" and "refusing to run the program as root" in (res.error or "")
    assert res.exit_code is None and res.stdout == "" and not os.path.exists(f"/root-was-here-{token}")
    if hidden_ancestor(os.path.realpath(sys.executable)):  # this interpreter cannot be shown to a fresh uid
        res = run_python("print('ran')", _disable=("namespaces",))
        assert res.status == "error" and "Permission denied" in (res.error or "") and res.stdout == ""
        assert "not reachable by the fresh uid" in (res.error or "")


def test_process_limit_refuses_forks_past_it() -> None:
    token = _token()
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
    _assert_nothing_left(token)  # the 15 sleepers were killed when the program ended


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


@pytest.mark.parametrize("mode", list(MODES))
def test_writes_outside_the_directory_fail_and_leave_nothing(mode: str) -> None:
    token = _token()
    home = pwd.getpwuid(os.getuid()).pw_dir
    outside = [
        f"/tmp/assay-escape-{token}",
        f"/tmp/../assay-escape-{token}",
        f"../../assay-escape-{token}",  # from work/: the parent of the sandbox directory (/tmp)
        os.path.join(home, f"assay-escape-{token}"),
        os.path.join(os.getcwd(), f"assay-escape-{token}"),
    ]
    inside = ["~/in-home.txt", "$TMPDIR/in-tmp.txt", "in-work.txt", "../in-root.txt"]
    code = textwrap.dedent(
        f"""
        import os
        print("CWD " + os.getcwd())
        for p in {outside + inside!r}:
            path = os.path.expandvars(os.path.expanduser(p))
            try:
                with open(path, "w") as f:
                    f.write("x")
                print("WROTE", p)
            except OSError as e:
                print("DENIED", p, e.errno)
        """
    )
    res = run_python(code, _disable=MODES[mode], python=_python_for(MODES[mode]))
    assert res.ok, (res.error, res.stderr)
    if not set(res.isolation) & {"read-only-root", "landlock-fs-write"}:
        _cleanup(outside)
        pytest.skip(f"{mode}: no write restriction is available in this mode on this machine")
    lines = res.stdout.splitlines()
    for p in outside:
        assert any(line.startswith(f"DENIED {p} ") for line in lines), (p, res.stdout, res.isolation)
    for p in inside:
        assert f"WROTE {p}" in lines, (p, res.stdout)
    for p in [f"/tmp/assay-escape-{token}", f"/assay-escape-{token}", outside[3], outside[4]]:
        assert not os.path.exists(p)
    _assert_nothing_left(token, res)


def test_shared_memory_writes_vanish_with_the_run() -> None:
    token = _token()
    res = run_python(f"open('/dev/shm/assay-{token}', 'w').write('x')\nprint('ok')\n")
    assert not os.path.exists(f"/dev/shm/assay-{token}")
    if "private-shm" in res.isolation:
        assert res.ok  # usable inside, gone outside
    else:
        assert not res.ok  # no private one: the host's is not writable


@pytest.mark.parametrize("mode", list(MODES))
def test_environment_secrets_are_not_inherited(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = f"s3cr3t-{secrets.token_hex(8)}"
    for name in ("HF_TOKEN", "OPENAI_API_KEY", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "ASSAY_TEST_SECRET"):
        monkeypatch.setenv(name, secret)
    code = textwrap.dedent(
        f"""
        import os, sys
        print("ENV", "\\n".join(f"{{k}}={{v}}" for k, v in os.environ.items()))
        seen = 0
        for pid in [p for p in os.listdir("/proc") if p.isdigit()] + ["{os.getpid()}"]:
            try:
                with open(f"/proc/{{pid}}/environ", "rb") as f:
                    data = f.read()
                seen += 1
                if {secret!r}.encode() in data:
                    print("LEAK", pid)
            except OSError:
                pass
        print("READABLE", seen)
        """
    )
    res = run_python(code, _disable=MODES[mode], python=_python_for(MODES[mode]))
    assert res.ok, (res.error, res.stderr)
    # the environment is scrubbed whatever else is available
    assert secret not in res.stdout.split("\nREADABLE")[0]
    guarded = {"user-namespace", "unprivileged-uid", "landlock-fs-read"}
    if set(res.isolation) & guarded:  # other processes' /proc/PID/environ out of reach too
        assert secret not in res.stdout and "LEAK" not in res.stdout
    env = dict(line.split("=", 1) for line in res.stdout.split("ENV ", 1)[1].split("\nREADABLE")[0].splitlines())
    assert not {"HF_TOKEN", "OPENAI_API_KEY", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN"} & set(env)
    assert env["HOME"].startswith(tempfile_root()) and env["PYTHONHASHSEED"] == "0"


def tempfile_root() -> str:
    import tempfile

    return os.path.join(tempfile.gettempdir(), "assay-sandbox-")


@pytest.mark.parametrize("mode", list(MODES))
def test_sockets_to_localhost_and_outside_fail(mode: str) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    code = textwrap.dedent(
        f"""
        import socket
        for addr in [("127.0.0.1", {port}), ("1.1.1.1", 53), ("8.8.8.8", 443)]:
            try:
                socket.create_connection(addr, timeout=3).close()
                print("CONNECTED", addr)
            except OSError as e:
                print("FAILED", addr, type(e).__name__, e.errno)
        try:
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.sendto(b"x", ("127.0.0.1", {port}))
            print("UDP SENT")
        except OSError as e:
            print("UDP FAILED", e.errno)
        """
    )
    try:
        res = run_python(code, _disable=MODES[mode], limits=Limits(wall_s=15), python=_python_for(MODES[mode]))
        assert res.ok, (res.error, res.stderr)
        assert "CONNECTED" not in res.stdout and "UDP SENT" not in res.stdout
        assert res.stdout.count("FAILED") == 4
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing ever reached the host's listener
    finally:
        listener.close()
    assert res.network_isolated == ("network-namespace" in res.isolation)
    if mode == "no-namespaces":
        assert not res.network_isolated and "python-socket-guard" in res.isolation


UNIX_MODES = {**MODES, "no-uid": ("uid",)}


@pytest.mark.parametrize("mode", list(UNIX_MODES))
def test_host_unix_sockets_are_unreachable(mode: str) -> None:
    """A socket file of the host (docker.sock, the session bus, a daemon's socket in /tmp) is reachable
    through the file system whatever the network namespace; this one is even world-writable."""
    disable = UNIX_MODES[mode]
    python = _python_for(disable) if disable != ("uid",) else None
    folder = tempfile.mkdtemp(prefix="assay-host-sock-")
    os.chmod(folder, 0o755)
    path = os.path.join(folder, "daemon.sock")
    name = f"\0assay-test-{secrets.token_hex(6)}"
    listeners = []
    try:
        for addr in (path, name):
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(addr)
            listener.listen(8)
            listener.setblocking(False)
            listeners.append(listener)
        os.chmod(path, 0o777)
        code = textwrap.dedent(
            f"""
            import socket
            for addr in [{path!r}, {name!r}]:
                try:
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.connect(addr)
                    s.sendall(b"hello")
                    print("CONNECTED", repr(addr))
                except OSError as e:
                    print("FAILED", e.errno)
            a, b = socket.socketpair()
            a.send(b"p")
            print("PAIR", b.recv(1).decode())
            """
        )
        res = run_python(code, _disable=disable, python=python, limits=Limits(wall_s=10, network=mode == "full"))
        if res.error is not None:  # refused (a root caller with the uid switch off): never run as root
            assert os.geteuid() == 0 and "refusing to run the program as root" in res.error and res.stdout == ""
        else:
            assert "CONNECTED" not in res.stdout, (res.stdout, res.isolation)
            assert res.stdout.count("FAILED 1\n") == 2  # EPERM: socket(AF_UNIX) refused by the seccomp filter
            assert "PAIR p" in res.stdout and "seccomp" in res.isolation
        for listener in listeners:
            with pytest.raises(BlockingIOError):
                listener.accept()  # nothing reached the host
    finally:
        for listener in listeners:
            listener.close()
        shutil.rmtree(folder, ignore_errors=True)


def test_no_sockets_from_children_or_ctypes_without_a_network_namespace() -> None:
    """The Python guard covers only the top interpreter; the seccomp filter covers every process."""
    disable = ("namespaces",)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.setblocking(False)
    port = udp.getsockname()[1]
    child = (
        "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
        f"s.sendto(b'x', ('127.0.0.1', {port})); print('CHILD SENT')"
    )
    code = textwrap.dedent(
        f"""
        import ctypes, subprocess, sys
        r = subprocess.run([sys.executable, "-c", {child!r}], capture_output=True, text=True)
        print("CHILD", r.returncode, r.stdout.strip(), r.stderr.strip().splitlines()[-1:])
        libc = ctypes.CDLL(None, use_errno=True)
        for family, kind in [(2, 2), (10, 2), (2, 1), (16, 3), (17, 3)]:  # UDP, UDP6, TCP, netlink, packet
            fd = libc.socket(family, kind, 0)
            print("CTYPES", family, fd, ctypes.get_errno())
        """
    )
    try:
        res = run_python(code, _disable=disable, python=_python_for(disable), limits=Limits(wall_s=15))
        assert res.ok, (res.error, res.stderr)
        assert "CHILD SENT" not in res.stdout and "CHILD 1" in res.stdout
        for family in (2, 10, 2, 16, 17):
            assert f"CTYPES {family} -1 1\n" in res.stdout, res.stdout  # EPERM
        assert "seccomp-no-sockets" in res.isolation and not res.network_isolated
        with pytest.raises(BlockingIOError):
            udp.recvfrom(16)  # nothing reached the host
    finally:
        udp.close()


def test_seccomp_filter_alone_stops_sockets_of_the_callers_own_uid(tmp_path: Path) -> None:
    """The filter by itself, in a plain process of the caller's uid with no namespace or Landlock: what a
    non-root caller's program gets where neither is available. Host sockets stay unreachable."""
    path = tmp_path / "own.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(8)
    listener.setblocking(False)
    sandbox_dir = Path(__import__("assay.sandbox", fromlist=["x"]).__file__).parent
    code = textwrap.dedent(
        f"""
        import socket, subprocess, sys
        sys.path.insert(0, {str(sandbox_dir)!r})
        from _linux import install_seccomp
        install_seccomp(network=sys.argv[1] == "net")
        for family, addr in [(socket.AF_UNIX, {str(path)!r}), (socket.AF_INET, None)]:
            try:
                s = socket.socket(family, socket.SOCK_STREAM)
                print("SOCKET", int(family), "ok")
                if addr:
                    s.connect(addr)
                    print("CONNECTED")
            except OSError as e:
                print("SOCKET", int(family), "errno", e.errno)
        r = subprocess.run([sys.executable, "-c", "import socket; socket.socket(socket.AF_UNIX)"], capture_output=True)
        print("CHILD", r.returncode)
        a, b = socket.socketpair()
        a.send(b"p")
        print("PAIR", b.recv(1).decode())
        """
    )
    try:
        for mode in ("nonet", "net"):
            out = subprocess.run([sys.executable, "-I", "-c", code, mode], capture_output=True, text=True, timeout=30)
            assert out.returncode == 0, out.stderr
            assert "CONNECTED" not in out.stdout and "SOCKET 1 errno 1\n" in out.stdout
            assert ("SOCKET 2 ok" if mode == "net" else "SOCKET 2 errno 1") in out.stdout
            assert "CHILD 1\n" in out.stdout and "PAIR p" in out.stdout
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()


def test_network_can_be_allowed_explicitly() -> None:
    res = run_python("print('hi')", limits=Limits(network=True))
    assert res.ok and not res.network_isolated and "landlock-tcp" not in res.isolation


@pytest.mark.parametrize("keep_stdout", [False, True], ids=["detached", "holding-stdout"])
def test_daemon_that_outlives_its_parent_is_killed(keep_stdout: bool) -> None:
    token = _token()
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
    _assert_nothing_left(token)


def test_killing_the_parent_does_not_escape_or_hang(isolation: dict[str, object]) -> None:
    token = _token()
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
    _assert_nothing_left(token)


def test_signal_to_itself_is_reported() -> None:
    res = run_python("import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n")
    assert res.signal == signal.SIGTERM and res.exit_code is None and res.status == "signal"


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


def _interrupted_caller(how: signal.Signals) -> None:
    token = _token()
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
        while not _procs_with(token):
            assert time.monotonic() < deadline, "the sandboxed sleep never started"
            time.sleep(0.02)
        # the sandbox directory: the sleep's working directory is its work/ folder
        folder = Path(os.readlink(f"/proc/{_procs_with(token)[0]}/cwd")).parent
        assert folder.name.startswith("assay-sandbox-") and folder.is_dir()
        proc.send_signal(how)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    _assert_nothing_left(token)
    deadline = time.monotonic() + 5
    while folder.exists() and time.monotonic() < deadline:  # removed by the orphaned supervisor
        time.sleep(0.05)
    assert not folder.exists(), "the sandbox directory outlived its caller"


def test_interrupted_caller_kills_its_sandboxes() -> None:
    _interrupted_caller(signal.SIGINT)


def test_killed_caller_leaves_no_sandboxed_process() -> None:
    _interrupted_caller(signal.SIGKILL)


def test_caller_files_outside_the_read_paths_are_unreadable(tmp_path: Path) -> None:
    secret = tmp_path / "credentials"
    secret.write_text("s3cr3t-file")
    secret.chmod(0o600)
    res = run_python(f"print(open({str(secret)!r}).read())")
    if not set(res.isolation) & {"landlock-fs-read", "unprivileged-uid"}:
        pytest.skip("no read restriction on this machine (same uid, no Landlock)")
    assert not res.ok and "s3cr3t-file" not in res.stdout
    assert "PermissionError" in res.stderr or "FileNotFoundError" in res.stderr
