"""Generative-judge throughput against a local OpenAI-compatible server (vLLM's CPU build, .venv-vllm).

Prints, from one run: judge items/s through assay's `openai:` backend at concurrency 1, 4 and 16; the
server's own maximum on the same prompts (one /v1/completions request holding every prompt, which the
server batches itself: the limit); each ratio to that limit; and the time of a fully cached re-run.
Usage: python bench/judge_throughput.py [--items 16] [--max-tokens 32]   (needs `make vllm-env`)
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=16)
    ap.add_argument("--max-tokens", type=int, default=32)
    args = ap.parse_args()
    from transformers import AutoTokenizer

    from assay.benchmarks.gsm8k_demo import build_samples, gsm8k_path
    from assay.engine.cache import ScoreCache
    from assay.engine.generate import generate_requests
    from assay.models.default import default_model_path
    from assay.models.generation import SamplingConfig
    from assay.models.openai_http import OpenAIBackend
    from assay.protocols.judge_pairwise import JudgeConfig, judge_requests

    rows = [json.loads(x) for _, x in zip(range(2 * args.items), gsm8k_path().open(), strict=False)]
    pairs = [s for s in build_samples(rows, args.items, 0, "gsm8k") if s.subset == "pairs"]
    cfg = JudgeConfig(sampling=SamplingConfig(max_tokens=args.max_tokens))
    reqs = [r for p in pairs for r in judge_requests(p, cfg)]
    model_dir = default_model_path()
    from assay.serving import vllm_server

    log = Path(tempfile.mkdtemp()) / "server.log"
    proc, base = vllm_server.start(model_dir, log)
    try:
        tok = AutoTokenizer.from_pretrained(model_dir)
        texts = [
            tok.apply_chat_template([m.to_json() for m in r.prompt], tokenize=False, add_generation_prompt=True)
            for r in reqs
        ]
        body = json.dumps({"model": "smol", "prompt": texts, "max_tokens": args.max_tokens, "temperature": 0})
        # warm the server's prefix cache once, so every measurement below sees the same warm server
        OpenAIBackend.from_spec(f"openai:{base}#smol?concurrency=16").generate(reqs)
        t0 = time.perf_counter()
        req = urllib.request.Request(f"{base}/completions", body.encode(), {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=600) as r:
            usage = json.loads(r.read())["usage"]
        limit = time.perf_counter() - t0
        print(f"{len(reqs)} judge prompts, max {args.max_tokens} tokens each")
        print(
            f"server maximum (one batched /completions request, warm): {limit:.2f} s, {len(reqs) / limit:.2f} "
            f"items/s, {usage['completion_tokens'] / limit:.0f} completion tok/s   <- the limit"
        )
        for c in (1, 4, 16):
            backend = OpenAIBackend.from_spec(f"openai:{base}#smol?concurrency={c}")
            t0 = time.perf_counter()
            gens = backend.generate(reqs)
            dt = time.perf_counter() - t0
            toks = sum(g.completion_tokens for g in gens)
            print(
                f"assay openai: concurrency {c:>2}: {dt:.2f} s, {len(reqs) / dt:.2f} items/s, "
                f"{toks / dt:.0f} completion tok/s, ratio to the limit {dt / limit:.2f}x"
            )
        with tempfile.TemporaryDirectory() as tmp, ScoreCache(Path(tmp) / "s.sqlite") as cache:
            backend = OpenAIBackend.from_spec(f"openai:{base}#smol?concurrency=16")
            generate_requests(backend, reqs, cache=cache)
            t0 = time.perf_counter()
            _, rep = generate_requests(backend, reqs, cache=cache)
            print(f"cached re-run: {time.perf_counter() - t0:.3f} s ({rep.n_cached} of {rep.n_requests} from cache)")
    finally:
        vllm_server.stop(proc)


if __name__ == "__main__":
    main()
