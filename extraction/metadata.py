"""Title, authors, language, description and canonical URL of a page.

Every field is chosen from what the page declares in several places (JSON-LD, Open Graph, visible
markup); agreement between independent places is the signal, never a rule for a named publisher.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from extraction.structured import Structured, as_text, types_of

# --- shared text helpers ------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")


def clean_text(value: str | None) -> str:
    """Unescaped, single-spaced text without soft hyphens or zero-width characters."""
    if not value:
        return ""
    return _SPACES.sub(" ", _INVISIBLE.sub("", html.unescape(value))).strip()


def squash(value: str) -> str:
    """Lowercased letters and digits only: for comparing names written differently."""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", value).casefold())


_NOT_ALNUM = re.compile(r"[\W_]+")  # \w is str.isalnum() plus "_": the same letters, one C loop


# --- site names -------------------------------------------------------------------------------

_GENERIC_HOST_LABELS = frozenset(
    {"www", "m", "amp", "mobile", "news", "online", "edition", "com", "org", "net", "co", "de", "uk"}
)


def host_labels(url: str) -> set[str]:
    """Distinctive labels of a host name ("dailymail" from www.dailymail.co.uk)."""
    host = (urlsplit(url).hostname or "").lower()
    parts = host.split(".")[:-1]  # drop the top-level domain
    return {squash(p) for p in parts if len(p) >= 3 and p not in _GENERIC_HOST_LABELS}


def site_names(structured: Structured, url: str) -> set[str]:
    """Squashed names the site calls itself (og:site_name, publisher, WebSite node, host)."""
    names = [
        structured.first_meta("og:site_name"),
        structured.first_meta("application-name"),
        structured.first_meta("apple-mobile-web-app-title"),
        (structured.first_meta("twitter:site") or "").lstrip("@"),
    ]
    for node in structured.nodes:
        if types_of(node) & {"website", "organization", "newsmediaorganization"}:
            names.append(as_text(node.get("name")))
        publisher = node.get("publisher")
        if isinstance(publisher, dict):
            names.append(as_text(publisher.get("name")))
    found = {squash(n) for n in names if n}
    return {n for n in found if len(n) >= 2} | host_labels(url)


# --- title --------------------------------------------------------------------------------------

_SEPARATOR = re.compile(r"\s+[|\-–—:·•»«/~]\s+|\s*[|｜ㅣ]\s*|\s+::\s+|\s*--\s*|\s*[:：]\s*(?=[^:：]+$)")
_SEP_CHARS = "|-–—:·•»«/~｜ㅣ "


_CJK_SECTION = re.compile("(?<=\\S)-[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]{1,6}$")


def _is_site_segment(segment: str, names: set[str]) -> bool:
    squashed = squash(segment)
    if not squashed or len(segment.split()) > 6:
        return False
    if re.search(r"\b[\w-]+\.(?:[a-z]{2,6})\b", segment.lower()) or re.fullmatch(r"[\d\s./-]+", segment):
        return True
    return any(n in squashed or (len(squashed) >= 4 and squashed in n) for n in names)


def strip_site_name(title: str, names: set[str]) -> str:
    """Remove site-name segments at either end ("X | Site", "Site: X", "X - Section - Site")."""
    for _ in range(3):
        parts = _SEPARATOR.split(title)
        if len(parts) < 2:
            break
        if _is_site_segment(parts[-1], names):
            title = title[: title.rfind(parts[-1])].rstrip(_SEP_CHARS)
            # "Headline | Section | Site": a short section label before the site name goes too
            section = re.match(r"^(.*\S)\s*\|\s*([^|]{1,30})$", title)
            if section and len(section[2].split()) <= 3:
                title = section[1]
            # "제목-정치ㅣ사이트": a section in a script without spaces, hyphenated on without spaces
            title = _CJK_SECTION.sub("", title)
        elif _is_site_segment(parts[0], names):
            title = title[len(parts[0]) :].lstrip(_SEP_CHARS)
        else:
            break
    return title.strip()


def _shared_suffixes(candidates: list[str], names: set[str]) -> set[str]:
    """Site-name tails that one candidate has and another lacks ("X-Politics|Site" vs "X"), even
    when the separator has no spaces around it."""
    tails = set()
    for short in candidates:
        for long in candidates:
            if len(long) > len(short) + 1 and long.startswith(short):
                tail = long[len(short) :]
                last = re.split(f"[{re.escape(_SEP_CHARS)}]+", tail.strip(_SEP_CHARS))[-1]
                if tail[0] not in _SEP_CHARS or len(tail.split()) > 6:
                    continue
                # a site name, or a short label after a pipe ("X | Sport"): pipes rarely occur in headlines
                if _is_site_segment(last, names) or re.match(r"^\s*\|\s*\w+(?:\s\w+)?\s*$", tail):
                    tails.add(tail)
    return tails


# Classes of the small line above a headline ("kicker", "Dachzeile", "overline" ...): not part of it.
_KICKER_CLASS = re.compile(
    r"kicker|overline|topline|dachzeile|spitzmarke|eyebrow|roofline|supertitle|pretitle|preheadline|"
    r"topic|flag|label|rubric|category|section",
    re.I,
)
_HEADLINE_CLASS = re.compile(r"headline|title", re.I)
_HIDDEN_CLASS = re.compile(r"offscreen|sr-only|visually-?hidden|a11y|screen-?reader|\bhidden\b", re.I)
# Containers of a site's trail of links: an h1 inside them is an SEO title, not the visible headline.
_TRAIL_CLASS = re.compile(r"breadcrumb|crumb|swiper|carousel|slider", re.I)


def _classes(element: HtmlElement) -> str:
    return f"{element.get('class') or ''} {element.get('id') or ''} {element.get('data-testid') or ''}"


def _in_trail(element: HtmlElement) -> bool:
    """Inside a <nav> or a breadcrumb/carousel container (where some sites put a hidden SEO h1)."""
    for ancestor in element.iterancestors():
        if ancestor.tag == "nav" or _TRAIL_CLASS.search(_classes(ancestor)):
            return True
        if (ancestor.get("aria-label") or "").lower().startswith("breadcrumb"):
            return True
    return False


def _without_kicker(heading: HtmlElement) -> str | None:
    """The headline part of a heading that also holds a kicker line: the child marked as the
    headline, else the text left once kicker-class and screen-reader-only children are removed."""
    full = clean_text(heading.text_content())
    children = [c for c in heading if isinstance(c.tag, str)]
    if not children:
        return None
    for child in children:
        marks = f"{_classes(child)} {child.get('itemprop') or ''}"
        if _HEADLINE_CLASS.search(marks) and not _KICKER_CLASS.search(marks):
            text = clean_text(child.text_content())
            if text != full and len(text.split()) >= 2:
                return text
    parts = [heading.text or ""]
    dropped = False
    for child in heading:
        if isinstance(child.tag, str):
            marks = _classes(child)
            if (
                _KICKER_CLASS.search(marks)
                or _HIDDEN_CLASS.search(marks)
                or child.get("aria-hidden") == "true"
            ):
                dropped = True
            else:
                parts.append(child.text_content())
        parts.append(child.tail or "")
    rest = clean_text(" ".join(parts))
    return rest if dropped and rest != full and len(rest.split()) >= 2 else None


def _heading_text(heading: HtmlElement) -> str:
    """The heading's text, or "" when it is too long to be a headline."""
    text = clean_text(heading.text_content())
    return text if len(text) <= 300 else ""


