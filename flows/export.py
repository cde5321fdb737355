"""Prefect flow: compact the archive into Parquet beside the JSON (logic in archive/export.py).

Daily (see prefect.yaml) it compacts every site-day that got a version in the last ``days``
UTC days, found through the change feed, so late updates of old days are compacted too.
On demand, ``sites``/``since``/``until`` name the partitions instead (a backfill). Re-running
either is safe: an unchanged partition writes nothing. The daily run also ends idle change-feed
logs (crawl processes that never closed theirs), so followers stop polling them, and writes one
similarity index segment for the versions stored since the last one (archive/simindex.py).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from archive import feed, simindex
from archive.export import Compacted, compact_partition, partitions_in_range, partitions_written_since
from archive.store import open_store
from core.config import DEFAULT_ARCHIVE
from core.times import utcnow


def summary(results: list[Compacted]) -> dict[str, int]:
    """Counts for the log and the CLI: partitions seen, parts written, rows in them."""
    written = [r for r in results if r.written]
    return {
        "partitions": len(results),
        "parts_written": len(written),
        "rows_written": sum(r.rows for r in written),
        "unchanged": len(results) - len(written),
    }


def choose_partitions(
    archive: str, days: int, sites: list[str] | None, since: str | None, until: str | None
) -> list[tuple[str, str]]:
    """Named partitions when a range or sites are given, else those the feed says changed."""
    store = open_store(archive)
    if sites or since or until:
        return partitions_in_range(
            store,
            sites or None,
            date.fromisoformat(since) if since else None,
            date.fromisoformat(until) if until else None,
        )
    return partitions_written_since(store, utcnow() - timedelta(days=days))


@task(name="compact-partition", retries=2, retry_delay_seconds=[10, 60])
def compact_partition_task(archive: str, site: str, day: str) -> Compacted:
    return compact_partition(open_store(archive), site, day)


@task(name="index-similarity", retries=2, retry_delay_seconds=[10, 60])
def index_similarity_task(archive: str) -> int:
    """One similarity index segment for every version announced since the last (batch, off the
    crawl path; see archive/simindex.py)."""
    return simindex.update(open_store(archive))


@task(name="seal-idle-feed-logs", retries=2, retry_delay_seconds=[10, 60])
def seal_idle_task(archive: str) -> list[str]:
    return feed.seal_idle(open_store(archive))


@flow(name="export-parquet")
def export_parquet(
    archive: str = DEFAULT_ARCHIVE,
    days: int = 2,
    sites: list[str] | None = None,
    since: str | None = None,
    until: str | None = None,
) -> dict[str, Any]:
    """Compact site-days into ``articles-parquet/`` (see docs/archive.md, "Parquet")."""
    logger = get_run_logger()
    partitions = choose_partitions(archive, days, sites, since, until)
    results = [compact_partition_task(archive, site, day) for site, day in partitions]
    counts = summary(results)
    counts["similarity_indexed"] = index_similarity_task(archive)
    if not (sites or since or until):
        counts["feed_logs_sealed"] = len(seal_idle_task(archive))
    logger.info(
        "%d partition(s): %d part(s) written (%d rows), %d unchanged",
        counts["partitions"], counts["parts_written"], counts["rows_written"], counts["unchanged"],
    )  # fmt: skip
    rows = [
        {"site": r.site, "date": r.date, "rows": r.rows, "written": r.written, "part": r.key} for r in results
    ]
    if rows:
        create_table_artifact(key="export-parquet", table=rows, description="Parquet parts of this run")
    else:  # every run leaves its artifact: an operator sees "nothing to do", not "did it run?"
        window = (
            f"site-days {since or '…'} to {until or '…'}" if since or until else f"the last {days} day(s)"
        )
        chosen = f" of {', '.join(sites)}" if sites else ""
        create_markdown_artifact(
            key="export-parquet",
            markdown=f"Nothing to compact: no site-day{chosen} got a version in {window}. "
            f"Feed logs sealed: {counts.get('feed_logs_sealed', 0)}.",
            description="Parquet parts of this run",
        )
    return counts
