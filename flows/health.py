"""The archive's health over time, so a silently broken spider is noticed.

Per site, for the last N days: articles stored per day (new articles and new versions, by
the UTC day of the run that stored them), runs and failed pages per day, the share of stored
articles without a found publication date, the mean text length and the share of records with
low extraction confidence (warned about above ``max_low_confidence_share``; a warning, not
Unhealthy, while confidence ranks bad pages only roughly). A site whose count
fell to zero for the last ``quiet_days`` is flagged, and so is a configured site that stored
nothing in the whole window. Counts come from the run manifests (cheap to list by day from
their keys); text lengths and confidence from a sample of the records those manifests name.

The `archive-health` flow (scheduled daily, see prefect.yaml) writes a table artifact per
site, an overview table and a report, and ends Completed, or Completed named "Unhealthy"
when a site is flagged (an automation in automations/ tells operators). It also runs
`archive.verify` over what the last ``verify_days`` days wrote (records parse and match their
hash, raw pages, URL markers, feed entries) and is Unhealthy when that finds a problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any, Literal

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.states import Completed, State

from archive import keys
from archive.reader import ArchiveReader
from archive.records import LOW_CONFIDENCE, ArticleRecord, RunManifest
from archive.store import NotFound, ObjectStore, open_store
from archive.verify import VerifyReport, verify
from core.config import DEFAULT_ARCHIVE, load_sites
from extraction.confidence import is_low
from flows.report import site_url

STORED = ("new", "new_version")
UNHEALTHY = "Unhealthy"
Status = Literal["ok", "fell-to-zero", "nothing-stored"]


@dataclass
class DayCounts:
    stored_new: int = 0
    stored_new_version: int = 0
    runs: int = 0
    failed_pages: int = 0

    @property
    def articles(self) -> int:
        return self.stored_new + self.stored_new_version


@dataclass
class SiteHealth:
    """One site over the window, oldest day first."""

    site: str
    days: dict[date, DayCounts]
    stored_keys: list[str] = field(default_factory=list)  # article keys the window's runs wrote
    text_lengths: list[int] = field(default_factory=list)  # of a sample of those records
    low_confidence: list[bool] = field(default_factory=list)  # per sampled record that has a confidence

    @property
    def articles(self) -> int:
        return sum(d.articles for d in self.days.values())

    @property
    def undated_share(self) -> float | None:
        """Share of stored articles whose key sits in the ``date=unknown`` partition."""
        if not self.stored_keys:
            return None
        undated = sum(keys.partition_value(k, "date") == keys.UNDATED for k in self.stored_keys)
        return round(undated / len(self.stored_keys), 3)

    @property
    def low_confidence_share(self) -> float | None:
        """Share of sampled records whose ``extraction.confidence`` is low (records written
        before confidence existed carry none and are left out)."""
        if not self.low_confidence:
            return None
        return round(sum(self.low_confidence) / len(self.low_confidence), 3)

    def low_confidence_over(self, max_share: float) -> bool:
        share = self.low_confidence_share
        return share is not None and share > max_share

    @property
    def mean_text_chars(self) -> float | None:
        return round(sum(self.text_lengths) / len(self.text_lengths), 1) if self.text_lengths else None

    @property
    def last_day_with_articles(self) -> date | None:
        return max((d for d, c in self.days.items() if c.articles), default=None)

    def status(self, quiet_days: int) -> Status:
        recent = sorted(self.days)[-quiet_days:] if quiet_days > 0 else []
        if self.articles == 0:
            return "nothing-stored"
        return "fell-to-zero" if all(self.days[d].articles == 0 for d in recent) else "ok"


def window(today: date, days: int) -> list[date]:
    """The last ``days`` calendar days up to and including ``today``, oldest first."""
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


def run_day(manifest_key: str) -> date | None:
    """'runs/site=a/20261123T095100Z-<run>.json' -> 2026-11-23 (the key sorts by UTC start)."""
    stamp = PurePosixPath(manifest_key).name[:8]
    try:
        return datetime.strptime(stamp, "%Y%m%d").replace(tzinfo=UTC).date()
    except ValueError:
        return None


def manifests_since(store: ObjectStore, site: str, first_day: date) -> Iterable[tuple[date, RunManifest]]:
    """Manifests of runs that started on or after ``first_day``; older ones are not read."""
    for key in store.list(keys.runs_prefix(site)):
        day = run_day(key)
        if key.endswith(".json") and day is not None and day >= first_day:
            yield day, RunManifest.model_validate_json(store.get(key))


def sample_records(store: ObjectStore, stored_keys: list[str], sample: int) -> list[ArticleRecord]:
    """The newest ``sample`` records written (a record may since be missing)."""
    out = []
    for key in stored_keys[-sample:] if sample > 0 else []:
        try:
            out.append(ArticleRecord.model_validate_json(store.get(key)))
        except NotFound:
            continue
    return out


def site_health(store: ObjectStore, site: str, days: list[date], sample: int = 200) -> SiteHealth:
    health = SiteHealth(site, {d: DayCounts() for d in days})
    for day, m in manifests_since(store, site, days[0]):
        counts = health.days.get(day)
        if counts is None:  # a run stamped after "today" (clock skew): not in the window
            continue
        counts.runs += 1
        counts.stored_new += m.stats.stored_new
        counts.stored_new_version += m.stats.stored_new_version
        counts.failed_pages += m.stats.failed
        health.stored_keys += [w["key"] for w in m.written if w.get("status") in STORED and w.get("key")]
    records = sample_records(store, health.stored_keys, sample)
    health.text_lengths = [len(r.text) for r in records]
    health.low_confidence = [is_low(r.extraction) for r in records if r.extraction is not None]
    return health


def artifact_key(prefix: str, site: str) -> str:
    """Artifact keys allow lowercase letters, digits and dashes only."""
    return f"{prefix}-{re.sub(r'[^a-z0-9-]', '-', site.lower())}"


def day_rows(health: SiteHealth) -> list[dict[str, Any]]:
    return [
        {"date": d.isoformat(), "articles": c.articles, "new": c.stored_new, "new_versions": c.stored_new_version,
         "runs": c.runs, "failed_pages": c.failed_pages}
        for d, c in sorted(health.days.items())
    ]  # fmt: skip


def overview_row(health: SiteHealth, quiet_days: int) -> dict[str, Any]:
    last = health.last_day_with_articles
    return {
        "site": health.site,
        "status": health.status(quiet_days),
        "articles": health.articles,
        "last_day_with_articles": last.isoformat() if last else "",
        "runs": sum(c.runs for c in health.days.values()),
        "failed_pages": sum(c.failed_pages for c in health.days.values()),
        "undated_share": health.undated_share,
        "mean_text_chars": health.mean_text_chars,
        "low_confidence_share": health.low_confidence_share,
    }


def flagged(healths: list[SiteHealth], quiet_days: int) -> list[SiteHealth]:
    return [h for h in healths if h.status(quiet_days) != "ok"]


def report_markdown(
    healths: list[SiteHealth],
    days: list[date],
    quiet_days: int,
    archive: str,
    max_low_confidence_share: float,
) -> str:
    lines = [
        "# Archive health",
        "",
        f"Archive `{archive}`, {days[0]} to {days[-1]} (UTC days of the runs). A site is flagged when it "
        f"stored no article in the last {quiet_days} day(s).",
        "",
        "## Sites whose counts fell to zero",
        "",
    ]
    bad = flagged(healths, quiet_days)
    for h in bad:
        last = h.last_day_with_articles
        since = f"last article stored {last}" if last else f"nothing stored in {len(days)} days"
        lines.append(f"- **{h.site}**: {since}; see artifact `{artifact_key('archive-health', h.site)}`")
    if not bad:
        lines.append("None: every site stored articles recently.")
    lines += ["", f"## Sites with low-confidence text (share above {max_low_confidence_share:.0%})", ""]
    unsure = [h for h in healths if h.low_confidence_over(max_low_confidence_share)]
    for h in unsure:
        lines.append(
            f"- **{h.site}**: {sum(h.low_confidence)} of {len(h.low_confidence)} sampled record(s) have "
            f"`extraction.confidence` < {LOW_CONFIDENCE}"
        )
    if not unsure:
        lines.append("None.")
    return "\n".join(lines)


def verify_markdown(report: VerifyReport, since: date) -> str:
    """The verification section of the report: counts, then the first problems."""
    checked = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in sorted(report.checked.items()))
    lines = [
        "## Archive verification",
        "",
        f"What runs wrote since {since}: checked {checked or 'nothing'}.",
        "",
    ]
    if report.ok:
        return "\n".join([*lines, "No problems."])
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(report.problem_counts.items()))
    lines += [f"**{report.problems} problem(s)**: {kinds}. First ones:", ""]
    return "\n".join([*lines, *(f"- `{p.line()}`" for p in report.first)])


def _sites(reader: ArchiveReader, sites_file: str | None) -> dict[str, str]:
    """Every site in the archive or in the sites file -> its address ("" if no longer configured)."""
    configured = {s.name: site_url(s) for s in load_sites(sites_file).sites}
    return {name: configured.get(name, "") for name in sorted(set(reader.sites()) | set(configured))}


@flow(name="archive-health")
def archive_health(
    archive: str = DEFAULT_ARCHIVE,
    sites_file: str | None = None,
    days: int = 14,
    quiet_days: int = 2,
    sample: int = 200,
    verify_days: int = 2,
    max_low_confidence_share: float = 0.2,
) -> State:
    """Per-site articles per day for the last ``days`` days, the share without a found date, the
    mean text length and the low-confidence share (a warning above ``max_low_confidence_share``),
    and `dateline verify` over the last ``verify_days`` days (0: skip); Completed named
    "Unhealthy" when a site's counts fell to zero or verification found damage."""
    logger = get_run_logger()
    store = open_store(archive)
    span = window(datetime.now(UTC).date(), days)
    sites = _sites(ArchiveReader(store), sites_file)
    healths = [site_health(store, site, span, sample) for site in sites]
    for h in healths:
        description = f"{h.site}: undated share {h.undated_share}, mean text length {h.mean_text_chars} chars"
        create_table_artifact(
            key=artifact_key("archive-health", h.site), table=day_rows(h), description=description
        )
    rows = [overview_row(h, quiet_days) for h in healths]
    create_table_artifact(
        key="archive-health", table=rows, description=f"Per-site archive health, last {days} days"
    )
    markdown = report_markdown(healths, span, quiet_days, archive, max_low_confidence_share)
    damage: list[str] = []
    if verify_days > 0:
        since = span[-1] - timedelta(days=verify_days - 1)
        checked = verify(store, since=since)
        markdown += "\n\n" + verify_markdown(checked, since)
        if not checked.ok:
            damage = [f"archive verification found {checked.problems} problem(s) since {since}"]
            for problem in checked.first:
                logger.error("verify: %s", problem.line())
    create_markdown_artifact(key="archive-health-report", markdown=markdown)
    bad = flagged(healths, quiet_days)
    for h in bad:
        logger.warning(
            "[%s] no article stored in the last %d day(s) (%s; site %s)",
            h.site, quiet_days, h.status(quiet_days), sites[h.site] or "no longer configured",
        )  # fmt: skip
    for h in healths:
        if h.low_confidence_over(max_low_confidence_share):
            logger.warning(
                "[%s] %.0f%% of %d sampled record(s) have low extraction confidence, above %.0f%% (site %s)",
                h.site, 100 * (h.low_confidence_share or 0), len(h.low_confidence), 100 * max_low_confidence_share,
                sites[h.site] or "no longer configured",
            )  # fmt: skip
    if bad or damage:
        quiet = [f"no articles recently from: {', '.join(h.site for h in bad)}"] if bad else []
        return Completed(name=UNHEALTHY, message="; ".join(quiet + damage), data=rows)
    return Completed(message=f"{len(healths)} site(s) healthy", data=rows)
