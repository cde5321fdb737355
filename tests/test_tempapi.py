"""The CLI's temporary Prefect API: launched at once, waited for only before the first flow run."""

import subprocess
import sys
from pathlib import Path

from tests.fixtures.prefect import prefect_free_env

REPO = Path(__file__).resolve().parents[1]

SCRIPT = """
import os, sys
from dateline.tempapi import temporary_api

with temporary_api() as api:  # stopped before it was ready (a signal during the CLI's set-up)
    early = api.process
    assert early.poll() is None, "launched when the block starts"
assert early.poll() is not None, "stopped with the block"

with temporary_api() as api:
    assert "prefect.server.api.server" not in sys.modules, "the server package is imported later"
    server = api.ready()
    from prefect.client.orchestration import get_client
    from prefect.server.api.server import SubprocessASGIServer

    assert SubprocessASGIServer() is server and server.running
    with get_client(sync_client=True) as client:  # Prefect's client finds it as its ephemeral server
        assert str(client.api_url).rstrip("/") == server.api_url, (client.api_url, server.api_url)
        assert client.api_healthcheck() is None
    process = api.process
assert process is not None and process.poll() is not None, "the server ended with the block"
print("ok")
"""


def test_server_is_launched_at_once_and_found_by_prefect_once_ready(migrated_prefect_home: Path) -> None:
    env = {**prefect_free_env(), "PREFECT_HOME": str(migrated_prefect_home), "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stdout + done.stderr[-3000:]
