"""Data loading: every format reads, every malformed input fails naming file, row and field (or is
skipped and counted with skip_invalid). No network: hub access is faked with a monkeypatch."""

from __future__ import annotations

import csv
import gzip
import json
import math
from pathlib import Path
from typing import Any

import pytest

from assay.data.collect import collect, stable_id
from assay.data.columns import ColumnMap, candidates_from_row, detect_shape, pair_from_row
from assay.data.fields import (
    get_float,
    get_int,
    get_prompt,
    get_response,
    get_str,
    get_str_list,
    optional,
    split_conversation,
)
from assay.data.rows import DataError, Row, read_rows
from assay.samples import Candidates, Pair

PAIRS = [
    {"id": "a", "prompt": "2+2?", "chosen": "4", "rejected": "5", "subset": "math", "lang": "en"},
    {"id": "b", "prompt": "Capital of France?", "chosen": "Paris", "rejected": "Rome", "subset": "geo"},
    {"id": "c", "prompt": "3+3?", "chosen": "6", "rejected": "7", "subset": "math"},
]


def write_jsonl(path: Path, rows: list[Any], raw_tail: str = "") -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + raw_tail, encoding="utf-8")
    return path


def load_pairs(path: Path | str, skip_invalid: bool = False, **kw: Any):
    cmap = ColumnMap()
    return collect(
        read_rows(str(path)),
        lambda r: pair_from_row(r, cmap),
        skip_invalid=skip_invalid,
        source=str(path),
        **kw,
    )


def assert_located(err: pytest.ExceptionInfo[DataError], path: Path | str, where: str, field: str | None):
    msg = str(err.value)
    assert str(path) in msg and where in msg, msg
    assert err.value.source == str(path) and err.value.location == where
    if field is not None:
        assert f"field {field!r}" in msg and err.value.field == field, msg


# ---------------------------------------------------------------- formats


def test_jsonl_and_gz(tmp_path: Path) -> None:
    res = load_pairs(write_jsonl(tmp_path / "p.jsonl", PAIRS))
    assert [s.id for s in res.samples] == ["a", "b", "c"]
    s = res.samples[0]
    assert isinstance(s, Pair) and s.prompt[0].role == "user" and s.chosen == "4"
    assert s.meta == {"lang": "en", "subset": "math"} and res.samples[1].meta["subset"] == "geo"
    gz = tmp_path / "p.jsonl.gz"
    gz.write_bytes(gzip.compress((tmp_path / "p.jsonl").read_bytes()))
    assert load_pairs(gz).fingerprint == res.fingerprint


@pytest.mark.parametrize("shape", ["list", "data_key", "columns"])
def test_json_shapes(tmp_path: Path, shape: str) -> None:
    doc: Any = PAIRS
    if shape == "data_key":
        doc = {"version": 2, "data": PAIRS}
    elif shape == "columns":
        keys = ["id", "prompt", "chosen", "rejected", "subset"]
        doc = {k: [r[k] for r in PAIRS] for k in keys}
    p = tmp_path / "p.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    rows = list(read_rows(str(p)))
    assert [r.index for r in rows] == [0, 1, 2] and rows[2].label == "row 2"
    assert [s.id for s in load_pairs(p).samples] == ["a", "b", "c"]


def test_json_gz_and_jsonl_named_json(tmp_path: Path) -> None:
    gz = tmp_path / "p.json.gz"
    gz.write_bytes(gzip.compress(json.dumps(PAIRS).encode()))
    assert len(load_pairs(gz).samples) == 3
    lines = write_jsonl(tmp_path / "lines.json", PAIRS)
    assert [r.label for r in read_rows(str(lines))] == ["line 1", "line 2", "line 3"]


