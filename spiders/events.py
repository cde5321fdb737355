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
_reader_gone = False


def set_stream(stream: TextIO) -> None:
    """Redirect events (tests, or a child that must keep stdout for something else)."""
    global _out
    _out = stream


def emit(kind: str, **payload: Any) -> None:
    """Write one event as one line; flushed at once so the parent sees progress live. A parent
    that is gone (killed) reads nothing more: the crawl is stopping then, and must not fail
    on every write while it closes."""
    global _reader_gone
    line = json.dumps({"event": kind, **payload}, ensure_ascii=False, default=str)
    with _lock:
        if _reader_gone:
            return
        try:
            _out.write(line + "\n")
            _out.flush()
        except BrokenPipeError:
            _reader_gone = True
