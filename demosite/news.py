"""A small, realistic news site built from real saved article pages, served by ``LocalSite``.

Why: Dateline must be testable (and demoable via ``dateline crawl --demo``) without internet. The
site has everything a crawler meets in the wild: a front page, section pages, RSS/Atom feeds, a
sitemap index with a Google news sitemap, robots.txt with a disallowed area, a redirect, a
tracking-parameter duplicate, non-article pages (tag, author, video) and, optionally, hostile
URLs (empty, binary, mis-encoded, 500, 404, too slow, absurdly nested). The demo pages are
bundled in ``demosite/demo_pages/``; nothing here depends on pytest or on the shared dataset.
"""

from __future__ import annotations

import contextlib
import gzip
import html
import json
import random
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from importlib import resources
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from demosite.server import LocalSite, Route


@dataclass
class SourcePage:
    """One real article page to publish on the local site.

    ``html`` is served byte for byte (as the publisher sent it), so extraction is tested on
    real markup; ``published`` (ISO 8601, truth) decides the article URL and feed dates.
    """

    html: bytes
    title: str
    published: str | None
    slug: str
    section: str
    encoding: str = "utf-8"
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def published_dt(self) -> datetime | None:
        """The publication time as a datetime (naive when the truth has no offset)."""
        return _parse_iso(self.published)


# --------------------------------------------------------------------------- the news site

SECTION_LIMIT = 50
FRONT_LIMIT = 8
RSS_LIMIT = 20

HOSTILE_PATHS: dict[str, str] = {
    kind: f"/articles/2024/01/02/{kind}.html"
    for kind in ("empty", "binary", "bad-encoding", "server-error", "slow", "gone", "nested")
}
"""Hostile kind -> path. A crawler must survive all of them; none is in ``expected_articles``.
``bad-encoding`` is a readable article for a tolerant decoder (cp1252 bytes, declared UTF-8);
``nested`` has text but 100k nested divs; the others must end as reported failures."""

HOSTILE_DATE = "2024-01-02T09:00:00+00:00"
NESTED_DEPTH = 100_000

BAD_ENCODING_ARTICLE: dict[str, Any] = {
    "title": "Großbüchenau: Bürgerinnen und Bürger entscheiden über neue Fußgängerbrücke",
    "published": "2024-01-02T08:15:00+01:00",
    "authors": ["Jürgen Schäfer"],
    "paragraphs": [
        "In der fiktiven Kleinstadt Großbüchenau dürfen die Einwohnerinnen und Einwohner im Frühjahr "
        "über den Bau einer neuen Fußgängerbrücke über die Bahngleise abstimmen.",
        "Die Brücke soll nach Angaben der Stadtverwaltung rund 2,4 Millionen € kosten. Gut die Hälfte "
        "davon übernimmt das Land, den Rest müsste die Stadt aus Rücklagen zahlen.",
        "„Wir wollen, dass die Menschen selbst entscheiden, ob ihnen der kürzere Schulweg so viel "
        "Geld wert ist“, sagte Bürgermeisterin Käthe Müller-Lüdenscheidt am Dienstag.",
        "Kritikerinnen und Kritiker bemängeln, dass die Straßenbahnhaltestelle am Südufer bis heute "
        "nicht barrierefrei ist. Sie fordern, zunächst dort Aufzüge einzubauen.",
        "Die Abstimmung ist für den 17. März geplant. Briefwahlunterlagen verschickt das Rathaus ab "
        "Ende Februar; Rückfragen beantwortet das Bürgerbüro täglich außer sonntags.",
    ],
}
"""The article behind ``bad-encoding.html``: its text is known, so a test can check that a
tolerant decoder recovered the umlauts instead of replacement characters."""


@dataclass
class SiteLayout:
    """Everything ``build_news_site`` produced: routes plus what a test needs to check a crawl.

    All mappings use site paths (``/articles/...``); ``NewsSite`` turns them into absolute URLs.
    ``roles``: ``only_sitemap``/``only_rss``/``only_section`` (article reachable from that source
    only; present when there are at least 4 pages), ``tracking`` (tracking-parameter duplicate),
    ``redirect`` (``/old/...``) and ``redirect_target``, ``video``, ``private``.
    """

    base_url: str
    name: str
    routes: dict[str, Route]
    articles: dict[str, SourcePage]
    hostile: dict[str, str]
    roles: dict[str, str]
    sources: dict[str, list[str]]


