"""The ``openai:`` backend against a fake OpenAI-compatible server on 127.0.0.1, scripted per test to
produce the faults a real server will not produce on demand (429 + Retry-After, 5xx, hangs, truncated or
malformed bodies, 400). The server counts every HTTP attempt per prompt and the peak number in flight, so
the tests can check that no logical request is lost or double-counted and that concurrency is capped."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from assay.models.generation import GenerateRequest, SamplingConfig
from assay.models.openai_http import OpenAIBackend, OpenAIHTTPError, parse_openai_spec
from assay.samples import user_prompt

pytest.importorskip("httpx")  # the backend's HTTP client (imported lazily by the backend itself)

# A script maps (prompt text, attempt number for that prompt, starting at 1) to an action:
#   ("ok",) | ("status", code, body, headers) | ("raw", bytes) | ("hang", seconds) | ("sleep_ok", seconds)
#   | ("cut",): a body cut short on the wire (Content-Length larger than what is sent)
#   | ("stream_cut", k): a streamed answer that stops after k chunks (connection closed, no [DONE])
#   | ("stream_cut_chunked", k): the same inside HTTP/1.1 chunked encoding, dropped mid-chunk
#   | ("stream_garbage",): a stream with a malformed chunk
# A request with "stream": true gets server-sent events for "ok" (one chunk per word, usage, [DONE]).
Script = Callable[[str, int], tuple[Any, ...]]


class FakeServer:
    """A threaded HTTP server answering POST /v1/chat/completions according to ``script``."""

    def __init__(self) -> None:
        self.script: Script = lambda prompt, attempt: ("ok",)
        self.attempts: Counter[str] = Counter()
        self.auth: list[str | None] = []
        self.bodies: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.release = threading.Event()  # wakes hanging handlers at teardown
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                prompt = body["messages"][-1]["content"]
                with fake.lock:
                    fake.attempts[prompt] += 1
                    attempt = fake.attempts[prompt]
                    fake.auth.append(self.headers.get("Authorization"))
                    fake.bodies.append(body)
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    self._answer(fake.script(prompt, attempt), body, prompt)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): expected
                finally:
                    with fake.lock:
                        fake.in_flight -= 1

            def _answer(self, action: tuple[Any, ...], body: dict[str, Any], prompt: str) -> None:
                kind = action[0]
                if kind == "hang":
                    fake.release.wait(action[1])
                    return
                if kind == "sleep_ok":
                    time.sleep(action[1])
                    kind = "ok"
                if kind == "ok" and body.get("stream"):
                    self._stream(self._chunks(body, prompt), done=True)
                    return
                if kind == "stream_cut":
                    self._stream(self._chunks(body, prompt)[: action[1]], done=False)
                    return
                if kind == "stream_cut_chunked":
                    self.protocol_version = "HTTP/1.1"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for c in self._chunks(body, prompt)[: action[1]]:
                        data = f"data: {json.dumps(c)}\n\n".encode()
                        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                    self.wfile.write(b'400\r\ndata: {"cho')  # a chunk announced, then the line drops
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if kind == "stream_garbage":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    self.wfile.write(b"data: {not json\n\ndata: [DONE]\n\n")
                    return
                if kind == "ok":
                    n = body.get("n", 1)
                    choices = [
                        {
                            "index": i,
                            "message": {"role": "assistant", "content": f"echo {i}: {prompt}"},
                            "finish_reason": "stop",
                        }
                        for i in reversed(range(n))  # out of order on purpose: the client sorts by index
                    ]
                    usage = {"prompt_tokens": len(prompt), "completion_tokens": 3 * n, "total_tokens": 0}
                    self._send(200, json.dumps({"choices": choices, "usage": usage}).encode(), {})
                elif kind == "status":
                    self._send(action[1], action[2].encode(), action[3])
                elif kind == "raw":
                    self._send(200, action[1], {})
                elif kind == "cut":  # announce more bytes than are sent, then drop the connection
                    self.send_response(200)
                    self.send_header("Content-Length", "500")
                    self.end_headers()
                    self.wfile.write(b'{"choices": [{"index"')
                    self.wfile.flush()
                    self.close_connection = True

            def _chunks(self, body: dict[str, Any], prompt: str) -> list[dict[str, Any]]:
                words = f"echo 0: {prompt}".split(" ")
                out: list[dict[str, Any]] = [{"choices": [{"index": 0, "delta": {"role": "assistant"}}]}]
                for i, w in enumerate(words):
                    piece = w if i == 0 else " " + w
                    out.append({"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
                out.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                out.append({"choices": [], "usage": {"prompt_tokens": len(prompt), "completion_tokens": 3}})
                return out

            def _stream(self, chunks: list[dict[str, Any]], done: bool) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()  # HTTP/1.0: the body ends when the connection closes
                for c in chunks:
                    self.wfile.write(f"data: {json.dumps(c)}\n\n".encode())
                    self.wfile.flush()
                if done:
                    self.wfile.write(b"data: [DONE]\n\n")

            def _send(self, code: int, payload: bytes, headers: dict[str, str]) -> None:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def total(self) -> int:
        return sum(self.attempts.values())


@pytest.fixture()
def server() -> Iterator[FakeServer]:
    s = FakeServer()
    yield s
    s.close()


def backend(server: FakeServer, **kw: Any) -> OpenAIBackend:
    kw.setdefault("backoff", 0.01)
    kw.setdefault("timeout", 5.0)
    return OpenAIBackend(f"openai:{server.url}#fake-model", server.url, "fake-model", **kw)


def reqs(*prompts: str, **sampling: Any) -> list[GenerateRequest]:
    return [GenerateRequest(user_prompt(p), SamplingConfig(**sampling)) for p in prompts]


def check_one_each(gens: list[Any], prompts: list[str]) -> None:
    """Each logical request produced exactly one Generation, in input order, with its own text."""
    assert len(gens) == len(prompts)
    for g, p in zip(gens, prompts, strict=True):
        assert g.texts == (f"echo 0: {p}",)
        assert g.finish_reasons == ("stop",)
        assert g.prompt_tokens == len(p) and g.completion_tokens == 3


def test_spec_parsing_and_fingerprint_without_key(server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    base, model, opts = parse_openai_spec("openai:http://h:8000/v1/#org/m-1?key_env=K&concurrency=3&timeout=2.5")
    assert (base, model, opts) == ("http://h:8000/v1", "org/m-1", {"key_env": "K", "concurrency": 3, "timeout": 2.5})
    for bad in ("openai:http://h/v1", "openai:#m", "openai:ftp://h#m", "openai:http://h#m?colour=red"):
        with pytest.raises(ValueError):
            parse_openai_spec(bad)
    monkeypatch.setenv("FAKE_KEY", "sk-very-secret-123")
    b = OpenAIBackend.from_spec(f"openai:{server.url}#fake-model?key_env=FAKE_KEY&concurrency=2", backoff=0.01)
    gens = b.generate(reqs("hello", temperature=0.7, seed=5, max_tokens=9))
    check_one_each(gens, ["hello"])
    assert server.auth == ["Bearer sk-very-secret-123"]
    sent = server.bodies[0]
    assert sent["model"] == "fake-model" and sent["messages"] == [{"role": "user", "content": "hello"}]
    assert (sent["temperature"], sent["top_p"], sent["max_tokens"], sent["seed"], sent["n"]) == (0.7, 1.0, 9, 5, 1)
    fp = json.dumps(b.fingerprint())
    assert "sk-very-secret" not in fp and "FAKE_KEY" not in fp and "concurrency" not in fp
    assert "sk-very-secret" not in json.dumps(b.stats.to_json())
    assert "sk-very-secret" not in json.dumps(vars(b), default=str)  # not stored on the backend either
    monkeypatch.delenv("FAKE_KEY")
    with pytest.raises(OpenAIHTTPError, match="FAKE_KEY"):
        b.generate(reqs("again"))
    assert server.total == 1  # nothing sent without a key


def test_unseeded_request_omits_seed_and_n_choices_sorted(server: FakeServer) -> None:
    gens = backend(server).generate(reqs("p", temperature=1.0, n=3))
    assert "seed" not in server.bodies[0]
    assert gens[0].texts == ("echo 0: p", "echo 1: p", "echo 2: p") and gens[0].completion_tokens == 9


def test_429_retry_after_is_honoured(server: FakeServer) -> None:
    server.script = lambda p, a: ("status", 429, '{"error": "slow down"}', {"Retry-After": "1"}) if a == 1 else ("ok",)
    b = backend(server)
    t0 = time.perf_counter()
    gens = b.generate(reqs("a", "b"))
    assert time.perf_counter() - t0 >= 0.95  # backoff alone (0.01 s) would be far shorter
    check_one_each(gens, ["a", "b"])
    assert server.attempts == {"a": 2, "b": 2}
    assert (b.stats.requests, b.stats.retries, b.stats.attempts, b.stats.failures) == (2, 2, 4, 0)


def test_500_then_success_no_loss_no_double_count(server: FakeServer) -> None:
    prompts = [f"q{i}" for i in range(20)]
    # odd prompts fail once with 500, every third twice with 503; the rest succeed at once
    fails = {p: (2 if i % 3 == 0 else 1 if i % 2 else 0) for i, p in enumerate(prompts)}
    server.script = lambda p, a: ("status", 500 if a == 1 else 503, "oops", {}) if a <= fails[p] else ("ok",)
    b = backend(server, concurrency=4)
    gens = b.generate(reqs(*prompts))
    check_one_each(gens, prompts)
    assert server.attempts == {p: fails[p] + 1 for p in prompts}
    assert b.stats.retries == sum(fails.values()) and b.stats.attempts == server.total
    assert b.stats.requests == 20 and b.stats.failures == 0
    assert b.stats.prompt_tokens == sum(len(p) for p in prompts) and b.stats.completion_tokens == 60
    assert b.stats.latency_s == pytest.approx(sum(g.latency_s for g in gens))


def test_hanging_response_times_out_then_retries(server: FakeServer) -> None:
    server.script = lambda p, a: ("hang", 5.0) if a == 1 else ("ok",)
    b = backend(server, timeout=0.3)
    t0 = time.perf_counter()
    gens = b.generate(reqs("slow"))
    assert time.perf_counter() - t0 < 3.0
    check_one_each(gens, ["slow"])
    assert server.attempts["slow"] == 2 and b.stats.retries == 1


@pytest.mark.parametrize(
    "bad",
    [
        b'{"choices": [{"index": 0, "message": {"role": "assis',  # truncated JSON
        b'{"object": "error"}',  # valid JSON, wrong shape
        b'{"choices": [{"index": 0, "message": {"role": "assistant"}}]}',  # content missing
    ],
)
def test_malformed_body_is_retried(server: FakeServer, bad: bytes) -> None:
    server.script = lambda p, a: ("raw", bad) if a == 1 else ("ok",)
    b = backend(server)
    check_one_each(b.generate(reqs("m")), ["m"])
    assert server.attempts["m"] == 2 and b.stats.retries == 1


def test_body_cut_on_the_wire_is_retried(server: FakeServer) -> None:
    server.script = lambda p, a: ("cut",) if a == 1 else ("ok",)
    b = backend(server)
    check_one_each(b.generate(reqs("w")), ["w"])
    assert server.attempts["w"] == 2 and b.stats.retries == 1


def test_malformed_body_gives_a_clear_error_when_retries_run_out(server: FakeServer) -> None:
    server.script = lambda p, a: ("raw", b'{"choices": [{"ind')
    b = backend(server, retries=2)
    with pytest.raises(OpenAIHTTPError, match=r"gave up after 3 attempts.*invalid JSON"):
        b.generate(reqs("m"))
    assert server.attempts["m"] == 3 and b.stats.failures == 1 and b.stats.requests == 0


def test_persistent_503_exhausts_retries(server: FakeServer) -> None:
    server.script = lambda p, a: ("status", 503, "overloaded", {})
    b = backend(server, retries=3)
    with pytest.raises(OpenAIHTTPError, match=r"4 attempts.*HTTP 503.*overloaded"):
        b.generate(reqs("x"))
    assert server.attempts["x"] == 4 and b.stats.retries == 3


def test_400_is_not_retried_and_names_status_and_body(server: FakeServer) -> None:
    msg = '{"error": {"message": "max_tokens is too large for model fake-model"}}'
    server.script = lambda p, a: ("status", 400, msg, {})
    b = backend(server, retries=5)
    with pytest.raises(OpenAIHTTPError, match=r"HTTP 400.*max_tokens is too large") as info:
        b.generate(reqs("big"))
    assert info.value.status == 400
    assert server.attempts["big"] == 1 and b.stats.retries == 0 and b.stats.failures == 1


def test_concurrency_limit_respected(server: FakeServer) -> None:
    server.script = lambda p, a: ("sleep_ok", 0.1)
    prompts = [f"c{i}" for i in range(12)]
    b = backend(server, concurrency=3)
    check_one_each(b.generate(reqs(*prompts)), prompts)
    assert server.max_in_flight == 3
    assert server.total == 12


def test_connection_refused_is_retried_then_fails(server: FakeServer) -> None:
    server.close()  # nothing listens on the port any more
    b = backend(server, retries=1)
    with pytest.raises(OpenAIHTTPError, match="transport error"):
        b.generate(reqs("x"))
    assert b.stats.attempts == 2 and b.stats.failures == 1


def test_generate_from_inside_a_running_event_loop(server: FakeServer) -> None:
    import asyncio

    async def main() -> list[Any]:
        return backend(server).generate(reqs("loop"))

    check_one_each(asyncio.run(main()), ["loop"])


def test_streamed_answers_equal_unstreamed(server: FakeServer) -> None:
    prompts = ["alpha beta", "gamma", "delta epsilon zeta"]
    gens = backend(server, stream=True).generate(reqs(*prompts))
    check_one_each(gens, prompts)
    assert all(b.get("stream") is True for b in server.bodies)
    assert parse_openai_spec(f"openai:{server.url}#m?stream=1")[2] == {"stream": True}
    with pytest.raises(ValueError, match="stream"):
        parse_openai_spec(f"openai:{server.url}#m?stream=maybe")


@pytest.mark.parametrize("cut", ["stream_cut", "stream_cut_chunked"])
def test_stream_cut_mid_answer_is_retried_whole(server: FakeServer, cut: str) -> None:
    """A stream dropped mid-answer is never kept half-written: the request is retried and the answer
    recorded once, complete; other requests are neither lost nor repeated."""
    server.script = lambda p, a: (cut, 3) if p == "cut me here please" and a == 1 else ("ok",)
    prompts = ["one", "cut me here please", "three"]
    b = backend(server, stream=True)
    gens = b.generate(reqs(*prompts))
    check_one_each(gens, prompts)
    assert server.attempts == Counter({"one": 1, "cut me here please": 2, "three": 1})
    assert b.stats.requests == 3 and b.stats.retries == 1 and b.stats.failures == 0
    assert b.stats.completion_tokens == 9


def test_stream_cut_every_time_fails_clearly(server: FakeServer) -> None:
    server.script = lambda p, a: ("stream_cut", 2)
    b = backend(server, stream=True, retries=2)
    with pytest.raises(OpenAIHTTPError, match=r"gave up after 3 attempts.*stream cut before \[DONE\]"):
        b.generate(reqs("never finishes"))
    assert server.attempts["never finishes"] == 3


def test_malformed_stream_chunk_is_retried(server: FakeServer) -> None:
    server.script = lambda p, a: ("stream_garbage",) if a == 1 else ("ok",)
    gens = backend(server, stream=True).generate(reqs("x y"))
    check_one_each(gens, ["x y"])
    assert server.attempts["x y"] == 2
