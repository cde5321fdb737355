"""Low extraction confidence is counted per site: a crawl of real pages, two of them served as
paywalled teasers (visible lead only, full body in JSON-LD), counts exactly the records whose
confidence is low, shows the count in the summary row and the report, and the archive-health
flow warns about the site's low-confidence share."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from prefect.logging.handlers import APILogWorker

from archive.reader import ArchiveReader
from archive.store import open_store
from core.config import parse_sites
from demosite import NewsSite
from extraction.confidence import is_low
from flows.health import archive_health, report_markdown, site_health, window
from flows.report import SiteResult, Thresholds, run_report_markdown, summary_row
from spiders.crawljob import run_site_crawl
from tests.e2e_helpers import FAST_SETTINGS
from tests.fixtures.prefect_server import PrefectApi
from tests.fixtures.sites import teaser_page, truth_pages, truth_record

TEASERS = ("Taz_2023_04_28.html.gz", "NineNews_2026_07_04.html.gz")


@pytest.mark.slow
def test_low_confidence_is_counted_per_site_in_the_crawl_and_the_health_flow(
    site_factory: Callable[..., NewsSite], harness_api: PrefectApi, tmp_path: Path
) -> None:
    plain = [p for p in truth_pages(6, seed=7) if not p.meta["file"].endswith(TEASERS)][:3]
    teasers = [teaser_page(truth_record(f)) for f in TEASERS]
    local = site_factory([*plain, *teasers], name="teaser-news")
    site = parse_sites({"sites": [local.site_config()]}).sites[0]
    archive = str(tmp_path / "archive")

    outcome = run_site_crawl(site, user_agent="t", archive_uri=archive, run_id="r1", settings=FAST_SETTINGS)
    stats = outcome.manifest.stats
    assert stats.stored_new == len(plain) + len(teasers), stats
    records = list(ArchiveReader(open_store(archive)).iter_records())
    low = {r.url for r in records if is_low(r.extraction)}
    teaser_urls = {local.article_url(p) for p in teasers}
    assert teaser_urls <= {r.url for r in records} and low == teaser_urls, {
        r.url: r.extraction for r in records
    }
    assert stats.low_confidence == len(low)

    row = summary_row(SiteResult("teaser-news", outcome.manifest), Thresholds())
    assert list(row)[:6] == ["site", "outcome", "stored", "failed", "reasons", "low_confidence"]
    assert row["low_confidence"] == 2 and row["stored"] == 5
    report = run_report_markdown([SiteResult("teaser-news", outcome.manifest)], archive, Thresholds())
    assert "- **teaser-news**: 2 of 5 stored article(s) have low extraction confidence" in report
    assert "low confidence 2 of 5 stored" in report

    days = window(datetime.now(UTC).date(), 3)
    health = site_health(open_store(archive), "teaser-news", days)
    assert health.low_confidence_share == 0.4 and health.low_confidence_over(0.2)
    assert not health.low_confidence_over(0.5)
    assert "**teaser-news**: 2 of 5 sampled record(s)" in report_markdown([health], days, 2, archive, 0.2)

    sites_file = tmp_path / "sites.yaml"
    sites_file.write_text(yaml.safe_dump({"sites": [local.site_config()]}), encoding="utf-8")
    state = archive_health(
        archive=archive, sites_file=str(sites_file), days=3, verify_days=0, return_state=True
    )
    run_id = str(state.state_details.flow_run_id)
    assert state.is_completed() and state.name == "Completed", (state.name, state.message)
    assert harness_api.table(run_id, "archive-health")[0]["low_confidence_share"] == 0.4
    APILogWorker.drain_all(timeout=10)  # in-process runs send their logs in batches
    warned = [m for m in harness_api.warnings([run_id]) if "low extraction confidence" in m]
    assert warned and "[teaser-news] 40% of 5 sampled record(s)" in warned[0] and "http://" in warned[0], (
        warned
    )
