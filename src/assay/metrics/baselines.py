"""Reference baselines on exactly the items of a pairwise run, scored by the benchmark's own rules.

A leaderboard number means little without what a trivial strategy gets on the same items: a length
bias scores well on chat pairs, and a judge that always answers "A" gets about half (answer placement
is seeded per item). For every run whose items are all pairs, metrics.json carries:

* ``length``: the longer response (Unicode characters, as ``baseline:length``) is preferred;
* ``shorter``: the shorter one is preferred;
* for generative-judge runs, ``always_A`` / ``always_B``: a judge that names the same position in every
  judgement, with the run's recorded placements (both orders included when the run used them).

Each baseline is the benchmark's ``aggregate`` over synthetic records built from the run's records
(so weights, tie rules and CIs are the benchmark's own), with the same seed: it is a pure function of
samples.jsonl, and ``assay rescore`` recomputes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Record = dict[str, Any]


def _scalar(rec: Record, chosen: float, rejected: float) -> Record:
    out = {k: v for k, v in rec.items() if k not in ("judgements", "outcome", "scores")}
    out["scores"] = {"chosen": chosen, "rejected": rejected}
    return out


def _fixed_verdict(rec: Record, verdict: str) -> Record:
    out = {k: v for k, v in rec.items() if k != "outcome"}
    out["judgements"] = [
        {**j, "verdict": verdict, "valid": True, "raw": f"[[{verdict}]]", "reason": "baseline"}
        for j in rec["judgements"]
    ]
    return out


BUILDERS: dict[str, tuple[str, Callable[[Record], Record]]] = {
    "length": (
        "the longer response (characters) is preferred",
        lambda r: _scalar(r, float(len(r["chosen"])), float(len(r["rejected"]))),
    ),
    "shorter": (
        "the shorter response (characters) is preferred",
        lambda r: _scalar(r, -float(len(r["chosen"])), -float(len(r["rejected"]))),
    ),
}
JUDGE_BUILDERS: dict[str, tuple[str, Callable[[Record], Record]]] = {
    "always_A": ("a judge that always answers A, with the run's placements", lambda r: _fixed_verdict(r, "A")),
    "always_B": ("a judge that always answers B, with the run's placements", lambda r: _fixed_verdict(r, "B")),
}


def pairwise_baselines(
    records: Sequence[Record],
    outcome: Callable[[Record], dict[str, Any]],
    aggregate: Callable[[Sequence[Record], int, int], dict[str, Any]],
    seed: int,
    n_boot: int,
) -> dict[str, Any] | None:
    """``{name: {"rule", "overall", "subsets"?}}`` for a run whose records are all text pairs, else None."""
    if not records or not all(
        r.get("kind") == "pair" and isinstance(r.get("chosen"), str) and isinstance(r.get("rejected"), str)
        for r in records
    ):
        return None
    builders = dict(BUILDERS)
    if all(isinstance(r.get("judgements"), list) and r["judgements"] for r in records):
        builders.update(JUDGE_BUILDERS)
    out: dict[str, Any] = {}
    for name, (rule, build) in builders.items():
        synth = [build(r) for r in records]
        for s in synth:
            s["outcome"] = outcome(s)
        metrics = aggregate(synth, seed, n_boot)
        entry: dict[str, Any] = {"rule": rule, "overall": metrics.get("overall")}
        if isinstance(metrics.get("sections"), dict):
            entry["sections"] = metrics["sections"]
        out[name] = entry
    return out
