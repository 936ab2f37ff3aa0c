"""Export stored articles (or every version of them) to JSON Lines, CSV or Parquet, batch by
batch.

Rows come from a server-side cursor (:func:`storage.search.stream_articles`) and each batch is
written before the next is fetched, so memory stays flat whatever the corpus size. A file is
written under a temporary name and renamed when complete: a failed export leaves no half file.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq

from newswire.errors import ConfigError
from newswire.records import ArticleRow, Version, column_type, field_types
from storage.search import EXPORT_COLUMNS, Filters, stream_articles
from storage.versions import VERSION_EXPORT_COLUMNS, stream_versions

logger = logging.getLogger(__name__)

FORMATS = ("jsonl", "csv", "parquet")
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
_ARROW_TYPES = {
    int: pa.int64(),
    str: pa.string(),
    float: pa.float64(),
    datetime: pa.timestamp("us", tz="UTC"),
}


def _arrow_type(annotation: Any) -> pa.DataType:
    """The Parquet column type of a record field."""
    value_type, is_list = column_type(annotation)
    arrow = _ARROW_TYPES[value_type]
    return pa.list_(arrow) if is_list else arrow


_COLUMN_TYPES = {**field_types(ArticleRow), "urls": list[str]}
PARQUET_SCHEMA = pa.schema([(c, _arrow_type(_COLUMN_TYPES[c])) for c in EXPORT_COLUMNS])
_VERSION_TYPES = {**field_types(Version), "source": str, "article_url": str}
VERSION_PARQUET_SCHEMA = pa.schema(
    [(c, _arrow_type(_VERSION_TYPES[c])) for c in VERSION_EXPORT_COLUMNS]
)


@dataclass(frozen=True)
class ExportRequest:
    """What to export and where; output None writes jsonl or csv to standard output."""

    fmt: str
    output: Path | None
    query: str | None = None
    filters: Filters = field(default_factory=Filters)
    batch_size: int = 2000
    versions: bool = False  # one row a version of each article, not one an article


class _Writer(Protocol):
    def write(self, rows: Sequence[tuple[Any, ...]]) -> None: ...

    def close(self) -> None: ...


def choose_format(fmt: str | None, output: Path | None) -> str:
    """The format asked for, else the one the output's suffix names."""
    if fmt is None:
        if output is None:
            raise ConfigError("export to standard output needs --format jsonl or csv")
        fmt = _SUFFIXES.get(output.suffix.lower())
        if fmt is None:
            raise ConfigError(
                f"cannot tell the format of {output}: pass --format {'|'.join(FORMATS)}"
            )
    if fmt not in FORMATS:
        raise ConfigError(f"export format {fmt!r} is not one of: {', '.join(FORMATS)}")
    if fmt == "parquet" and output is None:
        raise ConfigError("parquet cannot go to standard output: pass --output FILE.parquet")
    return fmt


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class _JsonlWriter:
    """One JSON object per line, keys in column order."""

    def __init__(self, stream: IO[str], columns: Sequence[str]) -> None:
        self.stream = stream
        self.columns = columns

    def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        lines = (
            json.dumps(dict(zip(self.columns, map(_plain, row), strict=True)), ensure_ascii=False)
            for row in rows
        )
        self.stream.write("".join(line + "\n" for line in lines))

    def close(self) -> None:
        self.stream.flush()


class _CsvWriter:
    """A header row, then one row per article; list columns hold JSON arrays."""

    def __init__(self, stream: IO[str], columns: Sequence[str]) -> None:
        self.stream = stream
        self.writer = csv.writer(stream)
        self.writer.writerow(columns)

    def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        self.writer.writerows(
            [json.dumps(v, ensure_ascii=False) if isinstance(v, list) else _plain(v) for v in row]
            for row in rows
        )

    def close(self) -> None:
        self.stream.flush()


