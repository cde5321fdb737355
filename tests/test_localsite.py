"""The local news site: the crawl tests and the offline demo rely on every route behaving as documented."""

from __future__ import annotations

import gzip
import re
import socket
import threading
import time
import urllib.error
import urllib.request
import urllib.robotparser
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from email.utils import parsedate_to_datetime
from importlib import resources
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
import pytest
from lxml import etree

from demosite import (
    BAD_ENCODING_ARTICLE,
    HOSTILE_PATHS,
    LocalSite,
    NewsSite,
    RequestRecord,
    Route,
    SourcePage,
    build_news_site,
    load_demo_pages,
    serve_demo,
    slugify,
)
from tests.fixtures.sites import truth_pages

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
    "atom": "http://www.w3.org/2005/Atom",
}
ARTICLE_PATH = re.compile(r"^/articles/\d{4}/\d{2}/\d{2}/[a-z0-9-]+\.html$")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, *, method: str = "GET", timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    """Status, headers, body, without following redirects and without raising on 4xx/5xx."""
    request = urllib.request.Request(url, method=method)
    try:
        with _OPENER.open(request, timeout=timeout) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers.items()), err.read()


def get_ok(url: str) -> bytes:
    status, _, body = fetch(url)
    assert status == 200, url
    return body


def xml(site: LocalSite, path: str) -> Any:
    return etree.fromstring(get_ok(site.url(path)))


def html_links(site: LocalSite, path: str) -> set[str]:
    """Absolute link targets of a page (fragments dropped, queries kept)."""
    url = site.url(path)
    doc = lxml.html.fromstring(get_ok(url))
    return {urldefrag(urljoin(url, href))[0] for href in doc.xpath("//a/@href")}


def strip_query(url: str) -> str:
    return url.split("?", 1)[0]


# --------------------------------------------------------------------------- routes


def test_site_routes_answer_with_types(news_site: NewsSite) -> None:
    expected = {
        "/": "text/html",
        "/robots.txt": "text/plain",
        "/rss.xml": "application/rss+xml",
        "/atom.xml": "application/atom+xml",
        "/sitemap_index.xml": "application/xml",
        "/sitemap-news.xml": "application/xml",
        "/sitemap-pages.xml": "application/xml",
        "/tag/top-stories/": "text/html",
        "/author/newsdesk/": "text/html",
        "/video/weekly-news-briefing.html": "text/html",
        "/section/world/": "text/html",
        "/section/politics/": "text/html",
        "/section/culture/": "text/html",
    }
    for path, ctype in expected.items():
        status, headers, body = fetch(news_site.url(path))
        assert status == 200, path
        assert headers["Content-Type"].startswith(ctype), path
        assert "charset=utf-8" in headers["Content-Type"]
        assert int(headers["Content-Length"]) == len(body) > 0
    assert fetch(news_site.url("/no/such/page.html"))[0] == 404


def test_articles_are_served_byte_for_byte_at_dated_urls(news_site: NewsSite) -> None:
    articles = news_site.expected_articles()
    assert len(articles) == 10
    for url, page in articles.items():
        path = urlsplit(url).path
        assert ARTICLE_PATH.match(path), path
        assert page.published_dt is not None
        assert path.startswith(f"/articles/{page.published_dt:%Y/%m/%d}/")
        status, headers, body = fetch(url)
        assert status == 200
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert body == page.html
        assert news_site.article_url(page) == url


def test_head_request_sends_headers_only(news_site: NewsSite) -> None:
    url = next(iter(news_site.expected_articles()))
    status, headers, body = fetch(url, method="HEAD")
    assert (status, body) == (200, b"")
    assert int(headers["Content-Length"]) == len(news_site.expected_articles()[url].html)


def test_undated_and_duplicate_slugs_get_distinct_paths() -> None:
    def page(slug: str, published: str | None) -> SourcePage:
        return SourcePage(b"<html></html>", slug, published, slug, "world")

    pages = [page("same", "2024-05-01T10:00:00+02:00"), page("same", "2024-05-01T09:00:00+02:00")]
    layout = build_news_site([*pages, page("nodate", None)], "http://x.test/")
    assert sorted(layout.articles) == [
        "/articles/2024/05/01/same-2.html",
        "/articles/2024/05/01/same.html",
        "/articles/undated/nodate.html",
    ]
    assert "only_rss" not in layout.roles  # fewer than 4 pages: every source lists everything
    assert "undated" not in etree.tostring(etree.fromstring(layout.routes["/sitemap-news.xml"].body)).decode()


def test_slugify_is_ascii_with_fallback() -> None:
    assert slugify("Größte Brücke: „Ja“ zum Bau!") == "grosste-brucke-ja-zum-bau"
    assert slugify("イスラエルとハマスの停戦", fallback="Mainichi-2025-01-14") == "mainichi-2025-01-14"
    assert len(slugify("word " * 50)) <= 60


