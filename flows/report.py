"""What operators read in the Prefect dashboard, as plain functions (tested without Prefect).

A crawl run ends with one ``SiteResult`` per site; from those come the per-site table, the
markdown report (failures worth a look, keys written), the progress percentage and the
run's verdict (Completed / Partial / Failed / Skipped), judged against ``Thresholds``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from archive import keys
from archive.records import LOW_CONFIDENCE, RunManifest
from core.config import Site

MAX_FAILURES_LISTED = 20
MAX_KEYS_LISTED = 20
RUNNING_CAP = 0.95  # a site's bar never shows done before its crawl has ended

Outcome = Literal["ok", "partial", "unreachable", "failed", "skipped"]
VerdictKind = Literal["completed", "partial", "failed", "skipped"]


@dataclass(frozen=True)
class Thresholds:
    """When failed pages turn a site's run into a Partial one (operator-set flow parameters)."""

    max_failed_share: float = 0.2  # failed pages / pages attempted
    max_failed_pages: int | None = None  # absolute cap; None = no cap


@dataclass
class SiteResult:
    """One site's part of a run: it ran (manifest), could not run (error) or was skipped."""

    site: str
    manifest: RunManifest | None = None
    error: str | None = None
    skipped: str | None = None  # why: another run of this site is still going

    def outcome(self, thresholds: Thresholds) -> Outcome:
        if self.skipped is not None:
            return "skipped"
        if self.manifest is not None and self.manifest.stats.unreachable:
            return "unreachable"
        if self.error is not None or self.manifest is None:
            return "failed"
        return "partial" if over_threshold(self.manifest, thresholds) else "ok"


