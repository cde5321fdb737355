"""Child-process entry point: ONE crawl process for a list of sites (Twisted's reactor cannot restart).

    python -m spiders.run --sites-json '[{...}, ...]' --user-agents-json '{"site": "UA"}' \
        --archive URI --run-id ID --crawled-at ISO

Every site is its own Scrapy Crawler on the one reactor (``process.crawl`` once per site), so each
has its own settings (delay, concurrency, robots.txt, AutoThrottle, limits, CLOSESPIDER_*), stats
and ArchivePipeline, and a blocked or failing site closes its own crawler alone; the fixed cost of
a process, its reactor and its extraction pool (spiders.pipelines, one per process) is shared.
Events go to stdout as JSON lines (spiders.events), each naming its site; logs go to stderr, each
WARNING+ line from a site's crawler starting with ``[<site>]``. Exit codes: 0 finished, 3 the
archive could not be opened or read for any site, 4 bad arguments.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from datetime import datetime
from typing import TYPE_CHECKING

from core import procs
from core.config import Site

if TYPE_CHECKING:
    from scrapy.settings import Settings

# Scrapy, the archive and the spider are imported in the functions: each extraction worker is
# spawned from this process and imports this module again as its __main__ (multiprocessing's
# "spawn"), so what is imported here every worker pays for before its first page.

PARENT_GONE_GRACE = 10.0


def build_settings(site: Site, user_agent: str, extra: dict[str, object]) -> Settings:
    from scrapy.settings import Settings

    from spiders import settings as default_settings
    from spiders.settings import site_settings

    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    # "spider" priority: CrawlerProcess.crawl merges the process's project settings into each
    # crawler (Scrapy >= 2.19), which must not undo the site's own delay, concurrency, limits
    settings.update(site_settings(site, user_agent), priority="spider")
    settings.update(extra, priority="cmdline")
    return settings


def process_settings(extra: dict[str, object]) -> Settings:
    """What the process shares (reactor, logging, DNS, thread pool): the defaults and ``extra``."""
    from scrapy.settings import Settings

    from spiders import settings as default_settings

    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    settings.update(extra, priority="cmdline")
    return settings


class SiteLogFilter(logging.Filter):
    """Names the site in every log line a site's crawler writes (Scrapy passes the spider in
    ``extra``), so the parent can route a warning to that site's run log."""

    def filter(self, record: logging.LogRecord) -> bool:
        site = getattr(getattr(record, "spider", None), "site", None)
        name = getattr(site, "name", None)
        if name:
            message = record.getMessage()
            if not message.startswith(f"[{name}]"):
                record.msg, record.args = f"[{name}] {message}", ()
        return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m spiders.run")
    ap.add_argument("--sites-json", required=True, help="a JSON list of site configs")
    ap.add_argument("--user-agents-json", required=True, help='{"<site>": "<user agent>"}')
    ap.add_argument("--archive", required=True)
    ap.add_argument("--run-id", required=True)
    ap.add_argument("--crawled-at", required=True)
    ap.add_argument("--refresh", action="store_true")
    ap.add_argument("--settings-json", default="{}", help="extra Scrapy settings (tests, tuning)")
    args = ap.parse_args(argv)
    # Parent gone (killed, even while importing): Scrapy's graceful stop on SIGTERM, and gone for good 10 s later.
    procs.die_with_parent(procs.parent_pid_from_env(), signal.SIGTERM, grace=PARENT_GONE_GRACE)
    from pydantic import TypeAdapter
    from scrapy.crawler import Crawler, CrawlerProcess

    from archive.store import StoreError, open_store
    from archive.writer import ArchiveWriter
    from spiders import events, pipelines
    from spiders.news import NewsSpider

    try:
        sites = TypeAdapter(list[Site]).validate_json(args.sites_json)
        user_agents = json.loads(args.user_agents_json)
        crawled_at = datetime.fromisoformat(args.crawled_at)
        extra = json.loads(args.settings_json)
        agents = {s.name: str(user_agents[s.name]) for s in sites}
        if len({s.name for s in sites}) != len(sites):
            raise ValueError("a site is listed twice")
    except (ValueError, KeyError, TypeError) as e:
        events.emit("fatal", reason="bad-arguments", detail=f"{type(e).__name__}: {e}"[:500])
        return 4
    process = CrawlerProcess(process_settings(extra), install_root_handler=True)
    writer: ArchiveWriter | None = None
    crawling = 0
    for site in sites:
        try:
            if writer is None:
                writer = ArchiveWriter(open_store(args.archive))
            archived = set() if args.refresh else writer.archived_url_hashes(site.name)
        except StoreError as e:  # this site cannot run; the others may (their indexes are their own)
            detail = f"{type(e).__name__}: {e}"[:500]
            events.emit("fatal", site=site.name, reason="archive-unreadable", detail=detail)
            continue
        events.emit("started", site=site.name, archived_urls=len(archived), pid=os.getpid())
        crawler = Crawler(
            NewsSpider, build_settings(site, agents[site.name], extra), init_reactor=not crawling
        )
        process.crawl(
            crawler,
            site=site,
            crawled_at=crawled_at,
            archived_hashes=archived,
            refresh=args.refresh,
            archive_uri=args.archive,
            run_id=args.run_id,
        )
        crawling += 1
    if not crawling:
        return 3
    for handler in logging.getLogger().handlers:  # each crawler reinstalled it: filter the last one
        handler.addFilter(SiteLogFilter())
    with pipelines.shared_pool_held():
        process.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
