from datetime import UTC, datetime

from archive.keys import article_id
from archive.records import DateInfo, Discovery
from core.recordbuilder import build_record, content_hash, word_count
from extraction.model import Extraction


def test_content_hash_ignores_whitespace_but_not_words() -> None:
    assert content_hash("T", "a  b\n\nc") == content_hash("T", "a b c")
    assert content_hash("T", "a b c") != content_hash("T", "a b d")
    assert content_hash("T", "a b c") != content_hash("U", "a b c")


def test_word_count_handles_scripts_without_spaces() -> None:
    assert word_count("Hello, world! 3 apples") == 4
    assert word_count("イスラエルとハマス") == 9
    assert word_count("서울 뉴스") == 2


def test_record_ids_and_aliases() -> None:
    ex = Extraction(
        url="https://n.example/a?utm_source=x",
        canonical_url="https://n.example/a",
        title="T",
        text="Body text here.",
        published=DateInfo(date="2026-02-09", datetime="2026-02-09T10:00:00+03:00", source="json-ld"),
    )
    rec = build_record(
        ex,
        site="n",
        fetched_url="https://n.example/a",
        other_urls=["https://n.example/old-a", "https://n.example/a"],
        crawled_at=datetime(2026, 2, 10, tzinfo=UTC).isoformat(),
        run_id="r",
        raw=None,
        discovery=Discovery(via="feed"),
    )
    assert rec.id == article_id("https://n.example/a")
    assert rec.version == rec.content_hash[:12]
    assert rec.aliases == ["https://n.example/old-a"]
    assert rec.published.datetime == "2026-02-09T10:00:00+03:00"


def test_record_carries_the_extraction_confidence() -> None:
    from archive.records import ExtractionQuality

    quality = ExtractionQuality(
        confidence=0.42, agree_trafilatura=0.2, removed_share=0.8, fallback="trafilatura"
    )
    ex = Extraction(
        url="https://n.example/a", canonical_url="https://n.example/a", text="Body.", quality=quality
    )
    rec = build_record(
        ex,
        site="n",
        fetched_url="https://n.example/a",
        other_urls=[],
        crawled_at=datetime(2026, 2, 10, tzinfo=UTC).isoformat(),
        run_id="r",
        raw=None,
        discovery=Discovery(),
    )
    assert rec.extraction == quality
    assert rec.model_validate_json(rec.model_dump_json()).extraction == quality
