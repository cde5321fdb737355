"""The change feed: what was stored, in write order, so consumers follow without listing articles/.

Writers: every stored article version gets one entry ``feed/date=D/hour=H/<stamp>-<id>-<version>.json``
whose stamp is the writer's clock just before the put. Before the entry, a numbered *mark*
(``feedmarks/<id>/<version>/<n>.json``) names the entry key. A rerun that finds a mark whose
entry never landed (the writer died in between) writes a new mark and a fresh entry, so an
entry is never written late under an old stamp; the one way to get two entries for one version
is two writers overlapping in flight, and those two are stamped close together.

Followers: an entry can become visible a little after entries stamped later (a slow put, a
writer on another machine). A cursor therefore keeps its time *and* the versions it has
already delivered from the last ``2 * window``; the next call lists from ``time - window``
and skips what it already delivered. Nothing is missed as long as an entry becomes visible
within ``window`` of its stamp (clock skew included), and nothing is delivered twice because
duplicates of one version are deduplicated by (id, version) over that span.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from archive import keys
from archive.records import SCHEMA_VERSION, ArticleRecord
from archive.store import NotFound, ObjectStore

DEFAULT_WINDOW = timedelta(minutes=15)  # > S3 put timeouts with retries (~6 min) + clock skew
CURSOR_VERSION = 1
_SEEN = struct.Struct(">I8s")  # epoch seconds of the entry's stamp, digest of (id, version)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class FeedEntry(BaseModel):
    """One stored article version, as the feed announces it."""

    schema_version: int = SCHEMA_VERSION
    stamp: str  # when the entry was written (writer clock, UTC), as in its key
    id: str
    version: str
    key: str  # the article record
    site: str
    published: str | None
    content_hash: str
    crawled_at: str
    run_id: str


class FeedMark(BaseModel):
    """Announces the key of a version's feed entry before the entry is written."""

    entry: str


# --------------------------------------------------------------------------- writing


def _landed(store: ObjectStore, mark_key: str) -> bool:
    try:
        mark = FeedMark.model_validate_json(store.get(mark_key))
    except NotFound:
        return False
    return store.exists(mark.entry)


def has_entry(store: ObjectStore, id_: str, version: str) -> bool:
    """True when a feed entry of this version is visible (newest mark checked first)."""
    marks = sorted(store.list(keys.feed_marks_prefix(id_, version)), reverse=True)
    return any(_landed(store, mark) for mark in marks)


def _seq(mark_key: str) -> int:
    return int(mark_key.rsplit("/", 1)[-1].removesuffix(".json"))


def append(store: ObjectStore, record: ArticleRecord, key: str, clock: Clock = utc_now) -> str | None:
    """Make sure the version ``record`` (stored under ``key``) has a feed entry.

    Returns the entry key written, or None when one was already there.
    """
    marks = sorted(store.list(keys.feed_marks_prefix(record.id, record.version)))
    if any(_landed(store, mark) for mark in reversed(marks)):
        return None
    seq = _seq(marks[-1]) + 1 if marks else 0
    while True:
        entry_key = keys.feed_entry_key(clock(), record.id, record.version)
        mark = FeedMark(entry=entry_key).model_dump_json().encode("utf-8")
        if store.put_if_absent(keys.feed_mark_key(record.id, record.version, seq), mark):
            break
        if _landed(store, keys.feed_mark_key(record.id, record.version, seq)):
            return None  # a concurrent writer finished first
        seq += 1  # its entry may still be in flight: announce ours after it
    store.put_if_absent(entry_key, _entry(record, key, entry_key).model_dump_json().encode("utf-8"))
    return entry_key


def _entry(record: ArticleRecord, key: str, entry_key: str) -> FeedEntry:
    return FeedEntry(
        stamp=entry_key.rsplit("/", 1)[-1].split("-", 1)[0],
        id=record.id,
        version=record.version,
        key=key,
        site=record.site,
        published=record.published.date,
        content_hash=record.content_hash,
        crawled_at=record.crawled_at,
        run_id=record.run_id,
    )


def _parse(entry_key: str) -> tuple[str, str, str] | None:
    """'.../<stamp>-<id>-<version>.json' -> (stamp, id, version); None for anything else."""
    name = entry_key.rsplit("/", 1)[-1]
    if not name.endswith(".json"):
        return None
    parts = name.removesuffix(".json").split("-")
    if len(parts) != 3:
        return None
    try:
        keys.parse_feed_stamp(parts[0])
    except ValueError:
        return None
    return parts[0], parts[1], parts[2]


# --------------------------------------------------------------------------- cursor


def _digest(id_: str, version: str) -> bytes:
    return hashlib.blake2b(f"{id_}-{version}".encode(), digest_size=8).digest()


