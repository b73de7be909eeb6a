"""``openai:BASE_URL#MODEL`` text generation through an OpenAI-compatible ``/chat/completions`` endpoint.

Spec: ``openai:BASE_URL#MODEL[?key_env=NAME&concurrency=N&timeout=S&retries=K&backoff=S&stream=1]``, e.g.
``openai:http://127.0.0.1:8000/v1#Qwen/Qwen2.5-7B-Instruct?key_env=VLLM_KEY&concurrency=16``.

- The API key is read from the environment variable ``key_env`` at call time and sent as
  ``Authorization: Bearer``; it is never stored on the backend, in ``fingerprint()`` or in any error.
  Without ``key_env`` no Authorization header is sent (local servers).
- ``generate`` runs an asyncio loop (``asyncio.run``; in a worker thread when called from a running
  loop) with one ``httpx.AsyncClient`` and a semaphore of ``concurrency`` requests in flight (default 8).
- Each HTTP attempt has a ``timeout`` (seconds, default 120). Retried, up to ``retries`` times (default
  5): 408/429/5xx, timeouts, connection/protocol errors, bodies that are not JSON (e.g. truncated) or do
  not have the chat-completion shape (``choices[].message.content``). The wait is ``Retry-After`` when
  the server sends one (seconds), else exponential backoff with full jitter:
  ``uniform(0, min(backoff_max, backoff * 2**attempt))``. Other 4xx fail at once with an
  ``OpenAIHTTPError`` naming the status and the body start. When retries run out the error names the
  last cause. The first failure cancels the requests still in flight and is raised.
- ``stream=1`` asks for server-sent events (``stream: true`` with usage in the last chunk). A stream is
  accepted only when it ends with ``data: [DONE]`` and every choice has a finish reason; one cut
  mid-answer (connection dropped, malformed chunk, no ``[DONE]``) is retried as a whole, so a partial
  answer is never recorded. ``timeout`` then bounds the whole attempt, not each read. Streaming changes
  no text, so it is not in the fingerprint.
- ``Generation.latency_s`` is the duration of the successful attempt (server + network time, without
  retries or waits); token counts come from the response's ``usage`` (0 when the server omits it).
- The fingerprint holds the endpoint and model name only: the weights behind a remote name can change,
  so a cache keyed on it is as good as the provider's naming.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qsl

from assay.models.generation import GenerateRequest, Generation
from assay.models.hf_common import prompt_messages

CLIENT_VERSION = 1  # bump when a change here alters what is sent (and so the generations)
RETRY_STATUSES = frozenset({408, 429})
OPTIONS = ("key_env", "concurrency", "timeout", "retries", "backoff", "stream")
BODY_PREVIEW = 300


class OpenAIHTTPError(RuntimeError):
    """A request failed for good: a non-retryable status, or retries exhausted."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class _Retryable(Exception):
    """Internal: this attempt failed in a way worth retrying; ``delay`` is a server-given wait."""

    def __init__(self, reason: str, delay: float | None = None, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay
        self.status = status


@dataclass
class HTTPStats:
    """Counters over all ``generate`` calls: logical requests, extra attempts, failures, usage."""

    requests: int = 0  # logical requests completed successfully
    attempts: int = 0  # HTTP attempts made (requests + retries, plus attempts of failed requests)
    retries: int = 0
    failures: int = 0  # logical requests that failed for good
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0  # summed over successful attempts

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def parse_openai_spec(spec: str) -> tuple[str, str, dict[str, Any]]:
    """``openai:BASE_URL#MODEL[?opts]`` -> (base_url without trailing slash, model, typed options)."""
    head = spec.strip()
    if not head.startswith("openai:"):
        raise ValueError(f"expected openai:BASE_URL#MODEL[?options], got {spec!r}")
    base, sep, rest = head[len("openai:") :].partition("#")
    model, _, query = rest.partition("?")
    if not sep or not base or not model:
        raise ValueError(f"expected openai:BASE_URL#MODEL[?options], got {spec!r}")
    if not base.startswith(("http://", "https://")):
        raise ValueError(f"openai: base URL must start with http:// or https://, got {base!r}")
    conv: dict[str, Any] = {
        "key_env": str,
        "concurrency": int,
        "timeout": float,
        "retries": int,
        "backoff": float,
        "stream": _flag,
    }
    opts: dict[str, Any] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name not in OPTIONS:
            raise ValueError(f"unknown option {name!r} for openai; valid options: {', '.join(OPTIONS)}")
        try:
            opts[name] = conv[name](value)
        except ValueError as e:
            raise ValueError(f"bad value for {name} in {spec!r}: {e}") from None
    return base.rstrip("/"), model, opts


def _flag(value: str) -> bool:
    v = value.strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected 1/true or 0/false, got {value!r}")


def parse_stream_lines(lines: Sequence[str], n: int) -> tuple[tuple[str, ...], tuple[str, ...], int, int]:
    """(texts, finish_reasons, prompt_tokens, completion_tokens) from the SSE lines of a streamed chat
    completion; raises ``_Retryable`` when the stream was cut (no ``[DONE]``, a choice never finished) or a
    chunk is malformed."""
    texts: list[list[str]] = [[] for _ in range(n)]
    reasons: list[str | None] = [None] * n
    usage: dict[str, Any] = {}
    done = False
    for line in lines:
        line = line.strip()
        if not line or line.startswith(":") or not line.startswith("data:"):
            continue  # blank separators, comments (keep-alives) and other SSE fields
        data = line[len("data:") :].strip()
        if data == "[DONE]":
            done = True
            break
        try:
            chunk = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise _Retryable(f"malformed stream chunk: {_preview(data)!r}") from None
        if not isinstance(chunk, dict):
            raise _Retryable(f"malformed stream chunk: {_preview(data)!r}")
        if isinstance(chunk.get("usage"), dict):
            usage = chunk["usage"]
        for c in chunk.get("choices") or []:
            idx = c.get("index", 0) if isinstance(c, dict) else None
            if not isinstance(idx, int) or not 0 <= idx < n:
                raise _Retryable(f"malformed stream chunk: bad choice index: {_preview(data)!r}")
            delta = c.get("delta") or {}
            piece = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(piece, str):
                texts[idx].append(piece)
            if c.get("finish_reason"):
                reasons[idx] = str(c["finish_reason"])
    if not done:
        got = sum(len("".join(t)) for t in texts)
        raise _Retryable(f"stream cut before [DONE] after {got} characters")
    if any(r is None for r in reasons):
        raise _Retryable("stream ended without a finish reason for every choice")
    return (
        tuple("".join(t) for t in texts),
        tuple(str(r) for r in reasons),
        int(usage.get("prompt_tokens") or 0),
        int(usage.get("completion_tokens") or 0),
    )


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (the HTTP-date form is ignored: backoff applies instead)."""
    if value is None:
        return None
    try:
        s = float(value.strip())
    except ValueError:
        return None
    return s if s >= 0 else None


def _preview(body: bytes | str) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return text[:BODY_PREVIEW] + ("..." if len(text) > BODY_PREVIEW else "")


def parse_completion(body: bytes, n: int) -> tuple[tuple[str, ...], tuple[str, ...], int, int]:
    """(texts, finish_reasons, prompt_tokens, completion_tokens) from a response body; raises
    ``_Retryable`` on invalid JSON or a malformed shape (servers do emit those under load)."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise _Retryable(f"invalid JSON body ({e.msg if hasattr(e, 'msg') else e}): {_preview(body)!r}") from None
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list) or len(choices) != n:
        got = len(choices) if isinstance(choices, list) else "no"
        raise _Retryable(f"malformed response: expected {n} choices, got {got}: {_preview(body)!r}")
    if all(isinstance(c, dict) and isinstance(c.get("index"), int) for c in choices):
        choices = sorted(choices, key=lambda c: c["index"])
    texts, reasons = [], []
    for c in choices:
        msg = c.get("message") if isinstance(c, dict) else None
        content = msg.get("content") if isinstance(msg, dict) else None
        if content is None and isinstance(msg, dict) and isinstance(msg.get("refusal"), str):
            content = msg["refusal"]
        if not isinstance(content, str):
            raise _Retryable(f"malformed response: choices[].message.content missing: {_preview(body)!r}")
        texts.append(content)
        reasons.append(str(c.get("finish_reason") or "unknown"))
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    return tuple(texts), tuple(reasons), int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)


