"""URL normalisation shared by discovery, dedupe and canonical-URL decisions."""

from __future__ import annotations

from urllib.parse import urlsplit

from courlan import normalize_url as _courlan_normalize


def normalize_url(url: str) -> str:
    """Lower-case host, no fragment, no tracking parameters (utm_*, fbclid, gclid, ...).

    Two URLs that differ only in those lead to the same article, so they must
    dedupe before fetching and map to the same id.
    """
    try:
        return str(_courlan_normalize(url, strict=True))
    except (ValueError, AttributeError):
        return url.split("#", 1)[0]


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def host_allowed(host: str, allowed_domains: list[str]) -> bool:
    """True when ``host`` is one of the domains or a subdomain of one."""
    host = host.lower().removeprefix("www.")
    return any(
        host == d or host.endswith("." + d) for d in (a.lower().removeprefix("www.") for a in allowed_domains)
    )
