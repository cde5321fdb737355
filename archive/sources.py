"""Where WARC files live: local paths, ``s3://`` objects and ``http(s)://`` URLs.

A file is read as a stream from an offset (never downloaded whole first: CC-NEWS files are about
1 GB) and a single record as one byte range (what an imported record's raw pointer names). S3 uses
the standard AWS configuration; without credentials it reads anonymously (public buckets such as
``commoncrawl``).
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import os
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast
from urllib.parse import unquote, urlsplit

import botocore.exceptions as bexc

from archive.store import make_s3_client

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

WARC_SUFFIXES = (".warc", ".warc.gz")
HTTP_TIMEOUT = 60.0
CONNECT_TIMEOUT = 60.0  # botocore's default
RESUME_ATTEMPTS = 5  # reopenings in a row without a byte read before a file fails
RESUME_BACKOFF = 0.5  # seconds before the first reopening, doubled for each next one


class SourceError(Exception):
    """A WARC file that cannot be opened or read (missing, refused, network): the file is failed
    with this reason and read again by the next import; never fatal to the others."""


def to_uri(ref: str) -> str:
    """A local path becomes an absolute ``file://`` URI (what raw pointers name); URIs stay."""
    if urlsplit(ref).scheme in ("s3", "http", "https", "file"):
        return ref
    return Path(ref).expanduser().resolve().as_uri()


def _local_path(uri: str) -> Path:
    return Path(unquote(urlsplit(uri).path))


def s3_client() -> S3Client:
    """A client from the standard AWS settings; unsigned (anonymous) when there are no credentials."""
    return _s3_client(os.environ.get("AWS_ENDPOINT_URL"), os.environ.get("AWS_ACCESS_KEY_ID"))


@functools.cache
def _s3_client(endpoint: str | None, key_id: str | None) -> S3Client:
    """One client per configuration (clients are thread-safe and slow to make); botocore
    retries here (6 attempts, as before: 1 + 5 retries), since a stream read has no store-level retry around it."""
    return make_s3_client(CONNECT_TIMEOUT, HTTP_TIMEOUT, attempts=6, anonymous=True)


def _bucket_key(uri: str) -> tuple[str, str]:
    parts = urlsplit(uri)
    return parts.netloc, parts.path.lstrip("/")


@contextmanager
def open_stream(uri: str, offset: int = 0) -> Iterator[IO[bytes]]:
    """The file's bytes from ``offset`` on, streamed; SourceError when it cannot be opened. A
    network stream that drops is resumed from the last byte read (``_Resuming``)."""
    scheme = urlsplit(uri).scheme
    try:
        if scheme == "file":
            with _local_path(uri).open("rb") as fh:
                fh.seek(offset)
                yield fh
        elif scheme in ("s3", "http", "https"):
            stream = _Resuming(uri, offset)
            try:
                yield cast(IO[bytes], stream)
            finally:
                stream.close()
        else:
            raise SourceError(f"unsupported WARC location {uri!r} (a path, s3:// or http(s)://)")
    except (OSError, bexc.BotoCoreError, bexc.ClientError) as e:
        raise SourceError(f"{type(e).__name__}: {e}") from e


def _open_body(uri: str, offset: int) -> _Checked:
    """A network file's body from ``offset`` on (a ranged GET when ``offset`` is not 0)."""
    if urlsplit(uri).scheme == "s3":
        bucket, key = _bucket_key(uri)
        extra: dict[str, Any] = {"Range": f"bytes={offset}-"} if offset else {}
        response = s3_client().get_object(Bucket=bucket, Key=key, **extra)
        return _Checked(response["Body"], response.get("ContentLength"), uri)
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    resp = urllib.request.urlopen(urllib.request.Request(uri, headers=headers), timeout=HTTP_TIMEOUT)
    size = resp.headers.get("Content-Length")
    checked = _Checked(resp, int(size) if size and size.isdigit() else None, uri)
    if offset and resp.status != 206:  # the server ignored the range: skip ahead
        _skip(checked, offset)
    return checked


