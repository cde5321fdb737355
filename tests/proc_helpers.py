"""Following the processes of a run through /proc (no psutil): what a test kills or stops,
and whether anything of it is left."""

from __future__ import annotations

import time
from pathlib import Path

from core.procs import pid_alive


def stored_count(archive: Path) -> int:
    return sum(1 for _ in (archive / "articles").rglob("*.json")) if (archive / "articles").exists() else 0


def descendants(root: int) -> dict[int, str]:
    """Pid -> command line of every process below ``root`` (by parent pid, whatever its session)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return {pid: cmdline(pid) for pid in found}


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def kinds(processes: dict[int, str]) -> set[str]:
    kinds = {"spiders.run": "crawl child", "uvicorn": "Prefect server", "spawn_main": "extraction worker"}
    return {kind for needle, kind in kinds.items() for cmd in processes.values() if needle in cmd}


def all_gone(processes: dict[int, str], within: float) -> dict[int, str]:
    """The processes still alive after ``within`` seconds (empty: all ended)."""
    deadline = time.monotonic() + within
    while True:
        alive = {pid: cmd for pid, cmd in processes.items() if pid_alive(pid) and cmdline(pid) == cmd}
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)
