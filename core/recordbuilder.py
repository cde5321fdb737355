"""From a cleaned page to an archive record: ids, versions and hashes in one place."""

from __future__ import annotations

import re

import trafilatura

from archive.keys import article_id
from archive.records import ArticleRecord, Discovery, ExtractorInfo, RawPointer, content_hash
from archive.writer import ArchiveWriter, ArticleStatus
from core import __version__
from extraction.model import Extraction

_WORDS = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]|[^\W\u3040-\u30ff\u3400-\u9fff]+")


def word_count(text: str) -> int:
    """Words, counting each kana or CJK ideograph as one (those scripts do not separate words by spaces)."""
    return len(_WORDS.findall(text))


def extractor_info() -> ExtractorInfo:
    return ExtractorInfo(name="dateline", version=__version__, trafilatura=trafilatura.__version__)


def build_record(
    ex: Extraction,
    *,
    site: str,
    fetched_url: str,
    other_urls: list[str],
    crawled_at: str,
    run_id: str,
    raw: RawPointer | None,
    discovery: Discovery,
) -> ArticleRecord:
    chash = content_hash(ex.title, ex.text)
    aliases = sorted({u for u in [fetched_url, *other_urls] if u and u != ex.canonical_url})
    return ArticleRecord(
        id=article_id(ex.canonical_url),
        version=chash[:12],
        url=fetched_url,
        canonical_url=ex.canonical_url,
        aliases=aliases,
        site=site,
        title=ex.title,
        authors=ex.authors,
        published=ex.published,
        modified=ex.modified,
        language=ex.language,
        description=ex.description,
        text=ex.text,
        content_hash=chash,
        word_count=word_count(ex.text),
        paywalled=ex.paywalled,
        page_type=ex.page_type,
        crawled_at=crawled_at,
        run_id=run_id,
        extractor=extractor_info(),
        raw=raw,
        discovery=discovery,
        extraction=ex.quality,
    )


def archive_record(writer: ArchiveWriter, record: ArticleRecord) -> ArticleStatus:
    """Store a built record and mark its URLs: a crawl's and an import's last step (the markers
    come last, so a crash before them means the page is taken again and the store is a no-op)."""
    status = writer.store_article(record)
    writer.mark_urls(record.site, [record.canonical_url, *record.aliases], record.id)
    return status
