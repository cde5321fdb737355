"""Many sites in ONE crawl process (issue 9): one Scrapy crawler per site on one reactor, so the
fixed cost of a process is shared while each site keeps its own politeness, robots.txt,
limits, stats and run manifest, and a site that cannot be crawled ends alone."""

from __future__ import annotations

import statistics
from contextlib import ExitStack
from itertools import pairwise

import pytest

from archive.reader import ArchiveReader
from archive.store import open_store
from core.config import Site
from demosite import NewsSite, Route
from spiders.crawljob import CrawlProcessError, run_sites_crawl
from tests.e2e_helpers import FAST_SETTINGS
from tests.fixtures.sites import truth_pages

pytestmark = pytest.mark.slow

PAGES = 2
# FAST_SETTINGS without the process-wide zero delay: each site's own delay applies
PER_SITE = {k: v for k, v in FAST_SETTINGS.items() if k != "DOWNLOAD_DELAY"}


def test_eight_sites_crawl_in_one_process_each_with_its_own_settings_and_manifest(tmp_path) -> None:  # type: ignore[no-untyped-def]
    archive = str(tmp_path / "archive")
    pages = truth_pages(8 * PAGES, seed=5)
    with ExitStack() as stack:
        sites = [
            stack.enter_context(NewsSite(pages[i * PAGES : (i + 1) * PAGES], name=f"multi-{i}"))
            for i in range(8)
        ]
        blocked = stack.enter_context(NewsSite(truth_pages(2, seed=6), name="multi-blocked"))
        blocked.add_route("/robots.txt", Route.text("User-agent: *\nDisallow: /\n"))
        configs = [Site.model_validate(s.site_config()) for s in [*sites, blocked]]
        polite = configs[0]
        polite.limits.download_delay, polite.limits.concurrency = 0.6, 1
        nowhere = Site.model_validate({"name": "multi-nowhere", "start_urls": ["http://127.0.0.1:9/"]})
        configs.append(nowhere)
        agents = {c.name: f"dateline-test/{c.name}" for c in configs}

        outcomes = run_sites_crawl(configs, agents, archive, "r1", settings=PER_SITE)

    assert list(outcomes) == [c.name for c in configs]
    pids = {o.pid for o in outcomes.values()}
    assert len(pids) == 1 and None not in pids, "every site was crawled by the same child process"
    reader = ArchiveReader(open_store(archive))
    for site in sites:
        outcome = outcomes[site.name]
        stats = outcome.manifest.stats
        assert outcome.error is None and outcome.manifest.complete, (site.name, outcome.error)
        assert stats.stored_new == len(site.expected_articles()) == len(outcome.manifest.written)
        assert {w["url"] for w in outcome.manifest.written} == set(site.expected_articles())
        assert {r.url for r in reader.iter_records([site.name])} == set(site.expected_articles())
        assert outcome.manifest_key.startswith(f"runs/site={site.name}/")
        agents_seen = {r.headers.get("User-Agent") for r in site.log}
        assert agents_seen == {agents[site.name]}, "each crawler sends its own site's user agent"
        assert "/private/" not in " ".join(site.requests), "each site's own robots.txt is obeyed"

    # the blocked site ends alone: robots.txt disallows everything, nothing stored, the run completes
    b = outcomes[blocked.name]
    assert b.error is None and b.manifest.complete
    assert b.manifest.stats.stored_new == 0 and b.manifest.stats.skipped_robots > 0
    assert not set(blocked.requests) & set(blocked.layout.articles), "no page robots.txt disallows"
    # the unreachable site ends alone, counted as unreachable, in its own manifest
    n = outcomes[nowhere.name]
    assert (
        n.manifest.stats.unreachable and not n.ran and n.manifest_key.startswith("runs/site=multi-nowhere/")
    )

    # politeness per crawler: the polite site's requests are spaced by its delay (Scrapy's jitter
    # makes it 0.5-1.5 x 0.6 s), one at a time; a site without delay is fetched much faster. The
    # times are the server's arrival times: on a loaded machine one arrival can lag its send by a
    # tenth of a second, so the bound is on the median gap, with a looser floor for every gap
    times = sorted(r.time for r in sites[0].log)
    gaps = [b - a for a, b in pairwise(times)]
    assert len(times) >= 5 and statistics.median(gaps) >= 0.4 and min(gaps) >= 0.1, times
    fast = sorted(r.time for r in sites[1].log)
    assert min(b - a for a, b in pairwise(fast)) < 0.25, fast


def test_a_dead_child_gives_every_site_an_outcome_worth_a_retry(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A crawl process that dies before its sites finish (here: Scrapy cannot install the reactor
    it is told to, an uncaught error in the child) leaves each of its sites an incomplete
    manifest and a CrawlProcessError (the flows retry those)."""
    archive = str(tmp_path / "archive")
    with ExitStack() as stack:
        sites = [stack.enter_context(NewsSite(truth_pages(2, seed=7), name=f"dead-{i}")) for i in range(2)]
        configs = [Site.model_validate(s.site_config()) for s in sites]
        agents = {c.name: "t" for c in configs}
        outcomes = run_sites_crawl(
            configs, agents, archive, "r1", settings={"TWISTED_REACTOR": "no.such.Reactor"}
        )
    assert list(outcomes) == [c.name for c in configs]
    for name, outcome in outcomes.items():
        assert isinstance(outcome.error, CrawlProcessError), (name, outcome.error)
        assert not outcome.manifest.complete
        assert outcome.manifest_key.startswith(f"runs/site={name}/")