class Cursor:
    """Where a follower is: the time its last call started and what it delivered recently."""

    def __init__(self, at: datetime, seen: dict[bytes, int] | None = None) -> None:
        self.at = at
        self.seen = seen or {}  # digest(id, version) -> epoch seconds of the entry's stamp

    def encode(self) -> str:
        packed = b"".join(_SEEN.pack(sec, dig) for dig, sec in sorted(self.seen.items(), key=lambda i: i[1]))
        body = {
            "v": CURSOR_VERSION,
            "at": keys.feed_stamp(self.at),
            "seen": base64.b64encode(zlib.compress(packed, 9)).decode("ascii"),
        }
        raw = json.dumps(body, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """Parse a cursor string; ValueError if it is not one of ours."""
        try:
            raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
            body = json.loads(raw)
            if body.get("v") != CURSOR_VERSION:
                raise ValueError(f"unsupported cursor version {body.get('v')!r}")
            packed = zlib.decompress(base64.b64decode(body["seen"]))
            seen = {dig: sec for sec, dig in _SEEN.iter_unpack(packed)}
            return cls(keys.parse_feed_stamp(body["at"]), seen)
        except (ValueError, KeyError, TypeError, zlib.error, struct.error) as exc:
            raise ValueError(f"not a Dateline feed cursor: {exc}") from exc


# --------------------------------------------------------------------------- following


class Follow:
    """One pass over the feed after a cursor: iterate the entries, then read ``cursor``.

    Entries come in stamp order and are loaded one at a time, so following from the start of
    a large archive streams; memory holds one hour of entry keys plus the dedup window.
    """

    def __init__(
        self,
        store: ObjectStore,
        since: str | Cursor | None = None,
        *,
        window: timedelta = DEFAULT_WINDOW,
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.window = window
        self._clock = clock
        self._since = Cursor.decode(since) if isinstance(since, str) else since
        self._cursor: str | None = None

    @property
    def cursor(self) -> str:
        """The cursor to resume from; available once iteration has finished."""
        if self._cursor is None:
            raise RuntimeError("iterate the Follow to the end before asking for its cursor")
        return self._cursor

    def __iter__(self) -> Iterator[FeedEntry]:
        started = self._clock()
        lower = self._since.at - self.window if self._since else None
        seen = dict(self._since.seen) if self._since else {}
        for hour in self._hours(lower):
            listed = sorted(p for p in map(_parse, self.store.list(hour)) if p is not None)
            for stamp, id_, version in listed:
                moment = keys.parse_feed_stamp(stamp)
                digest = _digest(id_, version)
                if digest in seen or (lower is not None and moment < lower):
                    seen.setdefault(digest, int(moment.timestamp()))
                    continue
                seen[digest] = int(moment.timestamp())
                yield self._load(hour, stamp, id_, version)
            if lower is None:  # full replay: keep only what can still have a duplicate
                seen = _recent(seen, _hour_start(hour) - 2 * self.window)
        self._cursor = Cursor(started, _recent(seen, started - 2 * self.window)).encode()

    def _load(self, hour: str, stamp: str, id_: str, version: str) -> FeedEntry:
        return FeedEntry.model_validate_json(self.store.get(f"{hour}{stamp}-{id_}-{version}.json"))

    def _hours(self, lower: datetime | None) -> Iterator[str]:
        """Hour partitions at or after ``lower`` (all of them without), oldest first."""
        low_day = lower.astimezone(UTC).strftime("%Y-%m-%d") if lower else ""
        low_hour = lower.astimezone(UTC).strftime("%H") if lower else ""
        for day_prefix in sorted(self.store.list_dirs(keys.FEED_ROOT)):
            day = keys.partition_value(day_prefix, "date") or ""
            if day < low_day:
                continue
            for hour_prefix in sorted(self.store.list_dirs(day_prefix)):
                if day == low_day and (keys.partition_value(hour_prefix, "hour") or "") < low_hour:
                    continue
                yield hour_prefix


def _hour_start(hour_prefix: str) -> datetime:
    day = keys.partition_value(hour_prefix, "date") or "1970-01-01"
    hour = keys.partition_value(hour_prefix, "hour") or "00"
    return datetime.fromisoformat(f"{day}T{hour}:00:00+00:00")


def _recent(seen: dict[bytes, int], since: datetime) -> dict[bytes, int]:
    floor = int(since.timestamp())
    return {digest: sec for digest, sec in seen.items() if sec >= floor}


def changes(
    store: ObjectStore,
    since: str | None = None,
    *,
    window: timedelta = DEFAULT_WINDOW,
    clock: Clock = utc_now,
) -> tuple[list[FeedEntry], str]:
    """All entries after ``since`` and the cursor to resume from (small batches; see Follow)."""
    follow = Follow(store, since, window=window, clock=clock)
    entries = list(follow)
    return entries, follow.cursor
