"""`dateline service stop` during a deployment run (issue 12): the flow runs and their crawl
children end, each run's manifest is written (complete: false), and after `service start` no
run is left Running and the site's slot is free. Runs after the other service tests (it stops
and restarts the session's service set)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from dateline.service import running_pid
from demosite import NewsSite
from tests.e2e_helpers import FAST_SETTINGS, write_sites_file
from tests.fixtures.prefect_server import CRAWL_DEPLOYMENT, FINAL_STATES, PrefectService, dateline
from tests.fixtures.sites import truth_pages
from tests.proc_helpers import all_gone, descendants, kinds, stored_count

pytestmark = pytest.mark.slow


def test_service_stop_ends_the_crawl_writes_its_manifest_and_frees_the_slot(
    prefect_service: PrefectService, tmp_path: Path
) -> None:
    api, args, env = prefect_service.api, prefect_service.cli_args(), prefect_service.env
    slow = {
        **FAST_SETTINGS,
        "DOWNLOAD_DELAY": 1.0,
        "DOWNLOAD_DELAY_JITTER": 0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    }
    archive = tmp_path / "archive"
    with NewsSite(truth_pages(10, seed=5), name="stop-news") as site:
        params = {"sites": ["stop-news"], "sites_file": write_sites_file(tmp_path, site.site_config()),
                  "archive": str(archive), "settings": slow}  # fmt: skip
        run_id = api.run_deployment(CRAWL_DEPLOYMENT, params)
        deadline = time.monotonic() + 300
        while stored_count(archive) < 2:
            assert time.monotonic() < deadline, api.flow_run(run_id)["state"]
            time.sleep(0.3)
        worker = running_pid(prefect_service.cfg, "worker")
        assert worker is not None
        tree = descendants(worker)
        assert "crawl child" in kinds(tree), tree
        stopped = dateline("service", "stop", *args, env=env, timeout=180)
        assert stopped.returncode == 0, stopped.stderr
        assert all_gone(tree, within=1) == {}, "no flow run process or crawl child outlives the stop"
        [manifest] = [json.loads(p.read_text()) for p in (archive / "runs").rglob("*.json")]
        assert manifest["complete"] is False and len(manifest["written"]) >= 2
        assert all((archive / w["key"]).is_file() for w in manifest["written"])
        stored_at_stop = stored_count(archive)
        time.sleep(2)
        assert stored_count(archive) == stored_at_stop, "nothing is written after the stop"

    started = dateline("service", "start", *args, env=env, timeout=420)
    assert started.returncode == 0, started.stderr
    parent = api.flow_run(run_id)
    children = api.children(run_id)
    for run in [parent, *children]:
        assert run["state"]["type"] in FINAL_STATES, (run["name"], run["state"])
    slot = api.get("/v2/concurrency_limits/crawl-site-stop-news")
    assert slot["active_slots"] == 0, slot
