"""Item pipeline: clean pages in a process pool (off the reactor, all cores), then archive them.

Write order per article is raw WARC -> record -> URL markers (see docs/design.md), so a crash
at any point leaves the archive consistent and the next run redoes only what is missing. Raw
pages of a second or so share one WARC object (``spiders.rawbatch``): one write, not one per page.

One extraction pool per crawl process, shared by the crawlers of all its sites (``shared_pool``):
workers start on demand, so a run with nothing new starts none.

Site profile: the site's latest profile is loaded when the spider opens and its rules are handed to
the workers through a file (each worker reads it once per version; a pool shared by several sites
cannot take one site's rules as its initializer); each article's fingerprint comes back with its
result and is counted into the profile. The rules are recompiled after 4, 8, 16 ... pages of this
crawl (a new file), so a site's first crawl is helped after its first pages. The
profile is stored as a new version when the spider closes (before the parent writes the run
manifest). Pages cleaned before there was evidence keep their text; re-extraction improves them.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider

from archive.keys import article_key
from archive.records import Failure, RawPointer
from archive.store import FatalStoreError, StoreError, open_store
from archive.warc import Fetch
from archive.writer import ArchiveWriter
from core.profiles import ProfileSession
from core.recordbuilder import archive_record, build_record
from core.times import parse_loose_date, utcnow
from extraction.confidence import is_low
from extraction.model import Extraction, PageHints
from extraction.profile import ProfileRules
from spiders import events
from spiders.cleanworker import clean_in_worker, init_worker
from spiders.items import FailureItem, PageItem
from spiders.rawbatch import RawBatcher

logger = logging.getLogger(__name__)


_pool: ProcessPoolExecutor | None = None
_pool_users = 0
_pool_lock = threading.Lock()


def acquire_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """The process's extraction pool (created on first use); pair with ``release_pool``."""
    global _pool, _pool_users
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=workers or os.cpu_count() or 1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=init_worker,
                initargs=(None,),
            )
        _pool_users += 1
        return _pool


def release_pool() -> None:
    """The last user gone, the pool's workers finish their pages and end."""
    global _pool, _pool_users
    with _pool_lock:
        _pool_users -= 1
        pool = _pool if _pool_users <= 0 else None
        if pool is not None:
            _pool, _pool_users = None, 0
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=False)


@contextmanager
def shared_pool_held(workers: int | None = None) -> Iterator[None]:
    """Keep one pool for a whole crawl process: a site that closes early does not end it for the
    others (the pool itself starts its workers only when pages come)."""
    acquire_pool(workers)
    try:
        yield
    finally:
        release_pool()


