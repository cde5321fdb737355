"""Which records of a WARC file an import keeps: hosts of configured sites (or given domains), and
publication dates in a range. Decided per record from its URL and WARC-Date, before any parsing.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from core.config import ConfigError, Site, load_sites
from core.urls import host_allowed, host_of

LATEST_OFFSET = timedelta(hours=14)  # a page's own date can be this far ahead of UTC


@dataclass
class Selection:
    """The sites an import feeds, the hosts that belong to them, and the date range (inclusive,
    of the publication date; None = open)."""

    sites: list[Site]
    domains: list[str] = field(default_factory=list)  # when given, only these hosts (and subdomains)
    since: date | None = None
    until: date | None = None
    _by_host: dict[str, Site | None] = field(default_factory=dict, repr=False)
    _by_domain: dict[str, int] = field(default_factory=dict, repr=False)  # domain -> first site's index

    def __post_init__(self) -> None:
        for n, site in enumerate(self.sites):
            for domain in site.allowed_domains:
                self._by_domain.setdefault(domain.lower().removeprefix("www."), n)

    def site_for(self, host: str) -> Site | None:
        """The first site whose domains hold the host (``host_allowed``: the host or a parent
        domain), looked up by the host's suffixes, and cached: a CC-NEWS file has thousands of
        hosts, a sites file hundreds of sites."""
        if host not in self._by_host:
            suffixes = _suffixes(host.lower().removeprefix("www."))
            site = None
            if not self.domains or host_allowed(host, self.domains):
                found = [self._by_domain[d] for d in suffixes if d in self._by_domain]
                site = self.sites[min(found)] if found else None
            self._by_host[host] = site
        return self._by_host[host]

    def wanted(self, url: str, fetched_at: datetime | None) -> str | None:
        """Why a response is not wanted (None: it is). A page fetched before ``since`` (in the
        easternmost zone) was published before it too, so it is skipped without cleaning."""
        if self.site_for(host_of(url)) is None:
            return "unconfigured-domain"
        if self.since and fetched_at is not None and (fetched_at + LATEST_OFFSET).date() < self.since:
            return "fetched-before-since"
        return None

    def in_range(self, published: str | None, fetched_at: datetime) -> bool:
        """Publication date in the range; an undated page by its fetch date instead."""
        day = published or fetched_at.date().isoformat()
        return not (
            (self.since and day < self.since.isoformat()) or (self.until and day > self.until.isoformat())
        )

    def key(self) -> str:
        """Names this selection in import markers: a file imported for other sites is read again."""
        spec = {
            "sites": sorted(s.name for s in self.sites),
            "domains": sorted(self.domains),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def _suffixes(host: str) -> list[str]:
    """``a.b.c`` -> ``a.b.c``, ``b.c``, ``c``."""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def domain_site(domain: str) -> Site:
    """An ad-hoc site for a ``--domain`` no configured site covers: named by the domain."""
    name = re.sub(r"[^a-z0-9]+", "-", domain.lower()).strip("-")[:64] or "domain"
    return Site(name=name, start_urls=[f"https://{domain}/"], allowed_domains=[domain.lower()])


def build_selection(
    sites_file: str | Path | None = None,
    site_names: list[str] | None = None,
    domains: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Selection:
    """Sites of the sites file (the bundled one by default), narrowed by ``site_names``; with
    ``domains`` only those hosts are kept, each as its configured site or an ad-hoc one."""
    config = load_sites(sites_file)
    chosen = config.select(site_names)
    domains = [d.lower().removeprefix("www.") for d in domains or []]
    if since and until and since > until:
        raise ConfigError(f"--since {since} is after --until {until}")
    sites = list(chosen)
    for domain in domains:
        if not any(host_allowed(domain, s.allowed_domains) for s in chosen):
            if site_names:
                raise ConfigError(f"domain {domain} belongs to none of the sites {', '.join(site_names)}")
            sites.append(domain_site(domain))
    return Selection(sites=sites, domains=domains, since=since, until=until)
