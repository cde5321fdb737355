"""The change feed: every stored article version announced exactly once, followed with GETs only.

Why this shape: a follower must get exactly what was added after its cursor, while crawls on
several machines keep writing, without listing ``articles/``, and S3 gives no append, no
lock and no ordering across keys: only put-if-absent (``If-None-Match: *``) and strong
read-after-write. So the feed is made of dense sequences, each slot claimed by put-if-absent:

- ``feed/registry/<n>.json``: one slot per feed *log* ever opened (a writer opens one log,
  lazily, at its first entry). Writers find the free tail by probing and take it with
  put-if-absent; slot ``n`` is only put after slot ``n-1`` was seen, so the registry never has
  a hole: a follower reads ``n, n+1, ...`` until the first missing slot.
- ``feed/logs/date=D/<log>/<n>.json``: the log's slots, each an entry (one stored version) or
  the log's end. One writer appends to its own log, so its order is that writer's store order.
- the claim: which log slot holds a version's entry, put-if-absent *before* the entry. Epoch 0
  is the ``feed`` field of the version's id pointer (``ids/...``, one object for both), later
  epochs (and claims of older archives) are ``feed/claims/<id[:2]>/<id>/<version>/<epoch>.json``. A version has one winning claim; whoever stores the version
  again (a second writer, the rerun after a crash) finds the claim and fills that same slot
  instead of writing a second entry. A claim is void only when its slot was ended (a sealed
  log); then the next epoch is claimed. So each version is in exactly one slot.

A cursor is the next registry slot plus the next slot of every log not yet ended. Following
reads forward until the first missing slot of each: nothing is skipped (sequences are dense
and immutable), nothing is read twice (each version has one slot, each slot is read once).
Logs end when their writer closes, or when ``seal_idle`` ends logs that saw no entry for
hours (a writer that died); sealing a live writer's log is safe too, it just opens a new one.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from archive import keys
from archive.records import SCHEMA_VERSION, ArticleRecord, to_json_bytes
from archive.store import NotFound, ObjectStore

CURSOR_VERSION = 2
DEFAULT_IDLE = timedelta(hours=6)  # a crawl that wrote nothing for this long is gone
PARALLEL = 10

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class FeedEntry(BaseModel):
    """One stored article version, as the feed announces it."""

    kind: Literal["entry"] = "entry"
    schema_version: int = SCHEMA_VERSION
    id: str
    version: str
    key: str  # the article record
    site: str
    published: str | None
    content_hash: str
    crawled_at: str
    run_id: str
    appended_at: str  # writer's clock when the entry was written (informational, not an order)


class LogEnd(BaseModel):
    """The last slot of a log: nothing follows it."""

    kind: Literal["end"] = "end"
    ended_at: str
    reason: Literal["closed", "sealed"]  # closed by its writer, or sealed after being idle


class LogOpened(BaseModel):
    """A registry slot: a new log to read from slot 0."""

    log: str
    opened_at: str


class Claim(BaseModel):
    """Which log slot holds (or will hold) a version's entry."""

    log: str
    seq: int


Slot = FeedEntry | LogEnd
PointerBytes = Callable[[Claim], bytes]  # the id pointer's bytes, carrying a version's first claim


def _parse_slot(data: bytes) -> Slot:
    body = json.loads(data)
    return LogEnd.model_validate(body) if body.get("kind") == "end" else FeedEntry.model_validate(body)


# --------------------------------------------------------------------------- dense sequences


def first_free(store: ObjectStore, key_of: Callable[[int], str], start: int = 0) -> int:
    """First free slot at or after ``start`` (``start`` is 0 or follows a taken slot).

    Galloping then bisecting: O(log n) existence checks. Slots only ever appear, so a
    stale answer is merely too low, and the put-if-absent that follows finds out.
    """
    if not store.exists(key_of(start)):
        return start
    taken, step = start, 1
    while store.exists(key_of(taken + step)):
        taken, step = taken + step, step * 2
    free = taken + step
    while free - taken > 1:
        mid = (taken + free) // 2
        if store.exists(key_of(mid)):
            taken = mid
        else:
            free = mid
    return free


def append_dense(store: ObjectStore, key_of: Callable[[int], str], data: bytes, start: int = 0) -> int:
    """Put ``data`` into the first free slot and return its number.

    A slot is only written when its predecessor is known to exist, so the sequence never
    has a hole; a lost race (412) means the slot is taken and the next one is tried.
    """
    seq = first_free(store, key_of, start)
    while not store.put_if_absent(key_of(seq), data):
        seq = first_free(store, key_of, seq + 1)
    return seq


# --------------------------------------------------------------------------- writing


def new_log_id(moment: datetime) -> str:
    """'20261123T105107Z-1a2b3c4d5e6f': UTC opening time (its day partition) + a random part."""
    return f"{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:12]}"


def end_log(store: ObjectStore, log: str, reason: Literal["closed", "sealed"], start: int = 0) -> int:
    """Write the log's end into its first free slot; returns that slot."""
    end = LogEnd(ended_at=keys.feed_stamp(utc_now()), reason=reason)
    return append_dense(store, lambda n: keys.feed_slot_key(log, n), to_json_bytes(end), start)


