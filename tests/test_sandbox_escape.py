"""Sandbox escapes: root, file writes and reads, environment secrets, sockets and the network, host UNIX sockets."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from assay.sandbox import Limits, describe, run_python
from assay.sandbox.hostfs import hidden_ancestor
from sandbox_cases import MODES, assert_nothing_left, new_token, python_for, remove_files, tempfile_root

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox runs on Linux")


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


@pytest.mark.parametrize("mode", list(MODES))
def test_the_program_never_runs_as_root(mode: str) -> None:
    code = "import os\nprint(*os.getresuid(), *os.getresgid())"
    res = run_python(code, _disable=MODES[mode], python=python_for(MODES[mode]))
    assert res.ok, (res.error, res.stderr)
    assert 0 not in [int(x) for x in res.stdout.split()] and "rlimit-nproc" in res.isolation
    if os.geteuid() == 0:
        assert "unprivileged-uid" in res.isolation


@pytest.mark.skipif(os.geteuid() != 0, reason="a root caller only")
def test_root_caller_without_a_fresh_uid_gets_a_typed_error_not_a_root_program() -> None:
    token = new_token()
    res = run_python(f"open('/root-was-here-{token}', 'w')", _disable=("uid",))
    assert res.status == "error" and "refusing to run the program as root" in (res.error or "")
    assert res.exit_code is None and res.stdout == "" and not os.path.exists(f"/root-was-here-{token}")
    if hidden_ancestor(os.path.realpath(sys.executable)):  # this interpreter cannot be shown to a fresh uid
        res = run_python("print('ran')", _disable=("namespaces",))
        assert res.status == "error" and "Permission denied" in (res.error or "") and res.stdout == ""
        assert "not reachable by the fresh uid" in (res.error or "")


@pytest.mark.parametrize("mode", list(MODES))
def test_writes_outside_the_directory_fail_and_leave_nothing(mode: str) -> None:
    token = new_token()
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
    res = run_python(code, _disable=MODES[mode], python=python_for(MODES[mode]))
    assert res.ok, (res.error, res.stderr)
    if not set(res.isolation) & {"read-only-root", "landlock-fs-write"}:
        remove_files(outside)
        pytest.skip(f"{mode}: no write restriction is available in this mode on this machine")
    lines = res.stdout.splitlines()
    for p in outside:
        assert any(line.startswith(f"DENIED {p} ") for line in lines), (p, res.stdout, res.isolation)
    for p in inside:
        assert f"WROTE {p}" in lines, (p, res.stdout)
    for p in [f"/tmp/assay-escape-{token}", f"/assay-escape-{token}", outside[3], outside[4]]:
        assert not os.path.exists(p)
    assert_nothing_left(token, res)


def test_shared_memory_writes_vanish_with_the_run() -> None:
    token = new_token()
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
    res = run_python(code, _disable=MODES[mode], python=python_for(MODES[mode]))
    assert res.ok, (res.error, res.stderr)
    # the environment is scrubbed whatever else is available
    assert secret not in res.stdout.split("\nREADABLE")[0]
    guarded = {"user-namespace", "unprivileged-uid", "landlock-fs-read"}
    if set(res.isolation) & guarded:  # other processes' /proc/PID/environ out of reach too
        assert secret not in res.stdout and "LEAK" not in res.stdout
    env = dict(line.split("=", 1) for line in res.stdout.split("ENV ", 1)[1].split("\nREADABLE")[0].splitlines())
    assert not {"HF_TOKEN", "OPENAI_API_KEY", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN"} & set(env)
    assert env["HOME"].startswith(tempfile_root()) and env["PYTHONHASHSEED"] == "0"


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
        res = run_python(code, _disable=MODES[mode], limits=Limits(wall_s=15), python=python_for(MODES[mode]))
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
    python = python_for(disable) if disable != ("uid",) else None
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
        res = run_python(code, _disable=disable, python=python_for(disable), limits=Limits(wall_s=15))
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


def test_caller_files_outside_the_read_paths_are_unreadable(tmp_path: Path) -> None:
    secret = tmp_path / "credentials"
    secret.write_text("s3cr3t-file")
    secret.chmod(0o600)
    res = run_python(f"print(open({str(secret)!r}).read())")
    if not set(res.isolation) & {"landlock-fs-read", "unprivileged-uid"}:
        pytest.skip("no read restriction on this machine (same uid, no Landlock)")
    assert not res.ok and "s3cr3t-file" not in res.stdout
    assert "PermissionError" in res.stderr or "FileNotFoundError" in res.stderr
