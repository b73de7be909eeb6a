"""Reference baselines on exactly the items of a pairwise run, scored by the benchmark's own rules.

A leaderboard number means little without what a trivial strategy gets on the same items: a length
bias scores well on chat pairs, and a judge that always answers "A" gets about half (answer placement
is seeded per item). For every run whose items are all pairs, metrics.json carries:

* ``length``: the longer response (Unicode characters, as ``baseline:length``) is preferred;
* ``shorter``: the shorter one is preferred;
* for pairwise-verdict judge runs, ``always_A`` / ``always_B``: a judge that names the same position in
  every judgement, with the run's recorded placements (both orders included when the run used them), in
  the parser's own verdict vocabulary (``A`` or ``A>B``). Rating, ranking and PC2 runs get the length
  baselines only.

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


# the verdict value meaning "the answer shown first/second is better", per pairwise parser
POSITION_VERDICTS: dict[str, tuple[str, str]] = {
    "rewardbench": ("A", "B"),
    "rm-r1": ("A", "B"),
    "judgebench": ("A>B", "B>A"),
    "judgebench-vanilla": ("A>B", "B>A"),
}


def _fixed_verdict(rec: Record, position: int) -> Record:
    verdict = POSITION_VERDICTS[_parser(rec) or ""][position]
    out = {k: v for k, v in rec.items() if k != "outcome"}
    out["judgements"] = [
        {**j, "verdict": verdict, "valid": True, "raw": f"[[{verdict}]]", "reason": "baseline"}
        for j in rec["judgements"]
    ]
    return out


def _parser(rec: Record) -> str | None:
    """The parser of a pairwise-verdict judge record (None for rating, ranking, PC2... records)."""
    judge = rec.get("judge")
    if isinstance(judge, dict):
        return str(judge.get("parser")) if judge.get("mode") == "pairwise" else None
    # records written before the judge block existed: RewardBench's pairwise verdicts
    js = rec.get("judgements")
    if isinstance(js, list) and js and all(isinstance(j, dict) and j.get("chosen_label") in ("A", "B") for j in js):
        return "rewardbench"
    return None


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
    "always_A": (
        "a judge that always prefers the first answer (A), with the run's placements",
        lambda r: _fixed_verdict(r, 0),
    ),
    "always_B": (
        "a judge that always prefers the second answer (B), with the run's placements",
        lambda r: _fixed_verdict(r, 1),
    ),
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
    if all(_parser(r) in POSITION_VERDICTS for r in records):  # pairwise verdicts: position baselines apply
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
