"""Run a list of sites' crawl in ONE child process and turn its events into one run manifest per site.

Plain functions (no Prefect) so tests call them directly; flows/crawl.py only orders them.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from archive.records import Failure, RunManifest, SiteStats
from archive.store import open_store
from archive.writer import ArchiveWriter
from core import procs, progress
from core.config import Site
from core.times import iso_utc, utcnow
from spiders.failures import UNREACHABLE_REASONS

logger = logging.getLogger(__name__)
REPO_ROOT = Path(__file__).resolve().parents[1]
GRACE_SECONDS = 120
STOP_SECONDS = 15.0  # a stopping crawl child gets this long to close cleanly, then its group is killed
MMAP_THRESHOLD = 128 * 1024  # bytes: glibc mallocs at least this big get their own mapping (child_env)


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
    error: Exception | None = None  # CrawlProcessError (worth a retry) or ArchiveUnwritableError
    pid: int | None = None  # the crawl process that crawled the site (one for all sites of a call)

    @property
    def ran(self) -> bool:
        """False when the site could not be crawled at all (unreachable, archive unwritable)."""
        return self.fatal is None and not self.manifest.stats.unreachable


@dataclass
class _Collector:
    """Accumulates one site's events from the child."""

    written: list[dict[str, str]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    finish_reason: str | None = None
    fatal: str | None = None
    pid: int | None = None

    def feed(self, site: str, line: str, report: bool = True) -> None:
        """One event line; ``report=False`` while stopping (listeners may call an API that is gone)."""
        ev = parse_event(line)
        if ev is not None:
            self.feed_event(site, ev, report)

    def feed_event(self, site: str, ev: dict[str, Any], report: bool = True) -> None:
        kind = ev.get("event")
        if kind == "article":
            self.written.append(
                {k: str(ev.get(k)) for k in ("id", "key", "version", "content_hash", "status", "url")}
            )
        elif kind == "failure":
            self.failures.append(Failure.model_validate(ev["failure"]))
        elif kind == "started":
            self.pid = ev.get("pid")
        elif kind == "progress":
            self.stats = ev.get("stats", {})
            if report:
                progress.report(site, self.stats)
        elif kind == "done":
            self.stats = ev.get("stats", {})
            self.finish_reason = ev.get("finish_reason")
            if report:  # with the finish reason: listeners tell a finished site from a running one
                progress.report(site, {**self.stats, "finish_reason": self.finish_reason})
        elif kind == "fatal":
            self.fatal = f"{ev.get('reason')}: {ev.get('detail', '')}"


def parse_event(line: str) -> dict[str, Any] | None:
    try:
        ev = json.loads(line)
    except json.JSONDecodeError:
        logger.debug("non-event output of a crawl child: %s", line.rstrip())
        return None
    return ev if isinstance(ev, dict) else None


class _Events:
    """Routes each event line to its site's collector (an event without a site, e.g. bad
    arguments, concerns every site of the process); ``on_done`` hears of each site whose
    crawler closed (its "done" event: the crawler's pipeline has closed, nothing more comes)."""

    def __init__(self, names: list[str], on_done: Callable[[str], None] | None = None) -> None:
        self.collectors = {name: _Collector() for name in names}
        self.on_done = on_done

    def feed(self, line: str, report: bool = True) -> None:
        ev = parse_event(line)
        if ev is None:
            return
        site = ev.get("site")
        if site in self.collectors:
            self.collectors[site].feed_event(site, ev, report)
            if ev.get("event") == "done" and report and self.on_done is not None:
                self.on_done(site)
        elif site is None:
            for name, collector in self.collectors.items():
                collector.feed_event(name, ev, report)
        else:
            logger.debug("event of an unknown site %r: %s", site, line.rstrip())


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
    sites: list[Site],
    *,
    user_agents: dict[str, str],
    archive_uri: str,
    run_id: str,
    crawled_at: str,
    refresh: bool,
    settings: dict[str, Any] | None,
) -> list[str]:
    cmd = [
        sys.executable, "-m", "spiders.run",
        "--sites-json", json.dumps([s.model_dump(mode="json") for s in sites]),
        "--user-agents-json", json.dumps({s.name: user_agents[s.name] for s in sites}),
        "--archive", archive_uri,
        "--run-id", run_id,
        "--crawled-at", crawled_at,
        "--settings-json", json.dumps(settings or {}),
    ]  # fmt: skip
    return [*cmd, "--refresh"] if refresh else cmd