# --------------------------------------------------------------------------- feeds and sitemaps


def test_rss_items_have_absolute_links_and_offset_dates(news_site: NewsSite) -> None:
    channel = xml(news_site, "/rss.xml").find("channel")
    items = channel.findall("item")
    articles = news_site.expected_articles()
    links = [item.findtext("link") for item in items]
    assert links == [news_site.url(p) for p in news_site.layout.sources["rss"]]
    for item, link in zip(items, links, strict=True):
        page = articles[link]
        assert item.findtext("title") == page.title
        pub = parsedate_to_datetime(item.findtext("pubDate"))
        truth = page.published_dt
        assert truth is not None
        assert pub == truth.replace(microsecond=0)
        assert pub.utcoffset() == truth.utcoffset()  # the publisher's own offset, not UTC
        assert re.search(r"[+-]\d{4}$", item.findtext("pubDate"))


def test_atom_feed_lists_the_same_articles(news_site: NewsSite) -> None:
    feed = xml(news_site, "/atom.xml")
    hrefs = [link.get("href") for link in feed.findall("atom:entry/atom:link", NS)]
    assert hrefs == [news_site.url(p) for p in news_site.layout.sources["rss"]]


def test_sitemap_index_and_news_sitemap(news_site: NewsSite) -> None:
    index = xml(news_site, "/sitemap_index.xml")
    assert index.tag == f"{{{NS['sm']}}}sitemapindex"
    assert [loc.text for loc in index.findall("sm:sitemap/sm:loc", NS)] == [
        news_site.url("/sitemap-news.xml"),
        news_site.url("/sitemap-pages.xml"),
    ]
    news = xml(news_site, "/sitemap-news.xml")
    articles = news_site.expected_articles()
    urls = news.findall("sm:url", NS)
    assert [u.findtext("sm:loc", namespaces=NS) for u in urls] == [
        news_site.url(p) for p in news_site.layout.sources["news_sitemap"]
    ]
    for url in urls:
        page = articles[url.findtext("sm:loc", namespaces=NS)]
        date = url.findtext("news:news/news:publication_date", namespaces=NS)
        assert datetime.fromisoformat(date) == page.published_dt
        assert url.findtext("news:news/news:title", namespaces=NS) == page.title
        assert url.findtext("news:news/news:publication/news:name", namespaces=NS) == "local-news"
        assert (
            url.findtext("news:news/news:publication/news:language", namespaces=NS) == page.meta["language"]
        )
    pages = xml(news_site, "/sitemap-pages.xml")
    locs = [u.findtext("sm:loc", namespaces=NS) for u in pages.findall("sm:url", NS)]
    assert all(loc.startswith(news_site.base_url + "/") for loc in locs)
    lastmods = {u.findtext("sm:loc", namespaces=NS): u.findtext("sm:lastmod", namespaces=NS) for u in pages}
    for path in news_site.layout.sources["pages_sitemap"]:
        page = news_site.layout.articles[path]
        assert datetime.fromisoformat(lastmods[news_site.url(path)]) == page.published_dt


def discovered(site: NewsSite) -> dict[str, set[str]]:
    """Article URLs per discovery source, found the way a crawler finds them."""
    front = html_links(site, "/")
    section_urls = sorted(u for u in front if "/section/" in u)
    sections: set[str] = set()
    for url in section_urls:
        sections |= html_links(site, urlsplit(url).path)
    rss = {item.findtext("link") for item in xml(site, "/rss.xml").iter("item")}
    sitemap: set[str] = set()
    for loc in xml(site, "/sitemap_index.xml").findall("sm:sitemap/sm:loc", NS):
        sitemap |= {el.text for el in xml(site, urlsplit(loc.text).path).iterfind("sm:url/sm:loc", NS)}
    return {
        name: {strip_query(u) for u in urls if "/articles/" in u and not u.startswith(site.url("/private/"))}
        for name, urls in {"front": front, "sections": sections, "rss": rss, "sitemap": sitemap}.items()
    }


def test_every_article_discoverable_and_each_source_needed(news_site: NewsSite) -> None:
    found = discovered(news_site)
    expected = set(news_site.expected_articles())
    assert set().union(*found.values()) == expected
    for role, source in (("only_rss", "rss"), ("only_sitemap", "sitemap"), ("only_section", "sections")):
        url = news_site.role_url(role)
        assert [name for name, urls in found.items() if url in urls] == [source], role


# --------------------------------------------------------------------------- crawler traps


