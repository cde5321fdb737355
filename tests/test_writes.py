"""Objects written per article in the crawl path (issue 9: ~49 before, target <= 6).

A counting wrapper around the real local store records every object the writer creates while
the crawl pipeline's calls run for a batch of articles: raw WARC, record, URL markers.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive import feed, simindex
from archive.reader import ArchiveReader
from archive.store import LocalStore, ObjectStore
from archive.warc import Fetch
from archive.writer import ArchiveWriter
from tests.test_writer import make_record

PER_RUN = ("feed/registry/", "runs/", "profiles/")  # once per crawl, whatever its size


class CountingStore:
    """The real store, counting the objects each put actually created (by top-level prefix)."""

    def __init__(self, inner: ObjectStore) -> None:
        self.inner = inner
        self.created: list[str] = []

    def put_if_absent(self, key: str, data: bytes, content_type: str = "application/json") -> bool:
        wrote = self.inner.put_if_absent(key, data, content_type)
        if wrote:
            self.created.append(key)
        return wrote

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def crawl_path(writer: ArchiveWriter, n: int, raw_batch: int = 1) -> None:
    """What spiders/pipelines.py does per article: raw WARC (``raw_batch`` pages per object, as
    spiders/rawbatch.py gathers them), record, URL markers."""
    for start in range(0, n, raw_batch):
        records, fetches = [], []
        for i in range(start, min(n, start + raw_batch)):
            url = f"https://news.example/world/2026/11/20/story-number-{i}"
            rec = make_record(f"Paragraph {i} of a story about the harbour.\n\nMore text {i}.", url=url)
            body = f"<html><body><p>{rec.text}</p></body></html>".encode()
            records.append(rec)
            fetches.append(Fetch(url, 200, [("Content-Type", "text/html")], body, datetime.now(UTC)))
        for rec, raw in zip(records, writer.store_raws(records[0].site, fetches), strict=True):
            rec = rec.model_copy(update={"raw": raw})
            assert writer.store_article(rec) == "new"
            writer.mark_urls(rec.site, [rec.canonical_url, *rec.aliases], rec.id)


def test_an_article_costs_six_objects_in_the_crawl_path(tmp_path: Path) -> None:
    store = CountingStore(LocalStore(tmp_path / "archive"))
    writer = ArchiveWriter(store)
    crawl_path(writer, 20)
    writer.close()
    per_article = [k for k in store.created if not k.startswith(PER_RUN) and not _log_end(store, k)]
    by_kind = Counter(k.split("/", 1)[0] for k in per_article)
    assert by_kind == {"raw": 20, "articles": 20, "ids": 20, "hashes": 20, "feed": 20, "urls": 20}
    assert len(per_article) / 20 <= 6
    assert len(store.created) - len(per_article) == 2  # the feed log's registry slot and its end

    # what moved out of the crawl path is still there: one batch writes one index segment
    assert simindex.update(store) == 20
    assert store.created[-1] == "sims/segments/000000000000.parquet"
    entries = feed.changes(store)[0]
    assert len(entries) == 20 and {e.id for e in entries} == {
        r.id for r in ArchiveReader(store).iter_records()
    }


def test_raw_pages_that_share_an_object_bring_an_article_down_to_five_and_a_bit(tmp_path: Path) -> None:
    """Raw pages gathered as the crawl does (here 5 per object): 5 + 1/5 objects per article,
    and every record's raw pointer still finds its own response."""
    store = CountingStore(LocalStore(tmp_path / "archive"))
    writer = ArchiveWriter(store)
    crawl_path(writer, 20, raw_batch=5)
    writer.close()
    per_article = [k for k in store.created if not k.startswith(PER_RUN) and not _log_end(store, k)]
    by_kind = Counter(k.split("/", 1)[0] for k in per_article)
    assert by_kind == {"raw": 4, "articles": 20, "ids": 20, "hashes": 20, "feed": 20, "urls": 20}
    assert len(store.created) / 20 <= 5.2 + 2 / 20  # the feed log's registry slot and end included
    reader = ArchiveReader(store)
    for record in reader.iter_records():
        assert record.raw is not None
        assert reader.raw_response(record.raw).url == record.url


def _log_end(store: CountingStore, key: str) -> bool:
    return key.startswith("feed/logs/") and b'"kind":"end"' in store.inner.get(key)


def test_writers_racing_on_one_new_version_announce_it_once(tmp_path: Path) -> None:
    """The fresh path skips the claim lookups: the record's put-if-absent picks the one creator,
    and the id pointer's put-if-absent the one claim, whoever else is storing it."""
    store = LocalStore(tmp_path / "archive")
    for i in range(10):
        rec = make_record(f"Race {i}.", url=f"https://news.example/world/2026/11/20/race-{i}")
        writers = [ArchiveWriter(store) for _ in range(6)]
        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(pool.map(ArchiveWriter.store_article, writers, [rec] * len(writers)))
        assert statuses.count("new") == 1, statuses
        for w in writers:
            w.close()
    assert sorted(e.id for e in feed.changes(store)[0]) == sorted(
        make_record("", url=f"https://news.example/world/2026/11/20/race-{i}").id for i in range(10)
    )
