"""S3 store under real faults: SeaweedFS behind a loopback proxy that goes away for a while,
and an endpoint that accepts connections but never answers.

The outages are shortened along with the retry budget (``DATELINE_S3_OUTAGE_SECONDS``, read by
every S3Store, crawl children included): the same backoff rides out 12 s of a 30 s budget as it
does 65 s of the 90 s default (test_store holds the default to over a minute)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from archive.store import OUTAGE_ENV, S3Store, StoreUnavailableError, TransientStoreError
from archive.verify import verify
from archive.writer import ArchiveWriter
from core.config import parse_sites
from spiders.crawljob import ArchiveUnwritableError, run_site_crawl
from tests.e2e_helpers import FAST_SETTINGS
from tests.fixtures.prefect_server import PrefectApi
from tests.fixtures.s3 import SeaweedFS
from tests.fixtures.tcp import PausableProxy, SilentServer
from tests.test_verify import build_archive

pytestmark = pytest.mark.slow

OUTAGE = 12.0  # several backoff steps (0.5, 1, 2, 4, 8 s): retries go on through all of it
BUDGET = 30.0  # the retry budget the outage tests give every S3Store (the default is 90 s)


@pytest.fixture
def short_budget(monkeypatch: pytest.MonkeyPatch) -> float:
    """Every S3Store made from here on (also in crawl children) retries for BUDGET seconds."""
    monkeypatch.setenv(OUTAGE_ENV, str(BUDGET))
    return BUDGET


def _via(endpoint: str, uri: str, monkeypatch: pytest.MonkeyPatch) -> S3Store:
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return S3Store(bucket, prefix)


def test_store_calls_ride_out_an_outage_within_the_budget(
    seaweedfs: SeaweedFS, s3_archive_uri: str, monkeypatch: pytest.MonkeyPatch, short_budget: float
) -> None:
    with PausableProxy(int(seaweedfs.endpoint.rsplit(":", 1)[1])) as proxy:
        store = _via(proxy.endpoint, s3_archive_uri, monkeypatch)
        assert store.put_if_absent("before.json", b"{}")
        results: dict[str, Any] = {}

        def call(name: str, fn: Any) -> None:
            try:
                results[name] = fn()
            except Exception as exc:  # reported by the asserts below
                results[name] = exc

        proxy.pause()
        started = time.monotonic()
        calls = {
            "put": lambda: store.put_if_absent("during.json", b'{"a": 1}'),
            "get": lambda: store.get("before.json"),
            "list": lambda: list(store.list("")),
        }
        threads = [threading.Thread(target=call, args=item) for item in calls.items()]
        for t in threads:
            t.start()
        time.sleep(OUTAGE)
        proxy.resume()
        for t in threads:
            t.join(60)
        waited = time.monotonic() - started
        # put and list run at once after the outage: the listing may or may not see the new key yet
        listed = results.pop("list")
        assert listed in (["before.json"], ["before.json", "during.json"]), listed
        assert results == {"put": True, "get": b"{}"}, results
        assert waited >= OUTAGE
        assert (
            seaweedfs.client()
            .get_object(Bucket=store.bucket, Key=store.prefix + "during.json")["Body"]
            .read()
            == b'{"a": 1}'
        )


def test_outage_longer_than_the_budget_fails_each_call_then_recovers(
    seaweedfs: SeaweedFS, s3_archive_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with PausableProxy(int(seaweedfs.endpoint.rsplit(":", 1)[1])) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        bucket, _, prefix = s3_archive_uri.removeprefix("s3://").partition("/")
        monkeypatch.setenv(OUTAGE_ENV, "3")  # the variable, not an argument: the crawl's way
        store = S3Store(bucket, prefix)
        proxy.pause()
        started = time.monotonic()
        with pytest.raises(TransientStoreError):
            store.put_if_absent("a.json", b"{}")
        with pytest.raises(TransientStoreError):  # still down: fails at once, not after 3 s more
            store.put_if_absent("b.json", b"{}")
        assert time.monotonic() - started < 6
        proxy.resume()
        assert store.put_if_absent("a.json", b"{}")


def test_writes_cut_off_by_an_outage_leave_nothing_half_written(
    seaweedfs: SeaweedFS, s3_archive_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connections are cut repeatedly while an archive is written: every write either lands
    whole or is retried, and `verify` finds nothing damaged."""
    with PausableProxy(int(seaweedfs.endpoint.rsplit(":", 1)[1])) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        stop = threading.Event()

        def flap() -> None:
            while not stop.wait(0.4):
                proxy.pause()
                time.sleep(0.6)
                proxy.resume()

        flapper = threading.Thread(target=flap)
        flapper.start()
        try:
            records = build_archive(s3_archive_uri, n=8)
        finally:
            stop.set()
            flapper.join()
        report = verify(_via(proxy.endpoint, s3_archive_uri, monkeypatch))
        assert report.ok, report.summary()
        assert report.checked["records"] == len(records) == report.checked["feed_entries"]


