"""Start and stop vLLM's CPU build serving a model on 127.0.0.1 (for tests and bench/ scripts).

vLLM lives in its own environment (``make vllm-env`` -> .venv-vllm: it pins its own transformers) and
is started through ``vllm_cpu_launcher.py``; the server binds to loopback only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
VLLM_ENV = ROOT / ".venv-vllm"
LAUNCHER = Path(__file__).with_name("vllm_cpu_launcher.py")


def vllm_env_ready() -> bool:
    return (VLLM_ENV / ".installed").exists()


def start(model_dir: Path, log: Path, name: str = "smol", timeout_s: float = 240) -> tuple[subprocess.Popen, str]:
    """Serve ``model_dir`` (fp32, 2048 tokens) on a free loopback port; returns (process, base URL .../v1)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    cmd = [
        str(VLLM_ENV / "bin" / "python"),
        str(LAUNCHER),
        "serve",
        str(model_dir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--dtype",
        "float32",
        "--max-model-len",
        "2048",
        "--enforce-eager",
        "--served-model-name",
        name,
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "VLLM_CPU_KVCACHE_SPACE": "2"},
        )
    deadline = time.time() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if r.status == 200:
                    return proc, f"http://127.0.0.1:{port}/v1"
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            stop(proc)
            raise RuntimeError(f"vLLM server did not become ready: {log.read_text()[-2000:]}")
        time.sleep(1)


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group (all its workers), SIGKILL if it lingers."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except ProcessLookupError:
        pass  # already gone
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
