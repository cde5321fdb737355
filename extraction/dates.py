"""Publication and modification dates, as declared by the page, never later than the crawl.

Declared values (JSON-LD, meta tags, ``<time>``) beat guesses (htmldate, URL, feed), because
they are what the publisher states; every value keeps its raw string and original UTC offset so
consumers can reason about local calendar days.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from lxml.html import HtmlElement

from archive.records import DateInfo, DateSource
from extraction.structured import Structured, as_text

LOGGER = logging.getLogger(__name__)

EARLIEST = date(1995, 1, 1)  # no news site published on the web before this
EASTMOST = timezone(timedelta(hours=14))  # a date-only value may be "tomorrow" in UTC+14
# guesses that may repeat a declared value already rejected as later than the crawl
_GUESSES = frozenset({"htmldate", "url"})

PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "article:published",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "published_time",
    "published-date",
    "article.published",
    "article_date_original",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date.created",
    "dcterms.created",
    "dc.date",
    "dcterms.date",
    "date",
    "sailthru.date",
    "parsely-pub-date",
    "cxenseparse:recs:publishtime",
    "article.created",
    "originalpublicationdate",
    "date.available",
    "og:pubdate",
    "live_date",
    "release_date",
    "creation_date",
)
MODIFIED_META = (
    "article:modified_time",
    "og:article:modified_time",
    "article:modified",
    "og:updated_time",
    "datemodified",
    "dc.date.modified",
    "dcterms.modified",
    "last-modified",
    "lastmod",
    "article.updated",
    "parsely-updated",
    "cxenseparse:recs:articlemodificationtime",
)

_DATE_ONLY = re.compile(r"^\s*(\d{4})-?(\d{2})-?(\d{2})\s*$")
_ISO_HEAD = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?(?:\s*(?:Z|[+-]\d{2}:?\d{2}|[+-]\d{2}))?"
)
_DMY = re.compile(r"\b(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})(?:\D{1,10}?(\d{1,2})[:.h](\d{2})(?::(\d{2}))?)?")
_YMD_SLASH = re.compile(r"\b(\d{4})/(\d{1,2})/(\d{1,2})(?:[T ,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_EPOCH = re.compile(r"^\d{10}(\d{3})?$")
_URL_DATE = re.compile(
    r"(?:^|[/_-])((?:199|20[0-4])\d)[/_-]?(0[1-9]|1[0-2])[/_-]?(0[1-9]|[12]\d|3[01])(?=$|[/_.-]|[a-z])", re.I
)
_URL_DATE_SLASHED = re.compile(r"/((?:199|20[0-4])\d)/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])/")
_EXCLUDED_TIME_CONTEXT = re.compile(
    r"related|teaser|recommend|aside|footer|comment|more-|promo|sidebar|widget|breaking|ticker|nav", re.I
)


@dataclass(frozen=True)
class Parsed:
    """A parsed date: the moment, whether a clock time and an offset were given."""

    value: datetime  # naive when no offset was given
    has_time: bool

    @property
    def aware(self) -> bool:
        return self.value.tzinfo is not None


def parse_date(raw: str) -> Parsed | None:
    """Parse the date formats pages use (ISO 8601, RFC 2822, d.m.Y, Y/m/d, epoch); None if none fit."""
    text = raw.strip()
    if not text or len(text) > 80:
        return None
    for parser in (_parse_iso, _parse_epoch, _parse_rfc2822, _parse_dmy, _parse_slashed):
        try:
            parsed = parser(text)
        except (ValueError, OverflowError, TypeError, IndexError):
            parsed = None
        if parsed is not None:
            return parsed
    return None


def _parse_iso(text: str) -> Parsed | None:
    match = _DATE_ONLY.match(text)
    if match:
        return Parsed(datetime(int(match[1]), int(match[2]), int(match[3])), has_time=False)
    head = _ISO_HEAD.match(text)
    if not head:
        return None
    token = head.group(0).replace(" ", "T", 1).replace(",", ".")
    token = re.sub(r"\s+", "", token)
    token = re.sub(r"T(\d):", r"T0\1:", token)
    token = re.sub(r"-(\d)(?=-|T|$)", r"-0\1", token)
    value = datetime.fromisoformat(token)
    return Parsed(value, has_time="T" in token)


def _parse_epoch(text: str) -> Parsed | None:
    if not _EPOCH.match(text):
        return None
    seconds = int(text) / (1000 if len(text) == 13 else 1)
    return Parsed(datetime.fromtimestamp(seconds, tz=UTC), has_time=True)


def _parse_rfc2822(text: str) -> Parsed | None:
    if not re.search(r"[A-Za-z]{3}", text):
        return None
    value = parsedate_to_datetime(text)
    if value is None:
        return None
    # "-0000" means an unknown offset in RFC 2822; parsedate_to_datetime then returns a naive value
    return Parsed(value, has_time=True)


def _parse_dmy(text: str) -> Parsed | None:
    match = _DMY.search(text)
    if not match:
        return None
    day, month, year = int(match[1]), int(match[2]), int(match[3])
    if match[4]:
        return Parsed(datetime(year, month, day, int(match[4]), int(match[5]), int(match[6] or 0)), True)
    return Parsed(datetime(year, month, day), has_time=False)


def _parse_slashed(text: str) -> Parsed | None:
    match = _YMD_SLASH.search(text)
    if not match:
        return None
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    if match[4]:
        return Parsed(datetime(year, month, day, int(match[4]), int(match[5]), int(match[6] or 0)), True)
    return Parsed(datetime(year, month, day), has_time=False)


def latest_allowed(crawled_at: datetime) -> tuple[datetime, date]:
    """The crawl moment (UTC, for aware values) and the crawl date in UTC+14 (for the rest)."""
    moment = crawled_at if crawled_at.tzinfo else crawled_at.replace(tzinfo=UTC)
    return moment.astimezone(UTC), moment.astimezone(EASTMOST).date()


def acceptable(parsed: Parsed, crawled_at: datetime) -> bool:
    """Not before 1995 and not after the crawl (absolute time when an offset is known)."""
    moment, eastmost_day = latest_allowed(crawled_at)
    if parsed.value.date() < EARLIEST:
        return False
    if parsed.aware and parsed.has_time:
        return parsed.value <= moment
    if parsed.has_time:
        return parsed.value <= moment.astimezone(EASTMOST).replace(tzinfo=None)
    return parsed.value.date() <= eastmost_day


def to_info(parsed: Parsed, source: DateSource, raw: str) -> DateInfo:
    """A DateInfo keeping the page's own offset (never converted) and its raw string."""
    return DateInfo(
        date=parsed.value.date().isoformat(),
        datetime=parsed.value.isoformat() if parsed.has_time else None,
        source=source,
        raw=raw.strip(),
    )


