"""RawBatcher: raw pages of a crawl gathered into shared WARC objects (spiders/rawbatch.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.records import RawPointer
from archive.store import LocalStore, StoreError
from archive.warc import Fetch, find_response
from archive.writer import ArchiveWriter
from spiders.rawbatch import RawBatcher

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def fetch(i: int, size: int = 10, at: datetime = NOON) -> Fetch:
    return Fetch(f"https://news.example/a/{i}", 200, [("Content-Type", "text/html")], b"x" * size, at)


class Recorder:
    """Stands for the writer: records the batches it is handed and names pointers after them."""

    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.fail = fail

    def __call__(self, fetches: Sequence[Fetch]) -> list[RawPointer]:
        if self.fail:
            raise StoreError("disk gone")
        self.batches.append([f.url.rsplit("/", 1)[-1] for f in fetches])
        return [RawPointer(key=f"batch{len(self.batches)}", record_id=f.url) for f in fetches]


def test_pages_arriving_together_share_one_object_until_the_page_limit() -> None:
    store = Recorder()

    async def main() -> list[RawPointer]:
        batcher = RawBatcher(store, max_pages=3, max_wait=0.2)
        return await asyncio.gather(*(batcher.add(fetch(i)) for i in range(7)))

    pointers = asyncio.run(asyncio.wait_for(main(), 5))
    assert store.batches == [["0", "1", "2"], ["3", "4", "5"], ["6"]]  # the 7th after the wait
    assert [p.record_id for p in pointers] == [f.url for f in map(fetch, range(7))]


def test_a_lone_page_is_stored_after_the_wait_limit() -> None:
    store = Recorder()

    async def main() -> tuple[RawPointer, float]:
        batcher = RawBatcher(store, max_pages=10, max_wait=0.2)
        loop = asyncio.get_running_loop()
        began = loop.time()
        pointer = await batcher.add(fetch(1))
        return pointer, loop.time() - began

    pointer, waited = asyncio.run(main())
    assert store.batches == [["1"]] and pointer.key == "batch1"
    assert waited >= 0.15


def test_bytes_and_the_utc_day_close_a_batch() -> None:
    store = Recorder()

    async def main() -> None:
        batcher = RawBatcher(store, max_pages=100, max_bytes=250, max_wait=0.1)
        late = NOON.replace(hour=23, minute=59, second=59)
        await asyncio.gather(
            batcher.add(fetch(0, 100)),
            batcher.add(fetch(1, 100, at=late)),
            batcher.add(fetch(2, 100, at=late + timedelta(seconds=2))),  # the next UTC day
            batcher.add(fetch(3, 200, at=late + timedelta(seconds=3))),
            batcher.add(fetch(4, 10, at=late + timedelta(seconds=3))),
        )

    asyncio.run(main())
    assert store.batches == [["0", "1"], ["2", "3"], ["4"]]


def test_a_failed_write_reaches_every_page_of_its_batch() -> None:
    async def main() -> list[object]:
        batcher = RawBatcher(Recorder(fail=True), max_pages=2, max_wait=0.1)
        return await asyncio.gather(*(batcher.add(fetch(i)) for i in range(3)), return_exceptions=True)

    results = asyncio.run(main())
    assert [type(r) for r in results] == [StoreError] * 3


def test_drain_stores_what_waits() -> None:
    store = Recorder()

    async def main() -> None:
        batcher = RawBatcher(store, max_pages=10, max_wait=60.0)
        waiting = asyncio.ensure_future(batcher.add(fetch(1)))
        await asyncio.sleep(0)
        await batcher.drain()
        assert (await waiting).key == "batch1"

    asyncio.run(asyncio.wait_for(main(), 5))


def test_the_writer_stores_a_batch_as_one_warc_and_again_as_the_same(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "archive")
    writer = ArchiveWriter(store)
    fetches = [fetch(i, 20 + i) for i in range(4)]
    pointers = writer.store_raws("example", fetches)
    assert len({p.key for p in pointers}) == 1 and len(list(store.list("raw/"))) == 1
    data = store.get(pointers[0].key)
    for f, p in zip(fetches, pointers, strict=True):
        response = find_response(data, p.record_id)
        assert (response.url, response.body, response.fetched_at) == (f.url, f.body, f.fetched_at)
    assert writer.store_raws("example", fetches) == pointers  # pointers name the stored records
    assert len(list(store.list("raw/"))) == 1
    assert writer.store_raws("example", fetches[:2])[0].key != pointers[0].key  # another batch
    with pytest.raises(ValueError, match="one UTC day"):
        writer.store_raws("example", [fetch(1), fetch(2, at=NOON + timedelta(days=1))])
