"""Item pipeline: clean pages in a process pool (off the reactor, all cores), then archive them.

Write order per article is raw WARC -> record -> URL markers (see docs/design.md), so a crash
at any point leaves the archive consistent and the next run redoes only what is missing.

Site profile: the site's latest profile is loaded when the spider opens and its rules are handed to
each worker process once (pool initializer); each article's fingerprint comes back with its result
and is counted into the profile. The rules are recompiled after 4, 8, 16 ... pages of this crawl
(then handed over through a file that each worker reads once per version), so a site's first crawl is helped after its first pages. The
profile is stored as a new version when the spider closes (before the parent writes the run
manifest). Pages cleaned before there was evidence keep their text; re-extraction improves them.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import shutil
import signal
import tempfile
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider

from archive.keys import article_key
from archive.records import Failure, RawPointer
from archive.store import FatalStoreError, StoreError, open_store
from archive.writer import ArchiveWriter
from dateline import procs
from dateline.profiles import load_profile, save_profile
from dateline.recordbuilder import build_record
from dateline.times import parse_loose_date, utcnow
from extraction.extract import decode_html, extract_and_fingerprint
from extraction.model import Extraction, ExtractionError, PageHints
from extraction.profile import PageFingerprint, ProfileRules, SiteProfile
from spiders import events
from spiders.items import FailureItem, PageItem

logger = logging.getLogger(__name__)


REFRESH_FIRST = 4  # pages of a crawl after which the profile rules are first recompiled
_worker_rules: ProfileRules | None = None  # the crawl's site profile rules, set once per worker
_worker_rules_file: str | None = None  # the recompiled rules' file the worker's rules came from


def init_worker(rules: ProfileRules | None) -> None:
    """Pool initializer: keep the site's profile rules in the worker (not pickled with every page),
    and end the worker with the crawl process (workers hold each other's queue ends, so an
    orphaned pool would otherwise live on)."""
    global _worker_rules
    parent = multiprocessing.parent_process()
    procs.die_with_parent(parent.pid if parent is not None else None, signal.SIGKILL)
    _worker_rules = rules


def _rules_from(rules_file: str | None) -> ProfileRules | None:
    """The worker's rules, reloaded only when the crawl has recompiled them into a new file."""
    global _worker_rules, _worker_rules_file
    if rules_file is not None and rules_file != _worker_rules_file:
        _worker_rules = pickle.loads(Path(rules_file).read_bytes())
        _worker_rules_file = rules_file
    return _worker_rules


def clean_in_worker(
    body: bytes, encoding: str | None, hints_json: str, rules_file: str | None = None
) -> dict[str, Any]:
    """Runs in a pool process: decode + extract with the site's profile rules (the initial ones,
    or the latest recompiled ones in ``rules_file``); returns plain data (cheap to pickle): the
    extraction and the page's fingerprint."""
    hints = PageHints.model_validate_json(hints_json)
    try:
        html = decode_html(body, encoding)
        ex, fp = extract_and_fingerprint(html, hints, _rules_from(rules_file))
        return {"ok": ex.model_dump_json(), "fp": fp.model_dump_json() if fp is not None else None}
    except ExtractionError as e:
        return {"error": e.reason, "detail": e.detail}
    except Exception as e:  # an extractor bug on one page must not stop the run
        return {"error": "extractor-crash", "detail": f"{type(e).__name__}: {e}"[:500]}


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
        self._open_profile()
        workers = self.crawler.settings.getint("EXTRACT_WORKERS") or os.cpu_count() or 1
        self.pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=init_worker,
            initargs=(self.rules,),
        )

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=False)
        if self.rules_dir is not None:
            shutil.rmtree(self.rules_dir, ignore_errors=True)
        self._save_profile()
        try:  # end this crawl's change-feed log, so followers stop polling it
            self.writer.close()
        except StoreError as e:  # harmless: the daily export flow seals idle logs
            logger.warning("[%s] could not end the change-feed log: %s", self.site.name, e)

    def _open_profile(self) -> None:
        """The site's latest profile (a fresh one if none or unreadable) and its compiled rules."""
        try:
            loaded = load_profile(self.writer.store, self.site.name)
        except StoreError as e:
            logger.warning("[%s] cannot load the site profile, cleaning without it: %s", self.site.name, e)
            loaded = None
        self.profile = loaded or SiteProfile(site=self.site.name)
        self.rules = self.profile.rules()
        self.rules_dir: Path | None = None  # recompiled rules go to files here, one per version
        self.rules_file: str | None = None  # the latest recompiled rules (None: the initial ones)
        self.profile_pages = 0  # pages of this crawl counted into the profile
        self.next_refresh = REFRESH_FIRST
        events.emit(
            "profile",
            site=self.site.name,
            version=self.profile.version,
            pages=self.profile.pages,
            rules=len(self.rules.blocks_strong | self.rules.blocks_weak),
        )

    def _learn(self, fingerprint_json: str | None) -> None:
        """Count the page into the profile; recompile the rules at 4, 8, 16 ... pages."""
        if not fingerprint_json or not self.profile.add(
            PageFingerprint.model_validate_json(fingerprint_json)
        ):
            return
        self.profile_pages += 1
        if self.profile_pages >= self.next_refresh:
            self.next_refresh *= 2
            rules = self.profile.rules()
            if rules != self.rules:
                self.rules = rules
                self._hand_over(rules)

    def _hand_over(self, rules: ProfileRules) -> None:
        """Write recompiled rules to a new file; workers load it once, pages carry only its path."""
        if self.rules_dir is None:
            self.rules_dir = Path(tempfile.mkdtemp(prefix=f"dateline-rules-{self.site.name}-"))
        path = self.rules_dir / f"rules-{self.profile_pages:06d}.pickle"
        path.write_bytes(pickle.dumps(rules))
        self.rules_file = str(path)

    def _save_profile(self) -> None:
        """Store the updated profile as a new version when this crawl taught it something."""
        if not getattr(self, "profile_pages", 0):
            return
        self.profile.compact()
        try:
            key = save_profile(self.writer.store, self.profile, utcnow(), self.run_id)
        except StoreError as e:  # the articles are stored; the next crawl learns again
            logger.warning("[%s] cannot store the site profile: %s", self.site.name, e)
            return
        events.emit("profile_saved", site=self.site.name, key=key, pages=self.profile_pages)

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
            self._learn(result.get("fp"))
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
            status = await asyncio.to_thread(self.writer.store_article, record)
            await asyncio.to_thread(
                self.writer.mark_urls, self.site.name, [record.canonical_url, *record.aliases], record.id
            )
        except StoreError as e:
            self._store_error(item.url, e)
            return
        self._count(f"stored/{status}")
        events.emit(
            "article",
            id=record.id,
            version=record.version,
            content_hash=record.content_hash,
            status=status,
            url=record.url,
            key=article_key(record.site, record.published.date, record.id, record.version),
            date=record.published.date,
        )

    async def _store_raw(self, item: PageItem) -> RawPointer | None:
        try:
            return await asyncio.to_thread(
                self.writer.store_raw,
                self.site.name,
                item.url,
                item.status,
                item.headers,
                item.body,
                datetime.fromisoformat(item.fetched_at),
                item.request_headers,
            )
        except StoreError as e:
            self._store_error(item.url, e)
            return None

    def _store_error(self, url: str, e: StoreError) -> None:
        self._fail(self._failure(url, "store", type(e).__name__, str(e)))
        if isinstance(e, FatalStoreError):
            events.emit("fatal", reason="archive-unwritable", detail=str(e)[:500])
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
        events.emit("failure", failure=failure.model_dump())

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"dateline/{key}")
