"""``prm:`` process reward models: one-pass step scores equal per-prefix passes, the cache, refusals, the
threshold and first-error rules on hand cases, and a ProcessBench run with a tiny random PRM + rescore."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import processbench as pb
from assay.critics.process_metrics import f1_of
from assay.critics.processbench_data import KIND_PRM
from assay.models.prm import PRMBackend, StepScores, cached_step_scores, choose_threshold, first_below, tune_split
from assay.models.spec import load_backend, parse_spec

PROBLEM = "Tom has 3 apples and buys 4 more. How many apples does he have?"
STEPS = ["Tom starts with 3 apples.", "He buys 4 more, so 3 + 4 = 8.", "The answer is 8."]


def _tiny(base: Path, out: Path, head: str) -> Path:
    """A randomly initialised 2-layer model on the SmolLM2 config and tokenizer (+ the <extra_0> token)."""
    import torch
    from transformers import AutoConfig, AutoTokenizer, LlamaForCausalLM, LlamaForTokenClassification

    tok = AutoTokenizer.from_pretrained(base)
    tok.add_tokens(["<extra_0>"], special_tokens=True)
    cfg = AutoConfig.from_pretrained(base)
    cfg.update(
        {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4}
        | {"num_key_value_heads": 2, "head_dim": 16, "vocab_size": len(tok), "num_labels": 2}
    )
    torch.manual_seed(0)
    model = LlamaForTokenClassification(cfg) if head == "token" else LlamaForCausalLM(cfg)
    model.config.architectures = [type(model).__name__]
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def token_prm(default_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tiny(default_model_dir, tmp_path_factory.mktemp("prm_token"), "token")


@pytest.fixture(scope="module")
def lm_prm(default_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tiny(default_model_dir, tmp_path_factory.mktemp("prm_lm"), "lm")


def _prefix_scores(b: PRMBackend, problem: str, steps: list[str]) -> list[float]:
    """Reference: score step i from a separate pass over the text ending at step i's separator."""
    out = []
    for i in range(len(steps)):
        ids, pos = b.encode(problem, steps[: i + 1])
        cut = ids[: pos[-1] + 1]
        out.append(b._forward(cut, [len(cut) - 1])[0])
    return out


@pytest.mark.parametrize("head", ["token", "lm"])
def test_one_pass_equals_per_prefix_passes(head: str, token_prm: Path, lm_prm: Path) -> None:
    path = token_prm if head == "token" else lm_prm
    b = PRMBackend("t", str(path), head=head, sep="<extra_0>")
    (res,) = b.step_scores([(PROBLEM, STEPS)])
    assert res.error is None and res.scores is not None and len(res.scores) == 3
    assert all(0.0 < s < 1.0 for s in res.scores)
    ref = _prefix_scores(b, PROBLEM, STEPS)
    assert max(abs(a - r) for a, r in zip(res.scores, ref, strict=True)) < 1e-5
    # the one-pass sequence really is the prefix one plus the rest (no re-tokenisation at the separators)
    ids, pos = b.encode(PROBLEM, STEPS)
    ids1, pos1 = b.encode(PROBLEM, STEPS[:1])
    assert ids[: pos1[0] + 1] == ids1[: pos1[0] + 1] and pos[0] == pos1[0]


def test_token_head_reads_the_template_and_softmax(token_prm: Path) -> None:
    import torch

    b = PRMBackend("t", str(token_prm), system="qwen")
    b.load()
    text = b.text(PROBLEM, STEPS)
    assert "Please reason step by step" in text and "8.<extra_0>The answer" in text
    ids, pos = b.encode(PROBLEM, STEPS)
    with torch.no_grad():
        logits = b._model(input_ids=torch.tensor([ids])).logits[0]
    by_hand = [float(torch.softmax(logits[p], -1)[1]) for p in pos]
    assert b.step_scores([(PROBLEM, STEPS)])[0].scores == pytest.approx(by_hand, abs=1e-6)
    other = PRMBackend("t", str(token_prm), label=0).step_scores([(PROBLEM, STEPS)])[0].scores
    assert other == pytest.approx([1 - s for s in by_hand], abs=1e-6)


def test_lm_head_math_shepherd_text(lm_prm: Path) -> None:
    b = PRMBackend("t", str(lm_prm), head="lm", sep="<extra_0>")
    b.load()
    assert b.text("Q?", ["a", "b"]) == "Q? a <extra_0>\nb <extra_0>"


