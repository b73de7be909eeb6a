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
