"""Change feed: one entry per stored version, crash-safe, and followers that miss nothing and
read nothing twice while writers (with skewed clocks) keep writing (local and S3)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from archive import feed, keys
from archive.feed import Cursor, Follow
from archive.records import ArticleRecord
from archive.store import ObjectStore, open_store
from archive.writer import ArchiveWriter
from dateline.cli import app
from tests.test_writer import make_record

BASE = "https://news.example/feed/"


def record(n: int, text: str = "", **fields: Any) -> ArticleRecord:
    return make_record(text or f"Story number {n} about the harbour.", url=f"{BASE}{n}", **fields)


def follow_all(store: ObjectStore, since: str | None = None, **kw: Any) -> tuple[list[tuple[str, str]], str]:
    entries, cursor = feed.changes(store, since, **kw)
    return [(e.id, e.version) for e in entries], cursor


def skewed(offset: timedelta) -> Callable[[], datetime]:
    return lambda: datetime.now(UTC) + offset


@pytest.fixture
def store(archive_uri: str) -> ObjectStore:
    return open_store(archive_uri)


def test_each_stored_version_is_announced_once(store: ObjectStore) -> None:
    writer = ArchiveWriter(store)
    v1, v2 = record(1), record(1, "Story number 1, updated.", crawled_at="2026-11-24T08:00:00Z")
    statuses = [writer.store_article(r) for r in (v1, v1, v2, record(2), v2)]
    assert statuses == ["new", "unchanged", "new_version", "new", "unchanged"]

    seen, cursor = follow_all(store)
    assert seen == [(v1.id, v1.version), (v2.id, v2.version), (record(2).id, record(2).version)]
    entries, _ = feed.changes(store)
    first = entries[0]
    assert first.key == keys.article_key("example", "2026-11-20", v1.id, v1.version)
    assert (first.site, first.published, first.run_id, first.content_hash) == (
        "example",
        "2026-11-20",
        "run-1",
        v1.content_hash,
    )
    assert store.exists(first.key)  # an entry never names a missing record
    assert follow_all(store, cursor)[0] == []  # nothing new: nothing again


def test_cursor_is_opaque_and_round_trips() -> None:
    cursor = Cursor(datetime(2026, 11, 23, 10, 51, 7, 123456, tzinfo=UTC), {b"12345678": 1_790_000_000})
    text = cursor.encode()
    assert text.replace("-", "").replace("_", "").isalnum()  # one shell word, no padding
    back = Cursor.decode(text)
    assert (back.at, back.seen) == (cursor.at, cursor.seen)
    for bad in ("", "not-a-cursor", text[:-4]):
        with pytest.raises(ValueError, match="cursor"):
            Cursor.decode(bad)


class _DropFeedEntries:
    """A store that dies right after announcing a feed entry (the crash being simulated)."""

    def __init__(self, inner: ObjectStore) -> None:
        self.inner, self.uri = inner, inner.uri

    def put_if_absent(self, key: str, data: bytes, content_type: str = "application/json") -> bool:
        if key.startswith(keys.FEED_ROOT):
            raise RuntimeError("killed between the mark and the entry")
        return self.inner.put_if_absent(key, data, content_type)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_crash_between_mark_and_entry_is_completed_once_by_the_rerun(store: ObjectStore) -> None:
    rec = record(3)
    with pytest.raises(RuntimeError):
        ArchiveWriter(_DropFeedEntries(store)).store_article(rec)  # type: ignore[arg-type]
    assert list(store.list(keys.feed_marks_prefix(rec.id, rec.version)))  # announced ...
    assert list(store.list(keys.FEED_ROOT)) == []  # ... but never written

    writer = ArchiveWriter(store)
    assert writer.store_article(rec) == "unchanged"  # the crawl's rerun: record known, feed completed
    assert writer.store_article(rec) == "unchanged"
    assert len(list(store.list(keys.FEED_ROOT))) == 1
    assert follow_all(store)[0] == [(rec.id, rec.version)]


def test_overlapping_writers_of_one_version_are_read_once(store: ObjectStore) -> None:
    """Writer A announced an entry and is slow to put it; B writes its own; A's lands later."""
    rec = record(4)
    writer = ArchiveWriter(store)
    key = keys.article_key(rec.site, rec.published.date, rec.id, rec.version)
    slow_entry = keys.feed_entry_key(datetime.now(UTC) - timedelta(seconds=30), rec.id, rec.version)
    store.put_if_absent(
        keys.feed_mark_key(rec.id, rec.version, 0), json.dumps({"entry": slow_entry}).encode()
    )
    assert writer.store_article(rec) == "new"  # B: A's entry is not there, so B writes one

    seen, cursor = follow_all(store)
    assert seen == [(rec.id, rec.version)]
    store.put_if_absent(slow_entry, feed._entry(rec, key, slow_entry).model_dump_json().encode())  # A lands
    assert len(list(store.list(keys.FEED_ROOT))) == 2
    assert follow_all(store, cursor)[0] == []  # its late, older-stamped entry is the same version
    assert follow_all(store)[0] == [(rec.id, rec.version)]  # a full replay dedupes too


