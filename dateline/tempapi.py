"""The CLI's temporary Prefect API: Prefect's own ephemeral server, started by us so it ends with us.

Prefect starts its ephemeral server lazily, from whichever thread first needs a client, as a
plain child: a SIGKILL of the CLI left it running for good, and a SIGTERM ended the CLI before
Prefect's atexit hook could stop it. Here the same server (Prefect's command and settings) is
launched up front from the main thread, before the CLI's heavy imports (which overlap its start), in its own session (a terminal's Ctrl-C
reaches only the CLI, which stops things in order) and with a parent-death signal; once launched it is registered as an
instance of Prefect's class, so Prefect's clients find it as the ephemeral server.
A watcher notices when the server dies under a running crawl (then nothing can be reported to
it, and waiting on it would hang): the CLI is asked to stop.
"""

from __future__ import annotations

import atexit
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

import prefect
from prefect.logging import get_logger
from prefect.logging.configuration import ensure_logging_setup
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
    get_current_settings,
)

from core import procs

if TYPE_CHECKING:
    from prefect.server.api.server import SubprocessASGIServer

READY_POLL_SECONDS = 0.05
_PORTS = range(8000, 9000)  # Prefect's range for its ephemeral server


def _launch(port: int) -> subprocess.Popen[Any]:
    """Prefect 3.8's command and environment for the ephemeral server (server.py), plus the
    session and the parent-death signal (so: from the main thread, which lives as long as we do)."""
    server_env = {
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
    }
    return subprocess.Popen(
        args=[
            sys.executable, "-m", "uvicorn", "--app-dir", str(prefect.__module_path__.parent),
            "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "error", "--lifespan", "on",
        ],
        env={**os.environ, **server_env, **get_current_settings().to_environment_variables(exclude_unset=True)},
        start_new_session=True,
        preexec_fn=procs.preexec_die_with_parent(signal.SIGTERM),
    )  # fmt: skip


def _free_port() -> int:
    """A port of Prefect's range that is free now (Prefect's own choice, without its backoff)."""
    for _ in range(50):
        port = random.choice(_PORTS)
        with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port for the temporary Prefect server")


@cache
def _guarded_class() -> type[SubprocessASGIServer]:
    """Prefect's server class, imported only once the server process runs: the import (the
    whole server package, ~5 s CPU) overlaps the server's own start on the other core."""
    from prefect.server.api.server import SubprocessASGIServer

    class GuardedServer(SubprocessASGIServer):
        """Prefect's ephemeral server, started by us (``_launch``); a restart by Prefect launches
        it the same way."""

        def _run_uvicorn_command(self) -> subprocess.Popen[Any]:
            assert self.port is not None
            return _launch(self.port)

    return GuardedServer


class TemporaryAPI:
    """The server process, launched at once; ``ready`` registers it as Prefect's ephemeral
    server and waits for its health check, so the CLI does its own imports and set-up meanwhile."""

    def __init__(self) -> None:
        self.port = _free_port()
        ensure_logging_setup()  # as `import prefect.main` would, before Prefect's first line
        get_logger().info(
            "Starting temporary server on http://127.0.0.1:%d\nSee "
            "https://docs.prefect.io/v3/concepts/server#how-to-guides "
            "for more information on running a dedicated Prefect server.",
            self.port,
        )
        self.process: subprocess.Popen[Any] | None = _launch(self.port)
        self.server: SubprocessASGIServer | None = None

    def ready(self, timeout: float | None = None) -> SubprocessASGIServer:
        """Prefect's clients find this server as the ephemeral one (the class keeps one instance);
        returns once it answers (main thread: a port clash relaunches it, as Prefect does)."""
        if self.server is not None:
            return self.server
        assert self.process is not None
        server = _guarded_class()()
        server.port, server.server_process, server.running = self.port, self.process, True
        atexit.register(server.stop)
        self.server = server
        import httpx

        deadline = time.monotonic() + (timeout or PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
        with httpx.Client() as client:
            while time.monotonic() < deadline:
                if server.server_process is not None and server.server_process.poll() == 3:  # port taken
                    server.port = self.port = _free_port()
                    server.server_process = self.process = _launch(self.port)
                    continue
                try:
                    if client.get(f"{server.api_url}/health").status_code == 200:
                        return server
                except httpx.TransportError:
                    pass
                time.sleep(READY_POLL_SECONDS)
        code = server.server_process.poll() if server.server_process is not None else None
        raise RuntimeError(
            f"Timed out while attempting to connect to the temporary Prefect API (exit code {code})"
        )

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        elif self.process is not None:  # stopped before it was ready (a signal during set-up)
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def needs_temporary_server() -> bool:
    """No API configured: Prefect would start an ephemeral server."""
    return not PREFECT_API_URL.value() and get_current_settings().server.ephemeral.enabled


@contextmanager
def temporary_api() -> Iterator[TemporaryAPI | None]:
    """Launch the temporary server (when no API is configured) for the duration of the block;
    call ``ready()`` on it before the first flow run."""
    if not needs_temporary_server():
        yield None
        return
    api = TemporaryAPI()
    stopping = threading.Event()
    threading.Thread(target=_watch, args=(api, stopping), name="temp-api-watch", daemon=True).start()
    try:
        yield api
    finally:
        stopping.set()
        if api.server is not None:
            _drain_prefect_workers()
        api.stop()


def _drain_prefect_workers(timeout: float = 5.0) -> None:
    """Send the logs and events still queued while the server is up: drained at exit after
    the server had stopped, Prefect retried a dead address for over a minute."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        try:
            worker.drain_all(timeout=timeout, at_exit=False)
        except Exception as e:  # never a reason not to stop the server
            sys.stderr.write(f"could not send the last Prefect {worker.__name__} items: {e}\n")


def _watch(api: TemporaryAPI, stopping: threading.Event) -> None:
    """The server died while the CLI still needs it: stop the CLI (SIGTERM to itself)."""
    while not stopping.wait(1.0):
        process = api.process
        if process is not None and process.poll() not in (None, 3) and not stopping.is_set():
            sys.stderr.write(f"the temporary Prefect server exited ({process.returncode}); stopping\n")
            os.kill(os.getpid(), signal.SIGTERM)
            return


def kill_server(api: TemporaryAPI | None) -> None:
    """For a hard stop: end the server at once."""
    process = api.process if api is not None else None
    if process is not None:
        procs.kill_group(process.pid)
