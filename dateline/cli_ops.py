"""`dateline service start|stop|status|notify`: the local Prefect service set for operators.

Registered on the main app by dateline/cli.py; the work is done in dateline/service.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dateline import service
from dateline.cli_common import err, out

service_app = typer.Typer(
    no_args_is_help=True,
    help="Run Dateline as a service: a Prefect server with its dashboard and a worker on the 'dateline' pool.",
)

HostOpt = Annotated[str, typer.Option(help="address the server listens on")]
PortOpt = Annotated[int, typer.Option(help="port of the API and dashboard")]
StateOpt = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        help="pids and logs (default: $XDG_STATE_HOME/dateline/service)",
        envvar="DATELINE_SERVICE_DIR",
    ),
]


def _config(host: str, port: int, state_dir: Path | None, pool: str = service.POOL) -> service.ServiceConfig:
    if state_dir is None:
        return service.ServiceConfig(host=host, port=port, pool=pool)
    return service.ServiceConfig(host=host, port=port, pool=pool, state_dir=state_dir)


def _print_status(st: service.ServiceStatus, already: dict[str, int | None] | None = None) -> None:
    """On stdout, so `dateline service status | grep` works; errors go to stderr."""
    for name, pid in st.pids.items():
        state = f"[green]running[/] (pid {pid})" if pid else "[yellow]not running[/]"
        if pid and already and already.get(name) == pid:
            state = f"[green]already running[/] (pid {pid})"
        out.print(f"{name}: {state}")
    out.print(f"API: {st.api_url} ({'[green]healthy[/]' if st.healthy else '[red]not answering[/]'})")
    out.print(f"dashboard: [bold]{st.url}[/]   logs: {st.state_dir}")
    out.print(f"for prefect commands in this shell: export PREFECT_API_URL={st.api_url}")


@service_app.command()
def start(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 4200,
    pool: Annotated[str, typer.Option(help="work pool the worker serves")] = service.POOL,
    state_dir: StateOpt = None,
    deploy: Annotated[bool, typer.Option(help="also run `prefect deploy --all` from prefect.yaml")] = False,
) -> None:
    """Start the Prefect server (dashboard) and a worker; wait until the API answers."""
    cfg = _config(host, port, state_dir, pool)
    before = service.status(cfg).pids
    try:
        st = service.start(cfg, with_deploy=deploy)
    except service.ServiceError as e:
        err.print(f"[red]{e}[/]")
        raise typer.Exit(1) from e
    for line in st.reclaimed:
        err.print(f"[yellow]{line}[/]")
    _print_status(st, already=before)


@service_app.command("deploy")
def deploy_cmd(host: HostOpt = "127.0.0.1", port: PortOpt = 4200) -> None:
    """Create or update the deployments of prefect.yaml (`prefect deploy --all` from the repo root)
    on the running server; says so in one line when no server answers."""
    cfg = service.ServiceConfig(host=host, port=port)
    if not service.healthy(cfg):
        err.print(
            f"[red]no Prefect server answers at {cfg.api_url}[/]: start it with `dateline service start`"
        )
        raise typer.Exit(1)
    try:
        service.ensure_work_pool(cfg)
        service.deploy(cfg)
    except service.ServiceError as e:
        err.print(f"[red]{e}[/]")
        raise typer.Exit(1) from e
    out.print(f"deployed prefect.yaml to {cfg.api_url}; see {cfg.url}/deployments")


@service_app.command()
def stop(host: HostOpt = "127.0.0.1", port: PortOpt = 4200, state_dir: StateOpt = None) -> None:
    """Stop the worker and the server (signal, wait, then kill)."""
    stopped = service.stop(_config(host, port, state_dir))
    err.print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@service_app.command()
def status(host: HostOpt = "127.0.0.1", port: PortOpt = 4200, state_dir: StateOpt = None) -> None:
    """Show whether server and worker run and where the dashboard is; exit 1 if not healthy."""
    st = service.status(_config(host, port, state_dir))
    _print_status(st)
    if not (st.healthy and all(st.pids.values())):
        raise typer.Exit(1)


@service_app.command()
def notify(
    webhook_url: Annotated[
        str, typer.Option(help="where alerts are POSTed (Slack-style JSON {'text': ...})")
    ],
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 4200,
) -> None:
    """Install the automation in automations/ that alerts on Failed, Crashed, Partial and Unhealthy runs."""
    cfg = service.ServiceConfig(host=host, port=port)
    automation_id = service.install_alerts(cfg, webhook_url)
    err.print(f"automation {automation_id} posts to {webhook_url}; see {cfg.url}/automations")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main CLI."""
    app.add_typer(service_app, name="service")
