"""Raw pages as small gzipped WARC files (one fetch, or a short batch of one site's fetches).

A WARC of a few pages is small enough to be written in one atomic put, and a
record's ``raw`` pointer (key + WARC-Record-ID) is valid the moment the
record itself is. A crawl batches the pages of a second or two into one file because
every object costs a write (docs/archive.md). WARC keeps the HTTP status line and headers
exactly as received, so the page can be re-extracted later with better tools.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urlsplit

from isal import isal_zlib
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

Headers = list[tuple[str, str]]

WARCINFO = b"software: dateline (warcio)\r\nformat: WARC File Format 1.1\r\n"
WARC_VERSION = "1.1"  # 1.1 allows sub-second WARC-Date, which keeps fetched_at exact
# warcio gzips at level 9 with zlib: ~15 ms CPU per 300 KB page, the crawl child's largest cost
# per article (taken from the cleaning workers on 2 cores); zlib level 4 took ~1/3 of that. ISA-L
# (isal) level 3, its highest: ~1/3 of zlib level 4's CPU again (0.55 vs 1.8 s per 200 MB of
# pages), members ~6% larger (ratio 0.214 vs 0.202). Plain gzip members: any reader inflates them.
GZIP_LEVEL = 3


@dataclass(frozen=True)
class Fetch:
    """One HTTP fetch to keep: the response as the crawler received it."""

    url: str
    status: int
    headers: Headers
    body: bytes
    fetched_at: datetime
    request_headers: Headers | None = None


@dataclass(frozen=True)
class WarcResponse:
    """One HTTP response read back from a WARC file."""

    url: str
    status: int
    headers: Headers
    body: bytes  # payload with chunked/content encodings removed
    record_id: str
    fetched_at: datetime | None

    def header(self, name: str) -> str | None:
        """First value of a header, case-insensitively (HTTP header names are)."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


def warc_date(moment: datetime) -> str:
    """WARC-Date in UTC; a naive datetime is taken to be UTC already."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_warc_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _header_names_ascii(headers: Headers) -> Headers:
    """warcio writes header blocks as ASCII (non-ASCII values become RFC 8187
    ``*=UTF-8''...``); a non-ASCII *name* would crash it, so such names are %-quoted."""
    return [(name if name.isascii() else quote(name), value) for name, value in headers]


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _request_line(url: str, headers: Headers) -> tuple[str, Headers]:
    """Rebuild what went on the wire: clients such as Scrapy add Host themselves."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not any(name.lower() == "host" for name, _ in headers):
        headers = [("Host", parts.netloc), *headers]
    return f"GET {target} HTTP/1.1", headers


def build_warc(
    url: str,
    status: int,
    response_headers: Headers,
    body: bytes,
    fetched_at: datetime,
    request_headers: Headers | None = None,
) -> tuple[bytes, str]:
    """Return (gzipped WARC with warcinfo + request + response, response WARC-Record-ID)."""
    data, [record_id] = build_warc_batch(
        [Fetch(url, status, response_headers, body, fetched_at, request_headers)]
    )
    return data, record_id


def build_warc_batch(fetches: Sequence[Fetch]) -> tuple[bytes, list[str]]:
    """One gzipped WARC of several fetches: a warcinfo, then a request and a response record per
    fetch, each record its own gzip member; returns the bytes and each fetch's response id."""
    if not fetches:
        raise ValueError("a WARC needs at least one fetch")
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=False, warc_version=WARC_VERSION)
    records = [
        _record(writer, "", "warcinfo", WARCINFO, None, {"WARC-Date": warc_date(fetches[0].fetched_at)})
    ]
    record_ids = []
    for fetch in fetches:
        date = warc_date(fetch.fetched_at)
        headers = _header_names_ascii(fetch.headers)
        http = StatusAndHeaders(_status_line(fetch.status), headers, protocol="HTTP/1.1")
        response = _record(writer, fetch.url, "response", fetch.body, http, {"WARC-Date": date})
        record_id = response.rec_headers.get_header("WARC-Record-ID")
        request_line, sent = _request_line(fetch.url, _header_names_ascii(fetch.request_headers or []))
        http = StatusAndHeaders(request_line, sent, is_http_request=True)
        fields = {"WARC-Date": date, "WARC-Concurrent-To": record_id}
        records += [_record(writer, fetch.url, "request", b"", http, fields), response]
        record_ids.append(record_id)
    members = []
    for record in records:
        writer.write_record(record)
        members.append(_gzip_member(buffer.getvalue()))
        buffer.seek(0)
        buffer.truncate()
    return b"".join(members), record_ids


def _gzip_member(data: bytes) -> bytes:
    """One record as its own gzip member, as warcio writes it, at ISA-L's ``GZIP_LEVEL``."""
    compressor = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, isal_zlib.MAX_WBITS + 16)
    return compressor.compress(data) + compressor.flush()


def _record(
    writer: WARCWriter,
    url: str,
    kind: str,
    payload: bytes,
    http: StatusAndHeaders | None,
    fields: dict[str, str],
) -> Any:
    return writer.create_warc_record(
        url,
        kind,
        payload=io.BytesIO(payload),
        length=len(payload),
        http_headers=http,
        warc_headers_dict=fields,
    )


def read_warc_responses(data: bytes) -> Iterator[WarcResponse]:
    """Yield every HTTP response record of a WARC (gzipped or not, one or many records)."""
    for record in ArchiveIterator(io.BytesIO(data)):
        if record.rec_type != "response" or record.http_headers is None:
            continue  # request/warcinfo/metadata records, or non-HTTP responses (dns:)
        headers = record.rec_headers
        yield WarcResponse(
            url=headers.get_header("WARC-Target-URI") or "",
            status=int(record.http_headers.get_statuscode() or 0),
            headers=[(str(k), str(v)) for k, v in record.http_headers.headers],
            body=record.content_stream().read(),
            record_id=headers.get_header("WARC-Record-ID") or "",
            fetched_at=parse_warc_date(headers.get_header("WARC-Date")),
        )


def find_response(data: bytes, record_id: str) -> WarcResponse:
    """The response with this WARC-Record-ID (what a RawPointer names)."""
    for response in read_warc_responses(data):
        if response.record_id == record_id:
            return response
    raise KeyError(record_id)
