"""ProcessBench (Zheng et al. 2024, arXiv:2412.06559) and MR-GSM8K: find the earliest wrong step.

Data (both benchmarks share it): rows ``{id, generator, problem, steps[], final_answer_correct, label}``,
``label`` = 0-based index of the earliest erroneous step, -1 when every step is right. ProcessBench: hub
``Qwen/ProcessBench``, one split per subset (gsm8k, math, olympiadbench, omnimath); ``--data`` may be a
folder holding ``<subset>.json`` files or one such file (the subset is the id prefix ``gsm8k-0`` or the
file name). MR-GSM8K: the processed file of RUCBM/DeepCritic ``data/Mr-GSM8K/processed_test.json`` (no
hub copy: ``--data`` is required); one subset ``mr-gsm8k``.

Critic protocol, as QwenLM/ProcessBench ``code/run_eval.py``:

* prompt: ``templates/critique_template.txt`` (``.strip()``ed, then ``.format``) with the steps tagged by
  ``prepare_input_boxed``: ``<paragraph_i>\\n{step}\\n</paragraph_i>\\n\\n`` joined and stripped, one user
  message;
* ``extract_answer``: ``re.findall(r'\\\\boxed\\{([^}]*)\\}', text)[-1].strip()`` (the LAST match; the
  pattern stops at the first ``}``, so ``\\boxed{\\text{2}}`` gives ``\\text{2`` and is invalid), then
  ``int(...)``; anything that fails is ``None`` (invalid: counted, never dropped, and never a match);
* ``--use_voting`` (option ``votes=k``): k samples, ``Counter(preds).most_common(1)`` over the extracted
  *strings* of the samples that had a box (ties: the string seen first wins, as ``most_common`` keeps
  insertion order), then ``int()`` of the winner (a non-integer winner makes the item invalid);
* metric (``run_eval.py`` / ``run_eval_prm_trl.py``): per subset, acc_err = mean(pred == label) over
  ``label != -1``, acc_cor = mean(pred == -1) over ``label == -1``, F1 = 2 acc_err acc_cor / (acc_err +
  acc_cor); the paper's headline is the mean of the subset F1s (``all_f1_scores``). Values here are
  fractions (the authors print x100). ``overall`` averages the subsets present (a folder, ``--subsets``
  or ``--limit`` may leave some out): ``extra.overall_over`` names them, ``extra.overall_complete`` says
  whether all four (MR-GSM8K: its one) are there.

DeepCritic numbering (option ``numbering=1``; RUCBM/DeepCritic ``ProcessBench/code/eval.py``
``prepare_input_boxed`` and ``templates/critique_template_new.txt``): each step is prefixed ``Step i: ``
(1-based, unless it already contains ``"Step "``), steps joined by a blank line; a prediction matches
when ``pred == -1`` for a correct solution and ``pred == label + 1`` otherwise. MR-GSM8K defaults to
``numbering=1`` because its steps already read ``Step 1: ...`` and DeepCritic, who released this file,
evaluated it only that way; ProcessBench defaults to 0.

Process reward models (``prm:`` specs, models/prm.py): one forward pass gives a score per step; the
prediction is the first step whose score is below ``threshold`` (-1 if none). ProcessBench's
``run_eval_prm_trl.py`` takes the argmax of a 2-class head (``find_first_zero``), i.e. threshold 0.5 on
the positive probability (the default here; argmax also flags an exact 0.5, the strict ``<`` here does
not). ``threshold=auto`` picks the threshold maximising the mean subset F1 on a seeded half of the items
(``sha256(f"{seed}:{id}")`` even) and reports the metrics on the other half; both are in metrics.json.

Deviations (documented, tested): F1 with acc_err = acc_cor = 0 is 0 (numpy gives NaN upstream); a
subset without error (or without correct) items has that accuracy and its F1 undefined (NaN, as
upstream), and the overall mean is then NaN too. Option ``parse=balanced`` reads the last ``\\boxed{}``
with nested braces and unwraps ``\\text{}``-style wrappers (not the authors' rule; off by default).

Modules: this one registers both benchmarks and wires load / run / outcome / aggregate; the prompts are in
``assay.critics.process_prompts``, parsing, voting and the metric in ``assay.critics.process_metrics``, rows
in ``assay.critics.processbench_data``, the PRM path in ``assay.critics.process_prm`` and the released-output
reader (``assay score``) in ``assay.critics.processbench_release``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from assay.benchmarks.registry import Benchmark, LoadOptions, LoadResult, Record, register
from assay.critics.process_metrics import PARSES, extract_boxed, is_match, subset_metrics, vote
from assay.critics.process_prm import auto_threshold, prm_outcome, run_prm
from assay.critics.process_prompts import critique_prompt
from assay.critics.processbench_data import KIND_CRITIC, KIND_PRM, from_row, item_fields, rows_with_subset
from assay.critics.processbench_release import make_predictions
from assay.samples import Item, Sample, user_prompt

HUB_ID = "Qwen/ProcessBench"
SUBSETS: tuple[str, ...] = ("gsm8k", "math", "olympiadbench", "omnimath")
MR_SUBSET = "mr-gsm8k"


# ---------------------------------------------------------------- loading


def _make_load(allowed: tuple[str, ...], hub_id: str | None, bench: str) -> Any:
    def load(opts: LoadOptions) -> LoadResult:
        from assay.data.collect import collect

        source = opts.data or hub_id
        if source is None:
            raise ValueError(
                f"{bench}: no hub copy of the data; pass --data with the DeepCritic file "
                "(github.com/RUCBM/DeepCritic data/Mr-GSM8K/processed_test.json)"
            )
        pairs = rows_with_subset(source, allowed, opts.subsets, hub=not Path(source).expanduser().exists())
        current: dict[str, str | None] = {"subset": None}  # collect converts each row as soon as it is yielded

        def rows() -> Any:
            for row, s in pairs:
                current["subset"] = s
                yield row

        return collect(
            rows(),
            lambda row: from_row(row, current["subset"], allowed),
            skip_invalid=opts.skip_invalid,
            source=source,
            subsets=opts.subsets,
            limit=opts.limit,
        )

    return load


# ---------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Config:
    numbering: int = 0
    votes: int = 1
    parse: str = "authors"
    threshold: str = "0.5"  # PRM runs: a number or "auto"


def parse_options(values: Mapping[str, str], base: Config) -> Config:
    cfg = base
    if "numbering" in values:
        if values["numbering"] not in ("0", "1"):
            raise ValueError(f"numbering must be 0 or 1, got {values['numbering']!r}")
        cfg = replace(cfg, numbering=int(values["numbering"]))
    if "votes" in values:
        try:
            k = int(values["votes"])
        except ValueError:
            k = 0
        if k < 1:
            raise ValueError(f"votes must be an integer >= 1, got {values['votes']!r}")
        cfg = replace(cfg, votes=k)
    if "parse" in values:
        if values["parse"] not in PARSES:
            raise ValueError(f"parse must be one of {', '.join(PARSES)}, got {values['parse']!r}")
        cfg = replace(cfg, parse=values["parse"])
    if "threshold" in values:
        t = values["threshold"]
        if t != "auto":
            try:
                float(t)
            except ValueError:
                raise ValueError(f"threshold must be a number or auto, got {t!r}") from None
        cfg = replace(cfg, threshold=t)
    return cfg


OPTIONS = {
    "numbering": "0: ProcessBench paragraph tags, 0-based answers | 1: DeepCritic 'Step i:' template, 1-based",
    "votes": "k samples per item, majority vote on the boxed answers (ProcessBench --use_voting; "
    "needs --temperature > 0)",
    "parse": "authors: last match of \\boxed{([^}]*)} | balanced: last \\boxed{...} with nested braces",
    "threshold": "PRM models: first step scoring below it is the error; 0.5 (default) | a number | auto "
    "(tuned on a seeded half of the items, reported on the other half)",
}


# ---------------------------------------------------------------- run: critic and PRM


def run(samples: Sequence[Sample], ctx: Any, cfg: Config) -> list[Record]:
    items = [s for s in samples if isinstance(s, Item)]
    if len(items) != len(samples):
        raise TypeError("processbench: expected Item samples")
    if str(ctx.spec).startswith("prm:"):
        if cfg.votes != 1:
            raise ValueError("votes applies to generative critics, not to a process reward model")
        return run_prm(items, ctx, cfg.threshold)
    from assay.models.generation import GenerateRequest

    if cfg.threshold != "0.5":
        raise ValueError(f"threshold={cfg.threshold} applies to process reward models (prm: specs), not to {ctx.spec}")
    if cfg.votes > 1 and ctx.sampling.temperature == 0:
        raise ValueError(
            f"votes={cfg.votes} needs sampling: pass --temperature > 0 (ProcessBench voting samples at "
            "temperature 1, top_p 0.9); greedy decoding would repeat one answer"
        )
    sampling = replace(ctx.sampling, n=cfg.votes)
    reqs = [
        GenerateRequest(user_prompt(critique_prompt(s.data["problem"], s.data["steps"], cfg.numbering)), sampling)
        for s in items
    ]
    gens = ctx.generate(reqs)
    records = []
    for s, g in zip(items, gens, strict=True):
        texts = list(g.texts)
        extracted = [extract_boxed(t, cfg.parse) for t in texts]
        pred, _ = vote(extracted)
        records.append(
            {
                "id": s.id,
                "subset": s.subset,
                "kind": KIND_CRITIC,
                **item_fields(s),
                "numbering": cfg.numbering,
                "parse": cfg.parse,
                "votes": cfg.votes,
                "critiques": texts,
                "finish_reasons": list(g.finish_reasons),
                "extracted": extracted,
                "prediction": pred,
                "valid": pred is not None,
            }
        )
    return records


# ---------------------------------------------------------------- outcome and aggregate


def outcome(rec: Mapping[str, Any]) -> dict[str, Any]:
    if rec.get("kind") == KIND_PRM:
        return prm_outcome(rec)
    label = int(rec["label"])
    numbering = int(rec.get("numbering", 0))
    tie = False
    if rec.get("critiques") is not None:
        extracted = [extract_boxed(t, rec.get("parse", "authors")) for t in rec["critiques"]]
        pred, tie = vote(extracted)
    else:  # released files without the critique text: their own prediction
        released = rec.get("released_prediction")
        pred = released if isinstance(released, int) and not isinstance(released, bool) else None
    return {"prediction": pred, "match": is_match(pred, label, numbering), "valid": pred is not None, "vote_tie": tie}


def aggregate(
    records: Sequence[Record], seed: int, n_boot: int, *, expected: Sequence[str] = SUBSETS
) -> dict[str, Any]:
    """Per subset acc_err/acc_cor/F1; overall = mean F1 of the subsets present (``extra.overall_over``;
    ``extra.overall_complete``: every one of ``expected`` is there)."""
    if not records:
        raise ValueError("no records to aggregate")
    kinds = {r.get("kind") for r in records}
    if len(kinds) != 1:
        raise ValueError(f"records mix kinds {sorted(map(str, kinds))}")
    outs = [outcome(r) for r in records]
    extra: dict[str, Any] = {}
    if records[0].get("kind") == KIND_PRM and records[0].get("threshold") == "auto":
        pairs, extra["threshold"] = auto_threshold(records, seed)
    else:
        pairs = list(zip(records, outs, strict=True))
        if records[0].get("kind") == KIND_PRM:
            extra["threshold"] = {"mode": "fixed", "value": float(records[0]["threshold"])}
    matches: dict[str, tuple[list[bool], list[bool]]] = {}
    invalid: Counter[str] = Counter()
    for r, o in pairs:
        s = str(r["subset"])
        err, cor = matches.setdefault(s, ([], []))
        (cor if int(r["label"]) == -1 else err).append(bool(o["match"]))
        invalid[s] += 0 if o["valid"] else 1
    cis = subset_metrics(matches, seed, n_boot, key="processbench")
    process = {
        s: {
            "acc_err": cis[f"acc_err:{s}"],
            "acc_cor": cis[f"acc_cor:{s}"],
            "f1": cis[f"f1:{s}"],
            "n_error": len(err),
            "n_correct": len(cor),
            "invalid": invalid[s],
            "invalid_rate": invalid[s] / (len(err) + len(cor)),
        }
        for s, (err, cor) in matches.items()
    }
    first = records[0]
    extra.update({"kind": first.get("kind"), "numbering": first.get("numbering", 0)})
    over = [x for x in expected if x in matches] + [x for x in matches if x not in expected]
    extra.update(overall_over=over, overall_complete=set(expected) <= set(matches))
    if first.get("kind") == KIND_CRITIC:
        extra.update(votes=first.get("votes", 1), parse=first.get("parse", "authors"))
    return {
        "overall": cis["overall"],
        "sections": {},
        "subsets": {s: cis[f"f1:{s}"] for s in matches},
        "process": process,
        "counts": {
            "items": len(records),
            "scored": len(pairs),
            "invalid": sum(invalid.values()),
            "vote_ties": sum(1 for o in outs if o.get("vote_tie")),
        },
        "extra": extra,
    }


# ---------------------------------------------------------------- registration


def _bench(name: str, base: Config, values: Mapping[str, str] | None = None) -> Benchmark:
    cfg = parse_options(values or {}, base)
    allowed = SUBSETS if name == "processbench" else (MR_SUBSET,)
    hub = HUB_ID if name == "processbench" else None
    if name == "processbench":
        description = (
            "ProcessBench: earliest erroneous step of step-wise math solutions (critic prompt or PRM); per "
            "subset acc_err, acc_cor, F1; overall = mean F1 of gsm8k, math, olympiadbench, omnimath."
        )
        source = (
            "Zheng et al. 2024 (arXiv:2412.06559); QwenLM/ProcessBench code/run_eval.py (extract_answer, "
            "prepare_input_boxed, voting), code/run_eval_prm_trl.py (argmax step labels, F1)"
        )
    else:
        description = (
            "MR-GSM8K (DeepCritic's processed file): earliest erroneous step, ProcessBench metric; "
            "DeepCritic's 1-based 'Step i:' template by default."
        )
        source = (
            "Zeng et al. 2023 (MR-GSM8K, arXiv:2312.17080) as processed by Yang et al. 2025 (DeepCritic, "
            "arXiv:2505.00662); RUCBM/DeepCritic ProcessBench/code/eval.py"
        )
    return Benchmark(
        name=name,
        description=description,
        source=source,
        hub_id=hub,
        subsets=allowed,
        load=_make_load(allowed, hub, name),
        outcome=outcome,
        aggregate=partial(aggregate, expected=allowed),
        run=lambda samples, ctx: run(samples, ctx, cfg),
        predictions=make_predictions(allowed, cfg.numbering, cfg.parse),
        options=dict(OPTIONS),
        configure=lambda v: _bench(name, base, v),
    )


@register
def processbench() -> Benchmark:
    return _bench("processbench", Config(numbering=0))


@register
def mr_gsm8k() -> Benchmark:
    return _bench("mr-gsm8k", Config(numbering=1))
