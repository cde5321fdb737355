"""Scrapy extension that reports progress and the final stats as events for the parent process."""

from __future__ import annotations

from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from twisted.internet import task

from spiders import events

PREFIX = "dateline/"


def dateline_stats(stats: dict[str, Any]) -> dict[str, Any]:
    """Our counters without the prefix, plus the Scrapy counters an operator cares about."""
    out = {k.removeprefix(PREFIX): v for k, v in stats.items() if k.startswith(PREFIX)}
    for k in ("downloader/request_count", "downloader/response_count", "retry/count", "robotstxt/forbidden"):
        if k in stats:
            out[k] = stats[k]
    return out


class ProgressEvents:
    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressEvents:
        ext = cls(crawler, crawler.settings.getfloat("PROGRESS_INTERVAL", 2.0))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def _stats(self) -> dict[str, Any]:
        return dateline_stats(self.crawler.stats.get_stats() if self.crawler.stats else {})

    def _site(self) -> str | None:
        return getattr(getattr(self.crawler.spider, "site", None), "name", None)

    def tick(self) -> None:
        events.emit("progress", site=self._site(), stats=self._stats())

    def spider_opened(self, spider: Spider) -> None:
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(self.interval, now=True)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        events.emit("done", site=self._site(), finish_reason=reason, stats=self._stats())
