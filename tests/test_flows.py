"""Crawl flows: the verdict rules as plain functions, then real flow runs (Prefect test API)
against local sites: a hostile site ends Partial with artifacts and traceable warnings, a
site whose slot is held is skipped without a request, an unreachable site fails the run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from prefect.logging.handlers import APILogHandler

from archive.records import Failure, RunManifest, SiteStats
from archive.store import open_store
from core.config import parse_sites
from flows import slots
from flows.crawl import crawl_all, log_line
from flows.report import (
    RunNotCompleted,
    SiteResult,
    Thresholds,
    failed_share,
    manifest_key,
    run_percent,
    run_report_markdown,
    site_fraction,
    summary_row,
    verdict,
)
from flows.report import (
    result_rows as rows_of,
)
from tests.e2e_helpers import FAST_SETTINGS, write_sites_file
from tests.fixtures.prefect_server import PrefectApi


def result_rows(state: Any) -> list[dict[str, Any]]:
    """The flow's summary rows from a final state (failed states too)."""
    return rows_of(state.result(raise_on_failure=False))


def manifest(
    site: str = "a", fetched: int = 10, fetch_failures: int = 0, extract_failures: int = 0
) -> RunManifest:
    failures = [
        Failure(url=f"http://{site}.test/f{i}|x", site=site, stage="fetch", reason="http-500", at="t")
        for i in range(fetch_failures)
    ] + [
        Failure(url=f"http://{site}.test/e{i}", site=site, stage="extract", reason="empty-body", at="t")
        for i in range(extract_failures)
    ]
    by_reason: dict[str, int] = {}
    for f in failures:
        by_reason[f.reason] = by_reason.get(f.reason, 0) + 1
    stats = SiteStats(
        site=site, discovered=fetched + fetch_failures, fetched=fetched, stored_new=fetched - extract_failures,
        failed=len(failures), failures_by_reason=by_reason, seconds=4.0,
    )  # fmt: skip
    written = [
        {"id": f"id{i}", "key": f"articles/site={site}/date=2026-01-0{i}/id{i}-v.json", "status": "new"}
        for i in range(1, fetched - extract_failures + 1)
    ]
    return RunManifest(
        run_id="r1", site=site, started_at="2026-11-23T10:00:00+00:00", finished_at="2026-11-23T10:01:00+00:00",
        complete=True, stats=stats, written=written, failures=failures,
    )  # fmt: skip


# -- the rules, without Prefect ------------------------------------------------------------------


def test_failed_share_counts_pages_that_got_no_response() -> None:
    m = manifest(fetched=8, fetch_failures=2, extract_failures=1)
    assert failed_share(m) == pytest.approx(3 / 10)
    assert failed_share(manifest(fetched=0, fetch_failures=0)) == 0.0


def test_verdict_failed_beats_partial_beats_completed() -> None:
    t = Thresholds(max_failed_share=0.2)
    ok, partial = SiteResult("a", manifest("a")), SiteResult("b", manifest("b", fetched=5, fetch_failures=5))
    broken = SiteResult("c", error="ArchiveUnwritableError: disk full")
    assert verdict([ok], t).kind == "completed"
    assert verdict([ok, partial], t).kind == "partial"
    assert (
        "b" in verdict([ok, partial], t).message
        and "max_failed_share=0.2" in verdict([ok, partial], t).message
    )
    assert verdict([ok, partial, broken], t).kind == "failed"
    assert verdict([ok, partial], Thresholds(max_failed_share=0.6)).kind == "completed"
    assert verdict([ok, partial], Thresholds(max_failed_share=1.0, max_failed_pages=4)).kind == "partial"


def test_verdict_skipped_only_when_every_site_was_left_to_another_run() -> None:
    t = Thresholds()
    busy = SiteResult("a", skipped="a: previous run still going")
    assert verdict([busy], t).kind == "skipped"
    mixed = verdict([busy, SiteResult("b", manifest("b"))], t)
    assert mixed.kind == "completed" and "skipped (previous run still going): a" in mixed.message


