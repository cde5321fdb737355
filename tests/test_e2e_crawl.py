"""End-to-end: crawl a local site of real saved pages through the real Prefect flow into a
local folder and into S3 (SeaweedFS), then check the archive against the truth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archive.reader import ArchiveReader
from archive.store import open_store
from flows.crawl import crawl_all
from tests.e2e_helpers import BOILERPLATE, FAST_SETTINGS, body_recall, same_publication, write_sites_file

pytestmark = pytest.mark.slow


def crawl(sites_file: str, name: str, archive: str) -> Any:
    return crawl_all(
        sites=[name], sites_file=sites_file, archive=archive, settings=FAST_SETTINGS, return_state=True
    )


def test_crawl_local_site_end_to_end(
    news_site: Any, archive_uri: str, prefect_api: None, tmp_path: Path
) -> None:
    config = news_site.site_config()
    sites_file = write_sites_file(tmp_path, config)
    state = crawl(sites_file, config["name"], archive_uri)
    assert state.is_completed(), state.message

    store = open_store(archive_uri)
    reader = ArchiveReader(store)
    records = list(reader.iter_records(sites=[config["name"]]))
    expected = news_site.expected_articles()
    assert sorted(r.url for r in records) == sorted(expected), "exactly the real articles, each once"
    assert len({r.id for r in records}) == len(records)

    for r in records:
        truth = expected[r.url].meta
        assert same_publication(r, truth["publishing_date"]), (r.url, r.published, truth["publishing_date"])
        assert r.published.source is not None
        assert body_recall(r.text, truth["body"]) > 0.85, r.url
        assert not BOILERPLATE.search(r.text), (r.url, BOILERPLATE.search(r.text))
        assert r.raw is not None and store.exists(r.raw.key)
        assert r.run_id and r.content_hash.startswith(r.version)

    # robots.txt obeyed; the tracking-parameter duplicate and the redirect stored nothing extra
    assert not any(p.startswith("/private/") for p in news_site.requests)
    runs = list(reader.runs(config["name"]))
    assert len(runs) == 1 and runs[0].complete
    assert runs[0].stats.stored_new == len(expected)

    # a second run adds nothing and fetches no archived article again
    keys_before = {k for k in store.list("articles/")}
    fetched_before = len(news_site.requests)
    state2 = crawl(sites_file, config["name"], archive_uri)
    assert state2.is_completed(), state2.message
    assert {k for k in store.list("articles/")} == keys_before
    second = [m for m in reader.runs(config["name"]) if m.run_id != runs[0].run_id]
    assert len(second) == 1
    assert second[0].stats.stored_new == 0 and second[0].stats.skipped_archived >= len(expected)
    article_paths = {p for p in news_site.requests[fetched_before:] if p.startswith("/articles/")}
    assert not article_paths, article_paths


def test_every_fetched_page_ends_in_one_column_of_the_summary(news_site: Any, tmp_path: Path) -> None:
    """Articles older than max_age_days: those a feed or sitemap dates are never fetched, the
    rest are fetched and counted too old; the summary row's counts add up (issue: 'fetched 80,
    stored 0' with the too-old pages in no column)."""
    from core.config import parse_sites
    from flows.report import SiteResult, Thresholds, fetched_unaccounted, summary_row
    from spiders.crawljob import run_site_crawl

    config = {**news_site.site_config(), "name": "old-news"}
    config["limits"] = {**config["limits"], "max_age_days": 365}
    site = parse_sites({"sites": [config]}).sites[0]
    outcome = run_site_crawl(
        site, user_agent="T/1.0", archive_uri=str(tmp_path / "a"), run_id="r1", settings=FAST_SETTINGS
    )
    s, row = outcome.manifest.stats, summary_row(SiteResult("old-news", outcome.manifest), Thresholds())
    assert s.skipped_too_old > 0 and s.skipped_too_old_unfetched > 0, s
    assert (
        row["skipped_too_old"] == s.skipped_too_old
        and row["too_old_unfetched"] == s.skipped_too_old_unfetched
    )
    assert fetched_unaccounted(outcome.manifest) == row["unaccounted"] == 0, s
    article_hits = {p for p in news_site.requests if p.startswith("/articles/")}
    assert len(article_hits) == s.fetched + sum(f.stage == "fetch" for f in outcome.manifest.failures)
    assert len(article_hits) <= s.discovered - s.skipped_too_old_unfetched, (
        "dated too-old entries are not fetched"
    )
