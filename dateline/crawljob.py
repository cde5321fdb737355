"""Run one site's crawl in a child process and turn its events into a run manifest.

Plain functions (no Prefect) so tests call them directly; flows/crawl.py only orders them.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.records import Failure, RunManifest, SiteStats
from archive.store import open_store
from archive.writer import ArchiveWriter
from dateline import procs, progress
from dateline.config import Site
from dateline.times import iso_utc, utcnow
from spiders.failures import UNREACHABLE_REASONS

logger = logging.getLogger(__name__)
REPO_ROOT = Path(__file__).resolve().parents[1]
GRACE_SECONDS = 120
STOP_SECONDS = 15.0  # a stopping crawl child gets this long to close cleanly, then its group is killed


class CrawlProcessError(Exception):
    """The crawl process died without finishing (worth a retry: it resumes from the archive)."""


class ArchiveUnwritableError(Exception):
    """The archive could not be read or written: the site's run failed (not retried blindly)."""


@dataclass
class CrawlOutcome:
    manifest: RunManifest
    manifest_key: str
    fatal: str | None = None
    log_tail: list[str] = field(default_factory=list)

    @property
    def ran(self) -> bool:
        """False when the site could not be crawled at all (unreachable, archive unwritable)."""
        return self.fatal is None and not self.manifest.stats.unreachable


