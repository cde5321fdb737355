"""The `dateline` command line (typer). Each command is a thin shell over plain functions.

Exit codes: 0 ok; 1 bad input or configuration; 2 the run finished but some sites could not be crawled.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from archive.store import StoreError
from core import procs, progress
from core.config import DEFAULT_ARCHIVE, ConfigError, load_sites
from core.pages import iter_inputs, iter_manifest
from dateline import cli_consumers, cli_import, cli_ops, cli_profiles, cli_verify
from dateline.cli_common import ArchiveOpt, err, lookup, open_reader, out

# Prefect's local (ephemeral) API migrates its database on first start, which can take
# longer than Prefect's 20 s default on a small machine; no telemetry from an archive job.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Slot leases on disk beside the database, so a new temporary server still knows (and expires)
# the leases of a killed run's server (in memory they died with it; see flows/slots.py).
os.environ.setdefault(
    "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE", "prefect.server.concurrency.lease_storage.filesystem"
)

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Dateline: crawl news sites into a clean, dated archive."
)


@contextmanager
def _progress_bar() -> Iterator[None]:
    """A live per-site line: pages fetched of discovered, articles stored, failures."""
    bar = Progress(
        TextColumn("[bold]{task.fields[site]}"),
        BarColumn(),
        TextColumn(
            "{task.completed}/{task.total} fetched · {task.fields[stored]} stored · {task.fields[failed]} failed"
        ),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )
    tasks: dict[str, TaskID] = {}

    def listener(site: str, stats: dict[str, Any]) -> None:
        if site not in tasks:
            tasks[site] = bar.add_task(site, site=site, stored=0, failed=0, total=None)
        stored = stats.get("stored/new", 0) + stats.get("stored/new_version", 0)
        bar.update(
            tasks[site],
            completed=stats.get("fetched", 0),
            total=max(stats.get("discovered", 0) - stats.get("skipped_archived", 0), stats.get("fetched", 0)),
            stored=stored,
            failed=stats.get("failed", 0),
        )

    progress.add_listener(listener)
    with bar:
        try:
            yield
        finally:
            progress.remove_listener(listener)


def _print_summary(rows: list[dict[str, Any]]) -> None:
    table = Table(title="Crawl summary")
    cols = {"site": "site", "outcome": "outcome", "discovered": "found", "skipped_archived": "archived",
            "too_old_unfetched": "old, unfetched", "fetched": "fetched", "stored_new": "new",
            "stored_new_version": "versions", "unchanged": "unchanged", "stored_alias": "alias",
            "skipped_not_article": "not article", "skipped_too_old": "too old", "failed": "failed",
            "reasons": "reasons"}  # fmt: skip
    for title in cols.values():
        table.add_column(title, overflow="fold")
    for r in rows:
        too_old = r.get("skipped_too_old", 0) - r.get("too_old_unfetched", 0) if "fetched" in r else ""
        table.add_row(*(str(too_old if c == "skipped_too_old" else r.get(c, "")) for c in cols))
    err.print(table)
    err.print("every fetched page is new, a version, unchanged, an alias, not an article, too old or failed")
    for r in rows:
        if r.get("unaccounted"):
            err.print(
                f"[red]{r['site']}: counts do not add up, {r['unaccounted']:+d} fetched page(s) in no column[/]"
            )


@contextmanager
def _demo_sites_file() -> Iterator[tuple[str, str]]:
    """Serve the bundled demo pages on 127.0.0.1 and write a sites file for them."""
    from demosite import serve_demo

    with serve_demo() as site, tempfile.TemporaryDirectory(prefix="dateline-demo-") as tmp:
        cfg = site.site_config()
        path = Path(tmp) / "demo-sites.yaml"
        path.write_text(yaml.safe_dump({"sites": [cfg]}), encoding="utf-8")
        err.print(
            f"[green]demo site[/] serving {len(site.expected_articles())} saved real articles at {site.base_url}"
        )
        yield str(path), cfg["name"]


STOP_DEADLINE_SECONDS = 27.0  # SIGTERM/SIGINT -> exit within this, whatever hangs (cron/systemd give 30)


class _Stopped(BaseException):
    """SIGTERM or SIGINT reached the CLI (a BaseException, like KeyboardInterrupt: it must
    unwind through the flow engine, which reports the runs as Crashed)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


