"""Shards of a crawl run, as plain functions: the split (every site in exactly one shard, stable,
balanced) and reading back what shard runs left (rows + manifests in the archive; a crashed or
cancelled shard gives its sites error rows, never a lost site)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from archive.store import open_store
from archive.writer import ArchiveWriter
from core.config import Site
from flows.pool import ShardOutcome, archive_manifests, result_row, site_results, split_shards
from flows.report import SiteResult, Thresholds, verdict
from tests.fixtures.prefect_server import PrefectApi
from tests.test_flows import manifest, result_rows


def test_split_puts_every_site_in_exactly_one_shard_in_order() -> None:
    for n in range(0, 41):
        names = [f"site-{i:02d}" for i in range(n)]
        for size in range(1, 12):
            shards = split_shards(names, size)
            assert [name for shard in shards for name in shard] == names, (n, size)
            assert all(1 <= len(shard) <= size for shard in shards), (n, size)
            assert len(shards) == -(-n // size), "as few shards as the size allows"
            assert not shards or max(map(len, shards)) - min(map(len, shards)) <= 1, "balanced"
            assert split_shards(list(names), size) == shards, "deterministic"


def test_split_examples() -> None:
    names = [f"s{i}" for i in range(17)]
    assert [len(s) for s in split_shards(names, 4)] == [4, 4, 3, 3, 3]
    assert [len(s) for s in split_shards(names[:16], 4)] == [4, 4, 4, 4]
    assert split_shards(names[:3], 25) == [names[:3]]
    assert split_shards([], 4) == []
    with pytest.raises(ValueError):
        split_shards(names, 0)


def _sites(*names: str) -> list[Site]:
    return [Site(name=n, start_urls=[f"http://{n}.test/"]) for n in names]


def test_results_come_back_through_rows_and_the_archive(tmp_path: Path) -> None:
    archive = str(tmp_path / "archive")
    t = Thresholds()
    ran = manifest("a", fetched=6, fetch_failures=1)
    ArchiveWriter(open_store(archive)).write_manifest(ran)
    skipped = SiteResult("b", skipped="b: previous run still going")
    broken = SiteResult("c", error="CrawlProcessError: exited with -9")
    rows = [result_row(r, t) for r in (SiteResult("a", ran), skipped, broken)]

    back = site_results([_sites("a", "b", "c")], [ShardOutcome("x-shard-1-of-1", "Completed", "", rows)],
                        archive_manifests(archive))  # fmt: skip
    assert back == [SiteResult("a", ran), skipped, broken]
    assert rows[0]["manifest_key"].startswith("runs/") and rows[0]["stored"] == ran.stats.stored_new


def test_a_shard_that_left_nothing_gives_its_sites_error_rows(tmp_path: Path) -> None:
    archive = str(tmp_path / "archive")
    t = Thresholds()
    ok = manifest("a")
    ArchiveWriter(open_store(archive)).write_manifest(ok)
    shards = [_sites("a"), _sites("b", "c"), _sites("d")]
    outcomes = [
        ShardOutcome("run-shard-1-of-3", "Completed", "", [result_row(SiteResult("a", ok), t)]),
        ShardOutcome("run-shard-2-of-3", "Crashed", "Flow run infrastructure exited with non-zero status"),
        ShardOutcome("run-shard-3-of-3", "Cancelled", ""),
    ]
    results = site_results(shards, outcomes, archive_manifests(archive))
    assert [r.site for r in results] == ["a", "b", "c", "d"], "no site lost"
    assert results[0] == SiteResult("a", ok)
    assert (
        results[1].error
        == results[2].error
        == ("shard run 'run-shard-2-of-3' ended Crashed: Flow run infrastructure exited with non-zero status")
    )
    assert results[3].error == "shard run 'run-shard-3-of-3' ended Cancelled"
    v = verdict(results, t)
    assert v.kind == "failed" and "3 of 4 site(s) could not be crawled: b, c, d" in v.message


def test_a_row_without_a_readable_manifest_is_an_error_not_a_success(tmp_path: Path) -> None:
    t = Thresholds()
    row = result_row(SiteResult("a", manifest("a")), t)  # the manifest was never written here
    outcome = ShardOutcome("run-shard-1-of-1", "Completed", "", [row])
    [result] = site_results([_sites("a")], [outcome], archive_manifests(str(tmp_path / "empty")))
    assert result.manifest is None and result.error is not None
    assert result.error.startswith(f"run manifest {row['manifest_key']} not readable")
    assert result.outcome(t) == "failed"


@pytest.mark.slow
def test_a_shard_no_worker_picks_up_is_cancelled_and_its_sites_get_error_rows(
    harness_api: PrefectApi, tmp_path: Path
) -> None:
    """A crawl-shard deployment on a pool without a worker: the shard runs stay Scheduled; after
    the start timeout the parent cancels them, every site gets an error row saying why, and
    the run ends (Failed) instead of waiting for ever."""
    import yaml
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    from flows.crawl import crawl_all

    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name="no-worker-pool", type="process"), overwrite=True)
        flow_id = client.create_flow_from_name("crawl-shard")
        client.create_deployment(
            flow_id, "no-worker", work_pool_name="no-worker-pool", entrypoint="flows/shard.py:crawl_shard"
        )
    names = [f"unpicked-{i}" for i in range(3)]
    sites_file = tmp_path / "sites.yaml"
    configs = [{"name": n, "start_urls": [f"http://127.0.0.1:9/{n}/"]} for n in names]
    sites_file.write_text(yaml.safe_dump({"sites": configs}), encoding="utf-8")
    t0 = time.monotonic()
    state = crawl_all(
        sites_file=str(sites_file), archive=str(tmp_path / "archive"), shard_size=2, dispatch="pool",
        shard_deployment="crawl-shard/no-worker", shard_start_timeout_seconds=3, return_state=True,
    )  # fmt: skip
    assert time.monotonic() - t0 < 60, "the run ended soon after the start timeout"
    assert state.is_failed(), (state.name, state.message)
    rows = result_rows(state)
    assert [r["site"] for r in rows] == names
    for row in rows:
        assert row["outcome"] == "failed", row
        assert "shard not started: no worker picked it up within 3 s" in row["reasons"], row
    shards = harness_api.post(
        "/flow_runs/filter",
        {"flow_runs": {"name": {"like_": "-shard-"}}, "deployments": {"name": {"any_": ["no-worker"]}}},
    )
    assert len(shards) == 2 and {s["state"]["type"] for s in shards} == {"CANCELLED"}, shards


@pytest.mark.slow
def test_a_shard_taken_but_never_started_is_cancelled_and_its_sites_get_error_rows(
    harness_api: PrefectApi, tmp_path: Path
) -> None:
    """A worker takes the shard runs (Pending) and dies before starting them: Prefect would
    leave them Pending for ever; the parent cancels them after the pending limit, every site
    gets an error row saying why, and the run ends."""
    import threading

    import yaml
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.states import Pending

    from flows.crawl import crawl_all
    from flows.pool import pending_limit

    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name="dead-worker-pool", type="process"), overwrite=True)
        flow_id = client.create_flow_from_name("crawl-shard")
        client.create_deployment(
            flow_id, "dead-worker", work_pool_name="dead-worker-pool", entrypoint="flows/shard.py:crawl_shard"
        )
    taken: set[str] = set()
    stop = threading.Event()

    def dead_worker() -> None:
        """Take every shard run as a worker does (Scheduled -> Pending), then never start it."""
        while not stop.is_set():
            runs = harness_api.post("/flow_runs/filter", {"deployments": {"name": {"any_": ["dead-worker"]}}})
            with get_client(sync_client=True) as client:
                for run in runs:
                    if run["id"] not in taken and run["state"]["type"] == "SCHEDULED":
                        client.set_flow_run_state(run["id"], Pending())
                        taken.add(run["id"])
            stop.wait(0.2)

    names = [f"taken-{i}" for i in range(3)]
    sites_file = tmp_path / "sites.yaml"
    configs = [{"name": n, "start_urls": [f"http://127.0.0.1:9/{n}/"]} for n in names]
    sites_file.write_text(yaml.safe_dump({"sites": configs}), encoding="utf-8")
    worker = threading.Thread(target=dead_worker, daemon=True)
    worker.start()
    t0 = time.monotonic()
    try:
        state = crawl_all(
            sites_file=str(sites_file), archive=str(tmp_path / "archive"), shard_size=2, dispatch="pool",
            shard_deployment="crawl-shard/dead-worker", shard_start_timeout_seconds=8, return_state=True,
        )  # fmt: skip
    finally:
        stop.set()
        worker.join(10)
    assert pending_limit(8) == 8 and pending_limit(3600) == 600, "never longer than 10 min"
    assert time.monotonic() - t0 < 60, "the run ended soon after the pending limit"
    assert len(taken) == 2, "both shard runs were taken"
    assert state.is_failed(), (state.name, state.message)
    rows = result_rows(state)
    assert [r["site"] for r in rows] == names
    for row in rows:
        assert row["outcome"] == "failed", row
        assert "shard not started: a worker took it but did not start it within 8 s" in row["reasons"], row
    shards = harness_api.post("/flow_runs/filter", {"deployments": {"name": {"any_": ["dead-worker"]}}})
    assert len(shards) == 2 and {s["state"]["type"] for s in shards} == {"CANCELLED"}, shards