def _accept(raw: str | None, source: DateSource, crawled_at: datetime, rejected: set[str]) -> DateInfo | None:
    """The value as DateInfo if it parses and is acceptable; rejected calendar days are noted."""
    if not raw:
        return None
    parsed = parse_date(raw)
    if parsed is None:
        return None
    if not acceptable(parsed, crawled_at):
        day = parsed.value.date().isoformat()
        rejected.update({day, day[:7] + "-01"})  # htmldate falls back to the month of a refused day
        return None
    info = to_info(parsed, source, raw)
    return None if source in _GUESSES and info.date in rejected else info


def _jsonld_values(structured: Structured, key: str) -> Iterator[str]:
    """Values of ``key`` on article nodes first, then on any other node (WebPage ...)."""
    article_nodes = structured.articles
    others = [n for n in structured.nodes if not any(n is a for a in article_nodes)]
    for node in [*article_nodes, *others]:
        value = as_text(node.get(key))
        if value:
            yield value


def _meta_values(structured: Structured, names: tuple[str, ...]) -> Iterator[str]:
    for name in names:
        yield from structured.meta.get(name, [])


def _in_excluded_context(element: HtmlElement) -> bool:
    for ancestor in element.iterancestors():
        if ancestor.tag in ("aside", "footer", "nav"):
            return True
        if _EXCLUDED_TIME_CONTEXT.search(f"{ancestor.get('class', '')} {ancestor.get('id', '')}"):
            return True
    return False


def _time_score(element: HtmlElement) -> int:
    """Higher for elements that say they carry the publication time."""
    marks = f"{element.get('itemprop', '')} {element.get('class', '')} {element.get('id', '')}".lower()
    if "datepublished" in marks or element.get("pubdate") is not None:
        return 3
    if "modif" in marks or "update" in marks:
        return 0
    if "publish" in marks or "created" in marks:
        return 2
    return 1


def time_elements(tree: HtmlElement, modified: bool = False) -> Iterator[str]:
    """datetime attributes of ``<time>`` (and itemprop date) elements near the article header."""
    candidates: list[tuple[int, int, str]] = []
    wanted = "datemodified" if modified else "datepublished"
    for order, element in enumerate(tree.xpath("//time[@datetime] | //*[@itemprop][@datetime or @content]")):
        itemprop = (element.get("itemprop") or "").lower()
        if itemprop and itemprop not in (wanted, "") and element.tag != "time":
            continue
        if element.tag == "meta":
            continue  # meta itemprops are read with the meta tags
        value = element.get("datetime") or element.get("content")
        if not value or _in_excluded_context(element):
            continue
        score = 3 if itemprop == wanted else _time_score(element)
        if modified and itemprop != wanted:
            continue
        if score:
            candidates.append((-score, order, value))
    for _, _, value in sorted(candidates)[:5]:
        yield value


