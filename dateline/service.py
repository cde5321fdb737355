"""The local service set: a Prefect server (API + dashboard) and a worker on the project's pool.

`dateline service start|stop|status|notify` are thin shells over these functions. Both
processes run in the background in their own process groups; their pids and logs live in a
state folder, so `stop` (signal, wait, then kill) works from any later shell. Server, worker and
deployments all read the same PREFECT_API_URL / PREFECT_UI_API_URL, so a port other than 4200
still gives a dashboard that talks to the right API.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import httpx
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
AUTOMATIONS_DIR = REPO_ROOT / "automations"
ALERTS_AUTOMATION = AUTOMATIONS_DIR / "run-needs-attention.yaml"
ALERTS_BLOCK = "dateline-alerts"
POOL = "dateline"
PROCESSES = ("worker", "server")  # stop order: the worker first, so no run starts on a dying server
STOP_GRACE_SECONDS = 30.0


class ServiceError(Exception):
    """The service set could not be started or reached; the message says what to look at."""


def default_state_dir() -> Path:
    """``$DATELINE_SERVICE_DIR``, else ``$XDG_STATE_HOME/dateline/service`` (~/.local/state)."""
    if os.environ.get("DATELINE_SERVICE_DIR"):
        return Path(os.environ["DATELINE_SERVICE_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "dateline" / "service"


@dataclass(frozen=True)
class ServiceConfig:
    host: str = "127.0.0.1"
    port: int = 4200
    pool: str = POOL
    state_dir: Path = field(default_factory=default_state_dir)
    repo: Path = REPO_ROOT

    @property
    def url(self) -> str:
        """The dashboard."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    def pid_file(self, name: str) -> Path:
        return self.state_dir / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.state_dir / f"{name}.log"


@dataclass(frozen=True)
class ServiceStatus:
    url: str
    api_url: str
    healthy: bool
    pids: dict[str, int | None]
    state_dir: Path
    reclaimed: list[str] = field(default_factory=list)  # site slots freed from dead runs at start


# SQLite serialises writes: on a small machine a busy server otherwise answers 503 after 5 s.
DB_TIMEOUTS = {
    "PREFECT_SERVER_DATABASE_CONNECTION_TIMEOUT": "30",
    "PREFECT_SERVER_DATABASE_TIMEOUT": "60",
    # slot leases survive a server restart (in memory a restart left slots counted, never freed)
    "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect.server.concurrency.lease_storage.filesystem",
}


