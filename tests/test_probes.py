"""Judge bias probes: deterministic padding, and a short probe of the embedded judge."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assay.judges.probes import FILLER, pad


def test_padding_is_deterministic_and_uninformative() -> None:
    a = pad("The answer is 4.", 0, "x")
    assert a == pad("The answer is 4.", 0, "x") and a.startswith("The answer is 4.\n\n")
    assert all(s in FILLER for s in a.split("\n\n", 1)[1].replace(". ", ".|").split("|"))
    assert pad("t", 0, "x") != pad("t", 0, "y") or len(FILLER) == 1


@pytest.mark.slow
def test_probe_cli_on_embedded_judge(tmp_path: Path, default_model_dir: Path) -> None:
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "assay.cli",
            "probe",
            "hfgen:default",
            "--limit",
            "3",
            "--max-tokens",
            "4",
            "--cache-dir",
            str(tmp_path / "c"),
            "--out",
            str(tmp_path / "p.json"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "p.json").read_text())
    assert res["items"] == 3
    pos = res["position"]
    assert pos["invalid_judgements"] <= 6 and 0 <= pos["both_orders_agreement"]["value"] <= 1
    shift = res["verbosity"]["shift"]
    assert shift["n_shared"] == 3 and "ci" in shift["diff"]


def _rec(chosen_label: str, verdict: str) -> dict:
    return {"judgements": [{"chosen_label": chosen_label, "verdict": verdict, "valid": verdict in "AB"}]}


def test_self_preference_hand_computed() -> None:
    from assay.judges.probes import _self_preference
    from assay.samples import Pair, user_prompt

    def pair(i: int, chosen_model: str, rejected_model: str) -> Pair:
        return Pair(
            f"p{i}", user_prompt("q"), "c", "r", {"chosen_model": chosen_model, "rejected_model": rejected_model}
        )

    pairs = [
        pair(0, "me", "other"),
        pair(1, "other", "me"),
        pair(2, "other", "me"),
        pair(3, "x", "y"),
        pair(4, "me", "z"),
    ]
    # p0: own is chosen, judge picks chosen (own); p1: own rejected, judge picks rejected (own);
    # p2: own rejected, judge picks chosen (not own); p3: no own answer (ignored); p4: invalid (unjudged)
    records = {"original": [_rec("A", "A"), _rec("A", "B"), _rec("B", "B"), _rec("A", "A"), _rec("A", "x")]}
    out = _self_preference(records, pairs, "me", seed=0, n_boot=200)["labelled"]
    assert out["pairs_with_own_answer"] == 3 and out["unjudged"] == 1
    assert out["pick_own_rate"]["value"] == 2 / 3  # p0, p1
    assert out["own_is_chosen_rate"]["value"] == 1 / 3  # p0
    assert abs(out["self_preference"]["value"] - 1 / 3) < 1e-12
    assert out["accuracy_own_chosen"]["value"] == 1.0  # p0
    assert out["accuracy_own_rejected"]["value"] == 0.5  # p1 wrong, p2 right
    assert "note" in _self_preference(records, pairs, None, seed=0, n_boot=200)


@pytest.mark.slow
def test_self_preference_generate_on_embedded_judge(tmp_path: Path, default_model_dir: Path) -> None:
    from assay.judges.probes import probe

    data = tmp_path / "pairs.jsonl"
    rows = [
        {
            "id": "a",
            "prompt": "What is 2+2?",
            "chosen": "4",
            "rejected": "5",
            "chosen_model": "smol",
            "rejected_model": "o",
        },
        {
            "id": "b",
            "prompt": "Capital of France?",
            "chosen": "Paris",
            "rejected": "Rome",
            "chosen_model": "o",
            "rejected_model": "smol",
        },
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    res = probe(
        str(data),
        "hfgen:default",
        seed=0,
        n_boot=100,
        cache_dir=str(tmp_path / "c"),
        max_tokens=4,
        self_name="smol",
        self_generate=True,
    )
    sp = res["self_preference"]
    assert sp["labelled"]["pairs_with_own_answer"] + sp["labelled"]["unjudged"] == 2
    gen = sp["generated"]
    assert gen["unjudged_chosen"] + (gen["pick_own_rate_chosen"] or {"n": 0})["n"] == 2
    assert gen["unjudged_rejected"] + (gen["pick_own_rate_rejected"] or {"n": 0})["n"] == 2
