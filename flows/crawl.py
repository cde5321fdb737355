"""Prefect flows: thin ordering over dateline.crawljob (which the tests call directly).

`crawl_site` crawls one site while holding that site's slot (a one-slot Prefect global
concurrency limit, ``crawl-site-<name>``), so runs of one site never overlap however many
workers share the pool; a run that finds the slot taken waits briefly, then ends that site
as ``Skipped`` and says who holds it. `crawl_sites` crawls one shard of sites (one failing
never stops the others). `crawl_all` splits the selection into shards and runs them here or,
with ``dispatch="pool"``, as `crawl-shard` runs on the work pool (``flows.pool``); it keeps a
progress artifact moving and leaves one summary table and one report for the dashboard. Final states: see ``flows.report.verdict`` and the README (service section).
"""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from typing import Any, Literal, cast
from uuid import UUID

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.context import get_run_context
from prefect.states import Cancelled, Completed, Failed, State

from archive.records import RunManifest
from dateline import progress
from dateline.config import DEFAULT_ARCHIVE, Site, load_sites
from dateline.crawljob import CrawlProcessError, run_site_crawl
from flows import engine_log, pool, slots
from flows.report import (
    RunNotCompleted,
    SiteResult,
    Thresholds,
    over_threshold,
    progress_note,
    run_percent,
    run_report_markdown,
    site_fraction,
    site_url,
    summary_row,
    verdict,
)
from flows.slots import site_limit_name

SKIPPED = "Skipped"
PARTIAL = "Partial"
PROGRESS_MIN_INTERVAL = 1.0

engine_log.install()  # before the engine runs crawl-all: a designed Failed/Skipped end is no ERROR


def _run_id() -> str:
    ctx = get_run_context()
    run = getattr(ctx, "flow_run", None) or getattr(ctx, "task_run", None)
    return str(run.id) if run is not None else "local"


def _flow_run_id() -> UUID | None:
    run = getattr(get_run_context(), "flow_run", None)
    return run.id if run is not None else None


def log_line(site: Site, line: str) -> str:
    """A crawl log line for the run log: always names the site, and a URL (the site's own
    when the line names none), so every warning can be traced to a page."""
    text = line.strip()
    return text if "://" in text else f"{text} (site {site_url(site)})"


def _retry_crash_only(task: Any, task_run: Any, state: State) -> bool:
    """Retry a crashed crawl process (it resumes from the archive); not config or archive errors."""
    try:
        state.result()
    except CrawlProcessError:
        return True
    except Exception:
        return False
    return False


@task(
    name="crawl-site-process", retries=2, retry_delay_seconds=[10, 60], retry_condition_fn=_retry_crash_only
)
def crawl_site_process(
    site_name: str, sites_file: str | None, archive: str, refresh: bool, settings: dict[str, Any] | None
) -> RunManifest:
    sites = load_sites(sites_file)
    site = sites.select([site_name])[0]
    logger = get_run_logger()
    outcome = run_site_crawl(
        site,
        user_agent=sites.user_agent_for(site),
        archive_uri=archive,
        run_id=_run_id(),
        refresh=refresh,
        settings=settings,
        on_log=lambda line: logger.warning("[%s] %s", site_name, log_line(site, line)),
    )
    s = outcome.manifest.stats
    logger.info(
        "[%s] %d discovered, %d fetched, %d new, %d new versions, %d already archived, %d failed in %.1f s",
        site_name, s.discovered, s.fetched, s.stored_new, s.stored_new_version, s.skipped_archived, s.failed,
        s.seconds,
    )  # fmt: skip
    return outcome.manifest


# -- one site at a time (flows/slots.py) ------------------------------------------------------


def running_crawls_of(site: str, exclude: UUID | None) -> list[str]:
    """Names of other running crawl-site runs of ``site``: who holds the slot (best effort: a
    busy API is asked again, an unanswered question only makes the message vaguer)."""
    runs = []
    for attempt in range(3):
        try:
            with get_client(sync_client=True) as client:
                runs = client.read_flow_runs(
                    flow_filter=FlowFilter(name=FlowFilterName(any_=["crawl-site"])),
                    flow_run_filter=FlowRunFilter(
                        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING]))
                    ),
                    limit=50,
                    offset=0,
                )
            break
        except Exception as e:  # naming the holder must never fail the run
            get_run_logger().debug("cannot read running crawls (attempt %d): %s", attempt + 1, e)
            time.sleep(1 + attempt)
    return [
        f"'{r.name}' ({r.id}, started {r.start_time:%Y-%m-%d %H:%M:%S} UTC)"
        if r.start_time
        else f"'{r.name}'"
        for r in runs
        if r.parameters.get("site") == site and r.id != exclude
    ]


