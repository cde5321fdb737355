"""The operator's path for real: `dateline service start --deploy` (Prefect server with SQLite
on loopback, deployments from prefect.yaml, a worker), deployment runs against local news sites,
and everything checked through the Prefect API: final states, artifacts, logs, deployments,
the per-site concurrency limit and the alerting automation."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from typing import Any

import pytest
import yaml

from archive.reader import ArchiveReader
from archive.store import open_store
from dateline.service import REPO_ROOT, deploy, service_env
from flows.report import manifest_key
from tests.fixtures.prefect_server import (
    CRAWL_DEPLOYMENT,
    PrefectService,
    ScheduledRun,
    ServiceRuns,
    pause_real_schedules,
    scheduled_deployments,
    upcoming_runs,
)

pytestmark = pytest.mark.slow

COUNT_COLUMNS = ("discovered", "fetched", "stored_new", "stored_new_version", "skipped_archived", "failed")


def _yaml_deployments() -> list[dict[str, Any]]:
    deployments: list[dict[str, Any]] = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text())[
        "deployments"
    ]
    return deployments


def _essentials(d: dict[str, Any]) -> dict[str, Any]:
    """What a deployment is, without the bookkeeping a redeploy may touch (timestamps, schedule ids)."""
    return {
        "id": d["id"], "name": d["name"], "flow_id": d["flow_id"], "entrypoint": d["entrypoint"],
        "parameters": d["parameters"], "work_pool_name": d["work_pool_name"], "pull_steps": d["pull_steps"],
        "version": d["version"], "description": d["description"], "paused": d["paused"],
        "concurrency_limit": d["concurrency_limit"], "parameter_openapi_schema": d["parameter_openapi_schema"],
        "schedules": sorted(
            (s["schedule"].get("cron"), s["schedule"].get("timezone"), s["active"], s["slug"]) for s in d["schedules"]
        ),
    }  # fmt: skip


def test_deploy_all_creates_every_deployment_once(prefect_service: PrefectService) -> None:
    first = {d["name"]: d for d in prefect_service.first_deploy}
    for spec in _yaml_deployments():
        d = first[spec["name"]]
        assert d["entrypoint"] == spec["entrypoint"]
        assert d["parameters"] == spec.get("parameters", {})
        assert d["work_pool_name"] == spec["work_pool"]["name"] == "dateline"
        assert d["pull_steps"] == [
            {"prefect.deployments.steps.set_working_directory": {"directory": str(REPO_ROOT)}}
        ], "workers run the flows from the repo folder"
        crons = {(s["schedule"]["cron"], s["schedule"]["timezone"]) for s in d["schedules"]}
        assert crons == {(s["cron"], s["timezone"]) for s in spec["schedules"]}
    assert len(first) == len(_yaml_deployments())

    try:
        deploy(prefect_service.cfg, service_env(prefect_service.cfg, prefect_service.env))
        again = prefect_service.api.deployments()
    finally:
        pause_real_schedules(prefect_service.api)  # a redeploy resumes them
    assert sorted(map(_essentials, again), key=str) == sorted(map(_essentials, first.values()), key=str)


def test_deployment_run_completes_with_the_right_artifacts(
    service_runs: ServiceRuns, prefect_service: PrefectService
) -> None:
    api, run = prefect_service.api, service_runs.runs["main"]
    assert (run["state"]["type"], run["state"]["name"]) == ("COMPLETED", "Completed"), run["state"]
    assert (
        run["deployment_id"] == api.deployment(CRAWL_DEPLOYMENT)["id"] and run["work_pool_name"] == "dateline"
    )

    manifests = list(ArchiveReader(open_store(str(service_runs.archives["main"]))).runs("service-news"))
    assert len(manifests) == 1 and manifests[0].complete
    truth = manifests[0].stats
    rows = api.table(run["id"], "crawl-summary")
    assert len(rows) == 1 and rows[0]["site"] == "service-news" and rows[0]["outcome"] == "ok"
    assert {c: rows[0][c] for c in COUNT_COLUMNS} == {c: getattr(truth, c) for c in COUNT_COLUMNS}
    assert rows[0]["stored_new"] == len(service_runs.main_site.expected_articles()) and rows[0]["failed"] == 0
    assert f"- **service-news**: {truth.seconds} s," in api.artifacts(run["id"])["crawl-report"]["data"]

    artifacts = api.artifacts(run["id"])
    assert artifacts["crawl-progress"]["data"] == 100.0
    report = artifacts["crawl-report"]["data"]
    assert f"`{manifest_key(manifests[0])}`" in report and "Nothing: no failures" in report
    assert all(f"`{w['key']}`" in report for w in manifests[0].written[:20])

    children = api.children(run["id"])  # its one crawl-shard run on the pool
    assert [c["state"]["name"] for c in children] == ["Completed"]
    assert [c["parameters"]["sites"] for c in children] == [["service-news"]]
    assert all(api.children(c["id"]) == [] for c in children), "a shard crawls its sites itself (one process)"
    for message in api.warnings([run["id"], *(c["id"] for c in children)]):
        assert "service-news" in message and "http://" in message, message


def test_two_runs_of_one_site_at_once_do_not_overlap(
    service_runs: ServiceRuns, prefect_service: PrefectService
) -> None:
    api = prefect_service.api
    busy = [service_runs.runs["busy-0"], service_runs.runs["busy-1"]]
    by_state = {run["state"]["name"]: run for run in busy}
    assert sorted(by_state) == ["Completed", "Skipped"], [r["state"] for r in busy]
    winner, skipped = by_state["Completed"], by_state["Skipped"]
    assert skipped["state"]["type"] == "CANCELLED"
    message = skipped["state"]["message"]
    assert "busy-news: previous run still going" in message and "crawl-site-busy-news" in message
    [shard] = api.children(winner["id"])  # hourly dispatches to the pool: crawl-all > crawl-shard
    assert shard["name"] in message, "the skipped run names the run that holds the site"
    assert api.table(skipped["id"], "crawl-summary")[0]["outcome"] == "skipped"

    archive = service_runs.archives["busy-0"]
    assert archive == service_runs.archives["busy-1"]
    assert len(list(ArchiveReader(open_store(str(archive))).runs("busy-news"))) == 1, (
        "one crawl, one manifest"
    )
    article_hits = Counter(p for p in service_runs.busy_requests if p.startswith("/articles/"))
    assert len(article_hits) == 4 and set(article_hits.values()) == {1}, "no article fetched twice"
    stored = list(open_store(str(archive)).list("articles/"))
    assert len(stored) == len({k.rsplit("/", 1)[-1].split("-")[0] for k in stored}) == 4, (
        "nothing stored twice"
    )

    limit = api.get("/v2/concurrency_limits/crawl-site-busy-news")
    assert (limit["limit"], limit["active_slots"]) == (1, 0), "the slot is released"


def test_progress_artifact_moves_while_a_crawl_runs(service_runs: ServiceRuns) -> None:
    name = next(n for n in ("busy-0", "busy-1") if service_runs.runs[n]["state"]["name"] == "Completed")
    seen = service_runs.progress[name]
    assert any(0 < value < 100 for value in seen), seen
    assert seen == sorted(seen) and seen[-1] == 100.0


def test_failed_run_notifies_operators(service_runs: ServiceRuns, prefect_service: PrefectService) -> None:
    api, cfg, run = prefect_service.api, prefect_service.cfg, service_runs.runs["failing"]
    automations = api.post("/automations/filter", {"limit": 50, "offset": 0, "sort": "NAME_ASC"})
    assert [a["name"] for a in automations if a["enabled"]] == ["dateline-run-needs-attention"]
    assert run["state"]["type"] == "FAILED" and "could not be crawled: nowhere" in run["state"]["message"]

    deadline, alert = time.monotonic() + 90, None
    while alert is None and time.monotonic() < deadline:
        alert = next(
            (str(b["text"]) for b in service_runs.webhook.bodies if run["name"] in str(b.get("text"))), None
        )
        time.sleep(0.5)
    assert alert is not None, f"no alert for {run['name']}: {service_runs.webhook.bodies}"
    assert "ended Failed" in alert and "could not be crawled: nowhere" in alert
    assert f"{cfg.url}/runs/flow-run/{run['id']}" in alert, "the alert links to the run in the dashboard"
    assert not any(
        service_runs.runs["main"]["name"] in str(b.get("text")) for b in service_runs.webhook.bodies
    )


def test_runs_log_no_error_they_do_not_expect(
    service_runs: ServiceRuns, prefect_service: PrefectService
) -> None:
    """No deployment run logs an ERROR line, whatever its final state: Failed and Skipped are
    designed outcomes (their message says why), not tracebacks (issue 12 point 2)."""
    seen = {name: run["state"]["type"] for name, run in service_runs.runs.items()}
    assert {"COMPLETED", "FAILED", "CANCELLED"} <= set(seen.values()), seen
    for name, run in service_runs.runs.items():
        assert prefect_service.api.run_errors(run["id"]) == [], f"{name} ({run['state']['name']})"


def test_status_names_the_dashboard(prefect_service: PrefectService) -> None:
    from tests.fixtures.prefect_server import dateline

    status = dateline("service", "status", *prefect_service.cli_args(), env=prefect_service.env, timeout=60)
    assert status.returncode == 0, status.stderr
    assert f"dashboard: {prefect_service.cfg.url}" in status.stdout, "on stdout: `status | grep` works"
    assert "server: running" in status.stdout and "worker: running" in status.stdout

    again = dateline("service", "start", *prefect_service.cli_args(), env=prefect_service.env, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "server: already running" in again.stdout and "worker: already running" in again.stdout


def test_the_scheduler_creates_the_upcoming_runs_of_prefect_yaml(prefect_service: PrefectService) -> None:
    """Right after `start --deploy` every scheduled deployment has runs in its Upcoming tab, at
    the times its cron names (SQLAlchemy 2.1 broke this silently: the scheduler raised every loop)."""
    from zoneinfo import ZoneInfo

    from prefect._vendor.croniter import croniter  # the parser the server schedules with

    by_name = {f"{d['name']}": d for d in prefect_service.first_deploy}
    assert sorted(prefect_service.upcoming) == sorted(scheduled_deployments()) and prefect_service.upcoming
    for name, runs in prefect_service.upcoming.items():
        assert len(runs) >= 3, f"{name}: {len(runs)} upcoming run(s)"
        schedule = by_name[name.split("/")[1]]["schedules"][0]["schedule"]
        for run in runs:
            when = datetime.fromisoformat(run["expected_start_time"]).astimezone(
                ZoneInfo(schedule["timezone"])
            )
            assert croniter.match(schedule["cron"], when), (name, when, schedule)
    for name in prefect_service.upcoming:  # paused for the tests: nothing crawls the real sites
        deployment = prefect_service.api.deployment(name)
        assert deployment["paused"] and upcoming_runs(prefect_service.api, deployment["id"]) == []


def test_a_scheduled_run_completes_through_the_worker(
    scheduled_run: ScheduledRun, prefect_service: PrefectService
) -> None:
    run, api = scheduled_run.run, prefect_service.api
    assert run["auto_scheduled"] and run["deployment_id"] == scheduled_run.deployment["id"]
    assert (run["state"]["type"], run["state"]["name"]) == ("COMPLETED", "Completed"), run["state"]
    assert run["work_pool_name"] == "dateline" and run["parameters"]["archive"] == str(scheduled_run.archive)
    rows = api.table(run["id"], "crawl-summary")
    assert [(r["site"], r["stored_new"]) for r in rows] == [
        ("scheduled-news", len(scheduled_run.site.expected_articles()))
    ], rows
    manifests = list(ArchiveReader(open_store(str(scheduled_run.archive))).runs("scheduled-news"))
    assert len(manifests) == 1 and manifests[0].complete
    checkout = REPO_ROOT / "data" / "archive"  # the bundled default archive: never written by tests
    assert not any(checkout.glob("*/site=scheduled-news*")), "a scheduled test run wrote into the checkout"
