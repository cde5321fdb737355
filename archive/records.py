"""The archive's record schema: the contract downstream consumers rely on.

Every field documented here is also described in ``docs/archive.md``; bump
``SCHEMA_VERSION`` on any incompatible change.
"""

from __future__ import annotations

import hashlib
import unicodedata
from typing import Literal

from pydantic import BaseModel, Field

SCHEMA_VERSION = 1

DateSource = Literal["json-ld", "meta", "time", "htmldate", "url", "feed", "sitemap"]


def content_hash(title: str | None, text: str) -> str:
    """Hash of what a reader sees: NFC-normalised, whitespace-folded title and text (the
    ``content_hash`` field; here so readers can check a record without the crawler's code)."""
    norm = " ".join(unicodedata.normalize("NFC", f"{title or ''}\n{text}").split())
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


class DateInfo(BaseModel):
    """A date as found on the page: the raw string, the parsed value and where it came from."""

    date: str | None = None  # YYYY-MM-DD (calendar date in the page's own offset)
    datetime: str | None = None  # ISO 8601 with the page's original UTC offset, when a time is known
    source: DateSource | None = None
    raw: str | None = None  # the string exactly as found


class RawPointer(BaseModel):
    """Where the raw HTTP response is kept: a gzipped WARC object in the same archive (crawled
    pages), or, with ``offset`` and ``length``, a record inside an outside WARC file (imported
    pages: ``key`` is then that file's URI, and a ranged GET of those bytes is the one record)."""

    key: str
    record_id: str  # WARC-Record-ID of the response record
    offset: int | None = None  # imported pages: the record's first byte in the WARC file ``key``
    length: int | None = None  # imported pages: the record's length in bytes (its gzip member)

    @property
    def is_external(self) -> bool:
        return self.offset is not None and self.length is not None


class Discovery(BaseModel):
    """How the crawler found the page."""

    via: Literal["start", "link", "feed", "sitemap", "manual", "warc"] = "link"  # warc: imported
    feed_date: str | None = None
    sitemap_date: str | None = None
    referer: str | None = None


class ExtractorInfo(BaseModel):
    name: str = "dateline"
    version: str
    trafilatura: str


class ExtractionQuality(BaseModel):
    """How far the cleaned text can be trusted, and the signals behind it (``docs/archive.md``).

    Agreements are the share of one text's word 4-grams found in the other (None: that text was
    absent); consumers filter on ``confidence``, operators count low values per site."""

    confidence: float  # 0-1; below LOW_CONFIDENCE the text is unsure (see fallback)
    agree_trafilatura: float | None = None  # share of plain trafilatura's text we kept
    agree_structured: float | None = None  # share of JSON-LD articleBody we kept
    precision_second: float | None = None  # share of ours readability has
    removed_share: float = 0.0  # 1 - agree_trafilatura
    extra_link_share: float = 0.0  # of that removed text, the share that is link text on the page
    text_markup_ratio: float = 0.0  # characters of text per character of HTML
    profile_coverage: float = 0.0  # share of the page's block text the site profile knows (0: no profile)
    own_link_share: float = 0.0  # share of the text that is link text on the page (teasers, menus kept)
    pruned_share: float = 0.0  # share of the page's paragraph text the boilerplate pruning removed
    lines_removed_share: float = 0.0  # share of trafilatura's characters the line rules dropped
    fallback: str | None = None  # "trafilatura" when plain trafilatura's text was kept instead of ours


LOW_CONFIDENCE = 0.5


class ArticleRecord(BaseModel):
    """One stored version of one article."""

    schema_version: int = SCHEMA_VERSION
    id: str  # sha256(canonical_url)[:20]
    version: str  # content_hash[:12]
    url: str  # the address fetched, after redirects
    canonical_url: str
    aliases: list[str] = Field(default_factory=list)  # other URLs that led to this article
    site: str
    title: str | None
    authors: list[str] = Field(default_factory=list)
    published: DateInfo
    modified: DateInfo | None = None
    language: str | None = None
    description: str | None = None
    text: str
    content_hash: str  # sha256 hex of normalised title + text
    word_count: int
    paywalled: bool = False
    page_type: str = "article"
    crawled_at: str  # ISO 8601 UTC
    run_id: str
    extractor: ExtractorInfo
    raw: RawPointer | None
    discovery: Discovery = Field(default_factory=Discovery)
    # Set only on versions made by re-extracting the stored raw page (``crawled_at`` stays the
    # fetch time); orders such a version after the one it was made from.
    extracted_at: str | None = None
    extraction: ExtractionQuality | None = None  # None on records written before confidence existed


class Failure(BaseModel):
    """A page that could not be fetched, parsed or stored: recorded, never dropped."""

    url: str
    site: str
    stage: Literal["fetch", "extract", "store", "robots", "config"]
    reason: str  # short machine-friendly reason, e.g. "http-500", "timeout", "empty-body"
    detail: str = ""
    status: int | None = None
    raw: RawPointer | None = None
    at: str  # ISO 8601 UTC


class SiteStats(BaseModel):
    """Per-site counts of one run; what operators read in the dashboard."""

    site: str
    discovered: int = 0
    fetched: int = 0
    stored_new: int = 0
    stored_new_version: int = 0
    unchanged: int = 0
    skipped_archived: int = 0
    skipped_not_article: int = 0
    skipped_too_old: int = 0
    skipped_too_old_unfetched: int = 0  # of skipped_too_old: a feed or sitemap date said so, never fetched
    stored_alias: int = 0  # same text already stored under another URL
    skipped_robots: int = 0
    skipped_over_limit: int = 0  # discovered beyond max_pages (or a sitemap's cap): left for the next run
    throttled: int = 0  # 403/429 answers that slowed the crawl down
    low_confidence: int = 0  # of stored_new + stored_new_version: extraction confidence < LOW_CONFIDENCE
    failed: int = 0
    failures_by_reason: dict[str, int] = Field(default_factory=dict)
    seconds: float = 0.0
    finish_reason: str | None = None
    unreachable: bool = False


class RunManifest(BaseModel):
    """Written last, once per site per run: what the run wrote and what failed."""

    schema_version: int = SCHEMA_VERSION
    run_id: str
    site: str
    started_at: str
    finished_at: str
    complete: bool
    stats: SiteStats
    written: list[dict[str, str]] = Field(default_factory=list)  # {id, key, version, content_hash, status}
    failures: list[Failure] = Field(default_factory=list)


def to_json_bytes(model: BaseModel) -> bytes:
    """UTF-8 JSON in field declaration order, so equal objects are equal bytes (put-if-absent
    of the same content is then a no-op, and hashes of it are stable)."""
    return model.model_dump_json().encode("utf-8")
