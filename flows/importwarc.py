"""The `import-warc` flow: backfill from WARC files or CC-NEWS months, thin over backfill/.

A run given ``shard_files`` imports those files itself (``backfill.importer.import_warc``) and
leaves an ``import-warc-summary`` table. Otherwise it lists the files (``sources`` and/or the
CC-NEWS months), splits them into shards of ``files_per_shard`` and runs each shard as its own
flow run: through the run's deployment when it has one (so the workers of the pool share the
shards), else as subflows here. The archive keeps what is done (import markers per file), so a
failed or cancelled shard is simply run again; finished files are not read twice.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.context import get_run_context
from prefect.deployments import run_deployment

from archive.sources import expand
from backfill import ccnews
from backfill.importer import ImportStats, import_warc
from backfill.selection import build_selection
from backfill.summary import summary_rows
from core.config import DEFAULT_ARCHIVE

POLL_SECONDS = 5.0


def list_files(
    sources: list[str] | None,
    cc_news_from: str | None,
    cc_news_to: str | None,
    cc_news_base: str = ccnews.DEFAULT_BASE,
    cc_news_prefix: str = ccnews.DEFAULT_PREFIX,
) -> list[str]:
    """The WARC files of a run: the sources expanded, then the CC-NEWS months' listings."""
    uris = expand(sources or [])
    if cc_news_from or cc_news_to:
        uris += ccnews.warc_uris(cc_news_from or cc_news_to or "", cc_news_to or cc_news_from or "",
                                 cc_news_base, cc_news_prefix)  # fmt: skip
    return list(dict.fromkeys(uris))


def shards_of(files: list[str], files_per_shard: int) -> list[list[str]]:
    size = max(1, files_per_shard)
    return [files[i : i + size] for i in range(0, len(files), size)]


def _deployment_name() -> str | None:
    """'import-warc/<deployment>' when this run came from a deployment."""
    run = getattr(get_run_context(), "flow_run", None)
    if run is None or run.deployment_id is None:
        return None
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment(run.deployment_id)
    return f"import-warc/{deployment.name}"


def _wait(run_ids: list[Any]) -> list[dict[str, Any]]:
    """Poll the shard runs until each is final; their names and states."""
    rows: dict[Any, dict[str, Any]] = {}
    with get_client(sync_client=True) as client:
        while len(rows) < len(run_ids):
            for run_id in run_ids:
                if run_id in rows:
                    continue
                run = client.read_flow_run(run_id)
                if run.state is not None and run.state.is_final():
                    rows[run_id] = {"shard_run": run.name, "state": run.state.name}
            if len(rows) < len(run_ids):
                time.sleep(POLL_SECONDS)
    return [rows[i] for i in run_ids]


@flow(name="import-warc")
def import_warc_flow(
    sources: list[str] | None = None,
    cc_news_from: str | None = None,
    cc_news_to: str | None = None,
    cc_news_base: str = ccnews.DEFAULT_BASE,
    cc_news_prefix: str = ccnews.DEFAULT_PREFIX,
    sites_file: str | None = None,
    sites: list[str] | None = None,
    domains: list[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    archive: str = DEFAULT_ARCHIVE,
    files_per_shard: int = 4,
    shard_files: list[str] | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Import WARC files (paths, s3://, http(s)) or CC-NEWS months (YYYY-MM) into the archive."""
    logger = get_run_logger()
    if shard_files is not None:
        selection = build_selection(sites_file, sites, domains,
                                    date.fromisoformat(since) if since else None,
                                    date.fromisoformat(until) if until else None)  # fmt: skip
        stats = import_warc(archive, shard_files, selection, workers=workers)
        summary = [{"what": what, "count": count} for what, count in summary_rows(stats)]
        create_table_artifact(
            key="import-warc-summary", table=summary, description="WARC import of this shard"
        )
        logger.info("imported %d file(s): %s", len(shard_files), stats.as_dict())
        return stats.as_dict()

    files = list_files(sources, cc_news_from, cc_news_to, cc_news_base, cc_news_prefix)
    shards = shards_of(files, files_per_shard)
    logger.info("%d file(s) in %d shard(s)", len(files), len(shards))
    params: dict[str, Any] = {"sites_file": sites_file, "sites": sites, "domains": domains, "since": since, "until": until,
              "archive": archive, "workers": workers}  # fmt: skip
    deployment = _deployment_name()
    rows: list[dict[str, Any]]
    if deployment is not None:  # the pool's workers take the shards
        runs = [run_deployment(deployment, parameters={**params, "shard_files": shard}, timeout=0)
                for shard in shards]  # fmt: skip
        rows = _wait([r.id for r in runs if isinstance(r, FlowRun)])
        totals: dict[str, Any] = {"shards": rows}
    else:
        total = ImportStats()
        rows = []
        for n, shard in enumerate(shards):
            result = import_warc_flow.with_options(flow_run_name=f"shard-{n + 1}-of-{len(shards)}")(
                **params, shard_files=shard
            )
            total.merge(ImportStats.from_dict(result))
            rows.append({"shard": n + 1, "files": len(shard), "stored_new": result["stored"].get("new", 0)})
        totals = {"shards": rows, **total.as_dict()}
    create_table_artifact(key="import-warc-summary", table=rows or [{"shard": "-", "files": 0}],
                          description=f"WARC import: {len(files)} file(s) in {len(shards)} shard(s)")  # fmt: skip
    return totals
