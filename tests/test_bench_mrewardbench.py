"""M-RewardBench: hub layout loading, authors' weighted categories, language mean without English, gap."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assay.benchmarks import mrewardbench as mrb
from assay.benchmarks.registry import LoadOptions
from assay.data.rows import DataError, Row

SHARED_TOOLS = Path(__file__).resolve().parents[1].parent / "shared" / "tools" / "check_run.py"


def row(i: int, lang: str, subset: str, chosen: str = "Ja.", rejected: str = "Nein.") -> dict[str, Any]:
    return {
        "id": i,
        "language": lang,
        "prompt": "Hallo?",
        "chosen": chosen,
        "rejected": rejected,
        "chosen_model": "gpt-4",
        "rejected_model": "llama",
        "subset": subset,
    }


def write_hub_layout(root: Path) -> Path:
    """deu_Latn as hub parquet (test split), fra_Latn as the older filtered/raw JSON, a translation config."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "deu_Latn").mkdir()
    deu = [row(0, "deu_Latn", "alpacaeval-easy"), row(1, "deu_Latn", "xstest-should-respond", "Gut.", "Schlecht.")]
    pq.write_table(pa.Table.from_pylist(deu), root / "deu_Latn" / "test-00000-of-00001.parquet")
    (root / "fra_Latn").mkdir()
    fra = [row(0, "fra_Latn", "math-prm", "Oui.", "Non.")]
    (root / "fra_Latn" / "filtered.json").write_text(json.dumps(fra), encoding="utf-8")
    (root / "fra_Latn" / "raw.json").write_text(json.dumps(fra + [row(9, "fra_Latn", "x")]), encoding="utf-8")
    (root / "translation").mkdir()
    tr = [row(0, "translation", "de-en-easy", "Hello.", "Hi there friend."), row(1, "translation", "de-en-hard")]
    (root / "translation" / "filtered.json").write_text(json.dumps(tr), encoding="utf-8")
    return root


def test_load_hub_layout(tmp_path: Path) -> None:
    res = mrb.load(LoadOptions(data=str(write_hub_layout(tmp_path / "mrb"))))
    by_id = {s.id: s for s in res.samples}
    # raw.json is never read (row 9 absent); ids are <config>:<id>
    assert sorted(by_id) == ["deu_Latn:0", "deu_Latn:1", "fra_Latn:0", "translation:0", "translation:1"]
    d = by_id["deu_Latn:1"]
    assert d.subset == "deu_Latn" and (d.chosen, d.rejected) == ("Gut.", "Schlecht.")
    assert d.meta["rb_subset"] == "xstest-should-respond" and d.meta["category"] == "Safety"
    assert d.meta["chosen_model"] == "gpt-4" and [(m.role, m.content) for m in d.prompt] == [("user", "Hallo?")]
    t = by_id["translation:0"]
    assert t.subset == "translation" and t.meta["rb_subset"] == "de-en-easy" and t.meta["category"] is None
    only = mrb.load(LoadOptions(data=str(tmp_path / "mrb"), subsets=("fra_Latn",)))
    assert [s.id for s in only.samples] == ["fra_Latn:0"]


def test_load_single_file_and_single_config_folder(tmp_path: Path) -> None:
    f = tmp_path / "all.jsonl"
    rows = [row(0, "deu_Latn", "hep-go"), row(0, "eng_Latn", "hep-go"), row(5, "translation", "en-zh")]
    f.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    res = mrb.load(LoadOptions(data=str(f)))
    assert [s.id for s in res.samples] == ["deu_Latn:0", "eng_Latn:0", "translation:5"]
    one = tmp_path / "ita_Latn"
    one.mkdir()
    (one / "filtered.json").write_text(json.dumps([row(3, "whatever", "donotanswer")]), encoding="utf-8")
    res = mrb.load(LoadOptions(data=str(one)))
    assert [(s.id, s.subset) for s in res.samples] == [("ita_Latn:3", "ita_Latn")]


