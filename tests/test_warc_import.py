"""WARC import: real saved pages in WARC files built here (warcio), every kind of record counted
with its reason, records stored through the crawl's path with pointers into the source file, read
from a local folder, from S3 laid out like CC-NEWS and over HTTP; resumable without duplicates."""

from __future__ import annotations

import gzip
import http.server
import shutil
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from archive import feed, sources
from archive.reader import ArchiveReader
from archive.sources import read_range
from archive.store import open_store
from archive.warc import find_response
from backfill.importer import ImportStats, import_warc
from backfill.selection import build_selection
from core.config import Site
from dateline.cli import app
from flows.reextract import reextract_site
from spiders.crawljob import run_site_crawl
from tests.e2e_helpers import FAST_SETTINGS
from tests.fixtures.s3 import SeaweedFS
from tests.warcfiles import FETCHED, WarcFile, demo_page, mixed_warc, write_sites

KEPT = {"restofworld.org": 1, "mainichi.jp": 1, "ilgiornale.it": 1}
SKIPPED = {
    "not-html": 1,
    "revisit": 1,
    "truncated": 1,
    "http-404": 1,
    "redirect": 1,
    "unconfigured-domain": 1,
}


def import_files(tmp_path: Path, archive: str, uris: list[str], **kw: Any) -> ImportStats:
    """One spawned extraction worker: these tests are about reading and counting, not the pool
    (a worker's start costs ~4 s CPU; the folder and CC-NEWS tests keep a pool of two)."""
    return import_warc(archive, uris, build_selection(write_sites(tmp_path), **kw), workers=1)


def assert_mixed_counts(stats: ImportStats) -> None:
    assert stats.files_read == 1 and not stats.files_failed
    assert dict(stats.kept) == KEPT
    assert dict(stats.stored) == {"new": 3}
    assert dict(stats.skipped) == SKIPPED
    assert dict(stats.failed) == {"corrupt-gzip": 1}  # and the member after it was still read
    assert stats.responses == 9 and stats.records == 19  # 9 responses + 8 requests + warcinfo + damage


@dataclass
class Imported:
    """The mixed WARC imported once from a folder into a fresh local archive (a pool of two)."""

    folder: Path
    sites: Path
    archive: str
    stats: ImportStats


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    """Shared by tests that only read the archive, or work on their own copy of it."""
    tmp_path = tmp_path_factory.mktemp("imported")
    folder = tmp_path / "warcs"
    folder.mkdir()
    (folder / "mixed.warc.gz").write_bytes(mixed_warc()[0])
    (folder / "notes.txt").write_text("not a WARC")  # a folder import takes only WARC files
    archive, sites = str(tmp_path / "archive"), write_sites(tmp_path)
    stats = import_warc(archive, [(folder / "mixed.warc.gz").as_uri()], build_selection(sites), workers=2)
    return Imported(folder, sites, archive, stats)


def test_every_record_is_counted_and_articles_point_into_the_file(imported: Imported) -> None:
    folder, archive, urls = imported.folder, imported.archive, mixed_warc()[2]
    selection = build_selection(imported.sites)
    assert_mixed_counts(imported.stats)

    reader = ArchiveReader(open_store(archive))
    records = {r.site: r for r in reader.iter_records()}
    assert sorted(records) == ["ilgiornale", "mainichi", "restofworld"]
    jp = records["mainichi"]
    assert jp.published.date == "2025-01-14" and jp.published.source is not None  # the page's date
    assert jp.crawled_at.startswith(FETCHED.date().isoformat())  # the WARC-Date: the fetch time
    assert jp.discovery.via == "warc" and jp.url == urls["mainichi"]
    assert jp.raw is not None and jp.raw.key == (folder / "mixed.warc.gz").as_uri()
    assert jp.raw.offset is not None and jp.raw.length is not None
    record_bytes = read_range(jp.raw.key, jp.raw.offset, jp.raw.length)  # exactly one gzip member
    assert gzip.decompress(record_bytes).startswith(b"WARC/1.1")
    assert find_response(record_bytes, jp.raw.record_id).status == 200
    assert "mainichi" in reader.raw_response(jp.raw).body.decode("utf-8")
    assert not list(open_store(archive).list("raw/"))  # nothing copied into raw/
    assert reader.get_by_url(urls["restofworld"]) is not None  # tracking-parameter URL marked too
    runs = {m.site: m for m in reader.runs()}
    assert runs["mainichi"].stats.stored_new == 1 and runs["mainichi"].stats.finish_reason == "import"

    # the folder again: the finished file is recorded in the archive and not read again
    again = import_warc(archive, _expand(folder), selection, workers=1)
    assert again.files_already_imported == 1 and again.records == 0


