"""Judge-output parsers, one plain function per published format (sources in docs/judges.md).

Each function takes the judge's generated text and returns a :class:`Verdict`. The rules are the authors'
own, including their quirks (RewardBench checks ``[[A]]`` before ``[[B]]`` and is case-sensitive); where a
quirk decides the outcome the ``reason`` says so. Nothing here raises on a bad output: an unparseable output
is ``valid=False`` with the raw text kept.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from assay.judges.verdict import Verdict

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def parse_pairwise(text: str) -> Verdict:
    """RewardBench / M-RewardBench / Long-RewardBench pairwise: ``[[A]]`` or ``[[B]]`` anywhere in the text.

    allenai/reward-bench ``rewardbench/generative.py`` ``process_judgement`` (default branch):
    ``if "[[A]]" in judgment: "A" elif "[[B]]" in judgment: "B" else "error"``. Exact, case-sensitive
    substring tests; when both labels appear the first test wins ("A"). for-ai/aya_rm_multilingual
    ``scripts/generative.py`` and LCM-Lab/Long-RM ``extract_judgement`` (type "pair") use the same tests.
    ``[[C]]`` (FastChat pair-v2's tie label, removed from the RewardBench prompt) reads as "tie"; the
    published scorers give a tie the same credit as an error.
    """
    has_a, has_b = "[[A]]" in text, "[[B]]" in text
    if has_a:
        reason = "both [[A]] and [[B]] present; the published rule tests [[A]] first" if has_b else ""
        return Verdict("A", True, text, reason)
    if has_b:
        return Verdict("B", True, text)
    if "[[C]]" in text:
        return Verdict("tie", True, text, "[[C]]: FastChat pair-v2 tie label")
    return Verdict.invalid(text, "no [[A]] or [[B]] label")


def parse_rewardbench2_four(text: str) -> Verdict:
    """RewardBench 2 best-of-4: ``[[A]]``..``[[D]]``, tested in that order.

    allenai/reward-bench ``rewardbench/generative_v2.py`` ``process_judgement``: ``"[[A]]" in judgment``
    then B, C, D, else "error" (scored 0.25 by ``scripts/run_generative_v2.py``).
    """
    found = [c for c in "ABCD" if f"[[{c}]]" in text]
    if not found:
        return Verdict.invalid(text, "no [[A]]..[[D]] label")
    reason = f"several labels {found}; the published rule takes the first tested" if len(found) > 1 else ""
    return Verdict(found[0], True, text, reason)


_RB2_TRAILING_RATING = re.compile(r"\b([1-9]|10)\b\s*$")


def parse_rewardbench_ratings(text: str) -> Verdict:
    """RewardBench 2 ratings mode (``--score_w_ratings`` and the Ties subset): a trailing integer 1..10.

    allenai/reward-bench ``rewardbench/generative_v2.py`` ``get_single_rating``:
    ``re.search(r"\\b([1-9]|10)\\b\\s*$", raw_judgment.strip())``; no match gives rating -1 (invalid).
    Each of the four responses is rated separately; :func:`assay.judges.scoring.rewardbench2_ratings_credit`
    turns the four verdicts into the item's credit.
    """
    match = _RB2_TRAILING_RATING.search(text.strip())
    if match is None:
        return Verdict.invalid(text, "no trailing integer 1-10")
    return Verdict(float(int(match.group(1))), True, text)


_JUDGEBENCH_LABEL = re.compile(r"\[\[([AB<>=]+)\]\]")


def parse_judgebench(text: str) -> Verdict:
    """JudgeBench Arena-Hard judge: one distinct ``[[A>B]]``-style label, e.g. "A>B", "B>A", "A=B".

    ScalerLab/JudgeBench ``utils/judges.py`` ``ArenaHard.get_score`` with pattern ``\\[\\[([AB<>=]+)\\]\\]``:
    ``findall``, drop empty matches; no match -> None (the judge is asked once more to finish; a second
    failure stays None); exactly one distinct match -> it; several distinct -> None. The decision is then
    ``score.replace(">>", ">").strip()`` (``get_judgment``), so "A>>B" reads "A>B".
    """
    matches = [m for m in _JUDGEBENCH_LABEL.findall(text) if m != ""]
    distinct = set(matches)
    if not distinct:
        return Verdict.invalid(text, "no [[...]] verdict label")
    if len(distinct) > 1:
        return Verdict.invalid(text, f"conflicting verdict labels {sorted(distinct)}")
    return Verdict(matches[0].strip("\n").replace(">>", ">").strip(), True, text)


def parse_judgebench_vanilla(text: str) -> Verdict:
    """JudgeBench vanilla judge: the whole output, stripped, must be "Output (a)" or "Output (b)".

    ScalerLab/JudgeBench ``utils/judges.py`` ``Vanilla.extract_pairwise_result(output.strip())``:
    ``"Output (a)"`` -> "A>B", ``"Output (b)"`` -> "B>A", anything else raises, which ``run_judge.py``
    catches and records as a None judgment (a decision of None). Exact, case-sensitive comparison.
    """
    stripped = text.strip()
    if stripped == "Output (a)":
        return Verdict("A>B", True, text)
    if stripped == "Output (b)":
        return Verdict("B>A", True, text)
    return Verdict.invalid(text, 'output is not exactly "Output (a)" or "Output (b)"')


_RM_R1_TYPE = re.compile(r"<type>\s*(Reasoning|Chat)\s*</type>")


def parse_rm_r1(text: str) -> Verdict:
    """RM-R1 (RM-R1-UIUC/RM-R1): ``<answer>[[A]]</answer>`` or ``<answer>[[B]]</answer>``.

    The output format of ``RM_R1_INSTRUCT_SYSTEM_PROMPT`` (``eval/reward-bench/rewardbench/generative.py``):
    ``<type>Reasoning</type>`` + ``<solution>`` or ``<type>Chat</type>`` + ``<rubric>``, then ``<eval>``,
    then the answer tag. Strict rule: exactly one of the two answer tags, else invalid (both present is
    invalid). The structure found (type, rubric/solution/eval) is reported in ``reason``; it does not
    change the verdict. Note: RM-R1's copy of the RewardBench harness scores with the plain
    ``"[[A]]" in judgment`` test (:func:`parse_pairwise`), which agrees whenever exactly one tag is present.
    """
    has_a, has_b = "<answer>[[A]]</answer>" in text, "<answer>[[B]]</answer>" in text
    kind = _RM_R1_TYPE.search(text)
    parts = [f"type={kind.group(1) if kind else 'missing'}"]
    parts += [tag for tag in ("rubric", "solution", "eval") if f"<{tag}>" in text and f"</{tag}>" in text]
    structure = "structure: " + ", ".join(parts)
    if has_a and has_b:
        return Verdict.invalid(text, "both <answer>[[A]]</answer> and <answer>[[B]]</answer> present; " + structure)
    if not (has_a or has_b):
        return Verdict.invalid(text, "no <answer>[[A]]</answer> or <answer>[[B]]</answer>; " + structure)
    return Verdict("A" if has_a else "B", True, text, structure)


_LONG_RM_RANK = re.compile(r"\[[\w\s]+(?:\s*>\s*[\w\s]+)+\]")


def parse_ranking(text: str, n: int) -> Verdict:
    """Long-RewardBench best-of-N ranking ``[[C>A>B]]``: value is the labels best first, ("C", "A", "B").

    LCM-Lab/Long-RM ``evaluate/evaluating/longreward_bench/utils/prompt.py`` ``extract_judgement`` (type
    "rank"): more than 10 ``>``-separated parts -> []; first match of ``\\[[\\w\\s]+(?:\\s*>\\s*[\\w\\s]+)+\\]``;
    split on ">"; remove "assistant", "Assistant", ":" and spaces; strip "[" / "]" at the ends; each part
    must be one letter and the letters a permutation (else []). Added here: the permutation must be of the
    first ``n`` letters (the original leaves the length check to the comparison with the gold order).
    """
    if n < 1 or n > len(LETTERS):
        raise ValueError(f"n must be in 1..{len(LETTERS)}, got {n}")
    if len(text.split(">")) > 10:
        return Verdict.invalid(text, "more than 10 '>'-separated parts")
    match = _LONG_RM_RANK.search(text)
    if match is None:
        return Verdict.invalid(text, "no [[X>Y>...]] ranking")
    parts = match.group(0).split(">")
    for mark in ("assistant", "Assistant", ":", " "):
        parts = [p.replace(mark, "") for p in parts]
    parts[0], parts[-1] = parts[0].strip("["), parts[-1].strip("]")
    labels = tuple(parts)
    if any(len(p) != 1 for p in labels):
        return Verdict.invalid(text, f"ranking {match.group(0)!r} has a part that is not one letter")
    if sorted(labels) != list(LETTERS[:n]):
        return Verdict.invalid(text, f"ranking {'>'.join(labels)} is not a permutation of {LETTERS[:n]}")
    return Verdict(labels, True, text)


def ranking_positions(labels: tuple[str, ...]) -> list[int]:
    """Long-RM's return value: for each assistant A, B, ... its position in the ranking (0 = best)."""
    ids = [ord(k) - ord("A") for k in labels]
    return [ids.index(k) for k in range(len(ids))]


_FASTCHAT_SCORE = re.compile(r"\[\[(\d+\.?\d*)\]\]")
_FASTCHAT_SCORE_BACKUP = re.compile(r"\[(\d+\.?\d*)\]")


def parse_rating(text: str, lo: float = 1, hi: float = 10) -> Verdict:
    """Pointwise rating ``Rating: [[7]]`` (MT-Bench single-answer grading), on the scale ``lo``..``hi``.

    lm-sys/FastChat ``fastchat/llm_judge/common.py`` ``run_judge_single``: first ``\\[\\[(\\d+\\.?\\d*)\\]\\]``,
    else the backup ``\\[(\\d+\\.?\\d*)\\]``; ``ast.literal_eval`` of the group; no match -> -1 (invalid).
    Added here: a rating outside [lo, hi] is invalid (FastChat keeps it).
    """
    if lo > hi:
        raise ValueError(f"lo ({lo}) must not exceed hi ({hi})")
    match = _FASTCHAT_SCORE.search(text) or _FASTCHAT_SCORE_BACKUP.search(text)
    if match is None:
        return Verdict.invalid(text, "no [[rating]]")
    try:
        rating = float(ast.literal_eval(match.group(1)))
    except (ValueError, SyntaxError):
        return Verdict.invalid(text, f"rating {match.group(1)!r} is not a number")
    if not lo <= rating <= hi:
        return Verdict.invalid(text, f"rating {rating:g} outside {lo:g}..{hi:g}")
    return Verdict(rating, True, text)


_PC2_SCORE = re.compile(r"Weighted Score[^\d-]*(-?\d*\.?\d+)")


def parse_pc2(text: str) -> Verdict:
    """PC2 / Feedbacker: the last number after "Weighted Score", capped at 300.

    liudan193/Feedbacker ``evaluation/2.3.final_evaluation.py`` ``extract_score``: ``re.findall(r'Weighted
    Score[^\\d-]*(-?\\d*\\.?\\d+)')``; last match; ``min(float(m), 300)``; no match -> None (re-queried there).
    """
    matches = _PC2_SCORE.findall(text)
    if not matches:
        return Verdict.invalid(text, "no 'Weighted Score' number")
    value = float(matches[-1])
    reason = f"capped at 300 (was {value:g})" if value > 300 else ""
    return Verdict(min(value, 300.0), True, text, reason)


_PC2_CRITERIA_LINE = re.compile(r"^\s*(\d+)\.\s+(.+?)\s*\|\s*(.+?)\s*$", re.MULTILINE)
_PC2_RESULT_BLOCK = re.compile(r"<The Start of Evaluation Result>(.*?)<The End of Evaluation Result>", re.DOTALL)


def parse_pc2_criteria(text: str) -> Verdict:
    """PC2 / Feedbacker criteria round: the weighted ``N. description | weight`` lines, sorted by N.

    liudan193/Feedbacker ``evaluation/2.1.generate_criteria.py`` ``extract_criteria``: replace "%" by "" and
    "_" by "/", then "\\\\", "\\" and "//" by "/"; find ``^\\s*(\\d+)\\.\\s+(.+?)\\s*\\|\\s*(.+?)\\s*$``
    (multiline); none -> None (the item is not kept there); else the lines re-joined in ascending N.
    """
    norm = text.replace("%", "").replace("_", "/")
    norm = norm.replace("\\\\", "/").replace("\\", "/").replace("//", "/")
    matches = _PC2_CRITERIA_LINE.findall(norm)
    if not matches:
        return Verdict.invalid(text, "no 'N. description | weight' line")
    matches = sorted(matches, key=lambda x: int(x[0]))
    return Verdict("\n".join(f"{n}. {d.strip()} | {w.strip()}" for n, d, w in matches), True, text)


def parse_pc2_critique(text: str) -> Verdict:
    """PC2 / Feedbacker baseline critique: the last evaluation-result block, if it holds "Weighted Score: [".

    ``evaluation/2.2.evaluate_baseline.py`` ``extract_critic_score``: ``re.findall(r'<The Start of Evaluation
    Result>(.*?)<The End of Evaluation Result>', re.DOTALL)``; the last match if "Weighted Score: [" is in it.
    """
    matches = _PC2_RESULT_BLOCK.findall(text)
    if matches and "Weighted Score: [" in matches[-1]:
        return Verdict(matches[-1], True, text)
    return Verdict.invalid(text, "no evaluation result block with 'Weighted Score: ['")


PARSERS: dict[str, Callable[..., Verdict]] = {
    "rewardbench": parse_pairwise,
    "rewardbench2": parse_rewardbench2_four,
    "rewardbench-ratings": parse_rewardbench_ratings,
    "judgebench": parse_judgebench,
    "judgebench-vanilla": parse_judgebench_vanilla,
    "rm-r1": parse_rm_r1,
    "ranking": parse_ranking,
    "rating": parse_rating,
    "pc2": parse_pc2,
    "pc2-criteria": parse_pc2_criteria,
    "pc2-critique": parse_pc2_critique,
}