def headline_element(tree: HtmlElement) -> HtmlElement | None:
    """The visible headline: the first h1 outside breadcrumbs and navigation. Sites that put their
    h1 into the breadcrumb trail (an SEO title) show the headline in the first h2 after it."""
    trail_h1: HtmlElement | None = None
    for h1 in tree.iter("h1"):
        if not _heading_text(h1):
            continue
        if not _in_trail(h1):
            return h1
        trail_h1 = trail_h1 if trail_h1 is not None else h1
    if trail_h1 is None:
        return None
    for h2 in trail_h1.xpath("following::h2"):
        if not _in_trail(h2):
            return h2 if _heading_text(h2) else None
    return None


def _heading_candidates(tree: HtmlElement) -> list[tuple[str, float]]:
    """The visible headline without its kicker line (weight 1) and other heading forms: the full
    headline with kicker and later h1s (0.3, enough to break ties), h1s in breadcrumb trails (0:
    only for recognising a repeated headline in the body)."""
    visible = headline_element(tree)
    found: list[tuple[str, float]] = []
    headings = list(tree.iter("h1"))
    if visible is not None and visible.tag != "h1":
        headings.append(visible)
    for heading in headings:
        text = _heading_text(heading)
        if not text:
            continue
        if heading is visible:
            headline = _without_kicker(heading)
            found.append((headline or text, 1.0))
            if headline:
                found.append((text, 0.3))
        else:
            found.append((text, 0.0 if _in_trail(heading) else 0.3))
    return found


