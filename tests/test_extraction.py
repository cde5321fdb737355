"""extract_page on real dataset pages and on hostile input; decode_html on odd bytes."""

from __future__ import annotations

import gzip
import json
import os
from datetime import UTC, datetime
from typing import Any

import pytest

from extraction.evaluate import crawl_time, score_body, truth_date
from extraction.extract import EXTRACTOR_VERSION, decode_html, extract_page
from extraction.model import Extraction, ExtractionError, PageHints
from tests.fixtures.sites import DATASET_DIR as DATASET

PAGES = [
    "html/at/DerStandard_2024_05_03.html.gz",  # German, JSON-LD, lead outside the body
    "html/uk/Metro_2024_11_29.html.gz",  # English tabloid, teaser lines
    "html/es/ElMundo_2024_12_02.html.gz",  # declares iso-8859-15 but is UTF-8
    "html/jp/MainichiShimbun_2025_01_14.html.gz",  # Japanese (CJK tokens)
    "html/kr/HankookIlbo_2026_01_29.html.gz",  # body only in a script's JSON state
    "html/ch/SRF_2025_01_05.html.gz",
]
HINTS = PageHints(
    url="https://news.example.com/world/some-story-about-things", crawled_at=datetime(2024, 5, 1, tzinfo=UTC)
)


def truth_rows() -> dict[str, dict[str, Any]]:
    rows = [json.loads(line) for line in (DATASET / "truth.jsonl").read_text("utf-8").splitlines() if line]
    return {row["file"]: row for row in rows}


@pytest.fixture(scope="module")
def truth() -> dict[str, dict[str, Any]]:
    return truth_rows()


def extract_row(row: dict[str, Any]) -> Extraction:
    html = decode_html(gzip.decompress((DATASET / row["file"]).read_bytes()))
    return extract_page(html, PageHints(url=row["url"], crawled_at=crawl_time(row["crawl_date"])))


@pytest.mark.parametrize("file", PAGES)
def test_real_pages_date_and_body(file: str, truth: dict[str, dict[str, Any]]) -> None:
    row = truth[file]
    result = extract_row(row)
    assert result.published.date == truth_date(row["publishing_date"])
    assert result.published.source is not None and result.published.raw
    scores = score_body(result.text, row["body"])
    assert scores["f1"] > 0.9, scores
    assert result.is_article and result.title


def test_real_page_metadata(truth: dict[str, dict[str, Any]]) -> None:
    result = extract_row(truth["html/at/DerStandard_2024_05_03.html.gz"])
    assert result.title == "Nach Kalifat-Rufen in Hamburg: Sind wir zu sanft zu Islamisten?"
    assert result.authors == ["Birgit Baumann", "Anna Giulia Fink", "Jan Michael Marchart"]
    assert result.language == "de"
    assert result.published.datetime == "2024-05-03T15:47:42.389000+00:00"
    assert "ref=rss" not in result.canonical_url
    assert result.text.startswith("Die Aufregung nach dem Aufmarsch")  # the lead comes first


def test_decode_html_prefers_valid_utf8_over_a_wrong_declaration() -> None:
    body = '<html><head><meta charset="iso-8859-1"></head><body>Grüße aus Zürich</body></html>'.encode()
    assert "Grüße aus Zürich" in decode_html(body)
    assert "Grüße aus Zürich" in decode_html(body, "iso-8859-1")


def test_decode_html_legacy_encodings_bom_and_garbage() -> None:
    latin = '<html><head><meta charset="windows-1252"></head><body>Grüße €</body></html>'.encode("cp1252")
    assert "Grüße €" in decode_html(latin)
    assert "Grüße" in decode_html(latin, "windows-1252")
    assert "中文" in decode_html("<p>中文</p>".encode("gb18030"), "gb2312")
    assert decode_html(b"\xef\xbb\xbf<p>bom</p>").startswith("<p>bom")
    assert isinstance(decode_html(os.urandom(2000)), str)
    assert isinstance(decode_html(b"<p>\xff\xfe\x00 broken</p>", "no-such-charset"), str)


def test_version_is_exposed() -> None:
    assert EXTRACTOR_VERSION


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("", "empty-body"),
        ("   \n\t ", "empty-body"),
        ("just words, no markup at all " * 10, "not-html"),
        (decode_html(b"%PDF-1.7\n" + bytes(range(256)) * 20), "not-html"),
    ],
)
def test_junk_raises_extraction_error(html: str, reason: str) -> None:
    with pytest.raises(ExtractionError) as info:
        extract_page(html, HINTS)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    "html",
    [
        decode_html(os.urandom(5000)),
        "<html><body>" + "<div>" * 100_000 + "<p>deep text</p>" + "</div>" * 100_000 + "</body></html>",
        "<html><body>" + "<span>" * 30_000 + "x" + "</span>" * 30_000 + "</body></html>",
        "<html><body><p>Hi</p></body></html>",
        "<html><body><p>a\x00b\x0bc</p><p>" + "\ud7ff" * 10 + "</p></body></html>",
        "<html><head><script type='application/ld+json'>{{{{</script></head><body><p>x</p></body></html>",
        "<html><body><table>" * 300 + "</table>" * 300,
        "<!DOCTYPE html><html/><body><p>" + "Word " * 500 + "</p></body>",
    ],
)
def test_hostile_input_never_crashes(html: str) -> None:
    try:
        result = extract_page(html, HINTS)
    except ExtractionError as error:
        assert error.reason
    else:
        assert isinstance(result, Extraction) and result.canonical_url


def test_minimal_article_page() -> None:
    paragraphs = "".join(
        f"<p>Sentence number {i} of a real article about the harbour reopening.</p>" for i in range(8)
    )
    html = f"""<html lang="en"><head><title>Harbour reopens | Example</title>
    <meta property="og:site_name" content="Example">
    <link rel="canonical" href="https://news.example.com/world/harbour?utm_source=x"></head>
    <body><article><h1>Harbour reopens</h1>{paragraphs}</article></body></html>"""
    result = extract_page(html, HINTS)
    assert result.title == "Harbour reopens"
    assert result.text.count("Sentence number") == 8
    assert result.canonical_url == "https://news.example.com/world/harbour"
    assert result.published.date is None and result.published.source is None
    assert result.language == "en"
