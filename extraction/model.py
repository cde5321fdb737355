"""Input and output types of page extraction (kept free of Scrapy and storage concerns)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from archive.records import DateInfo, ExtractionQuality


class PageHints(BaseModel):
    """What the crawler knows about a page besides its HTML."""

    url: str
    site: str | None = None
    crawled_at: datetime  # tz-aware UTC; upper bound for every date
    feed_date: str | None = None  # raw date string from an RSS/Atom item
    sitemap_date: str | None = None  # raw date from a news sitemap / lastmod
    allowed_domains: list[str] = Field(default_factory=list)


class Extraction(BaseModel):
    """Clean text and metadata of one page."""

    url: str
    canonical_url: str  # trusted canonical, or the normalised fetched URL
    declared_canonical: str | None = None  # what the page claimed, even if not trusted
    title: str | None = None
    authors: list[str] = Field(default_factory=list)
    published: DateInfo = Field(default_factory=DateInfo)
    modified: DateInfo | None = None
    language: str | None = None
    description: str | None = None
    text: str = ""
    page_type: str = "article"  # article | section | liveblog | gallery | video | other
    is_article: bool = True
    paywalled: bool = False
    reasons: list[str] = Field(default_factory=list)  # why page_type / is_article / paywalled were decided
    quality: ExtractionQuality | None = None  # how sure the text is, and why


class ExtractionError(Exception):
    """A page that cannot be cleaned; ``reason`` is short and machine-friendly."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