class FeedWriter:
    """One writer's feed log: entries in the order this writer stored versions.

    Thread-safe (the crawl stores articles from several threads); appends are serialised,
    which costs two small puts per stored version (the id pointer with its claim, the slot).
    """

    def __init__(self, store: ObjectStore, clock: Clock = utc_now) -> None:
        self.store = store
        self.clock = clock
        self._lock = threading.Lock()
        self._log: str | None = None
        self._next = 0

    @property
    def log(self) -> str | None:
        """The open log's id (None before the first entry or after close)."""
        return self._log

    def _open(self) -> str:
        if self._log is None:
            now = self.clock()
            log = new_log_id(now)
            opened = LogOpened(log=log, opened_at=keys.feed_stamp(now))
            append_dense(self.store, keys.feed_registry_key, to_json_bytes(opened))
            self._log, self._next = log, 0
        return self._log

    def append(
        self, record: ArticleRecord, key: str, pointer: PointerBytes | None = None, *, fresh: bool = False
    ) -> str | None:
        """Give the stored version ``record`` (under ``key``) its one feed entry.

        ``pointer`` makes the version's id-index pointer carry its first claim (one object
        instead of two; see ``_claim``). ``fresh``: the caller has just created the version's
        record, so no claim can predate this call (a racing writer's pointer is still caught
        by put-if-absent): the lookups are skipped, two puts under the lock instead of five
        requests. Returns the slot key when this call wrote the entry, None when it was there.
        """
        with self._lock:
            try:
                return self._append(record, key, pointer, fresh)
            except BaseException:
                self._log = None  # a claim of ours may name the current slot: never reuse it
                raise

    def _append(
        self, record: ArticleRecord, key: str, pointer: PointerBytes | None, fresh: bool
    ) -> str | None:
        claims = [] if fresh else sorted(self.store.list(keys.feed_claims_prefix(record.id, record.version)))
        epoch = int(claims[-1].rsplit("/", 1)[-1].removesuffix(".json")) if claims else 0
        while True:
            claim = self._claim(record, epoch, pointer, fresh and epoch == 0)
            slot_key = keys.feed_slot_key(claim.log, claim.seq)
            entry = _entry(record, key, self.clock())
            wrote = self.store.put_if_absent(slot_key, to_json_bytes(entry))
            slot = entry if wrote else _parse_slot(self.store.get(slot_key))
            if (claim.log, claim.seq) == (self._log, self._next):
                if isinstance(slot, LogEnd):
                    self._log = None  # sealed under us: the next entry opens a new log
                else:
                    self._next += 1
            if isinstance(slot, FeedEntry) and (slot.id, slot.version) == (record.id, record.version):
                return slot_key if wrote else None
            epoch += 1  # the claimed slot holds something else: the claim is void

    def _claim(self, record: ArticleRecord, epoch: int, pointer: PointerBytes | None, fresh: bool) -> Claim:
        """The epoch's winning claim, made now (naming this writer's next slot) if there is none.

        Epoch 0 lives in the version's id pointer (``ids/...``, field ``feed``) when the writer
        hands the pointer over; a ``feed/claims/.../000000.json`` of an older archive, or of a
        pointer written without a claim, still counts first."""
        claim_key = keys.feed_claim_key(record.id, record.version, epoch)
        found = None if fresh else _read_claim(self.store, claim_key)
        if found is None and epoch == 0 and not fresh:
            found = pointer_claim(self.store, record.id, record.version)
        if found is not None:
            return found
        mine = Claim(log=self._open(), seq=self._next)
        if epoch == 0 and pointer is not None:
            if self.store.put_if_absent(keys.id_index_key(record.id, record.version), pointer(mine)):
                return mine
            found = pointer_claim(self.store, record.id, record.version)
            if found is not None:
                return found  # another writer's pointer won with its claim
        if self.store.put_if_absent(claim_key, to_json_bytes(mine)):
            return mine
        found = _read_claim(self.store, claim_key)
        assert found is not None
        return found

    def close(self) -> None:
        """End the log, so followers stop polling it (idempotent)."""
        with self._lock:
            if self._log is not None:
                end_log(self.store, self._log, "closed", self._next)
                self._log = None


def _read_claim(store: ObjectStore, claim_key: str) -> Claim | None:
    try:
        return Claim.model_validate_json(store.get(claim_key))
    except NotFound:
        return None


def pointer_claim(store: ObjectStore, id_: str, version: str) -> Claim | None:
    """The epoch-0 claim carried by a version's id pointer (None: no pointer, or none in it)."""
    try:
        body = json.loads(store.get(keys.id_index_key(id_, version)))
    except NotFound:
        return None
    return Claim.model_validate(body["feed"]) if body.get("feed") else None


def has_entry(store: ObjectStore, id_: str, version: str) -> bool:
    """True when the version's entry is in the feed (its latest claim's slot holds it)."""
    claims = sorted(store.list(keys.feed_claims_prefix(id_, version)))
    claim = Claim.model_validate_json(store.get(claims[-1])) if claims else pointer_claim(store, id_, version)
    if claim is None:
        return False
    try:
        slot = _parse_slot(store.get(keys.feed_slot_key(claim.log, claim.seq)))
    except NotFound:
        return False
    return isinstance(slot, FeedEntry) and (slot.id, slot.version) == (id_, version)