_LATIN_EXTRA = str.maketrans(
    {"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "đ": "d", "ł": "l", "þ": "th", "ı": "i"}
)


def slugify(text: str, *, fallback: str = "article", max_len: int = 60) -> str:
    """ASCII URL slug of a headline; ``fallback`` when nothing ASCII is left (e.g. Japanese)."""
    for candidate in (text, fallback):
        folded = unicodedata.normalize("NFKD", candidate.lower().translate(_LATIN_EXTRA))
        ascii_text = folded.encode("ascii", "ignore").decode("ascii")
        slug = ""
        for word in re.findall(r"[a-z0-9]+", ascii_text.lower()):
            longer = f"{slug}-{word}" if slug else word
            if len(longer) > max_len:
                break
            slug = longer
        if len(slug) >= 3:
            return slug
    return "article"


def _parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def _sort_key(page: SourcePage) -> tuple[int, float, str]:
    """Newest first; undated last. Naive times are compared as if UTC (only for ordering)."""
    dt = page.published_dt
    if dt is None:
        return (1, 0.0, page.slug)
    aware = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    return (0, -aware.timestamp(), page.slug)


def _article_path(page: SourcePage, taken: set[str], short: bool = False) -> str:
    if short:  # '/news/<two words>/': neither a date, a long slug nor an id (issue 9's shape)
        slug = "-".join(slugify(page.slug, fallback="article").split("-")[:2])
        path, n = f"/news/{slug}/", 2
        while path in taken:
            path, n = f"/news/{slug}-{n}/", n + 1
        return path
    dt = page.published_dt
    folder = f"{dt:%Y/%m/%d}" if dt else "undated"
    slug = slugify(page.slug, fallback="article")
    path = f"/articles/{folder}/{slug}.html"
    n = 2
    while path in taken:
        path = f"/articles/{folder}/{slug}-{n}.html"
        n += 1
    return path


def _language(page: SourcePage) -> str:
    lang = str(page.meta.get("language") or "en")
    return lang.split("-")[0].lower() or "en"


def _page_html(
    title: str, body: str, *, base_url: str, path: str, lang: str = "en", head: str = "", site: str = ""
) -> str:
    return (
        f'<!doctype html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}{' | ' + html.escape(site) if site else ''}</title>\n"
        f'<link rel="canonical" href="{html.escape(base_url + path)}">\n'
        f'<link rel="alternate" type="application/rss+xml" title="RSS" href="{base_url}/rss.xml">\n'
        f"{head}</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _nav(name: str, sections: Sequence[str]) -> str:
    links = "".join(f'<li><a href="/section/{s}/">{html.escape(s.capitalize())}</a></li>' for s in sections)
    return (
        f'<header><a class="logo" href="/">{html.escape(name)}</a>'
        f'<nav><ul><li><a href="/">Home</a></li>{links}</ul></nav></header>'
    )


def _teaser(path: str, page: SourcePage, *, href: str | None = None) -> str:
    dt = page.published_dt
    when = f' <time datetime="{dt.isoformat()}">{dt:%d %b %Y}</time>' if dt else ""
    return f'<li><a href="{html.escape(href or path)}">{html.escape(page.title)}</a>{when}</li>'


_BODY_TAG = re.compile(rb"<body[^>]*>", re.IGNORECASE)


def _with_navigation(page_html: bytes, name: str, sections: Sequence[str], others: Sequence[str]) -> bytes:
    """The real page with the site's navigation and links to other articles after ``<body>``."""
    related = "".join(f'<li><a href="{html.escape(p)}">More news</a></li>' for p in others)
    block = f'{_nav(name, sections)}<aside class="related"><ul>{related}</ul></aside>'.encode()
    match = _BODY_TAG.search(page_html)
    at = match.end() if match else 0
    return page_html[:at] + block + page_html[at:]


def _footer() -> str:
    return (
        '<footer><a href="/">Front page</a> · <a href="/rss.xml">RSS</a> · '
        '<a href="/sitemap_index.xml">Sitemap</a></footer>'
    )


def _synthetic_article(title: str, published: str, paragraphs: Sequence[str], *, lang: str) -> str:
    """A plain but complete article page (used for the hostile and private URLs)."""
    ps = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f'<!doctype html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n"
        f'<meta property="og:type" content="article">\n'
        f'<meta property="og:title" content="{html.escape(title)}">\n'
        f'<meta property="article:published_time" content="{published}">\n'
        f"</head>\n<body>\n<article>\n<h1>{html.escape(title)}</h1>\n"
        f'<time datetime="{published}">{published[:10]}</time>\n{ps}\n</article>\n</body>\n</html>\n'
    )


def _rss(name: str, base_url: str, items: Sequence[tuple[str, SourcePage]]) -> str:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        f"<channel>\n<title>{xml_escape(name)}</title>\n<link>{base_url}/</link>\n"
        f"<description>Latest articles from {xml_escape(name)}</description>\n"
        f'<atom:link href="{base_url}/rss.xml" rel="self" type="application/rss+xml"/>\n'
    ]
    for path, page in items:
        url = base_url + path
        dt = page.published_dt
        parts.append(
            f"<item>\n<title>{xml_escape(page.title)}</title>\n<link>{url}</link>\n"
            f'<guid isPermaLink="true">{url}</guid>\n'
            + (f"<pubDate>{format_datetime(dt)}</pubDate>\n" if dt else "")
            + "".join(f"<dc:creator>{xml_escape(a)}</dc:creator>\n" for a in page.meta.get("authors") or [])
            + f"<category>{xml_escape(page.section)}</category>\n</item>\n"
        )
    parts.append("</channel>\n</rss>\n")
    return "".join(parts)


