"""`dateline profile`: what a site's boilerplate profile has learned; registered by dateline/cli.py."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from archive.reader import ArchiveReader
from archive.store import StoreError, open_store
from core.config import DEFAULT_ARCHIVE
from core.profiles import load_profile, summary
from dateline.cli_common import err, out
from extraction.profile import SiteProfile


def profile(
    site: Annotated[str, typer.Argument(help="site name (as in the sites file and archive keys)")],
    archive: Annotated[
        str,
        typer.Option("--archive", "-a", help="local folder or s3://bucket/prefix", envvar="DATELINE_ARCHIVE"),
    ] = DEFAULT_ARCHIVE,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
    limit: Annotated[int, typer.Option(help="at most N blocks and N texts")] = 50,
    versions: Annotated[bool, typer.Option("--versions", help="list the stored versions")] = False,
) -> None:
    """Show a site's learned boilerplate: blocks (DOM path + text) and texts, with page counts."""
    try:
        store = open_store(archive)
        if versions:
            for key in ArchiveReader(store).profile_keys(site):
                sys.stdout.write(key + "\n")
            return
        found = load_profile(store, site)
    except StoreError as e:
        err.print(f"[red]cannot read archive {archive}:[/] {e}")
        raise typer.Exit(1) from e
    if found is None:
        err.print(f"[yellow]no profile for {site} in {archive}[/] (one is written at the end of each crawl)")
        raise typer.Exit(1)
    data = summary(found, limit)
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        return
    _print(found, data)


def _print(found: SiteProfile, data: dict[str, Any]) -> None:
    out.print(
        f"[bold]{found.site}[/] profile {found.version}: {data['pages']} pages "
        f"({found.pages_total} counted in all), boilerplate from {data['needs_pages']} pages on"
    )
    for title, rows, with_path in (("blocks", data["blocks"], True), ("texts", data["texts"], False)):
        table = Table(title=f"learned {title}")
        table.add_column("pages", justify="right")
        if with_path:
            table.add_column("path", overflow="fold", max_width=50)
        table.add_column("text", overflow="fold")
        for row in rows:
            path = (
                ["…" + row["path"][-48:] if len(row["path"] or "") > 48 else row["path"]] if with_path else []
            )
            table.add_row(f"{row['pages']:g}", *path, (row["text"] or "")[:120])
        out.print(table)


def register(app: typer.Typer) -> None:
    """Add the profile command to the main CLI."""
    app.command("profile")(profile)
