"""A crawl-all run that ends Failed or Skipped, run the way a worker runs it
(`python -m prefect.engine <flow run id>` in its own process), logs no ERROR line: its final
state and message say what happened; Prefect's re-raise of that state becomes one INFO line."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest

from flows import slots
from flows.engine_log import DesignedEndFilter
from flows.report import RunNotCompleted
from tests.e2e_helpers import FAST_SETTINGS, write_sites_file
from tests.fixtures.prefect_server import PrefectApi
from tests.fixtures.sites import NewsSite

REPO = Path(__file__).resolve().parents[1]


def _run_like_a_worker(parameters: dict[str, object]) -> tuple[str, subprocess.CompletedProcess[str]]:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    from flows.crawl import crawl_all

    with get_client(sync_client=True) as client:
        run = client.create_flow_run(crawl_all, parameters=parameters)
    env = {
        **os.environ,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT__FLOW_ENTRYPOINT": "flows/crawl.py:crawl_all",
    }
    done = subprocess.run(
        [sys.executable, "-m", "prefect.engine", str(run.id)], cwd=REPO, env=env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    return str(run.id), done


def _info_lines(api: PrefectApi, run_id: str) -> list[str]:
    body = {"logs": {"flow_run_id": {"any_": [run_id]}, "level": {"ge_": 20}}, "limit": 200, "offset": 0}
    return [log["message"] for log in api.post("/logs/filter", {**body, "sort": "TIMESTAMP_ASC"})]


@pytest.mark.slow
def test_a_failed_engine_run_logs_no_error(harness_api: PrefectApi, tmp_path: Path) -> None:
    config = {"name": "nowhere", "start_urls": ["http://127.0.0.1:9/"]}
    run_id, done = _run_like_a_worker(
        {"sites_file": write_sites_file(tmp_path, config), "archive": str(tmp_path / "a"), "settings": FAST_SETTINGS}
    )  # fmt: skip
    run = harness_api.flow_run(run_id)
    assert run["state"]["type"] == "FAILED", (run["state"], done.stderr[-2000:])
    assert "could not be crawled: nowhere" in run["state"]["message"]
    assert harness_api.run_errors(run_id) == [], "a designed Failed end is no ERROR line"
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    ended = [m for m in _info_lines(harness_api, run_id) if m.startswith("Run ended as designed: ")]
    assert ended == [f"Run ended as designed: {run['state']['message']}"], ended
    assert harness_api.table(run_id, "crawl-summary")[0]["outcome"] == "unreachable"


@pytest.mark.slow
def test_a_skipped_engine_run_logs_no_error(
    news_site: NewsSite, harness_api: PrefectApi, tmp_path: Path
) -> None:
    config = news_site.site_config()
    with ExitStack() as previous:  # a live holder of the site's slot: the run is skipped
        assert slots.hold_site_slot(previous, config["name"], 1, None, running=list, log=print)
        run_id, done = _run_like_a_worker(
            {"sites_file": write_sites_file(tmp_path, config), "archive": str(tmp_path / "a"),
             "settings": FAST_SETTINGS, "wait_for_previous_seconds": 1}
        )  # fmt: skip
    run = harness_api.flow_run(run_id)
    assert (run["state"]["type"], run["state"]["name"]) == ("CANCELLED", "Skipped"), done.stderr[-2000:]
    assert harness_api.run_errors(run_id) == [] and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert harness_api.table(run_id, "crawl-summary")[0]["outcome"] == "skipped"


def _record(exc: BaseException) -> logging.LogRecord:
    try:
        raise exc
    except BaseException:
        return logging.getLogger("prefect.flow_runs").makeRecord(
            "prefect.flow_runs", logging.ERROR, __file__, 1, "Engine execution exited with unexpected exception",
            (), sys.exc_info(),
        )  # fmt: skip


def test_only_the_designed_end_is_rewritten() -> None:
    designed = _record(RunNotCompleted("could not be crawled: nowhere", []))
    assert DesignedEndFilter().filter(designed)
    assert (designed.levelno, designed.getMessage(), designed.exc_info) == (
        logging.INFO, "Run ended as designed: could not be crawled: nowhere", None,
    )  # fmt: skip
    other = _record(TypeError("Unexpected result for failed state"))
    assert DesignedEndFilter().filter(other)
    assert other.levelno == logging.ERROR and other.exc_info is not None, "any other exception stays an ERROR"
