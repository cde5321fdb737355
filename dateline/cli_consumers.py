"""`dateline` commands for consumers; registered on the main app by dateline/cli.py.

`follow` (change feed), `export` (one local file), `compact` (Parquet beside the JSON),
`similar` (other tellings of a story) and `reextract` (better text from stored raw pages).
Each is a thin shell over archive/ and flows/; data goes to stdout, messages to stderr.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from archive.store import StoreError
from core.config import DEFAULT_ARCHIVE
from dateline.cli_common import ArchiveOpt, err, lookup, open_reader

SitesOpt = Annotated[list[str] | None, typer.Option("--site", help="only these sites (repeatable)")]
SinceOpt = Annotated[str | None, typer.Option(help="publication date from (YYYY-MM-DD)")]
UntilOpt = Annotated[str | None, typer.Option(help="publication date to, inclusive")]


class Format(StrEnum):
    jsonl = "jsonl"
    parquet = "parquet"


def _day(value: str | None, name: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError as e:
        err.print(f"[red]--{name} must be YYYY-MM-DD, got {value!r}[/]")
        raise typer.Exit(1) from e


def follow(
    archive: ArchiveOpt = DEFAULT_ARCHIVE,
    since: Annotated[str | None, typer.Option(help="cursor printed by the previous call")] = None,
) -> None:
    """Print records stored after CURSOR (all without) as JSON lines; the next cursor goes to stderr.

    The last stderr line is `cursor: VALUE`; pass VALUE as --since next time.
    """
    reader = open_reader(archive)
    try:
        batch = reader.follow(since)
    except ValueError as e:  # a malformed cursor
        err.print(f"[red]{e}[/]")
        raise typer.Exit(1) from e
    done, count = batch.cursor, 0  # the cursor after the last record actually printed
    try:
        for entry in batch:
            sys.stdout.write(reader.record(entry.key).model_dump_json() + "\n")
            done, count = batch.cursor, count + 1
    except StoreError as e:  # print what we have: the cursor resumes right after it
        sys.stdout.flush()
        err.print(f"[red]archive error after {count} record(s), retry with the cursor below:[/] {e}")
        sys.stderr.write(f"cursor: {done}\n")
        raise typer.Exit(1) from e
    done = batch.cursor  # exhausted: also past the ends of finished logs, which it need not poll again
    sys.stdout.flush()
    err.print(f"{count} new record(s)")
    sys.stderr.write(f"cursor: {done}\n")  # plain write: rich would wrap a long cursor


def export(
    output: Annotated[Path, typer.Option("--output", "-o", help="file to write (replaced when done)")],
    fmt: Annotated[Format, typer.Option("--format", help="jsonl or parquet")] = Format.jsonl,
    archive: ArchiveOpt = DEFAULT_ARCHIVE,
    site: SitesOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
) -> None:
    """Write one row per article (latest version) to a local JSONL or Parquet file."""
    from archive.export import export as export_records

    reader = open_reader(archive)
    rows = export_records(reader, output, fmt.value, site or None, _day(since, "since"), _day(until, "until"))
    err.print(f"{rows} article(s) -> {output}")


def compact(
    archive: ArchiveOpt = DEFAULT_ARCHIVE,
    site: SitesOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    days: Annotated[int, typer.Option(help="without --site/--since/--until: days of feed to compact")] = 2,
) -> None:
    """Compact site-days into Parquet beside the JSON (the `export-parquet` flow, on demand)."""
    from flows.export import export_parquet

    _day(since, "since"), _day(until, "until")
    counts = export_parquet(archive=archive, days=days, sites=site or None, since=since, until=until)
    err.print(json.dumps(counts))


def similar(
    ref: Annotated[str, typer.Argument(help="article id or URL")],
    archive: ArchiveOpt = DEFAULT_ARCHIVE,
    threshold: Annotated[float | None, typer.Option(help="minimum story similarity")] = None,
    limit: Annotated[int, typer.Option(help="at most this many")] = 50,
) -> None:
    """List other tellings and near-copies of an article as JSON lines, best first."""
    from archive.similarity import STORY_THRESHOLD

    reader = open_reader(archive)
    record = lookup(reader, ref)
    for match in reader.similar(record.id, threshold=threshold or STORY_THRESHOLD, limit=limit):
        sys.stdout.write(match.model_dump_json() + "\n")


def reextract(
    archive: ArchiveOpt = DEFAULT_ARCHIVE,
    site: SitesOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    sites_file: Annotated[Path | None, typer.Option("--sites", help="sites YAML (allowed domains)")] = None,
) -> None:
    """Clean the stored raw pages again; store new versions where the text changed (a flow run)."""
    from flows.reextract import reextract as reextract_flow

    _day(since, "since"), _day(until, "until")
    rows = reextract_flow(
        archive=archive, sites=site or None, since=since, until=until,
        sites_file=str(sites_file) if sites_file else None,
    )  # fmt: skip
    table = Table(title="Re-extraction")
    for column in ("site", "new_versions", "unchanged", "not_article", "failed"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row[c]) for c in ("site", "new_versions", "unchanged", "not_article", "failed")))
    err.print(table)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main CLI."""
    for command in (follow, export, compact, similar, reextract):
        app.command()(command)