def _atom(name: str, base_url: str, items: Sequence[tuple[str, SourcePage]]) -> str:
    def stamp(page: SourcePage) -> str:
        dt = page.published_dt or _parse_iso(HOSTILE_DATE)
        assert dt is not None
        return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).isoformat()

    updated = stamp(items[0][1]) if items else HOSTILE_DATE
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"<title>{xml_escape(name)}</title>\n<id>{base_url}/</id>\n<updated>{updated}</updated>\n"
        f'<link href="{base_url}/"/>\n<link rel="self" href="{base_url}/atom.xml"/>\n'
    ]
    for path, page in items:
        url = base_url + path
        parts.append(
            f"<entry>\n<title>{xml_escape(page.title)}</title>\n<id>{url}</id>\n"
            f'<link rel="alternate" href="{url}"/>\n<updated>{stamp(page)}</updated>\n'
            f"<published>{stamp(page)}</published>\n</entry>\n"
        )
    parts.append("</feed>\n")
    return "".join(parts)


def _urlset(entries: Iterable[tuple[str, str | None]]) -> str:
    rows = "".join(
        f"<url><loc>{xml_escape(loc)}</loc>"
        + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "")
        + "</url>\n"
        for loc, lastmod in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{rows}</urlset>\n'
    )


def _news_sitemap(name: str, base_url: str, items: Sequence[tuple[str, SourcePage]]) -> str:
    rows = []
    for path, page in items:
        dt = page.published_dt
        if dt is None:  # news sitemaps require a publication date
            continue
        rows.append(
            f"<url><loc>{xml_escape(base_url + path)}</loc>\n<news:news>\n<news:publication>"
            f"<news:name>{xml_escape(name)}</news:name><news:language>{_language(page)}</news:language>"
            f"</news:publication>\n<news:publication_date>{dt.isoformat()}</news:publication_date>\n"
            f"<news:title>{xml_escape(page.title)}</news:title>\n</news:news></url>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n' + "".join(rows) + "</urlset>\n"
    )


def _sitemap_index(base_url: str, names: Sequence[str]) -> str:
    rows = "".join(f"<sitemap><loc>{base_url}/{n}</loc></sitemap>\n" for n in names)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{rows}</sitemapindex>\n'
    )


