"""A crawl run's shards on the work pool: split the sites, start one `crawl-shard` run per shard,
wait for them, and turn what they left into one ``SiteResult`` per site.

Why: sites are independent, so one hourly run is shared by every worker of the pool, on any
machine. Nothing travels through a worker's memory or result storage: a shard leaves a small
table artifact on the server (per site: the run manifest's key, or why it did not run) and the
manifest itself is in the archive, which every worker reads. A shard run that crashes, is
cancelled or leaves no row for a site gives that site an error row: no site is ever lost. A
shard no worker picks up (all busy, none running) is cancelled after ``start_timeout`` (default:
the hourly period), and one a worker took but never started (Pending: the worker died while
starting its process) after ``pending_limit(start_timeout)``, so the run still ends and says
why those sites were not crawled.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from uuid import UUID

from prefect import get_run_logger
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterId,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.responses import OrchestrationResult
from prefect.context import get_run_context
from prefect.deployments import run_deployment
from prefect.states import Cancelled

from archive.records import RunManifest
from archive.store import open_store
from core.config import Site
from flows.progress import PROGRESS_KEY, RunProgress
from flows.report import SiteResult, Thresholds, manifest_key, site_url, summary_row

T = TypeVar("T")

SHARD_DEPLOYMENT = "crawl-shard/pool"  # prefect.yaml
DEFAULT_SHARD_SIZE = 25
RESULTS_KEY = "crawl-shard-results"
POLL_SECONDS = 2.0
START_TIMEOUT_SECONDS = 3600.0  # the hourly period: a shard not started by the next run is given up
PENDING_SECONDS = 600.0  # a worker starts a taken run's process in seconds; 10 min is a dead start
API_CHUNK = 100  # ids per filter request (the server answers at most 200 rows)


def split_shards(items: Sequence[T], shard_size: int) -> list[list[T]]:
    """``ceil(n / shard_size)`` contiguous shards in the given order, sizes differing by at most
    one (17 sites of 4 -> 4, 4, 3, 3, 3): the same selection always gives the same shards, and
    no shard is a straggler of one site."""
    if shard_size < 1:
        raise ValueError(f"shard_size must be at least 1, not {shard_size}")
    if not items:
        return []
    count = -(-len(items) // shard_size)
    base, extra = divmod(len(items), count)
    shards, start = [], 0
    for n in range(count):
        end = start + base + (1 if n < extra else 0)
        shards.append(list(items[start:end]))
        start = end
    return shards


# -- what a shard leaves behind ------------------------------------------------------------------


def result_row(result: SiteResult, thresholds: Thresholds) -> dict[str, Any]:
    """A site's summary row plus what rebuilds its ``SiteResult`` elsewhere (JSON-safe)."""
    return {
        **summary_row(result, thresholds),
        "manifest_key": manifest_key(result.manifest) if result.manifest is not None else None,
        "error": result.error,
        "skipped": result.skipped,
    }


@dataclass
class ShardOutcome:
    """A finished shard run as the parent sees it: its final state and its result rows (None
    when it left none, e.g. crashed)."""

    run_name: str
    state_name: str
    message: str
    rows: list[dict[str, Any]] | None = None


def site_results(
    shards: Sequence[Sequence[Site]],
    outcomes: Sequence[ShardOutcome],
    load_manifest: Callable[[str], RunManifest],
) -> list[SiteResult]:
    """One result per site of every shard, in shard order. A site its shard left no row for
    gets an error naming the shard run and its final state; an unreadable manifest, an error
    naming the key."""
    results = []
    for shard, outcome in zip(shards, outcomes, strict=True):
        rows = {row["site"]: row for row in outcome.rows or []}
        for site in shard:
            row = rows.get(site.name)
            results.append(_from_row(site.name, row, outcome, load_manifest))
    return results


