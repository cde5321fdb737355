"""ArchiveWriter: deterministic keys, idempotent writes, crash-safe order (local and S3)."""

from __future__ import annotations

import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest

from archive import keys
from archive.feed import Claim
from archive.records import ArticleRecord, DateInfo, ExtractorInfo, RunManifest, SiteStats
from archive.store import ObjectStore, open_store
from archive.warc import read_warc_responses
from archive.writer import ArchiveWriter, IdIndexEntry

CANONICAL = "https://news.example/world/2026/11/20/story"


def make_record(
    text: str = "Body text.",
    *,
    url: str = CANONICAL,
    site: str = "example",
    published: str | None = "2026-11-20",
    crawled_at: str = "2026-11-23T10:51:00Z",
    **extra: Any,
) -> ArticleRecord:
    """A valid record whose id/version follow the documented rules."""
    title = extra.pop("title", "A story")
    content_hash = hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()
    return ArticleRecord(
        id=keys.article_id(url),
        version=content_hash[:12],
        url=url,
        canonical_url=url,
        site=site,
        title=title,
        published=DateInfo(date=published, source="meta" if published else None, raw=published),
        text=text,
        content_hash=content_hash,
        word_count=len(text.split()),
        crawled_at=crawled_at,
        run_id="run-1",
        extractor=ExtractorInfo(version="0.1.0", trafilatura="2.3.1"),
        raw=None,
        **extra,
    )


@pytest.fixture
def store(archive_uri: str) -> ObjectStore:
    return open_store(archive_uri)


@pytest.fixture
def writer(store: ObjectStore) -> ArchiveWriter:
    return ArchiveWriter(store)


def all_keys(store: ObjectStore, prefix: str) -> list[str]:
    return sorted(store.list(prefix))


# ------------------------------------------------------------------ raw pages


def test_store_raw_key_uses_utc_crawl_date_and_body_hash(writer: ArchiveWriter, store: ObjectStore) -> None:
    fetched = datetime(2026, 11, 22, 23, 30, tzinfo=timezone(timedelta(hours=-5)))  # 04:30 UTC on the 23rd
    body = b"<html>page</html>"
    pointer = writer.store_raw("example", CANONICAL, 200, [("Content-Type", "text/html")], body, fetched)
    assert pointer.key == keys.raw_key("example", "2026-11-23", CANONICAL, hashlib.sha256(body).hexdigest())
    [response] = read_warc_responses(store.get(pointer.key))
    assert (response.record_id, response.body, response.status) == (pointer.record_id, body, 200)


def test_store_raw_twice_points_at_the_stored_record(writer: ArchiveWriter, store: ObjectStore) -> None:
    fetched = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    first = writer.store_raw("example", CANONICAL, 200, [], b"same body", fetched)
    stored = store.get(first.key)
    second = writer.store_raw("example", CANONICAL, 200, [], b"same body", fetched + timedelta(hours=2))
    assert second == first  # the pointer names the record that exists, not one never written
    assert store.get(first.key) == stored
    assert len(all_keys(store, "raw/")) == 1


# ------------------------------------------------------------------ articles


def test_new_unchanged_new_version(writer: ArchiveWriter, store: ObjectStore) -> None:
    v1 = make_record("First text.")
    v2 = make_record("Updated text.", crawled_at="2026-11-24T08:00:00Z")
    assert writer.store_article(v1) == "new"
    assert writer.store_article(v1) == "unchanged"
    assert writer.store_article(v2) == "new_version"
    assert writer.store_article(v2) == "unchanged"
    assert writer.store_article(v1) == "unchanged"
    assert all_keys(store, "articles/") == sorted(
        keys.article_key("example", "2026-11-20", v.id, v.version) for v in (v1, v2)
    )
    assert all_keys(store, "ids/") == sorted(keys.id_index_key(v1.id, v.version) for v in (v1, v2))


class SlowListing:
    """The real store, with listings slow enough that two unguarded stores overlap."""

    def __init__(self, inner: ObjectStore) -> None:
        self.inner = inner

    def list(self, prefix: str) -> Any:
        time.sleep(0.3)
        return self.inner.list(prefix)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _store_at_once(writer: ArchiveWriter, records: list[ArticleRecord]) -> list[str]:
    with ThreadPoolExecutor(len(records)) as pool:  # as the crawl pipeline's store threads do
        return sorted(pool.map(writer.store_article, records))


def test_two_versions_stored_at_once_are_new_and_new_version(store: ObjectStore) -> None:
    """Two URLs with one canonical, stored by two threads at once: one "new", one "new_version"
    (both read "no versions yet" without the per-article turn)."""
    writer = ArchiveWriter(cast(ObjectStore, SlowListing(store)))
    v1, v2 = make_record("First text."), make_record("Updated text.")
    assert _store_at_once(writer, [v1, v2]) == ["new", "new_version"]


