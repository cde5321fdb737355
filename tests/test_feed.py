"""Change feed: one entry per stored version, crash-safe, and followers that miss nothing and
read nothing twice while several writers (threads, crawl processes) keep writing (local and S3)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from archive import feed, keys
from archive.feed import Claim, Cursor, Follow
from archive.records import ArticleRecord
from archive.store import ObjectStore, TransientStoreError, open_store
from archive.writer import ArchiveWriter
from core.config import parse_sites
from dateline.cli import app
from demosite import NewsSite
from spiders.crawljob import run_site_crawl
from tests.e2e_helpers import FAST_SETTINGS
from tests.fixtures.s3 import SeaweedFS
from tests.fixtures.sites import truth_pages
from tests.test_writer import make_record

BASE = "https://news.example/feed/"


def record(n: int, text: str = "", **fields: Any) -> ArticleRecord:
    return make_record(text or f"Story number {n} about the harbour.", url=f"{BASE}{n}", **fields)


def follow_all(store: ObjectStore, since: str | None = None) -> tuple[list[tuple[str, str]], str]:
    entries, cursor = feed.changes(store, since)
    return [(e.id, e.version) for e in entries], cursor


def stored_versions(store: ObjectStore) -> list[tuple[str, str]]:
    """Every (id, version) in the id index: the truth a follower must match."""
    return sorted(tuple(k.removesuffix(".json").split("/")[2:4]) for k in store.list("ids/"))  # type: ignore[misc]


def writer_of(store: ObjectStore) -> ArchiveWriter:
    return ArchiveWriter(store)  # similarity is tested elsewhere


@pytest.fixture
def store(archive_uri: str) -> ObjectStore:
    return open_store(archive_uri)


def test_each_stored_version_is_announced_once(store: ObjectStore) -> None:
    writer = writer_of(store)
    v1, v2 = record(1), record(1, "Story number 1, updated.", crawled_at="2026-11-24T08:00:00Z")
    statuses = [writer.store_article(r) for r in (v1, v1, v2, record(2), v2)]
    assert statuses == ["new", "unchanged", "new_version", "new", "unchanged"]

    seen, cursor = follow_all(store)
    assert seen == [(v1.id, v1.version), (v2.id, v2.version), (record(2).id, record(2).version)]
    entries, _ = feed.changes(store)
    first = entries[0]
    assert first.key == keys.article_key("example", "2026-11-20", v1.id, v1.version)
    assert (first.site, first.published, first.run_id, first.content_hash) == (
        "example",
        "2026-11-20",
        "run-1",
        v1.content_hash,
    )
    assert store.exists(first.key)  # an entry never names a missing record
    assert follow_all(store, cursor)[0] == []  # nothing new: nothing again
    assert feed.has_entry(store, v1.id, v1.version)


def test_sequences_are_dense_and_each_writer_has_its_own_log(store: ObjectStore) -> None:
    a, b = writer_of(store), writer_of(store)
    for n in range(3):
        a.store_article(record(n))
        b.store_article(record(100 + n))
    assert a.feed.log != b.feed.log
    assert [k.rsplit("/", 1)[-1] for k in store.list("feed/registry/")] == [
        "000000000000.json",
        "000000000001.json",
    ]
    for log in (a.feed.log, b.feed.log):
        assert log is not None
        slots = [k.rsplit("/", 1)[-1] for k in store.list(keys.feed_log_prefix(log))]
        assert slots == [f"{n:012d}.json" for n in range(3)]
    seen, _ = follow_all(store)  # log by log, each in its writer's order
    assert seen == [(record(n).id, record(n).version) for n in (0, 1, 2, 100, 101, 102)]


def test_dense_append_finds_the_tail_in_few_requests(tmp_path: Any) -> None:
    store = open_store(str(tmp_path / "a"))
    for n in range(37):
        store.put_if_absent(keys.feed_registry_key(n), b"{}")
    probes: list[str] = []
    real_exists = store.exists

    def probing_exists(key: str) -> bool:
        probes.append(key)
        return real_exists(key)

    store.exists = probing_exists  # type: ignore[method-assign]
    assert feed.append_dense(store, keys.feed_registry_key, b"{}") == 37
    assert len(probes) <= 14  # galloping + bisection, not one probe per slot


def test_cursor_is_opaque_and_round_trips() -> None:
    cursor = Cursor(registry=3, logs={"20261123T105107Z-0123456789ab": 17})
    text = cursor.encode()
    assert text.replace("-", "").replace("_", "").isalnum()  # one shell word, no padding
    assert Cursor.decode(text) == cursor
    for bad in ("", "not-a-cursor", text[:-4], "eyJ2IjoxfQ"):
        with pytest.raises(ValueError, match="cursor"):
            Cursor.decode(bad)


def test_a_cursor_taken_mid_stream_resumes_exactly_there(store: ObjectStore) -> None:
    writer = writer_of(store)
    written = [record(n) for n in range(6)]
    for rec in written:
        writer.store_article(rec)
    follow = Follow(store)
    it = iter(follow)
    head = [next(it), next(it)]
    rest, _ = follow_all(store, follow.cursor)
    assert [(e.id, e.version) for e in head] + rest == [(r.id, r.version) for r in written]


class _FailSlots:
    """A store whose writer dies after claiming a slot and before writing it (the crash)."""

    def __init__(self, inner: ObjectStore) -> None:
        self.inner, self.uri = inner, inner.uri

    def put_if_absent(self, key: str, data: bytes, content_type: str = "application/json") -> bool:
        if key.startswith("feed/logs/"):
            raise RuntimeError("killed between the claim and the entry")
        return self.inner.put_if_absent(key, data, content_type)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_crash_between_claim_and_entry_is_completed_once_by_the_rerun(store: ObjectStore) -> None:
    rec = record(3)
    with pytest.raises(RuntimeError):
        writer_of(_FailSlots(store)).store_article(rec)
    assert list(store.list(keys.feed_claims_prefix(rec.id, rec.version))) == []  # epoch 0: in the id pointer
    claim = feed.pointer_claim(store, rec.id, rec.version)
    assert claim is not None
    assert not feed.has_entry(store, rec.id, rec.version)
    assert follow_all(store)[0] == []

    writer = writer_of(store)
    assert writer.store_article(rec) == "unchanged"  # the crawl's rerun: record known, feed completed
    assert writer.store_article(rec) == "unchanged"
    assert feed.pointer_claim(store, rec.id, rec.version) == claim
    assert store.exists(keys.feed_slot_key(claim.log, claim.seq))  # the claimed slot was filled ...
    assert writer.feed.log is None  # ... by the rerun, which needed no log of its own
    assert follow_all(store)[0] == [(rec.id, rec.version)]


def test_two_writers_of_one_version_share_its_single_slot(store: ObjectStore) -> None:
    """Writer A claimed a slot and is slow to fill it; B stores the same version meanwhile.
    (A's claim is a ``feed/claims`` object, as older archives have: it still counts first.)"""
    rec = record(4)
    a, b = writer_of(store), writer_of(store)
    a.store_article(record(40))  # A has a log with one entry; its next slot is 1
    assert a.feed.log is not None
    a_key = keys.article_key(rec.site, rec.published.date, rec.id, rec.version)
    store.put_if_absent(a_key, rec.model_dump_json().encode())  # A stored the record, then claimed
    store.put_if_absent(
        keys.feed_claim_key(rec.id, rec.version, 0), Claim(log=a.feed.log, seq=1).model_dump_json().encode()
    )
    seen, cursor = follow_all(store)
    assert seen == [(record(40).id, record(40).version)]
    assert b.store_article(rec) == "unchanged"  # B finds A's record and claim, fills A's slot
    assert b.feed.log is None
    assert a.feed.append(rec, a_key) is None  # A lands late: its slot is already there
    a.store_article(record(41))
    seen, cursor = follow_all(store, cursor)
    assert seen == [(rec.id, rec.version), (record(41).id, record(41).version)]
    assert follow_all(store, cursor)[0] == []


def test_sealing_ends_idle_logs_and_a_sealed_live_writer_moves_on(store: ObjectStore) -> None:
    writer = writer_of(store)
    writer.store_article(record(50))
    first_log = writer.feed.log
    _, cursor = follow_all(store)
    assert first_log in Cursor.decode(cursor).logs  # an open log is polled
    assert feed.seal_idle(store, idle=timedelta(hours=1)) == []  # not idle yet
    assert feed.seal_idle(store, idle=timedelta(0)) == [first_log]
    assert feed.seal_idle(store, idle=timedelta(0)) == []  # ended once

    writer.store_article(record(51))  # its slot 1 is the end now: the entry goes to a new log
    assert writer.feed.log not in (None, first_log)
    seen, cursor = follow_all(store, cursor)
    assert seen == [(record(51).id, record(51).version)]
    assert first_log not in Cursor.decode(cursor).logs  # ended logs leave the cursor

    writer.close()
    _, cursor = follow_all(store, cursor)
    assert Cursor.decode(cursor).logs == {}
    writer.store_article(record(52))  # a closed writer opens a new log when it stores again
    assert follow_all(store, cursor)[0] == [(record(52).id, record(52).version)]


def test_follower_while_writers_write_misses_nothing_and_reads_nothing_twice(store: ObjectStore) -> None:
    """Three writers store in bursts from threads (one re-stores another's pages, one updates
    them), a sealer ends logs under them, and a follower polls with its cursor throughout."""
    done = threading.Event()

    def write(numbers: range, text: str = "") -> None:
        writer = writer_of(store)
        threads = [
            threading.Thread(target=lambda n=n: writer.store_article(record(n, text.format(n))))
            for n in numbers
        ]  # as the crawl does: stores run in threads, the feed log serialises them
        for i, t in enumerate(threads):
            t.start()
            if i % 4 == 3:
                time.sleep(0.03)
        for t in threads:
            t.join()

    def seal() -> None:
        while not done.is_set():
            feed.seal_idle(store, idle=timedelta(0))  # the worst case: live logs sealed too
            time.sleep(0.1)

    writers = [
        threading.Thread(target=write, args=(range(100, 112),)),
        threading.Thread(target=write, args=(range(200, 212),)),
        threading.Thread(target=write, args=(range(100, 112),)),  # the same versions again
        threading.Thread(target=write, args=(range(100, 106), "Story {}, updated.")),
    ]
    sealer = threading.Thread(target=seal)
    for t in [*writers, sealer]:
        t.start()
    delivered: list[tuple[str, str]] = []
    cursor: str | None = None
    polls = 0
    while any(t.is_alive() for t in writers):
        batch, cursor = follow_all(store, cursor)
        delivered += batch
        polls += 1
        time.sleep(0.02)
    done.set()
    for t in [*writers, sealer]:
        t.join()
    batch, cursor = follow_all(store, cursor)
    delivered += batch
    assert polls > 1
    assert len(delivered) == len(set(delivered)), "a version was delivered twice"
    assert sorted(delivered) == stored_versions(store) and len(delivered) == 30


def test_cli_follow_prints_records_and_the_cursor_last(store: ObjectStore) -> None:
    writer = writer_of(store)
    for n in (10, 11):
        writer.store_article(record(n))
    runner = CliRunner()
    first = runner.invoke(app, ["follow", "--archive", store.uri])
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    assert [ArticleRecord.model_validate_json(line).url for line in lines] == [f"{BASE}10", f"{BASE}11"]
    last = first.stderr.strip().splitlines()[-1]
    assert last.startswith("cursor: ")
    cursor = last.removeprefix("cursor: ")

    writer.store_article(record(12))
    second = runner.invoke(app, ["follow", "--archive", store.uri, "--since", cursor])
    assert second.exit_code == 0, second.output
    assert [json.loads(line)["url"] for line in second.stdout.splitlines()] == [f"{BASE}12"]
    assert second.stderr.strip().splitlines()[-1].startswith("cursor: ")

    # once the writer's log has ended, the cursor drops it: nothing is left to poll
    writer.close()
    cursor = second.stderr.strip().splitlines()[-1].removeprefix("cursor: ")
    third = runner.invoke(app, ["follow", "--archive", store.uri, "--since", cursor])
    assert third.exit_code == 0 and third.stdout == ""
    assert Cursor.decode(third.stderr.strip().splitlines()[-1].removeprefix("cursor: ")).logs == {}

    bad = runner.invoke(app, ["follow", "--archive", store.uri, "--since", "garbage"])
    assert bad.exit_code == 1


@pytest.mark.slow
def test_a_consumer_follows_two_real_crawls_while_they_write(
    archive_uri: str, site_factory: Callable[..., NewsSite]
) -> None:
    """Two sites crawled at once (two crawl processes, each storing from threads) while a
    consumer polls `follow`: it sees records during the crawls, and at the end exactly every
    stored version, once."""
    sites = [site_factory(truth_pages(5, seed=seed), name=f"site-{seed}") for seed in (1, 2)]
    configs = []
    for site in sites:
        config = site.site_config()
        configs.append(parse_sites({"sites": [config]}).sites[0])
    crawls = [
        threading.Thread(
            target=run_site_crawl,
            args=(config,),
            kwargs={
                "user_agent": "T/1.0",
                "archive_uri": archive_uri,
                "run_id": f"r{i}",
                "settings": FAST_SETTINGS,
            },
        )
        for i, config in enumerate(configs)
    ]
    store = open_store(archive_uri)
    for t in crawls:
        t.start()
    delivered: list[tuple[str, str]] = []
    cursor: str | None = None
    during = 0
    while any(t.is_alive() for t in crawls):
        batch, cursor = follow_all(store, cursor)
        delivered += batch
        during += len(batch)
        time.sleep(0.1)
    for t in crawls:
        t.join()
    batch, cursor = follow_all(store, cursor)
    delivered += batch
    expected = sum(len(site.expected_articles()) for site in sites)
    assert during > 0, "the consumer saw nothing while the crawls were writing"
    assert len(delivered) == len(set(delivered)), "a version was delivered twice"
    assert sorted(delivered) == stored_versions(store) and len(delivered) == expected
    assert follow_all(store, cursor)[0] == []


@pytest.mark.slow
def test_the_documented_boto3_follower_gets_every_version(s3_archive_uri: str, seaweedfs: SeaweedFS) -> None:
    """docs/archive.md's plain-boto3 follower (GETs only) against a live archive."""
    store = open_store(s3_archive_uri)
    a, b = writer_of(store), writer_of(store)
    for n in range(4):
        (a if n % 2 else b).store_article(record(n))
    a.close()
    s3 = seaweedfs.client()
    bucket, prefix = s3_archive_uri.removeprefix("s3://").split("/", 1)[0], "archive/"

    def get(key: str) -> Any:
        try:
            return json.loads(s3.get_object(Bucket=bucket, Key=prefix + key)["Body"].read())
        except s3.exceptions.NoSuchKey:
            return None

    registry, got = 0, []
    logs: dict[str, int] = {}
    while (opened := get(f"feed/registry/{registry:012d}.json")) is not None:
        logs.setdefault(opened["log"], 0)
        registry += 1
    for log in list(logs):
        day = f"{log[:4]}-{log[4:6]}-{log[6:8]}"
        while (slot := get(f"feed/logs/date={day}/{log}/{logs[log]:012d}.json")) is not None:
            if slot["kind"] == "end":
                del logs[log]
                break
            logs[log] += 1
            got.append(ArticleRecord.model_validate(get(slot["key"])).url)
    assert sorted(got) == [f"{BASE}{n}" for n in range(4)]
    assert list(logs) == [b.feed.log]  # a's log ended; b's is still open


def test_cli_follow_on_a_storage_error_prints_the_cursor_of_what_it_printed(
    store: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = writer_of(store)
    for n in range(4):
        writer.store_article(record(n))
    calls = {"records": 0}
    real_get = type(store).get

    def flaky_get(self: Any, key: str) -> bytes:
        if key.startswith("articles/"):
            calls["records"] += 1
            if calls["records"] == 3:
                raise TransientStoreError("network down")
        return bytes(real_get(self, key))

    monkeypatch.setattr(type(store), "get", flaky_get)
    runner = CliRunner()
    first = runner.invoke(app, ["follow", "--archive", store.uri])
    assert first.exit_code == 1
    assert [json.loads(line)["url"] for line in first.stdout.splitlines()] == [f"{BASE}0", f"{BASE}1"]
    cursor = first.stderr.strip().splitlines()[-1].removeprefix("cursor: ")
    second = runner.invoke(app, ["follow", "--archive", store.uri, "--since", cursor])
    assert second.exit_code == 0, second.output
    assert [json.loads(line)["url"] for line in second.stdout.splitlines()] == [f"{BASE}2", f"{BASE}3"]
