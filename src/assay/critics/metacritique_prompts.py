"""MetaCritique's prompts and message builders, verbatim from GAIR-NLP/MetaCritique.

Each step of the authors' pipeline sends one system message (a prompt file) and one user message built
by an f-string in the step's script (``build_message(sys_msg, usr_input)`` in ``meta_critique/utils.py``):

* critique of the answer (the reference critique prompt, used here for the critic under evaluation):
  ``meta_critique/prompts/reference_critique.txt`` + ``generate_ref_critique.generate_ref_critique``;
* AIU extraction: ``prompts/extract_aius.txt`` + ``extracting_aius_for_critique.extract_aius_for_critique``;
* precision check of a hypothesis AIU against the question, answer and reference answer:
  ``meta_critique/prompts/precision.txt`` + ``evaluate_aiu_precision.eval_aiu_precision``;
* recall check of a reference AIU against the hypothesis critique: ``prompts/recall.txt`` +
  ``evaluate_aiu_recall.eval_aiu_recall``.

The texts are the files' contents (``read_txt`` joins the lines unchanged; no trailing newline).
"""

from __future__ import annotations

from assay.samples import Message, Prompt

REFERENCE_CRITIQUE_SYSTEM = (
    "You are a brilliant AI assistant. You will receive an input question and the model-generated answer. "
    "You need to generate the specific and actionable critiques for the model-generated answer, which contain "
    "the critical comments and helpful suggestions."
)

EXTRACT_AIUS_SYSTEM = """You are a brilliant AI assistant.
You receive a critique as the input, which is the critical comment for an input question and a model-generated answer.
You need to generate all check-worthy claims of the critique.
A claim is an atomic statement that only contains a fine-grained information unit of a critique.
Each claim should be concise (a sentence) and self-contained.
Note that the 'answer' in the critique means the model-generated answer or the correct answer.
Some examples are as following:
[example 1 start]
input:
The answer violates basic principles of common sense. Flour is not sweet. Dusting it onto the bread would not sweeten the bread. Therefore, the right answer is to dust powdered sugar; sugar is, of course, sweet.
claims:
The model-generated answer violates basic principles of common sense that flour is not sweet.
Dusting Flour onto the bread would not sweeten the bread.
The correct answer is to dust powdered sugar.
Sugar is sweet.
[example 1 end]
[example 2 start]
input:
The output makes a logical error in the first bullet point of the answer, where it rejects the possibility of sunlight being the right answer. While sunlight might be produced in the sun, it doesn't stay there. Since sunlight comes to earth, it is on earth itself. Therefore sunlight, option 2, is the right answer as sunlight which is the oldest heat source on Earth.
claims:
The model-generated answer makes a logical error in rejecting the possibility of sunlight being the right answer.
Sunlight might be produced in the sun.
Sunlight doesn't stay in the sun.
Sunlight comes to earth.
Sunlight is on earth itself.
Sunlight, option 2, is the right answer as it is the oldest heat source on Earth.
[example 2 end]
[example 3 start]
input:
That the increase has "reached record levels" is not indicated in the context. Otherwise, the answer is adequate, except it should also mention the government is responding to the situation.
claims:
The content that the increase has "reached record levels" is not indicated in the context.
The correct answer should also mention the government is responding to the situation.
[example 3 end]
[example 4 start]
input:
The answer's summary was missing information about Andre Ward winning the rematch.
claims:
The model-generated answer was missing information about Andre Ward winning the rematch
[example 4 end]"""  # noqa: E501

PRECISION_SYSTEM = """You are a brilliant AI assistant.
You receive an input question, a model-generated answer, the reference answer and a claim that is the critique for the model-generated answer.
To verify the claim, you should think step by step as following:
1) you should consider the input question, the model-generated answer and the reference answer, and then you should determine what you need for verifying the claim. Please note that the input question is the most reliable, and the input question is always correct. The model-generated answer is the least reliable, and it can contain some flaws. The reference answer is more reliable than the model-generated answer, but sometimes it may contain some flaws.
2) verify whether the claim is true or false. If a claim is either a factual statement, explicitly mentioned in the needed information, or logically deducible from it, then the claim is true; otherwise, it is false.
Here are some examples:
[example 1 start]
<input question>
A shelf would fit in what part of a room?
Here are the options:
Option 1: garage
Option 2: corner
Please choose the correct option.

<model-generated answer>
Option 1

<reference answer>
Option 2

<claim>
The model-generated answer is wrong.

<verify claim>
To verify the claim, we need to consider the model-generated answer and the reference answer.
The reference answer says that Option 2 is the correct choice.
The model-generated answer states that the answer is Option 1. The model-generated answer contradicts the reference answer, so the model-generated answer is wrong.
The claim states that the model-generated answer is wrong. The claim is consistent with the above analysis result. Therefore, the claim is true.
[example 1 end]
[example 2 start]
<input question>
Give a summary of the below article:
Biggin Hill Airport wants to increase bank holiday and weekend opening times to increase the number of flights. Director William Curtis said he feared the airport could be asked to help the UK meet increased demand for air travel if the extension was not granted.

<model-generated answer>
Biggin Hill Airport intends to expand its hours to accommodate more flights.

<reference answer>
Biggin Hill Airport seeks to extend opening times to boost flights amidst concerns of meeting UK air travel demand.

<claim>
William Curtis wants to increase opening hours.

<verify claim>
To verify the claim, we need to consider the input question.
The input question says that Biggin Hill Airport wants to increase opening times instead of William Curtis.
The claim states that William Curtis wants to increase opening hours. The claim contradicts with the above reasoning result. Therefore, the claim is false.
[example 2 end]
[example 3 start]
<input question>
Context:
He walked in the door and saw her pointing a gun with a laser pointer at his chest.

Given the above context, How did he feel?

<model-generated answer>
He was glad.

<reference answer>
He was scared for his life.

<claim>
The correct answer is that he was afraid.

<verify claim>
To verify the claim, we need to consider the reference answer.
The reference answer states that he was scared for his life, which is synonymous with being afraid.
The claim states that the correct answer is that he was afraid. The claim is consistent with the above reasoning result. Therefore, the claim is true.
[example 3 end]
[example 4 start]
<input question>
Here is a premise:
A black and white dog sliding down a slope on a beach.

Here is a hypothesis:
A dog going uphill to the beach.

Does this premise imply the hypothesis? Please justify your answer:

<model-generated answer>
No, the dog could have been sliding down any slope, not just a sandy beach.

<reference answer>
No. The premise states that the dog is sliding down a slope on a beach, which indicates a downward movement.
The hypothesis suggests that the dog is going uphill to the beach, which indicates an upward movement.
These two scenarios are contradictory, so the premise does not support or imply the hypothesis.

<claim>
The model-generated answer provides a clear and concise explanation.

<verify claim>
To verify the claim, we need to consider the model-generated answer and the reference answer.
The model-generated answer states that the reason is that the dog could have been sliding down any slope. However, it does not mention the direction of the dog's movement, which is the main point of contradiction.
The claim states that the model-generated answer provides a clear and concise explanation. The claim contradicts with the above reasoning result. Therefore, the claim is false.
[example 4 end]"""  # noqa: E501