def test_one_text_under_two_urls_stored_at_once_is_one_record_and_an_alias(store: ObjectStore) -> None:
    writer = ArchiveWriter(cast(ObjectStore, SlowListing(store)))
    a = make_record("The same text.", url="https://news.example/a")
    b = make_record("The same text.", url="https://news.example/b")
    assert _store_at_once(writer, [a, b]) == ["alias", "new"]
    assert len(all_keys(store, "articles/")) == 1


def test_record_json_is_utf8_in_schema_order(writer: ArchiveWriter, store: ObjectStore) -> None:
    record = make_record("Ça coûte 5 € — 東京")
    writer.store_article(record)
    data = store.get(keys.article_key("example", "2026-11-20", record.id, record.version))
    assert "Ça coûte 5 € — 東京".encode() in data  # raw UTF-8, not \\u escapes
    assert list(json.loads(data)) == list(ArticleRecord.model_fields)
    assert ArticleRecord.model_validate_json(data) == record


def test_undated_article_goes_to_date_unknown(writer: ArchiveWriter, store: ObjectStore) -> None:
    record = make_record(published=None)
    writer.store_article(record)
    assert all_keys(store, "articles/") == [
        f"articles/site=example/date=unknown/{record.id}-{record.version}.json"
    ]


def test_id_index_pointer_content(writer: ArchiveWriter, store: ObjectStore) -> None:
    record = make_record()
    writer.store_article(record)
    entry = IdIndexEntry.model_validate_json(store.get(keys.id_index_key(record.id, record.version)))
    assert entry == IdIndexEntry(
        key=keys.article_key("example", "2026-11-20", record.id, record.version),
        url=record.url,
        site="example",
        version=record.version,
        content_hash=record.content_hash,
        crawled_at=record.crawled_at,
        published="2026-11-20",
        feed=Claim(log=writer.feed.log or "", seq=0),  # the version's feed claim rides along
    )
    assert store.exists(keys.feed_slot_key(writer.feed.log or "", 0))


def test_crash_between_record_and_pointer_is_completed_by_rerun(
    writer: ArchiveWriter, store: ObjectStore
) -> None:
    record = make_record()
    key = keys.article_key("example", "2026-11-20", record.id, record.version)
    store.put_if_absent(key, record.model_dump_json().encode())  # the crash: no id pointer yet
    assert writer.store_article(record) == "unchanged"
    assert store.exists(keys.id_index_key(record.id, record.version))
    assert all_keys(store, "articles/") == [key]


def test_same_version_with_a_new_date_is_not_stored_twice(writer: ArchiveWriter, store: ObjectStore) -> None:
    writer.store_article(make_record(published="2026-11-20"))
    assert writer.store_article(make_record(published="2026-11-21")) == "unchanged"
    assert len(all_keys(store, "articles/")) == 1


# ------------------------------------------------------------------ URL markers


def test_url_markers(writer: ArchiveWriter, store: ObjectStore) -> None:
    urls = [CANONICAL, CANONICAL + "?utm_source=x", CANONICAL]  # duplicate on purpose
    writer.mark_urls("example", urls, "id-1")
    writer.mark_urls("example", [CANONICAL], "id-2")  # markers are never overwritten
    assert writer.archived_url_hashes("example") == {keys.url_hash(u) for u in urls}
    assert writer.archived_url_hashes("other") == set()
    assert writer.is_archived("example", CANONICAL + "?utm_source=x")
    assert not writer.is_archived("example", CANONICAL + "?page=2")
    assert not writer.is_archived("other", CANONICAL)
    marker = json.loads(store.get(keys.url_marker_key("example", CANONICAL)))
    assert marker == {"url": CANONICAL, "id": "id-1"}


# ------------------------------------------------------------------ manifests


def test_write_manifest_key_and_content(writer: ArchiveWriter, store: ObjectStore) -> None:
    manifest = RunManifest(
        run_id="run-7",
        site="example",
        started_at="2026-11-23T10:51:00+01:00",
        finished_at="2026-11-23T11:02:00+01:00",
        complete=True,
        stats=SiteStats(site="example", fetched=3, stored_new=2),
        written=[{"id": "a", "key": "k", "version": "v", "content_hash": "h", "status": "new"}],
    )
    key = writer.write_manifest(manifest)
    assert key == "runs/site=example/20261123T095100Z-run-7.json"
    assert RunManifest.model_validate_json(store.get(key)) == manifest
    assert writer.write_manifest(manifest) == key  # idempotent
    assert all_keys(store, "runs/") == [key]