def _entry(record: ArticleRecord, key: str, moment: datetime) -> FeedEntry:
    return FeedEntry(
        id=record.id,
        version=record.version,
        key=key,
        site=record.site,
        published=record.published.date,
        content_hash=record.content_hash,
        crawled_at=record.crawled_at,
        run_id=record.run_id,
        appended_at=keys.feed_stamp(moment),
    )


# --------------------------------------------------------------------------- maintenance


def _log_time(log: str) -> datetime:
    return datetime.strptime(log.split("-", 1)[0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def seal_idle(
    store: ObjectStore, idle: timedelta = DEFAULT_IDLE, days: int = 3, now: datetime | None = None
) -> list[str]:
    """End the logs opened in the last ``days`` UTC days that saw no entry for ``idle``.

    Those are logs of writers that died or never closed; followers stop polling them.
    Returns the sealed logs. Safe even if such a writer is alive (it opens a new log).
    """
    now = now or utc_now()
    sealed = []
    for back in range(days, -1, -1):
        day = (now - timedelta(days=back)).date().isoformat()
        for log_prefix in store.list_dirs(keys.feed_logs_day_prefix(day)):
            log = log_prefix.rstrip("/").rsplit("/", 1)[-1]
            slots = sorted(store.list(log_prefix))
            if slots:
                last = _parse_slot(store.get(slots[-1]))
                if isinstance(last, LogEnd):
                    continue
                active = datetime.strptime(last.appended_at, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)
            else:
                active = _log_time(log)
            if now - active >= idle:
                end_log(store, log, "sealed", len(slots))
                sealed.append(log)
    return sealed


def entries_appended_since(store: ObjectStore, since: datetime) -> Iterator[FeedEntry]:
    """Entries appended at or after ``since`` (maintenance: lists the feed's recent logs)."""
    first = (since - timedelta(days=1)).date()  # a log opened the day before may still append
    day = first
    today = utc_now().date()
    slot_keys: list[str] = []
    while day <= today:
        for log_prefix in store.list_dirs(keys.feed_logs_day_prefix(day.isoformat())):
            slot_keys += [k for k in store.list(log_prefix) if k.endswith(".json")]
        day += timedelta(days=1)
    stamp = keys.feed_stamp(since)
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        for slot in pool.map(lambda k: _parse_slot(store.get(k)), slot_keys):
            if isinstance(slot, FeedEntry) and slot.appended_at >= stamp:
                yield slot


# --------------------------------------------------------------------------- following


class Cursor(BaseModel):
    """Where a follower is: the next registry slot and the next slot of each open log."""

    registry: int = 0
    logs: dict[str, int] = Field(default_factory=dict)  # in registry order

    def encode(self) -> str:
        body = {"v": CURSOR_VERSION, "r": self.registry, "l": [[log, n] for log, n in self.logs.items()]}
        raw = json.dumps(body, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """Parse a cursor string; ValueError if it is not one of ours."""
        text = text.strip()
        try:
            body = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            if not isinstance(body, dict) or body.get("v") != CURSOR_VERSION:
                raise ValueError("unknown cursor version")
            logs = {str(log): int(n) for log, n in body["l"]}
            return cls(registry=int(body["r"]), logs=logs)
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise ValueError(f"not a Dateline feed cursor: {exc}") from exc


class Follow:
    """One pass over the feed after a cursor: iterate the entries; ``cursor`` resumes after them.

    Entries of one log come in that writer's order; logs in the order they were opened.
    Loads one slot at a time, so following a large archive from the start streams.
    """

    def __init__(self, store: ObjectStore, since: str | Cursor | None = None) -> None:
        self.store = store
        start = Cursor.decode(since) if isinstance(since, str) else since or Cursor()
        self._at = start.model_copy(deep=True)

    @property
    def cursor(self) -> str:
        """Resumes right after the last entry yielded so far."""
        return self._at.encode()

    def __iter__(self) -> Iterator[FeedEntry]:
        at = self._at
        while (opened := self._get(keys.feed_registry_key(at.registry))) is not None:
            at.logs.setdefault(LogOpened.model_validate_json(opened).log, 0)
            at.registry += 1
        for log in list(at.logs):
            while (data := self._get(keys.feed_slot_key(log, at.logs[log]))) is not None:
                slot = _parse_slot(data)
                if isinstance(slot, LogEnd):
                    del at.logs[log]
                    break
                at.logs[log] += 1
                yield slot

    def _get(self, key: str) -> bytes | None:
        try:
            return self.store.get(key)
        except NotFound:
            return None


def changes(store: ObjectStore, since: str | None = None) -> tuple[list[FeedEntry], str]:
    """All entries after ``since`` and the cursor to resume from (small archives, tests)."""
    follow = Follow(store, since)
    entries = list(follow)
    return entries, follow.cursor
