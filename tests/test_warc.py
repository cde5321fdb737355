"""Raw pages as WARC: round trip, and reading WARCs that other tools wrote."""

from __future__ import annotations

import gzip
import io
import zlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.warc import build_warc, find_response, read_warc_responses

FETCHED = datetime(2026, 11, 23, 10, 51, 3, 123456, tzinfo=timezone(timedelta(hours=-5)))
HEADERS = [
    ("Content-Type", "text/html; charset=windows-1252"),
    ("Set-Cookie", "a=1"),
    ("Set-Cookie", "b=2"),
    ("Content-Length", "12345"),  # as received, even though the stored body length differs
]
BODY = b"<html>caf\xe9 \x00 bytes</html>"  # windows-1252, not UTF-8: must survive untouched


def test_round_trip_keeps_status_headers_body_and_time() -> None:
    data, record_id = build_warc(
        "https://ex.com/a/b?x=1", 404, HEADERS, BODY, FETCHED, [("User-Agent", "bot")]
    )
    assert data[:2] == b"\x1f\x8b"
    [response] = list(read_warc_responses(data))
    assert response.url == "https://ex.com/a/b?x=1"
    assert response.status == 404
    assert response.headers == HEADERS
    assert response.header("content-type") == "text/html; charset=windows-1252"
    assert response.body == BODY
    assert response.record_id == record_id and record_id.startswith("<urn:uuid:")
    assert response.fetched_at == FETCHED  # same instant, returned in UTC
    assert response.fetched_at is not None and response.fetched_at.utcoffset() == timedelta(0)


def test_file_holds_warcinfo_request_and_linked_response() -> None:
    data, record_id = build_warc("https://ex.com/p?q=1", 200, HEADERS, BODY, FETCHED, [("User-Agent", "bot")])
    records = list(ArchiveIterator(io.BytesIO(data)))
    assert [r.rec_type for r in records] == ["warcinfo", "request", "response"]
    request = records[1]
    assert request.rec_headers.get_header("WARC-Concurrent-To") == record_id
    assert request.http_headers.protocol == "GET"
    assert request.http_headers.statusline == "/p?q=1 HTTP/1.1"
    assert request.http_headers.get_header("Host") == "ex.com"
    assert request.http_headers.get_header("User-Agent") == "bot"
    assert records[2].http_headers.statusline == "200 OK"
    assert all(r.rec_headers.get_header("WARC-Date") == "2026-11-23T15:51:03.123456Z" for r in records)


def test_each_record_is_its_own_gzip_member() -> None:
    """Per-record gzip members let tools seek to one record; the file also gunzips whole."""
    data, _ = build_warc("https://ex.com/", 200, [], b"x", FETCHED)
    plain = gzip.decompress(data)
    assert plain.startswith(b"WARC/1.1\r\n")
    assert plain.count(b"WARC/1.1\r\n") == 3
    members, rest = 0, data  # zlib (what warcio and gzip use) reads the members one by one
    while rest:
        inflater = zlib.decompressobj(wbits=31)
        assert inflater.decompress(rest).startswith(b"WARC/1.1\r\n") and inflater.eof
        members, rest = members + 1, inflater.unused_data
    assert members == 3


def test_naive_fetch_time_is_taken_as_utc() -> None:
    data, _ = build_warc("https://ex.com/", 200, [], b"x", datetime(2026, 1, 2, 3, 4, 5))
    [response] = read_warc_responses(data)
    assert response.fetched_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def foreign_warc(gzipped: bool) -> bytes:
    """A multi-page WARC as another crawler writes it: compressed payloads, a request, metadata."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gzipped)
    pages = [("https://other.org/1", b"<p>one</p>"), ("https://other.org/2", b"<p>two</p>")]
    for url, html in pages:
        payload = gzip.compress(html)
        headers = StatusAndHeaders("200 OK", [("Content-Encoding", "gzip")], protocol="HTTP/1.0")
        record = writer.create_warc_record(
            url, "response", payload=io.BytesIO(payload), length=len(payload), http_headers=headers
        )
        writer.write_record(record)
        request = writer.create_warc_record(
            url, "request", http_headers=StatusAndHeaders("GET / HTTP/1.0", [], is_http_request=True)
        )
        writer.write_record(request)
    meta = writer.create_warc_record(
        "https://other.org/1", "metadata", payload=io.BytesIO(b"k: v\r\n"), length=6
    )
    writer.write_record(meta)
    return buffer.getvalue()


@pytest.mark.parametrize("gzipped", [True, False])
def test_reads_many_responses_from_foreign_warcs(gzipped: bool) -> None:
    responses = list(read_warc_responses(foreign_warc(gzipped)))
    assert [(r.url, r.body) for r in responses] == [
        ("https://other.org/1", b"<p>one</p>"),  # content encoding undone for the extractor
        ("https://other.org/2", b"<p>two</p>"),
    ]
    assert all(r.status == 200 and r.fetched_at is not None for r in responses)


def test_find_response_by_record_id() -> None:
    data, record_id = build_warc("https://ex.com/", 200, [], b"body", FETCHED)
    assert find_response(data, record_id).body == b"body"
    with pytest.raises(KeyError):
        find_response(data, "<urn:uuid:00000000-0000-0000-0000-000000000000>")


def test_odd_headers_do_not_break_writing() -> None:
    """Non-ASCII header values/names (seen in the wild) are RFC 8187-encoded, not fatal."""
    data, _ = build_warc("https://ex.com/", 200, [("X-Caf\u00e9", "cr\u00e8me")], b"x", FETCHED)
    [response] = read_warc_responses(data)
    assert response.headers == [("X-Caf%C3%A9", "cr%C3%A8me")]
