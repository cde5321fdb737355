"""Scrapy settings for Dateline crawls (the project default; per-site values come from `site_settings`)."""

from __future__ import annotations

from typing import Any

from core.config import Site

BOT_NAME = "dateline"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# Politeness: AutoThrottle adapts the delay to the site's latency; 403/429 slow down further
# (spiders.middlewares.BackoffMiddleware).
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_DELAY = 1.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY_JITTER = 0.5

RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024  # a 50 MB "article" is not an article
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
DEPTH_LIMIT = 0  # depth is ours: see NewsSpider (listing pages only)
DUPEFILTER_DEBUG = False

DOWNLOADER_MIDDLEWARES = {
    "spiders.middlewares.BackoffMiddleware": 560,  # sees 403/429 before RetryMiddleware (550)
    "spiders.middlewares.RedirectLoopMiddleware": 610,  # sees redirects before RedirectMiddleware (600)
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "spiders.middlewares.HeadMetaRefreshMiddleware": 580,  # Scrapy's own, on the page's head only
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "spiders.middlewares.StrictRobotsTxtMiddleware": 100,
}
ITEM_PIPELINES = {
    "spiders.pipelines.ArchivePipeline": 300,
}
EXTENSIONS = {
    "spiders.extensions.ProgressEvents": 500,
}
CONCURRENT_ITEMS = 32
# Raw pages share WARC objects (spiders/rawbatch.py): a batch is stored when this many pages or
# bytes of bodies wait, or this many seconds after its first page (a write per object, not per page).
RAW_BATCH_PAGES = 32
RAW_BATCH_BYTES = 2_000_000
RAW_BATCH_SECONDS = 1.0
LOG_LEVEL = "INFO"
LOGSTATS_INTERVAL = 60.0


def site_settings(site: Site, user_agent: str) -> dict[str, Any]:
    """Per-site overrides of the defaults above."""
    lim = site.limits
    return {
        "USER_AGENT": user_agent,
        "ROBOTSTXT_OBEY": site.obey_robots,
        "DOWNLOAD_DELAY": lim.download_delay,
        "AUTOTHROTTLE_START_DELAY": max(lim.download_delay, 0.1) if lim.download_delay else 0.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(lim.concurrency),
        "CONCURRENT_REQUESTS_PER_DOMAIN": lim.concurrency,
        "CONCURRENT_REQUESTS": max(16, lim.concurrency),
        "DOWNLOAD_TIMEOUT": lim.timeout,
        "CLOSESPIDER_PAGECOUNT": lim.max_pages,
        "CLOSESPIDER_TIMEOUT": lim.max_run_minutes * 60,
    }
