"""Columnar copies of the archive: Parquet parts beside the JSON, and one-file exports.

Compaction writes ``articles-parquet/site=S/date=D/part-<digest>.parquet`` for one
``articles/site=S/date=D/`` partition: one row per stored version, the record's fields as
columns. Objects are never replaced, so a partition that gains versions later gets another
part holding only the versions no earlier part has: the parts of a partition are disjoint,
and ``read_parquet('articles-parquet/*/*/*.parquet', hive_partitioning = true)`` is every
stored version once, in plain SQL. A part's name is a hash of the record keys it holds, so
compacting an unchanged partition writes nothing and a rerun writes the same part again
(put-if-absent: a no-op). Compactions must not run concurrently (the deployment has a
concurrency limit of 1): two compactions of one partition that changed between them could
each write a part with the same new version.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from archive import feed, keys
from archive.reader import ArchiveReader, _in_range
from archive.records import ArticleRecord
from archive.store import ObjectStore

ExportFormat = Literal["jsonl", "parquet"]
PARQUET_CONTENT_TYPE = "application/vnd.apache.parquet"
BATCH_ROWS = 500  # rows per Parquet row group when streaming an export
PARALLEL = 10  # concurrent gets (botocore keeps 10 connections per client)

_DATE_INFO = pa.struct(
    [("date", pa.string()), ("datetime", pa.string()), ("source", pa.string()), ("raw", pa.string())]
)
SCHEMA = pa.schema(
    [
        ("schema_version", pa.int32()),
        ("id", pa.string()),
        ("version", pa.string()),
        ("url", pa.string()),
        ("canonical_url", pa.string()),
        ("aliases", pa.list_(pa.string())),
        ("site", pa.string()),
        ("title", pa.string()),
        ("authors", pa.list_(pa.string())),
        ("published", _DATE_INFO),
        ("modified", _DATE_INFO),
        ("language", pa.string()),
        ("description", pa.string()),
        ("text", pa.string()),
        ("content_hash", pa.string()),
        ("word_count", pa.int64()),
        ("paywalled", pa.bool_()),
        ("page_type", pa.string()),
        ("crawled_at", pa.string()),
        ("run_id", pa.string()),
        (
            "extractor",
            pa.struct([("name", pa.string()), ("version", pa.string()), ("trafilatura", pa.string())]),
        ),
        (
            "raw",
            pa.struct(
                [
                    ("key", pa.string()),
                    ("record_id", pa.string()),
                    ("offset", pa.int64()),
                    ("length", pa.int64()),
                ]
            ),
        ),
        (
            "discovery",
            pa.struct(
                [
                    ("via", pa.string()),
                    ("feed_date", pa.string()),
                    ("sitemap_date", pa.string()),
                    ("referer", pa.string()),
                ]
            ),
        ),
        ("extracted_at", pa.string()),
        # parts compacted before confidence existed lack it: read mixed parts with union_by_name
        (
            "extraction",
            pa.struct(
                [
                    ("confidence", pa.float64()),
                    ("agree_trafilatura", pa.float64()),
                    ("agree_structured", pa.float64()),
                    ("precision_second", pa.float64()),
                    ("removed_share", pa.float64()),
                    ("extra_link_share", pa.float64()),
                    ("text_markup_ratio", pa.float64()),
                    ("profile_coverage", pa.float64()),
                    ("fallback", pa.string()),
                ]
            ),
        ),
    ]
)


def to_table(records: Iterable[ArticleRecord]) -> pa.Table:
    """Records as a table with the fixed schema (same columns in every part and export)."""
    return pa.Table.from_pylist([r.model_dump(mode="json") for r in records], schema=SCHEMA)


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


# --------------------------------------------------------------------------- compaction


@dataclass(frozen=True)
class Compacted:
    """Outcome of compacting one partition."""

    site: str
    date: str
    key: str | None  # the part for the new versions (None: nothing new)
    rows: int  # rows in that part
    written: bool  # False when nothing was new or the same part existed already


def part_key_for(site: str, day: str, member_keys: list[str]) -> str:
    digest = hashlib.sha256("\n".join(sorted(member_keys)).encode("utf-8")).hexdigest()
    return keys.parquet_part_key(site, day, digest)


def _load_all(store: ObjectStore, member_keys: list[str]) -> list[ArticleRecord]:
    def load(key: str) -> ArticleRecord:
        return ArticleRecord.model_validate_json(store.get(key))

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        return list(pool.map(load, member_keys))


def _versions_in_parts(store: ObjectStore, part_keys: list[str]) -> set[tuple[str, str]]:
    """(id, version) of every row already compacted (two small columns per part)."""

    def versions(key: str) -> list[tuple[str, str]]:
        table = pq.read_table(io.BytesIO(store.get(key)), columns=["id", "version"])
        return list(zip(table.column("id").to_pylist(), table.column("version").to_pylist(), strict=True))

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        return {pair for found in pool.map(versions, part_keys) for pair in found}


def _version_of(member_key: str) -> tuple[str, str]:
    """'articles/.../<id>-<version>.json' -> (id, version)."""
    id_, _, version = member_key.rsplit("/", 1)[-1].removesuffix(".json").rpartition("-")
    return id_, version


def parts_of(store: ObjectStore, site: str, day: str) -> list[str]:
    return sorted(k for k in store.list(keys.parquet_prefix(site, day)) if k.endswith(".parquet"))


def compact_partition(store: ObjectStore, site: str, day: str) -> Compacted:
    """Write a part with the site-day's versions that no part has yet (nothing if none)."""
    members = sorted(k for k in store.list(keys.articles_prefix(site, day)) if k.endswith(".json"))
    covered = _versions_in_parts(store, parts_of(store, site, day))
    new = [k for k in members if _version_of(k) not in covered]
    if not new:
        return Compacted(site, day, None, 0, False)
    part = part_key_for(site, day, new)
    table = to_table(_load_all(store, new))
    written = store.put_if_absent(part, _parquet_bytes(table), PARQUET_CONTENT_TYPE)
    return Compacted(site, day, part, table.num_rows, written)


