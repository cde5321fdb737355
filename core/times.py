"""Small time helpers: one clock (UTC) and one tolerant parser for feed/sitemap dates."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso_utc(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def compact(dt: datetime) -> str:
    """20261123T105100Z: sortable and safe in object keys."""
    return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def parse_loose_date(raw: str) -> datetime | None:
    """ISO 8601 (sitemaps, Atom) or RFC 822 (RSS) to an aware datetime; naive values read as UTC."""
    raw = raw.strip()
    if not raw:
        return None
    value: datetime | None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        try:
            value = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