def test_summary_row_has_the_operator_columns() -> None:
    row = summary_row(SiteResult("a", manifest(fetched=8, fetch_failures=3)), Thresholds())
    assert row["outcome"] == "partial"
    assert (row["discovered"], row["fetched"], row["stored_new"], row["failed"]) == (11, 8, 8, 3)
    assert list(row)[:5] == ["site", "outcome", "stored", "failed", "reasons"], "what an operator reads first"
    assert row["reasons"] == "http-500: 3" and row["stored"] == 8 and len(row) <= 17
    report = run_report_markdown([SiteResult("a", manifest(fetched=8, fetch_failures=3))], "x", Thresholds())
    assert "- **a**: 4.0 s, 2.0 pages/s, failed share 27.3% of pages attempted" in report
    skipped = summary_row(SiteResult("b", skipped="b: previous run still going"), Thresholds())
    assert skipped == {"site": "b", "outcome": "skipped", "stored": 0, "failed": 0,
                       "reasons": "b: previous run still going"}  # fmt: skip


def test_report_lists_failing_urls_and_written_keys() -> None:
    m = manifest(fetched=3, fetch_failures=25)
    text = run_report_markdown(
        [SiteResult("a", m), SiteResult("z", error="boom")], "s3://bucket/x", Thresholds()
    )
    assert "**z** could not run: boom" in text
    assert "http://a.test/f0\\|x" in text, "pipes in URLs are escaped for the table"
    assert "http://a.test/f19" in text and "http://a.test/f20" not in text, "first 20 failures only"
    assert "5 more in `" + manifest_key(m) + "`" in text
    assert "`articles/site=a/date=2026-01-01/id1-v.json` (new)" in text
    assert manifest_key(m) == "runs/site=a/20261123T100000Z-r1.json"


def test_progress_moves_and_ends_at_100() -> None:
    assert site_fraction({"discovered": 10, "skipped_archived": 2, "fetched": 4}) == 0.5
    assert site_fraction({"discovered": 4, "fetched": 4}) == 0.95, "never done before the crawl ends"
    assert run_percent(1, 4, 0.5) == 37.5
    assert run_percent(4, 4) == 100.0


def test_log_lines_always_carry_a_url() -> None:
    site = parse_sites({"sites": [{"name": "a", "start_urls": ["http://a.test/"]}]}).sites[0]
    assert log_line(site, "WARNING: robots.txt slow\n") == "WARNING: robots.txt slow (site http://a.test/)"
    assert log_line(site, "failed http://a.test/x") == "failed http://a.test/x"


# -- real flow runs against the Prefect test API ------------------------------------------------------


def _warnings(api: PrefectApi, flow_run_id: str) -> list[str]:
    """Warnings of a run and its subflow runs (after the test process sent its logs)."""
    APILogHandler().flush()
    return api.warnings([flow_run_id, *(c["id"] for c in api.children(flow_run_id))])


@pytest.mark.slow
def test_hostile_site_run_is_partial_with_artifacts(
    hostile_site: Any, harness_api: PrefectApi, tmp_path: Path
) -> None:
    config = hostile_site.site_config()
    archive = str(tmp_path / "archive")
    state = crawl_all(
        sites=[config["name"]], sites_file=write_sites_file(tmp_path, config), archive=archive,
        settings=FAST_SETTINGS, return_state=True,
    )  # fmt: skip
    assert state.is_completed() and state.name == "Partial", (state.name, state.message)
    assert "hostile-news" in (state.message or "")
    rows = result_rows(state)
    assert rows[0]["outcome"] == "partial" and rows[0]["failed"] >= 5
    assert rows[0]["stored_new"] >= len(hostile_site.expected_articles())

    run_id = str(state.state_details.flow_run_id)
    artifacts = harness_api.artifacts(run_id)
    assert artifacts["crawl-progress"]["data"] == 100.0
    assert harness_api.table(run_id, "crawl-summary") == rows
    report = artifacts["crawl-report"]["data"]
    for kind in ("server-error", "gone", "slow"):
        assert f"{kind}.html" in report, kind
    stored_key = next(iter(open_store(archive).list("articles/")))
    assert f"`{stored_key}`" in report, "the report names the keys written"

    warnings = _warnings(harness_api, run_id)
    assert len(warnings) >= 5
    for message in warnings:
        assert "hostile-news" in message and "http://" in message, message


