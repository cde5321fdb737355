"""Import WARC files into the archive through the crawl's own path.

Each kept response goes the way a crawled page goes: cleaned in a process pool with its site's
profile (``clean_in_worker``, ``ProfileSession``), its record built by ``build_record`` and stored
by ``archive_record`` (record, consumer data, URL markers: the writer's API, so whatever the writer
adds per article applies here too). The WARC-Date is the fetch time (``crawled_at``, the bound of
every date on the page), never the publication date. The raw pointer names the source file with
the record's offset and length instead of copying the response into ``raw/``.

Resumable and incremental: a file is a unit. A file read to its end gets an import marker (for
this selection) and is not read again; a file interrupted half-way has none and is read again,
where its already archived URLs are skipped as in a crawl (markers are written last, and storing a
known version is a no-op), so every record ends in the archive exactly once.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import time
import zlib
from collections import Counter
from collections.abc import Callable
from concurrent.futures import (
    ALL_COMPLETED,
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import dataclass, field
from typing import Any

from archive import keys
from archive.records import ArticleRecord, Discovery, Failure, RawPointer, RunManifest, SiteStats
from archive.sources import SourceError
from archive.store import FatalStoreError, StoreError, open_store
from archive.writer import ArchiveWriter, ArticleStatus
from backfill.selection import Selection
from backfill.warcrecords import Candidate, Skipped, iter_records
from core.config import Site
from core.profiles import ProfileSession
from core.recordbuilder import archive_record, build_record
from core.runid import new_run_id
from core.times import iso_utc, utcnow
from core.urls import host_of, normalize_url
from extraction.confidence import is_low
from extraction.model import Extraction, PageHints
from spiders.cleanworker import clean_in_worker, init_worker

IN_FLIGHT_PER_WORKER = 4  # pages queued per pool worker: the pool never waits for the reader
PROGRESS_SECONDS = 0.5
STORE_LANES = 4  # threads storing records (a site's records go one lane, in order)
STORES_IN_FLIGHT = 64  # records handed to the lanes and not yet stored: the reader waits beyond


@dataclass
class ImportStats:
    """What an import did; every record read ends in exactly one count."""

    files_read: int = 0  # read to the end (and marked as imported)
    files_already_imported: int = 0
    files_failed: Counter[str] = field(default_factory=Counter)  # by reason; read again next time
    records: int = 0  # WARC records read (all types)
    responses: int = 0  # response and revisit records
    kept: Counter[str] = field(default_factory=Counter)  # by domain: cleaned
    stored: Counter[str] = field(default_factory=Counter)  # by status: new, new_version, unchanged, alias
    already_archived: int = 0
    not_article: Counter[str] = field(default_factory=Counter)  # by page type
    skipped: Counter[str] = field(default_factory=Counter)  # by reason (other domains, 404, revisit ...)
    failed: Counter[str] = field(default_factory=Counter)  # by reason (corrupt gzip, extraction, store)
    other_records: Counter[str] = field(default_factory=Counter)  # not responses: warcinfo, request ...
    seconds: float = 0.0

    def merge(self, other: ImportStats) -> None:
        for name, value in vars(other).items():
            if isinstance(value, Counter):
                getattr(self, name).update(value)
            elif name != "seconds":
                setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, Any]:
        return {name: dict(v) if isinstance(v, Counter) else v for name, v in vars(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportStats:
        values = {k: Counter(v) if isinstance(v, dict) else v for k, v in data.items()}
        return cls(**values)  # type: ignore[arg-type]


@dataclass
class _SiteRun:
    """One site's part of an import run: its profile use, known URLs and manifest data."""

    site: Site
    profile: ProfileSession
    archived: set[str]  # url_hash of its archived URLs (one listing, then kept up to date)
    stats: SiteStats
    written: list[dict[str, str]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


Progress = Callable[[ImportStats, str, int, int], None]  # (totals, current file, files done, files)
Cleaning = dict[Future[dict[str, Any]], tuple[Candidate, _SiteRun]]
Storing = dict[Future[ArticleStatus], tuple[Candidate, _SiteRun, ArticleRecord, RawPointer]]


class Importer:
    """Imports WARC files for one selection into one archive; use as a context manager."""

    def __init__(
        self,
        archive_uri: str,
        selection: Selection,
        *,
        run_id: str | None = None,
        workers: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.store = open_store(archive_uri)
        self.writer = ArchiveWriter(self.store)
        self.selection = selection
        self.selection_key = selection.key()
        self.run_id = run_id or new_run_id("import")
        self.started_at = utcnow()
        self.workers = workers or os.cpu_count() or 1
        self.progress = progress
        self.pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=init_worker,
            initargs=(None,),
        )
        # Storing is mostly waiting (fsync, S3 round trips): it runs in threads, so the reader
        # keeps the pool fed meanwhile. One lane per site keeps a site's stores in page order
        # (versions, aliases), as a crawl's pipeline stores them.
        self.lanes = [ThreadPoolExecutor(1, thread_name_prefix="import-store") for _ in range(STORE_LANES)]
        self.storing: Storing = {}
        self.sites: dict[str, _SiteRun] = {}
        self.totals = ImportStats()
        self.complete = True
        self._last_progress = 0.0

    def __enter__(self) -> Importer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ files

    def run(self, uris: list[str]) -> ImportStats:
        """Import the files in order; one failing file never stops the others (an unwritable
        archive does: FatalStoreError)."""
        t0 = time.monotonic()
        for done, uri in enumerate(uris):
            self.totals.merge(self.import_file(uri, done, len(uris)))
            self._report(uri, done + 1, len(uris), force=True)
        self.totals.seconds = round(time.monotonic() - t0, 3)
        return self.totals

    def import_file(self, uri: str, done: int = 0, total: int = 1) -> ImportStats:
        """Import one file, unless it was imported to its end for this selection before."""
        stats = ImportStats()
        marker = keys.import_marker_key(uri, self.selection_key)
        if self.store.exists(marker):
            stats.files_already_imported = 1
            return stats
        pending: Cleaning = {}
        t0 = time.monotonic()
        try:
            for item in iter_records(uri, self.selection.wanted):
                self._take(item, uri, stats, pending)
                if len(pending) >= self.workers * IN_FLIGHT_PER_WORKER:
                    self._drain(pending, stats, uri, FIRST_COMPLETED)
                self._report(uri, done, total, stats)
        except (StoreError, KeyboardInterrupt):
            self._finish(pending, stats, uri)
            raise
        except Exception as e:  # SourceError, a dropped connection, a file cut short: read it again later
            self._finish(pending, stats, uri)
            stats.files_failed[_read_error(e)] += 1
            self.complete = False
            return stats
        self._finish(pending, stats, uri)  # every record stored before the file's marker
        stats.seconds = round(time.monotonic() - t0, 3)
        stats.files_read = 1
        self.writer.mark_imported(marker, _marker(uri, self, stats))
        return stats

    def _take(
        self,
        item: Candidate | Skipped,
        uri: str,
        stats: ImportStats,
        pending: Cleaning,
    ) -> None:
        """Count a record, or queue it for cleaning."""
        stats.records += 1
        if isinstance(item, Skipped):
            stats.responses += item.response
            counter = stats.failed if item.failed else stats.skipped if item.response else stats.other_records
            counter[item.reason] += 1
            return
        stats.responses += 1
        host = host_of(item.url)
        site = self._site(self.selection.site_for(host))
        url = normalize_url(item.url)
        if keys.url_hash(url) in site.archived or keys.url_hash(item.url) in site.archived:
            stats.already_archived += 1
            site.stats.skipped_archived += 1
            return
        site.archived.add(keys.url_hash(url))  # a second copy in this run is "already archived" too
        stats.kept[host.removeprefix("www.")] += 1
        site.stats.fetched += 1
        hints = PageHints(
            url=item.url,
            site=site.site.name,
            crawled_at=item.fetched_at,
            allowed_domains=site.site.allowed_domains,
        )
        future = self.pool.submit(
            clean_in_worker,
            item.body,
            _charset(item.headers),
            hints.model_dump_json(),
            site.profile.rules_file,
        )
        pending[future] = (item, site)

    def _finish(self, pending: Cleaning, stats: ImportStats, uri: str) -> None:
        """Clean and store every page taken so far (a store error is raised after all are done)."""
        try:
            self._drain(pending, stats, uri)
        finally:
            self._stored(stats, ALL_COMPLETED)

    def _drain(self, pending: Cleaning, stats: ImportStats, uri: str, until: str = ALL_COMPLETED) -> None:
        """Hand the cleaned pages to the store lanes (all, or at least one with FIRST_COMPLETED),
        and count the stores that are done."""
        if not pending:
            return
        finished, _ = wait(list(pending), return_when=until)
        for future in finished:
            item, site = pending.pop(future)
            try:
                result = future.result()
            except Exception as e:  # a worker died (out of memory): this page fails, the import goes on
                result = {"error": "worker-crash", "detail": f"{type(e).__name__}: {e}"}
            self._store(item, site, result, stats, uri)
        self._stored(stats, FIRST_COMPLETED if len(self.storing) >= STORES_IN_FLIGHT else None)

    def _stored(self, stats: ImportStats, until: str | None) -> None:
        """Count the finished stores: those done now (``until`` None), or wait for at least one
        (FIRST_COMPLETED) or all (ALL_COMPLETED). FatalStoreError is raised once all are counted."""
        if not self.storing:
            return
        if until is None:
            finished = {f for f in self.storing if f.done()}
        else:
            finished, _ = wait(list(self.storing), return_when=until)
        fatal: FatalStoreError | None = None
        for future in finished:
            item, site, record, raw = self.storing.pop(future)
            try:
                status = future.result()
            except FatalStoreError as e:
                fatal = e
                continue
            except StoreError as e:
                self._fail(site, stats, item, "store", type(e).__name__, str(e), raw)
                continue
            self._count(site, stats, record, status)
        if fatal is not None:
            raise fatal

    def _store(
        self, item: Candidate, site: _SiteRun, result: dict[str, Any], stats: ImportStats, uri: str
    ) -> None:
        raw = RawPointer(key=uri, record_id=item.record_id, offset=item.offset, length=item.length)
        if "error" in result:
            self._fail(site, stats, item, "extract", result["error"], result.get("detail", ""), raw)
            return
        ex = Extraction.model_validate_json(result["ok"])
        if not ex.is_article:
            stats.not_article[ex.page_type] += 1
            site.stats.skipped_not_article += 1
            return
        site.profile.learn(result.get("fp"))
        if not self.selection.in_range(ex.published.date, item.fetched_at):
            stats.skipped["published-out-of-range"] += 1
            return
        record = build_record(
            ex,
            site=site.site.name,
            fetched_url=item.url,
            other_urls=[normalize_url(item.url)],
            crawled_at=iso_utc(item.fetched_at),
            run_id=self.run_id,
            raw=raw,
            discovery=Discovery(via="warc"),
        )
        lane = self.lanes[zlib.crc32(site.site.name.encode()) % len(self.lanes)]
        self.storing[lane.submit(archive_record, self.writer, record)] = (item, site, record, raw)

    def _count(
        self, site: _SiteRun, stats: ImportStats, record: ArticleRecord, status: ArticleStatus
    ) -> None:
        stats.stored[status] += 1
        site.archived.update(keys.url_hash(u) for u in [record.canonical_url, *record.aliases])
        _count_stored(site.stats, status)
        if status in ("new", "new_version") and is_low(record.extraction):
            site.stats.low_confidence += 1
        key = keys.article_key(record.site, record.published.date, record.id, record.version)
        site.written.append({"id": record.id, "key": key, "version": record.version,
                             "content_hash": record.content_hash, "status": status, "url": record.url})  # fmt: skip

    def _fail(
        self,
        site: _SiteRun,
        stats: ImportStats,
        item: Candidate,
        stage: str,
        reason: str,
        detail: str,
        raw: RawPointer,
    ) -> None:
        stats.failed[reason] += 1
        site.stats.failed += 1
        site.stats.failures_by_reason[reason] = site.stats.failures_by_reason.get(reason, 0) + 1
        failure = Failure(
            url=item.url, site=site.site.name, stage="extract" if stage == "extract" else "store",
            reason=reason, detail=detail[:500], raw=raw, at=iso_utc(utcnow()),
        )  # fmt: skip
        site.failures.append(failure)

    def _site(self, site: Site | None) -> _SiteRun:
        assert site is not None  # wanted() let only hosts of a site through
        run = self.sites.get(site.name)
        if run is None:
            run = _SiteRun(
                site=site,
                profile=ProfileSession(self.store, site.name, to_file=True),
                archived=self.writer.archived_url_hashes(site.name),
                stats=SiteStats(site=site.name, finish_reason="import"),
            )
            self.sites[site.name] = run
        return run

    def _report(
        self, uri: str, done: int, total: int, stats: ImportStats | None = None, force: bool = False
    ) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if not force and now - self._last_progress < PROGRESS_SECONDS:
            return
        self._last_progress = now
        current = ImportStats()
        current.merge(self.totals)
        if stats is not None:
            current.merge(stats)
        self.progress(current, uri, done, total)

    # ------------------------------------------------------------------ end

    def close(self) -> list[str]:
        """Stop the pool, store the sites' profiles and run manifests (written last); their keys."""
        self.pool.shutdown(wait=True, cancel_futures=True)
        for lane in self.lanes:  # empty: every file waits for its stores
            lane.shutdown(wait=True)
        written = []
        finished = iso_utc(utcnow())
        for run in self.sites.values():
            run.profile.close()
            with contextlib.suppress(StoreError):  # the articles are stored; the next run learns again
                run.profile.save(utcnow(), self.run_id)
            run.stats.seconds = round((utcnow() - self.started_at).total_seconds(), 2)
            manifest = RunManifest(run_id=self.run_id, site=run.site.name, started_at=iso_utc(self.started_at),
                                   finished_at=finished, complete=self.complete, stats=run.stats,
                                   written=run.written, failures=run.failures)  # fmt: skip
            written.append(self.writer.write_manifest(manifest))
        self.writer.close()
        return written


def _count_stored(stats: SiteStats, status: str) -> None:
    if status == "new":
        stats.stored_new += 1
    elif status == "new_version":
        stats.stored_new_version += 1
    else:
        stats.unchanged += 1


def _read_error(e: Exception) -> str:
    if isinstance(e, SourceError):
        return "unreadable"
    return f"read-error-{type(e).__name__}"


def _charset(headers: list[tuple[str, str]]) -> str | None:
    ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
    _, _, params = ctype.partition("charset=")
    return params.split(";")[0].strip(" \"'") or None


def _marker(uri: str, importer: Importer, stats: ImportStats) -> bytes:
    data = {
        "uri": uri,
        "selection": importer.selection_key,
        "sites": sorted(s.name for s in importer.selection.sites),
        "domains": importer.selection.domains,
        "run_id": importer.run_id,
        "finished_at": iso_utc(utcnow()),
        "counts": stats.as_dict(),
    }
    return json.dumps(data).encode("utf-8")


def import_warc(
    archive_uri: str,
    uris: list[str],
    selection: Selection,
    *,
    run_id: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> ImportStats:
    """Import the WARC files ``uris`` (already expanded) into the archive; the plain entry point
    of the CLI and the flow."""
    with Importer(archive_uri, selection, run_id=run_id, workers=workers, progress=progress) as importer:
        return importer.run(uris)
