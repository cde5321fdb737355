"""The loopback news site behind ``dateline crawl --demo`` and the tests (no internet needed).

``server`` is the generic HTTP server of canned routes; ``news`` builds a news site of real
pages (front, sections, feeds, sitemaps, hostile URLs) on it.
"""

from demosite.news import (
    BAD_ENCODING_ARTICLE,
    HOSTILE_PATHS,
    NewsSite,
    SiteLayout,
    SourcePage,
    build_news_site,
    load_demo_pages,
    serve_demo,
    slugify,
)
from demosite.server import LocalSite, RequestRecord, Responder, Route

__all__ = [
    "BAD_ENCODING_ARTICLE",
    "HOSTILE_PATHS",
    "LocalSite",
    "NewsSite",
    "RequestRecord",
    "Responder",
    "Route",
    "SiteLayout",
    "SourcePage",
    "build_news_site",
    "load_demo_pages",
    "serve_demo",
    "slugify",
]
