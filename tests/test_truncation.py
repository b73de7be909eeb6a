"""Truncation policies of hf_common.ChatEncoder on the real SmolLM2 tokenizer: left, right, middle, error.

"middle" keeps the head and the tail of the token budget and must keep the response scorable (the whole
response in the tail when it fits); "error" must refuse an over-long input, naming it and both lengths.
"""

from __future__ import annotations

import math
import pickle
from pathlib import Path
from typing import Any

import pytest

from assay.models.base import ScoreRequest
from assay.models.hf_common import TRUNCATIONS, ChatEncoder, ContextOverflowError, common_prefix_len
from assay.samples import Message

pytest.importorskip("transformers")

# Distinct words so that head and tail of the prompt are recognisable after the cut.
CONTEXT = " ".join(f"doc{i}" for i in range(120))
QUESTION = "Which document mentions the harbour?"
SHORT = "Document seven."
LONG_RESPONSE = " ".join(f"reason{i}" for i in range(20))


@pytest.fixture(scope="module")
def tok(default_model_dir: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(default_model_dir))


def req(response: str, context: str = CONTEXT) -> ScoreRequest:
    prompt = (Message("system", "Answer from the documents."), Message("user", f"{context}\n\n{QUESTION}"))
    return ScoreRequest(prompt, response)


def full_ids(tok: Any, r: ScoreRequest) -> tuple[list[int], int]:
    """The untruncated ids and response start, from an encoder with room for everything."""
    e = ChatEncoder(tok, "auto", 100_000, "left").encode(r)
    assert not e.truncated
    return list(e.ids), e.response_start


def test_policies_validated(tok: Any) -> None:
    assert TRUNCATIONS == ("left", "right", "middle", "error")
    for policy in TRUNCATIONS:
        ChatEncoder(tok, "auto", 64, policy)
    with pytest.raises(ValueError, match="unknown truncation 'centre'.*left, right, middle, error"):
        ChatEncoder(tok, "auto", 64, "centre")


def test_short_inputs_are_untouched_by_every_policy(tok: Any) -> None:
    r = req(SHORT, context="doc1 doc2")
    ids, start = full_ids(tok, r)
    for policy in TRUNCATIONS:
        e = ChatEncoder(tok, "auto", len(ids), policy).encode(r)  # exactly at the limit: no cut
        assert (list(e.ids), e.response_start, e.truncated) == (ids, start, False)


def test_middle_keeps_head_and_tail_halves(tok: Any) -> None:
    r = req(SHORT)
    ids, start = full_ids(tok, r)
    n, limit = len(ids), 64
    assert n > limit and n - start < limit // 2  # the response fits in the tail half
    e = ChatEncoder(tok, "auto", limit, "middle").encode(r)
    assert e.truncated and len(e.ids) == limit
    # head = 64 // 2 = 32 first tokens (BOS and system prompt first), tail = the last 32 tokens
    assert list(e.ids[:32]) == ids[:32] and list(e.ids[32:]) == ids[n - 32 :]
    assert e.ids[0] == tok.bos_token_id
    # the response boundary moved with the cut: start - (n - 32) tokens into the tail
    assert e.response_start == 32 + start - (n - 32)
    assert tok.decode(e.ids[e.response_start :]) == SHORT + "<|im_end|>\n"
    text = tok.decode(e.ids)
    assert "doc0 " in text and QUESTION in text and "doc60 " not in text  # the middle of the context went


def test_middle_grows_the_tail_for_a_long_response(tok: Any) -> None:
    r = req(LONG_RESPONSE)
    ids, start = full_ids(tok, r)
    n, limit = len(ids), 96
    resp = n - start
    assert limit // 2 < resp < limit - 1  # longer than the tail half, shorter than the budget
    e = ChatEncoder(tok, "auto", limit, "middle").encode(r)
    assert len(e.ids) == limit and e.truncated
    head = limit - resp  # the tail is exactly the response; the head shrinks to what is left
    assert list(e.ids[:head]) == ids[:head] and list(e.ids[head:]) == ids[start:]
    assert e.response_start == head
    assert tok.decode(e.ids[e.response_start :]) == LONG_RESPONSE + "<|im_end|>\n"