def title_candidates(tree: HtmlElement, structured: Structured) -> list[tuple[str, float]]:
    """Headline candidates with the weight of their source.

    og:title is the headline the newsroom chose to represent the article (weight 2); it gives way
    when the JSON-LD headline and the visible headline agree on something else (1.1 + 1). Those two
    alone decide when og:title is missing. twitter:title and <title> are mostly copies of og:title
    (not independent evidence) and only count when nothing else exists (weight 0).
    """
    article = structured.article or {}
    title_el = tree.find(".//title")
    found = [
        (clean_text(as_text(article.get("headline"))), 1.1),
        (clean_text(structured.first_meta("og:title")), 2.0),
        *_heading_candidates(tree),
        (clean_text(as_text(article.get("name"))), 0.2),
        (clean_text(structured.first_meta("twitter:title")), 0.0),
        (clean_text(title_el.text_content() if title_el is not None else ""), 0.0),
    ]
    return [
        (_uncut(value, found) if i in (1, len(found) - 2) else value, w) for i, (value, w) in enumerate(found)
    ]


def _uncut(value: str, candidates: list[tuple[str, float]]) -> str:
    """A meta title cut short at an unescaped quote (content="A "B" C" ends after "A "), made whole
    again from a candidate that goes on with that quote: the quote ended the attribute, not the
    headline."""
    if not value:
        return value
    for other, _ in candidates:
        if len(other) > len(value) and other.startswith(value) and other[len(value) :].lstrip()[:1] == '"':
            return other
    return value


def title_variants(candidates: list[tuple[str, float]], names: set[str]) -> list[str]:
    """Every headline form the page shows (og:title, h1 with kicker ...), site names stripped:
    any of them repeated at the top of the body text is a duplicated headline."""
    out: list[str] = []
    for value, _ in candidates:
        if value:
            out.extend({value, strip_site_name(value, names)})
    return out


def choose_title(candidates: list[tuple[str, float]], names: set[str]) -> str | None:
    """The headline with the most weighted support, site names stripped; first one on ties."""
    tails = _shared_suffixes([c for c, _ in candidates if c], names)
    scores: dict[str, float] = {}
    first_seen: dict[str, str] = {}
    for value, weight in candidates:
        for tail in tails:
            if value.endswith(tail) and len(value) > len(tail):
                value = value[: -len(tail)]
        value = strip_site_name(value, names)
        key = squash(value)
        if not key or key in names:
            continue
        scores[key] = scores.get(key, 0.0) + weight
        first_seen.setdefault(key, value)
    if not scores:
        return None
    return first_seen[max(scores, key=lambda k: scores[k])]


# --- authors (extraction.authors) --------------------------------------------------------------


