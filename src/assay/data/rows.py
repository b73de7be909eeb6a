"""Raw rows from any data source: local files, folders, a ``save_to_disk`` dataset or a hub id.

Every row remembers where it came from (file and row/line) so that any later complaint about it can
name the exact place. Row numbering: JSONL/CSV/TSV rows print the 1-based *line* of the file
("line N", what an editor shows); JSON/Parquet/Hugging Face rows print the 0-based list *row* index
("row N", what ``ds[N]`` returns). A line that cannot be parsed is yielded as a row with ``error`` set
(so ``collect`` can report it, or skip and count it) rather than dropped; a whole-file failure (a
truncated JSON document) raises ``DataError`` at once.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_SUFFIXES = (".jsonl", ".ndjson", ".json", ".parquet", ".csv", ".tsv")
KNOWN_SPLITS = ("train", "test", "validation", "valid", "dev", "eval", "filtered", "raw")
_SHARD = re.compile(r"^(?P<split>.+?)-\d{5}-of-\d{5}$")


class DataError(ValueError):
    """Bad input data, located: ``FILE: row N: field 'x': message``.

    ``row`` is an int (printed as "row N", a 0-based index) or a ready label such as "line 7";
    ``row`` and ``field`` may be None when the problem is file-wide or row-wide.
    """

    def __init__(self, source: str, row: int | str | None, field: str | None, message: str) -> None:
        self.source = source
        self.row = row
        self.field = field
        self.message = message
        super().__init__(self._render())

    @classmethod
    def at(cls, row: Row, field: str | None, message: str) -> DataError:
        """An error located at ``row`` (using its line/row label) and ``field``."""
        return cls(row.source, row.label, field, message)

    @property
    def location(self) -> str | None:
        """The row as printed: "row N", "line N", or None for a file-wide problem."""
        if self.row is None:
            return None
        return f"row {self.row}" if isinstance(self.row, int) else str(self.row)

    def _render(self) -> str:
        parts = [self.source]
        if self.location is not None:
            parts.append(self.location)
        if self.field is not None:
            parts.append(f"field {self.field!r}")
        parts.append(self.message)
        return ": ".join(parts)

    def __reduce__(self) -> tuple[Any, ...]:  # keep the exception picklable (worker processes)
        return (type(self), (self.source, self.row, self.field, self.message))


@dataclass(frozen=True)
class Row:
    """One raw record. ``index``: 0-based position in ``source``; ``line``: 1-based file line for
    line-oriented formats (JSONL/CSV), else None; ``error``: why the record could not be parsed
    (then ``data`` is empty and every field getter raises it)."""

    source: str
    index: int
    data: dict[str, Any]
    line: int | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        """Human location: "line N" (1-based file line) or "row N" (0-based index)."""
        return f"line {self.line}" if self.line is not None else f"row {self.index}"

    def check(self) -> None:
        """Raise the parse error of this row, if any (call before reading ``data`` directly)."""
        if self.error is not None:
            raise DataError.at(self, None, self.error)


def read_rows(path_or_id: str, *, split: str | None = None, config: str | None = None) -> Iterator[Row]:
    """Yield the rows of a local file/folder, or of a Hugging Face hub dataset if no such path exists.

    ``split`` picks files in a folder (``data/test-*.parquet``, ``test.jsonl``, ``test/``) or the
    split of a saved/hub dataset; it is ignored for a single file. ``config`` picks a sub-folder of a
    data folder, or the hub config.
    """
    path = Path(path_or_id).expanduser()
    if path.is_dir():
        yield from _read_dir(path, split, config)
    elif path.is_file():
        yield from _read_file(path)
    elif _looks_local(path_or_id):
        raise FileNotFoundError(f"{path_or_id}: no such file or directory")
    else:
        yield from _read_hub(path_or_id, split, config)


def _looks_local(s: str) -> bool:
    """A path that cannot be a hub id: absolute/relative markers or a data-file suffix."""
    p = Path(s)
    return s.startswith((".", "/", "~")) or s.count("/") > 1 or "\\" in s or _strip_gz(p.name).endswith(DATA_SUFFIXES)


def _strip_gz(name: str) -> str:
    return name[:-3] if name.endswith(".gz") else name


def _read_file(path: Path) -> Iterator[Row]:
    name = _strip_gz(path.name.lower())
    src = str(path)
    if name.endswith((".jsonl", ".ndjson")):
        yield from _jsonl_rows(src, _open_text(path))
    elif name.endswith(".json"):
        yield from _json_rows(src, path)
    elif name.endswith(".parquet"):
        if path.name.lower().endswith(".gz"):
            raise DataError(src, None, None, "gzip-compressed parquet is not supported")
        yield from _parquet_rows(path)
    elif name.endswith((".csv", ".tsv")):
        yield from _csv_rows(src, _open_text(path), "\t" if name.endswith(".tsv") else ",")
    else:
        raise DataError(
            src, None, None, f"unknown file type; expected one of {', '.join(DATA_SUFFIXES)} (optionally .gz)"
        )


def _open_text(path: Path) -> io.TextIOBase:
    if path.name.lower().endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")  # closed by the reader


def _jsonl_rows(src: str, fh: io.TextIOBase, first_line: int = 1) -> Iterator[Row]:
    index = 0
    with fh:
        try:
            for lineno, text in enumerate(fh, start=first_line):
                if not text.strip():
                    continue
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError as e:
                    err = f"invalid JSON at column {e.colno}: {e.msg}"
                    yield Row(src, index, {}, line=lineno, error=err)
                else:
                    if isinstance(obj, dict):
                        yield Row(src, index, obj, line=lineno)
                    else:
                        err = f"expected a JSON object, got {type(obj).__name__}"
                        yield Row(src, index, {}, line=lineno, error=err)
                index += 1
        except (UnicodeDecodeError, EOFError, OSError) as e:
            raise DataError(src, None, None, f"cannot read file: {e}") from e


def _json_rows(src: str, path: Path) -> Iterator[Row]:
    try:
        with _open_text(path) as fh:
            text = fh.read()
    except (UnicodeDecodeError, EOFError, OSError) as e:
        raise DataError(src, None, None, f"cannot read file: {e}") from e
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        if e.msg == "Extra data" and text.lstrip().startswith("{"):  # JSON Lines named .json
            yield from _jsonl_rows(src, io.StringIO(text))
            return
        where = f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}"
        if e.pos >= len(text.rstrip()):
            where += " (file truncated?)"
        raise DataError(src, None, None, where) from e
    yield from _document_rows(src, doc)


def _document_rows(src: str, doc: Any) -> Iterator[Row]:
    """Rows of a parsed JSON document: a list of objects, {key: [objects]}, or a dict of columns."""
    if isinstance(doc, dict):
        lists = {k: v for k, v in doc.items() if isinstance(v, list)}
        records = [k for k, v in lists.items() if v and all(isinstance(x, dict) for x in v)]
        if len(records) == 1:
            doc = doc[records[0]]
        elif lists and len(lists) == len(doc):
            lengths = {k: len(v) for k, v in lists.items()}
            if len(set(lengths.values())) != 1:
                raise DataError(src, None, None, f"columns have different lengths: {lengths}")
            n = next(iter(lengths.values()))
            doc = [{k: v[i] for k, v in lists.items()} for i in range(n)]
        else:
            raise DataError(
                src,
                None,
                None,
                "expected a list of objects, an object holding one such "
                f"list (e.g. 'data'), or a dict of equal-length columns; got keys {list(doc)}",
            )
    if not isinstance(doc, list):
        raise DataError(src, None, None, f"expected a JSON list of objects, got {type(doc).__name__}")
    for i, obj in enumerate(doc):
        if isinstance(obj, dict):
            yield Row(src, i, obj)
        else:
            yield Row(src, i, {}, error=f"expected a JSON object, got {type(obj).__name__}")


def _parquet_rows(path: Path) -> Iterator[Row]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = str(path)
    try:
        pf = pq.ParquetFile(path)
        index = 0
        for batch in pf.iter_batches(batch_size=1024):
            for rec in batch.to_pylist():
                yield Row(src, index, rec)
                index += 1
    except (pa.ArrowInvalid, OSError) as e:
        raise DataError(src, None, None, f"cannot read parquet: {e}") from e


def _csv_rows(src: str, fh: io.TextIOBase, delimiter: str) -> Iterator[Row]:
    """CSV/TSV rows: values are strings; an empty cell counts as a missing value (key left out)."""
    with fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise DataError(src, "line 1", None, f"bad CSV header: {e}") from e
        dupes = sorted({h for h in header if header.count(h) > 1})
        if dupes:
            raise DataError(src, "line 1", None, f"duplicate column names in header: {dupes}")
        index = 0
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise DataError(src, f"line {start}", None, f"bad CSV: {e}") from e
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                err = f"{len(cells)} cells but the header has {len(header)} columns"
                yield Row(src, index, {}, line=start, error=err)
            else:
                yield Row(src, index, {h: c for h, c in zip(header, cells, strict=False) if c != ""}, line=start)
            index += 1


def _read_dir(path: Path, split: str | None, config: str | None) -> Iterator[Row]:
    if (path / "dataset_dict.json").exists() or (path / "state.json").exists():
        yield from _read_saved(path, split)
        return
    root = path
    if config is not None and (path / config).is_dir():
        root = path / config
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and _strip_gz(p.name.lower()).endswith(DATA_SUFFIXES)
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
        and p.name not in ("dataset_info.json", "dataset_infos.json", "state.json")
    )
    if not files:
        raise DataError(str(path), None, None, f"no data files ({', '.join(DATA_SUFFIXES)}) in folder")
    chosen = _files_for_split(root, files, split)
    for f in chosen:
        yield from _read_file(f)


def _file_split(root: Path, f: Path) -> str:
    """The split a data file belongs to by HF hub naming: ``test-00000-of-00001.parquet`` -> "test"."""
    stem = _strip_gz(f.name)
    stem = stem[: stem.rfind(".")] if "." in stem else stem
    m = _SHARD.match(stem)
    name = m.group("split") if m else stem
    for part in f.relative_to(root).parts[:-1]:
        if part in KNOWN_SPLITS:
            return part
    return name


def _files_for_split(root: Path, files: list[Path], split: str | None) -> list[Path]:
    labels = {f: _file_split(root, f) for f in files}
    if split is None:
        known = sorted({s for s in labels.values() if s in KNOWN_SPLITS})
        if len(known) > 1:
            raise DataError(str(root), None, None, f"folder holds several splits {known}; pass split=")
        return files
    pattern = re.compile(rf"^{re.escape(split)}([-_.].*)?$")
    chosen = [
        f for f in files if labels[f] == split or pattern.match(f.name) or split in f.relative_to(root).parts[:-1]
    ]
    if not chosen:
        found = ", ".join(str(f.relative_to(root)) for f in files[:20])
        raise DataError(str(root), None, None, f"no data file for split {split!r}; found: {found}")
    return chosen


def _read_saved(path: Path, split: str | None) -> Iterator[Row]:
    """A folder written by ``datasets.Dataset(Dict).save_to_disk``."""
    import datasets

    ds = datasets.load_from_disk(str(path))
    yield from _dataset_rows(ds, str(path), split)


def _read_hub(hub_id: str, split: str | None, config: str | None) -> Iterator[Row]:
    try:
        import datasets
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"{hub_id!r} is not a local path; reading it from the Hugging Face hub needs `pip install datasets`"
        ) from e
    ds = datasets.load_dataset(hub_id, config, split=split)
    src = f"hf:{hub_id}" + (f"/{config}" if config else "")
    yield from _dataset_rows(ds, src, split)


def _dataset_rows(ds: Any, src: str, split: str | None) -> Iterator[Row]:
    """Rows of a ``datasets.Dataset``, or of one split of a ``DatasetDict``."""
    import datasets

    if isinstance(ds, datasets.DatasetDict | datasets.IterableDatasetDict):
        splits = sorted(ds.keys())
        if split is None and len(splits) == 1:
            split = splits[0]
        if split not in splits:
            raise DataError(src, None, None, f"split {split!r} not found; available: {splits}")
        ds = ds[split]
        src = f"{src}[{split}]"
    elif split and src.startswith("hf:"):
        src = f"{src}[{split}]"
    for i, rec in enumerate(ds):
        yield Row(src, i, dict(rec))