class RunNotCompleted(Exception):
    """The result of a Failed or Skipped crawl run: Prefect resolves a failed or cancelled
    state's data into an exception (a plain list logs an ERROR traceback), so the summary
    rows travel inside one."""

    def __init__(self, message: str, rows: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.rows = rows


def result_rows(result: object) -> list[dict[str, Any]]:
    """The summary rows of a crawl run's result, whatever its final state."""
    if isinstance(result, RunNotCompleted):
        return result.rows
    return result if isinstance(result, list) else []


@dataclass(frozen=True)
class Verdict:
    """The run's final state, before it becomes a Prefect state."""

    kind: VerdictKind
    message: str


def site_url(site: Site) -> str:
    """The address that names a site in log lines about the whole site."""
    return next(iter([*site.start_urls, *site.feeds, *site.sitemaps]), "")


def pages_attempted(manifest: RunManifest) -> int:
    """Pages the crawl tried: fetched responses plus requests that got no usable response."""
    return manifest.stats.fetched + sum(1 for f in manifest.failures if f.stage == "fetch")


def failed_share(manifest: RunManifest) -> float:
    attempted = pages_attempted(manifest)
    if attempted == 0:
        return 1.0 if manifest.stats.failed else 0.0
    return min(1.0, manifest.stats.failed / attempted)


def over_threshold(manifest: RunManifest, thresholds: Thresholds) -> bool:
    failed = manifest.stats.failed
    if failed == 0:
        return False
    if thresholds.max_failed_pages is not None and failed > thresholds.max_failed_pages:
        return True
    return failed_share(manifest) > thresholds.max_failed_share


def fetched_unaccounted(manifest: RunManifest) -> int:
    """Fetched pages that ended in no column: every fetched page is stored (new, new version,
    unchanged, alias), skipped (not an article, too old) or failed after fetching; 0 when the
    counts add up."""
    s = manifest.stats
    failed_after_fetch = sum(1 for f in manifest.failures if f.stage in ("extract", "store"))
    ended = (
        s.stored_new + s.stored_new_version + s.unchanged + s.stored_alias + s.skipped_not_article
        + (s.skipped_too_old - s.skipped_too_old_unfetched) + failed_after_fetch
    )  # fmt: skip
    return s.fetched - ended


SUMMARY_FIRST = ("site", "outcome", "stored", "failed", "reasons")  # what fits on a laptop screen


def summary_row(result: SiteResult, thresholds: Thresholds) -> dict[str, Any]:
    """One narrow table row per site: what an operator needs first (site, outcome, stored,
    failed, reasons), then where the pages went; rates and shares are in the markdown report.
    A site that did not run shows why in ``reasons``."""
    outcome = result.outcome(thresholds)
    note = result.skipped or result.error or ""
    m = result.manifest
    if m is None:
        return {"site": result.site, "outcome": outcome, "stored": 0, "failed": 0, "reasons": note}
    s = m.stats
    reasons = ", ".join(f"{r}: {n}" for r, n in sorted(s.failures_by_reason.items()))
    return {
        "site": result.site,
        "outcome": outcome,
        "stored": s.stored_new + s.stored_new_version,
        "failed": s.failed,
        "reasons": reasons or note,  # the full error is in the report's "Needs a look"
        "low_confidence": s.low_confidence,  # of stored: text to check (see the report)
        "discovered": s.discovered,
        "skipped_archived": s.skipped_archived,
        "fetched": s.fetched,
        "stored_new": s.stored_new,
        "stored_new_version": s.stored_new_version,
        "unchanged": s.unchanged,
        "stored_alias": s.stored_alias,
        "skipped_not_article": s.skipped_not_article,
        "skipped_too_old": s.skipped_too_old,
        "too_old_unfetched": s.skipped_too_old_unfetched,
        "unaccounted": fetched_unaccounted(m),
    }


def rates_line(m: RunManifest) -> str:
    """The per-site detail the table leaves out."""
    s = m.stats
    speed = round(s.fetched / s.seconds, 2) if s.seconds else 0.0
    return (
        f"- **{m.site}**: {s.seconds} s, {speed} pages/s, failed share {failed_share(m):.1%} of pages attempted, "
        f"low confidence {s.low_confidence} of {s.stored_new + s.stored_new_version} stored"
    )


def low_confidence_line(m: RunManifest) -> str | None:
    """A "Needs a look" line when stored texts are unsure (``extraction.confidence`` below
    LOW_CONFIDENCE): their records are worth reading next to the page."""
    s = m.stats
    if not s.low_confidence:
        return None
    stored = s.stored_new + s.stored_new_version
    return (
        f"- **{m.site}**: {s.low_confidence} of {stored} stored article(s) have low extraction confidence "
        f"(< {LOW_CONFIDENCE}; `extraction.confidence` in their records)"
    )


def verdict(results: Sequence[SiteResult], thresholds: Thresholds) -> Verdict:
    """Failed if a site could not run; Partial if a site failed too many pages; Skipped if
    every site was left to a run still going; otherwise Completed."""
    by_outcome: dict[str, list[str]] = {}
    for r in results:
        by_outcome.setdefault(r.outcome(thresholds), []).append(r.site)
    stored = sum(
        r.manifest.stats.stored_new + r.manifest.stats.stored_new_version for r in results if r.manifest
    )
    failed_pages = sum(r.manifest.stats.failed for r in results if r.manifest)
    tail = f"{stored} article(s) stored, {failed_pages} page(s) failed"
    skipped = by_outcome.get("skipped", [])
    if skipped:
        tail += f"; skipped (previous run still going): {', '.join(skipped)}"
    bad = by_outcome.get("failed", []) + by_outcome.get("unreachable", [])
    if bad:
        return Verdict(
            "failed", f"{len(bad)} of {len(results)} site(s) could not be crawled: {', '.join(bad)}; {tail}"
        )
    partial = by_outcome.get("partial", [])
    if partial:
        limit = f"max_failed_share={thresholds.max_failed_share}"
        if thresholds.max_failed_pages is not None:
            limit += f", max_failed_pages={thresholds.max_failed_pages}"
        return Verdict("partial", f"too many failed pages ({limit}) on: {', '.join(partial)}; {tail}")
    if results and len(skipped) == len(results):
        return Verdict("skipped", "; ".join(r.skipped or r.site for r in results))
    return Verdict("completed", f"{len(results) - len(skipped)} site(s) crawled; {tail}")


def manifest_key(manifest: RunManifest) -> str:
    """Where the archive writer put this manifest (same layout functions as the writer)."""
    return keys.run_manifest_key(manifest.site, keys.compact_timestamp(manifest.started_at), manifest.run_id)


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _failure_lines(m: RunManifest) -> list[str]:
    lines = [
        f"### {m.site}: {len(m.failures)} failed",
        "",
        "| url | stage | reason | detail |",
        "|---|---|---|---|",
    ]
    for f in m.failures[:MAX_FAILURES_LISTED]:
        lines.append(f"| {_escape(f.url)} | {f.stage} | {f.reason} | {_escape(f.detail)[:120]} |")
    if len(m.failures) > MAX_FAILURES_LISTED:
        lines.append(f"\n… and {len(m.failures) - MAX_FAILURES_LISTED} more in `{manifest_key(m)}`")
    return [*lines, ""]


def _written_lines(m: RunManifest) -> list[str]:
    stored = [w for w in m.written if w.get("status") in ("new", "new_version")]
    lines = [f"- **{m.site}**: manifest `{manifest_key(m)}`; {len(stored)} article object(s) written"]
    lines += [f"  - `{w['key']}` ({w['status']})" for w in stored[:MAX_KEYS_LISTED]]
    if len(stored) > MAX_KEYS_LISTED:
        lines.append(f"  - … {len(stored) - MAX_KEYS_LISTED} more listed in the manifest")
    return lines


def run_report_markdown(results: Sequence[SiteResult], archive: str, thresholds: Thresholds) -> str:
    """The markdown artifact: what needs a look first, then the keys this run wrote."""
    lines = ["# Crawl run report", "", f"Archive: `{archive}`", "", "## Needs a look", ""]
    for r in results:
        if r.error:
            lines.append(f"- **{r.site}** could not run: {r.error}")
        elif r.skipped:
            lines.append(f"- **{r.site}** skipped: {r.skipped}")
    manifests = [r.manifest for r in results if r.manifest is not None]
    for m in manifests:
        if missing := fetched_unaccounted(m):
            lines.append(f"- **{m.site}**: counts do not add up, {missing:+d} fetched page(s) in no column")
        if low := low_confidence_line(m):
            lines.append(low)
        if m.failures:
            share = f"{failed_share(m):.0%} of pages attempted"
            lines += ["", f"{m.site}: {m.stats.failed} failed page(s), {share}", "", *_failure_lines(m)]
    if len(lines) == 6:
        lines.append("Nothing: no failures, every site ran.")
    lines += ["", "## Time and rates", "", *(rates_line(m) for m in manifests)] if manifests else []
    lines += ["", "## Written", ""]
    lines += [line for m in manifests for line in _written_lines(m)] or ["Nothing was written."]
    return "\n".join(lines)


def site_fraction(stats: dict[str, Any]) -> float:
    """How far one running crawl is, from its live counters (discovery keeps growing, so
    the share is of what is known so far, capped below 1 until the crawl ends)."""
    to_fetch = (
        int(stats.get("discovered", 0))
        - int(stats.get("skipped_archived", 0))
        - int(stats.get("skipped_too_old", 0))
    )
    handled = int(stats.get("fetched", 0)) + int(stats.get("failed", 0))
    if to_fetch <= 0:
        return 0.0
    return min(RUNNING_CAP, handled / to_fetch)


def run_percent(sites_done: int, sites_total: int, current: float = 0.0) -> float:
    """Whole-run progress in percent: finished sites plus the running site's fraction."""
    if sites_total <= 0:
        return 100.0
    return round(100.0 * min(sites_total, sites_done + current) / sites_total, 1)


def progress_note(site: str, stats: dict[str, Any]) -> str:
    """The live line under the progress bar. Cleaning runs behind fetching (worker processes),
    so pages fetched but not yet stored, skipped or failed are shown as being cleaned: "0 stored"
    alone read as if nothing was being kept."""
    n = {k: int(stats.get(k, 0)) for k in (
        "fetched", "discovered", "stored/new", "stored/new_version", "stored/unchanged", "stored/alias",
        "skipped_not_article", "skipped_too_old", "skipped_too_old_unfetched", "failed")}  # fmt: skip
    stored = n["stored/new"] + n["stored/new_version"]
    ended = stored + n["stored/unchanged"] + n["stored/alias"] + n["skipped_not_article"] + n["failed"]
    ended += n["skipped_too_old"] - n["skipped_too_old_unfetched"]
    cleaning = max(0, n["fetched"] - ended)
    return (
        f"{site}: {n['fetched']} fetched of {n['discovered']} discovered, {stored} stored"
        + (f", {cleaning} being cleaned" if cleaning else "")
        + f", {n['failed']} failed"
    )
