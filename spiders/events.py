"""JSON-line events from a crawl child process to its parent (stdout is reserved for them).

Scrapy logs go to stderr; anything a parent needs to count or show arrives here.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any, TextIO

_lock = threading.Lock()
_out: TextIO = sys.stdout


def set_stream(stream: TextIO) -> None:
    """Redirect events (tests, or a child that must keep stdout for something else)."""
    global _out
    _out = stream


def emit(kind: str, **payload: Any) -> None:
    """Write one event as one line; flushed at once so the parent sees progress live."""
    line = json.dumps({"event": kind, **payload}, ensure_ascii=False, default=str)
    with _lock:
        _out.write(line + "\n")
        _out.flush()
