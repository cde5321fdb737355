"""One site at a time: the site's slot, a one-slot Prefect global concurrency limit, and who holds it.

Why: a slot is a counter on the server with a lease. A killed run's lease lived on (300 s, or
for good once the server that kept it in memory was gone), so the rerun right after a crash
skipped the site. Now the holder writes who it is next to the slot (a Prefect variable
``crawl-site-<name>-holder``: flow run id, lease id, host, pid and the pid's start time), holds a
short lease (60 s, the server's minimum) renewed every 15 s, and a run that finds the slot
taken reclaims it, with a log line naming the holder, when the holder is dead:

- its flow run is in a final state (Completed, Failed, Cancelled, Crashed) or gone, or
- it ran on this host and its process is gone (the run is then marked Crashed), or
- no holder is recorded and no run of the site is Running.

A holder on another host that is still Running is only given up when its lease expires.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack, suppress
from dataclasses import asdict, dataclass
from typing import Any
from uuid import UUID

from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, VariableCreate, VariableUpdate
from prefect.client.schemas.objects import ConcurrencyLeaseHolder, FlowRun
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound, PrefectHTTPStatusError
from prefect.states import Crashed

from core import procs
from core.times import iso_utc, utcnow

logger = logging.getLogger(__name__)

SITE_LIMIT_PREFIX = "crawl-site-"
LEASE_SECONDS = 60.0  # the server's minimum: a holder that dies elsewhere frees the slot this soon
RENEW_SECONDS = 15.0
LOCKED = 423  # the server's answer when no slot is free


def site_limit_name(site: str) -> str:
    return f"{SITE_LIMIT_PREFIX}{site}"


def holder_variable(site: str) -> str:
    return f"{site_limit_name(site)}-holder"


@dataclass(frozen=True)
class Holder:
    """Who holds a site's slot: enough to tell, from this host, whether it is still alive."""

    lease_id: str
    flow_run_id: str | None
    host: str
    pid: int
    pid_start: int | None
    since: str

    @classmethod
    def me(cls, lease_id: UUID, flow_run_id: UUID | None) -> Holder:
        pid = os.getpid()
        return cls(
            str(lease_id), str(flow_run_id) if flow_run_id else None, socket.gethostname(), pid,
            procs.process_start_ticks(pid), iso_utc(utcnow()),
        )  # fmt: skip

    def process_gone(self) -> bool:
        """True only when the holder ran on this host and its process no longer runs."""
        if self.host != socket.gethostname():
            return False
        if not procs.pid_alive(self.pid):
            return True
        return self.pid_start is not None and procs.process_start_ticks(self.pid) != self.pid_start

    def describe(self, run_name: str | None = None) -> str:
        name = f"'{run_name}' " if run_name else ""
        run = f"flow run {name}{self.flow_run_id}" if self.flow_run_id else "a run outside Prefect's runs"
        return f"{run} (pid {self.pid} on {self.host}, since {self.since})"


def ensure_site_limit(client: SyncPrefectClient, name: str) -> None:
    """Create the site's one-slot limit on first use; it then shows under Concurrency in the
    dashboard. Looked up first: the server logs a refused duplicate creation as an error."""
    try:
        client.read_global_concurrency_limit_by_name(name)
        return
    except ObjectNotFound:
        pass
    with suppress(ObjectAlreadyExists):
        client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))


def read_holder(client: SyncPrefectClient, site: str) -> Holder | None:
    variable = client.read_variable_by_name(holder_variable(site))
    if variable is None or not isinstance(variable.value, dict):
        return None
    try:
        return Holder(**variable.value)
    except TypeError:  # written by another version: treat as unknown
        return None


def _write_holder(client: SyncPrefectClient, site: str, holder: Holder) -> None:
    value: Any = asdict(holder)
    name = holder_variable(site)
    try:
        client.create_variable(VariableCreate(name=name, value=value))
    except ObjectAlreadyExists:
        client.update_variable(VariableUpdate(name=name, value=value))


def _forget_holder(client: SyncPrefectClient, site: str, holder: Holder) -> None:
    """Delete the record if it is still this holder's (another run may have taken over)."""
    if read_holder(client, site) == holder:
        with suppress(ObjectNotFound):
            client.delete_variable_by_name(holder_variable(site))


def _try_acquire(client: SyncPrefectClient, name: str, flow_run_id: UUID | None) -> UUID | None:
    """Take the slot with a lease, or None when it is taken."""
    slot = client.read_global_concurrency_limit_by_name(name)
    if slot.active_slots >= slot.limit:
        return None
    holder = ConcurrencyLeaseHolder(type="flow_run", id=flow_run_id) if flow_run_id else None
    try:
        response = client.increment_concurrency_slots_with_lease(
            names=[name], slots=1, mode="concurrency", lease_duration=LEASE_SECONDS, holder=holder
        )
    except PrefectHTTPStatusError as e:
        if e.response.status_code == LOCKED:  # another run took it between the look and the grab
            return None
        raise
    return UUID(response.json()["lease_id"])


def _final_or_gone(client: SyncPrefectClient, flow_run_id: str | None) -> tuple[FlowRun | None, str | None]:
    """The holder's flow run, and why it no longer holds anything (None: it may)."""
    if flow_run_id is None:
        return None, None
    try:
        run = client.read_flow_run(UUID(flow_run_id))
    except ObjectNotFound:
        return None, "its flow run no longer exists"
    if run.state is not None and run.state.is_final():
        return run, f"its flow run is {run.state.name}"
    return run, None