def _from_row(
    site: str, row: dict[str, Any] | None, outcome: ShardOutcome, load_manifest: Callable[[str], RunManifest]
) -> SiteResult:
    if row is None:
        why = f"ended {outcome.state_name}" + (f": {outcome.message}" if outcome.message else "")
        return SiteResult(site, error=f"shard run '{outcome.run_name}' {why}"[:300])
    manifest = None
    if row.get("manifest_key"):
        try:
            manifest = load_manifest(row["manifest_key"])
        except Exception as e:  # the site ran; say why its counts are missing
            return SiteResult(site, error=f"run manifest {row['manifest_key']} not readable: {e}"[:300])
    return SiteResult(site, manifest, error=row.get("error"), skipped=row.get("skipped"))


def archive_manifests(archive: str) -> Callable[[str], RunManifest]:
    store = open_store(archive)
    return lambda key: RunManifest.model_validate_json(store.get(key))


# -- running the shards ---------------------------------------------------------------------------


@dataclass
class ShardRun:
    sites: list[Site]
    run: FlowRun
    ended: str | None = None  # final state name, once final
    state_type: StateType | None = None  # as last read
    pending_since: float | None = None  # monotonic time it was first read Pending, while it is
    message: str = ""
    percent: float = 0.0  # of this shard, from its progress artifact


def start_shards(shards: list[list[Site]], params: dict[str, Any], deployment: str) -> list[ShardRun]:
    """One flow run of ``deployment`` per shard, linked under this run (the dashboard nests them);
    idempotency keys make a retried parent find its shards instead of starting them twice."""
    parent = getattr(get_run_context(), "flow_run", None)
    prefix = parent.name if parent is not None else "crawl"
    runs = []
    for n, shard in enumerate(shards, start=1):
        run = run_deployment(
            deployment, parameters={**params, "sites": [s.name for s in shard]}, timeout=0,
            flow_run_name=f"{prefix}-shard-{n}-of-{len(shards)}",
            idempotency_key=f"{parent.id}-shard-{n}-of-{len(shards)}" if parent is not None else None,
        )  # fmt: skip
        runs.append(ShardRun(shard, cast(FlowRun, run)))  # sync context: the run, not a coroutine
    return runs


def _chunks(ids: list[UUID]) -> list[list[UUID]]:
    return [ids[i : i + API_CHUNK] for i in range(0, len(ids), API_CHUNK)]


def _poll(client: SyncPrefectClient, runs: list[ShardRun]) -> None:
    """Final states and progress of the shard runs still going."""
    going = {r.run.id: r for r in runs if r.ended is None}
    for ids in _chunks(list(going)):
        found = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)), limit=len(ids)
        )
        for run in found:
            read = going[run.id]
            read.state_type = run.state.type if run.state is not None else None
            if read.state_type != StateType.PENDING:
                read.pending_since = None
            elif read.pending_since is None:
                read.pending_since = time.monotonic()
            if run.state is not None and run.state.is_final():
                read.ended, read.message = run.state.name, run.state.message or ""
        for gone in set(ids) - {run.id for run in found}:  # deleted from the server: never final
            going[gone].ended, going[gone].message = "deleted", "the flow run no longer exists"
        for artifact in _artifacts(client, ids, PROGRESS_KEY):
            shard = going.get(artifact.flow_run_id) if artifact.flow_run_id else None
            if shard is not None and isinstance(artifact.data, int | float):
                shard.percent = max(shard.percent, float(artifact.data))


def _artifacts(client: SyncPrefectClient, ids: list[UUID], key: str) -> list[Any]:
    return client.read_artifacts(
        artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=ids), key=ArtifactFilterKey(any_=[key])),
        limit=len(ids),
    )  # fmt: skip


def _show(runs: list[ShardRun], tracker: RunProgress) -> None:
    total = sum(len(r.sites) for r in runs)
    done = sum(len(r.sites) for r in runs if r.ended is not None)
    moving = sum(len(r.sites) * r.percent / 100 for r in runs if r.ended is None)
    percent = round(100.0 * (done + moving) / total, 1) if total else 100.0
    running = sum(1 for r in runs if r.ended is None)
    tracker.show(percent, f"{done} of {total} site(s) done; {running} of {len(runs)} shard run(s) going")


def not_started_message(start_timeout: float) -> str:
    return f"shard not started: no worker picked it up within {start_timeout:g} s"


def pending_message(limit: float) -> str:
    return f"shard not started: a worker took it but did not start it within {limit:g} s"