class _ParquetWriter:
    """Typed columns, one zstd-compressed row group per fetched batch."""

    def __init__(self, path: Path | IO[bytes], schema: pa.Schema) -> None:
        self.schema = schema
        self.writer = pq.ParquetWriter(path, schema, compression="zstd")

    def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        columns = [
            pa.array(values, type=column.type)
            for values, column in zip(zip(*rows, strict=True), self.schema, strict=True)
        ]
        self.writer.write_batch(pa.record_batch(columns, schema=self.schema))

    def close(self) -> None:
        self.writer.close()


def _open_writer(fmt: str, target: Path | None, stream: IO[str] | None, versions: bool) -> _Writer:
    if fmt == "parquet":
        assert target is not None
        return _ParquetWriter(target, VERSION_PARQUET_SCHEMA if versions else PARQUET_SCHEMA)
    assert stream is not None
    columns = VERSION_EXPORT_COLUMNS if versions else EXPORT_COLUMNS
    return _JsonlWriter(stream, columns) if fmt == "jsonl" else _CsvWriter(stream, columns)


def export_articles(
    conn: psycopg.Connection[Any],
    request: ExportRequest,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Write every matching article (or each of its versions); returns how many rows.
    on_batch gets each batch's size."""
    fmt = choose_format(request.fmt, request.output)
    stream = stream_versions if request.versions else stream_articles
    batches = stream(conn, request.query, request.filters, batch_size=request.batch_size)
    versions = request.versions
    if request.output is None:
        return _drain(batches, _open_writer(fmt, None, sys.stdout, versions), on_batch)
    output = request.output
    if output.is_dir():
        raise ConfigError(f"{output} is a directory: pass a file name to --output")
    if not output.parent.is_dir():
        raise ConfigError(f"the folder of {output} does not exist: create it first")
    handle, temp_name = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    temp = Path(temp_name)
    try:
        if fmt == "parquet":
            os.close(handle)
            written = _drain(batches, _open_writer(fmt, temp, None, versions), on_batch)
        else:
            with open(handle, "w", encoding="utf-8", newline="") as out:
                written = _drain(batches, _open_writer(fmt, None, out, versions), on_batch)
        temp.replace(output)
    finally:
        temp.unlink(missing_ok=True)
    logger.info("exported %d articles to %s", written, output)
    return written


def _drain(
    batches: Generator[list[tuple[Any, ...]]],
    writer: _Writer,
    on_batch: Callable[[int], None] | None,
) -> int:
    """Write batch after batch; on any failure the cursor's transaction ends first."""
    written = 0
    try:
        for batch in batches:
            writer.write(batch)
            written += len(batch)
            if on_batch is not None:
                on_batch(len(batch))
    finally:
        batches.close()
        writer.close()
    return written


class _Chunks(io.RawIOBase):
    """A write-only sink that hands on what was written since the last drain: Parquet's
    writer asks its sink for positions (tell), so the count goes on across drains."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self.position

    def drain(self) -> bytes:
        chunk, self.parts = b"".join(self.parts), []
        return chunk


def export_chunks(
    conn: psycopg.Connection[Any], fmt: str, query: str | None, filters: Filters
) -> Iterator[bytes]:
    """The export of a search as bytes, one chunk per fetched batch, for an HTTP download:
    the same rows, columns and writers as a file export, memory flat whatever the size."""
    fmt = choose_format(fmt, Path(f"download.{fmt}"))
    sink = _Chunks()
    text = io.TextIOWrapper(sink, encoding="utf-8", newline="", write_through=True)
    writer = (
        _ParquetWriter(sink, PARQUET_SCHEMA)
        if fmt == "parquet"
        else _open_writer(fmt, None, text, versions=False)
    )
    batches = stream_articles(conn, query, filters)
    try:
        for batch in batches:
            writer.write(batch)
            yield sink.drain()
    finally:
        batches.close()
        writer.close()
    yield sink.drain()
