"""Process hygiene: children end with their parent, and a stop signal ends a process in bounded time.

Why: one crawl spans processes (the CLI or a flow run -> the crawl child -> its extraction
workers, and the CLI's temporary Prefect server). A SIGKILL of the parent must leave none of
them running (Linux: a parent-death signal set with prctl; elsewhere a watchdog thread that
sees the parent pid change), and a SIGTERM/SIGINT must end them all within the 30 s that
cron, systemd and Kubernetes give, even when something it waits for (the API) is gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_PID_ENV = "DATELINE_PARENT_PID"  # set for a child that should end with its parent


def _load_prctl() -> Callable[..., int] | None:
    """libc's prctl, resolved once at import (a preexec function must not load libraries)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    prctl: Callable[..., int] = libc.prctl
    return prctl


_prctl = _load_prctl()


def set_parent_death_signal(sig: int) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent dies (Linux only).

    The setting survives exec, so it may be set between fork and exec (``preexec``)."""
    if _prctl is None:
        return False
    return _prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0


def preexec_die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """A ``preexec_fn`` for children whose code is not ours (the Prefect server): ``sig`` when
    this process dies; at once if it died between fork and the prctl call."""
    parent = os.getpid()

    def preexec() -> None:
        set_parent_death_signal(sig)
        if os.getppid() != parent:
            os.kill(os.getpid(), sig)

    return preexec


def die_with_parent(
    parent_pid: int | None, sig: int = signal.SIGTERM, grace: float | None = None, poll: float = 1.0
) -> None:
    """Called early in a child: end when ``parent_pid`` dies (None: nothing to watch).

    ``sig`` comes from the kernel on Linux, from a watchdog thread elsewhere; with ``grace``
    the watchdog also ends the process that long after the parent went, however its own
    shutdown goes (a graceful stop must not become a survivor)."""
    if parent_pid is None:
        return
    armed = set_parent_death_signal(sig)
    if os.getppid() != parent_pid:  # the parent died before the kernel was asked
        os.kill(os.getpid(), sig)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(poll)
        if not armed:
            os.kill(os.getpid(), sig)
        if grace is not None:
            time.sleep(grace)
            os._exit(128 + int(sig))

    if grace is not None or not armed:
        threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def parent_pid_from_env() -> int | None:
    """The pid a parent asked this process to watch (``DATELINE_PARENT_PID``)."""
    try:
        return int(os.environ[PARENT_PID_ENV])
    except (KeyError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    """True if a process with this pid exists (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return process_state(pid) != "Z"


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name (field 3 onwards), None when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()


def process_state(pid: int) -> str | None:
    """The state letter (R, S, Z ...), None when unknown."""
    fields = _stat_fields(pid)
    return fields[0] if fields else None


def process_start_ticks(pid: int) -> int | None:
    """When the process started (clock ticks since boot, /proc/<pid>/stat field 22): with the
    pid it names one process for good, so a recycled pid is not mistaken for the holder."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields and len(fields) > 19 else None


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (from /proc), whatever their session."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _stat_fields(int(stat.parent.name))
        if fields and len(fields) > 3 and int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def session_leader(pid: int) -> bool:
    """True if ``pid`` leads its own session (started with ``start_new_session``)."""
    fields = _stat_fields(pid)
    return fields is not None and len(fields) > 3 and int(fields[3]) == pid


# -- children to end on a hard stop -----------------------------------------------------------------

_groups: set[int] = set()  # process groups (leader pids) of children started in their own session
_groups_lock = threading.Lock()


def track_group(pid: int) -> None:
    with _groups_lock:
        _groups.add(pid)


def untrack_group(pid: int) -> None:
    with _groups_lock:
        _groups.discard(pid)


def kill_group(pid: int, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def kill_tracked_groups() -> None:
    with _groups_lock:
        groups = list(_groups)
    for pid in groups:
        kill_group(pid)


# -- bounded stop -----------------------------------------------------------------------------------


@contextlib.contextmanager
def exit_within_after_signal(seconds: float, on_expiry: Callable[[], None] | None = None) -> Iterator[None]:
    """While the block runs, the first SIGTERM/SIGINT ends this process within ``seconds``
    whatever its handlers are doing (an API that is gone makes Prefect retry for minutes): the
    tracked child groups are killed, ``on_expiry`` runs, and the process exits 128+signal.

    Uses the interpreter's signal wakeup fd, which sees every signal that has a Python handler,
    whichever handler (ours, Prefect's, Python's KeyboardInterrupt) is installed at the time."""
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    old_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    done = threading.Event()

    def watch() -> None:
        while True:
            try:
                data = reader.recv(1)
            except OSError:
                return
            if not data or done.is_set():
                return
            if data[0] in (signal.SIGTERM, signal.SIGINT):
                break
        sig = data[0]
        if done.wait(seconds):
            return
        sys.stderr.write(f"still stopping {seconds:g} s after signal {sig}: ending now\n")
        kill_tracked_groups()
        if on_expiry is not None:
            with contextlib.suppress(Exception):
                on_expiry()
        os._exit(128 + sig)

    thread = threading.Thread(target=watch, name="stop-deadline", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        signal.set_wakeup_fd(old_fd)
        writer.close()  # wakes the watcher, which then ends
        thread.join(timeout=1)
        reader.close()