def choose_authors(tree: HtmlElement, structured: Structured, names: set[str] | None = None) -> list[str]:
    """Clean author names of the page (see ``extraction.authors.choose_authors``)."""
    from extraction import authors  # imported here: extraction.authors builds on this module

    return authors.choose_authors(tree, structured, names)


# --- language, description, canonical -------------------------------------------------------------

_LANG = re.compile(r"^[a-z]{2,3}(?:[-_][a-z0-9]{2,8})?$", re.I)


def normalise_language(value: str | None) -> str | None:
    """A BCP 47-ish tag reduced to its primary language ("de-CH" -> "de"), or None."""
    if not value:
        return None
    value = value.strip().split(",")[0].strip()
    if not _LANG.match(value):
        return None
    return value.replace("_", "-").split("-")[0].lower()


def choose_language(tree: HtmlElement, structured: Structured) -> str | None:
    """<html lang>, og:locale, content-language, JSON-LD inLanguage, in that order."""
    article = structured.article or {}
    for value in (
        tree.get("lang") or tree.get("xml:lang"),
        structured.first_meta("og:locale"),
        structured.first_meta("content-language", "language", "dc.language"),
        as_text(article.get("inLanguage")),
    ):
        lang = normalise_language(value)
        if lang:
            return lang
    return None


def choose_description(structured: Structured) -> str | None:
    article = structured.article or {}
    value = structured.first_meta("og:description", "description", "twitter:description") or as_text(
        article.get("description")
    )
    return clean_text(value) or None


_TRACKING = re.compile(
    r"^(?:utm_\w+|fbclid|gclid|dclid|gclsrc|msclkid|mc_cid|mc_eid|yclid|igshid|_ga|_gl|"
    r"ref|ref_src|cmp|cmpid|maca|ito|at_\w+|wt_\w+|ns_\w+|ocid|sr_share|share|smid|xtor|spm|"
    r"mbid|rss|feed|from|source|src|guccounter|__twitter_impression|s_cid|icid)$",
    re.I,
)


def normalise_url(url: str) -> str:
    """The URL without tracking parameters or fragment, normalised by courlan."""
    from courlan import normalize_url
    from w3lib.url import url_query_cleaner

    try:
        cleaned = url_query_cleaner(url, parameterlist=(), remove=True, unique=True, keep_fragments=False)
        query = urlsplit(cleaned).query
        if query:
            kept = [p for p in query.split("&") if p and not _TRACKING.match(p.split("=", 1)[0])]
            cleaned = cleaned.split("?", 1)[0] + ("?" + "&".join(kept) if kept else "")
        normalised: str = normalize_url(cleaned, strict=False)
        return normalised
    except (ValueError, TypeError):
        return url


def host_allowed(host: str, fetched_host: str, allowed_domains: Iterable[str]) -> bool:
    """Same host as fetched, or an allowed domain or one of its subdomains."""
    host = host.lower().removeprefix("www.")
    if host == fetched_host.lower().removeprefix("www."):
        return True
    for domain in allowed_domains:
        domain = domain.lower().lstrip(".").removeprefix("www.")
        if host == domain or host.endswith("." + domain):
            return True
    return False


def declared_canonical(tree: HtmlElement, structured: Structured, url: str) -> str | None:
    """What the page claims as its canonical address (<link rel=canonical>, else og:url), absolute."""
    for link in tree.iterfind(".//link[@rel]"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            return urljoin(url, link.get("href", "").strip())
    og_url = structured.first_meta("og:url")
    return urljoin(url, og_url) if og_url else None


def choose_canonical(claimed: str | None, url: str, allowed_domains: Iterable[str]) -> str:
    """The page's claim when it stays on the fetched host or an allowed domain, else the fetched URL."""
    fetched_host = urlsplit(url).hostname or ""
    if claimed:
        parts = urlsplit(claimed)
        if parts.scheme in ("http", "https") and host_allowed(
            parts.hostname or "", fetched_host, allowed_domains
        ):
            return normalise_url(claimed)
    return normalise_url(url)
