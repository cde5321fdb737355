"""WARC files for import tests, written with warcio from the real saved demo pages.

Every kind of record an import meets in the wild: warcinfo and request records, HTML article
responses of configured sites, an image, a revisit, a truncated record, a 404, a redirect, a
page of an unconfigured domain and a damaged gzip member (in the middle: the rest must survive).
"""

from __future__ import annotations

import gzip
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.warc import warc_date

DEMO = Path(str(resources.files("demosite") / "demo_pages"))
FETCHED = datetime(2025, 10, 22, 8, 30, tzinfo=UTC)  # after every demo page's publication

SITES_YAML = """
sites:
  - name: restofworld
    feeds: ["https://restofworld.org/feed/"]
    limits: {max_age_days: 3}
  - name: mainichi
    start_urls: ["https://mainichi.jp/"]
  - name: lavanguardia
    start_urls: ["https://www.lavanguardia.com/"]
  - name: ilgiornale
    start_urls: ["https://www.ilgiornale.it/"]
"""
# srf.ch and euronews.com have demo pages but are not configured here.


def demo_page(publisher: str) -> tuple[str, bytes, dict[str, Any]]:
    """(original URL, HTML bytes, pages.json entry) of a demo page by publisher name."""
    entry = next(p for p in json.loads((DEMO / "pages.json").read_text()) if p["publisher"] == publisher)
    return str(entry["original_url"]), gzip.decompress((DEMO / entry["file"]).read_bytes()), entry


@dataclass
class WarcFile:
    """A WARC being built: records with their offsets, so tests can cut or damage one."""

    gzip: bool = True
    buffer: io.BytesIO = field(default_factory=io.BytesIO)
    offsets: dict[str, int] = field(default_factory=dict)  # label -> offset of its record
    clock: datetime = FETCHED

    def __post_init__(self) -> None:
        self.writer = WARCWriter(self.buffer, gzip=self.gzip, warc_version="1.1")

    def _date(self) -> str:
        self.clock += timedelta(seconds=1)
        return warc_date(self.clock)

    def _write(self, label: str, record: Any) -> None:
        self.offsets[label] = self.buffer.tell()
        self.writer.write_record(record)

    def warcinfo(self) -> None:
        info = self.writer.create_warcinfo_record("test.warc.gz", {"software": "tests (warcio)"})
        self._write("warcinfo", info)

    def response(
        self,
        label: str,
        url: str,
        body: bytes,
        *,
        status: str = "200 OK",
        headers: list[tuple[str, str]] | None = None,
        warc_headers: dict[str, str] | None = None,
        request: bool = True,
    ) -> None:
        http = StatusAndHeaders(
            status, headers or [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
        )
        fields = {"WARC-Date": self._date(), **(warc_headers or {})}
        record = self.writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=http,
            warc_headers_dict=fields,
        )
        if request:
            req = StatusAndHeaders(f"GET {url} HTTP/1.1", [("User-Agent", "test")], is_http_request=True)
            sent = self.writer.create_warc_record(
                url, "request", payload=io.BytesIO(b""), length=0, http_headers=req,
                warc_headers_dict={"WARC-Date": fields["WARC-Date"]},
            )  # fmt: skip
            self._write(f"{label}/request", sent)
        self._write(label, record)

    def revisit(self, label: str, url: str) -> None:
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        record = self.writer.create_revisit_record(
            url, digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", refers_to_uri=url,
            refers_to_date=warc_date(FETCHED), http_headers=http,
        )  # fmt: skip
        record.rec_headers.replace_header("WARC-Date", self._date())
        self._write(label, record)

    def data(self) -> bytes:
        return self.buffer.getvalue()


def mixed_warc(gzipped: bool = True) -> tuple[bytes, dict[str, int], dict[str, str]]:
    """A WARC with every kind of record; returns (bytes, offsets by label, article URLs by label).

    Articles kept: restofworld, mainichi, ilgiornale (after the damaged lavanguardia member).
    """
    w = WarcFile(gzip=gzipped)
    w.warcinfo()
    row_url, row_html, _ = demo_page("RestOfWorld")
    jp_url, jp_html, _ = demo_page("MainichiShimbun")
    es_url, es_html, _ = demo_page("LaVanguardia")
    it_url, it_html, _ = demo_page("IlGiornale")
    ch_url, ch_html, _ = demo_page("SRF")
    w.response("restofworld", row_url, row_html)
    w.response("image", "https://restofworld.org/logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 200,
               headers=[("Content-Type", "image/png")])  # fmt: skip
    w.revisit("revisit", row_url)
    w.response("truncated", "https://restofworld.org/2025/cut-short/", row_html[:3000],
               warc_headers={"WARC-Truncated": "length"})  # fmt: skip
    w.response("404", "https://restofworld.org/2025/gone/", b"<html><body>Not found</body></html>",
               status="404 Not Found")  # fmt: skip
    w.response("redirect", "https://restofworld.org/old-link", b"",
               status="301 Moved Permanently", headers=[("Location", row_url)])  # fmt: skip
    w.response("unconfigured", ch_url, ch_html)
    w.response("mainichi", jp_url, jp_html)
    w.response("lavanguardia", es_url, es_html, request=False)
    w.response("ilgiornale", it_url, it_html)
    data = bytearray(w.data())
    if gzipped:  # damage the middle of the lavanguardia member's deflate data
        start, end = w.offsets["lavanguardia"], w.offsets["ilgiornale/request"]
        middle = (start + end) // 2
        data[middle : middle + 64] = bytes(64)
    urls = {"restofworld": row_url, "mainichi": jp_url, "lavanguardia": es_url, "ilgiornale": it_url}
    return bytes(data), w.offsets, urls


def write_sites(folder: Path) -> Path:
    path = folder / "sites.yaml"
    path.write_text(SITES_YAML, encoding="utf-8")
    return path