class ArchivePipeline:
    """Turns PageItems into archived records and FailureItems into recorded failures."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.pool: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        self.site = spider.site  # type: ignore[union-attr]
        self.run_id: str = spider.run_id  # type: ignore[union-attr]
        self.crawled_at: datetime = spider.crawled_at  # type: ignore[union-attr]
        self.writer = ArchiveWriter(open_store(spider.archive_uri))  # type: ignore[union-attr]
        settings = self.crawler.settings
        self.raws = RawBatcher(
            partial(self.writer.store_raws, self.site.name),
            max_pages=settings.getint("RAW_BATCH_PAGES"),
            max_bytes=settings.getint("RAW_BATCH_BYTES"),
            max_wait=settings.getfloat("RAW_BATCH_SECONDS"),
        )
        self._open_profile()
        self.pool = acquire_pool(self.crawler.settings.getint("EXTRACT_WORKERS") or None)

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.pool is not None:  # Scrapy has waited for this site's items: nothing of it is in the pool
            self.pool = None
            release_pool()
        self._save_profile()
        try:  # end this crawl's change-feed log, so followers stop polling it
            self.writer.close()
        except StoreError as e:  # harmless: the daily export flow seals idle logs
            logger.warning("[%s] could not end the change-feed log: %s", self.site.name, e)

    def _open_profile(self) -> None:
        """The site's latest profile (a fresh one if none or unreadable) and its compiled rules."""
        self.profile_session = ProfileSession(self.writer.store, self.site.name, to_file=True)
        profile = self.profile_session.profile
        events.emit(
            "profile",
            site=self.site.name,
            version=profile.version,
            pages=profile.pages,
            rules=len(self.rules.blocks_strong | self.rules.blocks_weak),
        )

    @property
    def rules(self) -> ProfileRules:
        return self.profile_session.rules

    @property
    def rules_file(self) -> str | None:
        return self.profile_session.rules_file

    def _save_profile(self) -> None:
        """Store the updated profile as a new version when this crawl taught it something."""
        session = getattr(self, "profile_session", None)
        if session is None:
            return
        session.close()
        try:
            key = session.save(utcnow(), self.run_id)
        except StoreError as e:  # the articles are stored; the next crawl learns again
            logger.warning("[%s] cannot store the site profile: %s", self.site.name, e)
            return
        if key is not None:
            events.emit("profile_saved", site=self.site.name, key=key, pages=session.pages)

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if isinstance(item, FailureItem):
            self._fail(item.failure)
        elif isinstance(item, PageItem):
            await self._archive(item)
        return item

    async def _archive(self, item: PageItem) -> None:
        hints = PageHints(
            url=item.url,
            site=self.site.name,
            crawled_at=self.crawled_at,
            feed_date=item.discovery.feed_date,
            sitemap_date=item.discovery.sitemap_date,
            allowed_domains=self.site.allowed_domains,
        )
        assert self.pool is not None
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(
            self.pool,
            clean_in_worker,
            item.body,
            item.encoding,
            hints.model_dump_json(),
            self.rules_file,
        )
        if "error" in result:
            raw = await self._store_raw(item)
            self._fail(
                self._failure(item.url, "extract", result["error"], result["detail"], raw, item.status)
            )
            return
        ex = Extraction.model_validate_json(result["ok"])
        if ex.is_article:  # section fronts and galleries would skew what "most pages" share
            self.profile_session.learn(result.get("fp"))
        if not ex.is_article:
            self._count("skipped_not_article")
            self._count(f"skipped_not_article/{ex.page_type}")
            return
        if self._too_old(ex):
            self._count("skipped_too_old")
            return
        raw = await self._store_raw(item)
        if raw is None:
            return
        await self._store_record(item, ex, raw)

    async def _store_record(self, item: PageItem, ex: Extraction, raw: RawPointer) -> None:
        record = build_record(
            ex,
            site=self.site.name,
            fetched_url=item.url,
            other_urls=[item.request_url, *item.redirect_urls],
            crawled_at=item.fetched_at,
            run_id=self.run_id,
            raw=raw,
            discovery=item.discovery,
        )
        try:
            status = await asyncio.to_thread(archive_record, self.writer, record)
        except StoreError as e:
            self._store_error(item.url, e)
            return
        self._count(f"stored/{status}")
        if status in ("new", "new_version") and is_low(record.extraction):
            self._count("low_confidence")  # stored text that is unsure: counted per site
        events.emit(
            "article",
            site=self.site.name,
            id=record.id,
            version=record.version,
            content_hash=record.content_hash,
            status=status,
            url=record.url,
            key=article_key(record.site, record.published.date, record.id, record.version),
            date=record.published.date,
        )

    async def _store_raw(self, item: PageItem) -> RawPointer | None:
        fetch = Fetch(
            item.url,
            item.status,
            item.headers,
            item.body,
            datetime.fromisoformat(item.fetched_at),
            item.request_headers,
        )
        try:
            return await self.raws.add(fetch)
        except StoreError as e:
            self._store_error(item.url, e)
            return None

    def _store_error(self, url: str, e: StoreError) -> None:
        self._fail(self._failure(url, "store", type(e).__name__, str(e)))
        if isinstance(e, FatalStoreError):
            events.emit("fatal", site=self.site.name, reason="archive-unwritable", detail=str(e)[:500])
            raise CloseSpider("archive-unwritable")

    def _too_old(self, ex: Extraction) -> bool:
        max_age = self.site.limits.max_age_days
        when = ex.published.datetime or ex.published.date
        parsed = parse_loose_date(when) if when else None
        return (
            max_age is not None and parsed is not None and parsed < self.crawled_at - timedelta(days=max_age)
        )

    def _failure(
        self,
        url: str,
        stage: str,
        reason: str,
        detail: str,
        raw: RawPointer | None = None,
        status: int | None = None,
    ) -> Failure:
        return Failure(
            url=url,
            site=self.site.name,
            stage=stage,
            reason=reason,
            detail=detail[:500],
            status=status,
            raw=raw,
            at=utcnow().isoformat(),
        )

    def _fail(self, failure: Failure) -> None:
        self._count("failed")
        self._count(f"failed/{failure.reason}")
        logger.warning(
            "[%s] %s failed (%s): %s %s",
            self.site.name,
            failure.url,
            failure.stage,
            failure.reason,
            failure.detail,
        )
        events.emit("failure", site=failure.site, failure=failure.model_dump())

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"dateline/{key}")
