"""Scrapy items: what the spider hands to the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field

from archive.records import Discovery, Failure


@dataclass
class PageItem:
    """A fetched candidate article, raw: cleaning happens in the pipeline, off the reactor."""

    url: str  # final URL after redirects
    request_url: str  # the URL first requested
    redirect_urls: list[str]
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    encoding: str | None  # charset declared by the HTTP headers, if any
    fetched_at: str  # ISO 8601 UTC
    discovery: Discovery
    request_headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class FailureItem:
    """A page that could not be fetched: recorded with its reason, never dropped."""

    failure: Failure
