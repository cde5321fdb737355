"""`dateline verify`: check the archive after an incident (thin shell over archive/verify.py).

Exit codes: 0 clean; 1 problems found (or bad input); 2 the archive could not be read.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from archive.store import StoreError, open_store
from archive.verify import verify as verify_archive
from core.config import DEFAULT_ARCHIVE
from dateline.cli_common import ArchiveOpt, err, out
from dateline.cli_consumers import _day


def verify(
    archive: ArchiveOpt = DEFAULT_ARCHIVE,
    site: Annotated[str | None, typer.Option("--site", help="only this site")] = None,
    since: Annotated[
        str | None, typer.Option(help="only what runs wrote from this day on (YYYY-MM-DD, UTC)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as one JSON object")] = False,
) -> None:
    """Check every record parses and matches its hash, has its raw WARC, and that URL markers
    and change-feed entries name existing records. Prints counts and the first problems."""
    day = _day(since, "since")
    try:
        report = verify_archive(open_store(archive), site=site, since=day)
    except StoreError as e:
        err.print(f"[red]archive not readable:[/] {e}")
        raise typer.Exit(2) from e
    if as_json:
        out.print_json(json.dumps(report.summary()))
    else:
        table = Table(title=f"verify {archive}")
        table.add_column("checked")
        table.add_column("count", justify="right")
        for name, n in sorted(report.checked.items()):
            table.add_row(name, str(n))
        for kind, n in sorted(report.problem_counts.items()):
            table.add_row(f"[red]{kind}[/]", str(n))
        out.print(table)
        for problem in report.first:
            out.print(problem.line(), markup=False, highlight=False)
        if report.ok:
            out.print("[green]archive verified: no problems[/]")
        else:
            out.print(f"[red]{report.problems} problem(s)[/]")
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main CLI."""
    app.command()(verify)
