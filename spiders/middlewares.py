"""Downloader middlewares: politeness under 403/429 and RFC 9309 robots.txt semantics."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.utils.defer import _schedule_coro
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from spiders.failures import ROBOTS_UNREACHABLE, classify_exception

logger = logging.getLogger(__name__)

THROTTLE_STATUSES = (403, 429)
MAX_DELAY = 120.0


class BackoffMiddleware:
    """A site that answers 403/429 is slowed down (its download slot's delay doubles, or
    Retry-After is honoured) and, after ``BACKOFF_GIVE_UP`` such answers in a row, the crawl
    of that site stops with finish reason ``blocked`` instead of hammering it."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.give_up = crawler.settings.getint("BACKOFF_GIVE_UP", 8)
        self.in_a_row = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffMiddleware:
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        if response.status not in THROTTLE_STATUSES:
            self.in_a_row = 0
            return response
        self.in_a_row += 1
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("dateline/throttled")
            stats.inc_value(f"dateline/throttled/{response.status}")
        delay = self._slow_down(request, response)
        logger.warning(
            "site answered %s for %s: slowing down to %.1fs between requests",
            response.status,
            request.url,
            delay,
            extra={"spider": self.crawler.spider},  # names the site in the log (spiders.run)
        )
        if self.in_a_row >= self.give_up and self.crawler.engine is not None:
            logger.error(
                "giving up after %d throttled answers in a row",
                self.in_a_row,
                extra={"spider": self.crawler.spider},
            )
            _schedule_coro(self.crawler.engine.close_spider_async(reason="blocked"))
        return response

    def _slow_down(self, request: Request, response: Response) -> float:
        engine = self.crawler.engine
        if engine is None:
            return 0.0
        downloader = engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        retry_after = _retry_after(response)
        if slot is None:
            return retry_after
        slot.delay = min(MAX_DELAY, max(slot.delay * 2, 1.0, retry_after))
        return float(slot.delay)


def _retry_after(response: Response) -> float:
    raw = response.headers.get(b"Retry-After")
    try:
        return float(raw) if raw else 0.0
    except ValueError:
        return 0.0


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    """RFC 9309: a robots.txt that answers 5xx or cannot be fetched means "disallow all"
    (Scrapy's default treats it as allow-all); 4xx still means "no rules". Requests to such a
    host fail with the reason (dns, connection-refused, robots-5xx, ...) so the run reports
    the site as unreachable instead of silently crawling nothing."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._unreachable: dict[str, str] = {}

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500:
            self._disallow_all(netloc, "robots-5xx", f"robots.txt answered {response.status}")
            return
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        reason = classify_exception(exc)[0]
        self._disallow_all(netloc, reason if reason != "fetch-error" else "robots-unreachable", repr(exc))

    def _disallow_all(self, netloc: str, reason: str, why: str) -> None:
        spider = getattr(self.crawler, "spider", None)
        logger.warning("%s: treating %s as disallowed (RFC 9309)", why, netloc, extra={"spider": spider})
        self._stats.inc_value("dateline/robots_unreachable")
        self._unreachable[netloc] = reason
        waiting = self._parsers[netloc]
        self._parsers[netloc] = None
        if isinstance(waiting, Deferred):
            waiting.callback(None)

    def process_request_2(self, rp: Any, request: Request) -> None:
        reason = self._unreachable.get(urlparse_cached(request).netloc)
        if reason is not None:
            raise IgnoreRequest(f"{ROBOTS_UNREACHABLE} ({reason})")
        super().process_request_2(rp, request)


class RedirectLoop(IgnoreRequest):
    """A redirect back to a URL of the same chain: following it would never end (and Scrapy's
    duplicate filter would drop the repeat silently, leaving the page uncounted)."""


class RedirectLoopMiddleware:
    """Sees redirects before Scrapy's RedirectMiddleware and fails a request whose redirect
    points back into its own chain, so the page ends counted as ``redirect-loop``."""

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Any:
        if response.status not in (301, 302, 303, 307, 308) or request.meta.get("dont_redirect"):
            return response
        location = response.headers.get(b"Location")
        if not location:
            return response
        target = response.urljoin(location.decode("latin-1")).split("#", 1)[0]
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in chain:
            raise RedirectLoop(f"redirect loop: {' -> '.join([*chain, target])}"[:500])
        return response


class HeadMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's meta-refresh check reads the page's first 4,096 characters but decodes the whole
    body to get them, and the text stays cached on the response while the page waits for its
    cleaning worker: ~7% of the crawl process's CPU, and up to 4 bytes per character held per
    pending page (the RSS spikes of a burst of large pages). The same check runs on the head
    (bytes enough for 4,096 characters in any encoding); an article's body is never decoded here."""

    HEAD_BYTES = 4 * 4096

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Any:
        if not isinstance(response, HtmlResponse) or len(response.body) <= self.HEAD_BYTES:
            return super().process_response(request, response)
        head = response.replace(body=response.body[: self.HEAD_BYTES])
        out = super().process_response(request, head)
        return response if out is head else out
