"""Discovery decisions of the generic spider, on hand-made responses (no network)."""

from datetime import UTC, datetime

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, XmlResponse
from scrapy.utils.test import get_crawler

from archive.keys import url_hash
from core.config import Site
from spiders.items import PageItem
from spiders.news import NewsSpider

BASE = "http://news.example:8080"
NOW = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)


def make_spider(archived: set[str] | None = None, **site_kw: object) -> NewsSpider:
    site = Site.model_validate({"name": "t", "start_urls": [BASE + "/"], **site_kw})
    crawler = get_crawler(NewsSpider)
    spider = NewsSpider.from_crawler(crawler, site=site, crawled_at=NOW, archived_hashes=archived or set())
    crawler.spider = spider
    crawler.stats.open_spider()
    return spider


def urls(requests: object) -> list[str]:
    return [r.url for r in requests if isinstance(r, Request)]  # type: ignore[attr-defined]


def test_listing_pages_yield_articles_and_follow_sections() -> None:
    spider = make_spider(article_patterns=[r"/articles/"], limits={"depth": 1})
    html = """<html><body>
      <a href="/articles/2026/02/09/a.html">A</a>
      <a href="/articles/2026/02/09/a.html?utm_source=front">A again</a>
      <a href="/section/world/">World</a>
      <a href="https://elsewhere.example/articles/x.html">offsite</a>
    </body></html>"""
    resp = HtmlResponse(
        BASE + "/", body=html.encode(), request=Request(BASE + "/", meta={"role": "start", "hops_left": 1})
    )
    got = list(spider.parse_listing(resp))
    assert urls(got) == [BASE + "/articles/2026/02/09/a.html", BASE + "/section/world/"]
    assert isinstance(got[0], Request) and got[0].callback == spider.parse_article
    assert isinstance(got[1], Request) and got[1].callback == spider.parse_listing
    assert spider.crawler.stats.get_value("dateline/discovered") == 1


def test_generic_article_shape_without_patterns() -> None:
    spider = make_spider()
    assert spider.is_article_url(BASE + "/2026/02/09/lavrov-talks-us-reluctance")
    assert spider.is_article_url(BASE + "/world/lavrov-talks-about-peace-deal-again")
    assert not spider.is_article_url(BASE + "/tag/russia-ukraine-war-news/")
    assert not spider.is_article_url(BASE + "/author/jane-doe-smith-jones")
    assert not spider.is_article_url(BASE + "/world/")


def test_feed_items_carry_their_dates_and_archived_urls_are_skipped() -> None:
    archived = {url_hash(BASE + "/articles/old.html")}
    spider = make_spider(archived=archived, limits={"max_age_days": 30})
    rss = f"""<?xml version="1.0"?><rss version="2.0"><channel>
      <item><link>{BASE}/articles/new.html</link><pubDate>Mon, 09 Feb 2026 10:15:00 +0300</pubDate></item>
      <item><link>{BASE}/articles/old.html</link><pubDate>Mon, 09 Feb 2026 10:15:00 +0300</pubDate></item>
      <item><link>{BASE}/articles/ancient.html</link><pubDate>Mon, 09 Feb 2015 10:15:00 +0300</pubDate></item>
    </channel></rss>"""
    got = list(spider.parse_feed(XmlResponse(BASE + "/rss.xml", body=rss.encode())))
    assert urls(got) == [BASE + "/articles/new.html"]
    assert spider._hints[BASE + "/articles/new.html"].feed_date == "Mon, 09 Feb 2026 10:15:00 +0300"
    stats = spider.crawler.stats
    assert stats.get_value("dateline/skipped_archived") == 1
    assert stats.get_value("dateline/skipped_too_old") == 1
    assert stats.get_value("dateline/skipped_too_old_unfetched") == 1, "counted as never fetched"


