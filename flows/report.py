"""What operators read in the Prefect dashboard: per-site table and failure notes."""

from __future__ import annotations

from typing import Any

from archive.records import RunManifest

MAX_FAILURES_LISTED = 20


def summary_row(site: str, manifest: RunManifest | None, error: str | None = None) -> dict[str, Any]:
    """One table row per site; a site that could not run shows its error instead of counts."""
    if manifest is None:
        return {"site": site, "outcome": "failed", "error": error or ""}
    s = manifest.stats
    reasons = ", ".join(f"{r}: {n}" for r, n in sorted(s.failures_by_reason.items()))
    outcome = "unreachable" if s.unreachable else ("failed" if error else "ok")
    pages_per_s = round(s.fetched / s.seconds, 2) if s.seconds else 0.0
    return {
        "site": site,
        "outcome": outcome,
        "discovered": s.discovered,
        "fetched": s.fetched,
        "stored_new": s.stored_new,
        "stored_new_version": s.stored_new_version,
        "unchanged": s.unchanged,
        "skipped_archived": s.skipped_archived,
        "skipped_not_article": s.skipped_not_article,
        "skipped_too_old": s.skipped_too_old,
        "failed": s.failed,
        "failure_reasons": reasons,
        "seconds": s.seconds,
        "pages_per_s": pages_per_s,
        "error": error or "",
    }


def failures_markdown(manifests: list[RunManifest], errors: dict[str, str]) -> str:
    lines = ["# Crawl run: failures worth a look", ""]
    for site, err in sorted(errors.items()):
        lines.append(f"- **{site}** could not run: {err}")
    for m in manifests:
        if not m.failures:
            continue
        lines += [
            "",
            f"## {m.site} ({len(m.failures)} failed)",
            "",
            "| url | stage | reason | detail |",
            "|---|---|---|---|",
        ]
        for f in m.failures[:MAX_FAILURES_LISTED]:
            detail = f.detail.replace("|", "\\|")[:120]
            lines.append(f"| {f.url} | {f.stage} | {f.reason} | {detail} |")
    if len(lines) == 2:
        lines.append("No failures.")
    return "\n".join(lines)