_LOG_SITE = re.compile(r" (?:WARNING|ERROR|CRITICAL): \[([^\]]+)\] ")
_URL_NETLOC = re.compile(r"https?://([^/\s'\"<>]+)")


class LogRouter:
    """Which site a child's log line is about: the ``[<site>]`` its crawler's lines start with
    (spiders.run), else the one site whose URLs' host:port the line names; "" when none tells
    (a process-wide line)."""

    def __init__(self, sites: list[Site]) -> None:
        self.names = {s.name for s in sites}
        owners: dict[str, set[str]] = {}
        for s in sites:
            for url in [*s.start_urls, *s.feeds, *s.sitemaps]:
                owners.setdefault(urlsplit(url).netloc.lower(), set()).add(s.name)
        self.by_netloc = {netloc: next(iter(names)) for netloc, names in owners.items() if len(names) == 1}
        self.only = next(iter(self.names)) if len(self.names) == 1 else ""

    def site_of(self, line: str) -> str:
        m = _LOG_SITE.search(line)
        if m and m.group(1) in self.names:
            return m.group(1)
        for netloc in _URL_NETLOC.findall(line):
            if netloc.lower() in self.by_netloc:
                return self.by_netloc[netloc.lower()]
        return self.only


def child_env() -> dict[str, str]:
    """The crawl child's environment: ours, the repo importable, and what the child needs."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        procs.PARENT_PID_ENV: str(os.getpid()),  # the child ends if this process dies
        # Page bodies (0.1-2 MB) are malloc'ed; glibc's default raises its mmap threshold after a
        # large free, so later bodies land in the heap and a burst of large pages stays resident
        # (peak RSS grew 1.24x from 1k to 4k pages). A fixed threshold gives every body its own
        # mapping, returned to the system when freed (the child and its workers inherit it).
        "MALLOC_MMAP_THRESHOLD_": os.environ.get("MALLOC_MMAP_THRESHOLD_", str(MMAP_THRESHOLD)),
    }


def _pump_stderr(
    stream: Any, tail: deque[str], router: LogRouter, on_log: Callable[[str, str], None] | None
) -> None:
    for line in stream:
        tail.append(line.rstrip())
        if on_log is not None and (" WARNING: " in line or " ERROR: " in line or " CRITICAL: " in line):
            on_log(router.site_of(line), line.rstrip())


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


def _stop_and_drain(proc: subprocess.Popen[str], routed: _Events) -> None:
    """This process is being stopped: let the child close cleanly (Scrapy's graceful shutdown)
    while its last events are still read, so the manifests list what it stored; kill after
    ``STOP_SECONDS``."""
    logger.warning(
        "[%s] stopping the crawl (up to %g s for a clean close)", ", ".join(routed.collectors), STOP_SECONDS
    )
    killer = threading.Timer(STOP_SECONDS, procs.kill_group, args=(proc.pid,))
    killer.start()
    try:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        assert proc.stdout is not None
        for line in proc.stdout:
            routed.feed(line, report=False)
        proc.wait()
    finally:
        killer.cancel()


def run_sites_crawl(
    sites: list[Site],
    user_agents: dict[str, str],
    archive_uri: str,
    run_id: str,
    refresh: bool = False,
    settings: dict[str, Any] | None = None,
    on_log: Callable[[str, str], None] | None = None,
    on_site_done: Callable[[str, CrawlOutcome], None] | None = None,
) -> dict[str, CrawlOutcome]:
    """Crawl ``sites`` at once in ONE child process (one Scrapy crawler per site); always writes
    one run manifest per site (marked incomplete when the child crashed or was stopped).

    A site is final as soon as its crawler closes: its manifest is written then, while the
    others still run, and ``on_site_done`` gets its outcome (the flows free its slot then); a
    child that dies later does not undo it. The other sites are final when the child ends.

    Every site gets an outcome; its ``error`` says why it did not complete: CrawlProcessError
    (the child died: worth a retry, it resumes from the archive) or ArchiveUnwritableError.
    ``on_log`` gets (site name, line) for the child's warnings ("" for a process-wide line).
    A stop signal here (Prefect's TerminationSignal, KeyboardInterrupt) stops the child, writes
    every site's manifest (complete: false) and is raised again.
    """
    if not sites:
        return {}
    started = utcnow()
    cmd = child_command(
        sites, user_agents=user_agents, archive_uri=archive_uri, run_id=run_id,
        crawled_at=started.isoformat(), refresh=refresh, settings=settings,
    )  # fmt: skip
    env = child_env()
    tail: deque[str] = deque(maxlen=200)
    finished: dict[str, CrawlOutcome] = {}
    t0 = time.monotonic()

    def site_done(name: str) -> None:
        collector = routed.collectors[name]
        if collector.finish_reason in (None, "shutdown") or name in finished:
            return  # stopped, not finished: told when the child ends
        finished[name] = _outcome(
            name, collector, None, None, started, run_id, archive_uri, time.monotonic() - t0, list(tail)
        )
        if on_site_done is not None:
            try:
                on_site_done(name, finished[name])
            except Exception as e:  # a listener's trouble must not stop the other sites' crawl
                logger.warning("[%s] finished-site listener failed: %s", name, e)

    routed = _Events([s.name for s in sites], on_done=site_done)
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, bufsize=1,
        start_new_session=True,  # a terminal's Ctrl-C or a group signal reaches us, and we stop it in order
    )  # fmt: skip
    procs.track_group(proc.pid)
    pump = threading.Thread(
        target=_pump_stderr, args=(proc.stderr, tail, LogRouter(sites), on_log), daemon=True
    )
    pump.start()
    longest = max(s.limits.max_run_minutes for s in sites)  # each crawler closes itself at its own limit
    timer = threading.Timer(longest * 60 + GRACE_SECONDS, _stop, args=(proc,))
    timer.start()
    interrupted: BaseException | None = None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            routed.feed(line)
        proc.wait()
    except BaseException as e:  # a stop signal here (Prefect's TerminationSignal, KeyboardInterrupt)
        interrupted = e
        _stop_and_drain(proc, routed)
    finally:
        timer.cancel()
        _stop(proc)
        pump.join(timeout=5)
    seconds = time.monotonic() - t0
    outcomes = {
        s.name: finished.get(s.name)
        or _outcome(s.name, routed.collectors[s.name], proc, interrupted, started, run_id, archive_uri,
                    seconds, list(tail))
        for s in sites
    }  # fmt: skip
    if interrupted is not None:
        stopped = len(outcomes) - len(finished)
        logger.warning("stopped; %d run manifest(s) written (complete: false)", stopped)
        raise interrupted
    return outcomes


def _outcome(
    site: str,
    collector: _Collector,
    proc: subprocess.Popen[str] | None,
    interrupted: BaseException | None,
    started: datetime,
    run_id: str,
    archive_uri: str,
    seconds: float,
    tail: list[str],
) -> CrawlOutcome:
    """One site's manifest (written now) and what became of it; ``proc`` is None when the site's
    crawler closed while the child runs on (how the child ends then is no concern of the site)."""
    returncode = 0 if proc is None else proc.returncode
    complete = (
        interrupted is None
        and returncode == 0
        and collector.finish_reason not in (None, "shutdown")
        and collector.fatal is None
    )
    manifest = RunManifest(
        run_id=run_id,
        site=site,
        started_at=iso_utc(started),
        finished_at=iso_utc(utcnow()),
        complete=complete,
        stats=site_stats(site, collector, seconds),
        written=collector.written,
        failures=collector.failures,
    )
    error: Exception | None = None
    key = ""
    try:
        key = write_manifest(archive_uri, manifest)
    except ArchiveUnwritableError as e:
        error = e
    if interrupted is not None:
        logger.warning("[%s] stopped; run manifest %s written (complete: false)", site, key or "not")
    elif collector.fatal:
        error = ArchiveUnwritableError(f"{site}: {collector.fatal}")
    elif not complete and error is None:
        error = CrawlProcessError(
            f"{site}: crawl process exited with {returncode}; last log lines:\n" + "\n".join(tail[-20:])
        )
    return CrawlOutcome(
        manifest=manifest, manifest_key=key, fatal=collector.fatal, log_tail=tail, error=error,
        pid=collector.pid or (proc.pid if proc is not None else None),
    )  # fmt: skip


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
    """Crawl one site (``run_sites_crawl`` of one); raises its error (after writing the manifest)."""
    log = None if on_log is None else (lambda _site, line: on_log(line))
    outcome = run_sites_crawl(
        [site], {site.name: user_agent}, archive_uri, run_id, refresh=refresh, settings=settings, on_log=log
    )[site.name]
    if outcome.error is not None:
        raise outcome.error
    return outcome


def write_manifest(archive_uri: str, manifest: RunManifest) -> str:
    try:
        return ArchiveWriter(open_store(archive_uri)).write_manifest(manifest)
    except Exception as e:
        raise ArchiveUnwritableError(f"{manifest.site}: cannot write the run manifest: {e}") from e
