"""Article or not, paywalled or not, and why."""

from __future__ import annotations

import json

import pytest
from lxml import html as lxml_html

from extraction.pagetype import PageKind, classify, read_signals
from extraction.structured import read_structured

LONG_TEXT = "A sentence of real article text that goes on. " * 40


def kind(
    head: str = "", body: str = "", url: str = "https://news.example.com/world/story", text: str = LONG_TEXT
) -> PageKind:
    tree = lxml_html.fromstring(f"<html><head>{head}</head><body>{body or '<p>x</p>'}</body></html>")
    return classify(read_signals(tree, read_structured(tree), url), text)


def jsonld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def test_declared_article() -> None:
    result = kind('<meta property="og:type" content="article">')
    assert (result.page_type, result.is_article, result.paywalled) == ("article", True, False)
    assert result.reasons == ["og:type article"]


def test_jsonld_news_article_type() -> None:
    result = kind(jsonld({"@type": "ReportageNewsArticle", "headline": "x"}))
    assert result.is_article and "json-ld article type" in result.reasons


@pytest.mark.parametrize(
    "url",
    [
        "https://news.example.com/tag/russia/",
        "https://news.example.com/author/jane-doe",
        "https://news.example.com/section/politics/",
        "https://news.example.com/category/world",
        "https://news.example.com/",
    ],
)
def test_index_urls_are_sections(url: str) -> None:
    result = kind('<meta property="og:type" content="website">', url=url, text="Headline one. Headline two.")
    assert (result.page_type, result.is_article) == ("section", False)
    assert any("url" in reason for reason in result.reasons)


def test_collection_page_and_link_density() -> None:
    collection = kind(jsonld({"@type": "CollectionPage", "name": "World"}), text="short")
    assert (collection.page_type, collection.is_article) == ("section", False)
    links = "".join(f'<a href="/{i}">Headline number {i} of the front page</a> ' for i in range(40))
    front = kind('<meta property="og:type" content="website">', body=f"<div>{links}</div>", text=LONG_TEXT)
    assert (front.page_type, front.is_article) == ("section", False)
    assert any("link density" in reason for reason in front.reasons)


def test_video_and_gallery_pages() -> None:
    video = kind('<meta property="og:type" content="video.other">', text="A short clip description.")
    assert (video.page_type, video.is_article) == ("video", False)
    gallery = kind(jsonld({"@type": "ImageGallery"}), url="https://x.example/galerie/bilder-1", text="Bild 1")
    assert (gallery.page_type, gallery.is_article) == ("gallery", False)


def test_liveblog_is_kept_as_article_content() -> None:
    result = kind(jsonld({"@type": "LiveBlogPosting", "headline": "Live"}))
    assert (result.page_type, result.is_article) == ("liveblog", True)


def test_declared_article_with_almost_no_text_is_not_an_article() -> None:
    result = kind('<meta property="og:type" content="article">', text="Watch the video.")
    assert not result.is_article and "short text" in " ".join(result.reasons)


def test_paywall_declared_not_free_with_short_text() -> None:
    head = jsonld(
        {"@type": "NewsArticle", "isAccessibleForFree": "False", "hasPart": {"@type": "WebPageElement"}}
    )
    result = kind(head, text="Only the teaser paragraph is visible to us.")
    assert result.paywalled and result.is_article
    assert any("isAccessibleForFree=false" in reason for reason in result.reasons)


def test_paywall_markup_with_full_text_is_not_flagged() -> None:
    body = '<div class="paywall-container"><p>x</p></div>'
    result = kind('<meta property="og:type" content="article">', body=body)
    assert not result.paywalled
    assert any("delivered" in reason for reason in result.reasons)


def test_undeclared_page_decided_by_text_length() -> None:
    assert kind(text=LONG_TEXT).page_type == "article"
    other = kind(text="Cookie settings")
    assert (other.page_type, other.is_article) == ("other", False)


def _paywall_markup_reference(tree: lxml_html.HtmlElement) -> bool:
    """The plain definition: class and id of the first 5000 elements having one, IGNORECASE."""
    from extraction.pagetype import _PAYWALL_MARK

    markers = "\n".join(
        f"{e.get('class', '')} {e.get('id', '')}" for e in tree.xpath("//*[@class or @id]")[:5000]
    )
    return _PAYWALL_MARK.search(markers) is not None


@pytest.mark.parametrize(
    "body",
    [
        '<div class="story PayWall-box">x</div>',
        '<div id="piano-offer">x</div>',
        '<div class="piano" id="-offer">x</div>',  # no match across class and id
        '<div class="pay" id="wall">x</div>',
        '<div class="paywaſl">x</div>',  # non-ASCII: the IGNORECASE search decides
        '<div class="PREMIUM-CONTENT ünïcode">x</div>',
        "<p>paywall</p>",  # text is no marker
        "".join(f'<span class="c{i}">x</span>' for i in range(5001)) + '<b class="paywall">x</b>',
        "".join(f'<span id="i{i}">x</span>' for i in range(4999)) + '<b class="paywall" id="y">x</b>',
        "".join(f'<span class="c" id="i{i}">x</span>' for i in range(2600)) + '<b class="regwall">x</b>',
    ],
)
def test_paywall_markup_matches_its_plain_definition(body: str) -> None:
    from extraction.pagetype import _PAYWALL_MARK, _paywall_markup

    assert _PAYWALL_MARK.pattern == _PAYWALL_MARK.pattern.lower()  # the ASCII fast path relies on it
    tree = lxml_html.fromstring(f"<html><body>{body}</body></html>")
    assert _paywall_markup(tree) == _paywall_markup_reference(tree)
