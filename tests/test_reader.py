"""ArchiveReader: by site and date range, latest versions, by id, by URL, runs (local and S3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from archive import keys
from archive.reader import ArchiveReader
from archive.records import ArticleRecord, RunManifest, SiteStats
from archive.store import open_store
from archive.writer import ArchiveWriter
from tests.test_writer import make_record as _make_record

BASE = "https://news.example/"


@dataclass
class Sample:
    reader: ArchiveReader
    writer: ArchiveWriter
    records: dict[str, ArticleRecord]


def make_record(text: str = "Body text.", **fields: Any) -> ArticleRecord:
    return _make_record(text, **{"site": "a", **fields})


def ids(records: list[ArticleRecord]) -> list[str]:
    return sorted(r.url.removeprefix(BASE) for r in records)


@pytest.fixture
def sample(archive_uri: str) -> Sample:
    """Site 'a': four days incl. undated, one article updated; site 'b': one article."""
    store = open_store(archive_uri)
    writer = ArchiveWriter(store)
    records = {
        "d20": make_record(url=BASE + "d20", published="2026-11-20"),
        "d21": make_record(url=BASE + "d21", published="2026-11-21"),
        "d22": make_record(url=BASE + "d22", published="2026-11-22"),
        "undated": make_record(url=BASE + "undated", published=None),
        "b1": make_record(url=BASE + "b1", site="b", published="2026-11-21"),
        # d21 updated later; text chosen so the new version sorts *before* the old one by name
        "d21v2": make_record(
            "Updated text 0.", url=BASE + "d21", published="2026-11-21", crawled_at="2026-11-24T09:00:00Z"
        ),
    }
    assert records["d21v2"].version != records["d21"].version
    for record in records.values():
        writer.store_article(record)
        writer.mark_urls(record.site, [record.url], record.id)
    return Sample(ArchiveReader(store), writer, records)


def test_date_range_filters_partitions(sample: Sample) -> None:
    reader = sample.reader
    assert ids(list(reader.iter_records(["a"], since=date(2026, 11, 21), until=date(2026, 11, 22)))) == [
        "d21",
        "d22",
    ]
    assert ids(list(reader.iter_records(["a"], since=date(2026, 11, 22)))) == ["d22"]
    assert ids(list(reader.iter_records(["a"], until=date(2026, 11, 20)))) == ["d20"]
    assert ids(list(reader.iter_records(["a"]))) == ["d20", "d21", "d22", "undated"]  # undated only unbounded


def test_all_sites_by_default_and_unknown_site_is_empty(sample: Sample) -> None:
    assert ids(list(sample.reader.iter_records())) == ["b1", "d20", "d21", "d22", "undated"]
    assert list(sample.reader.iter_records(["nope"])) == []
    assert sample.reader.sites() == ["a", "b"]


def test_latest_only_yields_the_newest_version(sample: Sample) -> None:
    latest = [r for r in sample.reader.iter_records(["a"]) if r.url == BASE + "d21"]
    assert [r.version for r in latest] == [sample.records["d21v2"].version]
    every = [r for r in sample.reader.iter_records(["a"], latest_only=False) if r.url == BASE + "d21"]
    assert sorted(r.version for r in every) == sorted(
        [sample.records["d21"].version, sample.records["d21v2"].version]
    )


def test_update_that_moves_the_date_leaves_the_old_partition(sample: Sample) -> None:
    moved = make_record("Moved", url=BASE + "d20", published="2026-11-22", crawled_at="2026-11-25T00:00:00Z")
    assert sample.writer.store_article(moved) == "new_version"
    on_20 = list(sample.reader.iter_records(["a"], since=date(2026, 11, 20), until=date(2026, 11, 20)))
    assert on_20 == []  # the latest version says the 22nd
    on_22 = list(sample.reader.iter_records(["a"], since=date(2026, 11, 22), until=date(2026, 11, 22)))
    assert ids(on_22) == ["d20", "d22"]
    old = list(sample.reader.iter_records(["a"], until=date(2026, 11, 20), latest_only=False))
    assert [r.version for r in old] == [sample.records["d20"].version]


def test_versions_oldest_first_and_get_latest(sample: Sample) -> None:
    id_ = sample.records["d21"].id
    versions = sample.reader.versions(id_)
    assert [v.version for v in versions] == [sample.records["d21"].version, sample.records["d21v2"].version]
    assert versions[0].version > versions[1].version  # so the order really comes from crawled_at
    got = sample.reader.get(id_)
    assert got is not None and got.version == sample.records["d21v2"].version
    assert sample.reader.get("0" * 20) is None
    assert sample.reader.versions("0" * 20) == []


def test_get_by_url_canonical_alias_and_unknown(sample: Sample) -> None:
    record = sample.records["d22"]
    found = sample.reader.get_by_url(record.url)
    assert found is not None and found.id == record.id
    alias = BASE + "d22?utm_source=feed"
    assert keys.article_id(alias) != record.id
    assert sample.reader.get_by_url(alias) is None
    sample.writer.mark_urls("a", [alias], record.id)
    via_alias = sample.reader.get_by_url(alias)
    assert via_alias is not None and via_alias.id == record.id
    assert sample.reader.get_by_url(BASE + "never-seen") is None


def test_sites_include_sites_with_only_runs(sample: Sample) -> None:
    manifest = RunManifest(
        run_id="r2",
        site="c",
        started_at="2026-11-23T10:00:00Z",
        finished_at="2026-11-23T10:05:00Z",
        complete=False,
        stats=SiteStats(site="c", unreachable=True),
    )
    sample.writer.write_manifest(manifest)
    assert sample.reader.sites() == ["a", "b", "c"]


def test_runs_by_site_in_time_order(sample: Sample) -> None:
    def manifest(site: str, run_id: str, started: str) -> RunManifest:
        return RunManifest(
            run_id=run_id,
            site=site,
            started_at=started,
            finished_at=started,
            complete=True,
            stats=SiteStats(site=site),
        )

    later, earlier = manifest("a", "r2", "2026-11-24T10:00:00Z"), manifest("a", "r1", "2026-11-23T10:00:00Z")
    other = manifest("b", "r1", "2026-11-23T10:00:00Z")
    for m in (later, other, earlier):
        sample.writer.write_manifest(m)
    assert list(sample.reader.runs("a")) == [earlier, later]
    assert list(sample.reader.runs()) == [earlier, later, other]
    assert list(sample.reader.runs("zzz")) == []


def test_raw_pointer_resolves_to_the_response(sample: Sample) -> None:
    fetched = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    pointer = sample.writer.store_raw(
        "a", BASE + "d20", 200, [("Content-Type", "text/html")], b"<p>x</p>", fetched
    )
    response = sample.reader.raw_response(pointer)
    assert (response.url, response.status, response.body) == (BASE + "d20", 200, b"<p>x</p>")


class _CountingStore:
    """Counts gets, to show that iterating reads as it goes."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.uri, self.gets = inner, inner.uri, 0

    def get(self, key: str) -> bytes:
        self.gets += 1
        return bytes(self.inner.get(key))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_iter_records_streams_partition_by_partition(tmp_path: Any) -> None:
    store = open_store(str(tmp_path / "a"))
    writer = ArchiveWriter(store)
    for day in range(1, 21):
        for n in range(5):
            writer.store_article(
                make_record(f"Text {day}/{n}.", url=f"{BASE}{day}/{n}", published=f"2026-11-{day:02d}")
            )
    counting = _CountingStore(store)
    stream = ArchiveReader(counting).iter_records(["a"])
    first = next(stream)
    assert first.published.date == "2026-11-01"
    assert counting.gets <= 2 * 5  # one day's pointers and one record, not 100 articles
    assert sum(1 for _ in stream) == 99
