"""Prefect flows: thin ordering over spiders.crawljob (which the tests call directly).

`crawl_sites` crawls a list of sites (one shard) in ONE crawl process (one Scrapy crawler per
site), each while holding that site's slot (a one-slot Prefect global concurrency limit,
``crawl-site-<name>``), so runs of one site never overlap however many workers share the
pool; a site's slot is freed as soon as its crawler closes, not when the process ends; a
site whose slot stays taken after a brief wait ends ``Skipped``, naming who holds it; one
site failing never stops the others, and a crash is retried for the unfinished sites only. `crawl_all` splits the selection into shards
and runs them here or, with ``dispatch="pool"``, as `crawl-shard` runs on the work pool
(``flows.pool``); it keeps a progress artifact moving and leaves one summary table and one
report for the dashboard. `crawl_site` is the same for one site. Final states: see
``flows.report.verdict`` and the README (service section).
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
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
from core import progress
from core.config import DEFAULT_ARCHIVE, Site, load_sites
from flows import engine_log, pool, slots
from flows.progress import RunProgress
from flows.report import (
    RunNotCompleted,
    SiteResult,
    Thresholds,
    over_threshold,
    run_report_markdown,
    site_url,
    summary_row,
    verdict,
)
from flows.slots import site_limit_name
from spiders.crawljob import CrawlOutcome, CrawlProcessError, run_sites_crawl

__all__ = ["RunProgress", "crawl_all", "crawl_site", "crawl_sites", "log_line"]

SKIPPED = "Skipped"
PARTIAL = "Partial"

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


@dataclass
class SiteRun:
    """One site's part of a crawl process: its manifest (None if it could not be written) and,
    when it did not complete, why."""

    manifest: RunManifest | None
    error: str | None = None


class SitesCrawlError(CrawlProcessError):
    """The crawl process died before some sites completed; carries those sites' ``SiteRun``
    (the sites that did complete were reported as they finished: ``SitesInFlight``)."""

    def __init__(self, message: str, runs: dict[str, SiteRun]) -> None:
        super().__init__(message, runs)
        self.runs = runs

    def __str__(self) -> str:
        return str(self.args[0])


def _site_run(outcome: CrawlOutcome) -> SiteRun:
    error = None if outcome.error is None else f"{type(outcome.error).__name__}: {outcome.error}"
    return SiteRun(outcome.manifest if outcome.manifest_key else None, error)


class SitesInFlight:
    """The sites of one crawl task still without a final report, each holding its slot.

    Why: a site is final as soon as its crawler closes (``run_sites_crawl(on_site_done=...)``),
    and its slot is freed then, so the next hourly run of a fast site is not held up by a slow
    site of the same process; a retry after a crash crawls only the sites still in flight (a
    finished site no longer holds its slot: crawling it again could overlap its next run)."""

    def __init__(self, held: dict[str, ExitStack]) -> None:
        self.held = held  # each site's slot, released when its stack closes
        self.runs: dict[str, SiteRun] = {}  # the final reports so far

    def pending(self) -> list[str]:
        return [name for name in self.held if name not in self.runs]

    def finish(self, name: str, run: SiteRun) -> None:
        """Keep ``name``'s final report and free its slot (a failed release leaves the slot to
        its lease, no longer renewed: it runs out within a minute)."""
        self.runs[name] = run
        try:
            self.held[name].close()
        except Exception as e:
            get_run_logger().warning("[%s] slot not released at once (its lease runs out): %s", name, e)


def _log_counts(name: str, outcome: CrawlOutcome) -> None:
    s = outcome.manifest.stats
    get_run_logger().info(
        "[%s] %d discovered, %d fetched, %d new, %d new versions, %d already archived, %d failed in %.1f s",
        name, s.discovered, s.fetched, s.stored_new, s.stored_new_version, s.skipped_archived, s.failed,
        s.seconds,
    )  # fmt: skip


@task(
    name="crawl-sites-process", retries=2, retry_delay_seconds=[10, 60], retry_condition_fn=_retry_crash_only,
    cache_policy=NO_CACHE,  # its input holds live slots: nothing to cache or hash
)  # fmt: skip
def crawl_sites_process(
    inflight: SitesInFlight,
    sites_file: str | None,
    archive: str,
    refresh: bool,
    settings: dict[str, Any] | None,
) -> dict[str, SiteRun]:
    """ONE crawl process for the sites of ``inflight`` still without a final report; each site
    is reported (and its slot freed) as soon as its crawler closes. A crash is retried for the
    sites it cut short only; each resumes from the archive."""
    names = inflight.pending()
    sites = load_sites(sites_file)
    selected = sites.select(names)
    by_name = {s.name: s for s in selected}
    logger = get_run_logger()

    def on_log(site_name: str, line: str) -> None:
        site = by_name.get(site_name)
        if site is None:
            logger.warning("%s", line.strip())
        else:
            logger.warning("[%s] %s", site_name, log_line(site, line))

    def on_site_done(name: str, outcome: CrawlOutcome) -> None:
        _log_counts(name, outcome)
        inflight.finish(name, _site_run(outcome))

    outcomes = run_sites_crawl(
        selected,
        {s.name: sites.user_agent_for(s) for s in selected},
        archive,
        _run_id(),
        refresh=refresh,
        settings=settings,
        on_log=on_log,
        on_site_done=on_site_done,
    )
    crashed: dict[str, SiteRun] = {}
    for name, outcome in outcomes.items():
        if name in inflight.runs:
            continue
        _log_counts(name, outcome)
        if isinstance(outcome.error, CrawlProcessError):
            crashed[name] = _site_run(outcome)  # still in flight: its slot is kept for the retry
        else:
            inflight.finish(name, _site_run(outcome))
    if crashed:
        first = outcomes[next(iter(crashed))].error
        raise SitesCrawlError(f"{len(crashed)} of {len(outcomes)} site(s) did not complete: {first}", crashed)
    return {name: inflight.runs[name] for name in names}


# -- one site at a time (flows/slots.py) ------------------------------------------------------


def running_crawls_of(site: str, exclude: UUID | None) -> list[str]:
    """Names of other running crawl-site runs of ``site``: who holds the slot (best effort: a
    busy API is asked again, an unanswered question only makes the message vaguer)."""
    runs = []
    for attempt in range(3):
        try:
            with get_client(sync_client=True) as client:
                runs = client.read_flow_runs(
                    flow_filter=FlowFilter(
                        name=FlowFilterName(any_=["crawl-site", "crawl-shard", "crawl-all"])
                    ),
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
        if r.id != exclude and _crawls(r.parameters, site)
    ]


def _crawls(parameters: dict[str, Any], site: str) -> bool:
    """Whether a crawl-site, crawl-shard or crawl-all run with these parameters crawls ``site``."""
    if "sites" in parameters:
        return parameters["sites"] is None or site in parameters["sites"]
    return parameters.get("site") == site


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
    """Crawl one site into the archive while holding its slot (``crawl_sites`` of one).

    Ends Failed when the site could not be crawled at all, Completed named "Partial" when more
    pages failed than the thresholds allow, Cancelled named "Skipped" when another run holds
    the site's slot for longer than ``wait_for_previous_seconds``.
    """
    config = load_sites(sites_file).select([site])[0]
    thresholds = Thresholds(max_failed_share, max_failed_pages)
    result = crawl_sites(
        [config], sites_file, archive, refresh, settings, thresholds, wait_for_previous_seconds, None
    )[0]
    return _result_state(config, result, thresholds)  # type: ignore[return-value]


def _result_state(site: Site, result: SiteResult, thresholds: Thresholds) -> State:
    """A site's result as the final state of its crawl-site run."""
    if result.skipped is not None:
        return Cancelled(name=SKIPPED, message=result.skipped)
    if result.manifest is None or (result.error is not None and not result.manifest.stats.unreachable):
        return Failed(message=result.error or f"{site.name}: no run manifest", data=result.manifest)
    return _site_state(site, result.manifest, thresholds)


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
    """Crawl ``selected`` in ONE crawl process, each site while holding its slot; one result per
    site in ``selected`` order. A site whose slot another live run holds ends skipped; a site
    that could not run ends with an error; the others are unaffected by either."""
    results: dict[str, SiteResult] = {}
    with ExitStack() as held_slots:
        if tracker is not None:
            progress.add_listener(tracker.on_stats)
            held_slots.callback(progress.remove_listener, tracker.on_stats)
        held: dict[str, ExitStack] = {}  # one stack per site: its slot is freed when it is final
        for site in selected:
            slot = held_slots.enter_context(ExitStack())
            if hold_site_slot(slot, site.name, wait_for_previous_seconds):
                held[site.name] = slot
                continue
            state = _skipped_state(site, wait_for_previous_seconds)
            results[site.name] = SiteResult(
                site.name, None, skipped=state.message or "previous run still going"
            )
            if tracker is not None:
                tracker.site_done(site.name)
        if held:
            inflight = SitesInFlight(held)
            state = crawl_sites_process(inflight, sites_file, archive, refresh, settings, return_state=True)
            runs = {**_site_runs(state, inflight.pending()), **inflight.runs}
            for site in selected:
                if site.name in held:
                    results[site.name] = _run_result(site, runs[site.name])
                    if tracker is not None:
                        tracker.site_done(site.name)
    return [results[s.name] for s in selected]


