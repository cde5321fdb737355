"""Stops and kills of the real `dateline crawl` (subprocess, own temporary Prefect server, a
loopback site slowed to a ~20 s crawl): a SIGKILL leaves no process behind and the rerun right
after resumes at once; SIGTERM/SIGINT end everything within 30 s with the manifest marked
incomplete and exit 143/130. Processes are followed through /proc (parent pids), not psutil."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from archive.reader import ArchiveReader
from archive.store import open_store
from demosite import NewsSite
from tests.fixtures.prefect import prefect_free_env
from tests.fixtures.sites import truth_pages
from tests.proc_helpers import all_gone, descendants, kinds, stored_count

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def slow_site() -> Iterator[NewsSite]:
    with NewsSite(truth_pages(10), name="slow-news") as site:
        yield site


def _sites_file(tmp: Path, site: NewsSite) -> Path:
    config = site.site_config()
    config["limits"].update(download_delay=1.0, concurrency=1)  # ~20 s: time to stop it midway
    path = tmp / "sites.yaml"
    path.write_text(yaml.safe_dump({"sites": [config]}), encoding="utf-8")
    return path


def _env(home: Path) -> dict[str, str]:
    """No API configured: the CLI starts its temporary server (on a private Prefect home, whose
    database is migrated already: the server's start is what these tests need, not migrations)."""
    return {**prefect_free_env(), "PREFECT_HOME": str(home)}


def _start(tmp: Path, home: Path, sites: Path, archive: Path, log: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "dateline.cli", "crawl", "--sites", str(sites), "--archive", str(archive)],
        env=_env(home), cwd=REPO, stdout=(tmp / log).open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,  # its own group, as a shell job or a cron/systemd unit has
    )  # fmt: skip


def _wait_midway(proc: subprocess.Popen[bytes], archive: Path, tmp: Path, log: str) -> None:
    deadline = time.monotonic() + 300
    while stored_count(archive) < 2:
        assert proc.poll() is None, (tmp / log).read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, "the crawl stored nothing in 300 s"
        time.sleep(0.2)
    assert proc.poll() is None, "the crawl must still be running"


def _manifests(archive: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((archive / "runs").rglob("*.json"))]


def test_kill_9_mid_crawl_leaves_nothing_and_the_rerun_resumes_at_once(
    slow_site: NewsSite, tmp_path: Path, migrated_prefect_home: Path
) -> None:
    sites, archive = _sites_file(tmp_path, slow_site), tmp_path / "archive"
    killed = _start(tmp_path, migrated_prefect_home, sites, archive, "killed.log")
    _wait_midway(killed, archive, tmp_path, "killed.log")
    tree = descendants(killed.pid)
    assert {"crawl child", "Prefect server", "extraction worker"} <= kinds(tree), tree
    killed.kill()
    killed.wait()
    stored_before = stored_count(archive)
    assert stored_before < len(slow_site.expected_articles()), "killed before the end"

    rerun = _start(tmp_path, migrated_prefect_home, sites, archive, "rerun.log")
    assert rerun.wait(timeout=400) == 0, (tmp_path / "rerun.log").read_text(errors="replace")[-4000:]
    output = (tmp_path / "rerun.log").read_text(errors="replace")
    assert "previous run still going" not in output
    assert "reclaimed the slot crawl-site-slow-news" in output and f"pid {killed.pid} " in output, output[
        -4000:
    ]
    stored = {r.url for r in ArchiveReader(open_store(str(archive))).iter_records()}
    assert set(slow_site.expected_articles()) <= stored
    assert all_gone(tree, within=5) == {}, "no process of the killed run survives"


@pytest.mark.parametrize(
    ("sig", "target", "code"),
    [(signal.SIGTERM, "group", 143), (signal.SIGINT, "cli", 130), (signal.SIGKILL, "server", 143)],
    ids=["sigterm-to-group", "sigint-to-cli", "temporary-server-dies"],
)
def test_stop_signal_ends_everything_within_30_s_with_an_incomplete_manifest(
    slow_site: NewsSite,
    tmp_path: Path,
    migrated_prefect_home: Path,
    sig: signal.Signals,
    target: str,
    code: int,
) -> None:
    """Also when the temporary Prefect server dies under the crawl: nothing can be reported to
    it any more, and the CLI must not wait on it (it hung for minutes)."""
    sites, archive = _sites_file(tmp_path, slow_site), tmp_path / "archive"
    crawl = _start(tmp_path, migrated_prefect_home, sites, archive, "crawl.log")
    _wait_midway(crawl, archive, tmp_path, "crawl.log")
    tree = descendants(crawl.pid)
    assert {"crawl child", "Prefect server"} <= kinds(tree), tree
    t0 = time.monotonic()
    if target == "group":
        os.killpg(crawl.pid, sig)
    elif target == "cli":
        os.kill(crawl.pid, sig)
    else:
        [server] = [pid for pid, cmd in tree.items() if "uvicorn" in cmd]
        os.kill(server, sig)
    returncode = crawl.wait(timeout=60)
    took = time.monotonic() - t0
    output = (tmp_path / "crawl.log").read_text(errors="replace")
    assert returncode == code, output[-4000:]
    assert took < 30, f"took {took:.1f} s"
    assert all_gone(tree, within=1) == {}, "every child and the temporary server ended"
    [manifest] = _manifests(archive)
    assert manifest["complete"] is False
    # what the child reported is listed (a child killed after its clean-close time may have
    # stored a record it could not report: the next run finds its URL markers)
    assert len(manifest["written"]) >= 2
    assert all((archive / w["key"]).is_file() for w in manifest["written"])