@pytest.mark.slow
def test_site_still_held_by_another_run_is_skipped(
    news_site: Any, harness_api: PrefectApi, tmp_path: Path
) -> None:
    config = news_site.site_config()
    archive = tmp_path / "archive"
    with ExitStack() as previous:  # "the previous run": a live holder (this process, this host)
        assert slots.hold_site_slot(previous, config["name"], 1, None, running=list, log=print)
        state = crawl_all(
            sites=[config["name"]], sites_file=write_sites_file(tmp_path, config), archive=str(archive),
            settings=FAST_SETTINGS, wait_for_previous_seconds=1, return_state=True,
        )  # fmt: skip
    assert state.is_cancelled() and state.name == "Skipped", (state.name, state.message)
    assert "previous run still going" in (state.message or "")
    assert result_rows(state)[0]["outcome"] == "skipped"
    assert harness_api.run_errors(str(state.state_details.flow_run_id)) == [], "Skipped is no error"
    with (
        ExitStack() as previous,
        pytest.raises(BaseException) as ended,  # the engine resolves the state into an exception
    ):
        assert slots.hold_site_slot(previous, config["name"], 1, None, running=list, log=print)
        crawl_all(
            sites=[config["name"]], sites_file=write_sites_file(tmp_path, config), archive=str(archive),
            settings=FAST_SETTINGS, wait_for_previous_seconds=1,
        )  # fmt: skip
    assert isinstance(ended.value, RunNotCompleted), repr(ended.value)
    assert ended.value.rows[0]["outcome"] == "skipped"
    assert news_site.requests == [], "a skipped run sends no request"
    assert not archive.exists() or not any(archive.iterdir())
    assert harness_api.artifacts(str(state.state_details.flow_run_id))["crawl-progress"]["data"] == 100.0


HOLD_SLOT = """
import sys, time
from contextlib import ExitStack
from flows import slots
with ExitStack() as stack:
    assert slots.hold_site_slot(stack, sys.argv[1], 5, None, running=list, log=print)
    print("held", flush=True)
    time.sleep(600)
"""


@pytest.mark.slow
def test_slot_of_a_killed_holder_is_reclaimed_at_once(
    news_site: Any, harness_api: PrefectApi, tmp_path: Path
) -> None:
    """A process that took the site's slot is SIGKILLed (its lease lives on): the next run takes
    the slot at once, without waiting, and says from whom."""
    from prefect.settings import PREFECT_API_URL

    config = news_site.site_config()
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_SLOT, config["name"]], stdout=subprocess.PIPE, text=True, env=env,
        cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    holder.kill()
    holder.wait()
    state = crawl_all(
        sites=[config["name"]], sites_file=write_sites_file(tmp_path, config), archive=str(tmp_path / "a"),
        settings=FAST_SETTINGS, wait_for_previous_seconds=0, return_state=True,
    )  # fmt: skip
    assert state.is_completed(), (state.name, state.message)
    assert len(result_rows(state)) == 1 and result_rows(state)[0]["outcome"] != "skipped"
    runs = [str(state.state_details.flow_run_id)]
    runs += [c["id"] for c in harness_api.children(runs[0])]
    reclaimed = [m for m in harness_api.warnings(runs) if "reclaimed the slot" in m]
    assert reclaimed and f"pid {holder.pid} " in reclaimed[0] and "is gone" in reclaimed[0], reclaimed


HOLD_IN_A_RUN = """
import sys, time
from contextlib import ExitStack
from prefect import flow
from prefect.context import get_run_context
from flows import slots

@flow(name="crawl-site")
def hold(site: str) -> None:
    me = get_run_context().flow_run.id
    with ExitStack() as stack:
        assert slots.hold_site_slot(stack, site, 5, me, running=list, log=print)
        print(me, flush=True)
        time.sleep(600)

hold(sys.argv[1])
"""


