"""PCBench's prompts and parsers, verbatim from MLGroupJLU/Premise_Critique (evaluation/inference.py, eval.py).

* the three prompt variants (``inference.py``): the normal query, the flawed ("ill") query, and the flawed
  query with the hint appended (``answer_ill_query_with_hint``: ``ill_query += HINT``). The released script
  prefixes ``/no_think`` for its ollama Qwen3 runs (the plain query is the commented original); the prefix is
  an option here;
* ``extract_after_think``: the answer after the last ``</think>`` (left-stripped), else the stripped text;
* the premise-critique judge (``eval.evaluate_answer_to_ill``) with ``get_conflict_place``, its JSON
  extraction (``extract_json_data``: the first fenced ```json block, ``json.loads``), and the normal-answer
  correctness judge (``evaluate_answer_to_normal``).
"""

from __future__ import annotations

import json
import re
from typing import Any

HINT = """
Check if there are any errors in the question's premises before answering. If there are, please report them promptly. 
"""  # noqa: W291  (the trailing space is in the original)

ILL_JUDGE_TEMPLATE = """
Please act as an impartial judge. Your task is to assess whether a given model response demonstrates the ability of **Premise Critique Ability**. Please follow the criteria below and output your judgment in the specified JSON format.

### Judgment Criteria
**Exhibits Premise Critique Ability**:
The response must:
- Clearly question/challenge the validity, logic, or reasonableness of the problem's premises.
- Specifically identify contradictions, inconsistencies, or flawed reasoning within the premises.
- Explicitly state the nature of the error (e.g., "The premise incorrectly assumes X," "There is a contradiction between Y and Z").
**Does Not Exhibit Premise Critique Ability**:
The response fails to meet the above criteria if it:
- Provides a correct solution without analyzing errors in the original premises.
- Vaguely claims the problem is "unreasonable" or "flawed" without specifying exact contradictions or errors.

### Details on Incorrect Premise
When a response engages in premise critique, it must precisely identify: \n
{conflict_place} \n
= The specific location or aspect within the problem's premises where the error lies

### Response to be Evaluated
{response}

### Output Format
Output in the form of a JSON. Only output the content within the following code block, and do not add any other content:
```json
{{
    "if_find_contradiction": "True/False",
    "basis": "Provide a concise explanation of the judgment basis, which should be analyzed by combining the content of the model's response with the judgment criteria."
}}
```
"""  # noqa: E501

NORMAL_JUDGE_TEMPLATE = """
Please act as an impartial judge to determine whether the final answer in the given response is correct, i.e., whether it aligns with the provided correct answer.
First, identify the final answer within the response.
Then, assess if it matches the correct answer, disregarding superficial formatting differences such as spacing, punctuation, capitalization, or structural presentation that do not affect the core content.

### Judgment Criteria
If the final answer is correct, output "True".
If the final answer is incorrect or cannot be found, output "False".

### Response to be evaluated
{response}

### Correct Answer
{correct_answer}

## Output Format
Only output string "True" or "False" without any additional content.
"""  # noqa: E501

CONTRADICTION_TYPES = ("contra_infer_insert", "contra_premise_insert")
STEP_TYPES = ("flawed_solution_completion", "irr_query_distraction")
_JSON_BLOCK = re.compile(r"```json\s*([\s\S]*?)\s*```", re.DOTALL)
_THINK_END = re.compile(r"</think>")


def conflict_place(conflict_type: str, conflict: dict[str, Any]) -> str:
    """``get_conflict_place``: the reason for the two contradiction types, the wrong step for the others."""
    if conflict_type in CONTRADICTION_TYPES:
        return str(conflict["conflict_reason"])
    if conflict_type in STEP_TYPES:
        return f"Step '{conflict['recomposed_premise']}' in partial solution is wrong"
    return ""


def ill_judge_prompt(conflict_place_text: str, response: str) -> str:
    return ILL_JUDGE_TEMPLATE.format(conflict_place=conflict_place_text, response=response)


def normal_judge_prompt(response: str, correct_answer: str) -> str:
    return NORMAL_JUDGE_TEMPLATE.format(response=response, correct_answer=correct_answer)


def extract_after_think(text: str) -> str:
    """``extract_after_think``: the text after the last ``</think>``, left-stripped; else stripped."""
    matches = list(_THINK_END.finditer(text))
    if matches:
        return text[matches[-1].end() :].lstrip()
    return text.strip()


def extract_json_data(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """``extract_json_data`` -> (object, None), or (None, why) where the original returns None or raises."""
    match = _JSON_BLOCK.search(text)
    if not match:
        return None, "no ```json block"
    try:
        obj = json.loads(match.group(1))
    except json.JSONDecodeError as e:
        return None, f"invalid JSON in the ```json block: {e.msg}"
    if not isinstance(obj, dict):
        return None, f"the ```json block holds a {type(obj).__name__}, not an object"
    return obj, None


def contradiction_found(judgement: Any) -> bool | None:
    """``if_find_contradiction`` of a judge result: "True" -> True, "False" -> False (case-insensitive, JSON
    booleans accepted); anything else (missing, empty ``{}``, other text) -> None, an invalid judgement."""
    if not isinstance(judgement, dict):
        return None
    v = judgement.get("if_find_contradiction")
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    return None


def normal_correct(text: str) -> bool | None:
    """``evaluate_answer_to_normal``: exactly "True"/"False" (case-insensitive) after stripping, else None.
    (The original compares before stripping, so "True\\n" is a failed evaluation there.)"""
    out = text.strip().lower()
    return out == "true" if out in ("true", "false") else None
