"""Extraction confidence and the do-no-harm fallback (pure functions, pages built here)."""

from __future__ import annotations

from datetime import UTC, datetime

from archive.records import ArticleRecord
from extraction.confidence import (
    assess,
    is_low,
    kept_share,
    link_share,
    score,
    shingle_set,
    should_fall_back,
    tokens,
)
from extraction.extract import extract_page
from extraction.model import PageHints

POSTS = "\n".join(
    f"Post {i}: the water pump in my old car makes a noise when it is cold outside, number {i}."
    for i in range(12)
)


def test_tokens_and_shingles() -> None:
    assert tokens("Grüße, WORLD!") == ["grüsse", "world"]
    assert tokens("東京都") == ["東", "京", "都"]
    assert shingle_set("one two") == {("one", "two")}
    assert len(shingle_set("a b c d e")) == 2
    assert kept_share(set(), {("a",)}) == 1.0
    assert kept_share(shingle_set("a b c d e"), shingle_set("a b c d")) == 0.5


def test_link_share_counts_dropped_text_that_is_link_text() -> None:
    dropped = shingle_set("read the next story about the election today")
    assert link_share(dropped, ["read the next story about the election today"]) == 1.0
    assert link_share(dropped, ["home", "contact"]) == 0.0
    assert link_share(set(), ["x"]) == 0.0


def test_fallback_needs_a_large_unsupported_loss_of_a_short_text() -> None:
    assert should_fall_back(0.9, 300, 0.0)
    assert not should_fall_back(0.5, 300, 0.0)  # kept half: ordinary cleaning
    assert not should_fall_back(0.9, 5000, 0.0)  # our text is long: trafilatura grabbed more than the article
    assert not should_fall_back(0.9, 300, 0.8)  # what we dropped is link text (teasers, menus)


def test_assess_falls_back_to_the_reference_when_ours_lost_it() -> None:
    text, quality = assess(
        "Forum thread",
        POSTS,
        structured_body=None,
        html_chars=20_000,
        anchors=lambda: ["Home", "Forum"],
        second=lambda: POSTS,
    )
    assert text == POSTS and quality.fallback == "trafilatura"
    assert quality.removed_share > 0.9 and quality.confidence < 0.3 and is_low(quality)
    assert quality.precision_second is not None


def test_assess_keeps_ours_when_the_dropped_part_is_links() -> None:
    teasers = [f"Another story number {i} you should read about the water pump" for i in range(12)]
    text, quality = assess(
        "Short article text.",
        "Short article text.\n" + "\n".join(teasers),
        structured_body=None,
        html_chars=20_000,
        anchors=lambda: teasers,
        second=lambda: None,
    )
    assert text == "Short article text." and quality.fallback is None and quality.extra_link_share > 0.8


def test_assess_without_reference_and_the_score_bounds() -> None:
    asked: list[str] = []

    def ask(what: str) -> list[str]:
        asked.append(what)
        return []

    text, quality = assess(
        POSTS,
        None,
        structured_body=POSTS,
        html_chars=len(POSTS) * 10,
        anchors=lambda: ask("anchors"),
        second=lambda: "".join(ask("second")) or None,
    )
    assert text == POSTS and quality.agree_trafilatura is None and quality.agree_structured == 1.0
    assert "second" not in asked  # no second extractor when there is nothing to compare with
    assert score(1.0, 5000, None, 0.0, False) == 1.0
    assert score(0.0, 0, 0.0, 1.0, True) == 0.0
    # each risk lowers it: text trafilatura had that we lost, a second extractor lacking ours,
    # line rules that dropped much, a short text, a fallback taken
    assert score(0.6, 5000, None, 0.0, False) < score(0.9, 5000, None, 0.0, False)
    assert score(1.0, 5000, 0.2, 0.0, False) < score(1.0, 5000, 0.9, 0.0, False)
    assert score(1.0, 5000, None, 0.3, False) < score(1.0, 5000, None, 0.05, False)
    assert score(1.0, 200, None, 0.0, False) < score(1.0, 2000, None, 0.0, False)
    assert score(1.0, 5000, None, 0.0, True) < 0.5


def test_assess_records_the_link_share_of_our_text() -> None:
    teasers = [f"Another story number {i} you should read about the water pump" for i in range(12)]
    _, quality = assess(
        "\n".join(teasers),
        None,
        structured_body=None,
        html_chars=20_000,
        anchors=lambda: teasers,
        second=lambda: None,
        lines_removed_share=0.4,
    )
    assert (
        quality.own_link_share > 0.9 and quality.lines_removed_share == 0.4
    )  # 4-grams across lines are not links
    assert quality.confidence < 0.7  # the line rules dropped much of trafilatura's text


def test_every_extraction_carries_its_confidence() -> None:
    body = "".join(f"<p>{line}</p>" for line in POSTS.splitlines())
    html = f"<html><head><title>Pumps</title></head><body><nav><a href='/'>Home</a></nav><article><h1>Pumps</h1>{body}</article></body></html>"
    result = extract_page(
        html, PageHints(url="https://example.org/a", crawled_at=datetime(2024, 5, 1, tzinfo=UTC))
    )
    assert result.quality is not None and 0.0 <= result.quality.confidence <= 1.0
    assert result.quality.fallback is None and "water pump" in result.text


def test_records_without_extraction_quality_stay_readable() -> None:
    old = {
        "id": "x",
        "version": "v",
        "url": "https://example.org/a",
        "canonical_url": "https://example.org/a",
        "site": "example",
        "title": "t",
        "published": {},
        "text": "text",
        "content_hash": "h",
        "word_count": 1,
        "crawled_at": "2024-05-01T00:00:00+00:00",
        "run_id": "r",
        "extractor": {"version": "1", "trafilatura": "2.3.1"},
        "raw": None,
    }
    record = ArticleRecord.model_validate(old)
    assert record.extraction is None
