"""Reads the archive back: by site and date range, by id, by URL, and run manifests.

Only listing and get are used, so the reader works on any store and on a
bucket that is being written to: objects are immutable, a listing shows
each object either completely or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

from archive import feed, keys, similarity, simindex
from archive.aliases import AliasRecord, aliases_of
from archive.records import ArticleRecord, RawPointer, RunManifest
from archive.sources import read_range
from archive.store import NotFound, ObjectStore
from archive.warc import WarcResponse, find_response
from archive.writer import IdIndexEntry, UrlMarker, key_stem

ARTICLES_ROOT = "articles/"
URLS_ROOT = "urls/"


def _instant(iso: str) -> datetime:
    """crawled_at as an aware datetime, so '...Z' and '...+00:00' compare correctly."""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _article_id_of(key: str) -> str:
    """'articles/.../<id>-<version>.json' -> '<id>'."""
    return key_stem(key).rsplit("-", 1)[0]


def _in_range(partition_date: str, since: date | None, until: date | None) -> bool:
    """String comparison works because partitions are ISO dates; undated only without bounds."""
    if since is None and until is None:
        return True
    if partition_date == keys.UNDATED:
        return False
    if since is not None and partition_date < since.isoformat():
        return False
    return until is None or partition_date <= until.isoformat()


class ArchiveReader:
    """Read-only view of an archive; what `dateline ls/show` and consumers use."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def sites(self) -> list[str]:
        """Sites that have articles or run manifests."""
        found = set()
        for root in (ARTICLES_ROOT, keys.runs_prefix()):
            for prefix in self.store.list_dirs(root):
                site = keys.partition_value(prefix, "site")
                if site:
                    found.add(site)
        return sorted(found)

    def iter_records(
        self,
        sites: list[str] | None = None,
        since: date | None = None,
        until: date | None = None,
        latest_only: bool = True,
    ) -> Iterator[ArticleRecord]:
        """Stream records whose published date is in [since, until], partition by partition.

        With ``latest_only`` a record is yielded only if it is the newest version
        of its article (newest by crawled_at, looked up in the id index).
        """
        for site in sites if sites is not None else self.sites():
            for partition in self._partitions(site, since, until):
                yield from self._partition_records(partition, latest_only)

    def _partitions(self, site: str, since: date | None, until: date | None) -> list[str]:
        partitions = self.store.list_dirs(keys.articles_prefix(site))
        return [p for p in partitions if _in_range(keys.partition_value(p, "date") or "", since, until)]

    def _partition_records(self, partition: str, latest_only: bool) -> Iterator[ArticleRecord]:
        by_id: dict[str, list[str]] = {}
        for key in self.store.list(partition):  # grouped here: no reliance on server list order
            if key.endswith(".json"):
                by_id.setdefault(_article_id_of(key), []).append(key)
        for id_, group_keys in sorted(by_id.items()):
            if not latest_only:
                yield from (self._load(k) for k in sorted(group_keys))
                continue
            latest = self._latest_key(id_, group_keys)
            if latest in group_keys:
                yield self._load(latest)

    def _latest_key(self, id_: str, fallback_keys: list[str]) -> str:
        """Key of the newest indexed version; unindexed keys only if the index is empty."""
        entries = self.index_entries(id_)
        if entries:
            return entries[-1].key
        records = sorted((self._load(k) for k in fallback_keys), key=_record_order)
        return keys.article_key(records[-1].site, records[-1].published.date, id_, records[-1].version)

    def index_entries(self, id_: str) -> list[IdIndexEntry]:
        """Id-index pointers of an article, oldest crawl first."""
        entries = [
            IdIndexEntry.model_validate_json(self.store.get(key))
            for key in self.store.list(keys.id_index_prefix(id_))
        ]
        return sorted(entries, key=_entry_order)

    def versions(self, id_: str) -> list[ArticleRecord]:
        """Every stored version of an article, oldest crawl first."""
        return [self._load(entry.key) for entry in self.index_entries(id_)]

    def get(self, id_: str) -> ArticleRecord | None:
        """The latest version of an article, or None."""
        entries = self.index_entries(id_)
        return self._load(entries[-1].key) if entries else None

    def get_by_url(self, url: str) -> ArticleRecord | None:
        """By canonical URL (its hash is the id), else via a URL marker of any site."""
        record = self.get(keys.article_id(url))
        if record is not None:
            return record
        marker_name = f"{keys.url_hash(url)}.json"
        for site_prefix in self.store.list_dirs(URLS_ROOT):
            try:
                marker = UrlMarker.model_validate_json(self.store.get(site_prefix + marker_name))
            except NotFound:
                continue
            return self.get(marker.id)
        return None

    def runs(self, site: str | None = None) -> Iterator[RunManifest]:
        """Run manifests, by site and then start time (their keys sort that way)."""
        for key in self.store.list(keys.runs_prefix(site)):
            if key.endswith(".json"):
                yield RunManifest.model_validate_json(self.store.get(key))

    def profile_keys(self, site: str) -> list[str]:
        """Keys of a site's profile versions, oldest first (versions start with a UTC timestamp)."""
        return sorted(k for k in self.store.list(keys.profiles_prefix(site)) if k.endswith(".json"))

    def latest_profile(self, site: str) -> bytes | None:
        """The newest stored profile of a site as JSON bytes, or None when it has none yet."""
        found = self.profile_keys(site)
        return self.store.get(found[-1]) if found else None

    def raw_response(self, pointer: RawPointer) -> WarcResponse:
        """The HTTP response a record's ``raw`` pointer names: in this archive, or (imported pages)
        one record of an outside WARC file, read with a ranged GET."""
        if pointer.offset is not None and pointer.length is not None:
            return find_response(read_range(pointer.key, pointer.offset, pointer.length), pointer.record_id)
        return find_response(self.store.get(pointer.key), pointer.record_id)

    def _load(self, key: str) -> ArticleRecord:
        return ArticleRecord.model_validate_json(self.store.get(key))

    # ------------------------------------------------------------------ for consumers

    def record(self, key: str) -> ArticleRecord:
        """The record stored under ``key`` (as named by feed entries and id pointers)."""
        return self._load(key)

    def follow(self, since: str | None = None) -> feed.Follow:
        """Feed entries stored after the cursor ``since`` (all without); see archive/feed.py.

        Iterate the result (entries name their records: ``record(entry.key)``), then read its
        ``cursor`` to resume from next time.
        """
        return feed.Follow(self.store, since)

    def aliases(self, id_: str) -> list[AliasRecord]:
        """Other URLs whose (same) text is stored as this article."""
        return aliases_of(self.store, id_)

    def signature(self, id_: str, version: str | None = None) -> similarity.Signature | None:
        """Similarity signature of a version (latest by default); None until a batch indexed it."""
        version = version or next((e.version for e in reversed(self.index_entries(id_))), None)
        return simindex.signature(self.store, id_, version) if version else None

    def cluster(self, id_: str, version: str | None = None) -> str | None:
        """Near-duplicate cluster id of a version (latest by default)."""
        sig = self.signature(id_, version)
        return sig.cluster if sig else None

    def story_cluster(self, id_: str, version: str | None = None) -> str | None:
        """Same-story cluster id (other outlets' tellings share it) of a version (latest by default)."""
        sig = self.signature(id_, version)
        return (sig.story_cluster or sig.id) if sig else None

    def similar(
        self, id_: str, threshold: float = similarity.STORY_THRESHOLD, limit: int = 50
    ) -> list[similarity.Match]:
        """Other articles telling the same story or copying the text, best first.

        An article not indexed yet (stored since the last indexing batch) is signed on the fly;
        only indexed articles are found.
        """
        entries = self.index_entries(id_)
        if not entries:
            return []
        latest = entries[-1]
        query = simindex.signature(self.store, id_, latest.version)
        if query is None:
            query = similarity.signature_for(self._load(latest.key), latest.key)
        return simindex.find_similar(self.store, query, threshold=threshold, limit=limit)


def _record_order(record: ArticleRecord) -> tuple[datetime, datetime, str]:
    """Newest version last: fetch time, then re-extraction time, then version (a tie-break)."""
    crawled = _instant(record.crawled_at)
    return crawled, _instant(record.extracted_at) if record.extracted_at else crawled, record.version


def _entry_order(entry: IdIndexEntry) -> tuple[datetime, datetime, str]:
    crawled = _instant(entry.crawled_at)
    return crawled, _instant(entry.extracted_at) if entry.extracted_at else crawled, entry.version
