"""`dateline verify`: a good archive (real crawl, or the writer) is clean; each kind of damage is
found by its kind, on a local folder and on SeaweedFS."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from archive import keys
from archive.records import ArticleRecord, DateInfo, ExtractorInfo, content_hash
from archive.store import LocalStore, ObjectStore, S3Store, open_store
from archive.verify import (
    DANGLING_FEED_ENTRY,
    DANGLING_MARKER,
    HASH_MISMATCH,
    MISSING_RAW,
    MISSING_RECORD,
    UNREADABLE,
    verify,
)
from archive.writer import ArchiveWriter, UrlMarker
from core.config import parse_sites
from dateline.cli import app
from spiders.crawljob import run_site_crawl, write_manifest
from tests.e2e_helpers import FAST_SETTINGS

runner = CliRunner()
SITE = "verify-news"
TODAY = datetime.now(UTC).date()


def _record(n: int, raw: Any, published: str | None) -> ArticleRecord:
    url = f"https://verify.test/articles/2026/story-{n}"
    title, text = f"Story {n}", f"Paragraph one of story {n}.\n\nParagraph two, with words {n * 7}."
    chash = content_hash(title, text)
    return ArticleRecord(
        id=keys.article_id(url), version=chash[:12], url=url, canonical_url=url,
        aliases=[url + "?utm_source=rss"], site=SITE, title=title,
        published=DateInfo(date=published, source="meta" if published else None), text=text,
        content_hash=chash, word_count=len(text.split()), crawled_at=datetime.now(UTC).isoformat(),
        run_id="run-1", extractor=ExtractorInfo(version="0", trafilatura="0"), raw=raw,
    )  # fmt: skip


def build_archive(uri: str, n: int = 4, written: datetime | None = None) -> list[ArticleRecord]:
    """What a crawl leaves, through the writer: raw WARC, record, pointers, feed entry, markers
    (``written``: the writer's clock, which dates its change-feed log)."""
    records = []
    clock = (lambda: written) if written else None
    with ArchiveWriter(open_store(uri), clock=clock) as writer:
        for i in range(n):
            url = f"https://verify.test/articles/2026/story-{i}"
            body = f"<html><body><h1>Story {i}</h1></body></html>".encode()
            raw = writer.store_raw(SITE, url, 200, [("Content-Type", "text/html")], body, datetime.now(UTC))
            rec = _record(i, raw, None if i == 0 else str(TODAY - timedelta(days=i)))
            assert writer.store_article(rec) == "new"
            writer.mark_urls(SITE, [rec.canonical_url, *rec.aliases], rec.id)
            records.append(rec)
    return records


def key_of(rec: ArticleRecord) -> str:
    return keys.article_key(rec.site, rec.published.date, rec.id, rec.version)


def overwrite(store: ObjectStore, key: str, data: bytes | None) -> None:
    """Damage behind the store's back (the archive itself never overwrites or deletes)."""
    if isinstance(store, LocalStore):
        path = store.root / key
        if data is None:
            path.unlink()
        else:
            path.write_bytes(data)
    else:
        assert isinstance(store, S3Store)
        client: Any = store._client
        if data is None:
            client.delete_object(Bucket=store.bucket, Key=store.prefix + key)
        else:
            client.put_object(Bucket=store.bucket, Key=store.prefix + key, Body=data)


def test_writer_archive_verifies_clean(archive_uri: str) -> None:
    records = build_archive(archive_uri)
    report = verify(open_store(archive_uri))
    assert report.ok, report.summary()
    assert report.checked["records"] == len(records)
    assert report.checked["raw_pages"] == len(records)
    assert report.checked["url_markers"] == 2 * len(records)
    assert report.checked["feed_entries"] == len(records)


def test_each_kind_of_damage_is_found(archive_uri: str) -> None:
    records = build_archive(archive_uri, n=6)
    store = open_store(archive_uri)
    truncated, rehashed, no_raw, untouched, feed_gone, _ = records
    overwrite(store, key_of(truncated), store.get(key_of(truncated))[:40])
    forged = json.loads(store.get(key_of(rehashed)))
    forged["text"] += " An edit nobody re-hashed."
    overwrite(store, key_of(rehashed), json.dumps(forged).encode())
    assert no_raw.raw is not None
    overwrite(store, no_raw.raw.key, None)
    ghost = "https://verify.test/articles/ghost"
    ghost_marker = keys.url_marker_key(SITE, ghost)
    overwrite(store, ghost_marker, UrlMarker(url=ghost, id=keys.article_id(ghost)).model_dump_json().encode())
    overwrite(store, key_of(feed_gone), None)  # its feed entry, pointer and markers now dangle

    report = verify(store)
    found = {(p.kind, p.key) for p in report.first}
    assert (UNREADABLE, key_of(truncated)) in found
    assert (HASH_MISMATCH, key_of(rehashed)) in found
    assert (MISSING_RAW, key_of(no_raw)) in found
    assert (DANGLING_MARKER, ghost_marker) in found
    assert (DANGLING_MARKER, keys.url_marker_key(SITE, feed_gone.url)) in found
    assert DANGLING_FEED_ENTRY in {p.kind for p in report.first}
    assert any(feed_gone.id in p.detail for p in report.first if p.kind == DANGLING_FEED_ENTRY)
    assert not any(untouched.id in p.key or untouched.id in p.detail for p in report.first)
    assert report.problem_counts[UNREADABLE] == 1 and report.problem_counts[HASH_MISMATCH] == 1


def test_feed_entry_of_a_missing_record_is_found_alone(tmp_path: Path) -> None:
    uri = str(tmp_path / "a")
    (rec,) = build_archive(uri, n=1)
    store = open_store(uri)
    overwrite(store, key_of(rec), None)
    overwrite(store, keys.id_index_key(rec.id, rec.version), None)
    for url in (rec.canonical_url, *rec.aliases):
        overwrite(store, keys.url_marker_key(SITE, url), None)
    report = verify(store)
    assert dict(report.problem_counts) == {DANGLING_FEED_ENTRY: 1}, report.summary()


def test_since_limits_the_walk_and_still_checks_what_runs_wrote(tmp_path: Path) -> None:
    uri = str(tmp_path / "a")
    # published: unknown, today-1, today-2, today-3; feed log opened 10 days ago
    records = build_archive(uri, n=4, written=datetime.now(UTC) - timedelta(days=10))
    store = open_store(uri)
    old = records[3]
    overwrite(store, key_of(old), store.get(key_of(old))[:10])
    assert not verify(store, since=TODAY - timedelta(days=2)).problem_counts  # out of range
    assert verify(store, since=TODAY - timedelta(days=3)).problem_counts[UNREADABLE] == 1
    assert verify(store, site="other-site").ok


def test_since_finds_records_a_recent_run_names_but_that_are_missing(tmp_path: Path) -> None:
    from archive.records import RunManifest, SiteStats

    uri = str(tmp_path / "a")
    records = build_archive(uri, n=2)
    store = open_store(uri)
    gone = keys.article_key(SITE, "2001-01-01", records[0].id, "0" * 12)
    now = datetime.now(UTC).isoformat()
    written = [{"key": key_of(records[1]), "status": "new"}, {"key": gone, "status": "new"}]
    ArchiveWriter(store).write_manifest(
        RunManifest(run_id="r", site=SITE, started_at=now, finished_at=now, complete=True,
                    stats=SiteStats(site=SITE), written=written)
    )  # fmt: skip
    report = verify(store, since=TODAY)
    assert [(p.kind, p.key) for p in report.first] == [(MISSING_RECORD, gone)]


def test_cli_exit_codes_and_report(tmp_path: Path) -> None:
    uri = str(tmp_path / "a")
    records = build_archive(uri, n=2)
    clean = runner.invoke(app, ["verify", "--archive", uri, "--json"])
    assert clean.exit_code == 0, clean.output
    assert json.loads(clean.stdout)["checked"]["records"] == 2
    store = open_store(uri)
    overwrite(store, key_of(records[1]), b"{")
    damaged = runner.invoke(app, ["verify", "--archive", uri, "--since", str(date(2000, 1, 1))])
    assert damaged.exit_code == 1
    assert f"unreadable: {key_of(records[1])}" in damaged.stdout
    assert runner.invoke(app, ["verify", "--archive", uri, "--since", "yesterday"]).exit_code == 1


@pytest.mark.slow
def test_real_crawl_of_a_loopback_site_verifies_clean(demo_site: Any, archive_uri: str) -> None:
    site = parse_sites({"sites": [demo_site.site_config()]}).sites[0]
    outcome = run_site_crawl(
        site, user_agent="t", archive_uri=archive_uri, run_id="r1", settings=FAST_SETTINGS
    )
    write_manifest(archive_uri, outcome.manifest)
    assert outcome.manifest.stats.stored_new >= 5
    store = open_store(archive_uri)
    report = verify(store)
    assert report.ok, report.summary()
    assert report.checked["records"] == outcome.manifest.stats.stored_new
    assert report.checked["feed_entries"] == outcome.manifest.stats.stored_new
    recent = verify(store, site=site.name, since=TODAY)
    assert recent.ok and recent.checked["run_manifests"] == 1
    # a record of the crawl, cut short (as a half-written object would be), is found
    victim = outcome.manifest.written[0]["key"]
    overwrite(store, victim, store.get(victim)[: len(store.get(victim)) // 2])
    assert verify(store, since=TODAY).problem_counts[UNREADABLE] == 1