def hold_site_slot(stack: ExitStack, site: str, wait_seconds: float) -> bool:
    """Take the site's slot until ``stack`` closes (reclaiming a dead holder's); False if a
    live run still holds it after ``wait_seconds``."""
    me = _flow_run_id()
    logger = get_run_logger()
    return slots.hold_site_slot(
        stack, site, wait_seconds, me, running=lambda: running_crawls_of(site, me),
        log=lambda line: logger.warning("[%s] %s", site, line),
    )  # fmt: skip


def _skipped_state(site: Site, wait_seconds: float) -> State:
    who = slots.holder_summary(site.name)
    if who is None:
        holders = running_crawls_of(site.name, _flow_run_id())
        who = f"flow run {', '.join(holders)}" if holders else "another run"
    message = (
        f"{site.name}: previous run still going ({who} holds {site_limit_name(site.name)}; "
        f"waited {wait_seconds:g} s)"
    )
    get_run_logger().warning("[%s] skipped, %s (site %s)", site.name, message, site_url(site))
    return Cancelled(name=SKIPPED, message=message)


@flow(name="crawl-site")
def crawl_site(
    site: str,
    sites_file: str | None = None,
    archive: str = DEFAULT_ARCHIVE,
    refresh: bool = False,
    settings: dict[str, Any] | None = None,
    max_failed_share: float = 0.2,
    max_failed_pages: int | None = None,
    wait_for_previous_seconds: float = 10.0,
) -> RunManifest:
    """Crawl one site into the archive while holding its slot.

    Ends Failed when the site could not be crawled at all, Completed named "Partial" when more
    pages failed than the thresholds allow, Cancelled named "Skipped" when another run holds
    the site's slot for longer than ``wait_for_previous_seconds``.
    """
    config = load_sites(sites_file).select([site])[0]
    with ExitStack() as slot:
        if not hold_site_slot(slot, site, wait_for_previous_seconds):
            return _skipped_state(config, wait_for_previous_seconds)  # type: ignore[return-value]
        manifest = crawl_site_process(site, sites_file, archive, refresh, settings)
    return _site_state(config, manifest, Thresholds(max_failed_share, max_failed_pages))  # type: ignore[return-value]


def _site_state(site: Site, manifest: RunManifest, thresholds: Thresholds) -> State:
    s = manifest.stats
    if s.unreachable:
        reasons = ", ".join(sorted(s.failures_by_reason))
        return Failed(message=f"{site.name}: unreachable at {site_url(site)} ({reasons})", data=manifest)
    if over_threshold(manifest, thresholds):
        return Completed(name=PARTIAL, message=f"{site.name}: {s.failed} page(s) failed", data=manifest)
    return Completed(
        message=f"{site.name}: {s.stored_new + s.stored_new_version} article(s) stored", data=manifest
    )


# -- the whole run -------------------------------------------------------------------------------


class RunProgress:
    """Feeds the run's progress artifact from the crawl child's events (every ~2 s)."""

    def __init__(self, sites: list[str]) -> None:
        self.sites = sites
        self.done = 0
        self.last = 0.0
        self.percent = 0.0  # shown so far: the bar never moves back when discovery finds more
        self.lock = threading.Lock()
        self.artifact_id = cast(
            UUID,
            create_progress_artifact(
                0.0, key="crawl-progress", description=f"0 of {len(sites)} site(s) done"
            ),
        )

    def on_stats(self, site: str, stats: dict[str, Any]) -> None:
        if site not in self.sites or time.monotonic() - self.last < PROGRESS_MIN_INTERVAL:
            return
        self._update(
            run_percent(self.done, len(self.sites), site_fraction(stats)), progress_note(site, stats)
        )

    def show(self, percent: float, note: str) -> None:
        """Progress read from elsewhere (the shard runs of a pool dispatch)."""
        self._update(percent, note)

    def site_done(self, site: str) -> None:
        self.done += 1
        self._update(
            run_percent(self.done, len(self.sites)), f"{self.done} of {len(self.sites)} site(s) done"
        )

    def _update(self, percent: float, note: str) -> None:
        """Never lets a dashboard hiccup stop a crawl."""
        with self.lock:
            self.last = time.monotonic()
            self.percent = max(self.percent, percent)
            try:
                update_progress_artifact(self.artifact_id, self.percent, description=note)
            except Exception as e:
                get_run_logger().debug("progress artifact not updated: %s", e)


