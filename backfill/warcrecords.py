"""Records of one WARC file, read as a stream: the HTTP responses worth cleaning, with their byte
offset and length, and every other record counted with a reason.

A ``.warc.gz`` is split into its gzip members here (zlib, so each member's compressed offset and
length are exact and a damaged member fails its CRC check instead of being read as garbage: warcio
prints the zlib error and goes on with raw bytes, swallowing the next records). A member's WARC
header block is read first, and only records of wanted hosts are parsed by warcio, which decodes
chunked and compressed payloads as ``archive.warc`` does when a raw pointer is read back
(FastWARC, also tried, is faster than warcio at full iteration but gives neither that decoding nor
record lengths). A damaged member is counted and skipped: reading starts again at the next member
that begins a WARC record. Uncompressed ``.warc`` files are read by warcio as a stream.
"""

from __future__ import annotations

import dataclasses
import io
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from archive.sources import open_stream
from archive.warc import Headers, parse_warc_date

GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_MAGIC = b"WARC/1."
MAX_BODY = 20_000_000  # larger payloads are not news articles (and would not be cleaned)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_SCAN_CHUNK = 1 << 20


@dataclass(frozen=True)
class Candidate:
    """An HTTP 200 HTML response of a wanted host: what gets cleaned."""

    url: str
    headers: Headers
    body: bytes
    record_id: str
    fetched_at: datetime
    offset: int
    length: int


@dataclass(frozen=True)
class Skipped:
    """A record not cleaned; ``reason`` says why. ``response`` is False for records that are not
    responses at all (warcinfo, request, metadata), which are not counted as responses seen."""

    reason: str
    url: str = ""
    response: bool = True
    failed: bool = False  # a damaged record (counted as a failure, not a skip)


Decision = Callable[[str, datetime | None], str | None]  # (url, WARC-Date) -> skip reason or None


def _header(headers: Any, name: str) -> str | None:
    value = headers.get_header(name)
    return str(value) if value is not None else None


def classify_fields(kind: str, url: str, date: str | None, wanted: Decision) -> Skipped | None:
    """The checks on the WARC header block alone (no HTTP parsing): most records of a news crawl
    belong to other domains, so this is what skipping them costs."""
    if kind == "revisit":
        return Skipped("revisit", url)
    if kind != "response":
        return Skipped(f"record-{kind}", url, response=False)
    if not url.startswith(("http://", "https://")):
        return Skipped("not-http", url)
    fetched_at = parse_warc_date(date)
    if fetched_at is None:  # the fetch time bounds every date found on the page
        return Skipped("no-warc-date", url, failed=True)
    reason = wanted(url, fetched_at)
    return Skipped(reason, url) if reason is not None else None


