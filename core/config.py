"""Configuration: the sites file (YAML) validated by pydantic before any request is made.

Defaults live here in one place; a sites file overrides them per file (``defaults:``)
and per site (``limits:``). A missing or invalid file is an error, never a silent default.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DEFAULT_USER_AGENT = "DatelineBot/0.1 (+https://github.com/dateline-archive/dateline; news archival crawler)"
DEFAULT_ARCHIVE = "data/archive"


class ConfigError(Exception):
    """Bad configuration: never retried, always reported with what to fix."""


class Limits(BaseModel):
    """Per-site crawl limits; every field may be overridden per site."""

    model_config = ConfigDict(extra="forbid")

    max_pages: int = Field(500, ge=1, description="responses per run (Scrapy CLOSESPIDER_PAGECOUNT)")
    max_age_days: float | None = Field(7, ge=0, description="skip articles older than this; null = no limit")
    download_delay: float = Field(1.0, ge=0, description="seconds between requests (AutoThrottle start)")
    concurrency: int = Field(4, ge=1, le=64, description="concurrent requests to the site")
    depth: int = Field(2, ge=0, le=10, description="link hops from start pages through section pages")
    timeout: float = Field(30, gt=0, description="seconds per request")
    max_run_minutes: float = Field(60, gt=0, description="a run stops cleanly after this")


class Site(BaseModel):
    """One news site: where to discover articles and how to tell them from other pages."""

    model_config = ConfigDict(extra="forbid")

    name: str
    start_urls: list[str] = Field(default_factory=list)
    feeds: list[str] = Field(default_factory=list)
    sitemaps: list[str] = Field(default_factory=list)
    allowed_domains: list[str] = Field(default_factory=list)
    article_patterns: list[str] = Field(default_factory=list)
    exclude_patterns: list[str] = Field(default_factory=list)
    user_agent: str | None = None
    obey_robots: bool = True
    limits: Limits = Field(default_factory=Limits)

    @field_validator("name")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", v):
            raise ValueError("site name must be a lowercase slug: a-z, 0-9, '-' or '_'")
        return v

    @field_validator("start_urls", "feeds", "sitemaps")
    @classmethod
    def _http_urls(cls, urls: list[str]) -> list[str]:
        for u in urls:
            if urlsplit(u).scheme not in ("http", "https"):
                raise ValueError(f"not an http(s) URL: {u!r}")
        return urls

    @field_validator("article_patterns", "exclude_patterns")
    @classmethod
    def _regexes(cls, patterns: list[str]) -> list[str]:
        for p in patterns:
            try:
                re.compile(p)
            except re.error as e:
                raise ValueError(f"bad regular expression {p!r}: {e}") from e
        return patterns

    @model_validator(mode="after")
    def _derive(self) -> Site:
        if not (self.start_urls or self.feeds or self.sitemaps):
            raise ValueError(f"site {self.name!r} needs at least one of start_urls, feeds, sitemaps")
        if not self.allowed_domains:
            hosts = {urlsplit(u).hostname for u in [*self.start_urls, *self.feeds, *self.sitemaps]}
            self.allowed_domains = sorted(h.removeprefix("www.") for h in hosts if h)
        return self


class SitesFile(BaseModel):
    """The whole sites file: shared defaults plus the list of sites."""

    model_config = ConfigDict(extra="forbid")

    user_agent: str = DEFAULT_USER_AGENT
    defaults: Limits = Field(default_factory=Limits)
    sites: list[Site] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _layer_defaults(cls, data: object) -> object:
        """Per-site limits are layered over the file's defaults, field by field (an empty
        ``sites:`` is read as no sites; crawling then says so)."""
        if isinstance(data, dict):
            if data.get("sites") is None:
                data = {**data, "sites": []}
            defaults = data.get("defaults") or {}
            for site in data.get("sites") or []:
                if isinstance(site, dict):
                    site["limits"] = {**defaults, **(site.get("limits") or {})}
        return data

    @model_validator(mode="after")
    def _unique(self) -> SitesFile:
        names = [s.name for s in self.sites]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate site names: {', '.join(dupes)}")
        return self

    def select(self, names: list[str] | None) -> list[Site]:
        """The sites to crawl; unknown names, or no sites at all, are a configuration error."""
        if not self.sites:
            raise ConfigError("no sites configured (the sites file lists none under `sites:`)")
        if not names:
            return list(self.sites)
        known = {s.name: s for s in self.sites}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ConfigError(f"unknown site(s): {', '.join(unknown)}; known: {', '.join(known)}")
        return [known[n] for n in names]

    def user_agent_for(self, site: Site) -> str:
        return site.user_agent or self.user_agent


def bundled_sites_path() -> Path:
    return Path(str(resources.files("core") / "sites.yaml"))


def parse_sites(data: object, origin: str = "<data>") -> SitesFile:
    try:
        return SitesFile.model_validate(data)
    except ValidationError as e:
        raise ConfigError(f"invalid sites file {origin}:\n{e}") from e


def load_sites(path: str | Path | None = None) -> SitesFile:
    """Load and validate a sites file (the bundled one when ``path`` is None)."""
    p = Path(path) if path is not None else bundled_sites_path()
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ConfigError(f"sites file not found: {p}") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"sites file {p} is not valid YAML: {e}") from e
    return parse_sites(raw, str(p))