def _site_runs(state: State, names: list[str]) -> dict[str, SiteRun]:
    """The runs of ``names`` (the sites still in flight) from the crawl task's final state."""
    result = state.result(raise_on_failure=False)
    if isinstance(result, dict):
        return {n: result.get(n) or SiteRun(None, "no result for this site") for n in names}
    runs = result.runs if isinstance(result, SitesCrawlError) else {}
    error = (state.message or f"{type(result).__name__}: {result}").splitlines()[0][:300]
    return {n: runs.get(n) or SiteRun(None, error) for n in names}


def _run_result(site: Site, run: SiteRun) -> SiteResult:
    """What one site's part of the crawl process came to (thresholds are applied by the summary
    and the verdict, from the manifest)."""
    manifest = run.manifest
    if manifest is None or (run.error is not None and not manifest.stats.unreachable):
        error = (run.error or "no run manifest").splitlines()[0][:300]
    elif manifest.stats.unreachable:
        error = _unreachable(site, manifest)
    else:
        return SiteResult(site.name, manifest)
    get_run_logger().warning("[%s] site could not be crawled (%s): %s", site.name, site_url(site), error)
    return SiteResult(site.name, manifest, error=error)


def _unreachable(site: Site, manifest: RunManifest) -> str:
    reasons = ", ".join(sorted(manifest.stats.failures_by_reason))
    return f"{site.name}: unreachable at {site_url(site)} ({reasons})"