def test_robots_txt_disallows_private_and_names_sitemap(news_site: NewsSite) -> None:
    text = get_ok(news_site.url("/robots.txt")).decode()
    assert "Disallow: /private/" in text
    assert f"Sitemap: {news_site.base_url}/sitemap_index.xml" in text
    robots = urllib.robotparser.RobotFileParser(news_site.url("/robots.txt"))
    robots.read()
    assert not robots.can_fetch("Dateline", news_site.url("/private/secret.html"))
    assert not robots.can_fetch("Dateline", news_site.role_url("private_article"))
    assert all(robots.can_fetch("Dateline", url) for url in news_site.expected_articles())
    front = html_links(news_site, "/")
    assert news_site.url("/private/secret.html") in front  # linked, so a crawler must check robots
    assert b"og:type" in get_ok(news_site.url("/private/secret.html"))


def test_tracking_parameter_url_serves_the_article(news_site: NewsSite) -> None:
    tracking = news_site.role_url("tracking")
    assert "utm_source=front" in tracking
    assert tracking in html_links(news_site, "/")
    assert get_ok(tracking) == news_site.expected_articles()[strip_query(tracking)].html
    assert urlsplit(tracking).path + "?" + urlsplit(tracking).query in news_site.requests


def test_old_url_redirects_permanently_to_the_article(news_site: NewsSite) -> None:
    old = news_site.role_url("redirect")
    assert old in html_links(news_site, "/")
    status, headers, _ = fetch(old)
    target = news_site.role_url("redirect_target")
    assert (status, headers["Location"]) == (301, target)
    with urllib.request.urlopen(old, timeout=5) as resp:
        assert resp.url == target
        assert resp.read() == news_site.expected_articles()[target].html


def test_video_page_is_marked_as_video(news_site: NewsSite) -> None:
    body = get_ok(news_site.role_url("video")).decode()
    assert '<meta property="og:type" content="video.other">' in body
    assert '"@type": "VideoObject"' in body
    assert "/articles/" not in news_site.layout.roles["video"]


def test_site_config_points_at_the_site(news_site: NewsSite) -> None:
    config = news_site.site_config()
    base = news_site.base_url
    assert config == {
        "name": "local-news",
        "start_urls": [base + "/"],
        "feeds": [base + "/rss.xml"],
        "sitemaps": [base + "/sitemap_index.xml"],
        "allowed_domains": ["127.0.0.1"],
        "article_patterns": [r"/articles/"],
        "exclude_patterns": [],
        "limits": {"max_age_days": None, "download_delay": 0, "concurrency": 8, "timeout": 3},
    }
    assert news_site.host == "127.0.0.1"
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base)


# --------------------------------------------------------------------------- hostile routes


def test_hostile_routes_fail_as_documented(hostile_site: NewsSite) -> None:
    url = {kind: hostile_site.url(path) for kind, path in HOSTILE_PATHS.items()}
    assert hostile_site.hostile_urls() == {u: kind for kind, u in url.items()}
    assert not set(url.values()) & set(hostile_site.expected_articles())
    assert len(hostile_site.expected_articles()) == 10

    assert fetch(url["server-error"])[0] == 500
    assert fetch(url["server-error"])[0] == 500  # always, not just once
    assert fetch(url["gone"])[0] == 404
    assert fetch(url["empty"])[::2] == (200, b"")

    status, headers, body = fetch(url["binary"])
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert body.startswith(b"\x89PNG") and len(body) > 10_000

    status, headers, body = fetch(url["bad-encoding"])
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'<meta charset="utf-8">' in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("cp1252")
    assert BAD_ENCODING_ARTICLE["title"] in text
    assert all(p in text.replace("&quot;", '"') for p in BAD_ENCODING_ARTICLE["paragraphs"][:2])

    body = get_ok(url["nested"])
    assert body.count(b"<div>") == 100_000

    pages_sitemap = xml(hostile_site, "/sitemap-pages.xml")
    locs = {el.text for el in pages_sitemap.iterfind("sm:url/sm:loc", NS)}
    assert set(url.values()) <= locs  # listed, so a crawler tries them all


def test_slow_route_times_out_but_never_blocks_others(hostile_site: NewsSite) -> None:
    slow = hostile_site.url(HOSTILE_PATHS["slow"])
    errors: list[BaseException] = []

    def client() -> None:
        try:
            urllib.request.urlopen(slow, timeout=1.0).read()
        except (TimeoutError, urllib.error.URLError) as err:
            errors.append(err)

    thread = threading.Thread(target=client)
    thread.start()
    deadline = time.monotonic() + 2
    while HOSTILE_PATHS["slow"] not in hostile_site.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    assert get_ok(hostile_site.url("/")).startswith(b"<!doctype html>")  # served while slow sleeps
    assert time.monotonic() - started < 0.5
    thread.join(5)
    assert len(errors) == 1
    assert get_ok(hostile_site.url("/robots.txt"))  # still answering after the timeout


