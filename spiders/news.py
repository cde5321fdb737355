"""The one generic news spider: discovery from start pages, feeds and sitemaps.

Per-site knowledge is data (core.config.Site), not code. The spider only
discovers and fetches; cleaning and storing happen in the pipelines.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import SitemapSpider
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure as TwistedFailure

from archive.keys import url_hash
from archive.records import Discovery, Failure
from core.config import Site
from core.times import parse_loose_date
from core.urls import host_allowed, host_of, normalize_url
from extraction.structured import ARTICLE_TYPES, parse_json_loosely, types_of
from spiders.failures import classify_failure
from spiders.items import FailureItem, PageItem

NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"
REDIRECT_STATUSES = [301, 302, 303, 307, 308]
MAX_LISTING_REDIRECTS = 5
SITEMAP_MAX_URLS = 50_000  # the sitemaps protocol's limit per file; more is not a sitemap we trust
# Sitemap articles wait as URLs and reach the scheduler this many at a time, when it runs empty: a
# Request costs ~1 KB, and a 20k-URL sitemap queued at once held ~40 MB for the whole crawl.
BACKLOG_BATCH = 64
# An internal DTD that declares entities: what entity-expansion ("billion laughs") attacks need and
# no real feed does. lxml is never asked to expand them (Scrapy/parsel: resolve_entities=False).
_ENTITY_DECL = re.compile(rb"<!DOCTYPE[^\[>]*\[[^\]]*<!ENTITY", re.IGNORECASE)

# Paths that are listings, not articles, on almost every news site.
_LISTING_HINTS = re.compile(
    r"/(tag|tags|topic|topics|author|authors|autor|category|categories|section|sections|"
    r"rubrik|ressort|video|videos|gallery|galleries|live|search|page)(/|$)",
    re.IGNORECASE,
)
# Paths that look like an article: a date, a long slug, or a long numeric id.
_ARTICLE_HINTS = re.compile(
    r"(/\d{4}/\d{1,2}/(\d{1,2}/)?)|(/\d{4}-\d{2}-\d{2}/)|([a-z0-9]+(-[a-z0-9]+){3,})|(\d{6,})",
    re.IGNORECASE,
)


class NewsSitemap(Sitemap):
    """Scrapy's sitemap parser, keeping the news sitemap's publication date it would drop."""

    __slots__ = ()

    def _process_sitemap_element(self, elem: Any) -> dict[str, Any] | None:
        news_date = elem.findtext(f".//{NEWS_NS}publication_date")
        d = super()._process_sitemap_element(elem)
        if d is not None and news_date:
            d["news_publication_date"] = news_date.strip()
        return d


class NewsSpider(SitemapSpider):
    """Crawls one configured site; see docs/design.md for the discovery rules."""

    name = "news"

    def __init__(
        self,
        site: Site,
        crawled_at: datetime,
        archived_hashes: set[str] | None = None,
        refresh: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.site = site
        self.allowed_domains = list(site.allowed_domains)
        self.crawled_at = crawled_at
        self.archived_hashes = archived_hashes or set()
        self.refresh = refresh
        self._article_patterns = [re.compile(p) for p in site.article_patterns]
        self._exclude = [re.compile(p) for p in site.exclude_patterns]
        self._hints: dict[str, Discovery] = {}  # every URL known as an article in this run
        self._queued = 0  # article requests queued; discovery stops at max_pages
        self._wanted: set[str] = set()  # article URLs requested (fetched once, in whatever role)
        self._backlog: deque[str] = deque()  # sitemap articles not yet handed to the scheduler
        # Domains are checked by host_allowed: Scrapy's allow_domains compares host:port.
        self._links = LinkExtractor(deny=site.exclude_patterns)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider: NewsSpider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._release_backlog, signal=signals.scheduler_empty)
        crawler.signals.connect(spider._on_idle, signal=signals.spider_idle)
        return spider

    # -- entry points -------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        for url in self.site.sitemaps:
            yield Request(url, self._parse_sitemap, errback=self.on_error, meta={"role": "sitemap"})
        for url in self.site.feeds:
            yield Request(url, self.parse_feed, errback=self.on_error, meta={"role": "feed"})
        for url in self.site.start_urls:
            yield self.listing_request(url, "start", self.site.limits.depth)

    def _parse_sitemap(self, response: Response) -> Iterator[Any]:
        """Scrapy's handling for robots.txt and sitemap indexes; urlsets keep their news dates and
        are read lazily (iterparse), taking at most ``max_pages`` articles in all and
        ``SITEMAP_MAX_URLS`` per file into the backlog (``_release_backlog`` hands them to the
        scheduler). A sitemap that cannot be read is a recorded failure."""
        self._count("sitemaps")
        if response.url.endswith("/robots.txt"):
            yield from super()._parse_sitemap(response)
            return
        try:
            body = self._sitemap_body(response)
        except ValueError as e:  # Scrapy's decompression limit (DOWNLOAD_MAXSIZE) was hit
            yield self._source_failure(response, "sitemap", "decompression-limit", str(e))
            return
        except (OSError, EOFError) as e:
            yield self._source_failure(response, "sitemap", "bad-gzip", f"{type(e).__name__}: {e}")
            return
        sitemap = NewsSitemap(body) if body else None
        if sitemap is None or sitemap.type not in ("urlset", "sitemapindex"):
            yield self._source_failure(
                response, "sitemap", "invalid-sitemap", "not a sitemap or sitemap index"
            )
            return
        if sitemap.type == "sitemapindex":
            yield from super()._parse_sitemap(response)
            return
        for n, entry in enumerate(sitemap, 1):
            if n > SITEMAP_MAX_URLS:
                yield self._source_failure(
                    response,
                    "sitemap",
                    "sitemap-too-large",
                    f"more than {SITEMAP_MAX_URLS} URLs; the rest ignored",
                )
                return
            yield from self._sitemap_requests([entry])

    def _sitemap_body(self, response: Response) -> bytes | None:
        """The sitemap's XML; gzip is inflated with Scrapy's own size limit (raises ValueError past it)."""
        if gzip_magic_number(response):
            return gunzip(response.body, max_size=self._max_size)
        return self._get_sitemap_body(response)

    def _source_failure(self, response: Response, role: str, reason: str, detail: str) -> FailureItem:
        """A feed or sitemap that yielded nothing because it was hostile or broken: a failure, not a log line."""
        return FailureItem(
            Failure(
                url=response.url,
                site=self.site.name,
                stage="fetch",
                reason=reason,
                detail=f"{role}: {detail}"[:500],
                status=response.status,
                at=datetime.now(UTC).isoformat(),
            )
        )

    def _sitemap_requests(self, entries: Iterable[dict[str, Any]]) -> Iterator[Request]:
        for entry in entries:
            date = entry.get("news_publication_date") or entry.get("lastmod")
            yield from self.article_request(entry["loc"], via="sitemap", sitemap_date=date)

    def parse_feed(self, response: Response) -> Iterator[Any]:
        """RSS 2.0, RSS 1.0 (RDF) and Atom items: the link and the item's date."""
        self._count("feeds")
        if _ENTITY_DECL.search(response.body[:65536]):
            yield self._source_failure(
                response, "feed", "xml-entities", "the feed declares XML entities (not expanded)"
            )
            return
        if not isinstance(response, TextResponse):
            yield self._source_failure(response, "feed", "invalid-feed", "not a text/XML response")
            return
        items = response.xpath("//*[local-name()='item' or local-name()='entry']")
        for item in items:
            link = (
                item.xpath("./*[local-name()='link']/@href").get()
                or item.xpath("./*[local-name()='link']/text()").get()
            )
            if not link:
                link = item.xpath("./*[local-name()='guid'][not(@isPermaLink='false')]/text()").get()
            if not link:
                continue
            date = item.xpath(
                "./*[local-name()='pubDate' or local-name()='published' or local-name()='date' "
                "or local-name()='updated']/text()"
            ).get()
            yield from self.article_request(
                response.urljoin(link.strip()), via="feed", feed_date=date.strip() if date else None
            )

    def parse_listing(self, response: Response) -> Iterator[Request | PageItem]:
        """Front and section pages: article links are fetched, other links followed within depth."""
        if response.status in REDIRECT_STATUSES:
            yield from self._follow_redirect(response)
            return
        if not isinstance(response, TextResponse):
            self._count("listings")
            return
        role = response.meta.get("role", "link")
        if role != "start":  # configured start pages are listings whatever else names them
            article = self._listing_was_article(response)
            if article == "archived":
                self._count("listings_were_archived")  # an archived article: links not followed
                return
            if article == "new":
                self._count("listings_were_articles")
                yield from self.parse_article(response)
                return
        self._count("listings")
        hops_left = int(response.meta.get("hops_left", 0))
        for link in self._links.extract_links(response):
            url = normalize_url(link.url)
            if not host_allowed(host_of(url), self.allowed_domains):
                continue
            if self.is_article_url(url) or self._known_article(url):
                yield from self.article_request(
                    url, via="start" if role == "start" else "link", referer=response.url
                )
            elif hops_left > 0 and not self._excluded(url):
                yield self.listing_request(url, "link", hops_left - 1)

    def _listing_was_article(self, response: TextResponse) -> str | None:
        """'archived', 'new' or None (a listing): article pages are leaves of discovery.

        'new' is the article's one fetch: it was named by a feed or sitemap after its listing
        request went out (Scrapy's dupefilter then dropped the article request), or the page
        declares itself an article (og:type, JSON-LD) though its URL did not look like one."""
        fetched = normalize_url(response.url)
        if self._archived(fetched) or self._archived(_canonical(response)):
            return "archived"
        if fetched in self._wanted:
            return "new"
        if not _declares_article(response):
            return None
        referer = response.request.headers.get(b"Referer") if response.request else None
        self._hints[fetched] = Discovery(via="link", referer=referer.decode("latin-1") if referer else None)
        self._wanted.add(fetched)
        self._queued += 1
        self._count("discovered")
        return "new"

    def _follow_redirect(self, response: Response) -> Iterator[Request]:
        """Listing redirects are ours to follow: one that lands on an article is an article link,
        so an archived article behind an old URL is not downloaded again."""
        location = response.headers.get(b"Location")
        hops = int(response.meta.get("redirects", 0))
        if not location or hops >= MAX_LISTING_REDIRECTS:
            self._count("redirects_dropped")
            return
        target = normalize_url(response.urljoin(location.decode("latin-1")))
        if not host_allowed(host_of(target), self.allowed_domains):
            self._count("redirects_offsite")
        elif self.is_article_url(target, listed=True):
            yield from self.article_request(target, via="link", referer=response.url)
        else:
            role = response.meta.get("role", "link")
            yield self.listing_request(target, role, int(response.meta.get("hops_left", 0)), hops + 1)

    def listing_request(self, url: str, role: str, hops_left: int, redirects: int = 0) -> Request:
        """Listings found by links wait behind feeds, sitemaps and articles (priority -1), so an
        article a feed names is usually known before a link would fetch it as a listing."""
        return Request(
            url,
            self.parse_listing,
            errback=self.on_error,
            priority=0 if role == "start" else -1,
            meta={
                "role": role,
                "hops_left": hops_left,
                "redirects": redirects,
                "dont_redirect": True,
                "handle_httpstatus_list": REDIRECT_STATUSES,
            },
        )

    def parse_article(self, response: Response) -> Iterator[PageItem]:
        self._count("fetched")
        first = response.meta.get("redirect_urls", [response.url])[0]
        hints = (
            self._hints.get(normalize_url(first))
            or self._hints.get(normalize_url(response.url))
            or Discovery()
        )
        yield PageItem(
            url=response.url,
            request_url=first,
            redirect_urls=list(response.meta.get("redirect_urls", [])),
            status=response.status,
            headers=_headers(response.headers),
            body=response.body,
            encoding=_declared_charset(response),
            fetched_at=datetime.now(UTC).isoformat(),
            discovery=hints,
            request_headers=_headers(response.request.headers) if response.request else [],
        )

    def on_error(self, failure: TwistedFailure) -> Iterator[FailureItem]:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        reason, status, detail = classify_failure(failure)
        if reason in ("redirect-loop", "too-many-redirects") and request is not None:
            url = request.meta.get("redirect_urls", [url])[0]  # the page discovered, not a hop
        if reason == "robots-disallowed":
            self._count("skipped_robots")
            return
        role = request.meta.get("role", "article") if request is not None else "article"
        yield FailureItem(
            Failure(
                url=url,
                site=self.site.name,
                stage="fetch",
                reason=reason,
                detail=f"{role}: {detail}" if role != "article" else detail,
                status=status,
                at=datetime.now(UTC).isoformat(),
            )
        )

    # -- decisions ----------------------------------------------------------------------------

    def is_article_url(self, url: str, *, listed: bool = False) -> bool:
        """Site patterns when configured. Otherwise a link must look like an article (date, long
        slug or id), while a feed or sitemap entry only must not look like a listing page.
        The page itself is checked again after fetching (og:type, JSON-LD, text)."""
        if self._excluded(url):
            return False
        if self._article_patterns:
            return any(p.search(url) for p in self._article_patterns)
        path = "/" + url.split("://", 1)[-1].partition("/")[2]
        if _LISTING_HINTS.search(path) or path.rstrip("/").count("/") == 0:
            return False
        return listed or bool(_ARTICLE_HINTS.search(path))

    def _archived(self, url: str | None) -> bool:
        return url is not None and not self.refresh and url_hash(url) in self.archived_hashes

    def _known_article(self, url: str) -> bool:
        """Known as an article: in the archive's URL index, or named by a feed/sitemap this run."""
        return url in self._hints or self._archived(url)

    def _excluded(self, url: str) -> bool:
        return any(p.search(url) for p in self._exclude)

    def too_old(self, raw_date: str | None) -> bool:
        max_age = self.site.limits.max_age_days
        if max_age is None or not raw_date:
            return False
        when = parse_loose_date(raw_date)
        return when is not None and when < self.crawled_at - timedelta(days=max_age)

    def article_request(
        self,
        url: str,
        via: str,
        *,
        feed_date: str | None = None,
        sitemap_date: str | None = None,
        referer: str | None = None,
    ) -> Iterator[Request]:
        """One request per new article URL; skips and their reasons are counted in stats."""
        url = normalize_url(url)
        if not host_allowed(host_of(url), self.allowed_domains):
            return
        listed = via in ("feed", "sitemap") or self._known_article(url)
        if not self.is_article_url(url, listed=listed):
            return
        known = self._hints.get(url)
        if known is not None:  # seen through another source: keep its dates, fetch once
            known.feed_date = known.feed_date or feed_date
            known.sitemap_date = known.sitemap_date or sitemap_date
            return
        if self._queued >= self.site.limits.max_pages:  # the crawl stops there anyway: keep memory flat
            self._count("skipped_over_limit")
            return
        self._hints[url] = Discovery(via=via, feed_date=feed_date, sitemap_date=sitemap_date, referer=referer)
        self._count("discovered")
        if not self.refresh and url_hash(url) in self.archived_hashes:
            self._count("skipped_archived")
            return
        if self.too_old(feed_date or sitemap_date):  # known before fetching: not fetched
            self._count("skipped_too_old")
            self._count("skipped_too_old_unfetched")
            return
        self._queued += 1
        self._wanted.add(url)
        if via == "sitemap":
            self._backlog.append(url)
        else:
            yield self._article(url)

    def _article(self, url: str) -> Request:
        return Request(url, self.parse_article, errback=self.on_error, meta={"role": "article"})

    def _release_backlog(self) -> None:
        """The scheduler ran empty: hand it the next waiting sitemap articles (they were checked
        against the archive, limits and dates when the sitemap was read)."""
        if not self._backlog or self.crawler.engine is None:
            return
        for _ in range(min(BACKLOG_BATCH, len(self._backlog))):
            self.crawler.engine.crawl(self._article(self._backlog.popleft()))

    def _on_idle(self) -> None:
        """Nothing in flight but articles still wait: the crawl is not over."""
        if self._backlog:
            self._release_backlog()
            raise DontCloseSpider

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"dateline/{key}")


def _headers(headers: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, values in headers.items():
        for v in values:
            out.append((name.decode("latin-1"), v.decode("latin-1")))
    return out


def _canonical(response: TextResponse) -> str | None:
    """The page's own canonical URL, normalised (None when it names none)."""
    href = response.xpath("//head/link[@rel='canonical']/@href").get()
    return normalize_url(response.urljoin(href.strip())) if href and href.strip() else None


def _declares_article(response: TextResponse) -> bool:
    """og:type article or a top-level JSON-LD article node (not one listed in an ItemList)."""
    og = response.xpath("//head/meta[@property='og:type']/@content").get() or ""
    if og.strip().lower().startswith("article"):
        return True
    for script in response.xpath("//script[contains(@type, 'ld+json')]/text()").getall():
        data = parse_json_loosely(script)
        nodes = data if isinstance(data, list) else [data]
        nodes += [n for d in nodes if isinstance(d, dict) for n in d.get("@graph") or []]
        if any(isinstance(n, dict) and types_of(n) & ARTICLE_TYPES for n in nodes):
            return True
    return False


def _declared_charset(response: Response) -> str | None:
    ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    m = re.search(r"charset=([\w.:-]+)", ctype, re.IGNORECASE)
    return m.group(1) if m else None