def _expand(folder: Path) -> list[str]:
    from archive.sources import expand

    found = expand([str(folder)])
    assert found == [(folder / "mixed.warc.gz").as_uri()]
    return found


def test_reextract_reads_imported_pointers(imported: Imported, tmp_path: Path) -> None:
    archive = str(tmp_path / "archive")
    shutil.copytree(imported.archive, archive)  # its own copy: re-extraction writes a run
    manifest = reextract_site(archive, "mainichi", "reextract-1", sites_file=str(imported.sites))
    assert (manifest.stats.unchanged, manifest.stats.failed) == (1, 0)


def test_uncompressed_warc_and_domain_and_date_selection(tmp_path: Path) -> None:
    path = tmp_path / "mixed.warc"
    path.write_bytes(mixed_warc(gzipped=False)[0])  # no damage: lavanguardia is read too
    archive = str(tmp_path / "archive")
    stats = import_files(tmp_path, archive, [path.as_uri()], domains=["lavanguardia.com", "mainichi.jp"])
    assert dict(stats.kept) == {"mainichi.jp": 1, "lavanguardia.com": 1}
    assert stats.skipped["unconfigured-domain"] == 7  # other configured sites are outside --domain
    reader = ArchiveReader(open_store(archive))
    es = next(r for r in reader.iter_records() if r.site == "lavanguardia")
    assert es.raw is not None and reader.raw_response(es.raw).status == 200
    # published-date range: only the January 13 article; the selection is new, so the file is read
    dated = import_files(tmp_path, str(tmp_path / "dated"), [path.as_uri()],
                         since=_d("2025-01-13"), until=_d("2025-01-13"))  # fmt: skip
    assert dict(dated.stored) == {"new": 1}
    assert dated.skipped["published-out-of-range"] == 3


def _d(value: str) -> Any:
    from datetime import date

    return date.fromisoformat(value)


# --------------------------------------------------------------------------- over HTTP


class _WarcHandler(http.server.BaseHTTPRequestHandler):
    """Serves the server's files with Range support; the next ``cuts`` GETs that reach byte
    ``cut_at`` of a file drop the connection there (a resumed GET from ``cut_at`` brings nothing)."""

    server: _WarcServer

    def do_GET(self) -> None:
        data = self.server.files.get(self.path.lstrip("/"))
        if data is None:
            self.send_error(404)
            return
        start, end = 0, len(data) - 1
        ranged = self.headers.get("Range")
        if ranged:
            first, _, last = ranged.removeprefix("bytes=").partition("-")
            start, end = int(first), int(last) if last else len(data) - 1
        self.server.ranges.append(ranged or "")
        self.send_response(206 if ranged else 200)
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        body = data[start : end + 1]
        if self.server.cuts and self.server.cut_at is not None and end + 1 > self.server.cut_at:
            body = data[start : max(start, self.server.cut_at)]  # the connection drops
            self.server.cuts -= 1
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _WarcServer(http.server.ThreadingHTTPServer):
    files: dict[str, bytes]
    cut_at: int | None = None
    cuts: int = 0
    ranges: list[str]