def _site_state(site: Site, manifest: RunManifest, thresholds: Thresholds) -> State:
    s = manifest.stats
    if s.unreachable:
        return Failed(message=_unreachable(site, manifest), data=manifest)
    if over_threshold(manifest, thresholds):
        return Completed(name=PARTIAL, message=f"{site.name}: {s.failed} page(s) failed", data=manifest)
    return Completed(
        message=f"{site.name}: {s.stored_new + s.stored_new_version} article(s) stored", data=manifest
    )


# -- the whole run -------------------------------------------------------------------------------


def _final_state(results: list[SiteResult], thresholds: Thresholds, rows: list[dict[str, Any]]) -> State:
    v = verdict(results, thresholds)
    if v.kind == "failed":
        return Failed(message=v.message, data=RunNotCompleted(v.message, rows))
    if v.kind == "partial":
        return Completed(name=PARTIAL, message=v.message, data=rows)
    if v.kind == "skipped":
        return Cancelled(name=SKIPPED, message=v.message, data=RunNotCompleted(v.message, rows))
    return Completed(message=v.message, data=rows)


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
    shard_start_timeout_seconds: float = pool.START_TIMEOUT_SECONDS,
) -> State:
    """Crawl the selected (default: all) sites; one site failing does not stop the others.

    The sites are split into shards of at most ``shard_size`` (``flows.pool.split_shards``).
    ``dispatch="local"`` crawls the shards here, one after another; ``"pool"`` starts each as a
    `crawl-shard` flow run of ``shard_deployment`` on the work pool, all at once, and waits for
    them, so the pool's workers (on any machine) share the run; a shard run no worker started
    within ``shard_start_timeout_seconds`` is cancelled and its sites get error rows.

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
        results = pool.run_on_pool(
            shards, params, shard_deployment, archive, tracker, shard_start_timeout_seconds
        )
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