def partitions_in_range(
    store: ObjectStore, sites: list[str] | None, since: date | None, until: date | None
) -> list[tuple[str, str]]:
    """Article partitions of these sites whose published date is in [since, until]."""
    reader = ArchiveReader(store)
    out = []
    for site in sites if sites is not None else reader.sites():
        for prefix in store.list_dirs(keys.articles_prefix(site)):
            day = keys.partition_value(prefix, "date") or ""
            if _in_range(day, since, until):
                out.append((site, day))
    return sorted(out)


def partitions_written_since(store: ObjectStore, since: datetime) -> list[tuple[str, str]]:
    """Partitions that got a version since ``since``, from the feed (no listing of articles/)."""
    return sorted({(e.site, e.published or keys.UNDATED) for e in feed.entries_appended_since(store, since)})


def compact_recent(store: ObjectStore, days: int = 2, now: datetime | None = None) -> list[Compacted]:
    """Compact every partition written to in the last ``days`` UTC days (the daily job)."""
    start = (now or datetime.now(UTC)) - timedelta(days=days)
    return [compact_partition(store, site, day) for site, day in partitions_written_since(store, start)]


# --------------------------------------------------------------------------- one-file export


def _json_line(record: ArticleRecord) -> bytes:
    return record.model_dump_json().encode("utf-8") + b"\n"


def _batches(records: Iterable[ArticleRecord], size: int) -> Iterator[list[ArticleRecord]]:
    batch: list[ArticleRecord] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_records(records: Iterable[ArticleRecord], output: Path, fmt: ExportFormat) -> int:
    """Stream records into ``output`` (written beside it, then renamed: never half a file)."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    rows = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            if fmt == "jsonl":
                for record in records:
                    fh.write(_json_line(record))
                    rows += 1
            else:
                rows = _write_parquet(records, fh)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return rows


def _write_parquet(records: Iterable[ArticleRecord], sink: Any) -> int:
    rows = 0
    with pq.ParquetWriter(sink, SCHEMA, compression="zstd") as writer:
        for batch in _batches(records, BATCH_ROWS):
            writer.write_table(to_table(batch))
            rows += len(batch)
    return rows


def export(
    reader: ArchiveReader,
    output: Path,
    fmt: ExportFormat,
    sites: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
) -> int:
    """One row per article (latest version) published in [since, until]; returns the row count."""
    return write_records(reader.iter_records(sites=sites, since=since, until=until), output, fmt)
