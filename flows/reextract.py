"""Re-extraction: clean the stored raw pages again and store the versions whose text changed.

Why: extraction improves; consumers should get the better text without a re-crawl. For each
article (latest version) of the chosen sites and publication dates, the raw response named by
the record is cleaned again with the current extractor. A changed text is stored through
ArchiveWriter as a new version (feed entry, similarity, everything); an equal text is
"unchanged". The new version keeps the article's id and canonical URL (identity does not
change because the extractor did), ``crawled_at`` (the page was fetched then, and dates are
bounded by it) and gets ``extracted_at`` (now) plus this run's ``run_id``; readers order it
after the version it came from. Each site gets a run manifest, as a crawl does.

Plain functions (tested without Prefect); the flow only orders them.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact

from archive.reader import ArchiveReader
from archive.records import ArticleRecord, Failure, RunManifest, SiteStats
from archive.store import open_store
from archive.writer import ArchiveWriter
from core.config import DEFAULT_ARCHIVE, ConfigError, load_sites
from core.profiles import load_profile
from core.recordbuilder import build_record
from core.runid import new_run_id
from core.times import iso_utc, parse_loose_date, utcnow
from extraction.extract import decode_html, extract_page
from extraction.model import ExtractionError, PageHints
from extraction.profile import ProfileRules

Outcome = Literal["new_version", "unchanged", "not_article", "no_raw", "failed"]
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


@dataclass
class SiteRun:
    """What one site's re-extraction did; becomes its run manifest."""

    site: str
    counts: dict[str, int] = field(default_factory=dict)
    written: list[dict[str, str]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1


def allowed_domains(sites_file: str | None, site: str) -> list[str]:
    """The site's allowed domains from the sites file; none if it is not configured there."""
    try:
        config = load_sites(sites_file)
    except ConfigError:
        return []
    return next((s.allowed_domains for s in config.sites if s.name == site), [])


def _charset(content_type: str | None) -> str | None:
    match = _CHARSET.search(content_type or "")
    return match.group(1) if match else None


def reextracted(
    reader: ArchiveReader,
    record: ArticleRecord,
    run_id: str,
    extracted_at: str,
    domains: list[str],
    rules: ProfileRules | None = None,
) -> ArticleRecord | None:
    """The record as the current extractor makes it from the stored raw page (with the site's
    learned profile, the main reason to re-extract); None if no article.

    Raises ExtractionError when the page cannot be cleaned.
    """
    assert record.raw is not None
    response = reader.raw_response(record.raw)
    hints = PageHints(
        url=record.url,
        site=record.site,
        crawled_at=response.fetched_at or parse_loose_date(record.crawled_at) or utcnow(),
        feed_date=record.discovery.feed_date,
        sitemap_date=record.discovery.sitemap_date,
        allowed_domains=domains,
    )
    ex = extract_page(decode_html(response.body, _charset(response.header("Content-Type"))), hints, rules)
    if not ex.is_article:
        return None
    ex = ex.model_copy(update={"canonical_url": record.canonical_url})  # same article, same id
    new = build_record(
        ex, site=record.site, fetched_url=record.url, other_urls=record.aliases,
        crawled_at=record.crawled_at, run_id=run_id, raw=record.raw, discovery=record.discovery,
    )  # fmt: skip
    return new.model_copy(update={"extracted_at": extracted_at})


def reextract_record(
    reader: ArchiveReader,
    writer: ArchiveWriter,
    record: ArticleRecord,
    run: SiteRun,
    run_id: str,
    domains: list[str],
    rules: ProfileRules | None = None,
) -> Outcome:
    """Re-extract one article and store the result if its text changed."""
    if record.raw is None:
        return "no_raw"
    try:
        new = reextracted(reader, record, run_id, iso_utc(utcnow()), domains, rules)
    except ExtractionError as e:
        run.failures.append(_failure(record, e.reason, e.detail))
        return "failed"
    except Exception as e:  # an extractor bug on one page must not stop the run
        run.failures.append(_failure(record, "extractor-crash", f"{type(e).__name__}: {e}"))
        return "failed"
    if new is None:
        return "not_article"
    if new.version == record.version:
        return "unchanged"
    status = writer.store_article(new)
    if status in ("new", "new_version"):
        key = reader.index_entries(new.id)[-1].key
        run.written.append({"id": new.id, "key": key, "version": new.version,
                            "content_hash": new.content_hash, "status": "new_version"})  # fmt: skip
        return "new_version"
    return "unchanged"


def _failure(record: ArticleRecord, reason: str, detail: str) -> Failure:
    return Failure(
        url=record.url, site=record.site, stage="extract", reason=reason,
        detail=detail[:500], raw=record.raw, at=iso_utc(utcnow()),
    )  # fmt: skip


def reextract_site(
    archive: str,
    site: str,
    run_id: str,
    since: date | None = None,
    until: date | None = None,
    sites_file: str | None = None,
) -> RunManifest:
    """Re-extract a site's articles published in [since, until]; write and return its manifest."""
    store = open_store(archive)
    reader = ArchiveReader(store)
    domains = allowed_domains(sites_file, site)
    profile = load_profile(store, site)
    rules = profile.rules() if profile is not None else None
    run = SiteRun(site)
    started, t0 = utcnow(), time.monotonic()
    with ArchiveWriter(store) as writer:  # closing ends its change-feed log
        for record in reader.iter_records([site], since=since, until=until):
            run.count(reextract_record(reader, writer, record, run, run_id, domains, rules))
        manifest = _manifest(run, run_id, iso_utc(started), time.monotonic() - t0)
        writer.write_manifest(manifest)
    return manifest


def _manifest(run: SiteRun, run_id: str, started_at: str, seconds: float) -> RunManifest:
    c = run.counts
    by_reason: dict[str, int] = {}
    for f in run.failures:
        by_reason[f.reason] = by_reason.get(f.reason, 0) + 1
    stats = SiteStats(
        site=run.site, stored_new_version=c.get("new_version", 0), unchanged=c.get("unchanged", 0),
        skipped_not_article=c.get("not_article", 0), failed=len(run.failures),
        failures_by_reason=by_reason, seconds=round(seconds, 2), finish_reason="reextract",
    )  # fmt: skip
    return RunManifest(
        run_id=run_id, site=run.site, started_at=started_at, finished_at=iso_utc(utcnow()),
        complete=True, stats=stats, written=run.written, failures=run.failures,
    )  # fmt: skip


def row(manifest: RunManifest) -> dict[str, object]:
    s = manifest.stats
    return {"site": manifest.site, "new_versions": s.stored_new_version, "unchanged": s.unchanged,
            "not_article": s.skipped_not_article, "failed": s.failed, "run_id": manifest.run_id}  # fmt: skip


@task(name="reextract-site")
def reextract_site_task(
    archive: str, site: str, run_id: str, since: str | None, until: str | None, sites_file: str | None
) -> RunManifest:
    return reextract_site(
        archive, site, run_id,
        date.fromisoformat(since) if since else None,
        date.fromisoformat(until) if until else None,
        sites_file,
    )  # fmt: skip


@flow(name="reextract")
def reextract(
    archive: str = DEFAULT_ARCHIVE,
    sites: list[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    sites_file: str | None = None,
) -> list[dict[str, object]]:
    """Re-clean stored raw pages of the chosen sites and publication dates (all by default)."""
    logger = get_run_logger()
    run_id = new_run_id("reextract")
    chosen = sites or ArchiveReader(open_store(archive)).sites()
    rows = []
    for site in chosen:
        manifest = reextract_site_task(archive, site, run_id, since, until, sites_file)
        rows.append(row(manifest))
        logger.info("[%s] %s", site, rows[-1])
    if rows:
        create_table_artifact(key="reextract-summary", table=rows, description="Re-extraction per site")
    return rows
