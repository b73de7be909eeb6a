"""PC2 pointwise evaluation of Feedbacker (liudan193/Feedbacker, ``evaluation/``): criteria derived by
pre-comparing auxiliary answers, then each response scored against the weighted criteria.

The authors' pipeline per question (prompts copied verbatim from ``evaluation/prompts/ours/``):

1. auxiliary answers (``2.1.generate_criteria.py``, step 1.1): three answers to the question, by three
   models (gpt-4o, deepseek-v3, doubao-pro-1.5) at the API's default sampling; ``get_input_data_ques2ans``
   asks with ``ours_ques2ans.md`` ("You are a helpful assistant. \\n\\n[Question]\\n{question}");
2. criteria (step 1.2): ``ours_get_criteria.md`` with the question and the three answers; the judge compares
   them and writes 3-9 weighted secondary metrics; ``extract_criteria`` keeps the lines
   ``N. description | weight`` (after replacing "%" by "" and "_" / "\\\\" / "//" by "/"), sorted by N;
   none found -> None (the item is not written and waits for a re-run);
3. baseline critique (``2.2.evaluate_baseline.py``): ``ours_final_judge.md`` scores auxiliary answer 1 against
   the criteria; ``extract_critic_score`` keeps the last ``<The Start of Evaluation Result>...<The End of
   Evaluation Result>`` block if it contains "Weighted Score: [";
4. final score (``2.3.final_evaluation.py``): ``ours_baseline_final_judge.md`` with the criteria, answer 1 as
   the baseline and its critique; ``extract_score``: the last number after "Weighted Score", capped at 300
   (:func:`assay.judges.parsers.parse_pc2`). Feedbacker re-queries until every score parses.

Here the judge under test plays every role, one generation round per step (every round's raw text is kept
in the record, ``round`` = aux / criteria / baseline / score). Deviations, all recorded in the record:
the three auxiliary answers come from the judge itself, sampled at temperature 1.0 (the OpenAI API default
the authors' empty ``generation_params`` implied) with seeds derived from (seed, item id, k), so they differ
and the run stays reproducible; an unparseable criteria or critique round is recorded as invalid and its
item's scores are then not asked (counted invalid, score -1) instead of being re-queried; an unparseable
final score is invalid (-1) rather than re-queried. Scores compare as in :mod:`assay.protocols.judge_rating`.

The query taxonomy Feedbacker's benchmark is built on (``query_synthesis/dataset/cata_tree.json``, CC BY-NC
4.0) can be read with :func:`taxonomy_paths` (domain -> ... -> leaf paths); the PC2 protocol does not need it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assay.judges.parsers import parse_pc2, parse_pc2_criteria, parse_pc2_critique
from assay.judges.templates import question_text
from assay.models.generation import GenerateRequest, Generation, SamplingConfig
from assay.protocols.judge_pairwise import Generate, JudgeConfig, Record, uniform
from assay.protocols.judge_rating import responses, scores_of
from assay.samples import Candidates, Message, Pair, Sample, sample_to_json

SOURCE = "liudan193/Feedbacker evaluation/2.1.generate_criteria.py, 2.2.evaluate_baseline.py, 2.3.final_evaluation.py"
N_AUX = 3
AUX_TEMPERATURE = 1.0

# --- evaluation/prompts/ours/ours_ques2ans.md ---
QUES2ANS_PROMPT = "You are a helpful assistant. \n\n[Question]\n{question}"
# --- evaluation/prompts/ours/ours_get_criteria.md (verbatim, typos included) ---
GET_CRITERIA_PROMPT = (
    "You are an impartial judge responsible for evaluating the quality of responses provided by different LLMs to a "
    "given [question]. Your task is to design a comprehensive evaluation framework that includes clearly defined "
    "metrics and their respective weights. You shuold answer step by step. You should answer in English. Please "
    "carefully follow these steps:\n\n"
    "1. **Analyze Responses**: You must first compare several provided [answers] and identify their differences. The "
    "objective of this comparison is to pinpoint distinguishing factors that significantly influence the quality of "
    "the responses.\n"
    "2. **Develop Metrics**: Establish a hierarchical set of evaluation metrics. There should be 3 to 9 primary "
    "metrics. Each primary metric should have several detailed sub-metrics to provide specific, measurable criteria "
    "for evaluating the responses.\n"
    "3. **Assign Weights**: Allocate appropriate weights to each metric based on its relative importance in "
    "distinguishing the quality of the responses. The weights should be integers, and the sum of all weights should "
    "equal 100.\n"
    "4. **Output Format**: Present the final evaluation framework in a structured list format. You do not need to "
    "include the primary metrics; only the secondary metrics are required, in the following format:\n"
    "<Evaluation_Framework>\n1. Description of Secondary Metric 1 | Weight 1\n2. Description of Secondary Metric 2 | "
    "Weight 2\n3. Description of Secondary Metric 3 | Weight 3\n...\n<\\Evaluation_Framework>\n\n"
    "[User Question]\n{question}\n\n"
    "[The Start of Assistant 1\u2019s Answer]\n{answer_1}\n[The End of Assistant 1\u2019s Answer]\n\n"
    "[The Start of Assistant 2\u2019s Answer]\n{answer_2}\n[The End of Assistant 2\u2019s Answer]\n\n"
    "[The Start of Assistant 3\u2019s Answer]\n{answer_3}\n[The End of Assistant 3\u2019s Answer]"
)
_JUDGE_HEAD = (
    "Please act as an impartial judge and evaluate the quality of the response provided by an AI assistant to the "
    "user question displayed below. Your evaluation should consider the evaluation system displayed below. Begin "
    "your evaluation by providing an explanation for each metric, assessing the response objectively. Score each "
    "metric on a scale of 1 to 3"
)
_JUDGE_EXAMPLE = (
    " After evaluation, you must summarize the results within <The Start of Evaluation Result> and <The End of "
    "Evaluation Result>. Below is an example output:\n<The Start of Evaluation Result>\nMetric 1 | score: [2]\n"
    "Metric 2 | score: [3]\nMetric 3 | score: [1]\n...\n\nFinal Weighted Score: [[200]]\n"
    "<The End of Evaluation Result>\n\n\n[Question]\n{question}\n\n[The Start of Evaluation System]\n{eval_system}\n"
    "[The End of Evaluation System]\n\n"
)
# --- evaluation/prompts/ours/ours_final_judge.md (baseline critique; the file ends with a newline) ---
FINAL_JUDGE_PROMPT = (
    _JUDGE_HEAD + ", where 1 represents complete failure to meet the criterion and 3 represents perfection. The "
    "weights of the metrics must sum to 100, and the final weighted score should be calculated on a scale up to 300, "
    "reflecting the weighted sum of the individual scores." + _JUDGE_EXAMPLE + "[The Start of Assistant\u2019s "
    "Answer]\n{answer}\n[The End of Assistant\u2019s Answer]\n"
)
# --- evaluation/prompts/ours/ours_baseline_final_judge.md (final score against the baseline) ---
BASELINE_FINAL_JUDGE_PROMPT = (
    _JUDGE_HEAD + ". Use the baseline answer as a baseline; a higher score indicates a better response compared to "
    "the baseline answer, while a lower score indicates a worse response. The weights of the metrics must sum to "
    "100, and the final weighted score should be calculated on a scale of 100 to 300, reflecting the weighted sum of "
    "the individual scores." + _JUDGE_EXAMPLE + "[The Start of Baseline Answer]\n{answer_baseline}\n[The End of "
    "Baseline Answer]\n\n[The Start of Evaluation for Baseline Answer]\n{critic_baseline}\n[The End of Evaluation "
    "for Baseline Answer]\n\n[The Start of Assistant\u2019s Answer]\n{answer}\n[The End of Assistant\u2019s Answer]\n"
)


def extract_criteria(text: str) -> str | None:
    """``extract_criteria`` of ``2.1.generate_criteria.py`` (:func:`assay.judges.parsers.parse_pc2_criteria`)."""
    v = parse_pc2_criteria(text)
    return str(v.value) if v.valid else None


def extract_critic(text: str) -> str | None:
    """``extract_critic_score`` of ``2.2.evaluate_baseline.py`` (:func:`assay.judges.parsers.parse_pc2_critique`)."""
    v = parse_pc2_critique(text)
    return str(v.value) if v.valid else None


def aux_sampling(cfg: JudgeConfig, item_id: str, k: int) -> SamplingConfig:
    """Auxiliary answer k: temperature 1.0, top_p 1, the run's max_tokens, a seed from (seed, id, k)."""
    seed = int(uniform(cfg.seed, f"{item_id}:pc2-aux:{k}") * 2**31)
    return SamplingConfig(temperature=AUX_TEMPERATURE, top_p=1.0, max_tokens=cfg.sampling.max_tokens, seed=seed)