def service_env(cfg: ServiceConfig, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every service process shares: one API address for all of them."""
    return {
        **DB_TIMEOUTS,  # defaults; an operator's own values below win
        **(dict(os.environ) if base is None else base),
        "PREFECT_API_URL": cfg.api_url,
        "PREFECT_UI_API_URL": cfg.api_url,
        "PREFECT_UI_URL": cfg.url,  # links in notifications point at this dashboard
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }


def prefect_command(*args: str) -> list[str]:
    """The Prefect CLI of this environment (the worker's flow runs use the same Python)."""
    return [sys.executable, "-m", "prefect", *args]


# -- processes ------------------------------------------------------------------------------------


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _reap(pid: int) -> None:
    """Collect an exited child of this process (tests start the service in-process)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def running_pid(cfg: ServiceConfig, name: str) -> int | None:
    """The recorded pid if that process still runs Prefect (a recycled pid is not ours)."""
    try:
        pid = int(cfg.pid_file(name).read_text().strip())
    except (OSError, ValueError):
        return None
    _reap(pid)
    cmdline = _cmdline(pid)
    return pid if "prefect" in cmdline and f"{name} start" in cmdline else None


def _spawn(cfg: ServiceConfig, name: str, cmd: list[str], env: dict[str, str]) -> int:
    log = cfg.log_file(name).open("ab")
    proc = subprocess.Popen(
        cmd, cwd=cfg.repo, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: `stop` ends it and its children together
    )  # fmt: skip
    log.close()
    cfg.pid_file(name).write_text(f"{proc.pid}\n")
    return proc.pid


def _log_tail(cfg: ServiceConfig, name: str, lines: int = 15) -> str:
    try:
        return "\n".join(cfg.log_file(name).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _gone(pid: int) -> bool:
    _reap(pid)
    return not _cmdline(pid)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def stop_process(cfg: ServiceConfig, name: str, grace: float = STOP_GRACE_SECONDS) -> bool:
    """Signal, wait, then kill one service process group; True if it was running."""
    pid = running_pid(cfg, name)
    cfg.pid_file(name).unlink(missing_ok=True)
    if pid is None:
        return False
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and not _gone(pid):
        time.sleep(0.2)
    if not _gone(pid):
        _signal_group(pid, signal.SIGKILL)
        while not _gone(pid):
            time.sleep(0.1)
    return True


# -- server and pool ---------------------------------------------------------------------------------


def healthy(cfg: ServiceConfig) -> bool:
    try:
        return httpx.get(f"{cfg.api_url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_healthy(cfg: ServiceConfig, timeout: float) -> None:
    """A fresh server migrates its database first (tens of seconds on a small machine)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if healthy(cfg):
            return
        if running_pid(cfg, "server") is None:
            raise ServiceError(f"the Prefect server exited; last log lines:\n{_log_tail(cfg, 'server')}")
        time.sleep(0.5)
    raise ServiceError(
        f"the Prefect server did not answer within {timeout:g} s; see {cfg.log_file('server')}"
    )


def ensure_work_pool(cfg: ServiceConfig) -> bool:
    """Create the process work pool the deployments name, if missing; True if created."""
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with SyncPrefectClient(cfg.api_url) as client:
        try:
            client.read_work_pool(cfg.pool)
            return False
        except ObjectNotFound:
            template = ProcessWorker.get_default_base_job_template()
            client.create_work_pool(WorkPoolCreate(name=cfg.pool, type="process", base_job_template=template))
            return True


def deploy(cfg: ServiceConfig, env: dict[str, str] | None = None) -> str:
    """`prefect deploy --all` from the repo root: the deployments of prefect.yaml, and the repo
    folder recorded as the workers' working directory (their pull step)."""
    done = subprocess.run(
        prefect_command("--no-prompt", "deploy", "--all"), cwd=cfg.repo, env=env or service_env(cfg),
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        raise ServiceError(
            f"prefect deploy --all failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    return done.stdout


def start(cfg: ServiceConfig, *, with_deploy: bool = False, timeout: float = 180.0) -> ServiceStatus:
    """Start what is not running yet: server, work pool, (deployments), worker."""
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    env = service_env(cfg)
    if running_pid(cfg, "server") is None:
        if healthy(cfg):
            raise ServiceError(f"something else already answers on {cfg.url}; choose another --port")
        _spawn(
            cfg,
            "server",
            prefect_command("server", "start", "--host", cfg.host, "--port", str(cfg.port)),
            env,
        )
    wait_healthy(cfg, timeout)
    ensure_work_pool(cfg)
    reclaimed = release_dead_runs(cfg)
    if with_deploy:
        deploy(cfg, env)
    if running_pid(cfg, "worker") is None:
        _spawn(
            cfg, "worker", prefect_command("worker", "start", "--pool", cfg.pool, "--type", "process"), env
        )
    return replace(status(cfg), reclaimed=reclaimed)


def release_dead_runs(cfg: ServiceConfig) -> list[str]:
    """Crawl runs left Running by a stop or crash (their process is gone) end Crashed and their
    site slots are freed, before the worker takes new runs; one line per slot freed."""
    from prefect.client.orchestration import SyncPrefectClient

    from flows.slots import reclaim_dead_holders

    with SyncPrefectClient(cfg.api_url) as client:
        return reclaim_dead_holders(client)


def stop(cfg: ServiceConfig, grace: float = STOP_GRACE_SECONDS) -> list[str]:
    """Stop the flow runs, then the worker, then the server; the names of those that were running."""
    stop_flow_runs(cfg, grace)
    return [name for name in PROCESSES if stop_process(cfg, name, grace)]


def stop_flow_runs(cfg: ServiceConfig, grace: float = STOP_GRACE_SECONDS) -> list[int]:
    """SIGTERM each flow run process of the worker (each runs in its own session, so signalling
    the worker's group does not reach them), wait, then kill their groups; their pids.

    While the server still answers, a stopped crawl stops its crawl child cleanly, writes the
    run manifest (complete: false), frees the site's slot and reports the run Crashed."""
    from core import procs

    worker = running_pid(cfg, "worker")
    runs = [pid for pid in procs.children(worker) if procs.session_leader(pid)] if worker else []
    for pid in runs:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(not _gone(pid) for pid in runs):
        time.sleep(0.2)
    for pid in runs:
        procs.kill_group(pid)
        _reap(pid)
    return runs


def status(cfg: ServiceConfig) -> ServiceStatus:
    return ServiceStatus(
        url=cfg.url,
        api_url=cfg.api_url,
        healthy=healthy(cfg),
        pids={name: running_pid(cfg, name) for name in ("server", "worker")},
        state_dir=cfg.state_dir,
    )


# -- telling operators --------------------------------------------------------------------------------


def load_automation(path: Path, block_document_id: UUID) -> dict[str, Any]:
    """An automation spec from the repo with its notification actions pointed at the block."""
    spec: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    for action in spec.get("actions", []):
        if action.get("type") == "send-notification":
            action["block_document_id"] = str(block_document_id)
    return spec


def install_alerts(cfg: ServiceConfig, webhook_url: str, path: Path = ALERTS_AUTOMATION) -> UUID:
    """Save the `dateline-alerts` webhook block and (re)create the automation that uses it.

    Re-running replaces both, so the command is safe to repeat with a new URL.
    """
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.events.schemas.automations import AutomationCore
    from prefect.settings import PREFECT_API_URL, temporary_settings

    block = CustomWebhookNotificationBlock(
        name=ALERTS_BLOCK, url=webhook_url, json_data={"text": "{{subject}}\n{{body}}"}
    )
    with temporary_settings(updates={PREFECT_API_URL: cfg.api_url}):
        block_id = cast(UUID, block.save(ALERTS_BLOCK, overwrite=True))
    spec = load_automation(path, block_id)
    with SyncPrefectClient(cfg.api_url) as client:
        for old in client.read_automations_by_name(spec["name"]):
            client.delete_automation(old.id)
        return client.create_automation(AutomationCore.model_validate(spec))
