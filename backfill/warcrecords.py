"""Records of one WARC file, read as a stream: the HTTP responses worth cleaning, with their byte
offset and length, and every other record counted with a reason.

A ``.warc.gz`` is split into its gzip members here (by ISA-L's zlib-compatible inflater, ~1.7x
zlib's speed), so each member's compressed offset and length are exact and a damaged member fails
its CRC check instead of being read as garbage (warcio prints the zlib error and goes on with raw
bytes, swallowing the next records). Only a member's
WARC header block is inflated first; a record it skips (other domains: most of a news crawl) is
passed over by finding the member's end in the compressed bytes (its gzip trailer, whose ISIZE the
header block gives, then the next member's header), so its payload is never inflated. Records of
wanted hosts are inflated whole and parsed by warcio, which decodes chunked and compressed payloads
as ``archive.warc`` does when a raw pointer is read back (FastWARC, also tried, is faster than
warcio at full iteration but gives neither that decoding nor record lengths). A damaged member is
counted and skipped: reading starts again at the next member that begins a WARC record.
Uncompressed ``.warc`` files are read by warcio as a stream.
"""

from __future__ import annotations

import dataclasses
import io
import struct
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from isal import isal_zlib
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeadersParser

from archive.sources import open_stream
from archive.warc import Headers, parse_warc_date

# the stubs declare isal's error an instance of Exception; it is the class of what it raises
_INFLATE_ERROR: type[Exception] = isal_zlib.error  # type: ignore[assignment]
GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_MAGIC = b"WARC/1."
MAX_BODY = 20_000_000  # larger payloads are not news articles (and would not be cleaned)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_SCAN_CHUNK = 1 << 20
_HEAD_PIECE = 512  # compressed bytes inflated at a time until the WARC header block ends
_HEAD_MAX = 1 << 16  # a longer header block is not looked for
_NEXT_HEAD = 1024  # compressed bytes enough to inflate a member's first bytes


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


def classify_http(url: str, status: int, truncated: bool, content_type: str, length: int) -> Skipped | None:
    """The checks on a response's HTTP status and headers (after ``classify_fields``)."""
    if 300 <= status < 400:
        return Skipped("redirect", url)
    if status != 200:
        return Skipped(f"http-{status}", url)
    if truncated:
        return Skipped("truncated", url)
    ctype = content_type.split(";")[0].strip().lower()
    if ctype and ctype not in _HTML_TYPES:
        return Skipped("not-html", url)
    if length > MAX_BODY:
        return Skipped("too-large", url)
    return None


def classify(record: Any, wanted: Decision) -> Skipped | None:
    """Why a record is not cleaned (None: it is a candidate)."""
    url = _header(record.rec_headers, "WARC-Target-URI") or ""
    skipped = classify_fields(record.rec_type, url, _header(record.rec_headers, "WARC-Date"), wanted)
    if skipped is not None:
        return skipped
    if record.http_headers is None:
        return Skipped("not-http", url)
    return classify_http(
        url,
        int(record.http_headers.get_statuscode() or 0),
        bool(record.rec_headers.get_header("WARC-Truncated")),
        record.http_headers.get_header("Content-Type") or "",
        int(_header(record.rec_headers, "Content-Length") or 0),
    )


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


class _Window:
    """The stream's bytes from ``base`` on, read in chunks and kept until consumed."""

    def __init__(self, stream: IO[bytes], base: int) -> None:
        self.stream, self.base, self.data, self.eof = stream, base, bytearray(), False

    @property
    def end(self) -> int:
        return self.base + len(self.data)

    def more(self) -> bool:
        """Read one more chunk; False at the end of the stream."""
        if not self.eof:
            chunk = self.stream.read(_SCAN_CHUNK)
            self.data += chunk
            self.eof = not chunk
        return not self.eof

    def fill(self, upto: int) -> None:
        while self.end < upto and self.more():
            pass

    def view(self, at: int, size: int) -> bytes:
        return bytes(self.data[at - self.base : at - self.base + size])

    def drop(self, upto: int) -> None:
        """Forget the bytes before ``upto`` (in large steps: deleting a prefix moves the rest)."""
        if upto - self.base >= 2 * _SCAN_CHUNK:
            del self.data[: upto - self.base]
            self.base = upto


