"""Turning a crawl child's events into stats and manifests (pure functions)."""

import json
import os
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from core.config import Site
from spiders.crawljob import (
    MMAP_THRESHOLD,
    LogRouter,
    _Collector,
    _Events,
    child_command,
    child_env,
    site_stats,
)


def failure(reason: str) -> str:
    return json.dumps({"event": "failure", "failure": {"url": "http://x/", "site": "s", "stage": "fetch",
                                                       "reason": reason, "at": "2026-01-01T00:00:00Z"}})  # fmt: skip


def test_counts_come_from_the_final_stats_and_failures() -> None:
    c = _Collector()
    c.feed("s", json.dumps({"event": "article", "id": "a", "key": "k", "version": "v", "content_hash": "h",
                            "status": "new", "url": "http://x/a"}))  # fmt: skip
    c.feed("s", failure("http-500"))
    c.feed("s", failure("timeout"))
    c.feed("s", "not json: a stray print")
    c.feed("s", json.dumps({"event": "done", "finish_reason": "finished",
                            "stats": {"fetched": 3, "discovered": 5, "stored/new": 1, "skipped_archived": 2}}))  # fmt: skip
    stats = site_stats("s", c, 1.5)
    assert (stats.fetched, stats.discovered, stats.stored_new, stats.skipped_archived) == (3, 5, 1, 2)
    assert stats.failed == 2
    assert stats.failures_by_reason == {"http-500": 1, "timeout": 1}
    assert not stats.unreachable
    assert c.written[0]["id"] == "a"


def test_a_site_that_answered_nothing_is_unreachable() -> None:
    c = _Collector()
    c.feed("s", failure("dns"))
    c.feed("s", failure("dns"))
    c.feed("s", json.dumps({"event": "done", "finish_reason": "finished", "stats": {}}))
    assert site_stats("s", c, 0.1).unreachable


def test_a_fatal_event_marks_the_run() -> None:
    c = _Collector()
    c.feed("s", json.dumps({"event": "fatal", "reason": "archive-unwritable", "detail": "403"}))
    assert c.fatal == "archive-unwritable: 403"
    assert site_stats("s", c, 0.1).finish_reason == "fatal"


def test_child_command_carries_the_sites_their_agents_and_refresh() -> None:
    sites = [Site.model_validate({"name": n, "feeds": [f"https://{n}.example/rss"]}) for n in ("s", "t")]
    cmd = child_command(sites, user_agents={"s": "UA-s", "t": "UA-t", "u": "other"}, archive_uri="/tmp/a",
                        run_id="r", crawled_at="t", refresh=True, settings={"RETRY_TIMES": 0})  # fmt: skip
    assert cmd[1:3] == ["-m", "spiders.run"]
    assert TypeAdapter(list[Site]).validate_json(cmd[cmd.index("--sites-json") + 1]) == sites
    assert json.loads(cmd[cmd.index("--user-agents-json") + 1]) == {"s": "UA-s", "t": "UA-t"}
    assert cmd[-1] == "--refresh"


def test_the_child_gets_a_fixed_mmap_threshold_unless_the_user_set_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Large page bodies get their own mappings in the child and its workers (RSS stays flat)."""
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    env = child_env()
    assert env["MALLOC_MMAP_THRESHOLD_"] == str(MMAP_THRESHOLD) == "131072"
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(Path(__file__).resolve().parents[1])
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "262144")
    assert child_env()["MALLOC_MMAP_THRESHOLD_"] == "262144"


def test_events_go_to_their_site_and_a_siteless_fatal_to_every_site() -> None:
    routed = _Events(["a", "b"])
    routed.feed(json.dumps({"event": "started", "site": "a", "pid": 7}))
    routed.feed(
        json.dumps({"event": "done", "site": "b", "finish_reason": "blocked", "stats": {"fetched": 2}})
    )
    routed.feed(json.dumps({"event": "done", "site": "zzz", "finish_reason": "finished", "stats": {}}))
    a, b = routed.collectors["a"], routed.collectors["b"]
    assert (a.pid, a.finish_reason, b.finish_reason, b.stats) == (7, None, "blocked", {"fetched": 2})
    routed.feed(json.dumps({"event": "fatal", "reason": "bad-arguments", "detail": "x"}))
    assert a.fatal == b.fatal == "bad-arguments: x"


def test_log_lines_are_routed_to_the_site_they_name() -> None:
    sites = [Site.model_validate({"name": n, "start_urls": [f"http://127.0.0.1:{port}/"]})
             for n, port in (("a", 8001), ("b", 8002))]  # fmt: skip
    router = LogRouter(sites)
    assert router.site_of("2026-01-01 [scrapy.core] WARNING: [b] Gave up retrying <GET http://x/>") == "b"
    assert (
        router.site_of("2026-01-01 [x] WARNING: robots answered 503: http://127.0.0.1:8001/robots.txt") == "a"
    )
    assert router.site_of("2026-01-01 [x] WARNING: something about the process") == ""
    assert LogRouter(sites[:1]).site_of("2026-01-01 [x] WARNING: anything") == "a"


def test_scrapy_download_errors_get_stable_reasons() -> None:
    from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, DownloadTimeoutError

    from spiders.failures import classify_exception

    assert classify_exception(CannotResolveHostError("x"))[0] == "dns"
    assert classify_exception(DownloadConnectionRefusedError("x"))[0] == "connection-refused"
    assert classify_exception(DownloadTimeoutError("x"))[0] == "timeout"