def _hostile_routes(base_url: str, slow_seconds: float) -> dict[str, Route]:
    p = HOSTILE_PATHS
    bad = BAD_ENCODING_ARTICLE
    bad_html = _synthetic_article(bad["title"], bad["published"], bad["paragraphs"], lang="de")
    bad_html = bad_html.replace("</h1>", f'</h1>\n<p class="byline">Von {bad["authors"][0]}</p>', 1)
    rng = random.Random(20240102)
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(32 * 1024)
    slow_html = _synthetic_article(
        "This page answers far too late",
        HOSTILE_DATE,
        ["The server sleeps before answering, longer than any sane crawler timeout."] * 3,
        lang="en",
    )
    nested_html = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>A page nested one hundred thousand levels deep</title>"
        '<meta property="og:type" content="article"></head><body>'
        "<h1>A page nested one hundred thousand levels deep</h1>"
        "<p>Parsers with a recursion or depth limit must fail gracefully on this page.</p>"
        + "<div>" * NESTED_DEPTH
        + "<p>The innermost paragraph.</p>"
        + "</div>" * NESTED_DEPTH
        + "</body></html>\n"
    )
    gone = "<!doctype html><html><body><h1>404 Not Found</h1><p>This article was removed.</p></body></html>"
    error = "<!doctype html><html><body><h1>500 Internal Server Error</h1></body></html>"
    return {
        p["empty"]: Route.html(b""),
        p["binary"]: Route.html(png),
        # Declared UTF-8 (header and meta) but written in cp1252: ä is 0xE4, invalid in UTF-8.
        p["bad-encoding"]: Route.html(bad_html.encode("cp1252"), encoding="utf-8"),
        p["server-error"]: Route.html(error, status=500),
        p["slow"]: Route(
            200, {"Content-Type": "text/html; charset=utf-8"}, slow_html.encode(), delay=slow_seconds
        ),
        p["gone"]: Route.html(gone, status=404),
        p["nested"]: Route.html(nested_html),
    }


def _front_page(
    name: str,
    base_url: str,
    sections: Sequence[str],
    front_items: Sequence[tuple[str, SourcePage]],
    tracked: tuple[str, SourcePage] | None,
    redirected: tuple[str, SourcePage] | None,
    roles: Mapping[str, str],
) -> Route:
    """The front page: newest teasers, a tracking-parameter link, and links to non-articles."""
    video_path, private_path, private_article_path = (
        roles["video"],
        roles["private"],
        roles["private_article"],
    )
    teasers = "\n".join(_teaser(path, page) for path, page in front_items)
    trending = ""
    if tracked is not None:
        trending = (
            f'<section class="trending"><h2>Trending</h2><ul>'
            f"{_teaser(tracked[0], tracked[1], href=base_url + roles['tracking'])}"
            f'<li><a href="{tracked[0]}#comments">Join the discussion</a></li></ul></section>'
        )
    archive_link = (
        f'<li><a href="{roles["redirect"]}">From the archive: {html.escape(redirected[1].title)}</a></li>'
        if redirected is not None
        else ""
    )
    more = (
        '<section class="more"><h2>More</h2><ul>'
        '<li><a href="/tag/top-stories/">Top stories</a></li>'
        '<li><a href="/author/newsdesk/">Our newsdesk</a></li>'
        f'<li><a href="{video_path}">Video: weekly news briefing</a></li>{archive_link}'
        f'<li><a href="{private_path}">Staff only</a></li>'
        f'<li><a href="{base_url}{private_article_path}">Embargoed draft</a></li>'
        '<li><a href="https://partner.example/news/">Our partner site</a></li>'
        "</ul></section>"
    )
    front_body = (
        f"{_nav(name, sections)}\n<main>\n<h1>{html.escape(name)}: latest news</h1>\n"
        f'<ul class="teasers">\n{teasers}\n</ul>\n{trending}\n{more}\n</main>\n{_footer()}'
    )
    return Route.html(
        _page_html(
            f"{name}: latest news",
            front_body,
            base_url=base_url,
            path="/",
            head='<meta property="og:type" content="website">\n',
        )
    )