def _user(text: str, sampling: SamplingConfig) -> GenerateRequest:
    return GenerateRequest((Message("user", text),), sampling)


def _entry(round_: str, gen: Generation | None, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"round": round_, "raw": gen.text if gen is not None else None, **fields}
    if gen is not None:
        out.update(prompt_tokens=gen.prompt_tokens, completion_tokens=gen.completion_tokens)
    return out


def run(samples: Sequence[Sample], cfg: JudgeConfig, generate: Generate) -> list[Record]:
    """Four rounds over all items: auxiliary answers, criteria, baseline critique, final scores."""
    questions = [question_text(s.prompt, "joined" if cfg.policy == "longrewardbench" else "single") for s in samples]
    aux_reqs = [
        _user(QUES2ANS_PROMPT.format(question=q), aux_sampling(cfg, s.id, k))
        for s, q in zip(samples, questions, strict=True)
        for k in range(N_AUX)
    ]
    aux = generate(aux_reqs)
    aux_by = [aux[i * N_AUX : (i + 1) * N_AUX] for i in range(len(samples))]
    crit_gens = generate(
        [
            _user(
                GET_CRITERIA_PROMPT.format(question=q, answer_1=a[0].text, answer_2=a[1].text, answer_3=a[2].text),
                cfg.sampling,
            )
            for q, a in zip(questions, aux_by, strict=True)
        ]
    )
    criteria = [extract_criteria(g.text) for g in crit_gens]
    todo = [i for i, c in enumerate(criteria) if c is not None]
    base = generate(
        [
            _user(
                FINAL_JUDGE_PROMPT.format(question=questions[i], eval_system=criteria[i], answer=aux_by[i][0].text),
                cfg.sampling,
            )
            for i in todo
        ]
    )
    base_by = dict(zip(todo, base, strict=True))
    critiques = {i: extract_critic(g.text) for i, g in base_by.items()}
    score_items = [i for i in todo if critiques[i] is not None]
    score_reqs: list[GenerateRequest] = []
    for i in score_items:
        for _, text in responses(samples[i]):
            prompt = BASELINE_FINAL_JUDGE_PROMPT.format(
                question=questions[i],
                eval_system=criteria[i],
                answer_baseline=aux_by[i][0].text,
                critic_baseline=critiques[i],
                answer=text,
            )
            score_reqs.append(_user(prompt, cfg.sampling))
    score_gens = iter(generate(score_reqs))
    records = []
    for i, sample in enumerate(samples):
        js = [_entry("aux", g, k=k, valid=True, verdict=None, reason="") for k, g in enumerate(aux_by[i])]
        c = criteria[i]
        js.append(
            _entry(
                "criteria",
                crit_gens[i],
                valid=c is not None,
                verdict=c if c is not None else "invalid",
                reason="" if c is not None else "no 'N. description | weight' line",
            )
        )
        if i in base_by:
            crit = critiques[i]
            js.append(
                _entry(
                    "baseline",
                    base_by[i],
                    valid=crit is not None,
                    verdict=crit if crit is not None else "invalid",
                    reason="" if crit is not None else "no evaluation result block with 'Weighted Score: ['",
                )
            )
        for key, _ in responses(sample):
            if i in score_items:
                g = next(score_gens)
                v = parse_pc2(g.text)
                js.append(
                    _entry(
                        "score",
                        g,
                        response=key,
                        valid=v.valid,
                        verdict=v.value if v.valid else "invalid",
                        reason=v.reason,
                    )
                )
            else:
                why = "not asked: the criteria round failed" if c is None else "not asked: the baseline round failed"
                js.append(_entry("score", None, response=key, valid=False, verdict="invalid", reason=why))
        rec = sample_to_json(sample)
        rec["kind"] = "pair" if isinstance(sample, Pair) else "candidates"
        rec["judge"] = {
            "mode": "pc2",
            "template": "pc2",
            "parser": "pc2",
            "policy": cfg.policy,
            "aux": {"n": N_AUX, "temperature": AUX_TEMPERATURE, "seeds": "uniform(seed, id:pc2-aux:k)"},
        }
        rec["judgements"] = js
        if isinstance(sample, Candidates):
            rec["scores"] = scores_of([j for j in js if j["round"] == "score"], len(sample.responses))
        records.append(rec)
    return records


def taxonomy_paths(tree: dict[str, Any] | Path | str) -> list[tuple[str, ...]]:
    """Every root-to-leaf path of Feedbacker's ``cata_tree.json`` (nested dicts; a leaf maps to ``{}``)."""
    if not isinstance(tree, dict):
        tree = json.loads(Path(tree).read_text(encoding="utf-8"))
    out: list[tuple[str, ...]] = []

    def walk(node: dict[str, Any], path: tuple[str, ...]) -> None:
        for name, child in node.items():
            if not isinstance(child, dict):
                raise ValueError(f"taxonomy node {'/'.join((*path, name))!r} is not an object")
            if child:
                walk(child, (*path, name))
            else:
                out.append((*path, name))

    walk(tree, ())
    return out