class _Resuming:
    """A network file read as one stream that outlives dropped connections: a read that fails (or
    a body that ends before its length) reopens the file with a ranged GET from the last byte
    read, so a 1 GB CC-NEWS file is not read again from its start for one reset. After
    RESUME_ATTEMPTS reopenings in a row that bring no byte it raises SourceError: the file fails
    and a later import reads it again."""

    def __init__(self, uri: str, offset: int) -> None:
        self.uri, self.pos, self.resumed = uri, offset, 0
        self.body: _Checked | None = _open_body(uri, offset)

    def read(self, size: int = -1) -> bytes:
        for attempt in range(RESUME_ATTEMPTS + 1):
            try:
                if self.body is None:
                    self.body = _open_body(self.uri, self.pos)
                    self.resumed += 1
                data = self.body.read(size)
            except (SourceError, OSError, bexc.BotoCoreError, bexc.ClientError) as e:
                self._drop()
                if attempt == RESUME_ATTEMPTS:
                    raise SourceError(f"{e} (resumed {attempt} times at byte {self.pos})") from e
                time.sleep(RESUME_BACKOFF * 2**attempt)
                continue
            self.pos += len(data)
            return data
        raise AssertionError("unreachable")

    def _drop(self) -> None:
        if self.body is not None:
            with contextlib.suppress(Exception):
                self.body.close()
            self.body = None

    def close(self) -> None:
        self._drop()


class _Checked:
    """A network body that raises SourceError when it ends before its announced length (a dropped
    connection must fail the file, not look like the file's end or a damaged record)."""

    def __init__(self, body: Any, expected: int | None, uri: str) -> None:
        self.body, self.expected, self.uri, self.got = body, expected, uri, 0

    def read(self, size: int = -1) -> bytes:
        try:
            data: bytes = self.body.read(size) if size is not None and size >= 0 else self.body.read()
        except (OSError, bexc.BotoCoreError, http.client.HTTPException) as e:
            raise SourceError(
                f"reading {self.uri} failed after {self.got} bytes: {type(e).__name__}: {e}"
            ) from e
        self.got += len(data)
        if not data and size != 0 and self.expected is not None and self.got < self.expected:
            raise SourceError(f"{self.uri}: the connection closed after {self.got} of {self.expected} bytes")
        return data

    def close(self) -> None:
        self.body.close()


def _skip(stream: Any, count: int) -> None:
    while count > 0:
        chunk = stream.read(min(count, 1 << 20))
        if not chunk:
            return
        count -= len(chunk)


def read_range(uri: str, offset: int, length: int) -> bytes:
    """``length`` bytes at ``offset``: one WARC record (a ranged GET for S3 and HTTP)."""
    scheme = urlsplit(uri).scheme
    try:
        if scheme == "file":
            with _local_path(uri).open("rb") as fh:
                fh.seek(offset)
                return fh.read(length)
        if scheme == "s3":
            bucket, key = _bucket_key(uri)
            byte_range = f"bytes={offset}-{offset + length - 1}"
            return s3_client().get_object(Bucket=bucket, Key=key, Range=byte_range)["Body"].read()
        if scheme in ("http", "https"):
            request = urllib.request.Request(uri, headers={"Range": f"bytes={offset}-{offset + length - 1}"})
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as resp:
                if resp.status != 206:
                    _skip(resp, offset)
                return bytes(resp.read(length))
    except (OSError, bexc.BotoCoreError, bexc.ClientError) as e:
        raise SourceError(f"{type(e).__name__}: {e}") from e
    raise SourceError(f"unsupported WARC location {uri!r}")


def is_warc_name(name: str) -> bool:
    return name.lower().endswith(WARC_SUFFIXES)


def expand(refs: list[str]) -> list[str]:
    """The WARC files named: a local folder or an ``s3://`` prefix ending in ``/`` gives its WARC
    files (sorted); anything else is one file. Raises SourceError for a folder that is not there."""
    out: list[str] = []
    for ref in refs:
        uri = to_uri(ref)
        scheme = urlsplit(uri).scheme
        if scheme == "file" and _local_path(uri).is_dir():
            found = sorted(p for p in _local_path(uri).rglob("*") if p.is_file() and is_warc_name(p.name))
            out += [p.as_uri() for p in found]
        elif scheme == "s3" and uri.endswith("/"):
            out += _s3_listing(uri)
        else:
            out.append(uri)
    return list(dict.fromkeys(out))


def _s3_listing(uri: str) -> list[str]:
    bucket, prefix = _bucket_key(uri)
    try:
        pages = s3_client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    except (bexc.BotoCoreError, bexc.ClientError) as e:
        raise SourceError(f"cannot list {uri}: {type(e).__name__}: {e}") from e
    return [f"s3://{bucket}/{k}" for k in sorted(keys) if is_warc_name(k)]


def read_all(uri: str) -> bytes:
    """A small file whole (a ``warc.paths.gz`` listing)."""
    with open_stream(uri) as stream:
        try:
            return stream.read()
        except (OSError, bexc.BotoCoreError) as e:
            raise SourceError(f"{type(e).__name__}: {e}") from e