def pending_limit(start_timeout: float) -> float:
    """How long a taken (Pending) shard may wait for its process: never longer than a shard may
    wait for a worker at all."""
    return min(start_timeout, PENDING_SECONDS)


def _cancel(client: SyncPrefectClient, shard: ShardRun, message: str) -> None:
    """Cancel one shard run that never started; a run that started meanwhile refuses the change
    and is waited for as any other."""
    result: OrchestrationResult[Any] = client.set_flow_run_state(shard.run.id, Cancelled(message=message))
    if result.state is not None and result.state.is_cancelled():
        shard.ended, shard.message = result.state.name, message
        get_run_logger().warning("shard run '%s': %s; its sites get error rows", shard.run.name, message)


def cancel_unstarted(client: SyncPrefectClient, runs: list[ShardRun], start_timeout: float) -> None:
    """Cancel the shard runs still Scheduled (or Late): no worker took them."""
    for shard in runs:
        if shard.ended is None and shard.state_type == StateType.SCHEDULED:
            _cancel(client, shard, not_started_message(start_timeout))


def cancel_stuck_pending(client: SyncPrefectClient, runs: list[ShardRun], limit: float) -> None:
    """Cancel the shard runs Pending for ``limit`` s: the worker that took them died (or lost
    its process) before the run started, and Prefect would leave them Pending for ever."""
    now = time.monotonic()
    for shard in runs:
        if shard.ended is None and shard.pending_since is not None and now - shard.pending_since >= limit:
            _cancel(client, shard, pending_message(limit))


def wait_shards(
    runs: list[ShardRun],
    tracker: RunProgress,
    poll_seconds: float = POLL_SECONDS,
    start_timeout: float = START_TIMEOUT_SECONDS,
) -> None:
    """Until every shard run is final, cancelling those no worker took within ``start_timeout``
    s and those taken but left Pending for ``pending_limit(start_timeout)`` s; the parent's
    progress bar follows the shards' bars. A busy API only delays the answer (polling goes on)."""
    give_up_at = time.monotonic() + start_timeout
    with get_client(sync_client=True) as client:
        while any(r.ended is None for r in runs):
            try:
                _poll(client, runs)
                if time.monotonic() >= give_up_at:
                    cancel_unstarted(client, runs, start_timeout)
                cancel_stuck_pending(client, runs, pending_limit(start_timeout))
            except Exception as e:
                get_run_logger().debug("shard runs not read (asked again): %s", e)
            _show(runs, tracker)
            if any(r.ended is None for r in runs):
                time.sleep(poll_seconds)


def outcomes(runs: list[ShardRun]) -> list[ShardOutcome]:
    """What each finished shard run left: its state and the rows of its results artifact."""
    rows: dict[UUID, list[dict[str, Any]]] = {}
    with get_client(sync_client=True) as client:
        for ids in _chunks([r.run.id for r in runs]):
            for artifact in _artifacts(client, ids, RESULTS_KEY):
                data = json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data
                if artifact.flow_run_id is not None and isinstance(data, list):
                    rows[artifact.flow_run_id] = data
    return [ShardOutcome(r.run.name, r.ended or "unknown", r.message, rows.get(r.run.id)) for r in runs]


def run_on_pool(
    shards: list[list[Site]],
    params: dict[str, Any],
    deployment: str,
    archive: str,
    tracker: RunProgress,
    start_timeout: float = START_TIMEOUT_SECONDS,
) -> list[SiteResult]:
    """Start all shards at once on the pool, wait for them (a shard no worker started within
    ``start_timeout`` s is cancelled), and read back one result per site."""
    runs = start_shards(shards, params, deployment)
    get_run_logger().info("%d site(s) in %d shard run(s) of %s", sum(map(len, shards)), len(runs), deployment)
    wait_shards(runs, tracker, start_timeout=start_timeout)
    results = site_results(shards, outcomes(runs), archive_manifests(archive))
    sites = {s.name: s for shard in shards for s in shard}
    for result in results:
        if result.error is not None and result.manifest is None:
            get_run_logger().warning(
                "[%s] %s (site %s)", result.site, result.error, site_url(sites[result.site])
            )
        tracker.site_done(result.site)
    return results