def _raise_stopped(signum: int, frame: object) -> None:
    raise _Stopped(signum)


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """SIGTERM/SIGINT unwind the crawl (each crawl child is stopped cleanly and its run manifest
    written with complete: false); the process ends within STOP_DEADLINE_SECONDS regardless."""
    old = {sig: signal.signal(sig, _raise_stopped) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with procs.exit_within_after_signal(STOP_DEADLINE_SECONDS):
            yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


@app.command()
def crawl(
    sites_file: Annotated[
        Path | None, typer.Option("--sites", help="sites YAML (default: the bundled one)")
    ] = None,
    site: Annotated[
        list[str] | None, typer.Option("--site", help="crawl only this site (repeatable)")
    ] = None,
    archive: ArchiveOpt = DEFAULT_ARCHIVE,
    refresh: Annotated[bool, typer.Option(help="fetch again URLs already archived")] = False,
    demo: Annotated[
        bool, typer.Option(help="crawl a local site of saved real pages (no internet needed)")
    ] = False,
) -> None:
    """Crawl the configured sites into the archive (a Prefect flow run).

    SIGTERM/SIGINT stop it cleanly within 30 s: exit 143/130, run manifests marked incomplete."""
    from prefect.exceptions import TerminationSignal

    from dateline.tempapi import temporary_api

    try:
        names = None if demo else load_sites(sites_file).select(site)  # validate before starting Prefect
    except ConfigError as e:
        err.print(f"[red]configuration error:[/] {e}")
        raise typer.Exit(1) from e
    try:
        with _stop_on_signals(), temporary_api() as api:
            # the temporary server starts (another process) while the flows are imported and the
            # demo site set up; it is waited for just before the flow run
            from flows.crawl import crawl_all

            if names is None:
                with _demo_sites_file() as (path, name):
                    if api is not None:
                        api.ready()
                    with _progress_bar():
                        state = crawl_all(
                            sites=[name], sites_file=path, archive=archive, refresh=refresh, return_state=True
                        )
            else:
                if api is not None:
                    api.ready()
                with _progress_bar():
                    state = crawl_all(
                        sites=[s.name for s in names], sites_file=str(sites_file) if sites_file else None,
                        archive=archive, refresh=refresh, return_state=True,
                    )  # fmt: skip
    except (_Stopped, TerminationSignal, KeyboardInterrupt) as e:
        signum = e.signum if isinstance(e, _Stopped) else getattr(e, "signal", signal.SIGINT)
        err.print(
            f"[yellow]stopped by {signal.Signals(signum).name}[/]: run manifests written (complete: false)"
        )
        raise typer.Exit(128 + signum) from None
    except ConfigError as e:
        err.print(f"[red]configuration error:[/] {e}")
        raise typer.Exit(1) from e
    from flows.report import result_rows

    rows = result_rows(state.result(raise_on_failure=False))
    _print_summary(rows)
    err.print(f"archive: {archive}")
    if not state.is_completed():
        err.print(f"[yellow]{state.message}[/]")
        raise typer.Exit(2)


@app.command()
def extract(
    files: Annotated[list[Path] | None, typer.Argument(help=".html, .html.gz or WARC files")] = None,
    site: Annotated[str | None, typer.Option(help="site name the pages belong to")] = None,
    url: Annotated[str | None, typer.Option(help="the page's URL (for a single HTML file)")] = None,
    manifest: Annotated[Path | None, typer.Option(help='JSON lines: {"path", "url", "site"}')] = None,
    profiles_from: Annotated[
        str | None, typer.Option(help="archive whose stored site profiles to start from")
    ] = None,
) -> None:
    """Clean saved pages without crawling; one JSON object per page on stdout."""
    from core.pages import extract_inputs
    from core.profiles import stored_profiles

    if not files and manifest is None:
        err.print("[red]give FILE arguments or --manifest[/]")
        raise typer.Exit(1)
    inputs = iter_manifest(manifest) if manifest is not None else iter_inputs(files or [], site=site, url=url)
    try:
        stored = stored_profiles(profiles_from) if profiles_from else None
    except StoreError as e:
        err.print(f"[red]cannot open archive {profiles_from}:[/] {e}")
        raise typer.Exit(1) from e
    for page in extract_inputs(inputs, stored=stored):
        sys.stdout.write(json.dumps(page, ensure_ascii=False) + "\n")


@app.command("ls")
def list_articles(
    archive: ArchiveOpt = DEFAULT_ARCHIVE,
    site: Annotated[list[str] | None, typer.Option("--site", help="only these sites")] = None,
    since: Annotated[str | None, typer.Option(help="publication date from (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, typer.Option(help="publication date to, inclusive")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table")] = False,
) -> None:
    """List archived articles (latest version) by site and publication date."""
    records = open_reader(archive).iter_records(
        sites=site or None,
        since=date.fromisoformat(since) if since else None,
        until=date.fromisoformat(until) if until else None,
    )
    if as_json:
        for r in records:
            sys.stdout.write(json.dumps({"id": r.id, "site": r.site, "date": r.published.date, "title": r.title,
                                         "url": r.url, "version": r.version}, ensure_ascii=False) + "\n")  # fmt: skip
        return
    table = Table()
    for c in ("date", "site", "id", "title", "words"):
        table.add_column(c)
    for r in records:
        table.add_row(r.published.date or "-", r.site, r.id, (r.title or "")[:80], str(r.word_count))
    out.print(table)


@app.command()
def show(
    ref: Annotated[str, typer.Argument(help="article id or URL")],
    archive: ArchiveOpt = DEFAULT_ARCHIVE,
    all_versions: Annotated[
        bool, typer.Option("--all-versions", help="every stored version, oldest first")
    ] = False,
) -> None:
    """Print one archived article as JSON."""
    reader = open_reader(archive)
    record = lookup(reader, ref)
    records = reader.versions(record.id) if all_versions else [record]
    for r in records:
        sys.stdout.write(r.model_dump_json(indent=2) + "\n")


@app.command("eval")
def evaluate_extraction(
    datasets: Annotated[
        list[Path],
        typer.Argument(help="folders with truth.jsonl and html/ (news-pages or trafilatura-eval format)"),
    ],
    limit: Annotated[int | None, typer.Option(help="only the first N pages of each set")] = None,
    worst: Annotated[int, typer.Option(help="show the N worst pages with a diff")] = 5,
    gate: Annotated[
        bool, typer.Option("--gate", help="exit 1 when a score falls below the pinned floors")
    ] = False,
    report_json: Annotated[
        Path | None, typer.Option("--json", help="also write the full reports here")
    ] = None,
    profiles: Annotated[
        bool, typer.Option(help="learn a profile per site from the dataset's pages and apply it")
    ] = True,
    processes: Annotated[int, typer.Option(help="worker processes")] = 2,
) -> None:
    """Score the extractor on one or more dev sets, side by side with plain trafilatura."""
    from extraction.evalreport import check_floors, load_floors, render_report, worst_pages
    from extraction.evaluate import evaluate_sets

    for dataset in datasets:
        if not (dataset / "truth.jsonl").is_file():
            err.print(f"[red]no truth.jsonl in {dataset}[/]")
            raise typer.Exit(1)
    reports = evaluate_sets(datasets, limit=limit, processes=processes, profiles=profiles)
    for report in reports:
        sys.stdout.write(render_report(report) + "\n")
        if worst:
            sys.stdout.write(worst_pages(report, worst) + "\n")
    if report_json is not None:
        dumped = [r.model_dump(mode="json") for r in reports]
        report_json.write_text(json.dumps(dumped, indent=1, ensure_ascii=False), encoding="utf-8")
    if gate:
        floors = load_floors()
        failures = [f for r in reports for f in check_floors(r, floors.get(r.name, {}))]
        for f in failures:
            err.print(f"[red]quality gate:[/] {f}")
        if failures:
            raise typer.Exit(1)
        gated = [r.name for r in reports if r.name in floors]
        err.print(f"[green]quality gate passed[/] ({', '.join(gated) or 'no floors for these sets'})")


@app.command()
def sites(sites_file: Annotated[Path | None, typer.Option("--sites")] = None) -> None:
    """List the configured sites and their discovery sources."""
    try:
        cfg = load_sites(sites_file)
    except ConfigError as e:
        err.print(f"[red]{e}[/]")
        raise typer.Exit(1) from e
    table = Table()
    for c in ("name", "start urls", "feeds", "sitemaps", "max pages", "max age (days)"):
        table.add_column(c)
    for s in cfg.sites:
        table.add_row(s.name, str(len(s.start_urls)), str(len(s.feeds)), str(len(s.sitemaps)),
                      str(s.limits.max_pages), str(s.limits.max_age_days))  # fmt: skip
    out.print(table)


for _module in (cli_ops, cli_consumers, cli_profiles, cli_verify, cli_import):
    _module.register(app)


if __name__ == "__main__":
    app()
