"""Turn Twisted/Scrapy errors into short, stable reasons operators can count."""

from __future__ import annotations

import re

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectError,
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure as TwistedFailure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

# Reasons that mean "the site could not be crawled at all" when nothing else worked.
UNREACHABLE_REASONS = frozenset({"dns", "connection-refused", "connect-error", "timeout", "robots-5xx"})
ROBOTS_UNREACHABLE = "robots.txt unreachable"
_ROBOTS_REASON = re.compile(re.escape(ROBOTS_UNREACHABLE) + r" \(([\w-]+)\)")

_BY_TYPE: list[tuple[tuple[type[BaseException], ...], str]] = [
    ((DNSLookupError, CannotResolveHostError), "dns"),
    ((ConnectionRefusedError, DownloadConnectionRefusedError), "connection-refused"),
    ((TimeoutError, TCPTimedOutError, DownloadTimeoutError), "timeout"),
    ((ConnectError,), "connect-error"),
    ((ResponseDataLossError,), "truncated-body"),
    ((ResponseNeverReceived, ResponseFailed, ConnectionLost, DownloadFailedError), "connection-lost"),
]


def classify_exception(exc: BaseException) -> tuple[str, int | None, str]:
    """(reason, HTTP status or None, human detail)."""
    detail = f"{type(exc).__name__}: {exc}"[:500]
    if isinstance(exc, HttpError):
        status = int(exc.response.status)
        return f"http-{status}", status, f"HTTP {status}"
    if isinstance(exc, IgnoreRequest):
        text = str(exc)
        if text.startswith("redirect loop"):  # spiders.middlewares.RedirectLoop
            return "redirect-loop", None, detail
        if "max redirections" in text:  # Scrapy's RedirectMiddleware (REDIRECT_MAX_TIMES)
            return "too-many-redirects", None, detail
        if "during decompression" in text:  # Scrapy's HttpCompressionMiddleware (DOWNLOAD_MAXSIZE)
            return "decompression-limit", None, detail
        m = _ROBOTS_REASON.search(str(exc))
        if m:
            return m.group(1), None, detail
        return ("robots-disallowed" if "robots" in str(exc).lower() else "ignored"), None, detail
    for types, reason in _BY_TYPE:
        if isinstance(exc, types):
            return reason, None, detail
    return "fetch-error", None, detail


def classify_failure(failure: TwistedFailure) -> tuple[str, int | None, str]:
    return classify_exception(failure.value or Exception("unknown error"))
