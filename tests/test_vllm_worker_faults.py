"""The vLLM worker client (``assay.serving.vllm_client._Worker``) against a fake worker, no vLLM needed.

The fake speaks the worker's JSON-lines protocol and, like vLLM's engine core started with ``fork``, can
leave a child process holding the protocol pipe: when the worker then dies (OOM kill, segfault) the parent
sees no EOF, so ``call`` must notice the dead worker by polling it, raise within seconds, and leave no
engine process behind.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from assay.serving import vllm_client
from assay.serving.vllm_client import EngineConfig, VLLMWorkerError, _Worker

FAKE_WORKER = r"""
import json, os, signal, sys, time

mode = json.loads(sys.argv[1])["model"]
proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")  # as vllm_worker.py: a private copy of fd 1
os.dup2(2, 1)
child = 0
if mode in ("orphan", "stubborn", "die_at_start"):
    child = os.fork()  # an "engine process": it inherits the protocol pipe
    if child == 0:
        if mode == "stubborn":
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(60)
        os._exit(0)
if mode == "die_at_start":
    os._exit(1)


def send(msg):
    proto.write(json.dumps(msg) + "\n")
    proto.flush()


send({"event": "ready", "ok": True, "info": {"child": child, "pid": os.getpid()}})
for line in sys.stdin:
    msg = json.loads(line)
    op = msg["op"]
    if op == "shutdown":
        send({"id": msg["id"], "ok": True, "result": None})
        break
    if op == "crash":
        os.kill(os.getpid(), signal.SIGKILL)
    if op == "answer_then_exit":
        send({"id": msg["id"], "ok": True, "result": "last words"})
        os._exit(0)
    if op == "fail":
        send({"id": msg["id"], "ok": False, "error": {"type": "ValueError", "message": "bad", "traceback": ""}})
        continue
    send({"id": msg["id"], "ok": True, "result": msg["args"]})
"""


def _config(mode: str) -> EngineConfig:
    return EngineConfig(mode, "generate", "float32", None, True, None, None, 1, True)


def _gone(pid: int) -> bool:
    """No such process, or only a zombie (killed, waiting to be reaped by whoever adopted it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def _wait_gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while not _gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _within(seconds: float, fn: Callable[[], Any]) -> BaseException | Any:
    """Run ``fn`` in a thread; fail the test if it has not returned after ``seconds`` (a hang)."""
    box: list[Any] = []

    def target() -> None:
        try:
            box.append(fn())
        except BaseException as e:  # noqa: BLE001 - handed to the test
            box.append(e)

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"still waiting after {seconds} s: the client hangs on a dead worker"
    return box[0]


@pytest.fixture
def start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], _Worker]]:
    fake = tmp_path / "fake_worker.py"
    fake.write_text(FAKE_WORKER)
    monkeypatch.setattr(vllm_client, "WORKER", fake)
    monkeypatch.setattr(vllm_client, "GROUP_GRACE_S", 0.5)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the workers' log files
    started: list[_Worker] = []

    def make(mode: str) -> _Worker:
        w = _Worker(sys.executable, _config(mode))
        started.append(w)
        return w

    yield make
    for w in started:  # never leave a fake behind, whatever the test did
        try:
            os.killpg(w.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        w.proc.wait()


def test_protocol_round_trip_and_remote_error(start: Callable[[str], _Worker]) -> None:
    w = start("plain")
    assert w.call("echo", x=1) == {"x": 1}
    with pytest.raises(VLLMWorkerError, match="vLLM fail failed: ValueError: bad") as e:
        w.call("fail")
    assert e.value.remote_type == "ValueError"
    assert w.call("echo", y=[2]) == {"y": [2]}  # still in step after an error
    w.close()
    assert w.proc.returncode == 0 and not w.log.exists()  # clean stop: log removed


def test_dead_worker_with_pipe_held_by_child_raises_and_child_is_killed(start: Callable[[str], _Worker]) -> None:
    w = start("orphan")
    child = w.info["child"]
    assert not _gone(child)
    t0 = time.monotonic()
    err = _within(10, lambda: w.call("crash"))
    assert isinstance(err, VLLMWorkerError), err
    assert "killed by SIGKILL (out of memory?)" in str(err) and str(w.log) in str(err)
    assert time.monotonic() - t0 < 8
    assert _wait_gone(child, 5), "the engine process outlived its worker"
    assert not w.alive()
    with pytest.raises(VLLMWorkerError, match="not running"):
        w.call("echo")


def test_worker_dying_before_ready_does_not_wait_for_the_start_timeout(start: Callable[[str], _Worker]) -> None:
    err = _within(10, lambda: start("die_at_start"))
    assert isinstance(err, VLLMWorkerError) and "exited with code 1" in str(err), err


def test_answer_written_just_before_exit_is_still_read(start: Callable[[str], _Worker]) -> None:
    w = start("plain")
    assert _within(10, lambda: w.call("answer_then_exit")) == "last words"
    w.proc.wait(timeout=5)
    with pytest.raises(VLLMWorkerError, match="not running"):
        w.call("echo")


def test_close_kills_a_group_member_that_ignores_sigterm(start: Callable[[str], _Worker]) -> None:
    w = start("stubborn")
    child = w.info["child"]
    w.close()  # clean shutdown of the worker; its child ignores SIGTERM
    assert w.proc.returncode == 0
    assert _wait_gone(child, 5), "a process of the worker's group survived close()"


class _PausingLock:
    """A lock whose holder is descheduled right after releasing it (so another thread's call runs then)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()
        time.sleep(0.1)


def test_concurrent_calls_stay_in_step(start: Callable[[str], _Worker]) -> None:
    """Each call checks the reply against the id it sent, not against a counter another thread moved on."""
    w = start("plain")
    w._lock = _PausingLock()  # type: ignore[assignment]
    errors: list[BaseException] = []

    def worker(tag: int) -> None:
        try:
            for i in range(3):
                assert w.call("echo", tag=tag, i=i) == {"tag": tag, "i": i}
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors[0]