def _mark_crashed(client: SyncPrefectClient, run: FlowRun, why: str) -> None:
    """A Running run whose process is gone: Crashed, and its parent run too when that ran in
    the same (dead) process (a crawl-all calls its crawl-site runs in-process)."""
    runs = [run]
    if run.parent_task_run_id is not None:
        with suppress(ObjectNotFound):
            parent_task = client.read_task_run(run.parent_task_run_id)
            if parent_task.flow_run_id is not None:
                runs.append(client.read_flow_run(parent_task.flow_run_id))
    for r in runs:
        if r.state is not None and not r.state.is_final():
            client.set_flow_run_state(r.id, Crashed(message=why), force=True)


def reclaim_if_dead(
    client: SyncPrefectClient, site: str, me: UUID | None, running: Callable[[], list[str]]
) -> str | None:
    """Free the site's slot when its holder is dead; the log line saying so (None: left alone).

    ``running`` names the other Running crawls of the site (asked only when no holder is recorded)."""
    name = site_limit_name(site)
    holder = read_holder(client, site)
    why: str | None
    if holder is None:
        if running():
            return None
        why, who = "no holder is recorded and no run of the site is running", "an unknown holder"
    else:
        if holder.flow_run_id is not None and me is not None and holder.flow_run_id == str(me):
            return None  # our own record (a retry in this run): nothing to reclaim from
        run, why = _final_or_gone(client, holder.flow_run_id)
        if why is None and holder.process_gone():
            why = f"its process {holder.pid} on {holder.host} is gone"
            if run is not None:
                _mark_crashed(client, run, f"process {holder.pid} on {holder.host} gone (found by {me})")
        if why is None:
            return None
        who = holder.describe(run.name if run else None)
        with suppress(ObjectNotFound):
            client.release_concurrency_slots_with_lease(UUID(holder.lease_id))
    slot = client.read_global_concurrency_limit_by_name(name)
    if slot.active_slots >= slot.limit and read_holder(client, site) == holder:
        # the lease was unknown to the server (a server restarted with leases in memory)
        client.release_concurrency_slots(names=[name], slots=1, occupancy_seconds=1.0)
    if holder is not None:
        _forget_holder(client, site, holder)
    return f"reclaimed the slot {name} from {who}: {why}"


class _Renewer(threading.Thread):
    """Renews the lease every RENEW_SECONDS while the slot is held."""

    def __init__(self, lease_id: UUID, site: str) -> None:
        super().__init__(name=f"slot-lease-{site}", daemon=True)
        self.lease_id, self.site = lease_id, site
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(RENEW_SECONDS):
            try:
                with get_client(sync_client=True) as client:
                    client.renew_concurrency_lease(self.lease_id, lease_duration=LEASE_SECONDS)
            except Exception as e:  # a busy API: the next renewal may still come in time
                logger.warning("[%s] could not renew the slot's lease: %s", self.site, e)


def hold_site_slot(
    stack: ExitStack,
    site: str,
    wait_seconds: float,
    flow_run_id: UUID | None,
    running: Callable[[], list[str]],
    log: Callable[[str], None],
) -> bool:
    """Take the site's slot until ``stack`` closes; False if a live run still holds it after
    ``wait_seconds``. A dead holder's slot is reclaimed at once (``log`` says from whom)."""
    name = site_limit_name(site)
    deadline = time.monotonic() + wait_seconds
    with get_client(sync_client=True) as client:
        ensure_site_limit(client, name)
        while True:
            lease_id = _try_acquire(client, name, flow_run_id)
            if lease_id is not None:
                holder = Holder.me(lease_id, flow_run_id)
                _write_holder(client, site, holder)
                break
            reclaimed = reclaim_if_dead(client, site, flow_run_id, running)
            if reclaimed is not None:
                log(reclaimed)
                continue
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
    renewer = _Renewer(lease_id, site)
    renewer.start()
    stack.callback(_release, site, holder, renewer)
    return True


def _release(site: str, holder: Holder, renewer: _Renewer) -> None:
    renewer.stopped.set()
    with get_client(sync_client=True) as client:
        client.release_concurrency_slots_with_lease(UUID(holder.lease_id))
        _forget_holder(client, site, holder)


def holder_summary(site: str) -> str | None:
    """The recorded holder of the site's slot, for messages (None when none or unreadable)."""
    try:
        with get_client(sync_client=True) as client:
            holder = read_holder(client, site)
            if holder is None:
                return None
            run = client.read_flow_run(UUID(holder.flow_run_id)) if holder.flow_run_id else None
    except Exception:  # naming the holder must never fail the run
        return None
    return holder.describe(run.name if run else None)


def reclaim_dead_holders(client: SyncPrefectClient) -> list[str]:
    """Free every site slot whose recorded holder is dead (its run then ends Crashed): what a
    restarted service does first, since a stop or crash can leave runs Running. Slots without
    a record are left to their leases here."""
    lines = []
    for limit in client.read_global_concurrency_limits(limit=200, offset=0):
        if limit.name.startswith(SITE_LIMIT_PREFIX) and limit.active_slots > 0:
            site = limit.name.removeprefix(SITE_LIMIT_PREFIX)
            if line := reclaim_if_dead(client, site, None, running=lambda: ["unknown"]):
                lines.append(line)
    return lines