def test_dead_endpoint_is_detected_within_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    with SilentServer() as silent:
        monkeypatch.setenv("AWS_ENDPOINT_URL", silent.endpoint)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
        monkeypatch.setenv("AWS_REGION", "us-east-1")
        store = S3Store("bucket", "p")
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError, match="does not answer"):
            list(store.list("urls/"))
        assert time.monotonic() - started < 30
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError):
            ArchiveWriter(store).store.put_if_absent("k.json", b"{}")
        assert time.monotonic() - started < 30


def test_crawl_against_a_dead_endpoint_ends_within_a_minute(
    demo_site: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SilentServer() as silent:
        for name, value in {"AWS_ENDPOINT_URL": silent.endpoint, "AWS_ACCESS_KEY_ID": "x",
                            "AWS_SECRET_ACCESS_KEY": "y", "AWS_REGION": "us-east-1"}.items():  # fmt: skip
            monkeypatch.setenv(name, value)
        site = parse_sites({"sites": [demo_site.site_config()]}).sites[0]
        started = time.monotonic()
        with pytest.raises(ArchiveUnwritableError) as caught:
            run_site_crawl(
                site, user_agent="t", archive_uri="s3://bucket/a", run_id="r", settings=FAST_SETTINGS
            )
        elapsed = time.monotonic() - started
    assert elapsed < 60, elapsed
    assert "does not answer" in str(caught.value)


def test_cli_crawl_against_a_dead_endpoint_exits_2_with_one_clear_line(
    demo_site: Any, tmp_path: Path, harness_api: PrefectApi
) -> None:
    """On the session's Prefect API (PREFECT_API_URL: the CLI starts no server of its own; that
    start is test_stop_kill's subject), so the time measured is the crawl's."""
    import os
    import subprocess
    import sys

    import yaml

    sites = tmp_path / "sites.yaml"
    sites.write_text(yaml.safe_dump({"sites": [demo_site.site_config()]}))
    crawl_runs = {"flows": {"name": {"any_": ["crawl-all"]}}}
    runs_before = harness_api.post("/flow_runs/count", crawl_runs)
    with SilentServer() as silent:
        env = {**os.environ, "AWS_ENDPOINT_URL": silent.endpoint, "AWS_ACCESS_KEY_ID": "x",
               "AWS_SECRET_ACCESS_KEY": "y", "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
               "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_API_URL": harness_api.url}  # fmt: skip
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "dateline.cli", "crawl", "--sites", str(sites), "--archive", "s3://b/a"],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        elapsed = time.monotonic() - started
    assert done.returncode == 2, done.stderr[-3000:]
    assert "could not be crawled: demo-news" in done.stderr
    assert "does not answer" in done.stderr
    assert elapsed < 150, elapsed  # measured ~40 s idle: the crawl (child + manifest), no server start
    assert harness_api.post("/flow_runs/count", crawl_runs) == runs_before + 1, "the run went to that API"


def test_crawl_rides_out_an_s3_outage_within_the_budget(
    demo_site: Any,
    seaweedfs: SeaweedFS,
    s3_archive_uri: str,
    monkeypatch: pytest.MonkeyPatch,
    short_budget: float,
) -> None:
    """SeaweedFS goes away (connections refused and cut) once the crawl has stored its first raw
    page, for OUTAGE s: the crawl completes, every page is stored or counted, `verify` is clean."""
    bucket, _, prefix = s3_archive_uri.removeprefix("s3://").partition("/")
    direct = seaweedfs.client()
    with PausableProxy(int(seaweedfs.endpoint.rsplit(":", 1)[1])) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        site = parse_sites({"sites": [demo_site.site_config()]}).sites[0]
        result: dict[str, Any] = {}

        def crawl() -> None:
            try:
                result["outcome"] = run_site_crawl(
                    site, user_agent="t", archive_uri=s3_archive_uri, run_id="r", settings=FAST_SETTINGS
                )
            except Exception as exc:  # reported below
                result["error"] = exc

        worker = threading.Thread(target=crawl)
        worker.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and worker.is_alive():
            if direct.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/raw/").get("KeyCount", 0):
                break
            time.sleep(0.1)
        running_at_pause = worker.is_alive()
        proxy.pause()
        time.sleep(OUTAGE)
        proxy.resume()
        worker.join(300)
    assert running_at_pause, "the crawl ended before the outage began"
    assert "error" not in result, result
    m = result["outcome"].manifest
    assert m.complete and m.stats.seconds >= OUTAGE
    stored = m.stats.stored_new + m.stats.unchanged
    assert stored + m.stats.failed >= len(demo_site.expected_articles())
    assert stored == len(demo_site.expected_articles()), m.failures  # the outage was ridden out
    report = verify(_via(seaweedfs.endpoint, s3_archive_uri, monkeypatch))
    assert report.ok, report.summary()
