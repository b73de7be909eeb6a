"""MM-RLHF-RewardBench: official jsonl rows, media parts, pair numbering per prompt id, ACC / ACC+, and the
clear refusal of text-only models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import mmrlhf as mm
from assay.benchmarks.registry import LoadOptions
from assay.data.rows import DataError


def row(pid: str, media: str, chosen: str = "A cat.", rejected: str = "A dog.", field: str = "image") -> dict[str, Any]:
    return {
        "id": pid,
        field: media,
        "prompt": "What animal is shown?",
        "chosen": chosen,
        "rejected": rejected,
        "chosen_reason": "Correct.",
        "rejected_reason": "Wrong animal.",
    }


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def fixture(tmp_path: Path) -> Path:
    """The release layout: mm_reward_bench.jsonl next to images/<category>/..."""
    from PIL import Image

    (tmp_path / "images" / "mcq").mkdir(parents=True)
    Image.new("RGB", (2, 2), (255, 0, 0)).save(tmp_path / "images" / "mcq" / "001.png")
    rows = [
        row("001_1", "mcq/001.png"),
        row("001_1", "mcq/001.png", chosen="A red cat.", rejected="A dog."),
        row("long_7", "long/7.png", chosen="Long answer.", rejected="Short."),
        row("vid_3", "video/vid_3", chosen="Running.", rejected="Sitting.", field="video"),
    ]
    return write_jsonl(tmp_path / "mm_reward_bench.jsonl", rows)


def test_load_numbers_pairs_and_builds_media_parts(tmp_path: Path) -> None:
    res = mm.load(LoadOptions(data=str(fixture(tmp_path))))
    ids = [s.id for s in res.samples]
    assert ids == ["001_1#0", "001_1#1", "long_7#0", "vid_3#0"]
    first = res.samples[0]
    (msg,) = first.prompt
    assert msg.role == "user" and msg.has_image()
    image, text = msg.content  # type: ignore[misc]
    assert image.type == "image" and image.image_path == str(tmp_path / "images" / "mcq" / "001.png")
    assert text.type == "text" and text.text == "What animal is shown?"
    assert first.meta["subset"] == "mcq" and first.meta["prompt_id"] == "001_1" and first.meta["media_found"]
    assert first.meta["chosen_reason"] == "Correct." and (first.chosen, first.rejected) == ("A cat.", "A dog.")
    assert res.samples[1].meta["pair_index"] == 1
    long_ = res.samples[2]
    assert long_.meta["media_found"] is False and long_.prompt[0].content[0].image_path == "long/7.png"  # type: ignore[index,union-attr]
    video = res.samples[3]
    assert video.meta["media"] == "video" and video.subset == "video"
    assert mm.load(LoadOptions(data=str(tmp_path / "mm_reward_bench.jsonl"), subsets=("video",))).samples == [video]


def test_video_frames_follow_process_video(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"f{i:02d}.jpg").write_bytes(b"x")
    frames = mm.video_frames(tmp_path)
    # np.linspace(0, 4, 32, dtype=int): 32 indices from 0 to 4, repeats included
    assert len(frames) == 32 and frames[0].name == "f00.jpg" and frames[-1].name == "f04.jpg"
    assert [f.name for f in frames].count("f00.jpg") == 8


@pytest.mark.parametrize(
    ("bad", "field", "msg"),
    [
        ({"id": "x", "prompt": "p", "chosen": "a", "rejected": "b"}, "image", "neither 'image' nor 'video'"),
        ({**row("x", "mcq/1.png"), "video": "video/1"}, "image", "both 'image' and 'video'"),
        ({k: v for k, v in row("x", "mcq/1.png").items() if k != "chosen"}, "chosen", "missing"),
        ({**row("x", "mcq/1.png"), "rejected": ""}, "rejected", "empty"),
        ({**row("x", "mcq/1.png"), "image": 3}, "image", "expected a path string"),
    ],
)
def test_malformed_rows_name_file_line_field(tmp_path: Path, bad: dict[str, Any], field: str, msg: str) -> None:
    path = write_jsonl(tmp_path / "mm.jsonl", [row("ok", "mcq/0.png"), bad])
    with pytest.raises(DataError, match=msg) as e:
        mm.load(LoadOptions(data=str(path)))
    assert e.value.source == str(path) and e.value.location == "line 2" and e.value.field == field


def test_prompt_id_with_two_media_and_bad_json(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "mm.jsonl", [row("p", "mcq/1.png"), row("p", "mcq/2.png"), "{not json"])
    with pytest.raises(DataError, match="prompt id 'p' has image 'mcq/1.png'"):
        mm.load(LoadOptions(data=str(path)))
    res = mm.load(LoadOptions(data=str(path), skip_invalid=True))
    assert [s.id for s in res.samples] == ["p#0"]
    assert [(s["row"], s["field"]) for s in res.skipped] == [("line 2", "image"), ("line 3", None)]


def rec(pid: str, k: int, path: str, chosen: float, rejected: float) -> dict[str, Any]:
    meta = {"prompt_id": pid, "pair_index": k, "category_keyword": mm.keyword_category(path)}
    return {
        "id": f"{pid}#{k}",
        "subset": mm.folder_category(path),
        "kind": "pair",
        "scores": {"chosen": chosen, "rejected": rejected},
        "meta": meta,
    }


RECORDS = [
    rec("P1", 0, "mcq/1.png", 2, 1),
    rec("P1", 1, "mcq/1.png", 3, 1),
    rec("P1", 2, "mcq/1.png", 1, 0),  # P1 mcq: 3/3 right -> all correct
    rec("P2", 0, "mcq/2.png", 2, 1),
    rec("P2", 1, "mcq/2.png", 1, 1),  # P2 mcq: right + tie (wrong) -> not all correct
    rec("P3", 0, "long/3.png", 0, 1),  # P3 long: wrong
    rec("P4", 0, "video/4", 5, 1),
    rec("P4", 1, "video/4", 4, 1),  # P4 video: 2/2 right
    rec("P5", 0, "misc/5.png", 1, 0),  # P5 outside every category ("other"): right
    rec("P6", 0, "short/img_long.png", 1, 0),  # P6 short by folder, "long" by the authors' substring rule
]


def test_acc_and_acc_plus_by_hand() -> None:
    m = mm.aggregate(RECORDS, seed=0, n_boot=200)
    # pairs: 10; right: 3 (P1) + 1 (P2) + 0 + 2 (P4) + 1 (P5) + 1 (P6) = 8 -> ACC = 8/10
    assert m["overall"]["value"] == pytest.approx(0.8) and m["overall"]["n"] == 10
    # prompt ids all right: P1, P4, P5, P6 of 6 -> ACC+ = 4/6
    assert m["sections"]["ACC+"]["value"] == pytest.approx(4 / 6) and m["sections"]["ACC+"]["n"] == 6
    # per category: mcq 4/5 pairs, 1/2 prompts; long 0/1, 0/1; short 1, 1; video 2/2, 1/1; other 1, 1
    sub, plus = m["subsets"], m["extra"]["acc_plus_by_category"]
    assert list(sub) == ["mcq", "long", "short", "video", "other"]
    assert sub["mcq"]["value"] == pytest.approx(0.8) and plus["mcq"]["value"] == pytest.approx(0.5)
    assert sub["long"]["value"] == 0.0 and plus["long"]["value"] == 0.0
    assert sub["video"]["value"] == 1.0 and plus["video"]["n"] == 1 and sub["video"]["n"] == 2
    assert m["counts"] == {"items": 10, "ties": 1}
    assert m["extra"]["category_rule_disagreements"] == 1 and m["extra"]["n_prompts"] == 6


def test_keyword_rule_reproduces_the_authors_substring_match() -> None:
    m = mm.aggregate_with(RECORDS, seed=0, n_boot=50, category_rule="keyword")
    # "short/img_long.png" contains "long" before "short" in category_keywords: P6 counts in long.
    # long: P3 wrong + P6 right -> ACC 1/2, ACC+ 1/2; no short category; overall unchanged.
    assert "short" not in m["subsets"] and m["subsets"]["long"]["value"] == pytest.approx(0.5)
    assert m["extra"]["acc_plus_by_category"]["long"]["value"] == pytest.approx(0.5)
    assert m["overall"]["value"] == pytest.approx(0.8)
    with pytest.raises(ValueError, match="category rule"):
        mm.aggregate_with(RECORDS, seed=0, n_boot=10, category_rule="nope")


def test_outcome_and_determinism() -> None:
    assert mm.outcome(RECORDS[4]) == {"correct": 0, "tie": True, "credit": 0.0}
    a = mm.aggregate(RECORDS, seed=3, n_boot=300)
    assert a == mm.aggregate(RECORDS, seed=3, n_boot=300)
    for x in [a["overall"], *a["sections"].values(), *a["subsets"].values()]:
        assert x["ci"][0] <= x["value"] <= x["ci"][1] or x["ci"][0] == x["ci"][1]


def test_text_only_baseline_refuses_images_naming_the_item(tmp_path: Path) -> None:
    # No text-only item exists in the release, and assay's scalar protocol refuses image content for every
    # backend (baselines included), so the run stops before any score with the item named.
    import assay

    with pytest.raises(ValueError, match=r"sample 001_1#0: holds an image"):
        assay.evaluate("mm-rlhf", "baseline:length", data=str(fixture(tmp_path)), out=str(tmp_path / "run"))


@pytest.mark.slow
def test_default_model_refuses_images_naming_the_item(tmp_path: Path, default_model_dir: Path) -> None:
    import assay

    data = fixture(tmp_path)
    with pytest.raises(ValueError, match=r"sample 001_1#0: holds an image; scalar text reward models take text only"):
        assay.evaluate(
            "mm-rlhf",
            "assay:default",
            data=str(data),
            out=str(tmp_path / "run"),
            cache_dir=str(tmp_path / "c"),
            n_boot=200,
        )
    assert not (tmp_path / "run" / "metrics.json").exists()


def test_downloaded_folder_reads_the_release_jsonl(tmp_path: Path) -> None:
    fixture(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train-00000-of-00001.parquet").write_bytes(b"not read")
    res = mm.load(LoadOptions(data=str(tmp_path)))
    assert res.source == str(tmp_path / "mm_reward_bench.jsonl") and len(res.samples) == 4


@pytest.mark.slow
def test_default_model_blind_run_with_image_placeholder(tmp_path: Path, default_model_dir: Path) -> None:
    """The explicit placeholder policy runs a text-only model end to end, recorded in the manifest."""
    import assay
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run

    run = assay.evaluate(
        "mm-rlhf",
        "assay:default",
        data=str(fixture(tmp_path)),
        out=str(tmp_path / "run"),
        cache_dir=str(tmp_path / "c"),
        n_boot=200,
        images="placeholder",
    )
    assert run.manifest["options"]["images"] == "placeholder"
    assert {"ACC+"} <= set(run.metrics["sections"])
    assert "[image]" not in json.dumps(run.records[0]["prompt"])  # the record keeps the real image part
    metrics, diffs = rescore(load_run(run.path))
    assert diffs == []
