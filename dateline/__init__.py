"""Dateline: scheduled news crawling into a clean, dated, immutable archive."""

__version__ = "0.1.0"