def test_bad_rows() -> None:
    r = row(1, "deu_Latn", "hep-go")
    del r["subset"]
    with pytest.raises(DataError, match="missing") as e:
        mrb.from_row(Row("f.jsonl", 0, r, line=1), "deu_Latn")
    assert e.value.field == "subset" and e.value.location == "line 1"
    with pytest.raises(DataError, match="NaN") as e:
        mrb.from_row(Row("f.jsonl", 1, {**row(2, "deu_Latn", "hep-go"), "chosen": float("nan")}, line=2))
    assert e.value.field == "chosen"
    with pytest.raises(DataError) as e:
        mrb.from_row(Row("f.jsonl", 2, {k: v for k, v in row(2, "x", "hep-go").items() if k != "language"}))
    assert e.value.field == "language"  # a single file needs the language column
    with pytest.raises(DataError) as e:
        mrb.from_row(Row("f.jsonl", 3, {k: v for k, v in row(2, "x", "hep-go").items() if k != "id"}))
    assert e.value.field == "id"


def test_malformed_files(tmp_path: Path) -> None:
    root = write_hub_layout(tmp_path / "mrb")
    (root / "fra_Latn" / "filtered.json").write_text('[{"id": 1, "prompt": "p"', encoding="utf-8")
    with pytest.raises(DataError, match=r"filtered\.json.*truncated"):
        mrb.load(LoadOptions(data=str(root)))
    (root / "fra_Latn" / "filtered.json").unlink()
    with pytest.raises(DataError, match="only a 'raw' file"):
        mrb.load(LoadOptions(data=str(root)))
    (root / "fra_Latn" / "raw.json").unlink()
    (root / "deu_Latn" / "test-00001-of-00002.jsonl").write_text(
        '{"id": 7, "language": "deu_Latn"}\n', encoding="utf-8"
    )
    res = mrb.load(LoadOptions(data=str(root / "deu_Latn"), skip_invalid=True))
    assert len(res.samples) == 2 and res.skipped[0]["field"] == "subset"


def rec(lang: str, subset: str, chosen: float, rejected: float) -> dict[str, Any]:
    scores = {"chosen": chosen, "rejected": rejected}
    meta = {"rb_subset": subset, "language": lang}
    return {"id": f"{lang}:{subset}:{chosen}:{rejected}", "subset": lang, "kind": "pair", "scores": scores,
            "meta": meta}  # fmt: skip


def records() -> list[dict[str, Any]]:
    return [
        # deu: alpacaeval-easy 1 right + 1 wrong (0.5), mt-bench-easy right (1.0) -> Chat (100*.5+28)/128
        rec("deu_Latn", "alpacaeval-easy", 2, 1),
        rec("deu_Latn", "alpacaeval-easy", 0, 1),
        rec("deu_Latn", "mt-bench-easy", 1, 0),
        # deu: xstest-should-respond right (1), xstest-should-refuse tie (0) -> Safety 250/404
        rec("deu_Latn", "xstest-should-respond", 1, 0),
        rec("deu_Latn", "xstest-should-refuse", 1, 1),
        # fra: math-prm right, hep-go wrong -> Reasoning 984/1148 = 6/7
        rec("fra_Latn", "math-prm", 1, 0),
        rec("fra_Latn", "hep-go", 0, 1),
        # translation: 2 of 4 right (micro)
        rec("translation", "de-en-easy", 1, 0),
        rec("translation", "de-en-easy", 1, 0),
        rec("translation", "de-en-easy", 0, 1),
        rec("translation", "en-de-hard", 0, 1),
    ]


CHAT = (100 * 0.5 + 28 * 1.0) / 128  # 0.609375
SAFETY = 250 / 404
DEU = (CHAT + SAFETY) / 2
FRA = 6 / 7
AVG = (DEU + FRA) / 2


