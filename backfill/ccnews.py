"""CC-NEWS: Common Crawl's news WARC files, listed per month in ``warc.paths.gz``.

A listing names each file by its path under the dataset's root (``crawl-data/CC-NEWS/2024/05/
CC-NEWS-20240501....warc.gz``), so the same listing works on the S3 bucket (anonymous access), its
HTTPS mirror, or a copy: only the root (``base``) changes.
"""

from __future__ import annotations

import gzip
import re
import zlib

from archive.sources import SourceError, read_all

DEFAULT_BASE = "s3://commoncrawl/"
HTTPS_BASE = "https://data.commoncrawl.org/"
DEFAULT_PREFIX = "crawl-data/CC-NEWS/"
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_month(value: str) -> tuple[int, int]:
    """'2024-05' -> (2024, 5); ValueError for anything else."""
    match = _MONTH.fullmatch(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"not a month (YYYY-MM): {value!r}")
    return int(match.group(1)), int(match.group(2))


def months(first: str, last: str) -> list[str]:
    """'2024-11', '2025-01' -> ['2024/11', '2024/12', '2025/01'] (path segments of the listings)."""
    (y, m), end = parse_month(first), parse_month(last)
    if (y, m) > end:
        raise ValueError(f"--from {first} is after --to {last}")
    out = []
    while (y, m) <= end:
        out.append(f"{y:04d}/{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _root(base: str) -> str:
    return base if base.endswith("/") else base + "/"


def listing_uri(base: str, prefix: str, month: str) -> str:
    return f"{_root(base)}{prefix.strip('/')}/{month}/warc.paths.gz"


def warc_uris(first: str, last: str, base: str = DEFAULT_BASE, prefix: str = DEFAULT_PREFIX) -> list[str]:
    """The WARC files of the months from ``first`` to ``last``, in listing order.
    Raises SourceError when a month's listing cannot be read."""
    uris = []
    for month in months(first, last):
        listing = listing_uri(base, prefix, month)
        try:
            text = gzip.decompress(read_all(listing)).decode("utf-8")
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as e:
            raise SourceError(f"cannot read the listing {listing}: {e}") from e
        uris += [_root(base) + line.strip().lstrip("/") for line in text.splitlines() if line.strip()]
    return uris
