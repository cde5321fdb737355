"""The service set's plain parts, without starting anything: the automation spec from the repo,
the shared environment, and pid files that must never make `stop` signal someone else's process."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from prefect.events.schemas.automations import AutomationCore

from dateline.service import (
    ALERTS_AUTOMATION,
    ServiceConfig,
    load_automation,
    running_pid,
    service_env,
    status,
    stop,
)


def test_automation_in_the_repo_is_valid_and_points_at_the_block() -> None:
    block = uuid.uuid4()
    spec = load_automation(ALERTS_AUTOMATION, block)
    automation = AutomationCore.model_validate(spec)
    assert automation.name == "dateline-run-needs-attention" and automation.enabled
    expected = set(automation.trigger.expect)  # type: ignore[union-attr]
    assert {"prefect.flow-run.Failed", "prefect.flow-run.Partial", "prefect.flow-run.Unhealthy"} <= expected
    assert [str(a.block_document_id) for a in automation.actions] == [str(block)]  # type: ignore[union-attr]


def test_every_process_shares_one_api_address() -> None:
    cfg = ServiceConfig(port=4311)
    env = service_env(cfg, {"PATH": "/bin"})
    assert env["PREFECT_API_URL"] == env["PREFECT_UI_API_URL"] == "http://127.0.0.1:4311/api"
    assert env["PREFECT_UI_URL"] == cfg.url == "http://127.0.0.1:4311" and env["PATH"] == "/bin"


def test_a_stale_pid_file_is_not_ours(tmp_path: Path) -> None:
    cfg = ServiceConfig(port=4312, state_dir=tmp_path)
    cfg.pid_file("server").write_text(f"{os.getpid()}\n")  # a live process, but not a Prefect server
    cfg.pid_file("worker").write_text("not a pid\n")
    assert running_pid(cfg, "server") is None and running_pid(cfg, "worker") is None
    assert stop(cfg, grace=1) == [], "nothing of ours ran, nothing is signalled"
    assert not cfg.pid_file("server").exists()
    st = status(cfg)
    assert st.pids == {"server": None, "worker": None} and not st.healthy


def test_deploy_with_the_server_down_says_so_in_one_line(tmp_path: Path) -> None:
    from tests.fixtures.prefect_server import dateline, free_port

    port = free_port()  # nothing listens there
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    done = dateline(
        "service", "deploy", "--port", str(port), env={**env, "PREFECT_HOME": str(tmp_path)}, timeout=120
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"no Prefect server answers at http://127.0.0.1:{port}/api: start it with `dateline service start`"
    ], done.stderr