def _member_items(uri: str, window: _Window, wanted: Decision) -> Generator[Candidate | Skipped, None, None]:
    """The records of each gzip member from the window's start on; _Damaged(offset) for a member
    that does not decompress or check (CRC), or that the file cuts short.

    A member is inflated only up to the end of its WARC header block. When that block alone says
    "skip" (other domains: most records of a news crawl), the member's end is found without
    inflating the payload: the next gzip header that starts a WARC record, right after a trailer
    whose ISIZE is the size this one record must have. The payload of a skipped record is then
    never checked (its CRC); a member that holds more than this record, or whose end is not found
    so, is inflated whole as any kept one is.
    """
    start = window.base
    while True:
        window.drop(start)
        window.fill(start + 1)
        if window.end <= start:
            return
        inflater, head, pos = isal_zlib.decompressobj(wbits=31), b"", start
        known = None  # the header block's reading, when it ended within ``head``
        while not inflater.eof and b"\r\n\r\n" not in head and len(head) < _HEAD_MAX:
            pos, head = _inflate_step(window, inflater, start, pos, head, _HEAD_PIECE)
        if not inflater.eof:
            skipped, isize, fields = _head_skip(head, wanted)
            known = (skipped, isize, fields) if fields else None
            member_end = _member_end(window, pos, isize) if skipped is not None else None
            if skipped is not None and member_end is not None:
                yield skipped
                start = member_end
                continue
            parts = [head]
            while not inflater.eof:
                pos, part = _inflate_step(window, inflater, start, pos, b"", _SCAN_CHUNK)
                parts.append(part)
            head = b"".join(parts)
        yield from _member_records(uri, start, pos - start, head, wanted, known)
        start = pos


def _inflate_step(
    window: _Window, inflater: Any, start: int, pos: int, out: bytes, size: int
) -> tuple[int, bytes]:
    """Feed up to ``size`` bytes at ``pos`` to the member's inflater: (new pos, out + output)."""
    if pos >= window.end and not window.more():
        raise _Damaged(start)  # the member is cut short
    piece = window.view(pos, size)
    try:
        out += inflater.decompress(piece)
    except _INFLATE_ERROR:
        raise _Damaged(start) from None
    return pos + len(piece) - len(inflater.unused_data), out


def _head_skip(head: bytes, wanted: Decision) -> tuple[Skipped | None, int, dict[str, str]]:
    """(why the record is skipped, on its WARC header block alone, or None; the size the member
    has when it holds this record only; the block's fields)."""
    end = head.find(b"\r\n\r\n")
    if not head.startswith(WARC_MAGIC) or end < 0:
        return None, 0, {}
    fields = _fields(head[:end])
    block = fields.get("content-length", "")
    if not block.isdigit():
        return None, 0, fields
    kind, url, date = fields.get("warc-type", ""), fields.get("warc-target-uri", ""), fields.get("warc-date")
    return classify_fields(kind, url, date, wanted), end + 4 + int(block) + 4, fields


def _member_end(window: _Window, pos: int, isize: int) -> int | None:
    """Where the member whose deflate data goes on at ``pos`` ends, found without inflating: a
    trailer giving ``isize`` followed by the next gzip header that starts a WARC record (or by the
    file's end); None when there is no such place within the largest size the member can have."""
    trailer = struct.pack("<I", isize & 0xFFFFFFFF)
    needle = trailer + GZIP_MAGIC  # 7 known bytes: found fast, rarely by chance
    limit = pos + isize + isize // 100 + 4096  # deflate never grows data by more than this
    search = pos
    while search <= limit:
        at = window.data.find(needle, search - window.base)
        if at < 0:
            search = max(search, window.end - len(needle) + 1)
            if window.more():
                continue
            end = window.end  # the last member ends with the file
            return end if pos + 8 < end <= limit and window.view(end - 4, 4) == trailer else None
        found = window.base + at + len(trailer)
        if found > limit:
            return None
        window.fill(found + _NEXT_HEAD)
        if _starts_record(window.view(found, _NEXT_HEAD), GZIP_MAGIC):
            return found
        search = found
    return None