def _listing_pages(
    name: str,
    base_url: str,
    sections: Sequence[str],
    section_items: Mapping[str, Sequence[tuple[str, SourcePage]]],
    tag_items: Sequence[tuple[str, SourcePage]],
) -> dict[str, Route]:
    """Section pages, plus a tag and an author page (listings a crawler must not archive)."""
    routes: dict[str, Route] = {}
    for section in sections:
        items = section_items[section][:SECTION_LIMIT]
        body = (
            f"{_nav(name, sections)}\n<main>\n<h1>{html.escape(section.capitalize())}</h1>\n"
            f'<ul class="teasers">\n{"".join(_teaser(p, pg) for p, pg in items)}\n</ul>\n'
            f'<p><a href="/">Back to the front page</a></p>\n</main>\n{_footer()}'
        )
        path = f"/section/{section}/"
        routes[path] = Route.html(
            _page_html(section.capitalize(), body, base_url=base_url, path=path, site=name)
        )

    for path, heading in (("/tag/top-stories/", "Top stories"), ("/author/newsdesk/", "Newsdesk")):
        items = tag_items
        body = (
            f"{_nav(name, sections)}\n<main>\n<h1>{heading}</h1>\n"
            f'<ul class="teasers">\n{"".join(_teaser(p, pg) for p, pg in items)}\n</ul>\n</main>\n{_footer()}'
        )
        routes[path] = Route.html(
            _page_html(
                heading,
                body,
                base_url=base_url,
                path=path,
                site=name,
                head='<meta property="og:type" content="profile">\n' if "author" in path else "",
            )
        )
    return routes


def _video_page(name: str, base_url: str, sections: Sequence[str], video_path: str) -> Route:
    """A video page: a typical non-article the page-type check must reject."""
    video_ld = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": "Weekly news briefing",
        "description": "The week's top stories in two and a half minutes.",
        "uploadDate": "2025-01-10T12:00:00+00:00",
        "duration": "PT2M31S",
        "thumbnailUrl": f"{base_url}/video/weekly-news-briefing.jpg",
        "contentUrl": f"{base_url}/video/weekly-news-briefing.mp4",
    }
    video_head = (
        '<meta property="og:type" content="video.other">\n'
        '<meta property="og:title" content="Weekly news briefing">\n'
        f'<meta property="og:video" content="{base_url}/video/weekly-news-briefing.mp4">\n'
        f'<script type="application/ld+json">{json.dumps(video_ld)}</script>\n'
    )
    video_body = (
        f"{_nav(name, sections)}\n<main>\n<h1>Weekly news briefing</h1>\n"
        f'<video controls src="{base_url}/video/weekly-news-briefing.mp4"></video>\n'
        "<p>The week's top stories in two and a half minutes.</p>\n</main>\n" + _footer()
    )
    return Route.html(
        _page_html("Weekly news briefing", video_body, base_url=base_url, path=video_path, head=video_head)
    )


def _private_pages(private_path: str, private_article_path: str) -> dict[str, Route]:
    """Robots-disallowed pages that look like articles: a polite crawler never requests them."""
    secret_text = [
        "This page is disallowed in robots.txt. A polite crawler never requests it, "
        "even though the front page links to it and it looks like an article.",
    ] * 4
    return {
        private_path: Route.html(
            _synthetic_article(
                "Internal: embargoed story", "2024-01-03T10:00:00+00:00", secret_text, lang="en"
            )
        ),
        private_article_path: Route.html(
            _synthetic_article("Embargoed draft", "2024-01-03T11:00:00+00:00", secret_text, lang="en")
        ),
    }


def _sitemaps_and_robots(
    name: str,
    base_url: str,
    sections: Sequence[str],
    video_path: str,
    common: Sequence[tuple[str, SourcePage]],
    sitemap_items: Sequence[tuple[str, SourcePage]],
    hostile_paths: Mapping[str, str],
) -> dict[str, Route]:
    """A sitemap index (news sitemap + pages sitemap) and the robots.txt that names it."""
    page_entries: list[tuple[str, str | None]] = [
        (base_url + "/", None),
        *[(f"{base_url}/section/{s}/", None) for s in sections],
        (base_url + video_path, "2025-01-10T12:00:00+00:00"),
    ]
    for path, page in sitemap_items:
        dt = page.published_dt
        page_entries.append((base_url + path, dt.isoformat() if dt else None))
    page_entries.extend((base_url + path, HOSTILE_DATE) for path in hostile_paths.values())
    return {
        "/sitemap-news.xml": Route.xml(_news_sitemap(name, base_url, common)),
        "/sitemap-pages.xml": Route.xml(_urlset(page_entries)),
        "/sitemap_index.xml": Route.xml(_sitemap_index(base_url, ["sitemap-news.xml", "sitemap-pages.xml"])),
        "/robots.txt": Route.text(
            f"User-agent: *\nDisallow: /private/\n\nSitemap: {base_url}/sitemap_index.xml\n"
        ),
    }


