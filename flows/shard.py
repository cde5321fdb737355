"""The `crawl-shard` flow: the sites of one shard of a `crawl-all` run, as its own flow run on
the work pool (``flows.pool`` starts it, waits for it and reads what it left).

It ends Completed whatever its sites came to: the parent judges the whole run (one final
state, one alert); the message carries this shard's verdict for the dashboard. What the parent
reads is the ``crawl-shard-results`` table (one row per site: counts, manifest key, error or
skip reason); the manifests themselves are in the archive.
"""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.artifacts import create_table_artifact
from prefect.states import Completed, State

from core.config import DEFAULT_ARCHIVE, load_sites
from flows.crawl import crawl_sites
from flows.pool import RESULTS_KEY, result_row
from flows.progress import RunProgress
from flows.report import Thresholds, verdict


@flow(name="crawl-shard")
def crawl_shard(
    sites: list[str],
    sites_file: str | None = None,
    archive: str = DEFAULT_ARCHIVE,
    refresh: bool = False,
    settings: dict[str, Any] | None = None,
    max_failed_share: float = 0.2,
    max_failed_pages: int | None = None,
    wait_for_previous_seconds: float = 10.0,
) -> State:
    """Crawl ``sites`` (a shard of a crawl-all run) into the archive; the result is one
    JSON-safe row per site (``flows.pool.result_row``), also left as a table artifact."""
    selected = load_sites(sites_file).select(sites)
    thresholds = Thresholds(max_failed_share, max_failed_pages)
    tracker = RunProgress([s.name for s in selected])
    results = crawl_sites(
        selected, sites_file, archive, refresh, settings, thresholds, wait_for_previous_seconds, tracker
    )
    rows = [result_row(r, thresholds) for r in results]
    create_table_artifact(
        key=RESULTS_KEY, table=rows, description="This shard's sites, read back by its crawl-all run"
    )
    v = verdict(results, thresholds)
    return Completed(
        message=f"shard of {len(rows)} site(s), judged by its crawl-all run: {v.message}", data=rows
    )