def test_parquet(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = tmp_path / "p.parquet"
    pq.write_table(pa.Table.from_pylist(PAIRS), p)
    res = load_pairs(p)
    assert [s.id for s in res.samples] == ["a", "b", "c"]
    assert [r.label for r in read_rows(str(p))] == ["row 0", "row 1", "row 2"]
    assert "lang" not in res.samples[1].meta  # a null cell is not copied into meta


@pytest.mark.parametrize("ext,delim", [(".csv", ","), (".tsv", "\t")])
def test_csv_tsv(tmp_path: Path, ext: str, delim: str) -> None:
    p = tmp_path / f"c{ext}"
    with open(p, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=delim)
        w.writerow(["id", "prompt", "responses", "best", "note"])
        w.writerow(["x", "multi\nline prompt", json.dumps(["A", "B", "C"]), "1", ""])
        w.writerow(["y", "q", json.dumps(["A", "B"]), "[0]", "hi"])
    rows = list(read_rows(str(p)))
    assert [r.label for r in rows] == ["line 2", "line 4"]
    assert "note" not in rows[0].data  # empty cell = missing
    cmap = ColumnMap()
    assert detect_shape(rows[0].data, cmap) == "candidates"
    res = collect(rows, lambda r: candidates_from_row(r, cmap), skip_invalid=False, source=str(p))
    c = res.samples[0]
    assert isinstance(c, Candidates) and c.responses == ("A", "B", "C") and c.best == (1,)
    assert res.samples[1].meta == {"note": "hi", "subset": "default"}


def test_save_to_disk_and_dataset_dict(tmp_path: Path) -> None:
    import datasets

    datasets.Dataset.from_list(PAIRS).save_to_disk(str(tmp_path / "ds"))
    rows = list(read_rows(str(tmp_path / "ds")))
    assert len(rows) == 3 and rows[1].data["id"] == "b" and rows[1].label == "row 1"
    dd = datasets.DatasetDict(
        {"train": datasets.Dataset.from_list(PAIRS[:1]), "test": datasets.Dataset.from_list(PAIRS[1:])}
    )
    dd.save_to_disk(str(tmp_path / "dd"))
    assert [r.data["id"] for r in read_rows(str(tmp_path / "dd"), split="test")] == ["b", "c"]
    with pytest.raises(DataError, match=r"split None not found; available: \['test', 'train'\]"):
        list(read_rows(str(tmp_path / "dd")))


def test_hub_like_folder(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "data").mkdir()
    pq.write_table(pa.Table.from_pylist(PAIRS[:2]), tmp_path / "data" / "test-00000-of-00001.parquet")
    pq.write_table(pa.Table.from_pylist(PAIRS[2:]), tmp_path / "data" / "train-00000-of-00001.parquet")
    (tmp_path / "README.md").write_text("---\nconfigs: []\n---\n")
    rows = list(read_rows(str(tmp_path), split="test"))
    assert [r.data["id"] for r in rows] == ["a", "b"]
    assert rows[0].source.endswith("data/test-00000-of-00001.parquet")
    with pytest.raises(DataError, match="several splits"):
        list(read_rows(str(tmp_path)))
    with pytest.raises(DataError, match="no data file for split 'validation'"):
        list(read_rows(str(tmp_path), split="validation"))


def test_folder_of_split_jsonl(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "test.jsonl", PAIRS[:1])
    write_jsonl(tmp_path / "train.jsonl", PAIRS[1:])
    assert [r.data["id"] for r in read_rows(str(tmp_path), split="train")] == ["b", "c"]


def test_hub_id_goes_through_load_dataset(monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets

    calls: list[tuple[Any, ...]] = []

    def fake_load_dataset(hub_id: str, config: str | None = None, split: str | None = None):
        calls.append((hub_id, config, split))
        return datasets.Dataset.from_list(PAIRS)

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    rows = list(read_rows("owner/bench", split="filtered", config="default"))
    assert calls == [("owner/bench", "default", "filtered")]
    assert rows[0].source == "hf:owner/bench/default[filtered]" and len(rows) == 3


def test_missing_local_path_is_not_sent_to_hub(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        list(read_rows(str(tmp_path / "nope.jsonl")))
    with pytest.raises(FileNotFoundError):
        list(read_rows("nope.jsonl"))


# ---------------------------------------------------------------- malformed input


def test_truncated_json(tmp_path: Path) -> None:
    p = tmp_path / "t.json"
    p.write_text(json.dumps(PAIRS)[:-20], encoding="utf-8")
    with pytest.raises(DataError, match=r"invalid JSON at line 1 column \d+.*truncated") as e:
        list(read_rows(str(p)))
    assert e.value.source == str(p)


def test_truncated_jsonl_line(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "t.jsonl", PAIRS[:2], raw_tail='{"id": "c", "prompt": "3+')
    with pytest.raises(DataError, match="invalid JSON") as e:
        load_pairs(p)
    assert_located(e, p, "line 3", None)
    res = load_pairs(p, skip_invalid=True)
    assert len(res.samples) == 2
    assert res.skipped == [{"source": str(p), "row": "line 3", "field": None, "reason": res.skipped[0]["reason"]}]
    with pytest.raises(DataError, match="line 3"):
        get_str(list(read_rows(str(p)))[2], "id")  # getters refuse a broken row too


def test_bare_nan_in_json_loads_but_nan_response_is_reported(tmp_path: Path) -> None:
    p = tmp_path / "nan.json"
    p.write_text('[{"id": "a", "prompt": "q", "chosen": NaN, "rejected": "r", "score": Infinity}]')
    rows = list(read_rows(str(p)))
    assert math.isnan(rows[0].data["chosen"])
    with pytest.raises(DataError, match="NaN") as e:
        load_pairs(p)
    assert_located(e, p, "row 0", "chosen")
    assert optional(rows[0], "chosen", "dflt") == "dflt"


def test_nan_float_in_parquet_response(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = tmp_path / "n.parquet"
    tab = pa.table({"id": ["a", "b"], "prompt": ["q", "q"], "chosen": [1.5, float("nan")], "rejected": [2.0, 3.0]})
    pq.write_table(tab, p)
    with pytest.raises(DataError, match="expected a string, got float") as e:
        load_pairs(p)
    assert_located(e, p, "row 0", "chosen")
    res = load_pairs(p, skip_invalid=True)
    assert res.samples == [] and [s["row"] for s in res.skipped] == ["row 0", "row 1"]
    assert "NaN" in res.skipped[1]["reason"]


def test_wrong_type_response(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "w.jsonl", [PAIRS[0], {**PAIRS[1], "rejected": 7}])
    with pytest.raises(DataError, match="expected a string, got int") as e:
        load_pairs(p)
    assert_located(e, p, "line 2", "rejected")
    res = load_pairs(p, skip_invalid=True)
    assert [s.id for s in res.samples] == ["a"] and len(res.skipped) == 1


@pytest.mark.parametrize("value", ["", "   \n"])
def test_empty_response(tmp_path: Path, value: str) -> None:
    p = write_jsonl(tmp_path / "e.jsonl", [{**PAIRS[0], "chosen": value}])
    with pytest.raises(DataError, match="empty") as e:
        load_pairs(p)
    assert_located(e, p, "line 1", "chosen")


def test_missing_column(tmp_path: Path) -> None:
    row = {k: v for k, v in PAIRS[0].items() if k != "rejected"}
    p = write_jsonl(tmp_path / "m.jsonl", [PAIRS[1], row])
    with pytest.raises(DataError, match="missing") as e:
        load_pairs(p)
    assert_located(e, p, "line 2", "rejected")
    assert load_pairs(p, skip_invalid=True).skipped[0]["field"] == "rejected"


def test_duplicate_ids(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "d.jsonl", [PAIRS[0], PAIRS[1], {**PAIRS[2], "id": "a"}])
    with pytest.raises(DataError, match=r"duplicate id 'a' \(first at .*d.jsonl: line 1\)") as e:
        load_pairs(p)
    assert_located(e, p, "line 3", "id")
    res = load_pairs(p, skip_invalid=True)
    assert [s.id for s in res.samples] == ["a", "b"] and res.skipped[0]["row"] == "line 3"


def test_identical_rows_without_id_are_duplicates(tmp_path: Path) -> None:
    row = {k: v for k, v in PAIRS[0].items() if k != "id"}
    p = write_jsonl(tmp_path / "same.jsonl", [row, row])
    with pytest.raises(DataError, match="duplicate id"):
        load_pairs(p)
    assert load_pairs(p, skip_invalid=True).samples[0].id == stable_id(row)
    assert len(stable_id(row)) == 16


def test_subsets_limit_and_fingerprint(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "s.jsonl", PAIRS)
    full = load_pairs(p)
    math_only = load_pairs(p, subsets=["math"])
    assert [s.id for s in math_only.samples] == ["a", "c"]
    assert [s.id for s in load_pairs(p, limit=1).samples] == ["a", "b"]
    assert len({full.fingerprint, math_only.fingerprint, load_pairs(p, limit=1).fingerprint}) == 3
    assert load_pairs(p).fingerprint == full.fingerprint and len(full.fingerprint) == 64
    reordered = load_pairs(write_jsonl(tmp_path / "r.jsonl", PAIRS[::-1]))
    assert reordered.fingerprint != full.fingerprint
    with pytest.raises(ValueError, match=r"unknown subset\(s\) \['chat'\]; available: \['geo', 'math'\]"):
        load_pairs(p, subsets=["chat"])


def test_bad_best_index_and_ranking(tmp_path: Path) -> None:
    rows = [
        {"id": "1", "prompt": "q", "responses": ["a", "b", "c"], "best": 3},
        {"id": "2", "prompt": "q", "responses": ["a", "b"], "ranking": [2, 1]},
        {"id": "3", "prompt": "q", "responses": ["a"], "best": 0},
        {"id": "4", "prompt": "q", "responses": ["a", "b"], "ranking": [1]},
        {"id": "5", "prompt": "q", "responses": ["a", "b"], "best": [0, 1]},
        {"id": "6", "prompt": "q", "responses": ["a", 5], "best": 0},
    ]
    p = write_jsonl(tmp_path / "c.jsonl", rows)
    cmap = ColumnMap()
    with pytest.raises(DataError, match=r"index 3 out of range for 3 responses") as e:
        collect(read_rows(str(p)), lambda r: candidates_from_row(r, cmap), skip_invalid=False, source="x")
    assert_located(e, p, "line 1", "best")
    res = collect(read_rows(str(p)), lambda r: candidates_from_row(r, cmap), skip_invalid=True, source="x")
    assert [s.id for s in res.samples] == ["2", "5"]
    assert res.samples[0].best == (1,) and res.samples[0].ranking == (2, 1)
    assert [(s["row"], s["field"]) for s in res.skipped] == [
        ("line 1", "best"),
        ("line 3", "responses"),
        ("line 4", "ranking"),
        ("line 6", "responses[1]"),
    ]


def test_detect_shape_error_lists_columns() -> None:
    with pytest.raises(DataError, match=r"expected pairs \('prompt', 'chosen', 'rejected'\)"):
        detect_shape(["question", "good"], ColumnMap())
    cmap = ColumnMap.parse("prompt=question, chosen=good,rejected=bad")
    assert cmap.prompt == "question" and detect_shape(["question", "good", "bad"], cmap) == "pairs"
    with pytest.raises(ValueError, match="unknown role 'answer'"):
        ColumnMap.parse("answer=x")
    with pytest.raises(ValueError, match="expected role=column"):
        ColumnMap.parse("prompt")


# ---------------------------------------------------------------- conversations and getters


def test_conversation_pairs_without_prompt(tmp_path: Path) -> None:
    user = {"role": "user", "content": "hi"}
    row = {
        "chosen": [user, {"role": "assistant", "content": "hello"}],
        "rejected": [user, {"role": "assistant", "content": "go away"}],
    }
    bad = {"chosen": row["chosen"], "rejected": [{"role": "user", "content": "other"}, row["rejected"][1]]}
    p = write_jsonl(tmp_path / "hh.jsonl", [row, bad])
    res = load_pairs(p, skip_invalid=True)
    pair = res.samples[0]
    assert pair.prompt[0].text() == "hi" and pair.chosen == "hello" and pair.rejected == "go away"
    assert res.skipped[0]["field"] == "rejected" and "differ" in res.skipped[0]["reason"]


def test_prompt_messages_and_parts() -> None:
    row = Row(
        "f.jsonl",
        0,
        {
            "p": [
                {"role": "system", "content": "be brief"},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "what is this?"},
                        {"type": "image", "path": "cat.png"},
                    ],
                },
            ]
        },
        line=1,
    )
    prompt = get_prompt(row, "p")
    assert prompt[0].role == "system" and prompt[1].has_image()
    assert prompt[1].content[1].image_path == "cat.png"  # type: ignore[index, union-attr]
    bad = Row("f.jsonl", 1, {"p": [{"role": "robot", "content": "x"}]}, line=2)
    with pytest.raises(DataError, match=r"f.jsonl: line 2: field 'p\[0\]': unknown role 'robot'"):
        get_prompt(bad, "p")


def test_response_conversation_and_split() -> None:
    conv = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]
    row = Row("f.json", 4, {"r": conv, "u": conv[:1]})
    assert get_response(row, "r") == "a"
    with pytest.raises(DataError, match=r"f.json: row 4: field 'u\[0\]': last message has role 'user'"):
        get_response(row, "u")
    prompt, resp = split_conversation(conv)
    assert len(prompt) == 1 and resp == "a"


