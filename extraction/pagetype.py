"""Is this page an article, and is its text behind a paywall?

Crawlers also fetch section fronts, tag and author pages, video and gallery pages; storing those
as articles pollutes the archive. The decision combines what the page declares (og:type, JSON-LD
@type, isAccessibleForFree) with what it looks like (URL, text length, link density) and records
every reason so an operator can see why a page was skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import HtmlElement

from extraction.dom import texts
from extraction.structured import ARTICLE_TYPES, Structured, types_of

SECTION_TYPES = frozenset(
    {"collectionpage", "itemlist", "profilepage", "searchresultspage", "sitenavigationelement"}
)
VIDEO_TYPES = frozenset({"videoobject"})
GALLERY_TYPES = frozenset({"imagegallery", "mediagallery"})

_SECTION_URL = re.compile(
    r"/(?:tags?|topics?|themen?|thema|schlagworte?|stichwort|author|authors|autor|autoren|autorin|"
    r"section|sections|category|categories|kategorie|rubrik|ressort|archive?|archiv|search|suche|"
    r"page/\d+)(?:/|$)",
    re.I,
)
_VIDEO_URL = re.compile(r"/(?:videos?|video-\w+|tv|mediathek|podcasts?)(?:/|$)", re.I)
_GALLERY_URL = re.compile(r"/(?:galler(?:y|ies)|galerie|bildergalerie|fotos|photos|fotostrecke)(?:/|$)", re.I)
_LIVE_URL = re.compile(r"/(?:live|liveblog|live-blog|ticker|newsticker)(?:/|-|$)", re.I)
_PAYWALL_MARK = re.compile(
    r"paywall|piano-|premium-(?:content|article|teaser)|subscriber-only|subscribers-only|"
    r"plus-content|paid-content|article-locked|locked-content|regwall|meteredcontent",
    re.I,
)

SHORT_ARTICLE = 1200  # characters: below this a page with paywall signals shows only a teaser
MIN_ARTICLE = 400  # characters of clean text a page needs to count as an article on text alone
MIN_DECLARED = 150  # a declared article with less text is a video/teaser stub (unless paywalled)
MAX_LINK_DENSITY = 0.5


@dataclass
class Signals:
    """What the page says about itself, read before boilerplate pruning."""

    og_type: str | None
    ld_types: set[str]
    url_path: str
    link_density: float
    declared_not_free: bool
    paywall_markup: bool


@dataclass
class PageKind:
    page_type: str = "article"
    is_article: bool = True
    paywalled: bool = False
    reasons: list[str] = field(default_factory=list)


def link_density(tree: HtmlElement) -> float:
    """Share of the body's visible text that sits inside links (high on fronts and indexes)."""
    body = tree.find(".//body")
    if body is None:
        return 0.0
    total = sum(len(t.strip()) for t in texts(body) if t.strip())
    if not total:
        return 0.0
    linked = sum(len(t.strip()) for a in body.iter("a") for t in texts(a) if t.strip())
    return min(1.0, linked / total)


def _not_free(structured: Structured) -> bool:
    for node in structured.nodes:
        for part in [node, *(p for p in _as_list(node.get("hasPart")) if isinstance(p, dict))]:
            value = part.get("isAccessibleForFree")
            if value is False or str(value).strip().lower() in ("false", "no", "0"):
                return True
    tier = (structured.first_meta("article:content_tier") or "").lower()
    return tier in ("locked", "metered", "premium")


def _as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


# class and id values, as plain strings (no element proxies); the capped query (the first 5000
# elements carrying one) is only needed, and slower, when there are more than 5000 values
_MARKER_VALUES = etree.XPath("//@class | //@id", smart_strings=False)
_MARKER_VALUES_CAPPED = etree.XPath(
    "(//*[@class or @id])[position() <= 5000]/@*[name() = 'class' or name() = 'id']", smart_strings=False
)
_MARKER_CAP = 5000
# the same alternatives without IGNORECASE, for lowercased ASCII text (where the two agree exactly)
_PAYWALL_MARK_LOWER = re.compile(_PAYWALL_MARK.pattern)  # its words are lowercase (tested)