@pytest.mark.slow
def test_a_run_left_running_by_a_dead_process_is_crashed_and_its_slot_freed(harness_api: PrefectApi) -> None:
    """What `dateline service start` does first: a flow run whose process was SIGKILLed while
    holding its site's slot stays Running; the sweep marks it Crashed and frees the slot."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_IN_A_RUN, "orphaned-news"], stdout=subprocess.PIPE, text=True, env=env,
        cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    assert holder.stdout is not None
    run_id = holder.stdout.readline().strip()
    holder.kill()
    holder.wait()
    assert harness_api.flow_run(run_id)["state"]["type"] == "RUNNING"
    with get_client(sync_client=True) as client:
        lines = slots.reclaim_dead_holders(client)
        assert [line for line in lines if "crawl-site-orphaned-news" in line and run_id in line], lines
        assert client.read_global_concurrency_limit_by_name("crawl-site-orphaned-news").active_slots == 0
        assert slots.read_holder(client, "orphaned-news") is None
        assert slots.reclaim_dead_holders(client) == [], "nothing left to reclaim"
    assert harness_api.flow_run(run_id)["state"]["type"] == "CRASHED"


@pytest.mark.slow
def test_unreachable_site_fails_the_run(harness_api: PrefectApi, tmp_path: Path) -> None:
    config = {"name": "nowhere", "start_urls": ["http://127.0.0.1:9/"]}
    state = crawl_all(
        sites_file=write_sites_file(tmp_path, config), archive=str(tmp_path / "a"), settings=FAST_SETTINGS,
        return_state=True,
    )  # fmt: skip
    assert state.is_failed(), state.message
    assert "could not be crawled: nowhere" in (state.message or "")
    assert result_rows(state)[0]["outcome"] == "unreachable"
    assert harness_api.run_errors(str(state.state_details.flow_run_id)) == [], "no traceback for Failed"

    with pytest.raises(RunNotCompleted) as ended:  # what a worker's engine does with the final state
        crawl_all(
            sites_file=write_sites_file(tmp_path, config), archive=str(tmp_path / "a"), settings=FAST_SETTINGS
        )
    assert "could not be crawled: nowhere" in str(ended.value) and ended.value.rows[0]["site"] == "nowhere"


def test_summary_row_says_when_fetched_pages_are_in_no_column() -> None:
    m = manifest(fetched=10, extract_failures=1)  # 9 new + 1 failed after fetching
    assert summary_row(SiteResult("a", m), Thresholds())["unaccounted"] == 0
    old = m.model_copy(update={"stats": m.stats.model_copy(update={
        "stored_new": 5, "skipped_too_old": 6, "skipped_too_old_unfetched": 2, "stored_alias": 0})})  # fmt: skip
    assert summary_row(SiteResult("a", old), Thresholds())["unaccounted"] == 0, "5 new + 4 too old + 1 failed"
    lost = m.model_copy(update={"stats": m.stats.model_copy(update={"stored_new": 7})})
    row = summary_row(SiteResult("a", lost), Thresholds())
    assert row["unaccounted"] == 2
    report = run_report_markdown([SiteResult("a", lost)], "data/archive", Thresholds())
    assert "counts do not add up, +2 fetched page(s) in no column" in report


def test_progress_note_shows_pages_being_cleaned_not_just_0_stored() -> None:
    from flows.report import progress_note

    early = {"discovered": 12, "fetched": 10, "stored/new": 0, "failed": 0}
    assert progress_note("a", early) == "a: 10 fetched of 12 discovered, 0 stored, 10 being cleaned, 0 failed"
    later = {**early, "stored/new": 6, "stored/unchanged": 1, "skipped_not_article": 1, "failed": 1,
             "skipped_too_old": 2, "skipped_too_old_unfetched": 1}  # fmt: skip
    assert progress_note("a", later) == "a: 10 fetched of 12 discovered, 6 stored, 1 failed"


@pytest.mark.slow
def test_crawl_all_crawls_its_sites_in_one_process_and_tells_them_apart(
    site_factory: Any, harness_api: PrefectApi, tmp_path: Path
) -> None:
    """crawl-all runs ONE crawl task (one child process) for every site whose slot it got: a
    site held by another run is skipped, an unreachable one fails alone, the others are stored,
    and the summary, report and log lines name each site."""
    import yaml

    from tests.fixtures.sites import truth_pages

    good = [site_factory(truth_pages(2, seed=20 + i), name=f"one-proc-{i}") for i in range(2)]
    held = site_factory(truth_pages(2, seed=30), name="one-proc-held")
    configs = [s.site_config() for s in [*good, held]]
    configs.append({"name": "one-proc-nowhere", "start_urls": ["http://127.0.0.1:9/"]})
    sites_file = tmp_path / "sites.yaml"
    sites_file.write_text(yaml.safe_dump({"sites": configs}), encoding="utf-8")
    with ExitStack() as previous:
        assert slots.hold_site_slot(previous, "one-proc-held", 1, None, running=list, log=print)
        state = crawl_all(
            sites_file=str(sites_file), archive=str(tmp_path / "archive"), settings=FAST_SETTINGS,
            wait_for_previous_seconds=1, return_state=True,
        )  # fmt: skip
    assert state.is_failed(), (state.name, state.message)  # the unreachable site fails the run
    rows = {r["site"]: r for r in result_rows(state)}
    assert list(rows) == [c["name"] for c in configs], "one row per site, in the order selected"
    assert [rows[s.name]["outcome"] for s in good] == ["ok", "ok"]
    for site in good:
        assert rows[site.name]["stored_new"] == len(site.expected_articles()) > 0
    assert rows["one-proc-held"]["outcome"] == "skipped" and held.requests == []
    assert rows["one-proc-nowhere"]["outcome"] == "unreachable"

    run_id = str(state.state_details.flow_run_id)
    body = {"task_runs": {"flow_run_id": {"any_": [run_id]}}, "limit": 50, "offset": 0}
    tasks = [
        t for t in harness_api.post("/task_runs/filter", body) if t["name"].startswith("crawl-sites-process")
    ]
    assert len(tasks) == 1 and tasks[0]["state"]["type"] == "COMPLETED", tasks
    assert harness_api.children(run_id) == [], "no subflow per site"
    assert harness_api.artifacts(run_id)["crawl-progress"]["data"] == 100.0
    assert harness_api.table(run_id, "crawl-summary") == result_rows(state)
    APILogHandler().flush()
    skipped = [m for m in harness_api.warnings([run_id]) if "previous run still going" in m]
    assert skipped and all("one-proc-held" in m for m in skipped), skipped


# -- a site is final when its crawler closes (not when its process ends) -----------------------

# FAST_SETTINGS without the process-wide request timeout: the held-back page below waits longer
GATED_SETTINGS = {k: v for k, v in FAST_SETTINGS.items() if k != "DOWNLOAD_TIMEOUT"}


def _held_back(site: Any) -> threading.Event:
    """Holds one article of ``site`` back until the event is set (at most 120 s): the site's
    crawler cannot close before, whatever the machine's load."""
    from demosite import Route

    gate = threading.Event()
    path = next(iter(site.layout.articles))
    route = site.routes[path]

    def held(record: Any) -> Any:
        gate.wait(120)
        return route if isinstance(route, Route) else route(record)

    site.add_route(path, held)
    return gate