def test_invalid_items_are_reported_not_cut(token_prm: Path) -> None:
    b = PRMBackend("t", str(token_prm), max_length=40)
    long_steps = ["word " * 30, "end"]
    res = b.step_scores([(PROBLEM, ["x <extra_0> y"]), (PROBLEM, long_steps), ("Q", ["a"])])
    assert res[0].scores is None and "contains the separator" in (res[0].error or "")
    assert res[1].scores is None and "exceed max_length=40" in (res[1].error or "")
    assert res[2].scores is not None


def test_refusals(token_prm: Path, lm_prm: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must be one"):
        PRMBackend("t", str(token_prm), sep="two words").load()
    with pytest.raises(ValueError, match="head=lm"):
        PRMBackend("t", str(lm_prm)).load()  # a causal LM has no token-classification head
    custom = tmp_path / "custom"
    shutil.copytree(token_prm, custom)
    cfg = json.loads((custom / "config.json").read_text())
    cfg.update(architectures=["Qwen2ForProcessRewardModel"], auto_map={"AutoModel": "modeling_x.PRM"})
    (custom / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="trust_remote_code=true"):
        PRMBackend("t", str(custom)).load()
    with pytest.raises(ValueError, match="scores solution steps"):
        PRMBackend("t", str(token_prm)).score_stream([])


def test_spec_parsing_and_fingerprint_without_loading(token_prm: Path) -> None:
    kind, target, opts = parse_spec(f"prm:{token_prm}?sep=%3Cextra_0%3E&label=1&system=none")
    assert (kind, target, opts) == ("prm", str(token_prm), {"sep": "<extra_0>", "label": 1, "system": "none"})
    b = load_backend(f"prm:{token_prm}?head=token&trust_remote_code=false")
    assert isinstance(b, PRMBackend) and not b.loaded
    fp = b.fingerprint()
    assert fp["backend"] == "prm" and fp["sep"] == "<extra_0>" and fp["model"]["source"] == "local"
    assert not b.loaded
    with pytest.raises(ValueError, match="unknown option"):
        parse_spec("prm:x?threshold=0.5")


def test_cache_serves_repeated_items(token_prm: Path, cache_dir: Path) -> None:
    from assay.engine.cache import ScoreCache

    b = PRMBackend("t", str(token_prm))
    items = [(PROBLEM, STEPS), ("Q", ["a", "b"]), (PROBLEM, STEPS)]
    with ScoreCache(cache_dir / "scores.sqlite") as cache:
        first = cached_step_scores(b, items, cache)
        assert first[0] == first[2]
        (n,) = cache.db.execute("SELECT COUNT(*) FROM step_scores").fetchone()
        assert n == 2

        def boom(_: Any) -> list[StepScores]:
            raise AssertionError("should come from the cache")

        b.step_scores = boom  # type: ignore[method-assign]
        assert cached_step_scores(b, items, cache) == first


# ---------------------------------------------------------------- first error and threshold: hand cases


def test_first_below() -> None:
    assert first_below([0.9, 0.4, 0.2], 0.5) == 1
    assert first_below([0.9, 0.5], 0.5) == -1  # strictly below
    assert first_below([], 0.5) == -1


def test_choose_threshold_hand_case() -> None:
    # error item, label 1: matches for 0.3 < t <= 0.9; correct item: matches for t <= 0.6
    # candidates: 0.3, 0.45, 0.75, 0.9 (+eps): F1 = 0 at 0.3 (acc_err 0), 1 at 0.45 (both right), 0 at 0.75
    # (the correct item is flagged) and above 0.9 -> 0.45
    items = {"a": [([0.9, 0.3], 1), ([0.6, 0.9], -1)]}
    got = choose_threshold(items, f1_of)
    assert got["value"] == pytest.approx(0.45) and got["tune"]["mean_f1"] == 1.0
    # two subsets: the mean F1 decides; an invalid item (None) never matches
    items = {"a": [([0.9, 0.3], 1), ([0.6, 0.9], -1), (None, -1)], "b": [([0.2], 0), ([0.4], -1)]}
    got = choose_threshold(items, f1_of)
    # distinct scores 0.2 0.3 0.4 0.6 0.9 -> candidates 0.2, 0.25, 0.35, 0.5, 0.75, 0.9+eps
    # t=0.25: a F1 0 (0.3 not < 0.25); b: 0.2 < 0.25 and 0.4 >= 0.25 -> 1; mean 0.5
    # t=0.35: a: acc_err 1, acc_cor 1/2 (the None item) -> 2/3; b -> 1; mean 5/6  <- best
    # t=0.5: a -> 2/3; b: 0.4 < 0.5 flags the correct item -> 0; mean 1/3. t=0.75: all 0
    assert got["value"] == pytest.approx(0.35) and got["tune"]["mean_f1"] == pytest.approx(5 / 6)
    assert got["tune"]["f1"] == pytest.approx({"a": 2 / 3, "b": 1.0}) and got["tune"]["candidates"] == 6
    assert choose_threshold({"a": [(None, 1)]}, f1_of)["value"] == 0.5  # nothing to tune on


def test_tune_split_is_seeded_and_about_half() -> None:
    ids = [f"gsm8k-{i}" for i in range(400)]
    half = [tune_split(0, i) for i in ids]
    assert 160 < sum(half) < 240
    assert half == [tune_split(0, i) for i in ids] and half != [tune_split(1, i) for i in ids]


def _prm_rec(i: int, subset: str, label: int, scores: list[float] | None, threshold: str) -> dict[str, Any]:
    return {
        "id": f"{subset}-{i}",
        "subset": subset,
        "kind": KIND_PRM,
        "label": label,
        "steps": ["s"] * (len(scores) if scores else 2),
        "step_scores": scores,
        "threshold": threshold,
        "numbering": 0,
    }


def test_processbench_aggregate_with_fixed_threshold() -> None:
    recs = [
        _prm_rec(0, "gsm8k", 1, [0.9, 0.2, 0.1], "0.5"),  # pred 1: hit
        _prm_rec(1, "gsm8k", 0, [0.7, 0.2], "0.5"),  # pred 1: miss
        _prm_rec(2, "gsm8k", -1, [0.8, 0.6], "0.5"),  # pred -1: hit
        _prm_rec(3, "gsm8k", -1, None, "0.5"),  # too long: invalid, miss
    ]
    m = pb.aggregate(recs, seed=0, n_boot=50)
    g = m["process"]["gsm8k"]
    assert g["acc_err"]["value"] == 0.5 and g["acc_cor"]["value"] == 0.5 and g["invalid"] == 1
    assert m["overall"]["value"] == pytest.approx(0.5)
    assert m["extra"]["threshold"] == {"mode": "fixed", "value": 0.5}
    recs = [dict(r, threshold="0.8") for r in recs]
    assert pb.aggregate(recs, 0, 50)["process"]["gsm8k"]["acc_cor"]["value"] == 0.0  # 0.6 < 0.8 flags item 2


def test_processbench_aggregate_with_auto_threshold() -> None:
    recs = []
    for i in range(40):  # error items: the wrong step scores 0.3, the others 0.9; correct items all 0.7
        label = -1 if i % 2 else 1
        recs.append(_prm_rec(i, "gsm8k", label, [0.9, 0.3] if label == 1 else [0.7, 0.7], "auto"))
    m = pb.aggregate(recs, seed=0, n_boot=50)
    t = m["extra"]["threshold"]
    assert t["mode"] == "auto" and 0.3 < t["value"] <= 0.7  # midpoint 0.5 separates them
    assert t["value"] == pytest.approx(0.5)
    assert t["eval_n"] + t["tune"]["n"] == 40 and m["counts"]["scored"] == t["eval_n"]
    assert m["overall"]["value"] == 1.0
    assert pb.outcome(recs[0]) == {"prediction": None, "match": None, "valid": True, "threshold": "auto"}


# ---------------------------------------------------------------- end to end through the runner


def test_processbench_with_a_tiny_prm_and_rescore(token_prm: Path, tmp_path: Path, cache_dir: Path) -> None:
    import assay
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run
    from conftest import shared_data

    data = shared_data("processbench")
    common = dict(data=str(data), subsets=("gsm8k",), limit=3, n_boot=100, cache_dir=str(cache_dir))
    run = assay.evaluate("processbench", f"prm:{token_prm}", out=str(tmp_path / "r1"), **common)
    assert [r["kind"] for r in run.records] == [KIND_PRM] * 3
    for r in run.records:
        assert len(r["step_scores"]) == len(r["steps"]) and r["valid"]
        assert r["outcome"]["prediction"] == first_below(r["step_scores"], 0.5)
    assert run.manifest["model"]["models"][f"prm:{token_prm}"]["fingerprint"]["backend"] == "prm"
    assert rescore(load_run(run.path))[1] == []
    auto = assay.evaluate(
        "processbench", f"prm:{token_prm}", out=str(tmp_path / "r2"), options={"threshold": "auto"}, **common
    )
    assert [r["step_scores"] for r in auto.records] == [r["step_scores"] for r in run.records]  # cached
    assert auto.metrics["extra"]["threshold"]["mode"] == "auto"
    assert rescore(load_run(auto.path))[1] == []
    assert not math.isnan(auto.metrics["process"]["gsm8k"]["acc_err"]["value"])