def build_news_site(
    pages: Sequence[SourcePage],
    base_url: str,
    *,
    name: str = "local-news",
    hostile: bool = False,
    slow_seconds: float = 10.0,
    short_urls: bool = False,
) -> SiteLayout:
    """Lay out a small news site for ``pages`` at ``base_url`` (pure: no server involved).

    Pages are ordered newest first. With 4+ pages the three oldest are each reachable from a
    single source only (section page, RSS, plain sitemap) so every discovery path is exercised;
    the others appear on the front page (newest ``FRONT_LIMIT``), their section, RSS/Atom and
    both sitemaps. ``short_urls``: articles live at ``/news/<short slug>/`` (no date, no long
    slug: links to them do not look like articles) and carry the site's navigation plus links
    to other articles, as real article pages do.
    """
    base_url = base_url.rstrip("/")
    ordered = sorted(pages, key=_sort_key)
    taken: set[str] = set(HOSTILE_PATHS.values()) if hostile else set()
    placed: list[tuple[str, SourcePage]] = []
    for page in ordered:
        path = _article_path(page, taken, short_urls)
        taken.add(path)
        placed.append((path, page))

    roles: dict[str, str] = {}
    common = list(placed)
    only_section = only_rss = only_sitemap = None
    if len(placed) >= 4:
        only_section, only_rss, only_sitemap = placed[-3], placed[-2], placed[-1]
        common = placed[:-3]
        roles.update(only_section=only_section[0], only_rss=only_rss[0], only_sitemap=only_sitemap[0])

    sections = sorted({page.section for _, page in placed}) or ["news"]
    routes: dict[str, Route] = {path: Route.html(page.html, encoding=page.encoding) for path, page in placed}
    if short_urls:
        paths = [path for path, _ in placed]
        for i, (path, page) in enumerate(placed):
            others = [p for p in paths[i + 1 :] + paths[:i]][:3]
            with_nav = _with_navigation(page.html, name, sections, others)
            routes[path] = Route.html(with_nav, encoding=page.encoding)
    front_items = common[:FRONT_LIMIT]

    # Extra, non-article pages.
    video_path = "/video/weekly-news-briefing.html"
    private_path = "/private/secret.html"
    private_article_path = "/private/articles/2024/01/03/embargoed-draft.html"
    roles.update(video=video_path, private=private_path, private_article=private_article_path)
    tracked = common[1] if len(common) > 1 else (common[0] if common else None)
    redirected = common[2] if len(common) > 2 else tracked
    if tracked is not None:
        roles["tracking"] = f"{tracked[0]}?utm_source=front&utm_medium=web"
    if redirected is not None:
        roles["redirect"] = f"/old/{redirected[0].rstrip('/').rsplit('/', 1)[1]}"
        roles["redirect_target"] = redirected[0]
        routes[roles["redirect"]] = Route.redirect(base_url + redirected[0])

    routes["/"] = _front_page(name, base_url, sections, front_items, tracked, redirected, roles)
    section_items: dict[str, list[tuple[str, SourcePage]]] = {s: [] for s in sections}
    for item in [*common, *([only_section] if only_section else [])]:
        section_items[item[1].section].append(item)
    routes.update(_listing_pages(name, base_url, sections, section_items, common[:3]))
    routes[video_path] = _video_page(name, base_url, sections, video_path)
    routes.update(_private_pages(private_path, private_article_path))
    # Feeds.
    rss_items = common[:RSS_LIMIT] + ([only_rss] if only_rss else [])
    routes["/rss.xml"] = Route.xml(_rss(name, base_url, rss_items), content_type="application/rss+xml")
    routes["/atom.xml"] = Route.xml(_atom(name, base_url, rss_items), content_type="application/atom+xml")

    hostile_paths = dict(HOSTILE_PATHS) if hostile else {}
    sitemap_items = [*common, *([only_sitemap] if only_sitemap else [])]
    routes.update(
        _sitemaps_and_robots(name, base_url, sections, video_path, common, sitemap_items, hostile_paths)
    )
    if hostile:
        routes.update(_hostile_routes(base_url, slow_seconds))

    sources: dict[str, list[str]] = {
        "front": [p for p, _ in front_items],
        "sections": [p for items in section_items.values() for p, _ in items[:SECTION_LIMIT]],
        "rss": [p for p, _ in rss_items],
        "news_sitemap": [p for p, pg in common if pg.published_dt is not None],
        "pages_sitemap": [p for p, _ in sitemap_items],
    }
    return SiteLayout(
        base_url=base_url,
        name=name,
        routes=routes,
        articles=dict(placed),
        hostile={path: kind for kind, path in hostile_paths.items()},
        roles=roles,
        sources=sources,
    )


