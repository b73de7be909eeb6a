"""ProcessBench / DeepCritic critic prompts: the solution's steps tagged and placed in the authors' template.

* ProcessBench (QwenLM/ProcessBench ``code/templates/critique_template.txt``, read with ``.strip()`` and
  filled with ``.format``; ``code/run_eval.py`` ``prepare_input_boxed``): each step becomes
  ``<paragraph_i>\\n{step}\\n</paragraph_i>\\n\\n`` (0-based), concatenated and stripped.
* DeepCritic (RUCBM/DeepCritic ``ProcessBench/code/templates/critique_template_new.txt`` and
  ``ProcessBench/code/eval.py`` ``prepare_input_boxed``): each step is prefixed ``Step i: `` (1-based)
  unless it already contains ``"Step "``, steps joined by a blank line.
"""

from __future__ import annotations

from collections.abc import Sequence

# QwenLM/ProcessBench code/templates/critique_template.txt (read with .strip(), filled with .format)
PROCESSBENCH_TEMPLATE = """The following is a math problem and a solution (split into paragraphs, enclosed with tags and indexed from 0):

[Math Problem]

{problem}

[Solution]

{tagged_response}

Your task is to review and critique the solution paragraph by paragraph. Once you identify an error in a paragraph, return the index of the paragraph where the earliest error occurs. Otherwise, return the index of -1 (which typically denotes "not found").

Please put your final answer (i.e., the index) in \\boxed{{}}."""  # noqa: E501

# RUCBM/DeepCritic ProcessBench/code/templates/critique_template_new.txt
DEEPCRITIC_TEMPLATE = """The following is a math problem and a solution.
The solution is presented as a step-by-step chain of thought.
Each step is separated with the index indicator "Step i:", with i indexed starting from 1.

<Problem>
{problem}
</Problem>

<Solution>
{tagged_response}
</Solution>

Your task is to evaluate the solution and identify the earliest step that contains an error, or confirm that all steps are correct.
Please first review and generate a critique for each step.
After reviewing each step, once you identify an error in the step, stop the critique and return the index of that step as this is the step where the earliest error occurs. Otherwise, continue reviewing the subsequent setps. If all steps are correct, return the index of -1 (which typically denotes "not found").
Finally, put your final answer (i.e., the step index) in \\boxed{{}}."""  # noqa: E501


def tagged_response(steps: Sequence[str], numbering: int) -> str:
    """The solution block: ProcessBench paragraph tags (0) or DeepCritic ``Step i:`` lines (1)."""
    if numbering == 0:
        return "".join(f"<paragraph_{i}>\n{s}\n</paragraph_{i}>\n\n" for i, s in enumerate(steps)).strip()
    out = ""
    for i, s in enumerate(steps):
        out += (s if "Step " in s else f"Step {i + 1}: {s}") + "\n\n"
    return out.strip().strip("\n")


def critique_prompt(problem: str, steps: Sequence[str], numbering: int) -> str:
    """The user message of one item: the ProcessBench template (numbering 0) or DeepCritic's (1)."""
    template = PROCESSBENCH_TEMPLATE if numbering == 0 else DEEPCRITIC_TEMPLATE
    return template.format(problem=problem, tagged_response=tagged_response(steps, numbering))