@dataclass
class _Collector:
    """Accumulates the child's events."""

    written: list[dict[str, str]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    finish_reason: str | None = None
    fatal: str | None = None

    def feed(self, site: str, line: str, report: bool = True) -> None:
        """One event line; ``report=False`` while stopping (listeners may call an API that is gone)."""
        try:
            ev = json.loads(line)
        except json.JSONDecodeError:
            logger.debug("[%s] non-event output: %s", site, line.rstrip())
            return
        kind = ev.get("event")
        if kind == "article":
            self.written.append(
                {k: str(ev.get(k)) for k in ("id", "key", "version", "content_hash", "status", "url")}
            )
        elif kind == "failure":
            self.failures.append(Failure.model_validate(ev["failure"]))
        elif kind == "progress":
            self.stats = ev.get("stats", {})
            if report:
                progress.report(site, self.stats)
        elif kind == "done":
            self.stats = ev.get("stats", {})
            self.finish_reason = ev.get("finish_reason")
            if report:
                progress.report(site, self.stats)
        elif kind == "fatal":
            self.fatal = f"{ev.get('reason')}: {ev.get('detail', '')}"


def site_stats(site: str, c: _Collector, seconds: float) -> SiteStats:
    s = c.stats
    by_reason = Counter(f.reason for f in c.failures)
    fetched = int(s.get("fetched", 0))
    reached_anything = fetched or s.get("listings") or s.get("feeds") or s.get("sitemaps")
    unreachable = bool(c.failures) and not reached_anything and set(by_reason) <= UNREACHABLE_REASONS
    return SiteStats(
        site=site,
        discovered=int(s.get("discovered", 0)),
        fetched=fetched,
        stored_new=int(s.get("stored/new", 0)),
        stored_new_version=int(s.get("stored/new_version", 0)),
        unchanged=int(s.get("stored/unchanged", 0)),
        skipped_archived=int(s.get("skipped_archived", 0)),
        skipped_not_article=int(s.get("skipped_not_article", 0)),
        skipped_too_old=int(s.get("skipped_too_old", 0)),
        skipped_too_old_unfetched=int(s.get("skipped_too_old_unfetched", 0)),
        stored_alias=int(s.get("stored/alias", 0)),
        skipped_robots=int(s.get("skipped_robots", 0)),
        skipped_over_limit=int(s.get("skipped_over_limit", 0)),
        throttled=int(s.get("throttled", 0)),
        low_confidence=int(s.get("low_confidence", 0)),
        failed=len(c.failures),
        failures_by_reason=dict(by_reason),
        seconds=round(seconds, 2),
        finish_reason=(c.fatal and "fatal") or c.finish_reason,
        unreachable=unreachable,
    )


def child_command(
    site: Site,
    *,
    user_agent: str,
    archive_uri: str,
    run_id: str,
    crawled_at: str,
    refresh: bool,
    settings: dict[str, Any] | None,
) -> list[str]:
    cmd = [
        sys.executable, "-m", "spiders.run",
        "--site-json", site.model_dump_json(),
        "--user-agent", user_agent,
        "--archive", archive_uri,
        "--run-id", run_id,
        "--crawled-at", crawled_at,
        "--settings-json", json.dumps(settings or {}),
    ]  # fmt: skip
    return [*cmd, "--refresh"] if refresh else cmd


def _pump_stderr(stream: Any, tail: deque[str], site: str, on_log: Callable[[str], None] | None) -> None:
    for line in stream:
        tail.append(line.rstrip())
        if on_log is not None and (" WARNING: " in line or " ERROR: " in line or " CRITICAL: " in line):
            on_log(line.rstrip())


def _stop(proc: subprocess.Popen[str], wait: float = 30) -> None:
    """Rule 4 of the archive: signal, wait, then kill (the whole group: its extraction workers)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            procs.kill_group(proc.pid)
            proc.wait()
    procs.kill_group(proc.pid)  # nothing of the crawl outlives its leader
    procs.untrack_group(proc.pid)


def _stop_and_drain(proc: subprocess.Popen[str], collector: _Collector, site: str) -> None:
    """This process is being stopped: let the child close cleanly (Scrapy's graceful shutdown)
    while its last events are still read, so the manifest lists what it stored; kill after
    ``STOP_SECONDS``."""
    logger.warning("[%s] stopping the crawl (up to %g s for a clean close)", site, STOP_SECONDS)
    killer = threading.Timer(STOP_SECONDS, procs.kill_group, args=(proc.pid,))
    killer.start()
    try:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        assert proc.stdout is not None
        for line in proc.stdout:
            collector.feed(site, line, report=False)
        proc.wait()
    finally:
        killer.cancel()


def run_site_crawl(
    site: Site,
    *,
    user_agent: str,
    archive_uri: str,
    run_id: str,
    refresh: bool = False,
    settings: dict[str, Any] | None = None,
    on_log: Callable[[str], None] | None = None,
) -> CrawlOutcome:
    """Crawl ``site`` into the archive; always writes a run manifest (marked incomplete on a crash)."""
    started = utcnow()
    cmd = child_command(
        site, user_agent=user_agent, archive_uri=archive_uri, run_id=run_id,
        crawled_at=started.isoformat(), refresh=refresh, settings=settings,
    )  # fmt: skip
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        procs.PARENT_PID_ENV: str(os.getpid()),  # the child ends if this process dies
    }
    collector = _Collector()
    tail: deque[str] = deque(maxlen=200)
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, bufsize=1,
        start_new_session=True,  # a terminal's Ctrl-C or a group signal reaches us, and we stop it in order
    )  # fmt: skip
    procs.track_group(proc.pid)
    pump = threading.Thread(target=_pump_stderr, args=(proc.stderr, tail, site.name, on_log), daemon=True)
    pump.start()
    t0 = time.monotonic()
    timer = threading.Timer(site.limits.max_run_minutes * 60 + GRACE_SECONDS, _stop, args=(proc,))
    timer.start()
    interrupted: BaseException | None = None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            collector.feed(site.name, line)
        proc.wait()
    except BaseException as e:  # a stop signal here (Prefect's TerminationSignal, KeyboardInterrupt)
        interrupted = e
        _stop_and_drain(proc, collector, site.name)
    finally:
        timer.cancel()
        _stop(proc)
        pump.join(timeout=5)
    stats = site_stats(site.name, collector, time.monotonic() - t0)
    complete = (
        interrupted is None
        and proc.returncode == 0
        and collector.finish_reason not in (None, "shutdown")
        and collector.fatal is None
    )
    manifest = RunManifest(
        run_id=run_id,
        site=site.name,
        started_at=iso_utc(started),
        finished_at=iso_utc(utcnow()),
        complete=complete,
        stats=stats,
        written=collector.written,
        failures=collector.failures,
    )
    key = write_manifest(archive_uri, manifest)
    if interrupted is not None:
        logger.warning("[%s] stopped; run manifest %s written (complete: false)", site.name, key)
        raise interrupted
    if collector.fatal:
        raise ArchiveUnwritableError(f"{site.name}: {collector.fatal}")
    if not complete:
        raise CrawlProcessError(
            f"{site.name}: crawl process exited with {proc.returncode}; last log lines:\n"
            + "\n".join(list(tail)[-20:])
        )
    return CrawlOutcome(manifest=manifest, manifest_key=key, fatal=collector.fatal, log_tail=list(tail))


def write_manifest(archive_uri: str, manifest: RunManifest) -> str:
    try:
        return ArchiveWriter(open_store(archive_uri)).write_manifest(manifest)
    except Exception as e:
        raise ArchiveUnwritableError(f"{manifest.site}: cannot write the run manifest: {e}") from e