def _two_sites(site_factory: Any, tmp_path: Path, prefix: str) -> tuple[Any, Any, threading.Event, str]:
    """A fast site and a slow one (held back) of one crawl process, in one sites file."""
    import yaml

    from tests.fixtures.sites import truth_pages

    fast = site_factory(truth_pages(2, seed=40), name=f"{prefix}-fast")
    slow = site_factory(truth_pages(2, seed=41), name=f"{prefix}-slow")
    gate = _held_back(slow)
    slow_config = slow.site_config()
    slow_config["limits"] = {**slow_config["limits"], "timeout": 150}
    sites_file = tmp_path / "sites.yaml"
    sites_file.write_text(yaml.safe_dump({"sites": [fast.site_config(), slow_config]}), encoding="utf-8")
    return fast, slow, gate, str(sites_file)


def _manifests(archive: str, site: str) -> list[RunManifest]:
    if not Path(archive).exists():
        return []
    store = open_store(archive)
    return [RunManifest.model_validate_json(store.get(k)) for k in store.list(f"runs/site={site}/")]


def _in_thread(**kwargs: Any) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["state"] = crawl_all(**kwargs, return_state=True)
        except BaseException as e:  # shown by the test's assertion on ``out``
            out["error"] = e

    thread = threading.Thread(target=run, name="first-crawl", daemon=True)
    thread.start()
    return thread, out


