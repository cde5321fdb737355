"""Parquet compaction beside the JSON and one-file exports: DuckDB over them returns exactly
what the Python reader returns for the same filter (local and S3)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from archive import keys
from archive.export import SCHEMA, compact_partition, compact_recent, partitions_in_range, parts_of
from archive.reader import ArchiveReader
from archive.records import ArticleRecord
from archive.store import ObjectStore, open_store
from archive.writer import ArchiveWriter
from dateline.cli import app
from tests.fixtures.prefect_server import PrefectApi
from tests.test_writer import make_record

BASE = "https://news.example/"

# Latest version per article over all parts, then the filter: the same rule as
# ArchiveReader.iter_records (docs/archive.md, "Parquet").
LATEST_SQL = """
WITH latest AS (
    SELECT * FROM read_parquet('{root}/site=*/date=*/*.parquet', hive_partitioning = true)
    QUALIFY row_number() OVER (
        PARTITION BY id
        ORDER BY crawled_at::TIMESTAMPTZ DESC, coalesce(extracted_at, crawled_at)::TIMESTAMPTZ DESC, version DESC
    ) = 1
)
SELECT id, version, site, date, title, published.date AS published, text FROM latest
WHERE {where}
ORDER BY id
"""


def rec(name: str, text: str = "Body text.", **fields: Any) -> ArticleRecord:
    fields.setdefault("site", "a")
    return make_record(f"{text} ({name})", url=BASE + name, **fields)


@pytest.fixture
def store(archive_uri: str) -> ObjectStore:
    """Site a: three days + undated, one article updated into another day; site b: one day."""
    store = open_store(archive_uri)
    writer = ArchiveWriter(store)
    for record in (
        rec("d20", published="2026-11-20"),
        rec("d21", published="2026-11-21"),
        rec("d22", published="2026-11-22", authors=["Ana Ruiz"]),
        rec("undated", published=None),
        rec("b1", site="b", published="2026-11-21"),
        rec("d20", "Updated and moved.", published="2026-11-22", crawled_at="2026-11-24T09:00:00Z"),
    ):
        writer.store_article(record)
    return store


def local_root(store: ObjectStore, tmp_path: Path) -> Path:
    """The Parquet tree as files: the archive itself locally, a copy of the S3 objects otherwise
    (DuckDB's httpfs extension cannot be downloaded here)."""
    root = getattr(store, "root", None)
    if root is not None:
        return Path(root) / keys.PARQUET_ROOT.rstrip("/")
    target = tmp_path / "copy"
    for key in store.list(keys.PARQUET_ROOT):
        path = target / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(store.get(key))
    return target / keys.PARQUET_ROOT.rstrip("/")


def python_rows(reader: ArchiveReader, **filters: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (r.id, r.version, r.site, r.published.date or keys.UNDATED, r.title, r.published.date, r.text)
        for r in reader.iter_records(**filters)
    )


def _sql(query: str) -> duckdb.DuckDBPyRelation:
    """duckdb.sql for a SELECT (typed as optional because statements return nothing)."""
    relation = duckdb.sql(query)
    assert relation is not None
    return relation


def duckdb_rows(root: Path, where: str) -> list[tuple[Any, ...]]:
    return _sql(LATEST_SQL.format(root=root, where=where)).fetchall()


def compact_all(store: ObjectStore) -> list[str]:
    return [
        part.key
        for site, day in partitions_in_range(store, None, None, None)
        if (part := compact_partition(store, site, day)).key
    ]


def test_parquet_schema_has_every_record_field() -> None:
    assert SCHEMA.names == list(ArticleRecord.model_fields)


def test_compaction_is_idempotent_and_adds_disjoint_parts(store: ObjectStore) -> None:
    first = compact_partition(store, "a", "2026-11-22")
    assert first.written and first.rows == 2  # d22 and the moved version of d20
    assert first.key is not None and first.key.startswith(keys.parquet_prefix("a", "2026-11-22") + "part-")
    before = sorted(store.list(keys.PARQUET_ROOT))
    again = compact_partition(store, "a", "2026-11-22")
    assert (again.written, again.key, again.rows) == (False, None, 0)
    assert sorted(store.list(keys.PARQUET_ROOT)) == before  # an unchanged day writes nothing

    late = rec("late", published="2026-11-22")
    ArchiveWriter(store).store_article(late)
    grown = compact_partition(store, "a", "2026-11-22")
    assert grown.written and grown.rows == 1 and grown.key not in (None, first.key)
    tables = [pq.read_table(_as_file(store, key)) for key in parts_of(store, "a", "2026-11-22")]
    assert sorted(len(t) for t in tables) == [1, 2]
    rows = [
        (i, v)
        for t in tables
        for i, v in zip(t.column("id").to_pylist(), t.column("version").to_pylist(), strict=True)
    ]
    assert len(rows) == len(set(rows)) == 3  # disjoint: every version once
    assert (late.id, late.version) in rows
    assert next(t for t in tables if len(t) == 2).column("authors").to_pylist().count(["Ana Ruiz"]) == 1


def _as_file(store: ObjectStore, key: str) -> Any:
    import io

    return io.BytesIO(store.get(key))


@pytest.mark.parametrize(
    ("filters", "where"),
    [
        ({}, "true"),
        ({"sites": ["a"], "since": date(2026, 11, 21), "until": date(2026, 11, 22)},
         "site = 'a' AND date BETWEEN '2026-11-21' AND '2026-11-22'"),
        ({"since": date(2026, 11, 22)}, "date >= '2026-11-22' AND date != 'unknown'"),
        ({"sites": ["a"], "until": date(2026, 11, 20)}, "site = 'a' AND date <= '2026-11-20'"),
    ],
)  # fmt: skip
def test_duckdb_over_the_parquet_parts_equals_the_python_reader(
    store: ObjectStore, tmp_path: Path, filters: dict[str, Any], where: str
) -> None:
    compact_all(store)
    ArchiveWriter(store).store_article(rec("late", published="2026-11-22"))
    compact_partition(store, "a", "2026-11-22")  # a second part in that partition
    assert len([k for k in store.list(keys.parquet_prefix("a", "2026-11-22"))]) == 2
    expected = python_rows(ArchiveReader(store), **filters)
    assert duckdb_rows(local_root(store, tmp_path), where) == expected


def test_plain_sql_over_the_parts_is_every_stored_version_once(store: ObjectStore, tmp_path: Path) -> None:
    compact_all(store)
    ArchiveWriter(store).store_article(rec("d21", "Edited.", published="2026-11-21"))
    compact_all(store)  # the 21st gets a second part with only the new version
    root = local_root(store, tmp_path)
    got = _sql(
        f"SELECT id, version, site, CAST(date AS VARCHAR) FROM read_parquet('{root}/*/*/*.parquet', "
        "hive_partitioning = true) ORDER BY ALL"
    ).fetchall()
    expected = sorted(
        (r.id, r.version, r.site, r.published.date or keys.UNDATED)
        for r in ArchiveReader(store).iter_records(latest_only=False)
    )
    assert got == expected and len(got) == 7


def test_daily_compaction_finds_changed_days_through_the_feed(store: ObjectStore) -> None:
    done = compact_recent(store, days=1)
    assert {(c.site, c.date) for c in done} == {
        ("a", "2026-11-20"), ("a", "2026-11-21"), ("a", "2026-11-22"), ("a", "unknown"), ("b", "2026-11-21"),
    }  # fmt: skip
    assert all(c.written for c in done)
    assert not any(c.written for c in compact_recent(store, days=1))  # rerun: nothing new


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_cli_export_writes_one_row_per_article(store: ObjectStore, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    args = ["export", "--archive", store.uri, "--format", fmt, "--output", str(out)]
    result = CliRunner().invoke(app, [*args, "--site", "a", "--since", "2026-11-21", "--until", "2026-11-22"])
    assert result.exit_code == 0, result.output
    reader = ArchiveReader(store)
    expected = list(reader.iter_records(["a"], since=date(2026, 11, 21), until=date(2026, 11, 22)))
    assert len(expected) == 3  # d21, d22 and d20's latest version (moved to the 22nd)
    if fmt == "jsonl":
        got = [ArticleRecord.model_validate_json(line) for line in out.read_text().splitlines()]
        assert sorted(got, key=lambda r: r.id) == sorted(expected, key=lambda r: r.id)
        return
    rows = _sql(
        f"SELECT id, version, title, published.date, authors, text FROM read_parquet('{out}') ORDER BY id"
    ).fetchall()
    assert rows == sorted((r.id, r.version, r.title, r.published.date, r.authors, r.text) for r in expected)
    back = [ArticleRecord.model_validate(row) for row in pq.read_table(out).to_pylist()]
    assert sorted(back, key=lambda r: r.id) == sorted(expected, key=lambda r: r.id)  # lossless


def test_cli_export_empty_selection_and_bad_date(store: ObjectStore, tmp_path: Path) -> None:
    out = tmp_path / "none.jsonl"
    base = ["export", "--archive", store.uri, "--output", str(out)]
    ok = CliRunner().invoke(app, [*base, "--site", "nope"])
    assert ok.exit_code == 0 and out.read_text() == ""
    bad = CliRunner().invoke(app, [*base, "--since", "yesterday"])
    assert bad.exit_code == 1


@pytest.mark.slow
def test_daily_flow_compacts_changed_days_and_seals_idle_feed_logs(
    tmp_path: Path, harness_api: PrefectApi
) -> None:
    from flows.export import export_parquet

    store = open_store(str(tmp_path / "archive"))
    writer = ArchiveWriter(store)  # never closed: like a crashed crawl
    writer.store_article(rec("x", published="2026-11-20"))
    counts = export_parquet(archive=store.uri, days=1)
    assert (counts["partitions"], counts["parts_written"], counts["rows_written"]) == (1, 1, 1)
    assert counts["feed_logs_sealed"] == 0  # the log is not idle yet
    assert counts["similarity_indexed"] == 1 and store.exists("sims/segments/000000000000.parquet")
    again = export_parquet(archive=store.uri, days=1)
    assert (again["parts_written"], again["similarity_indexed"]) == (0, 0)

    state = export_parquet(archive=str(tmp_path / "empty"), days=1, return_state=True)
    assert state.result()["partitions"] == 0
    artifact = harness_api.artifacts(str(state.state_details.flow_run_id))["export-parquet"]
    assert artifact["type"] == "markdown" and "Nothing to compact" in artifact["data"], artifact


@pytest.mark.slow
def test_cli_compact_backfills_named_partitions(tmp_path: Path, prefect_api: None) -> None:
    store = open_store(str(tmp_path / "archive"))
    writer = ArchiveWriter(store)
    for name, site, day in (("x", "a", "2026-11-20"), ("y", "a", "2026-11-21"), ("z", "b", "2026-11-21")):
        writer.store_article(rec(name, site=site, published=day))
    args = ["compact", "--archive", store.uri, "--site", "a", "--since", "2026-11-21"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stderr.strip().splitlines()[-1])["parts_written"] == 1
    assert [k.split("/")[1:3] for k in store.list(keys.PARQUET_ROOT)] == [["site=a", "date=2026-11-21"]]