def test_atom_feed_links() -> None:
    spider = make_spider(limits={"max_age_days": None})
    atom = f"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
      <entry><link href="{BASE}/2026/02/09/story-one"/><updated>2026-02-09T10:00:00Z</updated></entry>
    </feed>"""
    got = list(spider.parse_feed(XmlResponse(BASE + "/atom.xml", body=atom.encode())))
    assert urls(got) == [BASE + "/2026/02/09/story-one"]


def test_news_sitemap_keeps_publication_dates_and_merges_sources() -> None:
    spider = make_spider(limits={"max_age_days": None})
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
            xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
      <url><loc>{BASE}/articles/a.html</loc>
        <news:news><news:publication_date>2026-02-09T08:00:00+03:00</news:publication_date></news:news></url>
      <url><loc>{BASE}/articles/b.html</loc><lastmod>2026-02-08</lastmod></url>
    </urlset>"""
    got = list(spider._parse_sitemap(XmlResponse(BASE + "/sitemap-news.xml", body=xml.encode())))
    assert got == []  # sitemap articles wait in the backlog, not in the scheduler
    assert list(spider._backlog) == [BASE + "/articles/a.html", BASE + "/articles/b.html"]
    assert spider._hints[BASE + "/articles/a.html"].sitemap_date == "2026-02-09T08:00:00+03:00"
    # the same article seen again in a feed: not fetched twice, feed date merged in
    rss = f"<rss><channel><item><link>{BASE}/articles/a.html</link><pubDate>Mon, 09 Feb 2026 05:00:00 GMT</pubDate></item></channel></rss>"
    assert list(spider.parse_feed(XmlResponse(BASE + "/rss.xml", body=rss.encode()))) == []
    assert spider._hints[BASE + "/articles/a.html"].feed_date == "Mon, 09 Feb 2026 05:00:00 GMT"


def test_sitemap_index_is_followed() -> None:
    spider = make_spider()
    xml = f"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>{BASE}/sitemap-news.xml</loc></sitemap></sitemapindex>"""
    got = list(spider._parse_sitemap(XmlResponse(BASE + "/sitemap_index.xml", body=xml.encode())))
    assert urls(got) == [BASE + "/sitemap-news.xml"]


@pytest.mark.parametrize("refresh, expected", [(False, 0), (True, 1)])
def test_refresh_fetches_archived_urls_again(refresh: bool, expected: int) -> None:
    spider = make_spider(archived={url_hash(BASE + "/articles/x.html")})
    spider.refresh = refresh
    assert list(spider.article_request(BASE + "/articles/x.html", via="sitemap")) == []
    assert len(spider._backlog) == expected
    assert len(list(spider.article_request(BASE + "/articles/y.html", via="feed"))) == 1


class RecordingEngine:
    """Stands in for Scrapy's engine: records what the spider hands to ``crawl``."""

    def __init__(self) -> None:
        self.crawled: list[Request] = []

    def crawl(self, request: Request) -> None:
        self.crawled.append(request)


def test_sitemap_backlog_reaches_the_scheduler_in_batches_and_keeps_the_spider_open() -> None:
    from scrapy.exceptions import DontCloseSpider

    from spiders.news import BACKLOG_BATCH

    spider = make_spider(article_patterns=[r"/articles/"])
    n = BACKLOG_BATCH * 2 + 5
    rows = "".join(f"<url><loc>{BASE}/articles/{i}.html</loc></url>" for i in range(n))
    xml = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>'
    assert list(spider._parse_sitemap(XmlResponse(BASE + "/sitemap.xml", body=xml.encode()))) == []
    engine = RecordingEngine()
    spider.crawler.engine = engine  # type: ignore[assignment]
    spider._release_backlog()  # what the scheduler_empty signal calls
    assert urls(engine.crawled) == [f"{BASE}/articles/{i}.html" for i in range(BACKLOG_BATCH)]
    assert all(r.callback == spider.parse_article and r.meta["role"] == "article" for r in engine.crawled)
    with pytest.raises(DontCloseSpider):  # idle with articles waiting: not done
        spider._on_idle()
    spider._release_backlog()
    assert len(engine.crawled) == n and not spider._backlog
    spider._on_idle()  # nothing waits: the spider may close
    assert len(engine.crawled) == n


