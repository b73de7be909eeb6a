"""The meta-reviewer prompt for ReviewCritique and its parser (ours: the authors did not publish theirs).

The model reads the paper (optionally cut to its first N characters) and one review split into numbered
segments (1-based, as ``[3] text``), and ends with ``Deficient segments: 2, 5`` or ``Deficient segments:
none``. The deficiency notion follows the dataset's annotation guide as the paper describes it: a segment
that misreads or neglects the paper, is factually wrong, vague, superficial, out of scope, contradictory,
duplicated or unprofessional.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

TEMPLATE = """You are an expert meta-reviewer for an NLP conference. Below are a submitted paper and one review \
of it, split into numbered segments.

A review segment is deficient if it misunderstands or neglects the paper, states something factually wrong or \
unsupported, is vague or superficial, asks for something out of the paper's scope, contradicts the paper or \
the review itself, repeats another segment, or is otherwise unprofessional. Section titles and accurate \
summaries are not deficient.

### Paper
{paper}

### Review segments
{segments}

Think about each segment, then give your answer on the last line, exactly in the form
Deficient segments: <comma-separated segment numbers>
or
Deficient segments: none"""

_ANSWER = re.compile(r"deficient\s+segments?\s*[:：]\s*(.*)", re.IGNORECASE)


def metareview_prompt(paper: str, segments: Sequence[str], paper_chars: int | None = None) -> str:
    text = paper if paper_chars is None else paper[:paper_chars]
    numbered = "\n".join(f"[{i}] {s.strip()}" for i, s in enumerate(segments, start=1))
    return TEMPLATE.format(paper=text.strip() or "(not shown)", segments=numbered)


def parse_flags(text: str, n_segments: int) -> tuple[set[int] | None, str | None]:
    """The 1-based segment numbers on the last ``Deficient segments:`` line -> (numbers, None);
    (None, why) when there is no such line. Numbers outside 1..n are dropped and reported."""
    matches = [m for line in text.splitlines() if (m := _ANSWER.search(line))]
    if not matches:
        return None, "no 'Deficient segments:' line"
    rest = matches[-1].group(1).strip()
    if not rest or rest.lower().strip(" .") in ("none", "no", "n/a", "[]"):
        return set(), None
    nums = {int(x) for x in re.findall(r"\d+", rest)}
    if not nums:
        return None, f"no segment numbers in {rest[:60]!r}"
    bad = sorted(x for x in nums if not 1 <= x <= n_segments)
    kept = {x for x in nums if 1 <= x <= n_segments}
    return kept, (f"out-of-range segment number(s) {bad} dropped" if bad else None)
