"""Child-process entry point: ONE crawl of ONE site (Twisted's reactor cannot restart).

    python -m spiders.run --site-json '{...}' --archive URI --run-id ID --crawled-at ISO

Events go to stdout as JSON lines (spiders.events), logs to stderr. Exit codes:
0 finished, 3 the archive could not be opened or read, 4 bad arguments.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from datetime import datetime

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from archive.store import StoreError, open_store
from archive.writer import ArchiveWriter
from dateline import procs
from dateline.config import Site
from spiders import events
from spiders import settings as default_settings
from spiders.news import NewsSpider
from spiders.settings import site_settings

PARENT_GONE_GRACE = 10.0


def build_settings(site: Site, user_agent: str, extra: dict[str, object]) -> Settings:
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    settings.update(site_settings(site, user_agent), priority="project")
    settings.update(extra, priority="cmdline")
    return settings


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m spiders.run")
    ap.add_argument("--site-json", required=True)
    ap.add_argument("--user-agent", required=True)
    ap.add_argument("--archive", required=True)
    ap.add_argument("--run-id", required=True)
    ap.add_argument("--crawled-at", required=True)
    ap.add_argument("--refresh", action="store_true")
    ap.add_argument("--settings-json", default="{}", help="extra Scrapy settings (tests, tuning)")
    args = ap.parse_args(argv)
    # Parent gone (killed): Scrapy's graceful stop on SIGTERM, and gone for good 10 s later.
    procs.die_with_parent(procs.parent_pid_from_env(), signal.SIGTERM, grace=PARENT_GONE_GRACE)
    try:
        site = Site.model_validate_json(args.site_json)
        crawled_at = datetime.fromisoformat(args.crawled_at)
        extra = json.loads(args.settings_json)
    except ValueError as e:
        events.emit("fatal", reason="bad-arguments", detail=str(e)[:500])
        return 4
    try:
        archived = (
            set() if args.refresh else ArchiveWriter(open_store(args.archive)).archived_url_hashes(site.name)
        )
    except StoreError as e:
        events.emit("fatal", reason="archive-unreadable", detail=f"{type(e).__name__}: {e}"[:500])
        return 3
    events.emit("started", site=site.name, archived_urls=len(archived))
    process = CrawlerProcess(build_settings(site, args.user_agent, extra), install_root_handler=True)
    process.crawl(
        NewsSpider,
        site=site,
        crawled_at=crawled_at,
        archived_hashes=archived,
        refresh=args.refresh,
        archive_uri=args.archive,
        run_id=args.run_id,
    )
    process.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
