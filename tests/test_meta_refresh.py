"""HeadMetaRefreshMiddleware: Scrapy's meta-refresh redirects, found from the page's head alone."""

from __future__ import annotations

from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from spiders.middlewares import HeadMetaRefreshMiddleware
from spiders.settings import DOWNLOADER_MIDDLEWARES

PADDING = "<p>" + "Zeitung für Österreich – ein langer Absatz. " * 2000 + "</p>"  # ~90 KB, non-ASCII


def _middleware() -> HeadMetaRefreshMiddleware:
    return HeadMetaRefreshMiddleware.from_crawler(get_crawler())


def _page(url: str, head: str, charset: str | None = "utf-8") -> HtmlResponse:
    html = f"<html><head>{head}</head><body>{PADDING}</body></html>"
    headers = {"Content-Type": f"text/html; charset={charset}" if charset else "text/html"}
    return HtmlResponse(url, body=html.encode("utf-8"), headers=headers)


def test_a_large_page_with_a_meta_refresh_in_its_head_is_redirected() -> None:
    request = Request("https://news.example/old")
    response = _page(request.url, '<meta http-equiv="refresh" content="0; url=/new-home">')
    out = _middleware().process_response(request, response)
    assert isinstance(out, Request)
    assert out.url == "https://news.example/new-home"
    assert out.meta["redirect_urls"] == ["https://news.example/old"]


def test_a_large_page_without_one_comes_back_itself_with_its_body_never_decoded() -> None:
    for charset in ("utf-8", None):  # declared in the header, or only in the body
        request = Request("https://news.example/story")
        response = _page(request.url, '<meta charset="utf-8"><title>Story</title>', charset)
        assert _middleware().process_response(request, response) is response
        assert response._cached_ubody is None  # the text of the whole page was not made


def test_a_refresh_past_the_first_4096_characters_is_ignored_as_scrapy_does() -> None:
    request = Request("https://news.example/story")
    html = (
        f"<html><head><title>x</title></head><body>{PADDING}<meta http-equiv='refresh' content='0; url=/x'>"
    )
    response = HtmlResponse(request.url, body=html.encode("utf-8"), headers={"Content-Type": "text/html"})
    assert _middleware().process_response(request, response) is response


def test_small_pages_and_dont_redirect_go_scrapys_own_way() -> None:
    small = HtmlResponse(
        "https://news.example/a",
        body=b'<html><head><meta http-equiv="refresh" content="0; url=/b"></head></html>',
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    out = _middleware().process_response(Request("https://news.example/a"), small)
    assert isinstance(out, Request) and out.url == "https://news.example/b"
    held = Request("https://news.example/a", meta={"dont_redirect": True})
    assert _middleware().process_response(held, small) is small


def test_the_crawl_uses_it_in_place_of_scrapys() -> None:
    assert DOWNLOADER_MIDDLEWARES["scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"] is None
    assert DOWNLOADER_MIDDLEWARES["spiders.middlewares.HeadMetaRefreshMiddleware"] == 580
