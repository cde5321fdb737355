"""The hourly steady state: a second crawl of a site with nothing new fetches only its listings.

The site has short-slug article URLs (``/news/<two words>/``) that do not look like articles,
linked from the front and section pages, and article pages that link to the site's navigation
and to other articles (issue 9: every archived article used to be fetched again as a listing
and its links followed, hundreds of 404s per site and run).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from archive.reader import ArchiveReader
from archive.store import open_store
from core.config import Site
from demosite import NewsSite
from spiders.crawljob import run_site_crawl
from tests.e2e_helpers import FAST_SETTINGS
from tests.fixtures.sites import truth_pages

pytestmark = pytest.mark.slow


def test_second_run_fetches_no_article_and_only_listings(tmp_path: Path) -> None:
    archive = str(tmp_path / "archive")
    with NewsSite(truth_pages(5, seed=3), name="short-news", short_urls=True) as site:
        config = Site.model_validate(site.site_config())
        articles = {path for path in site.layout.articles}
        assert all(path.startswith("/news/") for path in articles)

        first = run_site_crawl(
            config, user_agent="t", archive_uri=archive, run_id="r1", settings=FAST_SETTINGS
        )
        stored = {r.url for r in ArchiveReader(open_store(archive)).iter_records(["short-news"])}
        assert stored == set(site.expected_articles()), "the first run archives every article"
        assert first.manifest.stats.stored_new == len(articles)
        first_requests = list(site.requests)
        store = open_store(archive)
        per_run = ("runs/", "profiles/", "feed/registry/")  # and the feed logs' ends
        objects = [
            k for k in store.list("") if not k.startswith(per_run) and b'"kind":"end"' not in store.get(k)
        ]
        kinds = Counter(k.split("/", 1)[0] for k in objects)
        assert not kinds.keys() & {"lsh", "sims"}, "similarity is indexed in batch, not per article"
        assert len(objects) / len(articles) <= 6, kinds
        # each article fetched once, whichever role found it first
        assert sorted(p for p in first_requests if p in articles) == sorted(articles)

        site.clear_requests()
        second = run_site_crawl(
            config, user_agent="t", archive_uri=archive, run_id="r2", settings=FAST_SETTINGS
        )
        requested = list(site.requests)

    assert not [p for p in requested if p in articles], "no article page is fetched again"
    listings = {p for p in site.layout.routes if p not in articles}
    assert set(requested) <= listings, set(requested) - listings  # and no link of an article page
    assert len(requested) == len(set(requested))
    stats = second.manifest.stats
    assert (stats.fetched, stats.stored_new, stats.failed) == (0, 0, 0)
    assert stats.skipped_archived >= len(articles)
    assert len(requested) < len(first_requests)