@pytest.fixture
def warc_server() -> Iterator[_WarcServer]:
    server = _WarcServer(("127.0.0.1", 0), _WarcHandler)
    server.files, server.ranges = {}, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_http_import_interrupted_half_way_gives_every_record_once(
    tmp_path: Path, warc_server: _WarcServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources, "RESUME_BACKOFF", 0.0)
    data, offsets, _ = mixed_warc()
    warc_server.files["cc/mixed.warc.gz"] = data
    warc_server.cut_at = offsets["mainichi"] + 500  # after the first article, inside the second
    warc_server.cuts = 1 + sources.RESUME_ATTEMPTS  # and every resumption drops too
    uri = f"http://127.0.0.1:{warc_server.server_address[1]}/cc/mixed.warc.gz"
    archive = str(tmp_path / "archive")
    first = import_files(tmp_path, archive, [uri])
    assert sum(first.files_failed.values()) == 1 and first.files_read == 0
    assert warc_server.ranges == ["", *[f"bytes={warc_server.cut_at}-"] * sources.RESUME_ATTEMPTS]
    assert dict(first.stored) == {"new": 1}
    store = open_store(archive)
    assert not list(store.list("imports/"))  # an interrupted file is not marked as imported

    second = import_files(tmp_path, archive, [uri])
    assert second.files_read == 1 and second.already_archived == 1 and dict(second.stored) == {"new": 2}
    reader = ArchiveReader(store)
    records = list(reader.iter_records(latest_only=False))
    assert len(records) == 3 and len({r.id for r in records}) == 3
    entries = list(feed.changes(store)[0])
    assert sorted(e.id for e in entries) == sorted(r.id for r in records)  # one feed entry each
    ilgiornale = next(r for r in records if r.site == "ilgiornale")
    assert ilgiornale.raw is not None and ilgiornale.raw.key == uri
    assert reader.raw_response(ilgiornale.raw).status == 200  # a ranged GET over HTTP


def test_a_dropped_http_stream_resumes_from_the_last_byte_read(
    tmp_path: Path, warc_server: _WarcServer
) -> None:
    data, offsets, _ = mixed_warc()
    warc_server.files["cc/mixed.warc.gz"] = data
    warc_server.cut_at, warc_server.cuts = offsets["mainichi"] + 500, 1  # inside the second article
    uri = f"http://127.0.0.1:{warc_server.server_address[1]}/cc/mixed.warc.gz"
    stats = import_files(tmp_path, str(tmp_path / "archive"), [uri])
    assert_mixed_counts(stats)  # one import, every record once, the file marked as read
    resumed = f"bytes={warc_server.cut_at}-"  # one ranged GET, from the cut (the later ones
    assert warc_server.ranges[:2] == ["", resumed] and warc_server.ranges.count(resumed) == 1
    assert "" not in warc_server.ranges[1:]  # look past the damaged member), never from the start


# --------------------------------------------------------------------------- S3, like CC-NEWS


