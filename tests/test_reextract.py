"""Re-extraction: stored raw pages cleaned again give new versions where the text changed
(and nothing where it did not), without a re-crawl (local and S3)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archive import feed
from archive.reader import ArchiveReader
from archive.records import ArticleRecord, Discovery
from archive.store import ObjectStore, open_store
from archive.writer import ArchiveWriter
from core.recordbuilder import build_record
from core.times import iso_utc
from dateline.cli import app
from extraction.extract import decode_html, extract_page
from extraction.model import PageHints
from flows.reextract import reextract_site
from tests.fixtures.sites import DATASET_DIR, load_truth

FETCHED = datetime(2026, 2, 9, 12, 0, tzinfo=UTC)
LEAKED = "\n\nRead more: the ten best harbour walks"  # what an older extractor let through


def dataset_page(country: str = "us") -> tuple[str, bytes]:
    truth = next(t for t in load_truth() if t["country"] == country and t["publishing_date"])
    return str(truth["url"]), gzip.decompress((DATASET_DIR / truth["file"]).read_bytes())


def archived_with_old_text(store: ObjectStore, site: str = "us-news") -> ArticleRecord:
    """A page archived by an 'older extractor': today's text plus a leaked teaser line."""
    url, body = dataset_page()
    writer = ArchiveWriter(store)
    raw = writer.store_raw(site, url, 200, [("Content-Type", "text/html; charset=utf-8")], body, FETCHED)
    ex = extract_page(decode_html(body, "utf-8"), PageHints(url=url, site=site, crawled_at=FETCHED))
    ex = ex.model_copy(update={"text": ex.text + LEAKED})
    old = build_record(ex, site=site, fetched_url=url, other_urls=[], crawled_at=iso_utc(FETCHED),
                       run_id="crawl-1", raw=raw, discovery=Discovery(via="feed"))  # fmt: skip
    assert writer.store_article(old) == "new"
    return old


@pytest.fixture
def store(archive_uri: str) -> ObjectStore:
    return open_store(archive_uri)


def test_changed_text_becomes_the_latest_version(store: ObjectStore, archive_uri: str) -> None:
    old = archived_with_old_text(store)
    _, cursor = feed.changes(store)
    manifest = reextract_site(archive_uri, "us-news", "reextract-1")
    assert (manifest.stats.stored_new_version, manifest.stats.unchanged, manifest.stats.failed) == (1, 0, 0)
    assert (
        manifest.complete and manifest.run_id == "reextract-1" and manifest.stats.finish_reason == "reextract"
    )

    reader = ArchiveReader(store)
    latest = reader.get(old.id)
    assert latest is not None and latest.version != old.version
    assert latest.text == old.text.removesuffix(LEAKED)
    assert (latest.id, latest.canonical_url, latest.raw, latest.url) == (
        old.id,
        old.canonical_url,
        old.raw,
        old.url,
    )
    assert latest.crawled_at == old.crawled_at  # still the time the page was fetched ...
    assert latest.extracted_at is not None and latest.run_id == "reextract-1"  # ... cleaned again now
    assert [v.version for v in reader.versions(old.id)] == [old.version, latest.version]
    assert [r.version for r in reader.iter_records(["us-news"])] == [latest.version]
    assert [(e.id, e.version) for e in feed.changes(store, cursor)[0]] == [(old.id, latest.version)]
    assert [m.run_id for m in reader.runs("us-news")] == ["reextract-1"]
    assert manifest.written[0]["version"] == latest.version


def test_rerun_and_unchanged_text_store_nothing(store: ObjectStore, archive_uri: str) -> None:
    old = archived_with_old_text(store)
    reextract_site(archive_uri, "us-news", "reextract-1")
    keys_before = sorted(store.list("articles/"))
    again = reextract_site(archive_uri, "us-news", "reextract-2")
    assert (again.stats.stored_new_version, again.stats.unchanged) == (0, 1)
    assert sorted(store.list("articles/")) == keys_before
    assert len(ArchiveReader(store).versions(old.id)) == 2


def test_pages_outside_the_dates_or_without_raw_are_left_alone(store: ObjectStore, archive_uri: str) -> None:
    old = archived_with_old_text(store)
    day = old.published.date
    assert day is not None
    outside = reextract_site(archive_uri, "us-news", "r", since=datetime(2100, 1, 1, tzinfo=UTC).date())
    assert outside.stats.stored_new_version == outside.stats.unchanged == 0
    no_raw = old.model_copy(
        update={
            "raw": None,
            "id": "f" * 20,
            "url": "https://x.example/n",
            "canonical_url": "https://x.example/n",
        }
    )
    ArchiveWriter(store).store_article(no_raw)
    run = reextract_site(archive_uri, "us-news", "r2")
    assert run.stats.stored_new_version == 1 and run.stats.failed == 0  # the one with a raw page


@pytest.mark.slow
def test_cli_reextract_runs_the_flow(tmp_path: Path, prefect_api: None) -> None:
    uri = str(tmp_path / "archive")
    store = open_store(uri)
    old = archived_with_old_text(store)
    args = ["reextract", "--archive", uri, "--site", "us-news", "--since", old.published.date or ""]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "us-news" in result.stderr
    latest = ArchiveReader(store).get(old.id)
    assert latest is not None and latest.version != old.version and latest.extracted_at
    again = CliRunner().invoke(app, args)  # nothing changed since: no new version
    assert again.exit_code == 0 and len(ArchiveReader(store).versions(old.id)) == 2
    bad = CliRunner().invoke(app, ["reextract", "--archive", uri, "--since", "2026-13-01"])
    assert bad.exit_code == 1
