"""Prefect flows: thin ordering over dateline.crawljob (which the tests call directly).

`crawl_site` crawls one site; `crawl_all` runs every configured site, one failing site
never stopping the others, and leaves a summary table artifact for the dashboard.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.context import get_run_context
from prefect.states import Completed, Failed, State

from archive.records import RunManifest
from dateline.config import DEFAULT_ARCHIVE, load_sites
from dateline.crawljob import CrawlProcessError, run_site_crawl
from flows.report import failures_markdown, summary_row


def _run_id() -> str:
    ctx = get_run_context()
    run = getattr(ctx, "flow_run", None) or getattr(ctx, "task_run", None)
    return str(run.id) if run is not None else "local"


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
        on_log=lambda line: logger.warning("[%s] %s", site_name, line),
    )
    s = outcome.manifest.stats
    logger.info(
        "[%s] %d discovered, %d fetched, %d new, %d new versions, %d already archived, %d failed",
        site_name, s.discovered, s.fetched, s.stored_new, s.stored_new_version, s.skipped_archived, s.failed,
    )  # fmt: skip
    return outcome.manifest


@flow(name="crawl-site")
def crawl_site(
    site: str,
    sites_file: str | None = None,
    archive: str = DEFAULT_ARCHIVE,
    refresh: bool = False,
    settings: dict[str, Any] | None = None,
) -> RunManifest:
    """Crawl one site into the archive; fails when the site could not be crawled at all."""
    manifest = crawl_site_process(site, sites_file, archive, refresh, settings)
    if manifest.stats.unreachable:
        reasons = ", ".join(sorted(manifest.stats.failures_by_reason))
        return Failed(message=f"{site}: unreachable ({reasons})", data=manifest)  # type: ignore[return-value]
    return manifest


@flow(name="crawl-all")
def crawl_all(
    sites: list[str] | None = None,
    sites_file: str | None = None,
    archive: str = DEFAULT_ARCHIVE,
    refresh: bool = False,
    settings: dict[str, Any] | None = None,
) -> State:
    """Crawl the selected (default: all) sites; one site failing does not stop the others."""
    logger = get_run_logger()
    selected = load_sites(sites_file).select(sites)
    manifests: list[RunManifest] = []
    errors: dict[str, str] = {}
    rows = []
    for site in selected:
        state = crawl_site(site.name, sites_file, archive, refresh, settings, return_state=True)
        result = state.result(raise_on_failure=False)
        manifest = result if isinstance(result, RunManifest) else None
        error: str | None = None
        if state.is_failed() or state.is_crashed():
            error = state.message or f"{type(result).__name__}: {result}"
        if error:
            errors[site.name] = error.splitlines()[0][:300]
            logger.warning("[%s] site could not be crawled: %s", site.name, errors[site.name])
        if manifest is not None:
            manifests.append(manifest)
        rows.append(summary_row(site.name, manifest, errors.get(site.name)))
    create_table_artifact(key="crawl-summary", table=rows, description="Per-site counts of this crawl run")
    create_markdown_artifact(key="crawl-failures", markdown=failures_markdown(manifests, errors))
    if errors:
        return Failed(
            message=f"{len(errors)} of {len(selected)} site(s) could not be crawled: {', '.join(errors)}",
            data=rows,
        )
    return Completed(message=f"{len(selected)} site(s) crawled", data=rows)
