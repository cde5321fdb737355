"""The `dateline` CLI on saved pages and on an archive (no crawling, no Prefect)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from archive.records import DateInfo, Discovery
from archive.store import open_store
from archive.warc import build_warc
from archive.writer import ArchiveWriter
from core.recordbuilder import build_record
from dateline.cli import app
from extraction.model import Extraction
from tests.fixtures.sites import DATASET_DIR as DATASET
from tests.fixtures.sites import load_truth

runner = CliRunner()


def lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_extract_html_gz_with_url_gives_the_truth_date() -> None:
    truth = load_truth()[0]
    result = runner.invoke(app, ["extract", "--url", truth["url"], str(DATASET / truth["file"])])
    assert result.exit_code == 0, result.output
    (page,) = lines(result.stdout)
    assert page["date"] == truth["publishing_date"][:10]
    assert page["title"] and page["text"] and page["language"]
    assert set(page) >= {"source", "url", "title", "authors", "date", "language", "text"}


def test_extract_manifest_reports_bad_pages_without_crashing(tmp_path: Path) -> None:
    truth = load_truth()[:2]
    (tmp_path / "empty.html").write_bytes(b"")
    (tmp_path / "binary.html").write_bytes(bytes(range(256)) * 20)
    (tmp_path / "broken.html.gz").write_bytes(b"\x1f\x8bnot really gzip")
    entries = [{"path": str(DATASET / t["file"]), "url": t["url"], "site": "s"} for t in truth]
    entries += [
        {"path": n, "url": f"https://x.example/{n}", "site": "s"}
        for n in ("empty.html", "binary.html", "broken.html.gz", "missing.html")
    ]
    manifest = tmp_path / "pages.jsonl"
    manifest.write_text("\n".join(json.dumps(e) for e in entries) + "\nnot json\n", encoding="utf-8")
    result = runner.invoke(app, ["extract", "--manifest", str(manifest)])
    assert result.exit_code == 0, result.output
    out = lines(result.stdout)
    assert len(out) == len(entries) + 1, "one line per input, errors included"
    assert [bool(o.get("error")) for o in out] == [False, False, True, True, True, True, True]
    assert out[0]["date"] == truth[0]["publishing_date"][:10]


def test_extract_reads_warc_files(tmp_path: Path) -> None:
    truth = load_truth()[0]
    body = gzip.decompress((DATASET / truth["file"]).read_bytes())
    data, _ = build_warc(
        truth["url"],
        200,
        [("Content-Type", "text/html; charset=utf-8")],
        body,
        datetime(2024, 5, 3, 18, tzinfo=UTC),
    )
    (tmp_path / "page.warc.gz").write_bytes(data)
    result = runner.invoke(app, ["extract", str(tmp_path / "page.warc.gz")])
    assert result.exit_code == 0, result.output
    (page,) = lines(result.stdout)
    assert page["url"] == truth["url"] and page["date"] == truth["publishing_date"][:10]


def _store(archive: str, url: str, text: str, date: str) -> str:
    ex = Extraction(
        url=url,
        canonical_url=url,
        title=f"Title {text}",
        text=text,
        published=DateInfo(date=date, source="meta"),
    )
    rec = build_record(
        ex,
        site="s",
        fetched_url=url,
        other_urls=[],
        crawled_at=datetime.now(UTC).isoformat(),
        run_id="r",
        raw=None,
        discovery=Discovery(),
    )
    ArchiveWriter(open_store(archive)).store_article(rec)
    return rec.id


def test_ls_and_show(tmp_path: Path) -> None:
    archive = str(tmp_path / "a")
    first = _store(archive, "https://n.example/1", "one two three", "2026-02-08")
    _store(archive, "https://n.example/2", "four five six", "2026-02-09")
    _store(archive, "https://n.example/1", "one two three four", "2026-02-08")  # a new version
    result = runner.invoke(app, ["ls", "--archive", archive, "--json", "--since", "2026-02-09"])
    assert [r["url"] for r in lines(result.stdout)] == ["https://n.example/2"]
    result = runner.invoke(app, ["show", first, "--archive", archive])
    assert json.loads(result.stdout)["text"] == "one two three four"
    result = runner.invoke(app, ["show", "https://n.example/1", "--archive", archive, "--all-versions"])
    assert result.exit_code == 0 and result.stdout.count('"schema_version"') == 2
    assert runner.invoke(app, ["show", "nope", "--archive", archive]).exit_code == 1


def test_bad_sites_file_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "sites.yaml"
    bad.write_text("sites: [{name: 'Bad Name'}]", encoding="utf-8")
    result = runner.invoke(app, ["crawl", "--sites", str(bad)])
    assert result.exit_code == 1
    assert "configuration error" in result.output


def test_empty_sites_list_exits_1_before_starting_prefect(tmp_path: Path) -> None:
    """An API address where nothing listens: any use of Prefect would fail differently."""
    empty = tmp_path / "sites.yaml"
    for text in ("sites: []\n", "sites:\n", "defaults: {max_pages: 5}\n"):
        empty.write_text(text, encoding="utf-8")
        env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}
        done = subprocess.run(
            [sys.executable, "-m", "dateline.cli", "crawl", "--sites", str(empty)],
            capture_output=True, text=True, env=env, timeout=60,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        assert "no sites configured" in done.stderr
        assert "Traceback" not in done.stderr
