"""REFUTE test cases: small problems, answer texts and a fake model context shared by the REFUTE tests.

The problems are written for these tests (a max-subarray solution that fails only on all-negative arrays, a
sort that crashes on one element, a YES/NO parity check, a loop that never ends on zero), each with a correct
and a wrong counterexample program fed through the protocol by a fake model that returns fixed texts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks.refute import _config, load, outcome, run
from assay.benchmarks.registry import LoadOptions
from assay.models.generation import Generation, SamplingConfig

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox runs on Linux")

MAXSUB_VALIDATOR = """import sys
data = sys.stdin.read().split()
n = int(data[0])
assert 1 <= n <= 10 and len(data) == n + 1
assert all(-100 <= int(x) <= 100 for x in data[1:])
"""
MAXSUB_BUGGY = """n = int(input())
a = list(map(int, input().split()))
best = cur = 0
for x in a:
    cur = max(0, cur + x)
    best = max(best, cur)
print(best)
"""
MAXSUB_CORRECT = """n = int(input())
a = list(map(int, input().split()))
best, cur = a[0], 0
for x in a:
    cur = max(x, cur + x)
    best = max(best, cur)
print(best)
"""


def row(pid: str, buggy: str, correct: str, validator: str, **extra: Any) -> dict[str, Any]:
    return {
        "problem_id": pid,
        "statement": f"Problem {pid}. Prices are in $$$n$$$ coins.",
        "time_limit": 1000,
        "memory_limit": 256,
        "input": "n, then n integers",
        "output": "one line",
        "example_input": "1\n5",
        "example_output": "5",
        "note": None,
        "wrong_code": buggy,
        "wrong_code_lang": "Python 3",
        "correct_cpp": None,
        "correct_python": correct,
        "validator": validator,
        "problem_rating": 1200,
        "tags": ["greedy"],
        **extra,
    }


PROBLEMS = {
    "maxsub": row("maxsub", MAXSUB_BUGGY, MAXSUB_CORRECT, MAXSUB_VALIDATOR),
    "sort": row(
        "sort",
        "n = int(input())\na = sorted(map(int, input().split()))\nprint(*a)\nassert a[1] >= a[0]\n",
        "n = int(input())\nprint(*sorted(map(int, input().split())))\n",
        MAXSUB_VALIDATOR,
    ),
    "parity": row(
        "parity",
        "n = int(input())\nprint('Yes' if n % 2 == 0 or n == 7 else 'no')\n",
        "n = int(input())\nprint('YES' if n % 2 == 0 else 'NO')\n",
        "n = int(input())\nassert 1 <= n <= 100\n",
    ),
    "loop": row(
        "loop",
        "n = int(input())\nwhile n == 0:\n    pass\nprint(n)\n",
        "print(int(input()))\n",
        "n = int(input())\nassert 0 <= n <= 9\n",
    ),
    "fragile": row(
        "fragile",
        "print(int(input()) + 1)\n",
        "n = int(input())\nassert n != 5\nprint(n + 1)\n",
        "n = int(input())\nassert 0 <= n <= 9\n",
    ),
}


def answer(code: str, lang: str = "Python 3", reason: str = "because") -> str:
    return (
        f"<reason>\n{reason}\n</reason>\n<action>\n<name>print_fail_case</name>\n"
        f"<code>\n{code}\n</code>\n<lang>{lang}</lang>\n</action>"
    )


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


class FakeCtx:
    """Stands in for RunContext: returns fixed texts (this tests the protocol, not a model)."""

    def __init__(self, texts: dict[str, list[str]], cache_dir: Path) -> None:
        self.texts = texts
        self.sampling = SamplingConfig(temperature=0.7, max_tokens=64, seed=0)  # sampled: pass@k with k > 1
        self.seed = 0
        self.options: dict[str, str] = {}
        self.cache_dir = cache_dir
        self.requests: list[Any] = []

    def generate(self, requests: list[Any]) -> list[Generation]:
        self.requests.extend(requests)
        out = []
        for r in requests:
            pid = next(p for p in self.texts if f"Problem {p}." in r.prompt[1].content)
            ts = self.texts[pid][: r.sampling.n]
            out.append(Generation(tuple(ts), 10, 10, 0.0, tuple("stop" for _ in ts)))
        return out


def run_protocol(
    tmp_path: Path, texts: dict[str, list[str]], temperature: float = 0.7, **options: str
) -> list[dict[str, Any]]:
    data = write_jsonl(tmp_path / "refute.jsonl", [PROBLEMS[p] for p in texts])
    loaded = load(LoadOptions(data=str(data)))
    cfg = _config({"attempts": str(max(len(v) for v in texts.values())), **options})
    ctx = FakeCtx(texts, tmp_path)
    ctx.sampling = SamplingConfig(temperature=temperature, max_tokens=64, seed=0 if temperature else None)
    records = run(loaded.samples, ctx, cfg)
    for r in records:
        r["outcome"] = outcome(r)
    return records
