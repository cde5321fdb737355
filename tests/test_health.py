"""Archive health: per-site counts per day from real run manifests and records, and a flow
run (Prefect test API) that ends Unhealthy when a site's counts fell to zero."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from archive import keys, records
from archive.records import ArticleRecord, DateInfo, ExtractorInfo, RawPointer, RunManifest, SiteStats
from archive.store import open_store
from archive.writer import ArchiveWriter
from flows.health import archive_health, artifact_key, run_day, site_health, window
from tests.fixtures.prefect_server import PrefectApi

TODAY = datetime.now(UTC).date()


def record(
    site: str, n: int, text: str, published: str | None, day: date, raw: RawPointer | None = None
) -> ArticleRecord:
    url = f"https://{site}.test/story-{day}-{n}"
    content_hash = records.content_hash("t", text)
    return ArticleRecord(
        id=keys.article_id(url), version=content_hash[:12], url=url, canonical_url=url, site=site, title="t",
        published=DateInfo(date=published, source="meta" if published else None), text=text,
        content_hash=content_hash, word_count=len(text.split()), crawled_at=f"{day}T10:00:00+00:00",
        run_id=f"run-{day}", extractor=ExtractorInfo(version="0", trafilatura="0"), raw=raw,
    )  # fmt: skip


def text_of(length: int, seed: str) -> str:
    """Distinct words per article, so the writer's near-duplicate check keeps them apart."""
    words = " ".join(hashlib.sha256(f"{seed}-{i}".encode()).hexdigest()[:8] for i in range(length))
    return words[:length]


def crawl_day(writer: ArchiveWriter, site: str, day: date, texts: list[tuple[str, str | None]]) -> None:
    """What one run on ``day`` leaves: its records and its manifest naming them."""
    written = []
    for n, (text, published) in enumerate(texts):
        url = f"https://{site}.test/story-{day}-{n}"
        raw = writer.store_raw(site, url, 200, [], text.encode(), datetime.now(UTC))
        r = record(site, n, text, published, day, raw)
        status = writer.store_article(r)
        written.append(
            {"id": r.id, "key": keys.article_key(site, published, r.id, r.version), "status": status}
        )
    stats = SiteStats(site=site, stored_new=len(texts), failed=1)
    started = f"{day}T10:00:00+00:00"
    writer.write_manifest(
        RunManifest(run_id=f"run-{day}", site=site, started_at=started, finished_at=started, complete=True,
                    stats=stats, written=written)
    )  # fmt: skip


@pytest.fixture
def archive(tmp_path: Path) -> str:
    """`steady` stores two articles a day (one undated); `broken` stopped 3 days ago."""
    uri = str(tmp_path / "archive")
    writer = ArchiveWriter(open_store(uri))
    for back in range(6):
        day = TODAY - timedelta(days=back)
        crawl_day(
            writer, "steady", day, [(text_of(100, f"a{day}"), str(day)), (text_of(300, f"b{day}"), None)]
        )
        crawl_day(writer, "broken", day, [(text_of(50, f"c{day}"), str(day))] if back >= 3 else [])
    return uri


def test_counts_per_day_undated_share_and_text_length(archive: str) -> None:
    days = window(TODAY, 5)
    steady = site_health(open_store(archive), "steady", days)
    assert [c.articles for c in steady.days.values()] == [2, 2, 2, 2, 2]
    assert [c.runs for c in steady.days.values()] == [1, 1, 1, 1, 1]
    assert steady.undated_share == 0.5
    assert steady.mean_text_chars == 200.0
    assert steady.status(quiet_days=2) == "ok"
    broken = site_health(open_store(archive), "broken", days)
    assert [c.articles for c in broken.days.values()] == [1, 1, 0, 0, 0]
    assert broken.status(quiet_days=2) == "fell-to-zero"
    assert broken.last_day_with_articles == TODAY - timedelta(days=3)
    assert site_health(open_store(archive), "never", days).status(2) == "nothing-stored"


def test_window_and_manifest_days() -> None:
    assert window(date(2026, 3, 2), 3) == [date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 2)]
    assert run_day("runs/site=a/20261123T235959Z-x.json") == date(2026, 11, 23)
    assert run_day("runs/site=a/notes.txt") is None
    assert artifact_key("archive-health", "my_site") == "archive-health-my-site"


@pytest.mark.slow
def test_health_flow_flags_sites_that_went_quiet(
    archive: str, harness_api: PrefectApi, tmp_path: Path
) -> None:
    sites_file = tmp_path / "sites.yaml"
    sites = [{"name": n, "start_urls": [f"https://{n}.test/"]} for n in ("steady", "broken", "never")]
    sites_file.write_text(yaml.safe_dump({"sites": sites}), encoding="utf-8")
    state = archive_health(
        archive=archive, sites_file=str(sites_file), days=5, quiet_days=2, return_state=True
    )
    assert state.is_completed() and state.name == "Unhealthy", (state.name, state.message)
    assert "broken" in (state.message or "") and "never" in (state.message or "")
    assert "steady" not in (state.message or "") and "verification" not in (state.message or "")

    run_id = str(state.state_details.flow_run_id)
    overview = {row["site"]: row for row in harness_api.table(run_id, "archive-health")}
    assert overview["steady"]["status"] == "ok" and overview["steady"]["articles"] == 10
    assert overview["steady"]["undated_share"] == 0.5 and overview["steady"]["mean_text_chars"] == 200.0
    assert overview["broken"]["status"] == "fell-to-zero" and overview["never"]["status"] == "nothing-stored"
    per_day = harness_api.table(run_id, "archive-health-steady")
    assert [row["date"] for row in per_day] == [str(d) for d in window(TODAY, 5)]
    assert all(row["articles"] == 2 and row["failed_pages"] == 1 for row in per_day)
    report = harness_api.artifacts(run_id)["archive-health-report"]["data"]
    assert "**broken**: last article stored" in report and "**never**: nothing stored" in report
    assert "## Archive verification" in report and "No problems." in report


@pytest.mark.slow
def test_health_flow_reports_archive_damage(archive: str, harness_api: PrefectApi, tmp_path: Path) -> None:
    store = open_store(archive)
    victim = next(k for k in store.list("articles/site=steady/") if k.endswith(".json"))
    (Path(archive) / victim).write_bytes(b'{"schema_version": 1')  # damage behind the store's back
    sites_file = tmp_path / "sites.yaml"
    sites_file.write_text(yaml.safe_dump({"sites": [{"name": "steady", "start_urls": ["https://s.test/"]}]}))
    state = archive_health(
        archive=archive, sites_file=str(sites_file), days=5, quiet_days=2, return_state=True
    )
    assert state.name == "Unhealthy" and "verification found 1 problem" in (state.message or ""), (
        state.message
    )
    report = harness_api.artifacts(str(state.state_details.flow_run_id))["archive-health-report"]["data"]
    assert f"unreadable: {victim}" in report