def test_scalar_getters_and_error_format() -> None:
    row = Row("f.csv", 0, {"n": "3", "x": "0.5", "b": True, "l": '["a", "b"]', "nan": math.nan}, line=2)
    assert get_int(row, "n") == 3 and get_float(row, "x") == 0.5 and get_str_list(row, "l", 2) == ["a", "b"]
    with pytest.raises(DataError, match="expected an integer, got bool"):
        get_int(row, "b")
    with pytest.raises(DataError, match=r"field 'l': expected 3 items, got 2"):
        get_str_list(row, "l", 3)
    with pytest.raises(DataError, match="NaN"):
        get_str_list(row, "nan")
    with pytest.raises(DataError, match="expected a finite number"):
        get_float(row, "nan")
    assert str(DataError("f.json", 3, "x", "bad")) == "f.json: row 3: field 'x': bad"
    assert str(DataError("f.json", None, None, "bad")) == "f.json: bad"
    assert str(DataError("f.jsonl", "line 9", None, "bad")) == "f.jsonl: line 9: bad"


def test_skips_outside_requested_subsets_are_not_counted(tmp_path: Path) -> None:
    from assay.data.collect import collect
    from assay.data.columns import ColumnMap, pair_from_row
    from assay.data.rows import read_rows

    f = tmp_path / "p.jsonl"
    f.write_text(
        '{"id": "1", "prompt": "p", "chosen": "a", "rejected": "b", "subset": "keep"}\n'
        '{"id": "2", "prompt": "p", "chosen": "a", "rejected": 3, "subset": "other"}\n'
        '{"id": "3", "prompt": "p", "chosen": "", "rejected": "b", "subset": "keep"}\n'
    )
    cmap = ColumnMap()

    def load(subsets: tuple[str, ...]):
        return collect(
            read_rows(str(f)), lambda r: pair_from_row(r, cmap), skip_invalid=True, source=str(f), subsets=subsets
        )

    assert len(load(()).skipped) == 2
    only_keep = load(("keep",))
    assert [s.id for s in only_keep.samples] == ["1"] and [s["row"] for s in only_keep.skipped] == ["line 3"]
    only_other = load(("other",))  # every row of the subset invalid: reported, not "unknown subset"
    assert only_other.samples == [] and len(only_other.skipped) == 1