def _wait_for(condition: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"not within {within:g} s: {what}"
        time.sleep(0.2)


@pytest.mark.slow
def test_a_finished_site_frees_its_slot_while_a_slow_site_of_its_process_runs(
    site_factory: Any, harness_api: PrefectApi, tmp_path: Path
) -> None:
    """The next run of a fast site is not blocked by a slow site of the same crawl process:
    the fast site's slot is freed as soon as its crawler closes."""
    fast, slow, gate, sites_file = _two_sites(site_factory, tmp_path, "early")
    archive = str(tmp_path / "archive")
    common: dict[str, Any] = {"sites_file": sites_file, "archive": archive, "settings": GATED_SETTINGS}
    try:
        first, out = _in_thread(**common, wait_for_previous_seconds=0)
        _wait_for(lambda: _manifests(archive, fast.name), 180, "the fast site's manifest")
        assert first.is_alive() and not _manifests(archive, slow.name), "the slow site is still crawled"
        second = crawl_all(sites=[fast.name], **common, wait_for_previous_seconds=5, return_state=True)
        assert second.is_completed(), (second.name, second.message)
        assert result_rows(second)[0]["outcome"] == "ok", result_rows(second)
        assert first.is_alive() and not _manifests(archive, slow.name), "the slow site ran all along"
    finally:
        gate.set()
        first.join(180)
    assert not first.is_alive() and "error" not in out, out
    state = out["state"]
    assert state.is_completed(), (state.name, state.message)
    rows = {r["site"]: r for r in result_rows(state)}
    assert rows[slow.name]["stored_new"] == len(slow.expected_articles()) > 0
    assert rows[fast.name]["stored_new"] == len(fast.expected_articles()) > 0
    assert len(_manifests(archive, fast.name)) == 2 and len(_manifests(archive, slow.name)) == 1


@pytest.mark.slow
def test_a_crash_retries_only_the_sites_without_a_final_report(
    site_factory: Any, harness_api: PrefectApi, tmp_path: Path
) -> None:
    """The crawl process is SIGKILLed after the fast site finished: the retry crawls only the
    slow site; the fast site keeps its one manifest and gets no request more."""
    from tests.proc_helpers import descendants

    fast, slow, gate, sites_file = _two_sites(site_factory, tmp_path, "crash")
    archive = str(tmp_path / "archive")
    try:
        first, out = _in_thread(sites_file=sites_file, archive=archive, settings=GATED_SETTINGS)
        _wait_for(lambda: _manifests(archive, fast.name), 180, "the fast site's manifest")
        fast_requests = len(fast.requests)
        children = [pid for pid, cmd in descendants(os.getpid()).items() if "spiders.run" in cmd]
        assert len(children) == 1, children
        os.kill(children[0], signal.SIGKILL)
    finally:
        gate.set()
        first.join(240)
    assert not first.is_alive() and "error" not in out, out
    state = out["state"]
    assert state.is_completed(), (state.name, state.message)
    rows = {r["site"]: r for r in result_rows(state)}
    assert rows[fast.name]["outcome"] == rows[slow.name]["outcome"] == "ok", rows
    assert len(fast.requests) == fast_requests, "the retry did not crawl the finished site again"
    assert [m.complete for m in _manifests(archive, fast.name)] == [True], "one manifest, not two"
    slow_runs = _manifests(archive, slow.name)
    assert sorted(m.complete for m in slow_runs) == [False, True], "the killed attempt's, then the retry's"
    stored = {w["url"] for m in slow_runs for w in m.written}
    assert stored == set(slow.expected_articles())

    run_id = str(state.state_details.flow_run_id)
    body = {"task_runs": {"flow_run_id": {"any_": [run_id]}}, "limit": 50, "offset": 0}
    tasks = [t for t in harness_api.post("/task_runs/filter", body) if t["name"].startswith("crawl-sites")]
    assert len(tasks) == 1 and tasks[0]["run_count"] == 2, [(t["name"], t["run_count"]) for t in tasks]
