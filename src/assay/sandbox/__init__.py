"""Run untrusted programs (model-written code, benchmark solutions) under limits and isolation.

``run_python(code)`` / ``run_command(argv)`` run one program in a fresh temporary directory with
wall-clock, CPU, memory, process, file-size, open-file and output limits, a scrubbed environment, no
network and no UNIX-domain sockets (seccomp), no writes outside its directory, never as root, and
clean-up of every process it started; they return a typed ``SandboxResult``. ``run_many(jobs)`` runs
jobs on the one pool all benchmarks share (one program per core at a time). What is enforced depends
on the kernel and on privileges; every result lists the mechanisms that were in force
(``SandboxResult.isolation``), and ``describe()`` reports them for this machine. See docs/sandbox.md.
"""

from assay.sandbox.limits import Limits, SandboxResult
from assay.sandbox.pool import cores, run_many
from assay.sandbox.runner import run_command, run_python

ISOLATION_MECHANISMS = {
    "user-namespace": "own user namespace (unprivileged callers): processes are counted apart",
    "mount-namespace": "own mount table",
    "pid-namespace": "own pid namespace: every process left when the program ends is killed by the kernel",
    "ipc-namespace": "own System V IPC and POSIX message queues",
    "network-namespace": "own network namespace with only a downed loopback: no connection at all",
    "read-only-root": "every mount read-only except the sandbox directory and a private /dev/shm",
    "private-shm": "a private, 64 MB /dev/shm that vanishes with the run",
    "private-home": "directories of the caller hidden behind a tmpfs except the interpreter's",
    "private-proc": "/proc shows only the sandbox's own processes",
    "unprivileged-uid": "runs as a fresh, unused uid (the caller is root)",
    "rlimit-nproc": "RLIMIT_NPROC bounds processes and threads",
    "landlock-fs-write": "Landlock: writes only under the sandbox directory (and /dev/null...)",
    "landlock-fs-read": "Landlock: reads only from system, interpreter and sandbox directories",
    "landlock-tcp": "Landlock: TCP bind and connect denied",
    "landlock-scope": "Landlock: no signals to, and no abstract sockets of, processes outside",
    "seccomp": "seccomp: no UNIX-domain socket() (host socket files), no io_uring, ptrace, pidfd_getfd, "
    "process_vm_*; another ABI's system calls kill the program",
    "seccomp-no-sockets": "seccomp (network off): socket() refused for every family, in every process",
    "python-socket-guard": "Python audit hook refusing internet sockets (no network namespace)",
}


def describe() -> dict[str, object]:
    """The mechanisms a trivial program gets on this machine (runs one sandboxed ``true``)."""
    res = run_command(["true"], limits=Limits(wall_s=20))
    return {
        "isolation": list(res.isolation),
        "network_isolated": res.network_isolated,
        "missing": sorted(set(ISOLATION_MECHANISMS) - set(res.isolation) - {"python-socket-guard"}),
        "cores": cores(),
        "euid": __import__("os").geteuid(),
        "error": res.error,
    }


__all__ = [
    "ISOLATION_MECHANISMS",
    "Limits",
    "SandboxResult",
    "cores",
    "describe",
    "run_command",
    "run_many",
    "run_python",
]
