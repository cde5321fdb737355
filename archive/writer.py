"""Writes raw pages, article records, URL markers and run manifests.

Every write is put-if-absent under a deterministic key, in the order
raw WARC -> article record -> text-hash claim -> id-index pointer (carrying the
change-feed claim) -> feed entry -> URL markers, so a crash at any point
leaves nothing half-written and a rerun completes the state without
duplicates: storing a version that is already there ("unchanged") still
completes whatever consumer data is missing.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel

from archive import aliases, feed, keys
from archive.feed import Claim
from archive.records import ArticleRecord, RawPointer, RunManifest, to_json_bytes
from archive.store import ObjectStore
from archive.warc import Fetch, Headers, build_warc_batch, read_warc_responses

# "alias": the same text of the same site and day is already stored under another id; the
# record was not stored, its URLs now point at that article (see archive/aliases.py).
ArticleStatus = Literal["new", "new_version", "unchanged", "alias"]

WARC_CONTENT_TYPE = "application/warc"
LOCK_STRIPES = 64  # stores of one article (or one text) in this process take turns; others do not wait


class IdIndexEntry(BaseModel):
    """The pointer under ``ids/``: finds a version's record without scanning partitions."""

    key: str
    url: str
    site: str
    version: str
    content_hash: str
    crawled_at: str
    published: str | None  # the record's published.date (its date partition)
    extracted_at: str | None = None  # the record's extracted_at (re-extracted versions only)
    feed: Claim | None = None  # the feed slot of this version's entry (its epoch-0 claim)


class UrlMarker(BaseModel):
    """The marker under ``urls/``: this URL has been archived, as article ``id``."""

    url: str
    id: str


def key_stem(key: str) -> str:
    """'urls/site=a/<hash>.json' -> '<hash>'; 'ids/ab/<id>/<version>.json' -> '<version>'."""
    return key.rsplit("/", 1)[-1].removesuffix(".json")


