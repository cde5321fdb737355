"""The dashboard as an operator sees it: headless Debian Chromium, driven by playwright-core
(tests/browser/dashboard.mjs), finds the end-to-end crawl run in the Prefect UI, opens its
`crawl-summary` artifact and reads the table. Screenshots stay in test-artifacts/dashboard/.

Needs /usr/bin/chromium (Debian's `chromium`), Node.js and `npm ci` in tests/browser; .ci/run
installs them. Outside CI a machine without them skips the test; in CI it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from archive.reader import ArchiveReader
from archive.store import open_store
from dateline.service import REPO_ROOT
from tests.fixtures.prefect_server import PrefectService, ServiceRuns

pytestmark = pytest.mark.slow

BROWSER_DIR = REPO_ROOT / "tests" / "browser"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = REPO_ROOT / "test-artifacts" / "dashboard"


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if shutil.which("node") is None:
        return "no node (apt-get install nodejs npm)"
    if not (BROWSER_DIR / "node_modules" / "playwright-core").is_dir():
        return f"no playwright-core (npm ci --prefix {BROWSER_DIR})"
    return None


@pytest.fixture
def browser_ready() -> None:
    missing = _missing()
    if missing is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"the browser test cannot run in CI: {missing}; .ci/run installs it")
    pytest.skip(missing)


def _open_summary_table(dashboard: str, run_name: str, shots: Path) -> dict[str, Any]:
    """Open the run's crawl-summary artifact in headless Chromium (tests/browser/dashboard.mjs):
    what the page showed (header, rows, which cells were on screen), screenshots in ``shots``."""
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    done = subprocess.run(
        ["node", str(BROWSER_DIR / "dashboard.mjs"), dashboard, run_name, "crawl-summary", str(shots)],
        capture_output=True, text=True, timeout=240, env={**os.environ, "CHROMIUM": CHROMIUM},
    )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    assert lines, f"no output from the browser script:\n{done.stderr[-3000:]}"
    seen: dict[str, Any] = json.loads(lines[-1])
    assert seen["ok"], f"{seen.get('error')}\nsteps: {seen['steps']}\nscreenshots: {shots}"
    return seen


def test_dashboard_shows_the_runs_summary_table(
    browser_ready: None, service_runs: ServiceRuns, prefect_service: PrefectService
) -> None:
    run = service_runs.runs["main"]
    seen = _open_summary_table(prefect_service.cfg.url, run["name"], SHOTS)
    assert any(f"/runs/flow-run/{run['id']}" in s.get("opened_run", "") for s in seen["steps"])

    header = [h.lower() for h in seen["header"]]
    for column in ("site", "discovered", "fetched", "stored_new", "stored_new_version", "skipped_archived"):
        assert column in header, (column, header)
    rows = [dict(zip(header, cells, strict=False)) for cells in seen["rows"]]
    assert [r["site"] for r in rows] == ["service-news"]
    stats = next(
        iter(ArchiveReader(open_store(str(service_runs.archives["main"]))).runs("service-news"))
    ).stats
    for column in ("discovered", "fetched", "stored_new", "failed"):
        assert rows[0][column] == str(getattr(stats, column)), (column, rows[0])
    assert (SHOTS / "crawl-summary-table.png").stat().st_size > 10_000


def test_the_failing_sites_reason_is_visible_without_scrolling(
    browser_ready: None, service_runs: ServiceRuns, prefect_service: PrefectService
) -> None:
    """At 1400x1000 the summary of the failed run shows site, outcome, stored, failed and the
    reason on first sight (the table once had 16 columns and hid them off-screen)."""
    run = service_runs.runs["failing"]
    seen = _open_summary_table(prefect_service.cfg.url, run["name"], SHOTS / "failing")
    header = [h.lower() for h in seen["header"]]
    (row,), (in_view,) = seen["rows"], seen["inView"]
    cells = dict(zip(header, zip(row, in_view, strict=False), strict=False))
    assert cells["site"][0] == "nowhere" and "connection-refused" in cells["reasons"][0], cells
    for column in ("site", "outcome", "stored", "failed", "reasons"):
        assert cells[column][1], f"{column} is off-screen at 1400x1000: {header}"
