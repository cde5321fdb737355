"""Bad pages end as recorded failures with reasons, and the run still completes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archive.reader import ArchiveReader
from archive.store import open_store
from core.config import parse_sites
from spiders.crawljob import run_site_crawl
from tests.e2e_helpers import FAST_SETTINGS

pytestmark = pytest.mark.slow


def test_hostile_pages_are_recorded_not_dropped(hostile_site: Any, tmp_path: Path) -> None:
    archive = str(tmp_path / "archive")
    site = parse_sites({"sites": [hostile_site.site_config()]}).sites[0]
    outcome = run_site_crawl(
        site, user_agent="test", archive_uri=archive, run_id="r1", settings=FAST_SETTINGS
    )
    m = outcome.manifest
    assert m.complete
    by_url = {f.url.rsplit("/", 1)[-1]: f for f in m.failures}
    assert by_url["server-error.html"].reason == "http-500"
    assert by_url["gone.html"].reason == "http-404"
    assert by_url["slow.html"].reason == "timeout"
    assert by_url["empty.html"].stage == "extract"
    assert by_url["binary.html"].stage == "extract"
    assert by_url["empty.html"].raw is not None, "the raw page of a failed extraction is kept"
    for f in m.failures:
        assert f.reason and f.at
    # the real articles still made it
    stored = {r.url for r in ArchiveReader(open_store(archive)).iter_records()}
    assert set(hostile_site.expected_articles()) <= stored
    assert m.stats.failed == len(m.failures) >= 5


def test_unreachable_site_is_reported(tmp_path: Path) -> None:
    site = parse_sites(
        {
            "sites": [
                {
                    "name": "nowhere",
                    "start_urls": ["http://127.0.0.1:9/"],
                    "feeds": ["http://127.0.0.1:9/rss"],
                }
            ]
        }
    ).sites[0]
    outcome = run_site_crawl(
        site, user_agent="t", archive_uri=str(tmp_path / "a"), run_id="r", settings=FAST_SETTINGS
    )
    assert outcome.manifest.stats.unreachable
    assert not outcome.ran
    assert set(outcome.manifest.stats.failures_by_reason) <= {"connection-refused"}
