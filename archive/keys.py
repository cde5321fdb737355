"""Object key layout of the archive (documented in docs/archive.md).

Keys are partitioned Hive-style (``site=...``/``date=...``) so a consumer lists one
site's day with one prefix and DuckDB/Spark read the partitions as columns.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

UNDATED = "unknown"


def article_id(canonical_url: str) -> str:
    """Stable id of an article: a hash of its canonical URL."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:20]


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:24]


def article_key(site: str, date: str | None, id_: str, version: str) -> str:
    return f"articles/site={site}/date={date or UNDATED}/{id_}-{version}.json"


def articles_prefix(site: str, date: str | None = None) -> str:
    if date is None:
        return f"articles/site={site}/"
    return f"articles/site={site}/date={date}/"


def id_index_key(id_: str, version: str) -> str:
    """One pointer object per version of an article, so `get by id` needs no scan."""
    return f"ids/{id_[:2]}/{id_}/{version}.json"


def id_index_prefix(id_: str) -> str:
    return f"ids/{id_[:2]}/{id_}/"


def url_marker_key(site: str, url: str) -> str:
    return f"urls/site={site}/{url_hash(url)}.json"


def url_markers_prefix(site: str) -> str:
    return f"urls/site={site}/"


def raw_key(site: str, crawl_date: str, url: str, body_hash: str) -> str:
    return f"raw/site={site}/date={crawl_date}/{url_hash(url)}-{body_hash[:12]}.warc.gz"


def run_manifest_key(site: str, started_at_compact: str, run_id: str) -> str:
    return f"runs/site={site}/{started_at_compact}-{run_id}.json"


def runs_prefix(site: str | None = None) -> str:
    return "runs/" if site is None else f"runs/site={site}/"


def profile_key(site: str, version: str) -> str:
    """One immutable version of a site's boilerplate profile; versions sort by time."""
    return f"profiles/site={site}/{version}.json"


def profiles_prefix(site: str) -> str:
    return f"profiles/site={site}/"


def compact_timestamp(iso: str) -> str:
    """'2026-11-23T10:51:00+01:00' -> '20261123T095100Z': UTC, so manifest keys sort by time."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def partition_value(prefix: str, name: str) -> str | None:
    """Value of a Hive partition in a key or prefix: ('articles/site=a/date=x/', 'date') -> 'x'."""
    for part in prefix.split("/"):
        if part.startswith(f"{name}="):
            return part[len(name) + 1 :]
    return None


# --------------------------------------------------------------------------- consumers
# Everything below is derived data for consumers (docs/archive.md, "Consumers"): written
# after the article record it describes, put-if-absent like everything else.

FEED_ROOT = "feed/"
PARQUET_ROOT = "articles-parquet/"


SEQ_DIGITS = 12  # zero-padded sequence numbers: keys sort in sequence order


def feed_stamp(moment: datetime) -> str:
    """'20261123T105107.123456Z': when a feed log was opened or an entry appended (UTC)."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")


def feed_registry_key(seq: int) -> str:
    """Slot ``seq`` of the log registry: a dense sequence naming every feed log ever opened."""
    return f"{FEED_ROOT}registry/{seq:0{SEQ_DIGITS}d}.json"


def feed_log_prefix(log: str) -> str:
    """A feed log's slots; the log id starts with its opening stamp, so logs group by UTC day."""
    return f"{FEED_ROOT}logs/date={log[:4]}-{log[4:6]}-{log[6:8]}/{log}/"


def feed_logs_day_prefix(day: str) -> str:
    return f"{FEED_ROOT}logs/date={day}/"


def feed_slot_key(log: str, seq: int) -> str:
    """Slot ``seq`` of a log: one entry (or the log's end) per slot, dense from 0."""
    return f"{feed_log_prefix(log)}{seq:0{SEQ_DIGITS}d}.json"


def feed_claim_key(id_: str, version: str, epoch: int) -> str:
    """Which log slot holds this version's feed entry (epoch > 0 only after a slot was sealed)."""
    return f"{feed_claims_prefix(id_, version)}{epoch:06d}.json"


def feed_claims_prefix(id_: str, version: str) -> str:
    return f"{FEED_ROOT}claims/{id_[:2]}/{id_}/{version}/"


def hash_claim_key(site: str, content_hash: str, published: str | None) -> str:
    """First article of a site stored with this text and publication date (exact duplicates)."""
    return f"hashes/site={site}/{content_hash[:2]}/{content_hash}/{published or UNDATED}.json"


def alias_key(id_: str, alias_id: str) -> str:
    """Another URL (would-be id ``alias_id``) whose text is stored as article ``id_``."""
    return f"{aliases_prefix(id_)}{alias_id}.json"


def aliases_prefix(id_: str) -> str:
    return f"aliases/{id_[:2]}/{id_}/"


def sim_segment_key(seq: int) -> str:
    """Segment ``seq`` of the similarity index: signatures and LSH buckets of one indexing batch."""
    return f"sims/segments/{seq:0{SEQ_DIGITS}d}.parquet"


def parquet_prefix(site: str, date: str | None = None) -> str:
    if date is None:
        return f"{PARQUET_ROOT}site={site}/"
    return f"{PARQUET_ROOT}site={site}/date={date}/"


def parquet_part_key(site: str, date: str, digest: str) -> str:
    """A Parquet part of one site-day; ``digest`` hashes the record keys it holds."""
    return f"{parquet_prefix(site, date)}part-{digest[:20]}.parquet"


def import_marker_key(source_uri: str, selection: str) -> str:
    """A WARC file imported to its end for one selection (sites, domains, dates): not read again."""
    return f"imports/warc/{url_hash(source_uri)}/{selection}.json"