def classify(record: Any, wanted: Decision) -> Skipped | None:
    """Why a record is not cleaned (None: it is a candidate)."""
    url = _header(record.rec_headers, "WARC-Target-URI") or ""
    skipped = classify_fields(record.rec_type, url, _header(record.rec_headers, "WARC-Date"), wanted)
    if skipped is not None:
        return skipped
    if record.http_headers is None:
        return Skipped("not-http", url)
    status = int(record.http_headers.get_statuscode() or 0)
    if 300 <= status < 400:
        return Skipped("redirect", url)
    if status != 200:
        return Skipped(f"http-{status}", url)
    if record.rec_headers.get_header("WARC-Truncated"):
        return Skipped("truncated", url)
    ctype = (record.http_headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
    if ctype and ctype not in _HTML_TYPES:
        return Skipped("not-html", url)
    length = int(_header(record.rec_headers, "Content-Length") or 0)
    if length > MAX_BODY:
        return Skipped("too-large", url)
    return None


def iter_records(uri: str, wanted: Decision, start: int = 0) -> Iterator[Candidate | Skipped]:
    """Every record of the file at ``uri`` as a Candidate or a Skipped. Raises SourceError (or the
    transport's error) when the file cannot be read: the caller fails the file, a later import
    reads it again."""
    read = _read_members if _gzipped(uri) else _read_stream
    position: int | None = start
    while position is not None:
        damaged_at = yield from read(uri, position, wanted)
        if damaged_at is None:
            return
        kind = "corrupt-gzip" if _gzipped(uri) else "corrupt-record"
        yield Skipped(kind, f"{uri}@{damaged_at}", response=False, failed=True)
        position = _next_record_start(uri, damaged_at)


class _Damaged(Exception):
    def __init__(self, at: int) -> None:
        super().__init__(at)
        self.at = at


def _members(stream: IO[bytes], base: int) -> Iterator[tuple[int, int, bytes]]:
    """(offset, length, decompressed bytes) of each gzip member from ``base`` on; _Damaged(offset)
    for a member that does not decompress or check (CRC), or that the file cuts short."""
    pending, start = b"", base
    while True:
        inflater, parts, used = zlib.decompressobj(wbits=31), list[bytes](), 0
        while not inflater.eof:
            if not pending:
                pending = stream.read(_SCAN_CHUNK)
                if not pending:
                    if used or parts:
                        raise _Damaged(start)  # the last member is cut short
                    return
            try:
                parts.append(inflater.decompress(pending))
            except zlib.error:
                raise _Damaged(start) from None
            if inflater.eof:
                used += len(pending) - len(inflater.unused_data)
                pending = inflater.unused_data
            else:
                used += len(pending)
                pending = b""
        yield start, used, b"".join(parts)
        start += used


def _read_members(uri: str, base: int, wanted: Decision) -> Generator[Candidate | Skipped, None, int | None]:
    """Records of a gzipped WARC from ``base`` on; returns where a damaged member starts."""
    with open_stream(uri, base) as stream:
        try:
            for offset, length, data in _members(stream, base):
                yield from _member_records(uri, offset, length, data, wanted)
        except _Damaged as e:
            return e.at
    return None


def _fields(head: bytes) -> dict[str, str]:
    fields = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        fields[name.strip().lower().decode("latin-1")] = value.strip().decode("utf-8", "replace")
    return fields


def _member_records(
    uri: str, offset: int, length: int, data: bytes, wanted: Decision
) -> Iterator[Candidate | Skipped]:
    """One member's record: skipped on its WARC header block alone when it can be, else parsed by
    warcio (also a member holding several records, as whole-file gzip does)."""
    end = data.find(b"\r\n\r\n")
    fields = _fields(data[:end]) if data.startswith(WARC_MAGIC) and end > 0 else {}
    block = int(fields.get("content-length", "-1") or -1)
    single = fields and end + 4 + block + 4 >= len(data)  # nothing after its block but CRLFCRLF
    if single:
        skipped = classify_fields(
            fields.get("warc-type", ""), fields.get("warc-target-uri", ""), fields.get("warc-date"), wanted
        )
        if skipped is not None:
            yield skipped
            return
    try:
        for record in ArchiveIterator(io.BytesIO(data), check_digests=False):
            yield _parsed(record, wanted, offset, length)
    except (ArchiveLoadFailed, ValueError, EOFError):
        yield Skipped("corrupt-record", f"{uri}@{offset}", response=False, failed=True)


def _parsed(record: Any, wanted: Decision, offset: int, length: int) -> Candidate | Skipped:
    skipped = classify(record, wanted)
    if skipped is not None:
        return skipped
    return Candidate(
        url=_header(record.rec_headers, "WARC-Target-URI") or "",
        headers=[(str(k), str(v)) for k, v in record.http_headers.headers],
        body=record.content_stream().read(),
        record_id=_header(record.rec_headers, "WARC-Record-ID") or "",
        fetched_at=parse_warc_date(_header(record.rec_headers, "WARC-Date")) or datetime.min,
        offset=offset,
        length=length,
    )


def _read_stream(uri: str, base: int, wanted: Decision) -> Generator[Candidate | Skipped, None, int | None]:
    """Records of an uncompressed WARC from ``base`` on; returns where a garbled record starts."""
    with open_stream(uri, base) as stream:
        records = ArchiveIterator(stream, check_digests=False)
        try:
            for record in records:
                skipped = classify(record, wanted)
                if skipped is not None:
                    yield skipped
                    continue
                candidate = _parsed(record, wanted, 0, 0)
                assert isinstance(candidate, Candidate)
                start, length = records.get_record_offset(), records.get_record_length()
                yield dataclasses.replace(candidate, offset=base + start, length=length)
        except (ArchiveLoadFailed, ValueError, EOFError):
            return base + records.offset
    return None


def _next_record_start(uri: str, damaged_at: int) -> int | None:
    """The next offset after ``damaged_at`` where a gzip member holding a WARC record (or, in an
    uncompressed file, a WARC header line) starts; None when there is none."""
    magic = GZIP_MAGIC if _gzipped(uri) else WARC_MAGIC
    with open_stream(uri, damaged_at + 1) as stream:
        buffer, base = b"", damaged_at + 1
        while chunk := stream.read(_SCAN_CHUNK):
            buffer += chunk
            at = buffer.find(magic)
            while at != -1:
                if _starts_record(buffer[at : at + 65536], magic):
                    return base + at
                at = buffer.find(magic, at + 1)
            keep = 65536  # a member found near the end is checked again with more bytes
            base += max(0, len(buffer) - keep)
            buffer = buffer[-keep:]
    return None


def _gzipped(uri: str) -> bool:
    return uri.lower().endswith(".gz")


def _starts_record(data: bytes, magic: bytes) -> bool:
    if magic == WARC_MAGIC:
        return True
    try:
        head = zlib.decompressobj(wbits=31).decompress(data, 16)
    except zlib.error:
        return False
    return head.startswith(WARC_MAGIC)
