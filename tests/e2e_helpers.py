"""Shared checks for end-to-end crawl tests: truth comparison and boilerplate detection."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from archive.records import ArticleRecord

# Settings that keep loopback crawls fast; behaviour is the same as production. One extraction
# worker: a spawned worker's start (~4 s CPU) outweighs cleaning a test site's ~10 pages; the
# pool itself is the same code (the CLI tests in test_stop_kill run the default size).
FAST_SETTINGS: dict[str, Any] = {
    "RETRY_TIMES": 1,
    "DOWNLOAD_TIMEOUT": 3,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "PROGRESS_INTERVAL": 0.5,
    "EXTRACT_WORKERS": 1,
}

# Families from tests/data/outlet-texts/README.md that must never reach the archive.
BOILERPLATE = re.compile(
    r"^(read next|also read|others are reading now|read more|show more|news feed|sources?:|"
    r"leave the first comment|got story updates\?|what is your opinion)",
    re.IGNORECASE | re.MULTILINE,
)


def write_sites_file(tmp: Path, config: dict[str, Any]) -> str:
    path = tmp / "sites.yaml"
    path.write_text(yaml.safe_dump({"sites": [config]}), encoding="utf-8")
    return str(path)


def same_publication(record: ArticleRecord, truth_published: str) -> bool:
    """The record's date equals the truth: same instant when both have a time, else same day."""
    truth = datetime.fromisoformat(truth_published)
    if record.published.datetime:
        ours = datetime.fromisoformat(record.published.datetime.replace("Z", "+00:00"))
        if ours.tzinfo and truth.tzinfo:
            return (
                abs((ours - truth).total_seconds()) < 120 or record.published.date == truth.date().isoformat()
            )
    return record.published.date == truth.date().isoformat()


def body_recall(text: str, paragraphs: list[str]) -> float:
    """Share of the truth's body words that appear in the archived text (order-free, cheap)."""
    words = [w for p in paragraphs for w in p.split()]
    if not words:
        return 1.0
    have = set(text.split())
    return sum(w in have for w in words) / len(words)
