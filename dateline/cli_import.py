"""`dateline import warc|cc-news`: backfill from WARC files through the crawl's cleaning and archive.

Registered on the main app by dateline/cli.py; the work is done in backfill/ (the `import-warc`
flow calls the same functions). Exit codes: 0 every file read; 1 bad input or configuration;
2 some files could not be read (they are read again by the next import).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from archive.sources import SourceError, expand
from archive.store import StoreError
from backfill import ccnews
from backfill.importer import ImportStats, import_warc
from backfill.importer import Progress as ProgressFn
from backfill.selection import build_selection
from backfill.summary import summary_rows
from core.config import DEFAULT_ARCHIVE, ConfigError
from dateline.cli_common import ArchiveOpt, err, out

import_app = typer.Typer(no_args_is_help=True, help="Backfill the archive from WARC files or CC-NEWS.")

SitesOpt = Annotated[Path | None, typer.Option("--sites", help="sites file (default: the bundled one)")]
SiteOpt = Annotated[list[str] | None, typer.Option("--site", help="only this configured site (repeatable)")]
DomainOpt = Annotated[
    list[str] | None, typer.Option("--domain", help="only this host and its subdomains (repeatable)")
]
SinceOpt = Annotated[str | None, typer.Option(help="published on or after (YYYY-MM-DD)")]
UntilOpt = Annotated[str | None, typer.Option(help="published on or before (YYYY-MM-DD)")]
WorkersOpt = Annotated[int | None, typer.Option(help="cleaning processes (default: one per core)")]


def _day(value: str | None, name: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError as e:
        raise ConfigError(f"{name} {value!r} is not a date (YYYY-MM-DD)") from e


_LINE = (
    "files · {task.fields[records]} records · {task.fields[rate]} rec/s · "
    "{task.fields[stored]} stored · {task.fields[failed]} failed"
)


@contextmanager
def _progress_bar() -> Iterator[ProgressFn]:
    """Files done of all, records read and their rate, articles stored, failures."""
    bar = Progress(
        TextColumn("[bold]import"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "files · {task.fields[records]} records · {task.fields[rate]} rec/s · "
            "{task.fields[stored]} stored · {task.fields[failed]} failed"
        ),
        TimeElapsedColumn(),
        console=err,
    )
    task = bar.add_task("import", total=None, records=0, rate="-", stored=0, failed=0)
    t0 = time.monotonic()

    def report(stats: ImportStats, uri: str, done: int, total: int) -> None:
        rate = stats.records / max(time.monotonic() - t0, 1e-6)
        bar.update(task, completed=done, total=total, records=stats.records, rate=f"{rate:,.0f}",
                   stored=sum(stats.stored.values()), failed=sum(stats.failed.values()))  # fmt: skip

    with bar:
        yield report


def _run(
    uris: list[str],
    archive: str,
    sites_file: Path | None,
    site: list[str] | None,
    domain: list[str] | None,
    since: str | None,
    until: str | None,
    workers: int | None,
) -> None:
    try:
        selection = build_selection(sites_file, site, domain, _day(since, "--since"), _day(until, "--until"))
    except ConfigError as e:
        err.print(f"[red]{e}[/]")
        raise typer.Exit(1) from e
    try:
        with _progress_bar() as report:
            stats = import_warc(archive, uris, selection, workers=workers, progress=report)
    except StoreError as e:
        err.print(f"[red]archive {archive} not writable:[/] {e}")
        raise typer.Exit(2) from e
    table = Table(title="Import summary")
    table.add_column("what")
    table.add_column("count", overflow="fold")
    for row in summary_rows(stats):
        table.add_row(*row)
    out.print(table)
    if stats.files_failed:
        raise typer.Exit(2)


@import_app.command("warc")
def import_warc_files(
    sources: Annotated[list[str], typer.Argument(help="WARC files or folders: paths, s3:// or http(s) URLs")],
    sites_file: SitesOpt = None,
    site: SiteOpt = None,
    domain: DomainOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    archive: ArchiveOpt = DEFAULT_ARCHIVE,
    workers: WorkersOpt = None,
) -> None:
    """Import WARC files (.warc, .warc.gz; streamed, never downloaded whole)."""
    try:
        uris = expand(sources)
    except SourceError as e:
        err.print(f"[red]{e}[/]")
        raise typer.Exit(1) from e
    _run(uris, archive, sites_file, site, domain, since, until, workers)


@import_app.command("cc-news")
def import_cc_news(
    from_month: Annotated[str, typer.Option("--from", help="first month, YYYY-MM")],
    to_month: Annotated[str, typer.Option("--to", help="last month, YYYY-MM")],
    sites_file: SitesOpt = None,
    site: SiteOpt = None,
    domain: DomainOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    base: Annotated[
        str, typer.Option(help=f"root of the data (or {ccnews.HTTPS_BASE})")
    ] = ccnews.DEFAULT_BASE,
    prefix: Annotated[str, typer.Option(help="CC-NEWS under the root")] = ccnews.DEFAULT_PREFIX,
    archive: ArchiveOpt = DEFAULT_ARCHIVE,
    workers: WorkersOpt = None,
) -> None:
    """Import the CC-NEWS files of the months from --from to --to (their warc.paths.gz listings)."""
    try:
        uris = ccnews.warc_uris(from_month, to_month, base, prefix)
    except (ValueError, SourceError) as e:
        err.print(f"[red]{e}[/]")
        raise typer.Exit(1) from e
    _run(uris, archive, sites_file, site, domain, since, until, workers)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main CLI."""
    app.add_typer(import_app, name="import")