class NewsSite(LocalSite):
    """A ``LocalSite`` serving ``build_news_site(pages)``, plus the facts a crawl test checks."""

    def __init__(
        self,
        pages: Sequence[SourcePage],
        *,
        name: str = "local-news",
        hostile: bool = False,
        slow_seconds: float = 10.0,
        host: str = "127.0.0.1",
        short_urls: bool = False,
    ) -> None:
        super().__init__(host=host)
        self.pages = list(pages)
        self.name = name
        self.hostile = hostile
        self.slow_seconds = slow_seconds
        self.short_urls = short_urls
        self._layout: SiteLayout | None = None

    def _build_routes(self) -> None:
        self._layout = build_news_site(
            self.pages,
            self.base_url,
            name=self.name,
            hostile=self.hostile,
            slow_seconds=self.slow_seconds,
            short_urls=self.short_urls,
        )
        self.add_routes(self._layout.routes)

    @property
    def layout(self) -> SiteLayout:
        if self._layout is None:
            raise RuntimeError("NewsSite is not started")
        return self._layout

    def site_config(self) -> dict[str, Any]:
        """The Dateline site entry (as in ``sites.yaml``) that crawls this site."""
        base = self.base_url
        return {
            "name": self.name,
            "start_urls": [base + "/"],
            "feeds": [base + "/rss.xml"],
            "sitemaps": [base + "/sitemap_index.xml"],
            "allowed_domains": [self.host],
            # short URLs: no pattern, the spider's generic discovery rules decide
            "article_patterns": [] if self.short_urls else [r"/articles/"],
            "exclude_patterns": [],
            "limits": {"max_age_days": None, "download_delay": 0, "concurrency": 8, "timeout": 3},
        }

    def expected_articles(self) -> dict[str, SourcePage]:
        """Absolute URL -> page for exactly the articles a correct crawl must archive."""
        return {self.url(path): page for path, page in self.layout.articles.items()}

    def hostile_urls(self) -> dict[str, str]:
        """Absolute URL -> hostile kind (see ``HOSTILE_PATHS``); empty unless ``hostile``."""
        return {self.url(path): kind for path, kind in self.layout.hostile.items()}

    def role_url(self, role: str) -> str:
        """Absolute URL of a ``SiteLayout.roles`` entry, e.g. ``role_url("only_rss")``."""
        return self.url(self.layout.roles[role])

    def article_url(self, page: SourcePage) -> str:
        """The local URL a given page is served at."""
        for path, candidate in self.layout.articles.items():
            if candidate is page:
                return self.url(path)
        raise KeyError(page.slug)


# --------------------------------------------------------------------------- demo data


def load_demo_pages() -> list[SourcePage]:
    """The six real pages bundled with Dateline for ``dateline crawl --demo``."""
    root = resources.files("demosite") / "demo_pages"
    entries = json.loads((root / "pages.json").read_text(encoding="utf-8"))
    pages = []
    for entry in entries:
        pages.append(
            SourcePage(
                html=gzip.decompress((root / entry["file"]).read_bytes()),
                title=entry["title"],
                published=entry["published"],
                slug=entry["slug"],
                section=entry["section"],
                encoding=entry.get("encoding", "utf-8"),
                meta=dict(entry),
            )
        )
    return pages


@contextlib.contextmanager
def serve_demo(*, name: str = "demo-news", hostile: bool = False) -> Iterator[NewsSite]:
    """Serve the bundled demo pages as a local news site for the duration of the block."""
    with NewsSite(load_demo_pages(), name=name, hostile=hostile) as site:
        yield site