class ArchiveWriter:
    """The only code that writes to the archive (see docs/archive.md for the layout)."""

    def __init__(
        self,
        store: ObjectStore,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.feed = feed.FeedWriter(store, clock or feed.utc_now)  # this writer's feed log
        self._stripes = [threading.Lock() for _ in range(LOCK_STRIPES)]

    def close(self) -> None:
        """End this writer's feed log, so followers stop polling it (idle logs are sealed anyway)."""
        self.feed.close()

    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def store_raw(
        self,
        site: str,
        url: str,
        status: int,
        headers: Headers,
        body: bytes,
        fetched_at: datetime,
        request_headers: Headers | None = None,
    ) -> RawPointer:
        """Store one fetch as a gzipped WARC; the pointer names the response record."""
        return self.store_raws(site, [Fetch(url, status, headers, body, fetched_at, request_headers)])[0]

    def store_raws(self, site: str, fetches: Sequence[Fetch]) -> list[RawPointer]:
        """Store fetches of one site and one UTC crawl day as one gzipped WARC object (a crawl
        batches the pages of a second or two: every object is a write); a pointer per fetch.

        The key is derived from the contents (``keys.raw_key`` of the first URL and the hash of
        the body, or of every URL and body hash for a batch), so a batch written again is stored
        once and its pointers name the records that exist.
        """
        dates = {_utc(f.fetched_at).date().isoformat() for f in fetches}
        if len(dates) != 1:
            raise ValueError(f"one raw object holds fetches of one UTC day, not {sorted(dates)}")
        if len(fetches) == 1:
            digest = hashlib.sha256(fetches[0].body).hexdigest()
        else:
            digest = hashlib.sha256(
                b"".join(f.url.encode() + b"\n" + hashlib.sha256(f.body).digest() for f in fetches)
            ).hexdigest()
        key = keys.raw_key(site, dates.pop(), fetches[0].url, digest)
        data, record_ids = build_warc_batch(fetches)
        if not self.store.put_if_absent(key, data, WARC_CONTENT_TYPE):
            record_ids = self._stored_record_ids(key, fetches)  # written before (today): keep it
        return [RawPointer(key=key, record_id=record_id) for record_id in record_ids]

    def _stored_record_ids(self, key: str, fetches: Sequence[Fetch]) -> list[str]:
        """The response ids of an existing raw object. Its key hashes every URL and body in
        order, so its responses are these fetches, in this order."""
        stored = list(read_warc_responses(self.store.get(key)))
        if [r.url for r in stored] != [f.url for f in fetches]:
            raise ValueError(f"{key} does not hold the responses of these fetches")
        return [r.record_id for r in stored]

    def store_article(self, record: ArticleRecord) -> ArticleStatus:
        """Store one version of an article; report whether it was new, a new version or known.

        The id index is checked first, so a version is never stored twice even if
        its date partition changed; the pointer is written after the record (with the
        feed claim, see ``_complete``), so a pointer never names a missing record.
        """
        with self._turn(record):
            return self._store_article(record)

    @contextmanager
    def _turn(self, record: ArticleRecord) -> Iterator[None]:
        """Serialise the stores of one id and of one text (a crawl stores on several threads):
        two URLs with one canonical fetched at once would both read "no versions yet" and both
        report "new", and two copies of one text would both miss the other's hash claim."""
        stripes = sorted(
            {hash(record.id) % LOCK_STRIPES, hash((record.site, record.content_hash)) % LOCK_STRIPES}
        )
        with ExitStack() as held:
            for n in stripes:  # always in ascending order: no deadlock between two stores
                held.enter_context(self._stripes[n])
            yield

    def _store_article(self, record: ArticleRecord) -> ArticleStatus:
        known = self.versions_of(record.id)
        if record.version in known:
            self._complete_stored(record.id, record.version)
            return "unchanged"
        duplicate = None if known else aliases.find_duplicate(self.store, record)
        if duplicate is not None:
            aliases.store_alias(self.store, record, duplicate)
            self.mark_urls(record.site, [record.canonical_url, record.url, *record.aliases], duplicate.id)
            return "alias"
        key = keys.article_key(record.site, record.published.date, record.id, record.version)
        if not self.store.put_if_absent(key, to_json_bytes(record)):
            self._complete(ArticleRecord.model_validate_json(self.store.get(key)), key)
            return "unchanged"  # a crash left the record without its pointer; now complete
        self._complete(record, key, fresh=True)
        return "new_version" if known else "new"

    def _complete_stored(self, id_: str, version: str) -> None:
        """Finish the consumer data of a stored version (cheap when the feed entry exists)."""
        if feed.has_entry(self.store, id_, version):
            return  # the feed entry is written last, so everything before it is there
        pointer = IdIndexEntry.model_validate_json(self.store.get(keys.id_index_key(id_, version)))
        self._complete(ArticleRecord.model_validate_json(self.store.get(pointer.key)), pointer.key)

    def _complete(self, record: ArticleRecord, key: str, *, fresh: bool = False) -> None:
        """What follows the record, in order: hash claim, id pointer (carrying the feed claim),
        feed entry. Similarity is indexed in batch from the feed (archive/simindex.py)."""
        aliases.claim(self.store, record, key)
        pointer = lambda claim: to_json_bytes(_entry(key, record, claim))  # noqa: E731
        self.feed.append(record, key, pointer, fresh=fresh)

    def versions_of(self, id_: str) -> set[str]:
        """Versions of an article listed in the id index."""
        return {key_stem(key) for key in self.store.list(keys.id_index_prefix(id_))}

    def mark_urls(self, site: str, urls: Iterable[str], article_id: str) -> None:
        """Record that these URLs are archived, so incremental crawls skip them."""
        for url in dict.fromkeys(urls):
            marker = UrlMarker(url=url, id=article_id)
            self.store.put_if_absent(keys.url_marker_key(site, url), to_json_bytes(marker))

    def archived_url_hashes(self, site: str) -> set[str]:
        """url_hash of every marked URL of a site: one listing instead of a lookup per URL."""
        return {key_stem(key) for key in self.store.list(keys.url_markers_prefix(site))}

    def is_archived(self, site: str, url: str) -> bool:
        return self.store.exists(keys.url_marker_key(site, url))

    def write_profile(self, site: str, version: str, data: bytes) -> str:
        """Store a new version of a site's profile (JSON bytes; see extraction/profile.py) and
        return its key. Put-if-absent: an equal version written twice is stored once."""
        key = keys.profile_key(site, version)
        self.store.put_if_absent(key, data)
        return key

    def mark_imported(self, key: str, data: bytes) -> None:
        """Record that a WARC file was imported to its end (``keys.import_marker_key``)."""
        self.store.put_if_absent(key, data)

    def write_manifest(self, manifest: RunManifest) -> str:
        """Write the run manifest (last step of a run) and return its key."""
        stamp = keys.compact_timestamp(manifest.started_at)
        key = keys.run_manifest_key(manifest.site, stamp, manifest.run_id)
        self.store.put_if_absent(key, to_json_bytes(manifest))
        return key


def _utc(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _entry(key: str, record: ArticleRecord, claim: Claim | None = None) -> IdIndexEntry:
    return IdIndexEntry(
        key=key,
        url=record.url,
        site=record.site,
        version=record.version,
        content_hash=record.content_hash,
        crawled_at=record.crawled_at,
        published=record.published.date,
        extracted_at=record.extracted_at,
        feed=claim,
    )