def test_close_wakes_sleeping_handlers_quickly() -> None:
    site = NewsSite(truth_pages(4), hostile=True, slow_seconds=60).start()
    outcome: list[str] = []

    def client() -> None:
        try:
            urllib.request.urlopen(site.url(HOSTILE_PATHS["slow"]), timeout=30).read()
            outcome.append("answered")
        except (urllib.error.URLError, ConnectionError, OSError) as err:
            outcome.append(type(err).__name__)

    thread = threading.Thread(target=client)
    thread.start()
    deadline = time.monotonic() + 2
    while HOSTILE_PATHS["slow"] not in site.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    site.close()
    thread.join(5)
    assert time.monotonic() - started < 2
    assert not thread.is_alive()
    assert outcome and outcome != ["answered"]


# --------------------------------------------------------------------------- server mechanics


def test_request_log_is_complete_under_concurrency(news_site: NewsSite) -> None:
    paths = ["/", "/rss.xml", "/robots.txt", "/sitemap_index.xml"] * 10
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda p: fetch(news_site.url(p)), paths))
    assert sorted(news_site.requests) == sorted(paths)
    assert news_site.count("/rss.xml") == 10
    assert all(record.method == "GET" for record in news_site.log)
    assert "User-Agent" in news_site.log[0].headers
    news_site.clear_requests()
    assert news_site.requests == []


def test_add_route_static_dynamic_and_trickled(news_site: NewsSite) -> None:
    news_site.add_route("/hello.txt", Route.text("hello"))
    assert get_ok(news_site.url("/hello.txt?x=1")) == b"hello"

    calls: list[RequestRecord] = []

    def flaky(record: RequestRecord) -> Route:
        calls.append(record)
        return Route.text("busy", status=503) if len(calls) < 3 else Route.text("ok")

    news_site.add_route("/flaky.txt", flaky)
    assert [fetch(news_site.url("/flaky.txt"))[0] for _ in range(3)] == [503, 503, 200]

    def broken(record: RequestRecord) -> Route:
        raise RuntimeError("bug in a test responder")

    news_site.add_route("/broken.txt", broken)
    assert fetch(news_site.url("/broken.txt"))[0] == 500
    assert "bug in a test responder" in news_site.errors[-1]

    body = bytes(range(256)) * 8
    news_site.add_route("/slow-body.bin", Route(body=body, trickle=True, chunk_size=256, chunk_interval=0.01))
    started = time.monotonic()
    assert get_ok(news_site.url("/slow-body.bin")) == body
    assert time.monotonic() - started >= 0.05


def test_server_shuts_down_cleanly() -> None:
    with LocalSite({"/": Route.text("up")}) as site:
        assert site.running
        port = site.port
        assert get_ok(site.url("/")) == b"up"
    assert not site.running
    site.close()  # idempotent
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
    assert site.errors == []


# --------------------------------------------------------------------------- demo data and fixtures


def test_demo_pages_are_bundled_and_complete() -> None:
    pages = load_demo_pages()
    assert len(pages) == 6
    languages = {p.meta["language"] for p in pages}
    assert {"en", "de"} <= languages and len(languages) == 6
    assert len({p.section for p in pages}) == 3
    root = resources.files("demosite") / "demo_pages"
    sizes = [len((root / p.meta["file"]).read_bytes()) for p in pages]
    assert max(sizes) < 150_000 and sum(sizes) < 600_000
    for page in pages:
        dt = page.published_dt
        assert dt is not None and dt.tzinfo is not None
        assert page.html == gzip.decompress((root / page.meta["file"]).read_bytes())
        assert page.meta["authors"] and page.meta["original_url"].startswith("https://")
        text = " ".join(lxml.html.fromstring(page.html).text_content().split())
        lead = " ".join(page.meta["body_start"][1].split())
        assert lead[:40] in text, page.meta["file"]


def test_demo_site_serves_all_demo_articles(demo_site: NewsSite) -> None:
    articles = demo_site.expected_articles()
    assert len(articles) == 6
    assert all(get_ok(url) == page.html for url, page in articles.items())
    assert demo_site.site_config()["name"] == "demo-news"
    with serve_demo(hostile=True) as other:
        assert other.port != demo_site.port
        assert len(other.hostile_urls()) == len(HOSTILE_PATHS)


def test_truth_pages_are_a_fixed_diverse_selection() -> None:
    pages = truth_pages(10)
    assert [p.meta["file"] for p in pages] == [p.meta["file"] for p in truth_pages(10)]
    assert len({p.meta["language"] for p in pages}) >= 6
    assert len({p.meta["country"] for p in pages}) >= 6
    assert {"en", "de"} <= {p.meta["language"] for p in pages}
    assert all(p.published_dt is not None and p.published_dt.tzinfo is not None for p in pages)
    assert all(p.meta["title"] == p.title and p.meta["body"] for p in pages)
    assert [p.meta["file"] for p in truth_pages(10, seed=1)] != [p.meta["file"] for p in pages]