def test_aggregate_hand_computed() -> None:
    m = mrb.aggregate(records(), seed=0, n_boot=200)
    assert m["subsets"]["deu_Latn"]["value"] == pytest.approx(DEU) and m["subsets"]["deu_Latn"]["n"] == 5
    assert m["subsets"]["fra_Latn"]["value"] == pytest.approx(FRA)
    assert m["overall"]["value"] == pytest.approx(AVG) and m["overall"]["n"] == 7
    assert m["sections"]["Chat"]["value"] == pytest.approx(CHAT)
    assert m["sections"]["Safety"]["value"] == pytest.approx(SAFETY)
    assert m["sections"]["Reasoning"]["value"] == pytest.approx(FRA)
    assert "Chat Hard" not in m["sections"]
    assert m["sections"]["Translation"]["value"] == 0.5 and m["subsets"]["translation"]["n"] == 4
    ex = m["extra"]
    assert ex["table"]["deu_Latn"]["Chat"]["value"] == pytest.approx(CHAT)
    assert set(ex["table"]["deu_Latn"]) == {"Chat", "Safety"} and ex["table"]["fra_Latn"]["Reasoning"]["n"] == 2
    assert ex["translation_subsets"]["de-en-easy"]["value"] == pytest.approx(2 / 3)
    assert ex["subset_accuracy"]["deu_Latn"]["alpacaeval-easy"] == 0.5
    assert ex["english_gap"]["absent"] is True and "eng_Latn" in ex["english_gap"]["reason"]
    assert ex["languages_in_average"] == ["deu_Latn", "fra_Latn"] and ex["not_in_score"] == []
    assert m["counts"] == {"items": 11, "ties": 1}
    assert m == mrb.aggregate(records(), seed=0, n_boot=200)
    # allenai's constants swap the xstest weights: Safety = 154/404
    rb = mrb.aggregate_with(records(), seed=0, n_boot=50, weights="rewardbench")
    assert rb["sections"]["Safety"]["value"] == pytest.approx(154 / 404)


def test_english_gap_and_language_mean_excludes_english() -> None:
    recs = [*records(), rec("eng_Latn", "alpacaeval-easy", 1, 0), rec("eng_Latn", "mystery", 1, 0)]
    m = mrb.aggregate(recs, seed=0, n_boot=100)
    assert m["overall"]["value"] == pytest.approx(AVG)  # English is not in the average
    assert m["subsets"]["eng_Latn"]["value"] == 1.0  # Chat only (alpacaeval-easy 1/1)
    gap = m["extra"]["english_gap"]
    assert gap["gap"]["value"] == pytest.approx(1.0 - AVG)
    assert gap["percentage_change"] == pytest.approx((AVG - 1.0) / 1.0 * 100)
    assert m["sections"]["Chat"]["value"] == pytest.approx(CHAT)  # cross-language sections exclude English
    assert m["extra"]["not_in_score"] == ["eng_Latn/mystery"]
    only_en = mrb.aggregate([rec("eng_Latn", "hep-go", 1, 0)], seed=0, n_boot=10)
    assert only_en["overall"]["value"] == 1.0 and only_en["extra"]["overall_basis"] == "English only"
    assert only_en["extra"]["english_gap"]["absent"] is True
    with pytest.raises(ValueError, match="weights"):
        mrb.aggregate_with(records(), 0, 10, weights="other")  # type: ignore[arg-type]


def test_registered() -> None:
    from assay.benchmarks.registry import get

    b = get("mrewardbench")
    assert b.hub_id == "CohereLabsCommunity/multilingual-reward-bench"
    assert len(mrb.LANGUAGES) == 23 and "translation" in b.subsets
    assert set(mrb.EXAMPLE_COUNTS) == {s for subs in mrb.SUBSET_MAPPING.values() for s in subs}


@pytest.mark.slow
def test_end_to_end_and_rescore(tmp_path: Path, default_model_dir: Path) -> None:
    import assay
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run

    data = write_hub_layout(tmp_path / "mrb")
    out = tmp_path / "run"
    run = assay.evaluate(
        "mrewardbench", "assay:default", data=str(data), out=str(out), cache_dir=str(tmp_path / "c"), n_boot=200
    )
    assert run.metrics["overall"]["n"] == 3 and set(run.metrics["subsets"]) == {"deu_Latn", "fra_Latn", "translation"}
    _, diffs = rescore(load_run(out))
    assert diffs == []
    if SHARED_TOOLS.exists():
        chk = subprocess.run([sys.executable, str(SHARED_TOOLS), str(out)], capture_output=True, text=True)
        assert chk.returncode == 0, chk.stdout
