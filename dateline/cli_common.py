"""What every CLI command module shares: consoles, the archive option, opening and looking up.

A module of its own because `dateline.cli` imports the command modules (`cli_consumers`, ...),
so they cannot import these from it.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from archive.reader import ArchiveReader
from archive.records import ArticleRecord
from archive.store import StoreError, open_store

# Logs and CI have no terminal: rich would then wrap tables at 80 columns, one letter per line.
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
out = Console(width=None if sys.stdout.isatty() else 160)

ArchiveOpt = Annotated[
    str, typer.Option("--archive", "-a", help="local folder or s3://bucket/prefix", envvar="DATELINE_ARCHIVE")
]


def open_reader(archive: str) -> ArchiveReader:
    """The archive's reader, or exit 1 with the reason when it cannot be opened."""
    try:
        return ArchiveReader(open_store(archive))
    except StoreError as e:
        err.print(f"[red]cannot open archive {archive}:[/] {e}")
        raise typer.Exit(1) from e


def lookup(reader: ArchiveReader, ref: str) -> ArticleRecord:
    """An article's latest version by id or URL, or exit 1 saying it is not archived."""
    record = reader.get_by_url(ref) if "://" in ref else reader.get(ref)
    if record is None:
        err.print(f"[red]not in the archive:[/] {ref}")
        raise typer.Exit(1)
    return record