RECALL_SYSTEM = """You are a brilliant AI assistant.
You receive a reference text and a claim. Note that the 'answer' in the reference text means the model-generated answer or the correct answer.
You need to think step by step for verifying whether the claim is true or false. If a claim is either explicitly mentioned in the reference text or logically deducible from it, then the claim is true; otherwise, it is false.
Here are some examples:
[example 1 start]
<reference text>
The model-generated answer gives the wrong step. It is suggested to check the reasoning steps.

<claim>
The model-generated answer is wrong.

<verify claim>
The reference text points that the model-generated answer contains the wrong step, so the model-generated answer is wrong.
The claim states that the model-generated answer is wrong. It is consistent with the above reasoning result. Therefore, the claim is true.
[example 1 end]
[example 2 start]
<reference text>
The model-generated answer is not right, because it provides the wrong analysis. The correct answer should be Option A.

<claim>
The correct answer should point out the invented fact.

<verify claim>
The reference text states that the correct answer should be Option A.
The claim states that the correct answer should point out the invented fact. The claim is not mentioned or implied in the reference text. Therefore, the claim is false.
[example 2 end]
[example 3 start]
<reference text>
The answer lacks detail and context, like the age of the victim, the place of the incident and so on.

<claim>
The accurate summary should contain the age of the dead person.

<verify claim>
The reference text states that the model-generated answer lacks the detail, the age of victim.
The claim states that the correct summary should contain the age of the dead person. It means that the model-generated answer is not mentioned the age of victim. The claim can be logically deducible from the reference text. Therefore, the claim is true.
[example 3 end]
[example 4 start]
<reference text>
The answer could be more concise and focused.

<claim>
The model-generated answer is mostly correct, but it could be improved by providing more specific details.

<verify claim>
The reference text states that the model-generated answer could be more concise. It means that the model-generated answer is elaborated.
The claim states that the model-generated answer could be improved by providing more specific details. It means that the model-generated answer is brief. The claim contracts with the reference text. Therefore, the claim is false.
[example 4 end]"""  # noqa: E501


def _chat(system: str, user: str) -> Prompt:
    """``OpenAIChat.generate_batch``: [{"role": "system", sysmsg}, {"role": "user", usermsg}]."""
    return (Message("system", system), Message("user", user))


def critique_prompt(question: str, response: str) -> Prompt:
    """``generate_ref_critique``: the critic writes a critique of ``response`` to ``question``."""
    user = f"input question:\n{question.strip()}\n\nmodel-generated answer:\n{response.strip()}\n\ncritique:\n"
    return _chat(REFERENCE_CRITIQUE_SYSTEM, user)


def extract_prompt(critique: str) -> Prompt:
    """``extract_aius_for_critique``: one claim (AIU) per output line."""
    return _chat(EXTRACT_AIUS_SYSTEM, f"input:\n{critique.strip()}\nclaims:\n")


def precision_prompt(question: str, response: str, reference_answer: str, aiu: str) -> Prompt:
    """``eval_aiu_precision``: is a hypothesis AIU true, given question, answer and reference answer?"""
    user = (
        f"<input question>\n{question.strip()}\n\n"
        f"<model-generated answer>\n{response.strip()}\n\n"
        f"<reference answer>\n{reference_answer.strip()}\n\n"
        f"<claim>\n{aiu.strip()}\n\n<verify claim>\n"
    )
    return _chat(PRECISION_SYSTEM, user)


def recall_prompt(hypothesis_critique: str, aiu: str) -> Prompt:
    """``eval_aiu_recall``: is a reference AIU entailed by the hypothesis critique?"""
    user = f"<reference text>\n{hypothesis_critique.strip()}\n\n<claim>\n{aiu.strip()}\n\n<verify claim>\n"
    return _chat(RECALL_SYSTEM, user)