def _site_result(site: Site, state: State) -> SiteResult:
    """What one crawl-site subflow came to, read from its final state."""
    result = state.result(raise_on_failure=False)
    manifest = result if isinstance(result, RunManifest) else None
    if state.is_cancelled():
        return SiteResult(site.name, manifest, skipped=state.message or "previous run still going")
    if state.is_failed() or state.is_crashed():
        error = (state.message or f"{type(result).__name__}: {result}").splitlines()[0][:300]
        get_run_logger().warning("[%s] site could not be crawled (%s): %s", site.name, site_url(site), error)
        return SiteResult(site.name, manifest, error=error)
    return SiteResult(site.name, manifest)


def _final_state(results: list[SiteResult], thresholds: Thresholds, rows: list[dict[str, Any]]) -> State:
    v = verdict(results, thresholds)
    if v.kind == "failed":
        return Failed(message=v.message, data=RunNotCompleted(v.message, rows))
    if v.kind == "partial":
        return Completed(name=PARTIAL, message=v.message, data=rows)
    if v.kind == "skipped":
        return Cancelled(name=SKIPPED, message=v.message, data=RunNotCompleted(v.message, rows))
    return Completed(message=v.message, data=rows)


def crawl_sites(
    selected: list[Site],
    sites_file: str | None,
    archive: str,
    refresh: bool,
    settings: dict[str, Any] | None,
    thresholds: Thresholds,
    wait_for_previous_seconds: float,
    tracker: RunProgress | None,
) -> list[SiteResult]:
    """Crawl one shard of sites, one result per site in the given order; a site failing does not
    stop the others. Both dispatches end here: in-process shards and `crawl-shard` flow runs."""
    results: list[SiteResult] = []
    if tracker is not None:
        progress.add_listener(tracker.on_stats)
    try:
        for site in selected:
            state = crawl_site(
                site.name, sites_file, archive, refresh, settings, thresholds.max_failed_share,
                thresholds.max_failed_pages, wait_for_previous_seconds, return_state=True,
            )  # fmt: skip
            results.append(_site_result(site, state))
            if tracker is not None:
                tracker.site_done(site.name)
    finally:
        if tracker is not None:
            progress.remove_listener(tracker.on_stats)
    return results


@flow(name="crawl-all")
def crawl_all(
    sites: list[str] | None = None,
    sites_file: str | None = None,
    archive: str = DEFAULT_ARCHIVE,
    refresh: bool = False,
    settings: dict[str, Any] | None = None,
    max_failed_share: float = 0.2,
    max_failed_pages: int | None = None,
    wait_for_previous_seconds: float = 10.0,
    shard_size: int = pool.DEFAULT_SHARD_SIZE,
    dispatch: Literal["local", "pool"] = "local",
    shard_deployment: str = pool.SHARD_DEPLOYMENT,
) -> State:
    """Crawl the selected (default: all) sites; one site failing does not stop the others.

    The sites are split into shards of at most ``shard_size`` (``flows.pool.split_shards``).
    ``dispatch="local"`` crawls the shards here, one after another; ``"pool"`` starts each as a
    `crawl-shard` flow run of ``shard_deployment`` on the work pool, all at once, and waits for
    them, so the pool's workers (on any machine) share the run.

    Completed: every site ran within the thresholds. Completed named "Partial": some site
    failed more pages than ``max_failed_share`` (or ``max_failed_pages``). Failed: a site could
    not run at all (or its shard run crashed) or the archive could not be written. Cancelled
    named "Skipped": every site was still being crawled by an earlier run. The result is the
    list of summary rows (for Failed and Skipped inside a ``RunNotCompleted``;
    ``flows.report.result_rows`` reads both).
    """
    selected = load_sites(sites_file).select(sites)
    thresholds = Thresholds(max_failed_share, max_failed_pages)
    shards = pool.split_shards(selected, shard_size)
    tracker = RunProgress([s.name for s in selected])
    if dispatch == "pool":
        params = {"sites_file": sites_file, "archive": archive, "refresh": refresh, "settings": settings,
                  "max_failed_share": max_failed_share, "max_failed_pages": max_failed_pages,
                  "wait_for_previous_seconds": wait_for_previous_seconds}  # fmt: skip
        results = pool.run_on_pool(shards, params, shard_deployment, archive, tracker)
    else:
        results = [
            result
            for shard in shards
            for result in crawl_sites(
                shard, sites_file, archive, refresh, settings, thresholds, wait_for_previous_seconds, tracker
            )
        ]
    rows = [summary_row(r, thresholds) for r in results]
    create_table_artifact(key="crawl-summary", table=rows, description="Per-site counts of this crawl run")
    create_markdown_artifact(
        key="crawl-report",
        markdown=run_report_markdown(results, archive, thresholds),
        description="Failing URLs with reasons, and the keys this run wrote",
    )
    return _final_state(results, thresholds, rows)
