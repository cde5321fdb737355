"""Progress listeners: the CLI draws a bar, flows update an artifact; crawls just report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Listener = Callable[[str, dict[str, Any]], None]
_listeners: list[Listener] = []


def add_listener(fn: Listener) -> None:
    _listeners.append(fn)


def remove_listener(fn: Listener) -> None:
    if fn in _listeners:
        _listeners.remove(fn)


def report(site: str, stats: dict[str, Any]) -> None:
    for fn in list(_listeners):
        fn(site, stats)
