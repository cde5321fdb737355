"""Publication dates: source order, original offsets, the crawl-time bound and fallbacks."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from lxml import html as lxml_html

from archive.records import DateInfo
from extraction.dates import acceptable, find_modified, find_published, parse_date, url_date
from extraction.structured import read_structured

CRAWLED = datetime(2024, 5, 3, 18, 0, tzinfo=UTC)
URL = "https://news.example.com/politics/some-story"


def page(head: str = "", body: str = "<p>Text.</p>") -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


def jsonld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def published(
    html: str,
    url: str = URL,
    crawled: datetime = CRAWLED,
    feed_date: str | None = None,
    sitemap_date: str | None = None,
) -> DateInfo:
    tree = lxml_html.fromstring(html)
    return find_published(tree, read_structured(tree), url, crawled, feed_date, sitemap_date)


def test_jsonld_keeps_the_original_offset_and_raw_string() -> None:
    info = published(page(jsonld({"@type": "NewsArticle", "datePublished": "2024-05-03T09:15:00+02:00"})))
    assert info.date == "2024-05-03"
    assert info.datetime == "2024-05-03T09:15:00+02:00"
    assert info.source == "json-ld"
    assert info.raw == "2024-05-03T09:15:00+02:00"


def test_calendar_day_is_the_pages_own_not_utc() -> None:
    # 00:30 in Tokyo is the previous day in UTC: the page's day wins
    info = published(page(jsonld({"@type": "NewsArticle", "datePublished": "2024-05-03T00:30:00+09:00"})))
    assert info.date == "2024-05-03"
    assert info.datetime is not None and info.datetime.endswith("+09:00")


def test_jsonld_graph_and_nested_main_entity() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "Example"},
            {
                "@type": "WebPage",
                "mainEntity": {"@type": "ReportageNewsArticle", "datePublished": "2024-05-02"},
            },
        ],
    }
    info = published(page(jsonld(graph)))
    assert (info.date, info.source, info.datetime) == ("2024-05-02", "json-ld", None)


def test_jsonld_list_prefers_article_over_webpage() -> None:
    data = [
        {"@type": "WebPage", "datePublished": "2020-01-01T00:00:00Z"},
        {"@type": ["BlogPosting"], "datePublished": "2024-05-01T10:00:00Z"},
    ]
    assert published(page(jsonld(data))).date == "2024-05-01"


def test_broken_jsonld_falls_back_to_meta() -> None:
    head = '<script type="application/ld+json">{"@type": "NewsArticle", </script>'
    head += '<meta property="article:published_time" content="2024-04-30T08:00:00-04:00">'
    info = published(page(head))
    assert (info.date, info.source, info.datetime) == ("2024-04-30", "meta", "2024-04-30T08:00:00-04:00")


@pytest.mark.parametrize(
    "meta",
    [
        '<meta name="pubdate" content="2024-05-01">',
        '<meta name="publish-date" content="2024-05-01">',
        '<meta name="dc.date" content="2024-05-01">',
        '<meta name="sailthru.date" content="2024-05-01 10:00:00">',
        '<meta name="parsely-pub-date" content="2024-05-01T10:00:00Z">',
        '<meta itemprop="datePublished" content="2024-05-01T10:00:00+01:00">',
    ],
)
def test_meta_tag_variants(meta: str) -> None:
    info = published(page(meta))
    assert info.date == "2024-05-01" and info.source == "meta"


def test_time_element_in_header_beats_htmldate_and_skips_related_teasers() -> None:
    body = (
        '<div class="related"><time datetime="2024-01-01T10:00:00Z">old</time></div>'
        '<article><header><h1>Title</h1><time datetime="2024-05-02T11:00:00+02:00">2 May</time></header>'
        "<p>Text.</p></article>"
    )
    info = published(page(body=body))
    assert (info.date, info.source) == ("2024-05-02", "time")


def test_future_dates_are_rejected() -> None:
    head = jsonld({"@type": "NewsArticle", "datePublished": "2024-05-03T18:30:00Z"})  # 30 min after crawl
    head += '<meta property="article:published_time" content="2024-05-03T17:00:00Z">'
    info = published(page(head))
    assert info.datetime == "2024-05-03T17:00:00+00:00" and info.source == "meta"


def test_absolute_time_comparison_with_offsets() -> None:
    # 2024-05-04T03:00+14:00 is 2024-05-03T13:00Z: before the crawl although the local day is later
    info = published(page(jsonld({"@type": "NewsArticle", "datePublished": "2024-05-04T03:00:00+14:00"})))
    assert info.date == "2024-05-04"
    # 2024-05-03T10:00-10:00 is 20:00Z: after the crawl although the local day is the crawl day
    late = published(page(jsonld({"@type": "NewsArticle", "datePublished": "2024-05-03T10:00:00-10:00"})))
    assert late.date is None


def test_date_only_values_are_accepted_up_to_the_crawl_date_in_utc_plus_14() -> None:
    crawled = datetime(2024, 5, 3, 11, 0, tzinfo=UTC)  # already 2024-05-04 01:00 in UTC+14
    tomorrow = published(page('<meta name="date" content="2024-05-04">'), crawled=crawled)
    assert tomorrow.date == "2024-05-04"
    too_late = published(page('<meta name="date" content="2024-05-05">'), crawled=crawled)
    assert too_late.date is None


def test_acceptable_bounds() -> None:
    parsed = parse_date("1990-01-01")
    assert parsed is not None and not acceptable(parsed, CRAWLED)


def test_url_date_and_fallback_order() -> None:
    url = "https://example.com/2024/04/29/some-story/"
    assert url_date(url) == "2024-04-29"
    assert url_date("https://example.com/news/20240429-story") == "2024-04-29"
    assert url_date("https://example.com/news/story-123456") is None
    info = published(page(body="<p>No dates here at all.</p>"), url=url)
    assert (info.date, info.source) == ("2024-04-29", "url")


def test_feed_then_sitemap_date_when_the_page_has_none() -> None:
    html = page(body="<p>Nothing.</p>")
    feed = published(html, feed_date="Wed, 01 May 2024 10:00:00 +0200", sitemap_date="2024-04-30")
    assert (feed.date, feed.source, feed.datetime) == ("2024-05-01", "feed", "2024-05-01T10:00:00+02:00")
    sitemap = published(html, sitemap_date="2024-04-30")
    assert (sitemap.date, sitemap.source) == ("2024-04-30", "sitemap")


def test_no_date_found_is_all_none_never_the_crawl_time() -> None:
    info = published(page(body="<p>Nothing.</p>"))
    assert info.model_dump() == {"date": None, "datetime": None, "source": None, "raw": None}


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2024-05-03T15:47:42.389Z", "2024-05-03T15:47:42.389000+00:00"),
        ("2024-05-03 15:47:42", "2024-05-03T15:47:42"),
        ("2024-5-3", None),
        ("Fri, 03 May 2024 15:47:42 GMT", "2024-05-03T15:47:42+00:00"),
        ("03.05.2024, 15:47 Uhr", "2024-05-03T15:47:00"),
        ("2024/05/03 15:47", "2024-05-03T15:47:00"),
        ("1714751262", "2024-05-03T15:47:42+00:00"),
    ],
)
def test_parse_date_formats(raw: str, iso: str | None) -> None:
    parsed = parse_date(raw)
    assert parsed is not None and parsed.value.date().isoformat() == "2024-05-03"
    assert (parsed.value.isoformat() if parsed.has_time else None) == iso


def test_parse_date_rejects_garbage() -> None:
    assert parse_date("yesterday-ish") is None
    assert parse_date("2024-13-45") is None
    assert parse_date("") is None


def test_modified_date() -> None:
    head = jsonld(
        {"@type": "NewsArticle", "datePublished": "2024-05-01", "dateModified": "2024-05-02T10:00Z"}
    )
    tree = lxml_html.fromstring(page(head))
    modified = find_modified(tree, read_structured(tree), CRAWLED)
    assert modified is not None and modified.date == "2024-05-02" and modified.source == "json-ld"
    assert (
        find_modified(lxml_html.fromstring(page()), read_structured(lxml_html.fromstring(page())), CRAWLED)
        is None
    )