def test_middle_response_longer_than_budget_keeps_bos_and_response_end(tok: Any) -> None:
    r = req(LONG_RESPONSE)
    ids, start = full_ids(tok, r)
    limit = 24
    assert len(ids) - start > limit - 1
    e = ChatEncoder(tok, "auto", limit, "middle").encode(r)
    assert list(e.ids) == ids[:1] + ids[len(ids) - (limit - 1) :]  # BOS + last 23 response tokens
    assert e.response_start == 1 and e.truncated


def test_middle_without_boundary_keeps_the_response_too(tok: Any) -> None:
    """The classifier path (boundary=False) cuts exactly like the LM path; response_start stays 0."""
    r = req(LONG_RESPONSE)
    enc = ChatEncoder(tok, "auto", 96, "middle")
    with_b, without = enc.encode(r), enc.encode(r, boundary=False)
    assert with_b.ids == without.ids and without.response_start == 0 and without.truncated


def test_error_names_request_and_lengths(tok: Any) -> None:
    r = req(SHORT)
    ids, _ = full_ids(tok, r)
    enc = ChatEncoder(tok, "auto", 64, "error")
    with pytest.raises(ContextOverflowError) as info:
        enc.encode(r)
    err = info.value
    assert isinstance(err, ValueError)
    assert (err.n_tokens, err.max_length, err.key) == (len(ids), 64, r.key())
    msg = str(err)
    assert f"request {r.key()[:12]}" in msg and "Answer from the documents." in msg
    assert f"{len(ids)} tokens exceed max_length=64" in msg and "--truncate" in msg
    assert str(pickle.loads(pickle.dumps(err))) == msg  # survives worker processes


def test_left_and_right_unchanged(tok: Any) -> None:
    r = req(SHORT)
    ids, start = full_ids(tok, r)
    n = len(ids)
    left = ChatEncoder(tok, "auto", 64, "left").encode(r)
    assert list(left.ids) == ids[:1] + ids[n - 63 :] and left.response_start == 1 + start - (n - 63)
    right = ChatEncoder(tok, "auto", 64, "right").encode(r)
    assert list(right.ids) == ids[:64] and right.response_start == start > 64  # response cut off


def test_boundary_agrees_with_common_prefix(tok: Any) -> None:
    """The response start of the untruncated input is where prompt and conversation tokens part."""
    r = req(SHORT)
    enc = ChatEncoder(tok, "auto", 100_000, "left")
    msgs = [{"role": m.role, "content": m.text()} for m in r.prompt]
    prompt = enc.tokenize(enc.render(msgs, add_generation_prompt=True))
    e = enc.encode(r)
    assert e.response_start == common_prefix_len([prompt, list(e.ids)])


def test_backend_middle_scores_and_counts(default_model_dir: Path) -> None:
    from assay.models.spec import load_backend

    reqs = [req(SHORT), req("Document nine.")]
    b = load_backend(f"lm:{default_model_dir}?truncation=middle", max_length=64)
    results = [r for _, rs in b.score_stream(reqs, None) for r in rs]
    assert all(math.isfinite(r.score) and r.truncated and r.n_tokens == 64 for r in results)
    assert b.stats.truncated == 2 and b.fingerprint()["truncation"] == "middle"


def test_backend_error_refuses_before_scoring(default_model_dir: Path) -> None:
    from assay.models.spec import load_backend

    b = load_backend(f"lm:{default_model_dir}", max_length=64, truncation="error")
    with pytest.raises(ContextOverflowError, match="exceed max_length=64"):
        list(b.score_stream([req(SHORT)], None))
    assert b.stats.batches == 0