class OpenAIBackend:
    """Chat completions from an OpenAI-compatible server, concurrent, with retries and usage accounting."""

    kind = "openai"

    def __init__(
        self,
        spec: str,
        base_url: str,
        model: str,
        *,
        key_env: str | None = None,
        concurrency: int = 8,
        timeout: float = 120.0,
        retries: int = 5,
        backoff: float = 0.5,
        backoff_max: float = 30.0,
        retry_after_max: float = 300.0,
        stream: bool = False,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0, got {timeout}")
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        self.spec = spec
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.key_env = key_env
        self.concurrency = concurrency
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self.stream = stream
        self.stats = HTTPStats()
        self._rng = random.Random()
        self._lock = threading.Lock()

    @classmethod
    def from_spec(cls, spec: str, **overrides: Any) -> OpenAIBackend:
        base, model, opts = parse_openai_spec(spec)
        return cls(spec, base, model, **{**opts, **overrides})

    def fingerprint(self) -> dict[str, Any]:
        """Endpoint and model name: what decides the text. No key, concurrency, timeout or retries."""
        return {"backend": self.kind, "client_version": CLIENT_VERSION, "base_url": self.base_url, "model": self.model}

    def payload(self, request: GenerateRequest) -> dict[str, Any]:
        """The JSON body for one request (``seed`` only when set)."""
        s = request.sampling
        body: dict[str, Any] = {
            "model": self.model,
            "messages": prompt_messages(request.prompt),
            "temperature": s.temperature,
            "top_p": s.top_p,
            "max_tokens": s.max_tokens,
            "n": s.n,
        }
        if s.seed is not None:
            body["seed"] = s.seed
        if self.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.key_env:
            key = os.environ.get(self.key_env)
            if not key:
                raise OpenAIHTTPError(f"{self.spec}: environment variable {self.key_env} (the API key) is not set")
            headers["Authorization"] = f"Bearer {key}"
        return headers

    # ------------------------------------------------------------------ generation

    def generate(self, requests: Sequence[GenerateRequest]) -> list[Generation]:
        """One Generation per request, in input order; raises OpenAIHTTPError on the first failure."""
        if not requests:
            return []
        bodies = [self.payload(r) for r in requests]  # refuse bad prompts (images) before any traffic
        headers = self._headers()
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self._run(bodies, headers))
        box: dict[str, Any] = {}

        def worker() -> None:  # called from inside an event loop (notebook, async caller): own loop, own thread
            try:
                box["out"] = asyncio.run(self._run(bodies, headers))
            except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
                box["err"] = e

        t = threading.Thread(target=worker, name="assay-openai")
        t.start()
        t.join()
        if "err" in box:
            raise box["err"]
        return box["out"]

    async def _run(self, bodies: list[dict[str, Any]], headers: dict[str, str]) -> list[Generation]:
        import httpx

        sem = asyncio.Semaphore(self.concurrency)
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        async with httpx.AsyncClient(timeout=httpx.Timeout(self.timeout), limits=limits, headers=headers) as client:
            tasks = [asyncio.create_task(self._one(client, sem, b)) for b in bodies]
            try:
                return list(await asyncio.gather(*tasks))
            except BaseException:
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise

    def _count(self, **delta: float) -> None:
        with self._lock:
            for name, value in delta.items():
                setattr(self.stats, name, getattr(self.stats, name) + value)

    def _delay(self, attempt: int, server: float | None) -> float:
        if server is not None:
            return min(server, self.retry_after_max)
        return self._rng.uniform(0.0, min(self.backoff_max, self.backoff * 2**attempt))

    async def _one(self, client: Any, sem: asyncio.Semaphore, body: dict[str, Any]) -> Generation:
        """One logical request: attempts until success, a non-retryable error, or retries run out."""
        url = f"{self.base_url}/chat/completions"
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self._count(retries=1)
            try:
                async with sem:
                    self._count(attempts=1)
                    t0 = time.perf_counter()
                    result = await self._attempt(client, url, body)
                    latency = time.perf_counter() - t0
            except _Retryable as e:
                last = e.reason
                if attempt < self.retries:
                    await asyncio.sleep(self._delay(attempt, e.delay))
                continue
            except OpenAIHTTPError:
                self._count(failures=1)
                raise
            texts, reasons, p_tok, c_tok = result
            self._count(requests=1, prompt_tokens=p_tok, completion_tokens=c_tok, latency_s=latency)
            return Generation(texts, p_tok, c_tok, latency, reasons)
        self._count(failures=1)
        raise OpenAIHTTPError(f"{url}: gave up after {self.retries + 1} attempts; last error: {last}")

    async def _attempt(self, client: Any, url: str, body: dict[str, Any]) -> tuple[Any, ...]:
        """POST once; classify the outcome as a result, ``_Retryable`` or ``OpenAIHTTPError``."""
        import httpx

        if self.stream:
            try:
                return await asyncio.wait_for(self._attempt_stream(client, url, body), self.timeout)
            except TimeoutError:
                raise _Retryable(f"stream not finished after {self.timeout:g}s") from None
        try:
            resp = await client.post(url, json=body)
            content = resp.content  # read fully inside the timeout: a stalled body counts as a timeout
        except httpx.TimeoutException as e:
            raise _Retryable(f"timeout after {self.timeout:g}s ({type(e).__name__})") from None
        except httpx.TransportError as e:  # connection refused/reset, truncated body, protocol errors
            raise _Retryable(f"transport error: {type(e).__name__}: {e}") from None
        status = resp.status_code
        if status in RETRY_STATUSES or status >= 500:
            delay = _retry_after(resp.headers.get("retry-after"))
            raise _Retryable(f"HTTP {status}: {_preview(content)!r}", delay=delay, status=status)
        if not 200 <= status < 300:  # other 4xx (bad request, auth, unknown model) and redirects: final
            raise OpenAIHTTPError(f"{url}: HTTP {status} (not retried): {_preview(content)!r}", status=status)
        return parse_completion(content, int(body["n"]))

    async def _attempt_stream(self, client: Any, url: str, body: dict[str, Any]) -> tuple[Any, ...]:
        """One streamed POST: the whole answer or ``_Retryable`` (a cut stream is never half-kept)."""
        import httpx

        try:
            async with client.stream("POST", url, json=body) as resp:
                status = resp.status_code
                if not 200 <= status < 300:
                    content = await resp.aread()
                    if status in RETRY_STATUSES or status >= 500:
                        delay = _retry_after(resp.headers.get("retry-after"))
                        raise _Retryable(f"HTTP {status}: {_preview(content)!r}", delay=delay, status=status)
                    raise OpenAIHTTPError(f"{url}: HTTP {status} (not retried): {_preview(content)!r}", status=status)
                lines = [line async for line in resp.aiter_lines()]
        except httpx.TimeoutException as e:
            raise _Retryable(f"timeout after {self.timeout:g}s ({type(e).__name__})") from None
        except httpx.TransportError as e:  # the connection dropped mid-stream, protocol errors
            raise _Retryable(f"transport error mid-stream: {type(e).__name__}: {e}") from None
        return parse_stream_lines(lines, int(body["n"]))
