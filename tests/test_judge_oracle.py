"""Judge runs end to end over HTTP against a scripted OpenAI-compatible judge on 127.0.0.1.

The scripted judge reads the quality mark ``Q<digit>`` that the fixture answers carry and answers every
template in its own format (``[[A]]``, ``Output (a)``, ``Rating: [[7]]``, a trailing rating, ``[[B>A>C]]``,
Arena-Hard labels after a "continue" turn, PC2 criteria / critique / weighted scores). A truthful judge
must then score 1 on every benchmark; a judge biased to the first position must score exactly what the
recorded placements imply. Every run is rescored from samples.jsonl and must reproduce metrics.json.
The fixtures are small files in each benchmark's official format."""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from assay.records.rescore import rescore
from assay.records.rundir import load_run
from assay.runner import evaluate

pytest.importorskip("httpx")

_Q = re.compile(r"Q(\d)")
RESULT = (
    "<The Start of Evaluation Result>\nM1 | score: [2]\n\nFinal Weighted Score: [[{score}]]\n"
    "<The End of Evaluation Result>"
)
CONTINUE = "continue your judgment and finish by outputting a final verdict label"


def q(text: str) -> int:
    found = _Q.findall(text)
    return int(found[-1]) if found else 0


def _between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


def oracle(messages: list[dict[str, str]], biased: bool) -> str:
    """The scripted judge: truthful (by the Q marks) or always naming the first position."""
    system = messages[0]["content"] if messages[0]["role"] == "system" else ""
    user = next(m["content"] for m in messages if m["role"] == "user")
    if messages[-1]["content"] == CONTINUE:
        a = _between(user, "<|The Start of Assistant A's Answer|>", "<|The End")
        b = _between(user, "<|The Start of Assistant B's Answer|>", "<|The End")
        return "My final verdict is: [[A>B]]" if biased or q(a) > q(b) else "My final verdict is: [[B>A]]"
    if "<|User Prompt|>" in user:
        return "My own answer first, then a comparison."  # no label: JudgeBench asks once more
    if "# Output (a):" in user:
        a, b = _between(user, "# Output (a):", "# Output (b):"), _between(user, "# Output (b):", "# Which is")
        return "Output (a)" if biased or q(a) > q(b) else "Output (b)"
    if user.startswith("You are a helpful assistant. \n\n[Question]"):
        return "An auxiliary answer Q5."
    if "<Evaluation_Framework>" in user:
        return (
            "Compared.\n<Evaluation_Framework>\n1. Correct result | 70\n2. Clear steps | 30\n<\\Evaluation_Framework>"
        )
    if "[The Start of Baseline Answer]" in user:
        answer = _between(user, "[The Start of Assistant\u2019s Answer]", "[The End of Assistant\u2019s Answer]")
        score = 200 if biased else 100 + 20 * q(answer)
        return RESULT.format(score=score)
    if "[The Start of Evaluation System]" in user:
        return RESULT.format(score=200)
    if "Response]" in user and "<answer>" in system:  # RM-R1
        a = _between(user, "[The Start of Assistant A's Response]", "[The End")
        b = _between(user, "[The Start of Assistant B's Response]", "[The End")
        pick = "A" if biased or q(a) > q(b) else "B"
        return f"<type>Chat</type>\n<rubric>r<justify>j</justify></rubric>\n<eval>e</eval>\n<answer>[[{pick}]]</answer>"
    if "[The Start of Assistant A's Answer]" in user:
        labels = [c for c in "ABCDEFGH" if f"[The Start of Assistant {c}'s Answer]" in user]
        marks = {c: q(_between(user, f"[The Start of Assistant {c}'s Answer]", "[The End")) for c in labels}
        order = labels if biased else sorted(labels, key=lambda c: -marks[c])
        if "You should rank" in system:
            return f"[Analysis]\nBy quality.\n[Ranking]\n[[{'>'.join(order)}]]"
        return f"A short explanation. [[{order[0]}]]"
    if "[The Start of Assistant's Answer]" in user:
        mark = 5 if biased else q(_between(user, "Assistant's Answer]", "[The End"))
        return f"Rating: [[{mark}]]"
    if "[Your judgement]" in user:
        return f"Fine.\n{5 if biased else q(_between(user, '[Response]', '[Your judgement]'))}"
    return "I cannot tell."