@pytest.mark.slow
def test_cc_news_layout_on_s3(
    tmp_path: Path, seaweedfs: SeaweedFS, s3_archive_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = s3_archive_uri.removeprefix("s3://").split("/", 1)[0]
    client = seaweedfs.client()
    names = ["crawl-data/CC-NEWS/2024/05/CC-NEWS-20240501000000-00000.warc.gz",
             "crawl-data/CC-NEWS/2024/05/CC-NEWS-20240502000000-00001.warc.gz"]  # fmt: skip
    client.put_object(Bucket=bucket, Key=names[0], Body=mixed_warc()[0])
    second = WarcFile()
    it_url, it_html, _ = demo_page("EuronewsFR")
    second.response("euronews", it_url, it_html)  # not configured: skipped
    client.put_object(Bucket=bucket, Key=names[1], Body=second.data())
    listing = gzip.compress(("\n".join(names) + "\n").encode())
    client.put_object(Bucket=bucket, Key="crawl-data/CC-NEWS/2024/05/warc.paths.gz", Body=listing)

    archive = str(tmp_path / "archive")
    args = ["import", "cc-news", "--from", "2024-05", "--to", "2024-05", "--base", f"s3://{bucket}/",
            "--sites", str(write_sites(tmp_path)), "--archive", archive, "--workers", "2"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "stored new" in result.output and "corrupt-gzip 1" in result.output
    reader = ArchiveReader(open_store(archive))
    records = list(reader.iter_records())
    assert len(records) == 3
    for r in records:
        assert r.raw is not None and r.raw.key == f"s3://{bucket}/{names[0]}"
        assert reader.raw_response(r.raw).status == 200  # a ranged GET on S3
    marked = list(open_store(archive).list("imports/"))
    assert len(marked) == 2  # both files finished
    assert CliRunner().invoke(app, args).exit_code == 0  # and are not read again
    assert len(list(reader.iter_records())) == 3


# --------------------------------------------------------------------------- crawl + import


@pytest.mark.slow
def test_a_crawled_and_an_imported_article_are_one_record(demo_site: Any, tmp_path: Path) -> None:
    config = demo_site.site_config()
    site = Site.model_validate(config)
    archive = str(tmp_path / "archive")
    outcome = run_site_crawl(
        site, user_agent="test", archive_uri=archive, run_id="crawl-1", settings=FAST_SETTINGS
    )
    assert outcome.manifest.stats.stored_new == len(demo_site.expected_articles())

    warc = WarcFile()
    for n, url in enumerate(demo_site.expected_articles()):
        body = urllib.request.urlopen(url, timeout=10).read()  # the bytes the crawl got
        warc.response(f"same-{n}", url, body)
        warc.response(f"variant-{n}", url + "?utm_source=newsletter", body)  # a tracking variant
        warc.response(f"other-{n}", url + "?page=1", body)  # another URL, same canonical article
    path = tmp_path / "site.warc.gz"
    path.write_bytes(warc.data())
    sites = tmp_path / "crawled-sites.yaml"
    sites.write_text(yaml.safe_dump({"sites": [config]}), encoding="utf-8")
    stats = import_warc(archive, [path.as_uri()], build_selection(sites), workers=1)
    count = len(demo_site.expected_articles())
    assert stats.already_archived == 2 * count  # the same and the tracking URL: skipped as in a crawl
    # the other URL: the same version (same canonical) or an alias of it (same text), stored once
    assert sum(stats.stored.values()) == count and set(stats.stored) <= {"unchanged", "alias"}
    reader = ArchiveReader(open_store(archive))
    records = list(reader.iter_records(latest_only=False))
    assert len(records) == count and len({r.id for r in records}) == count
    for url in demo_site.expected_articles():
        assert reader.get_by_url(url + "?page=1") is not None


# --------------------------------------------------------------------------- the flow


@pytest.mark.slow
def test_import_warc_flow_runs_each_shard_as_its_own_run(tmp_path: Path, prefect_api: None) -> None:
    from flows.importwarc import import_warc_flow

    first = tmp_path / "a.warc.gz"
    first.write_bytes(mixed_warc()[0])
    second = WarcFile()
    jp_url, jp_html, _ = demo_page("MainichiShimbun")
    second.response("mainichi", jp_url + "?utm_source=x", jp_html)  # archived by the first shard
    (tmp_path / "b.warc.gz").write_bytes(second.data())
    archive = str(tmp_path / "archive")
    result = import_warc_flow(sources=[str(tmp_path)], sites_file=str(write_sites(tmp_path)),
                              archive=archive, files_per_shard=1, workers=1)  # fmt: skip
    assert [row["files"] for row in result["shards"]] == [1, 1]
    assert dict(result["stored"]) == {"new": 3} and result["already_archived"] == 1
    assert result["files_read"] == 2
    again = import_warc_flow(
        sources=[str(tmp_path)], sites_file=str(tmp_path / "sites.yaml"), archive=archive
    )
    assert again["files_already_imported"] == 2 and again["records"] == 0