def url_date(url: str) -> str | None:
    """A Y/M/D date written in the URL path, as found."""
    path = re.sub(r"^[a-z]+://[^/]+", "", url, flags=re.I).split("?", 1)[0]
    match = _URL_DATE_SLASHED.search(path) or _URL_DATE.search(path)
    if not match:
        return None
    return f"{match[1]}-{int(match[2]):02d}-{int(match[3]):02d}"


def htmldate_guess(tree: HtmlElement, crawled_at: datetime) -> str | None:
    """htmldate's original-date guess from the page content, with explicit bounds (its default caps
    at local today). The URL is left to our own URL step so the source is reported truthfully."""
    from htmldate import find_date

    _, eastmost_day = latest_allowed(crawled_at)
    try:
        found: str | None = find_date(
            tree,
            url="",  # not None: htmldate would read the canonical link's URL date itself
            original_date=True,
            extensive_search=True,
            min_date=datetime.combine(EARLIEST, datetime.min.time()),
            max_date=datetime.combine(eastmost_day, datetime.min.time()),
        )
    except Exception as exc:  # htmldate is a heuristic library: a failure there is "no date"
        LOGGER.debug("htmldate failed: %s", exc)
        return None
    return found


def _first_acceptable(
    steps: list[tuple[DateSource, Any]], crawled_at: datetime, rejected: set[str]
) -> DateInfo | None:
    for source, values in steps:
        for raw in values():
            info = _accept(raw, source, crawled_at, rejected)
            if info is not None:
                return info
    return None


def find_declared(
    tree: HtmlElement, structured: Structured, crawled_at: datetime, rejected: set[str] | None = None
) -> DateInfo:
    """The publication date the page declares: JSON-LD, then meta tags, then ``<time>`` elements.

    Calendar days of declared values later than the crawl are added to ``rejected``.
    """
    steps: list[tuple[DateSource, Any]] = [
        ("json-ld", lambda: _jsonld_values(structured, "datePublished")),
        ("json-ld", lambda: _jsonld_values(structured, "dateCreated")),
        ("meta", lambda: _meta_values(structured, PUBLISHED_META)),
        ("time", lambda: time_elements(tree)),
    ]
    return _first_acceptable(steps, crawled_at, set() if rejected is None else rejected) or DateInfo()


def find_guessed(
    tree: HtmlElement,
    url: str,
    crawled_at: datetime,
    feed_date: str | None = None,
    sitemap_date: str | None = None,
    rejected: set[str] | None = None,
) -> DateInfo:
    """When nothing is declared: htmldate, then the URL, then the feed and sitemap dates.

    Given a tree with related-article teasers pruned, htmldate no longer picks their dates; a guess
    equal to a declared day already rejected as later than the crawl is refused too (htmldate
    reads the same markup but only compares calendar days).
    """
    steps: list[tuple[DateSource, Any]] = [
        ("htmldate", lambda: [htmldate_guess(tree, crawled_at)]),
        ("url", lambda: [url_date(url)]),
        ("feed", lambda: [feed_date]),
        ("sitemap", lambda: [sitemap_date]),
    ]
    return _first_acceptable(steps, crawled_at, set() if rejected is None else rejected) or DateInfo()


def find_published(
    tree: HtmlElement,
    structured: Structured,
    url: str,
    crawled_at: datetime,
    feed_date: str | None = None,
    sitemap_date: str | None = None,
) -> DateInfo:
    """The publication date by source order; DateInfo() (all None) when nothing acceptable is found."""
    rejected: set[str] = set()
    declared = find_declared(tree, structured, crawled_at, rejected)
    if declared.date is not None:
        return declared
    return find_guessed(tree, url, crawled_at, feed_date, sitemap_date, rejected)


def find_modified(tree: HtmlElement, structured: Structured, crawled_at: datetime) -> DateInfo | None:
    """The last-modified date the page declares (JSON-LD, meta, ``<time>``), or None."""
    steps: list[tuple[DateSource, Any]] = [
        ("json-ld", lambda: _jsonld_values(structured, "dateModified")),
        ("meta", lambda: _meta_values(structured, MODIFIED_META)),
        ("time", lambda: time_elements(tree, modified=True)),
    ]
    return _first_acceptable(steps, crawled_at, set())