class OracleServer:
    def __init__(self) -> None:
        self.biased = False
        self.calls = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.calls += 1
                text = oracle(body["messages"], server.biased)
                payload = json.dumps(
                    {
                        "choices": [
                            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                        ],
                        "usage": {"prompt_tokens": 10, "completion_tokens": 5},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def judge() -> Iterator[OracleServer]:
    s = OracleServer()
    try:
        yield s
    finally:
        s.httpd.shutdown()


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def judgebench_file(tmp: Path) -> str:
    def row(i: int, source: str, label: str) -> dict[str, Any]:
        good, bad = f"Worked answer {i}: Q9", f"Flawed answer {i}: Q2"
        a, b = (good, bad) if label == "A>B" else (bad, good)
        return {
            "pair_id": f"p{i}",
            "original_id": i,
            "source": source,
            "question": f"Question {i}?",
            "response_model": "gpt-4o-2024-05-13",
            "response_A": a,
            "response_B": b,
            "label": label,
        }

    rows = [
        row(1, "mmlu-pro-law", "A>B"),
        row(2, "livebench-reasoning", "B>A"),
        row(3, "livebench-math", "A>B"),
        row(4, "livecodebench", "B>A"),
    ]
    return _jsonl(tmp / "data" / "dataset=judgebench,response_model=gpt-4o-2024-05-13.jsonl", rows)


def rb2_file(tmp: Path) -> str:
    rows = [
        {
            "id": "1",
            "prompt": "Say hi.",
            "chosen": ["hi Q9"],
            "rejected": ["bye Q1", "no Q2", "eh Q3"],
            "subset": "Focus",
            "num_correct": 1,
        },
        {
            "id": "2",
            "prompt": "2+2?",
            "chosen": ["4 Q8"],
            "rejected": ["5 Q1", "6 Q4", "7 Q3"],
            "subset": "Math",
            "num_correct": 1,
        },
        {
            "id": "ref:1",
            "prompt": "Name a prime.",
            "chosen": ["2 Q9"],
            "rejected": ["4 Q2", "9 Q1"],
            "subset": "Ties",
            "num_correct": 1,
        },
        {
            "id": "tied:1",
            "prompt": "Name a prime.",
            "chosen": ["2 Q9", "3 Q8"],
            "rejected": ["4 Q1"],
            "subset": "Ties",
            "num_correct": 2,
        },
    ]
    return _jsonl(tmp / "rb2.jsonl", rows)


def long_dir(tmp: Path) -> str:
    base = {"source": "doc", "chosen_model": "m1", "rejected_model": "m2"}
    rows = [
        {
            **base,
            "id": 0,
            "prompt_template": [{"role": "user", "content": "A long document. Which claim holds?"}],
            "tasktype": "PairWise",
            "subtype": "same",
            "ctx_length_for_length": "4k",
            "chosen": "claim Q8",
            "rejected": "claim Q2",
        },
        {
            **base,
            "id": 1,
            "prompt_template": [{"role": "system", "content": "Context."}, {"role": "user", "content": "Cite it."}],
            "tasktype": "BestOfN",
            "subtype": "3",
            "ctx_length_for_length": "8k",
            "candidates": ["best Q9", "middle Q5", "worst Q1"],
        },
        {
            **base,
            "id": 2,
            "prompt_template": [{"role": "user", "content": "Another question?"}],
            "tasktype": "PairWise",
            "subtype": "diff",
            "ctx_length_for_length": "8k",
            "chosen": "yes Q7",
            "rejected": "no Q3",
        },
    ]
    _jsonl(tmp / "long" / "Cite.jsonl", rows)
    return str(tmp / "long")


def mrb_file(tmp: Path) -> str:
    rows = [
        {
            "id": i,
            "language": "deu_Latn",
            "prompt": f"Frage {i}?",
            "chosen": f"gut Q{7 + i % 3}",
            "rejected": f"schlecht Q{i % 3}",
            "subset": "alpacaeval-easy",
        }
        for i in range(4)
    ]
    return _jsonl(tmp / "mrb.jsonl", rows)


def _run(judge: OracleServer, tmp: Path, bench: str, data: str, name: str, **kw: Any) -> Any:
    spec = f"openai:{judge.url}#oracle?concurrency=4"
    run = evaluate(bench, spec, data=data, out=str(tmp / name), cache_dir=str(tmp / "cache"), n_boot=100, **kw)
    assert rescore(load_run(run.path))[1] == []
    return run


def test_judgebench_vanilla_and_arena_hard(judge: OracleServer, tmp_path: Path) -> None:
    judge.biased = False
    data = judgebench_file(tmp_path)
    run = _run(judge, tmp_path, "judgebench", data, "vanilla")
    m = run.metrics
    assert m["overall"]["value"] == 1.0 and set(m["sections"]) == {"Knowledge", "Reasoning", "Math", "Coding"}
    assert m["judge"]["policy"]["name"] == "judgebench" and m["judge"]["invalid"] == 0
    assert run.manifest["judge"]["template"] == "judgebench" and run.manifest["judge"]["both_orders"]
    for r in run.records:
        assert [j["chosen_label"] for j in r["judgements"]] in (["A", "B"], ["B", "A"])
        assert r["outcome"]["counter"] == 2 and r["judgements"][0]["raw"] in ("Output (a)", "Output (b)")
        assert r["judgements"][0]["chosen_label"] == ("A" if r["meta"]["label"] == "A>B" else "B")  # dataset order
    arena = _run(judge, tmp_path, "judgebench", data, "arena", judge_template="judgebench-arena-hard")
    assert arena.metrics["overall"]["value"] == 1.0 and arena.manifest["counts"]["rounds"] == 2
    assert all(len(j["rounds"]) == 2 for r in arena.records for j in r["judgements"])
    judge.biased = True
    biased = _run(judge, tmp_path, "judgebench", data, "biased", use_cache=False)
    assert biased.metrics["overall"]["value"] == 0.0 and biased.metrics["counts"]["ties"] == 4
    assert biased.metrics["extra"]["pairs"]["inconsistent"] == 4
    rating = _run(judge, tmp_path, "judgebench", data, "rating", judge_template="rating", use_cache=False)
    assert rating.metrics["overall"]["value"] == 0.0  # every answer rated 5: A=B both ways, a tie
    judge.biased = False


def test_rewardbench2_four_way_ratings_and_ties(judge: OracleServer, tmp_path: Path) -> None:
    judge.biased = False
    data = rb2_file(tmp_path)
    run = _run(judge, tmp_path, "rewardbench2", data, "four")
    subsets = {k: v["value"] for k, v in run.metrics["subsets"].items()}
    assert subsets["Focus"] == subsets["Math"] == 1.0
    # Ties: ref [9, 2, 1] and tied [9, 8, 1]: both accurate, gaps 7 and 7, tied spread 1
    assert subsets["Ties"] == pytest.approx(0.3 + 0.3 + 0.2 + 0.2 + 0.01 * math.tanh(7 / 1 - 1))
    modes = {r["id"]: r["judge"]["mode"] for r in run.records}
    assert modes == {"1": "four", "2": "four", "ref:1": "rating", "tied:1": "rating"}
    ties = next(r for r in run.records if r["id"] == "tied:1")
    assert ties["scores"] == [9.0, 8.0, 1.0] and ties["judge"]["ties_prompt"]
    ratings = _run(judge, tmp_path, "rewardbench2", data, "ratings", judge_template="rewardbench2-ratings")
    assert ratings.metrics["subsets"]["Focus"]["value"] == 1.0
    assert next(r for r in ratings.records if r["id"] == "1")["scores"] == [9.0, 1.0, 2.0, 3.0]
    judge.biased = True
    biased = _run(judge, tmp_path, "rewardbench2", data, "biased", use_cache=False)
    for r in biased.records:
        if r["judge"]["mode"] == "four":  # always [[A]]: right exactly when the draw left the answer at A
            assert r["outcome"]["credit"] == (1.0 if r["judgements"][0]["shuffle_option"] == 0 else 0.0)
    judge.biased = False


def test_long_rewardbench_pairs_and_ranking(judge: OracleServer, tmp_path: Path) -> None:
    judge.biased = False
    data = long_dir(tmp_path)
    run = _run(judge, tmp_path, "long-rewardbench", data, "rank")
    assert run.metrics["overall"]["value"] == 1.0 and run.metrics["judge"]["policy"]["name"] == "longrewardbench"
    bon = next(r for r in run.records if r["meta"]["tasktype"] == "BestOfN")
    assert bon["judgements"][0]["order"] == bon["meta"]["order"] and bon["scores"] == [3.0, 2.0, 1.0]
    pair_rec = next(r for r in run.records if r["meta"]["tasktype"] == "PairWise")
    assert pair_rec["judge"]["template"] == "ranking" and pair_rec["judge"]["parser"] == "rewardbench"
    judge.biased = True
    biased = _run(judge, tmp_path, "long-rewardbench", data, "biased", use_cache=False)
    for r in biased.records:  # always the first shown: hand-computed from the replayed order
        order = r["meta"]["order"]
        if r["meta"]["tasktype"] == "PairWise":
            assert r["outcome"]["credit"] == (1.0 if order == [0, 1] else 0.0)
        else:  # [[A>B>C]] reads positions [0, 1, 2]; gold is the order itself
            assert r["outcome"]["credit"] == pytest.approx(sum(int(g == p) for p, g in enumerate(order)) / 3)
    judge.biased = False


def test_mrewardbench_rm_r1_and_pc2(judge: OracleServer, tmp_path: Path) -> None:
    judge.biased = False
    data = mrb_file(tmp_path)
    run = _run(judge, tmp_path, "mrewardbench", data, "mrb")
    assert run.metrics["overall"]["value"] == 1.0 and run.metrics["judge"]["policy"]["name"] == "mrewardbench"
    assert all("draw" in r["judge"]["placement"] for r in run.records)
    rm = _run(judge, tmp_path, "mrewardbench", data, "rmr1", judge_template="rm-r1-strict")
    assert rm.metrics["overall"]["value"] == 1.0
    assert "structure: type=Chat, rubric, eval" in rm.records[0]["judgements"][0]["reason"]
    pc = _run(judge, tmp_path, "mrewardbench", data, "pc2", judge_template="pc2")
    assert pc.metrics["overall"]["value"] == 1.0 and pc.manifest["counts"]["rounds"] == 4
    rec = pc.records[0]
    assert [j["round"] for j in rec["judgements"]] == ["aux"] * 3 + ["criteria", "baseline", "score", "score"]
    scores = {j["response"]: j["verdict"] for j in rec["judgements"] if j["round"] == "score"}
    assert scores == {"chosen": 100 + 20 * q(rec["chosen"]), "rejected": 100 + 20 * q(rec["rejected"])}
    again = _run(judge, tmp_path, "mrewardbench", data, "pc2-again", judge_template="pc2")
    assert again.manifest["counts"]["generated"] == 0  # every round served from the cache
    assert [r["judgements"] for r in again.records] == [r["judgements"] for r in pc.records]


def test_pairwise_template_on_candidates_is_refused(judge: OracleServer, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not judge Candidates"):
        evaluate(
            "rewardbench2",
            f"openai:{judge.url}#oracle",
            data=rb2_file(tmp_path),
            judge_template="rm-r1",
            out=str(tmp_path / "x"),
            cache_dir=str(tmp_path / "c"),
        )
