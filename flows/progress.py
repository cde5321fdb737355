"""A run's progress artifact (``crawl-progress``), fed from the crawl child's events or, for a
pool dispatch, from the shard runs' own bars.

Why its own module: the crawl flow, the shard flow and the pool dispatch all draw the same bar,
and none of them should need the others to do it.
"""

from __future__ import annotations

import threading
import time
from typing import Any, cast
from uuid import UUID

from prefect import get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact

from flows.report import progress_note, run_percent, site_fraction

PROGRESS_KEY = "crawl-progress"
PROGRESS_MIN_INTERVAL = 1.0


class RunProgress:
    """Feeds the run's progress artifact from the crawl child's events (every ~2 s). The sites
    of a run are crawled at once: each site's live fraction is kept, finished sites count 1."""

    def __init__(self, sites: list[str]) -> None:
        self.sites = sites
        self.fractions: dict[str, float] = {}  # running sites, by name
        self.finished: set[str] = set()
        self.last = 0.0
        self.percent = 0.0  # shown so far: the bar never moves back when discovery finds more
        self.lock = threading.Lock()
        self.artifact_id = cast(
            UUID,
            create_progress_artifact(0.0, key=PROGRESS_KEY, description=f"0 of {len(sites)} site(s) done"),
        )

    @property
    def done(self) -> int:
        return len(self.finished)

    def on_stats(self, site: str, stats: dict[str, Any]) -> None:
        if site not in self.sites or site in self.finished:
            return
        if stats.get("finish_reason") is not None:  # the site's crawler closed (spiders.extensions)
            self.finished.add(site)
            self.fractions.pop(site, None)
        else:
            self.fractions[site] = site_fraction(stats)
        if time.monotonic() - self.last < PROGRESS_MIN_INTERVAL:
            return
        note = progress_note(site, stats)
        if len(self.sites) > 1:
            note += f" ({self.done} of {len(self.sites)} site(s) done)"
        self._update(self._percent(), note)

    def _percent(self) -> float:
        return run_percent(self.done, len(self.sites), sum(self.fractions.values()))

    def show(self, percent: float, note: str) -> None:
        """Progress read from elsewhere (the shard runs of a pool dispatch)."""
        self._update(percent, note)

    def site_done(self, site: str) -> None:
        self.finished.add(site)
        self.fractions.pop(site, None)
        self._update(self._percent(), f"{self.done} of {len(self.sites)} site(s) done")

    def _update(self, percent: float, note: str) -> None:
        """Never lets a dashboard hiccup stop a crawl."""
        with self.lock:
            self.last = time.monotonic()
            self.percent = max(self.percent, percent)
            try:
                update_progress_artifact(self.artifact_id, self.percent, description=note)
            except Exception as e:
                get_run_logger().debug("progress artifact not updated: %s", e)
