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
