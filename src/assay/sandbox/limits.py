"""The sandbox's typed boundary: the limits a run is given and the result it returns.

Both are frozen dataclasses so that a result can be stored in a record and compared as a value.
``SandboxResult.to_json()`` is the JSON-ready dict that benchmark records and ``assay sandbox run`` keep.
"""

from __future__ import annotations

import signal as _signal
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Limits:
    """What one sandboxed program may use.

    ``wall_s``: wall-clock seconds before the whole process tree is killed (``timed_out``).
    ``cpu_s``: CPU seconds per process (RLIMIT_CPU: SIGXCPU, then SIGKILL one second later).
    ``memory_mb``: address space per process (RLIMIT_AS); an allocation past it fails.
    ``max_processes``: processes and threads the program may have at once (RLIMIT_NPROC, counted in the
    sandbox's own user namespace or for its own uid; see docs/sandbox.md).
    ``file_size_mb``: largest file it may write (RLIMIT_FSIZE). ``open_files``: RLIMIT_NOFILE.
    ``output_bytes``: bytes kept per stream (stdout, stderr); a program that writes more is killed and
    ``output_truncated`` is set. ``network``: allow network access (default: none).
    ``stack_mb``: RLIMIT_STACK when given (competitive-programming judges raise it, e.g. 256 MB). glibc
    also makes it every new thread's default stack, so a threaded program under ``memory_mb`` fits fewer
    threads: give it to programs that need a deep main stack only.
    """

    wall_s: float = 10
    cpu_s: float = 10
    memory_mb: int = 512
    max_processes: int = 64
    file_size_mb: int = 16
    open_files: int = 64
    output_bytes: int = 1_000_000
    network: bool = False
    stack_mb: int | None = None

    def __post_init__(self) -> None:
        for name in ("wall_s", "cpu_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Limits.{name} must be > 0, got {getattr(self, name)!r}")
        for name in ("memory_mb", "max_processes", "file_size_mb", "output_bytes"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"Limits.{name} must be >= 1, got {getattr(self, name)!r}")
        if self.open_files < 8:
            raise ValueError(
                f"Limits.open_files must be >= 8 (stdio and the interpreter need some), got {self.open_files}"
            )
        if self.stack_mb is not None and self.stack_mb < 1:
            raise ValueError(f"Limits.stack_mb must be >= 1 or None, got {self.stack_mb}")


@dataclass(frozen=True)
class SandboxResult:
    """What happened to one sandboxed program.

    ``exit_code`` is None when the program was ended by a signal (then ``signal`` is its number).
    ``timed_out``: the wall-clock or CPU limit ended it. ``memory_exceeded``: it failed because an
    allocation hit the memory limit (MemoryError, std::bad_alloc, ENOMEM, or a peak resident size at the
    limit). ``output_truncated``: it wrote more than ``Limits.output_bytes`` to a stream and was killed;
    ``stdout``/``stderr`` hold the first ``output_bytes`` (decoded as UTF-8, bad bytes replaced).
    ``wall_s``/``cpu_s``: the program's wall time and the CPU time of its process tree.
    ``network_isolated``: it ran in its own, empty network namespace. ``isolation`` names every
    mechanism that was in force (see ``assay.sandbox.ISOLATION_MECHANISMS``); ``error`` is set when the
    sandbox itself could not start the program (then ``exit_code`` is None and ``signal`` too).
    """

    exit_code: int | None
    signal: int | None
    timed_out: bool
    memory_exceeded: bool
    output_truncated: bool
    stdout: str
    stderr: str
    wall_s: float
    cpu_s: float
    network_isolated: bool
    isolation: tuple[str, ...] = ()
    max_rss_mb: float = 0.0
    error: str | None = None
    limits: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def ok(self) -> bool:
        """Exit status 0, within the time limits, not signalled, nothing cut, no sandbox error."""
        return (
            self.exit_code == 0
            and not self.timed_out
            and self.signal is None
            and not self.output_truncated
            and self.error is None
        )

    @property
    def status(self) -> str:
        """One word for people and records: ok, timeout, memory, output_limit, signal, exit, error."""
        if self.error is not None:
            return "error"
        if self.timed_out:
            return "timeout"
        if self.output_truncated:
            return "output_limit"
        if self.memory_exceeded:
            return "memory"
        if self.signal is not None:
            return "signal"
        return "ok" if self.exit_code == 0 else "exit"

    def signal_name(self) -> str | None:
        if self.signal is None:
            return None
        try:
            return _signal.Signals(self.signal).name
        except ValueError:
            return f"SIG{self.signal}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field plus ``ok``, ``status`` and ``signal_name``."""
        d = asdict(self)
        d["isolation"] = list(self.isolation)
        d["wall_s"] = round(self.wall_s, 4)
        d["cpu_s"] = round(self.cpu_s, 4)
        d["max_rss_mb"] = round(self.max_rss_mb, 2)
        d.update(ok=self.ok, status=self.status, signal_name=self.signal_name())
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SandboxResult:
        """The inverse of ``to_json`` (derived keys are ignored)."""
        names = set(cls.__dataclass_fields__)
        kw = {k: v for k, v in d.items() if k in names}
        kw["isolation"] = tuple(kw.get("isolation", ()))
        return cls(**kw)