def _paywall_markup(tree: HtmlElement) -> bool:
    # one search over all markers: the pattern's alternatives are plain words without spaces, so
    # no match spans two values. Class names are ASCII almost always, and on ASCII text a search
    # of the lowercased text without IGNORECASE is exact (and ~8x faster than with it)
    values = _MARKER_VALUES(tree)
    if len(values) > _MARKER_CAP:
        values = _MARKER_VALUES_CAPPED(tree)
    markers = "\n".join(values)
    if markers.isascii():
        return _PAYWALL_MARK_LOWER.search(markers.lower()) is not None
    return _PAYWALL_MARK.search(markers) is not None


def read_signals(tree: HtmlElement, structured: Structured, url: str) -> Signals:
    """Collect the signals from the unpruned page."""
    ld_types: set[str] = set()
    for node in structured.nodes:
        ld_types |= types_of(node)
    return Signals(
        og_type=(structured.first_meta("og:type") or "").lower() or None,
        ld_types=ld_types,
        url_path=urlsplit(url).path or "/",
        link_density=link_density(tree),
        declared_not_free=_not_free(structured),
        paywall_markup=_paywall_markup(tree),
    )


def _kind(signals: Signals, text_length: int) -> tuple[str, list[str]]:
    """page_type and the reasons for it."""
    reasons: list[str] = []
    declared_article = bool(signals.ld_types & ARTICLE_TYPES) or (signals.og_type or "").startswith("article")
    if "liveblogposting" in signals.ld_types or (_LIVE_URL.search(signals.url_path) and not declared_article):
        return "liveblog", [
            "json-ld LiveBlogPosting" if "liveblogposting" in signals.ld_types else "url: live"
        ]
    if declared_article:
        reasons.append(
            "og:type article" if (signals.og_type or "").startswith("article") else "json-ld article type"
        )
        if text_length >= MIN_DECLARED or signals.declared_not_free or signals.paywall_markup:
            return "article", reasons
        reasons.append(f"short text ({text_length} chars)")
    if (signals.og_type or "").startswith("video") or (
        signals.ld_types & VIDEO_TYPES and not declared_article
    ):
        return "video", [*reasons, "declared video"]
    if signals.ld_types & GALLERY_TYPES and not declared_article:
        return "gallery", [*reasons, "declared gallery"]
    if signals.ld_types & SECTION_TYPES and not declared_article:
        return "section", [*reasons, "json-ld collection/list page"]
    if _SECTION_URL.search(signals.url_path) or signals.url_path in ("", "/"):
        return "section", [*reasons, f"url looks like an index: {signals.url_path}"]
    if _VIDEO_URL.search(signals.url_path) and text_length < MIN_ARTICLE:
        return "video", [*reasons, "url: video"]
    if _GALLERY_URL.search(signals.url_path) and text_length < MIN_ARTICLE:
        return "gallery", [*reasons, "url: gallery"]
    if signals.link_density > MAX_LINK_DENSITY and not declared_article:
        return "section", [*reasons, f"link density {signals.link_density:.2f}"]
    if text_length >= MIN_ARTICLE:
        return "article", [*reasons, f"{text_length} chars of text"]
    return "other", [*reasons, f"only {text_length} chars of text"]


def classify(signals: Signals, text: str) -> PageKind:
    """Decide page_type, is_article and paywalled from the signals and the clean text."""
    page_type, reasons = _kind(signals, len(text))
    paywalled = False
    if signals.declared_not_free or signals.paywall_markup:
        marker = "isAccessibleForFree=false" if signals.declared_not_free else "paywall markup"
        if len(text) < SHORT_ARTICLE:
            paywalled = True
            reasons.append(f"paywalled: {marker} and {len(text)} chars of text")
        else:
            reasons.append(f"{marker}, but {len(text)} chars of text delivered")
    return PageKind(
        page_type=page_type,
        is_article=page_type in ("article", "liveblog"),
        paywalled=paywalled,
        reasons=reasons,
    )