def test_sitemap_entries_that_are_listings_are_not_fetched_as_articles() -> None:
    spider = make_spider()
    xml = f"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc>{BASE}/</loc></url><url><loc>{BASE}/section/world/</loc></url>
      <url><loc>{BASE}/video/briefing.html</loc></url><url><loc>{BASE}/world/short</loc></url>
    </urlset>"""
    assert list(spider._parse_sitemap(XmlResponse(BASE + "/sitemap-pages.xml", body=xml.encode()))) == []
    assert list(spider._backlog) == [BASE + "/world/short"]


def test_listing_redirect_to_an_archived_article_is_not_fetched() -> None:
    spider = make_spider(
        archived={url_hash(BASE + "/articles/2026/02/09/a.html")}, article_patterns=[r"/articles/"]
    )
    req = spider.listing_request(BASE + "/old/a.html", "link", 1)
    assert req.meta["dont_redirect"] is True
    moved = HtmlResponse(
        BASE + "/old/a.html", status=301, headers={"Location": "/articles/2026/02/09/a.html"}, request=req
    )
    assert list(spider.parse_listing(moved)) == []
    assert spider.crawler.stats.get_value("dateline/skipped_archived") == 1
    moved_section = HtmlResponse(
        BASE + "/old/", status=302, headers={"Location": "/section/world/"}, request=req
    )
    (follow,) = spider.parse_listing(moved_section)
    assert (
        isinstance(follow, Request)
        and follow.url == BASE + "/section/world/"
        and follow.meta["redirects"] == 1
    )


SHORT = BASE + "/news/harbour-reopens/"  # an article URL that does not look like one


def listing(url: str, html: str, role: str = "link") -> HtmlResponse:
    return HtmlResponse(url, body=html.encode(), request=Request(url, meta={"role": role, "hops_left": 1}))


def test_a_listing_link_to_an_archived_article_is_not_fetched_in_another_role() -> None:
    spider = make_spider(archived={url_hash(SHORT)})
    front = listing(BASE + "/", f'<a href="{SHORT}">Harbour</a><a href="/section/world/">World</a>', "start")
    assert urls(spider.parse_listing(front)) == [BASE + "/section/world/"]
    assert spider.crawler.stats.get_value("dateline/skipped_archived") == 1


def test_a_listing_link_a_feed_named_this_run_is_fetched_once_as_an_article() -> None:
    spider = make_spider()
    rss = f"<rss><channel><item><link>{SHORT}</link></item></channel></rss>"
    (article,) = spider.parse_feed(XmlResponse(BASE + "/rss.xml", body=rss.encode()))
    assert article.callback == spider.parse_article
    assert urls(spider.parse_listing(listing(BASE + "/", f'<a href="{SHORT}">H</a>', "start"))) == []


def test_a_page_fetched_as_a_listing_that_is_an_archived_article_is_not_followed() -> None:
    by_canonical = (
        '<head><link rel="canonical" href="/news/harbour-reopens/"></head><a href="/about/">About</a>'
    )
    spider = make_spider(archived={url_hash(SHORT)})
    assert list(spider.parse_listing(listing(SHORT, '<a href="/about/">About</a>'))) == []
    assert list(spider.parse_listing(listing(BASE + "/news/harbour-reopens/amp", by_canonical))) == []
    assert spider.crawler.stats.get_value("dateline/listings_were_archived") == 2
    # a configured start page is always a listing
    assert urls(spider.parse_listing(listing(SHORT, '<a href="/about/">About</a>', "start"))) == [
        BASE + "/about/"
    ]


@pytest.mark.parametrize(
    "head, named_by_feed",
    [
        ("", True),  # the feed named it after the listing request went out
        ('<meta property="og:type" content="article">', False),
        ('<script type="application/ld+json">{"@graph": [{"@type": "NewsArticle"}]}</script>', False),
    ],
)
def test_a_new_article_fetched_as_a_listing_is_archived_and_its_links_not_followed(
    head: str, named_by_feed: bool
) -> None:
    spider = make_spider()
    if named_by_feed:
        list(spider.article_request(SHORT, via="feed"))
    page = listing(SHORT, f'<html><head>{head}</head><body><a href="/about/">About</a></body></html>')
    (item,) = spider.parse_listing(page)
    assert isinstance(item, PageItem) and item.url == SHORT
    assert item.discovery.via == ("feed" if named_by_feed else "link")
    assert spider.crawler.stats.get_value("dateline/listings_were_articles") == 1


def test_a_section_listing_articles_in_json_ld_is_still_a_listing() -> None:
    spider = make_spider()
    ld = '{"@type": "ItemList", "itemListElement": [{"@type": "NewsArticle", "url": "/news/a/"}]}'
    page = listing(
        BASE + "/section/world/", f'<script type="application/ld+json">{ld}</script><a href="/about/">A</a>'
    )
    assert urls(spider.parse_listing(page)) == [BASE + "/about/"]
