"""Turning a crawl child's events into stats and manifests (pure functions)."""

import json

from dateline.config import Site
from dateline.crawljob import _Collector, child_command, site_stats


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


def test_child_command_carries_the_site_and_refresh() -> None:
    site = Site.model_validate({"name": "s", "feeds": ["https://s.example/rss"]})
    cmd = child_command(site, user_agent="UA", archive_uri="/tmp/a", run_id="r", crawled_at="t", refresh=True,
                        settings={"RETRY_TIMES": 0})  # fmt: skip
    assert cmd[1:3] == ["-m", "spiders.run"]
    assert Site.model_validate_json(cmd[cmd.index("--site-json") + 1]) == site
    assert cmd[-1] == "--refresh"


def test_scrapy_download_errors_get_stable_reasons() -> None:
    from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, DownloadTimeoutError

    from spiders.failures import classify_exception

    assert classify_exception(CannotResolveHostError("x"))[0] == "dns"
    assert classify_exception(DownloadConnectionRefusedError("x"))[0] == "connection-refused"
    assert classify_exception(DownloadTimeoutError("x"))[0] == "timeout"