def test_entry_stamped_before_the_cursor_is_still_delivered(store: ObjectStore) -> None:
    """A writer whose clock is 5 minutes behind (or whose put was slow) writes 'in the past'."""
    ArchiveWriter(store).store_article(record(5))
    _, cursor = follow_all(store)
    late = record(6)
    ArchiveWriter(store, clock=skewed(-timedelta(minutes=5))).store_article(late)
    seen, cursor = follow_all(store, cursor)
    assert seen == [(late.id, late.version)]
    assert follow_all(store, cursor)[0] == []
    # the window is what makes this work: with none, the late entry is behind the cursor
    ArchiveWriter(store, clock=skewed(-timedelta(minutes=5))).store_article(record(7))
    assert follow_all(store, cursor, window=timedelta(0))[0] == []


def test_follower_while_writers_write_misses_nothing_and_reads_nothing_twice(store: ObjectStore) -> None:
    """Three writers (clocks -2 min, 0, +1 min) write bursts, one re-stores another's versions;
    a follower polls with its cursor until they are done, then once more."""
    stored: list[tuple[str, str]] = []
    lock = threading.Lock()

    def write(offset: timedelta, numbers: range, restore: bool = False) -> None:
        writer = ArchiveWriter(store, clock=skewed(offset))
        for n in numbers:
            rec = record(n, f"Story {n}, told at length about the harbour and the storm.")
            status = writer.store_article(rec)
            if status in ("new", "new_version"):
                with lock:
                    stored.append((rec.id, rec.version))
            if n % 4 == 0:
                time.sleep(0.05)  # bursts

    writers = [
        threading.Thread(target=write, args=(timedelta(minutes=-2), range(100, 112))),
        threading.Thread(target=write, args=(timedelta(0), range(200, 212))),
        threading.Thread(target=write, args=(timedelta(minutes=1), range(300, 312))),
        threading.Thread(target=write, args=(timedelta(0), range(100, 112), True)),  # same site, same pages
    ]
    for t in writers:
        t.start()
    delivered: list[tuple[str, str]] = []
    cursor: str | None = None
    polls = 0
    while any(t.is_alive() for t in writers):
        batch, cursor = follow_all(store, cursor)
        delivered += batch
        polls += 1
        time.sleep(0.02)
    for t in writers:
        t.join()
    batch, cursor = follow_all(store, cursor)
    delivered += batch
    assert polls > 1
    assert len(delivered) == len(set(delivered)), "a version was delivered twice"
    assert sorted(delivered) == sorted(stored) and len(stored) == 36


def test_follow_from_start_streams_every_entry_once(store: ObjectStore) -> None:
    writer = ArchiveWriter(store)
    written = [record(n) for n in range(8)]
    for rec in written:
        writer.store_article(rec)
    follow = Follow(store)
    with pytest.raises(RuntimeError):
        _ = follow.cursor  # only known once the pass is over
    assert [(e.id, e.version) for e in follow] == [(r.id, r.version) for r in written]  # write order
    assert Cursor.decode(follow.cursor).seen  # recent versions are remembered for deduplication


def test_cli_follow_prints_records_and_the_cursor_last(store: ObjectStore) -> None:
    writer = ArchiveWriter(store)
    for n in (10, 11):
        writer.store_article(record(n))
    runner = CliRunner()
    first = runner.invoke(app, ["follow", "--archive", store.uri])
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    assert [ArticleRecord.model_validate_json(line).url for line in lines] == [f"{BASE}10", f"{BASE}11"]
    last = first.stderr.strip().splitlines()[-1]
    assert last.startswith("cursor: ")
    cursor = last.removeprefix("cursor: ")

    writer.store_article(record(12))
    second = runner.invoke(app, ["follow", "--archive", store.uri, "--since", cursor])
    assert second.exit_code == 0, second.output
    assert [json.loads(line)["url"] for line in second.stdout.splitlines()] == [f"{BASE}12"]
    assert second.stderr.strip().splitlines()[-1].startswith("cursor: ")

    bad = runner.invoke(app, ["follow", "--archive", store.uri, "--since", "garbage"])
    assert bad.exit_code == 1
