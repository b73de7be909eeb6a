"""The one pool every benchmark shares: at most one sandboxed program per core runs at any time.

``slot()`` is taken around each program's execution (by ``run_command``/``run_python`` themselves), so
the bound holds whether programs come from ``run_many``, from several threads, or from several
benchmarks at once. ``run_many`` runs jobs (callables that return a ``SandboxResult``, typically a few
sandboxed programs in sequence) on one shared thread pool with as many workers as cores, and returns
their results in input order. A ``run_many`` issued from inside a job runs its jobs inline, so nesting
never deadlocks. ``ASSAY_SANDBOX_WORKERS`` overrides the core count.

Interrupting the caller (KeyboardInterrupt, or any exception) while ``run_many`` waits cancels the jobs
of that ``run_many`` not started yet and cancels its ``CancelToken``: the programs its jobs are running
are stopped at their next check. Each ``run_many`` has its own token, so a failure in one never stops the
programs of another (another benchmark, another thread). ``cancel_scope(token)`` puts a direct call of
``run_python``/``run_command`` under a token.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


def cores() -> int:
    """Workers of the shared pool: ASSAY_SANDBOX_WORKERS, else the CPUs this process may run on."""
    env = os.environ.get("ASSAY_SANDBOX_WORKERS")
    if env:
        return max(1, int(env))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None
_executor: ThreadPoolExecutor | None = None
_in_job = threading.local()


class CancelToken:
    """Cancels the sandbox runs made under it (by one ``run_many``, or inside ``cancel_scope``)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


def current_token() -> CancelToken | None:
    """The token the runs of this thread are under (None: not cancellable from outside)."""
    return getattr(_in_job, "token", None)


def cancelled() -> bool:
    """Whether the runs of this thread have been cancelled (checked by every running program's pump)."""
    token = current_token()
    return token is not None and token.cancelled


@contextmanager
def cancel_scope(token: CancelToken) -> Iterator[CancelToken]:
    """Run the block's sandbox runs under ``token`` (``token.cancel()`` from any thread stops them)."""
    old = current_token()
    _in_job.token = token
    try:
        yield token
    finally:
        _in_job.token = old


def _semaphore() -> threading.BoundedSemaphore:
    global _slots
    with _lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(cores())
        return _slots


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=cores(), thread_name_prefix="assay-sandbox")
        return _executor


@contextmanager
def slot() -> Iterator[None]:
    """Hold one of the ``cores()`` execution slots for the duration of the block."""
    sem = _semaphore()
    while not sem.acquire(timeout=0.1):
        if cancelled():
            raise KeyboardInterrupt("sandbox runs cancelled")
    try:
        yield
    finally:
        sem.release()


def _wrapped(job: Callable[[], T], token: CancelToken) -> Callable[[], T]:
    def call() -> T:
        _in_job.active = True
        try:
            with cancel_scope(token):
                return job()
        finally:
            _in_job.active = False

    return call


def run_many(jobs: Sequence[Callable[[], T]]) -> list[T]:
    """Run ``jobs`` on the shared pool; results in input order. The first exception is re-raised."""
    if not jobs:
        return []
    if getattr(_in_job, "active", False) or len(jobs) == 1:
        return [job() for job in jobs]
    token = CancelToken()
    futures: list[Future[T]] = [_pool().submit(_wrapped(job, token)) for job in jobs]
    try:
        return [f.result() for f in futures]
    except BaseException:
        for f in futures:
            f.cancel()
        token.cancel()  # this run_many's programs only
        for f in futures:
            if not f.cancelled():
                try:
                    f.exception()
                except BaseException:  # noqa: BLE001 - already unwinding
                    pass
        raise
