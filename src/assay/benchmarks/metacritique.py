"""MetaCritique (Sun et al. 2024, "The Critique of Critique", arXiv:2401.04518): how good is a critique?

A critique of a model-generated answer is split into Atomic Information Units (AIUs). Precision (factuality):
each AIU of the *hypothesis* critique is checked true/false against the question, the answer and a reference
answer. Recall (comprehensiveness): each AIU of the *reference* critique (GPT-4's, shipped with its AIUs) is
checked against the hypothesis critique. Followed exactly, from GAIR-NLP/MetaCritique:

* prompts and messages: ``assay.critics.metacritique_prompts`` (the repository's prompt files and the
  f-strings of ``extract_aius_for_critique``, ``eval_aiu_precision``, ``eval_aiu_recall``,
  ``generate_ref_critique``);
* AIUs: ``output.strip().split("\\n")`` (``merge_files.merge_outcomes``, ``meta_critique.MetaCritique.score``);
* verdict parser ``utils.cls_post_process``: lower-cased, stripped output containing "claim is true" ->
  True, else containing "claim is false" -> False, else None (which ``acc`` counts as false);
* per critique (``cal_meta_scores.meta_score``): P = ``acc(precision labels)`` = #true / #AIUs,
  R = ``acc(recall labels)``, F1 = ``f1_score(p, r)`` = 0 if p == 0 or r == 0 else ``2 / (1/p + 1/r)``
  (this expression, not 2pr/(p+r): the two differ in the last bit for 129 of the 300 released critiques);
* Meta-P / Meta-R / Meta-F1 = plain means over critiques of P, R and F1 (F1 averaged per critique, not the
  harmonic mean of Meta-P and Meta-R). Here with seeded percentile-bootstrap CIs over critiques.

Data (``--data``; no hub copy): ``data/benchmark_data.json`` (question, response, gpt4_answer = reference
answer, gpt4_critique {critique, aius}), ``data/annotation_data.json`` (the same plus human_critique,
llm1_critique, llm2_critique, each with its AIUs, human precision/recall labels and stored scores), or the
``eval_examples/test_samples.json`` shape (reference_answer, reference_critique, hypothesis_critique).

Protocol (``run``), option ``critique``: ``generate`` (default: the model under evaluation writes the critique
with the authors' reference-critique prompt), ``human`` / ``llm1`` / ``llm2`` (a stored critique of the
annotation file) or ``hypothesis`` (the ``hypothesis_critique`` field). AIU extraction and every check are
asked of the judge, ``--judge-model``; without one, the model under evaluation judges itself (the paper
uses GPT-4 as the judge; a self-judged run is labelled ``judge: self`` in its records). Every judging
request decodes with ``ctx.judge_sampling`` (greedy, ``--judge-max-tokens``), a self-judged one too; only
the generated critique uses the run's sampling. A reference critique
without AIUs has them extracted by the judge, as ``MetaCritique.score`` does.

Released outputs (``predictions``): the human-label path reads ``annotation_data.json`` (one record per
critique: its AIUs with the human labels; the stored precision/recall/F1 are kept and compared exactly), or a
folder of the authors' step-by-step outputs (``hypothesis_eval_data.json``, ``hypothesis_precision.json``,
``hypothesis_recall.json``, README steps 5-7), which ``meta_score`` reads.

Deviations (each with the original behind an option): blank lines of an extraction output are not AIUs
(``aiu_split=original`` keeps them, as ``split("\\n")`` does). A critique with no AIU at all has P = 0 and is
counted (``no_aius``); the original divides by zero. Failed generations (the original retries "Failed!") do
not occur here; an unparseable verdict is kept with its raw text, counted, and scores false, as upstream.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from assay.benchmarks.registry import Benchmark, Record, register
from assay.critics import metacritique_prompts as P
from assay.critics.metacritique_data import KIND, SLOTS, load_with, predictions
from assay.metrics.bootstrap import mean_ci
from assay.models.generation import GenerateRequest
from assay.samples import Item, Sample

CRITIQUE_SOURCES = ("generate", *SLOTS, "hypothesis")
AIU_SPLITS = ("clean", "original")


# ----------------------------------------------------------------------------- formulas (authors' code)


def parse_verdict(text: str | None) -> bool | None:
    """``utils.cls_post_process``: "claim is true" -> True, "claim is false" -> False, else None."""
    if not isinstance(text, str):
        return None
    out = text.strip().lower()
    if "claim is true" in out:
        return True
    if "claim is false" in out:
        return False
    return None


def split_aius(text: str, mode: str = "clean") -> list[str]:
    """AIUs of an extraction output: ``text.strip().split("\\n")``; ``clean`` drops blank lines."""
    lines = text.strip().split("\n")
    return lines if mode == "original" else [x for x in lines if x.strip()]


def acc(labels: Sequence[Any]) -> float:
    """``cal_meta_scores.acc``: share of truthy labels (None counts false); 0.0 for no labels (see module doc)."""
    return sum(1 for x in labels if x) / len(labels) if labels else 0.0


def f1_score(p: float, r: float) -> float:
    """``cal_meta_scores.f1_score``: 0 if p == 0 or r == 0 else 2 / (1/p + 1/r)."""
    if p == 0 or r == 0:
        return 0
    return 2 / (1 / p + 1 / r)


def critique_scores(precision_labels: Sequence[Any], recall_labels: Sequence[Any]) -> dict[str, float]:
    p, r = acc(precision_labels), acc(recall_labels)
    return {"precision": p, "recall": r, "f1": f1_score(p, r)}


# ----------------------------------------------------------------------------- protocol


def run_with(samples: Sequence[Sample], ctx: Any, source: str, hyp_aius: str, aiu_split: str) -> list[Record]:
    """Critique (if generated) -> AIU extraction -> precision and recall checks, one judge round each."""
    items = [s for s in samples if isinstance(s, Item)]
    if len(items) != len(samples):
        raise TypeError("metacritique runs on Item samples")
    self_judged = getattr(ctx, "judge_spec", None) is None
    judge = ctx.generate if self_judged else ctx.judge_generate
    # the critique is the evaluated model's (run sampling); every judging request (AIU extraction, checks)
    # decodes with the judge's own settings, also when the evaluated model is its own judge
    sampling, judge_sampling = ctx.sampling, ctx.judge_sampling
    critiques: list[dict[str, Any]] = []
    if source == "generate":
        gens = ctx.generate(
            [GenerateRequest(P.critique_prompt(s.data["question"], s.data["response"]), sampling) for s in items]
        )
        critiques = [{"source": source, "text": g.text, "raw": g.text, "finish": g.finish_reasons[0]} for g in gens]
    else:
        critiques = [{"source": source, "text": s.data["critique"], "raw": None} for s in items]

    # round 2: AIUs of the hypothesis critiques (and of reference critiques that ship without AIUs)
    extract: list[tuple[int, str, str]] = []
    for i, (s, c) in enumerate(zip(items, critiques, strict=True)):
        if not (hyp_aius == "stored" and s.data.get("stored_aius")):
            extract.append((i, "hyp", c["text"]))
        if s.data["reference_aius"] is None:
            extract.append((i, "ref", s.data["reference_critique"]))
    outs = judge([GenerateRequest(P.extract_prompt(text), judge_sampling) for _, _, text in extract]) if extract else []
    hyp: dict[int, dict[str, Any]] = {}
    ref: dict[int, dict[str, Any]] = {}
    for (i, which, _), g in zip(extract, outs, strict=True):
        aius = split_aius(g.text, aiu_split)
        entry = {"aius": aius, "raw": g.text, "valid": bool(aius), "finish": g.finish_reasons[0]}
        (hyp if which == "hyp" else ref)[i] = entry
    for i, s in enumerate(items):
        if i not in hyp:
            hyp[i] = {"aius": list(s.data["stored_aius"]), "raw": None, "valid": True, "stored": True}
        if i not in ref:
            ref[i] = {"aius": list(s.data["reference_aius"]), "raw": None, "valid": True, "stored": True}

    # round 3: every precision and recall check in one judge call
    reqs: list[GenerateRequest] = []
    for i, (s, c) in enumerate(zip(items, critiques, strict=True)):
        d = s.data
        reqs += [
            GenerateRequest(P.precision_prompt(d["question"], d["response"], d["reference_answer"], a), judge_sampling)
            for a in hyp[i]["aius"]
        ]
        reqs += [GenerateRequest(P.recall_prompt(c["text"], a), judge_sampling) for a in ref[i]["aius"]]
    gens = iter(judge(reqs))
    records = []
    for i, (s, c) in enumerate(zip(items, critiques, strict=True)):
        pc = [{"aiu": a, "raw": (t := next(gens).text), "verdict": parse_verdict(t)} for a in hyp[i]["aius"]]
        rc = [{"aiu": a, "raw": (t := next(gens).text), "verdict": parse_verdict(t)} for a in ref[i]["aius"]]
        d = s.data
        records.append(
            {
                "id": s.id,
                "subset": s.subset,
                "kind": KIND,
                "dataset": d["dataset"],
                "critic_model": d.get("critic_model"),
                "question": d["question"],
                "response": d["response"],
                "reference_answer": d["reference_answer"],
                "critique": c,
                "judge": "self" if self_judged else "judge-model",
                "hypothesis_aius": hyp[i],
                "reference_aius": ref[i],
                "precision_checks": pc,
                "recall_checks": rc,
                "human_scores": d.get("human_scores"),
            }
        )
    return records


# ----------------------------------------------------------------------------- outcome and aggregation


def outcome(record: Record) -> dict[str, Any]:
    plabels = [c["verdict"] for c in record["precision_checks"]]
    rlabels = [c["verdict"] for c in record["recall_checks"]]
    out: dict[str, Any] = critique_scores(plabels, rlabels)
    out.update(
        n_hyp_aius=len(plabels),
        n_ref_aius=len(rlabels),
        invalid_verdicts=sum(1 for v in plabels + rlabels if v is None),
        no_aius=not plabels,
        invalid_extraction=not record["hypothesis_aius"].get("valid", True),
    )
    stored = record.get("stored_scores")
    if stored is not None:
        out["stored_match"] = all(out[k] == stored[k] for k in ("precision", "recall", "f1"))
    return out


def _pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if a.size < 3 or a.std() == 0 or b.std() == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def _triple(outs: Sequence[Mapping[str, Any]], seed: int, n_boot: int, key: str) -> dict[str, Any]:
    return {
        k: mean_ci([o[k] for o in outs], seed, n_boot, key=f"metacritique:{key}:{k}")
        for k in ("precision", "recall", "f1")
    }


def _grouped(records: Sequence[Record], field: str) -> dict[str, dict[str, float | int]]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for r in records:
        if r.get(field):
            groups.setdefault(str(r[field]), []).append(r["outcome"])
    return {
        g: {"n": len(v), **{k: float(np.mean([o[k] for o in v])) for k in ("precision", "recall", "f1")}}
        for g, v in sorted(groups.items())
    }


def aggregate(records: Sequence[Record], seed: int, n_boot: int) -> dict[str, Any]:
    if not records:
        raise ValueError("no records to aggregate")
    recs = [r if "outcome" in r else {**r, "outcome": outcome(r)} for r in records]
    outs = [r["outcome"] for r in recs]
    meta = _triple(outs, seed, n_boot, "all")
    subsets: dict[str, list[Mapping[str, Any]]] = {}
    for r in recs:
        subsets.setdefault(str(r["subset"]), []).append(r["outcome"])
    by_subset = {s: _triple(v, seed, n_boot, s) for s, v in sorted(subsets.items())}
    extra: dict[str, Any] = {
        "meta_precision": meta["precision"],
        "meta_recall": meta["recall"],
        "meta_f1": meta["f1"],
        "by_subset": by_subset,
        "by_dataset": _grouped(recs, "dataset"),
        "by_critic_model": _grouped(recs, "critic_model"),
        "judges": sorted({str(r.get("judge")) for r in recs}),
    }
    stored = [o["stored_match"] for o in outs if "stored_match" in o]
    if stored:
        extra["stored_scores"] = {"compared": len(stored), "exact_match": int(sum(stored))}
    human = [(o, r["human_scores"]) for o, r in zip(outs, recs, strict=True) if r.get("human_scores")]
    if human:
        extra["agreement_with_human"] = {
            "n": len(human),
            **{
                f"pearson_{k}": _pearson([o[k] for o, _ in human], [h[k] for _, h in human])
                for k in ("precision", "recall", "f1")
            },
        }
    return {
        "overall": meta["f1"],
        "sections": {},
        "subsets": {s: v["f1"] for s, v in by_subset.items()},
        "counts": {
            "critiques": len(recs),
            "hyp_aius": sum(o["n_hyp_aius"] for o in outs),
            "ref_aius": sum(o["n_ref_aius"] for o in outs),
            "invalid_verdicts": sum(o["invalid_verdicts"] for o in outs),
            "no_aius": sum(1 for o in outs if o["no_aius"]),
            "invalid_extractions": sum(1 for o in outs if o["invalid_extraction"]),
        },
        "extra": extra,
    }


# ----------------------------------------------------------------------------- registration

OPTIONS = {
    "critique": "whose critique is evaluated: generate (the model, default) | human | llm1 | llm2 (stored in "
    "annotation_data.json) | hypothesis (the hypothesis_critique field)",
    "hyp_aius": "extract (the judge splits the critique into AIUs, default) | stored (the annotation file's AIUs)",
    "aiu_split": "clean (blank lines are not AIUs, default) | original (the authors' split('\\n'), blanks kept)",
}


def _choice(values: Mapping[str, str], name: str, allowed: Sequence[str], default: str) -> str:
    v = values.get(name, default)
    if v not in allowed:
        raise ValueError(f"metacritique: option {name}={v!r}; valid: {', '.join(allowed)}")
    return v


def make(source: str = "generate", hyp_aius: str = "extract", aiu_split: str = "clean") -> Benchmark:
    def configure(values: Mapping[str, str]) -> Benchmark:
        return make(
            _choice(values, "critique", CRITIQUE_SOURCES, source),
            _choice(values, "hyp_aius", ("extract", "stored"), hyp_aius),
            _choice(values, "aiu_split", AIU_SPLITS, aiu_split),
        )

    return Benchmark(
        name="metacritique",
        description="MetaCritique: AIU-level precision (factuality) and recall (comprehensiveness) of a critique, "
        "judged true/false per AIU; Meta-P/R/F1 = means over critiques.",
        source="Sun et al. 2024 (arXiv:2401.04518); GAIR-NLP/MetaCritique meta_critique/cal_meta_scores.py "
        "meta_score/acc/f1_score, utils.py cls_post_process, evaluate_aiu_precision.py, evaluate_aiu_recall.py, "
        "extracting_aius_for_critique.py",
        hub_id=None,
        subsets=CRITIQUE_SOURCES,
        load=lambda opts: load_with(source, opts),
        outcome=outcome,
        aggregate=aggregate,
        run=lambda samples, ctx: run_with(samples, ctx, source, hyp_aius, aiu_split),
        predictions=predictions,
        options=dict(OPTIONS),
        configure=configure,
    )


@register
def metacritique() -> Benchmark:
    return make()
