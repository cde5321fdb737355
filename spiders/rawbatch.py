"""Raw pages of one site's crawl, gathered into shared WARC objects (one write for several pages).

Why: every object written costs an S3 request (money and time); a raw WARC per page was one of
the six writes per article. A page waits here at most ``max_wait`` seconds (or until ``max_pages``
pages or ``max_bytes`` of bodies are waiting), then its batch is stored as one object and every
waiting page gets the pointer to its own response record. The record that names a raw page is
written only after that object exists, so the archive's write order holds; a crash loses only
pages not yet archived at all (no URL marker), which the next run fetches again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC

from archive.records import RawPointer
from archive.warc import Fetch

StoreBatch = Callable[[Sequence[Fetch]], list[RawPointer]]  # blocking: runs in a thread


class RawBatcher:
    """``await add(fetch)`` returns the fetch's pointer once the batch holding it is stored;
    a store error reaches every page of that batch (each is then recorded as failed)."""

    def __init__(
        self, store: StoreBatch, max_pages: int = 32, max_bytes: int = 2_000_000, max_wait: float = 1.0
    ):
        self.store = store
        self.max_pages = max(1, max_pages)
        self.max_bytes = max_bytes
        self.max_wait = max_wait
        self._waiting: list[tuple[Fetch, asyncio.Future[RawPointer]]] = []
        self._bytes = 0
        self._day: str | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._writes: set[asyncio.Task[None]] = set()

    async def add(self, fetch: Fetch) -> RawPointer:
        day = _utc_day(fetch)
        if self._waiting and day != self._day:
            self._flush()  # one object holds one UTC crawl day (its key's date partition)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[RawPointer] = loop.create_future()
        self._waiting.append((fetch, future))
        self._bytes += len(fetch.body)
        self._day = day
        if len(self._waiting) >= self.max_pages or self._bytes >= self.max_bytes or self.max_wait <= 0:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self.max_wait, self._flush)
        return await future

    async def drain(self) -> None:
        """Store what is waiting now and wait for every batch under way."""
        self._flush()
        while self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._waiting, self._bytes = self._waiting, [], 0
        if batch:
            task = asyncio.ensure_future(self._write(batch))
            self._writes.add(task)
            task.add_done_callback(self._writes.discard)

    async def _write(self, batch: list[tuple[Fetch, asyncio.Future[RawPointer]]]) -> None:
        try:
            pointers = await asyncio.to_thread(self.store, [fetch for fetch, _ in batch])
        except asyncio.CancelledError:
            for _, future in batch:
                future.cancel()
            raise
        except Exception as exc:  # handed to every page that waits for it
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), pointer in zip(batch, pointers, strict=True):
            if not future.done():  # a page's processing may have been cancelled meanwhile
                future.set_result(pointer)


def _utc_day(fetch: Fetch) -> str:
    moment = fetch.fetched_at if fetch.fetched_at.tzinfo else fetch.fetched_at.replace(tzinfo=UTC)
    return moment.astimezone(UTC).date().isoformat()
