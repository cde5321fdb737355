"""The CLI's temporary Prefect API: Prefect's own ephemeral server, started by us so it ends with us.

Prefect starts its ephemeral server lazily, from whichever thread first needs a client, as a
plain child: a SIGKILL of the CLI left it running for good, and a SIGTERM ended the CLI before
Prefect's atexit hook could stop it. Here the same server (Prefect's class, its command and
settings) is started up front from the main thread, in its own session (a terminal's Ctrl-C
reaches only the CLI, which stops things in order) and with a parent-death signal; Prefect's
clients find it as the ephemeral server, since the class keeps one instance per port.
A watcher notices when the server dies under a running crawl (then nothing can be reported to
it, and waiting on it would hang): the CLI is asked to stop.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import prefect
from prefect.server.api.server import SubprocessASGIServer
from prefect.settings import PREFECT_API_URL, get_current_settings

from core import procs


class GuardedServer(SubprocessASGIServer):
    """Prefect's ephemeral server process, in its own session, ending when the CLI dies."""

    def _run_uvicorn_command(self) -> subprocess.Popen[Any]:
        # Prefect 3.8's command and environment for the ephemeral server (server.py), plus
        # the session and the parent-death signal.
        server_env = {
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
        }
        return subprocess.Popen(
            args=[
                sys.executable, "-m", "uvicorn", "--app-dir", str(prefect.__module_path__.parent),
                "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1",
                "--port", str(self.port), "--log-level", "error", "--lifespan", "on",
            ],
            env={**os.environ, **server_env, **get_current_settings().to_environment_variables(exclude_unset=True)},
            start_new_session=True,
            preexec_fn=procs.preexec_die_with_parent(signal.SIGTERM),
        )  # fmt: skip


def needs_temporary_server() -> bool:
    """No API configured: Prefect would start an ephemeral server."""
    return not PREFECT_API_URL.value() and get_current_settings().server.ephemeral.enabled


@contextmanager
def temporary_api() -> Iterator[GuardedServer | None]:
    """Start the temporary server (when no API is configured) for the duration of the block."""
    if not needs_temporary_server():
        yield None
        return
    server = GuardedServer()
    server.start()
    stopping = threading.Event()
    threading.Thread(target=_watch, args=(server, stopping), name="temp-api-watch", daemon=True).start()
    try:
        yield server
    finally:
        stopping.set()
        _drain_prefect_workers()
        server.stop()


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


def _watch(server: GuardedServer, stopping: threading.Event) -> None:
    """The server died while the CLI still needs it: stop the CLI (SIGTERM to itself)."""
    process = server.server_process
    if process is None:
        return
    while not stopping.wait(1.0):
        if process.poll() is not None and not stopping.is_set():
            sys.stderr.write(f"the temporary Prefect server exited ({process.returncode}); stopping\n")
            os.kill(os.getpid(), signal.SIGTERM)
            return


def kill_server(server: GuardedServer | None) -> None:
    """For a hard stop: end the server at once."""
    process = server.server_process if server is not None else None
    if process is not None:
        procs.kill_group(process.pid)
