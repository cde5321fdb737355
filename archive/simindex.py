"""The similarity index: Parquet segments written once per indexing batch, read with DuckDB.

Why this shape: per-version index objects (a signature plus 41 empty LSH bucket markers) made
similarity the bulk of a crawl's writes. Signatures are derived from the records alone, so they
are computed in batch, off the crawl path: ``update`` follows the change feed from the cursor
stored in the last segment, signs the new versions, assigns their cluster ids (against the
index and the batch so far, in feed order: incremental single-link clustering as before) and
writes ONE segment ``sims/segments/<n>.parquet`` (a dense put-if-absent sequence, like the feed
registry). A segment holds one row per version: the ``similarity.Signature`` fields plus its
bucket names; the feed cursor it indexed up to is in the Parquet key-value metadata.

Lookups are one DuckDB query over the segments (unnest the bucket lists, join the query's
buckets): no listing of buckets, one file per batch. Segments are immutable, so on S3 they are
downloaded once into a local cache (``DATELINE_CACHE``, default ``~/.cache/dateline``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from archive import feed, keys
from archive.records import ArticleRecord
from archive.similarity import (
    STORY_THRESHOLD,
    Match,
    Signature,
    bucket_cap,
    buckets,
    near_cluster,
    query_buckets,
    rank,
    signature_for,
)
from archive.store import ObjectStore

CURSOR_KEY = b"dateline_feed_cursor"
BATCH = 5000  # versions per segment when catching up on a large archive
PARALLEL = 10
SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("version", pa.string()),
        ("site", pa.string()),
        ("key", pa.string()),
        ("title", pa.string()),
        ("published", pa.string()),
        ("week", pa.string()),
        ("near", pa.string()),
        ("story", pa.string()),  # JSON object: feature -> count
        ("cluster", pa.string()),
        ("story_cluster", pa.string()),
        ("buckets", pa.list_(pa.string())),
    ]
)
Member = tuple[str, str]  # (id, version)


# --------------------------------------------------------------------------- segment files


def segment_count(store: ObjectStore) -> int:
    return feed.first_free(store, keys.sim_segment_key)


def _cache_dir(store: ObjectStore) -> Path:
    root = Path(os.environ.get("DATELINE_CACHE") or Path.home() / ".cache" / "dateline")
    uri = str(getattr(store, "uri", repr(store)))
    return root / "sims" / hashlib.sha256(uri.encode()).hexdigest()[:16]


def segment_files(store: ObjectStore, count: int | None = None) -> list[str]:
    """Local paths of segments 0..count-1: the archive's own files for a local store, else a
    cache of downloads (segments never change, so a cached copy is valid forever)."""
    count = segment_count(store) if count is None else count
    root = getattr(store, "root", None)
    if isinstance(root, Path):
        return [str(root / keys.sim_segment_key(n)) for n in range(count)]
    cache = _cache_dir(store)
    cache.mkdir(parents=True, exist_ok=True)
    paths = [cache / f"{n:012d}.parquet" for n in range(count)]

    def fetch(n: int) -> None:
        if not paths[n].exists():
            with tempfile.NamedTemporaryFile(dir=cache, delete=False, suffix=".tmp") as tmp:
                tmp.write(store.get(keys.sim_segment_key(n)))
            os.replace(tmp.name, paths[n])

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        list(pool.map(fetch, range(count)))
    return [str(p) for p in paths]


def _cursor(files: list[str]) -> str | None:
    if not files:
        return None
    meta = pq.read_metadata(files[-1]).metadata or {}
    return meta[CURSOR_KEY].decode() if CURSOR_KEY in meta else None


# --------------------------------------------------------------------------- queries


class Segments:
    """The index as one DuckDB view over its segment files."""

    def __init__(self, files: list[str]) -> None:
        self.con = duckdb.connect()
        if files:
            listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            self.con.execute(f"CREATE VIEW sims AS SELECT * FROM read_parquet([{listed}])")
        else:
            self.con.register("empty_segment", SCHEMA.empty_table())
            self.con.execute("CREATE VIEW sims AS SELECT * FROM empty_segment")

    def members(self, wanted: Iterable[str]) -> dict[str, list[Member]]:
        """Every indexed member of each wanted bucket."""
        names = sorted(set(wanted))
        if not names:
            return {}
        self.con.register("wanted", pa.table({"bucket": names}))
        rows = self.con.execute(
            "SELECT h.bucket, h.id, h.version FROM "
            "(SELECT id, version, unnest(buckets) AS bucket FROM sims) h JOIN wanted USING (bucket)"
        ).fetchall()
        self.con.unregister("wanted")
        found: dict[str, list[Member]] = {}
        for bucket, id_, version in rows:
            found.setdefault(bucket, []).append((id_, version))
        return found

    def signatures(self, members: Iterable[Member] = (), ids: Iterable[str] = ()) -> list[Signature]:
        """Signatures of the given members and of every version of the given ids."""
        wanted = sorted({f"{i}-{v}" for i, v in members})
        id_list = sorted(set(ids))
        if not wanted and not id_list:
            return []
        self.con.register("wanted", pa.table({"member": wanted or [""]}))
        self.con.register("ids", pa.table({"id": id_list or [""]}))
        cursor = self.con.execute(
            "SELECT * EXCLUDE (buckets) FROM sims WHERE id || '-' || version IN (SELECT member FROM wanted) "
            "OR id IN (SELECT id FROM ids) ORDER BY id, version"
        )
        names = [column[0] for column in cursor.description or []]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        self.con.unregister("wanted")
        self.con.unregister("ids")
        return [_signature(row) for row in rows]


def _signature(row: dict[str, Any]) -> Signature:
    return Signature.model_validate({**row, "story": json.loads(row["story"])})


def _candidates(
    sig: Signature, indexed: dict[str, list[Member]], batch: dict[str, list[Member]] | None = None
) -> set[Member]:
    """Members sharing a bucket with ``sig`` (over-full buckets skipped)."""
    found: set[Member] = set()
    for bucket in query_buckets(sig):
        members = indexed.get(bucket, []) + (batch or {}).get(bucket, [])
        if len(members) <= bucket_cap(bucket):
            found.update(members)
    found.discard((sig.id, sig.version))
    return found


def find_similar(
    store: ObjectStore, query: Signature, threshold: float = STORY_THRESHOLD, limit: int = 50
) -> list[Match]:
    """Other articles (best version each) that retell or duplicate the query, best first."""
    index = Segments(segment_files(store))
    candidates = _candidates(query, index.members(query_buckets(query)))
    return rank(query, index.signatures(candidates), threshold, limit)


def signature(store: ObjectStore, id_: str, version: str) -> Signature | None:
    """The indexed signature of one version; None until a batch has indexed it."""
    found = Segments(segment_files(store)).signatures([(id_, version)])
    return found[0] if found else None


# --------------------------------------------------------------------------- batch indexing


def update(store: ObjectStore, batch: int = BATCH) -> int:
    """Index every version the change feed announced since the last segment; returns how many.

    Writes one segment per ``batch`` versions. Safe to rerun and to race: a segment slot is
    put-if-absent, and the loser of a race stops (the winner indexed the same versions)."""
    files = segment_files(store)
    follow = feed.Follow(store, _cursor(files))
    entries = iter(follow)
    done = 0
    while chunk := list(islice(entries, batch)):
        sigs = _sign(store, chunk)
        rows = _cluster(Segments(files), sigs)
        seq = len(files)
        if not store.put_if_absent(keys.sim_segment_key(seq), _segment_bytes(rows, follow.cursor)):
            return done
        files = segment_files(store, seq + 1)
        done += len(rows)
    return done


def _sign(store: ObjectStore, entries: list[feed.FeedEntry]) -> list[Signature]:
    def load(entry: feed.FeedEntry) -> Signature:
        record = ArticleRecord.model_validate_json(store.get(entry.key))
        return signature_for(record, entry.key)

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        return list(pool.map(load, entries))


def _cluster(index: Segments, sigs: list[Signature]) -> list[tuple[Signature, list[str]]]:
    """Cluster ids of a batch, in feed order: against the index and the batch before each."""
    indexed = index.members(b for sig in sigs for b in query_buckets(sig))
    known = {(s.id, s.version): s for s in index.signatures(_all(indexed), ids=[s.id for s in sigs])}
    first_story: dict[str, str] = {}
    for s in sorted(known.values(), key=lambda s: (s.id, s.version)):
        first_story.setdefault(s.id, s.story_cluster or s.id)
    batch: dict[str, list[Member]] = {}
    out = []
    for sig in sigs:
        others = [known[m] for m in sorted(_candidates(sig, indexed, batch)) if m in known]
        sig.cluster = near_cluster(sig, others)
        best = rank(sig, others, limit=1)
        sig.story_cluster = first_story.get(sig.id) or (best[0].story_cluster if best else sig.id)
        first_story.setdefault(sig.id, sig.story_cluster)
        names = buckets(sig)
        for bucket in names:
            batch.setdefault(bucket, []).append((sig.id, sig.version))
        known[(sig.id, sig.version)] = sig
        out.append((sig, names))
    return out


def _all(members: dict[str, list[Member]]) -> Iterator[Member]:
    for found in members.values():
        yield from found


def _segment_bytes(rows: list[tuple[Signature, list[str]]], cursor: str) -> bytes:
    columns: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
    for sig, names in rows:
        data = sig.model_dump()
        for name in SCHEMA.names[:-1]:
            columns[name].append(json.dumps(data[name], sort_keys=True) if name == "story" else data[name])
        columns["buckets"].append(names)
    table = pa.table(columns, schema=SCHEMA.with_metadata({CURSOR_KEY: cursor.encode()}))
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())
