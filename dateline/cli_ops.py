"""`dateline` commands for ops; registered on the main app by dateline/cli.py."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main CLI."""
