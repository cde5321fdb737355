"""Dateline: scheduled news crawling into a clean, dated, immutable archive (the CLI and service shell)."""

from core import __version__

__all__ = ["__version__"]
