"""A loopback HTTP server of canned routes that records every request it receives.

Why: tests and the offline demo need real HTTP (status codes, redirects, slow and truncated
bodies, clients that hang up) on 127.0.0.1 without internet. Only the standard library
(``http.server`` + ``threading``) is used; ``demosite.news`` builds a news site on top of it.
"""

from __future__ import annotations

import contextlib
import html
import select
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import unquote, urlsplit


@dataclass
class Route:
    """A canned HTTP response.

    ``delay`` sleeps before the status line (a server that is too slow to answer); ``trickle``
    sends the body in ``chunk_size`` pieces every ``chunk_interval`` seconds (a slow body).
    Both stop early when the site closes or the client hangs up, so tests never hang.
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    trickle: bool = False
    chunk_size: int = 512
    chunk_interval: float = 0.05

    @classmethod
    def html(cls, body: str | bytes, *, status: int = 200, encoding: str = "utf-8") -> Route:
        """An HTML page; ``encoding`` is what the Content-Type declares (and encodes ``str``)."""
        data = body.encode(encoding) if isinstance(body, str) else body
        return cls(status, {"Content-Type": f"text/html; charset={encoding}"}, data)

    @classmethod
    def xml(cls, body: str, *, content_type: str = "application/xml") -> Route:
        """An XML document (feeds, sitemaps), always UTF-8."""
        return cls(200, {"Content-Type": f"{content_type}; charset=utf-8"}, body.encode("utf-8"))

    @classmethod
    def text(cls, body: str, *, status: int = 200) -> Route:
        """A plain-text document such as robots.txt."""
        return cls(status, {"Content-Type": "text/plain; charset=utf-8"}, body.encode("utf-8"))

    @classmethod
    def redirect(cls, location: str, *, status: int = 301) -> Route:
        """A redirect to ``location`` (use an absolute URL, as real servers do)."""
        body = f'<html><body>Moved to <a href="{html.escape(location)}">here</a>.</body></html>'
        return cls(
            status,
            {"Location": location, "Content-Type": "text/html; charset=utf-8"},
            body.encode("utf-8"),
        )


@dataclass(frozen=True)
class RequestRecord:
    """One request the site received (recorded before answering, so slow ones show up too)."""

    method: str
    path: str
    headers: dict[str, str]
    time: float


Responder = Callable[[RequestRecord], Route]
"""A dynamic route: computes the response per request (e.g. fail twice, then succeed)."""


# --------------------------------------------------------------------------- the server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Do not join handler threads on close: a client may keep a keep-alive connection open.
    block_on_close = False
    request_queue_size = 128  # the default backlog of 5 stalls concurrent crawlers for 1 s (SYN retry)
    site: LocalSite

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients hanging up (and anything during close); keep other crashes for inspection."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError) or self.site.closing:
            return
        self.site._record_error(traceback.format_exc())


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "DatelineLocalSite/1.0"
    timeout = 30  # idle keep-alive connections end by themselves

    def setup(self) -> None:
        super().setup()
        self.server.site._track(self.connection, add=True)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.site._track(self.connection, add=False)

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests read ``LocalSite.log`` instead of stderr."""

    def _serve(self, *, head: bool) -> None:
        site = self.server.site
        record = RequestRecord(
            method=self.command,
            path=self.path,
            headers=dict(self.headers.items()),
            time=time.time(),
        )
        site._record_request(record)
        try:
            route = site._resolve(record)
        except Exception:  # a broken Responder must show up in the test, not hang the client
            site._record_error(traceback.format_exc())
            route = _SERVER_ERROR
        if route.delay > 0 and not self._wait(route.delay):
            self.close_connection = True
            return
        body = route.body
        try:
            self.send_response(route.status)
            headers = {k.lower(): (k, v) for k, v in route.headers.items()}
            headers.setdefault("content-length", ("Content-Length", str(len(body))))
            if site.closing:
                headers["connection"] = ("Connection", "close")
                self.close_connection = True
            for key, value in headers.values():
                self.send_header(key, value)
            self.end_headers()
            if head or not body:
                return
            if not route.trickle:
                self.wfile.write(body)
                return
            step = max(1, route.chunk_size)
            for start in range(0, len(body), step):
                self.wfile.write(body[start : start + step])
                self.wfile.flush()
                if start + step < len(body) and not self._wait(route.chunk_interval):
                    self.close_connection = True
                    return
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _wait(self, seconds: float) -> bool:
        """Sleep; False as soon as the site closes or the client goes away (frees the thread)."""
        site = self.server.site
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            if site._closing.wait(min(remaining, 0.05)) or self._client_gone():
                return False
        return True

    def _client_gone(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True


_NOT_FOUND = Route.html("<!doctype html><html><body><h1>404 Not Found</h1></body></html>", status=404)
_SERVER_ERROR = Route.html(
    "<!doctype html><html><body><h1>500 Internal Server Error</h1></body></html>", status=500
)


class LocalSite:
    """An HTTP server on 127.0.0.1 (free port) serving a route table from a daemon thread.

    Use it as a context manager. Routes are looked up by path without query string, so
    ``/a.html?utm_source=x`` is answered by ``/a.html`` (a route registered *with* a query
    wins if present). Every request is logged (``requests``/``log``) so tests can assert what a
    crawler fetched: robots.txt obeyed, nothing fetched twice.
    """

    def __init__(
        self, routes: Mapping[str, Route | Responder] | None = None, *, host: str = "127.0.0.1"
    ) -> None:
        self._routes: dict[str, Route | Responder] = dict(routes or {})
        self._bind_host = host
        self._lock = threading.Lock()
        self._log: list[RequestRecord] = []
        self._errors: list[str] = []
        self._conns: set[socket.socket] = set()
        self._closing = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def start(self) -> Self:
        """Bind, build routes (now that the absolute base URL is known), then serve."""
        if self._server is not None:
            return self
        server = _Server((self._bind_host, 0), _Handler)
        server.site = self
        self._server = server
        try:
            self._build_routes()
        except BaseException:
            server.server_close()
            self._server = None
            raise
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"localsite-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def _build_routes(self) -> None:
        """Hook for subclasses: add routes that need ``base_url``; runs before serving starts."""

    def close(self) -> None:
        """Stop serving, wake sleeping handlers and drop open connections. Idempotent."""
        server = self._server
        if server is None or self._closing.is_set():
            return
        self._closing.set()
        if self._thread is not None:
            server.shutdown()
            self._thread.join(timeout=5)
        server.server_close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closing(self) -> bool:
        """True once ``close()`` was called."""
        return self._closing.is_set()

    @property
    def running(self) -> bool:
        """True while the serving thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    # -- addresses

    @property
    def host(self) -> str:
        """The host name to put in ``allowed_domains`` (no port)."""
        return self._bind_host

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("LocalSite is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, without trailing slash."""
        return f"http://{self._bind_host}:{self.port}"

    def url(self, path: str) -> str:
        """Absolute URL of a site path."""
        return self.base_url + path

    # -- routes

    def add_route(self, path: str, route: Route | Responder) -> None:
        """Add or replace a route; allowed while serving."""
        with self._lock:
            self._routes[path] = route

    def add_routes(self, routes: Mapping[str, Route | Responder]) -> None:
        with self._lock:
            self._routes.update(routes)

    @property
    def routes(self) -> dict[str, Route | Responder]:
        with self._lock:
            return dict(self._routes)

    def _resolve(self, record: RequestRecord) -> Route:
        target = record.path
        if target.startswith(("http://", "https://")):  # absolute-form request target
            parts = urlsplit(target)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
        path = target.split("?", 1)[0].split("#", 1)[0]
        with self._lock:
            found = self._routes.get(target) or self._routes.get(path) or self._routes.get(unquote(path))
        if found is None:
            return _NOT_FOUND
        return found if isinstance(found, Route) else found(record)

    # -- request log

    def _record_request(self, record: RequestRecord) -> None:
        with self._lock:
            self._log.append(record)

    def _record_error(self, text: str) -> None:
        with self._lock:
            self._errors.append(text)

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    @property
    def requests(self) -> list[str]:
        """Request targets (path + query) in arrival order; a snapshot copy."""
        with self._lock:
            return [r.path for r in self._log]

    @property
    def log(self) -> list[RequestRecord]:
        """Full request records (method, path, headers, time); a snapshot copy."""
        with self._lock:
            return list(self._log)

    @property
    def errors(self) -> list[str]:
        """Tracebacks of unexpected handler failures (should stay empty)."""
        with self._lock:
            return list(self._errors)

    def count(self, path: str) -> int:
        """How often ``path`` was requested (query strings ignored unless ``path`` has one)."""
        with self._lock:
            targets = [r.path for r in self._log]
        if "?" in path:
            return targets.count(path)
        return sum(1 for t in targets if t.split("?", 1)[0] == path)

    def clear_requests(self) -> None:
        """Forget the log, e.g. between two crawl runs of an incremental test."""
        with self._lock:
            self._log.clear()
