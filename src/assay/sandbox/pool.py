"""The one pool every benchmark shares: at most one sandboxed program per core runs at any time.

``slot()`` is taken around each program's execution (by ``run_command``/``run_python`` themselves), so
the bound holds whether programs come from ``run_many``, from several threads, or from several
benchmarks at once. ``run_many`` runs jobs (callables that return a ``SandboxResult``, typically a few
sandboxed programs in sequence) on one shared thread pool with as many workers as cores, and returns
their results in input order. A ``run_many`` issued from inside a job runs its jobs inline, so nesting
never deadlocks. ``ASSAY_SANDBOX_WORKERS`` overrides the core count.

Interrupting the caller (KeyboardInterrupt, or any exception) while ``run_many`` waits cancels the jobs
not started yet and sets the cancel event that makes every running program's supervisor be killed.
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
cancel_event = threading.Event()
"""Set while an interrupted ``run_many`` unwinds: running programs are killed at their next check."""


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
        if cancel_event.is_set():
            raise KeyboardInterrupt("sandbox runs cancelled")
    try:
        yield
    finally:
        sem.release()


def _wrapped(job: Callable[[], T]) -> Callable[[], T]:
    def call() -> T:
        _in_job.active = True
        try:
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
    futures: list[Future[T]] = [_pool().submit(_wrapped(job)) for job in jobs]
    try:
        return [f.result() for f in futures]
    except BaseException:
        for f in futures:
            f.cancel()
        cancel_event.set()
        try:
            for f in futures:
                if not f.cancelled():
                    try:
                        f.exception()
                    except BaseException:  # noqa: BLE001 - already unwinding
                        pass
        finally:
            cancel_event.clear()
        raise
