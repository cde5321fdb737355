"""Scale out on Prefect (issue 9): one crawl-all run of 16 loopback sites, dispatched to a work
pool as 4 crawl-shard runs that two workers share. Real server (the session's service set), real
workers (`prefect worker start`), real crawls; checked through the API and the archive."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from archive.reader import ArchiveReader
from archive.store import open_store
from dateline.service import REPO_ROOT, ensure_work_pool, service_env
from demosite import NewsSite
from flows.pool import split_shards
from flows.report import manifest_key
from tests.e2e_helpers import FAST_SETTINGS
from tests.fixtures.prefect_server import CRAWL_DEPLOYMENT, PrefectApi, PrefectService
from tests.fixtures.sites import truth_pages

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]  # ~2 min idle; far more on a loaded 2-core box

POOL = "shard-test"  # its own pool: the session's worker (no run limit) would take every shard
WORKERS = ("shard-worker-a", "shard-worker-b")
SHARD_TEMPLATE = "crawl-shard/pool"
SITES, PAGES_PER_SITE, SHARD_SIZE = 16, 2, 4


def copy_deployment(api: PrefectApi, template: str, pool: str) -> str:
    """The prefect.yaml deployment on another pool, unscheduled (same flow, entrypoint, pull
    steps, parameter schema); its `flow/deployment` name."""
    base = api.deployment(template)
    body = {
        "name": POOL, "flow_id": base["flow_id"], "entrypoint": base["entrypoint"], "work_pool_name": pool,
        "pull_steps": base["pull_steps"], "parameter_openapi_schema": base["parameter_openapi_schema"],
        "enforce_parameter_schema": base["enforce_parameter_schema"], "parameters": base["parameters"],
    }  # fmt: skip
    api.post("/deployments/", body)
    return f"{template.split('/')[0]}/{POOL}"


def start_worker(name: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A process worker on the test pool; at most 3 runs at once, so the worker that runs the
    crawl-all parent cannot take all 4 shards: both workers must take some."""
    cmd = [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--type", "process",
           "--name", name, "--limit", "3"]  # fmt: skip
    with log.open("ab") as out:
        return subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip


def stop_worker(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the worker's group (it and its flow run processes), wait, then kill."""
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def shard_workers(prefect_service: PrefectService, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The test pool with the two deployment copies and two workers; the copies' names."""
    cfg = replace(prefect_service.cfg, pool=POOL)
    ensure_work_pool(cfg)
    names = {
        "crawl": copy_deployment(prefect_service.api, CRAWL_DEPLOYMENT, POOL),
        "shard": copy_deployment(prefect_service.api, SHARD_TEMPLATE, POOL),
    }
    env = service_env(cfg, prefect_service.env)
    workers = [start_worker(name, env, tmp_path / f"{name}.log") for name in WORKERS]
    try:
        yield names
    finally:
        for proc in workers:
            stop_worker(proc)


def write_sites(folder: Path, sites: list[NewsSite]) -> str:
    path = folder / "sites.yaml"
    path.write_text(yaml.safe_dump({"sites": [s.site_config() for s in sites]}), encoding="utf-8")
    return str(path)


def test_two_workers_share_one_crawl_run(
    prefect_service: PrefectService, shard_workers: dict[str, str], tmp_path: Path
) -> None:
    api = prefect_service.api
    real = api.deployment(CRAWL_DEPLOYMENT)["parameters"]
    assert (real["dispatch"], real["shard_deployment"]) == ("pool", SHARD_TEMPLATE), "hourly uses the pool"
    assert api.deployment(SHARD_TEMPLATE)["work_pool_name"] == "dateline", "`service start --deploy` made it"

    pages = truth_pages(SITES * PAGES_PER_SITE)  # distinct pages: no site's text is another's
    archive = tmp_path / "archive"
    with ExitStack() as stack:
        sites = [
            stack.enter_context(
                NewsSite(pages[i * PAGES_PER_SITE : (i + 1) * PAGES_PER_SITE], name=f"shard-news-{i:02d}")
            )
            for i in range(SITES)
        ]
        names = [s.name for s in sites]
        params: dict[str, Any] = {
            "sites": None, "sites_file": write_sites(tmp_path, sites), "archive": str(archive),
            "settings": {**FAST_SETTINGS, "EXTRACT_WORKERS": 1}, "dispatch": "pool", "shard_size": SHARD_SIZE,
            "shard_deployment": shard_workers["shard"], "wait_for_previous_seconds": 5,
        }  # fmt: skip
        t0 = time.monotonic()
        run = api.wait_final(api.run_deployment(shard_workers["crawl"], params), timeout=2100)
        seconds = time.monotonic() - t0
        requests = {s.name: list(s.requests) for s in sites}
        expected = {s.name: len(s.expected_articles()) for s in sites}

    assert (run["state"]["type"], run["state"]["name"]) == ("COMPLETED", "Completed"), run["state"]
    assert f"{SITES} site(s) crawled" in run["state"]["message"]
    print(f"16 sites in 4 shards on 2 workers: {seconds:.0f} s (loaded machine)")

    shards = api.children(run["id"])
    assert len(shards) == SITES // SHARD_SIZE
    assert sorted(c["parameters"]["sites"] for c in shards) == sorted(split_shards(names, SHARD_SIZE)), (
        "every site in exactly one shard, as split_shards assigns them"
    )
    shard_deployment = api.deployment(shard_workers["shard"])["id"]
    for shard in shards:
        assert shard["deployment_id"] == shard_deployment and shard["work_pool_name"] == POOL
        assert shard["state"]["type"] == "COMPLETED", shard["state"]
        assert api.children(shard["id"]) == [], "a shard crawls its sites in its own crawl process"
    workers = Counter(shard["labels"].get("prefect.worker.name") for shard in shards)
    assert set(workers) == set(WORKERS), f"both workers ran shard runs: {workers}"

    rows = api.table(run["id"], "crawl-summary")
    assert [r["site"] for r in rows] == names, "one table, one row per site, in the sites file's order"
    for row in rows:
        assert (row["outcome"], row["stored_new"], row["failed"]) == ("ok", expected[row["site"]], 0), row
    artifacts = api.artifacts(run["id"])
    assert artifacts["crawl-progress"]["data"] == 100.0
    report = artifacts["crawl-report"]["data"]
    assert api.run_errors(run["id"]) == [], "parent and shards log no ERROR"

    reader, store = ArchiveReader(open_store(str(archive))), open_store(str(archive))
    for name in names:
        manifests = list(reader.runs(name))
        assert len(manifests) == 1 and manifests[0].complete, f"{name} crawled exactly once"
        assert f"`{manifest_key(manifests[0])}`" in report
        stored = list(store.list(f"articles/site={name}/"))
        assert len(stored) == len({k.rsplit("/", 1)[-1].split("-")[0] for k in stored}) == expected[name]
        article_hits = Counter(p for p in requests[name] if p.startswith("/articles/"))
        assert len(article_hits) == expected[name] and set(article_hits.values()) == {1}, (name, article_hits)
        assert not (REPO_ROOT / "data" / "archive" / "runs" / f"site={name}").exists(), (
            "nothing into the checkout"
        )
    assert sum(expected.values()) == SITES * PAGES_PER_SITE
