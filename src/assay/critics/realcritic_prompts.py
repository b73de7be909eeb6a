"""RealCritic prompts (tangzhy/RealCritic commit 0c40c16 ``utils.py``), verbatim.

``SYSTEM_PROMPT_TEMPLATES["critic_and_correct"]`` + ``USER_PROMPT_TEMPLATE["critic_and_correct"]`` (the
critique), ``MULTI_TURN_CRITIC["cot"]`` (the iterative follow-up), ``SYSTEM_PROMPT_TEMPLATES["direct-cot"]``
(the self-critique's solve step) and ``construct_message`` (how they become chat messages).
"""

from __future__ import annotations

from assay.samples import Message, Prompt

# utils.py SYSTEM_PROMPT_TEMPLATES["critic_and_correct"] (a raw string: single backslashes)
CRITIC_SYSTEM = r"""I will provide a math problem along with a student solution.

Conduct a step-by-step critique of the student's solution. For each step, use proper verification, recalculation, and reflection to determine whether it is logically and mathematically valid. Please elaborate on the analysis process carefully. If an error is detected in any step, describe the nature and cause of the error in detail, and suggest how to correct it or provide the correct approach. Once a step is found to contain an error, stop further analysis of subsequent steps (as they may depend on the identified error) and directly conclude with "Incorrect".

Finally, provide a conclusion of your critique and a correction for the student solution.

Format your response as follows:

```
## Critique of Student Solution Steps
### Critique of Step 1
[critique of step 1]

...

### Critique of Step n
[critique of step n]

## Conclusion of Critique
[For correct student solution]
The solution is Correct.
The first error step number: -1

[For incorrect student solution]
The solution is Incorrect.
The first error step number: [first step containing error]

## Correction of Student Solution
[For correct student solution]
The student solution is correct and well-reasoned. The final answer is \boxed{[answer]}.

[For incorrect student solution]
Here's the corrected solution, following the original approach up to step [error step - 1] and then proceeding with the proper correction:
===CORRECTION_START===
[Steps 1 to (error step - 1) from original student solution]
[Corrected version of error step]
[Subsequent steps following from the correction to reach the final answer]
Therefore, the final answer is \boxed{[corrected answer]}.
===CORRECTION_END===
```"""  # noqa: E501
# utils.py USER_PROMPT_TEMPLATE["critic_and_correct"]
CRITIC_USER = (
    "The following is the data for your task:\n\n## Math Problem\n{question}\n\n## Student Solution\n{reasoning}"
)
# utils.py MULTI_TURN_CRITIC["cot"]: never .format()ted upstream, so the doubled braces are sent as is
FOLLOW_UP = (
    "Are you sure your critic is correct? Please reconsider all the content above and identify any possible "
    "errors. Place the final answer in \\boxed{{}}."
)
# utils.py SYSTEM_PROMPT_TEMPLATES["direct-cot"] with USER_PROMPT_TEMPLATE["default-cot"] = "{question}"
SOLVE_SYSTEM = "Please reason step by step, and put your final answer within \\boxed{}."


def solve_prompt(question: str) -> Prompt:
    return (Message("system", SOLVE_SYSTEM), Message("user", question))


def critique_prompt(question: str, reasoning: str) -> Prompt:
    """``construct_message``: the critic_and_correct system prompt and the problem + student solution."""
    return (
        Message("system", CRITIC_SYSTEM),
        Message("user", CRITIC_USER.format(question=question, reasoning=reasoning)),
    )


def follow_up(conv: Prompt, reply: str) -> Prompt:
    """``construct_message`` for turn > 1: the reply (right-stripped) and the follow-up question."""
    return (*conv, Message("assistant", reply.rstrip()), Message("user", FOLLOW_UP))
