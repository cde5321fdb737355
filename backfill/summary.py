"""The import summary as (what, how many) rows, shared by the terminal table and the flow artifact."""

from __future__ import annotations

from backfill.importer import ImportStats


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items(), key=lambda kv: -kv[1])) or "-"


def summary_rows(stats: ImportStats) -> list[tuple[str, str]]:
    """The import summary as (what, how many) rows: for the terminal and the flow's artifact."""
    return [
        ("files read", str(stats.files_read)),
        ("files already imported", str(stats.files_already_imported)),
        ("files failed", f"{sum(stats.files_failed.values())} ({_counts(stats.files_failed)})"),
        ("records read", str(stats.records)),
        ("responses seen", str(stats.responses)),
        ("kept by domain", f"{sum(stats.kept.values())} ({_counts(stats.kept)})"),
        ("stored new", str(stats.stored.get("new", 0))),
        ("stored as new version", str(stats.stored.get("new_version", 0))),
        ("unchanged / alias", f"{stats.stored.get('unchanged', 0)} / {stats.stored.get('alias', 0)}"),
        ("already archived", str(stats.already_archived)),
        ("not articles", f"{sum(stats.not_article.values())} ({_counts(stats.not_article)})"),
        ("skipped", f"{sum(stats.skipped.values())} ({_counts(stats.skipped)})"),
        ("failed", f"{sum(stats.failed.values())} ({_counts(stats.failed)})"),
        ("seconds", f"{stats.seconds:.1f}"),
    ]