def _read_members(uri: str, base: int, wanted: Decision) -> Generator[Candidate | Skipped, None, int | None]:
    """Records of a gzipped WARC from ``base`` on; returns where a damaged member starts."""
    with open_stream(uri, base) as stream:
        try:
            yield from _member_items(uri, _Window(stream, base), wanted)
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
    uri: str,
    offset: int,
    length: int,
    data: bytes,
    wanted: Decision,
    known: tuple[Skipped | None, int, dict[str, str]] | None = None,
) -> Iterator[Candidate | Skipped]:
    """One inflated member's record: skipped on its WARC header block alone when it can be, read
    directly when it is one plain HTTP response, else parsed by warcio (also a member holding
    several records, as whole-file gzip does). ``known``: ``_head_skip`` of the header block, when
    the reader has it already."""
    skipped, size, fields = known or _head_skip(data, wanted)
    if skipped is not None and size >= len(data):  # nothing after its block but CRLFCRLF
        yield skipped
        return
    plain = _plain_response(data, fields, offset, length) if size == len(data) else None
    if plain is not None:
        yield plain
        return
    try:
        for record in ArchiveIterator(io.BytesIO(data), check_digests=False):
            yield _parsed(record, wanted, offset, length)
    except (ArchiveLoadFailed, ValueError, EOFError):
        yield Skipped("corrupt-record", f"{uri}@{offset}", response=False, failed=True)


def _plain_response(
    data: bytes, fields: dict[str, str], offset: int, length: int
) -> Candidate | Skipped | None:
    """The one wanted response record of ``data`` (WARC header ``fields``) read without warcio,
    when its payload needs no decoding (no transfer or content encoding) and its HTTP headers are
    plain CRLF lines; None otherwise (warcio reads it, as before). warcio's buffered reader cost
    the import's parent ~1 ms of CPU per 300 KB page."""
    if not fields.get("content-type", "").startswith("application/http") or not data.endswith(b"\r\n\r\n"):
        return None
    block = data[len(data) - 4 - int(fields["content-length"]) : len(data) - 4]
    head_end = block.find(b"\r\n\r\n")
    head = block[:head_end] if head_end > 0 else b""
    if head.count(b"\n") != head.count(b"\r\n"):  # bare LF line ends: warcio splits those
        return None
    lines = [StatusAndHeadersParser.decode_header(line) for line in head.split(b"\r\n")]
    status_line = lines[0].split(" ", 2) if lines else []
    if len(status_line) < 2 or not status_line[0].startswith("HTTP/") or not status_line[1].isdigit():
        return None
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or line[:1] in (" ", "\t"):  # folded or malformed: warcio's rules apply
            return None
        headers.append((name.strip(), value.strip()))
    names = {name.lower(): value for name, value in reversed(headers)}  # the first one wins
    if "transfer-encoding" in names or "content-encoding" in names:
        return None
    url = fields.get("warc-target-uri", "")
    skipped = classify_http(
        url, int(status_line[1]), bool(fields.get("warc-truncated")), names.get("content-type", ""),
        len(block),
    )  # fmt: skip
    if skipped is not None:
        return skipped
    return Candidate(
        url=url,
        headers=headers,
        body=block[head_end + 4 :],
        record_id=fields.get("warc-record-id", ""),
        fetched_at=parse_warc_date(fields.get("warc-date")) or datetime.min,
        offset=offset,
        length=length,
    )


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
