"""Object stores behind the archive: a local folder and S3, both write-once.

Every write is put-if-absent and atomic, so a crash never leaves a partial
object and two writers of one key cannot overwrite each other: the archive
only ever grows. Errors are split into transient (retry later) and fatal
(fix the configuration) so callers can decide without parsing messages.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import functools
import hashlib
import itertools
import os
import random
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import unquote, urlparse

import boto3
import botocore.exceptions as bexc
from botocore import UNSIGNED, handlers
from botocore import utils as botocore_utils
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

T = TypeVar("T")

# Aliases: inside the store classes `list` names the method, not the builtin.
KeyList = list[str]
_Entries = list[tuple[str, bool]]

TEMP_PREFIX = ".tmp-"  # local temp files; never listed, never a valid key segment
OUTAGE_ENV = "DATELINE_S3_OUTAGE_SECONDS"  # S3 retry budget per call (see S3Store)
DEFAULT_OUTAGE_SECONDS = 90.0
POOL_CONNECTIONS = 32  # >= the threads that share one client (default executor, feed readers)
EXPECT_CONTINUE_BYTES = 1 << 20  # smaller PUT bodies go with their headers (no 100-continue wait)


class StoreError(Exception):
    """Base class of storage failures (NotFound is not one: it is an answer)."""


class TransientStoreError(StoreError):
    """Network trouble, 5xx, throttling: the same call may succeed later."""


class FatalStoreError(StoreError):
    """Bad credentials, missing bucket, full disk, no permission: retrying cannot help."""


class StoreUnavailableError(FatalStoreError):
    """The endpoint takes connections but does not answer: waiting longer would only stall the run."""


class NotFound(KeyError):
    """The key holds no object."""


class ObjectStore(Protocol):
    """What the archive needs from storage; both implementations behave the same."""

    uri: str

    def put_if_absent(self, key: str, data: bytes, content_type: str = "application/json") -> bool: ...

    def get(self, key: str) -> bytes: ...

    def get_range(self, key: str, start: int, length: int) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> Iterator[str]: ...

    def list_dirs(self, prefix: str) -> KeyList: ...


def retry_transient(
    fn: Callable[[], T],
    attempts: int = 4,
    base_delay: float = 0.2,
    retry_on: type[Exception] = TransientStoreError,
) -> T:
    """Call ``fn``, retrying ``retry_on`` errors with exponential backoff and jitter.

    Jitter keeps parallel crawls from retrying in lock-step; fatal errors pass
    straight through because waiting cannot fix them.
    """
    if attempts < 1:
        raise ValueError("attempts must be >= 1")
    for attempt in range(attempts - 1):
        try:
            return fn()
        except retry_on:
            time.sleep(base_delay * (2**attempt) * random.uniform(0.5, 1.5))
    return fn()


def validate_key(key: str, *, allow_prefix: bool = False) -> str:
    """Refuse keys that could escape the archive root or collide with temp files."""
    if not key:
        if allow_prefix:
            return key
        raise ValueError("empty key")
    if key.startswith("/") or "\\" in key or "\x00" in key:
        raise ValueError(f"invalid key {key!r}")
    parts = key.split("/")
    last = len(parts) - 1
    for i, part in enumerate(parts):
        trailing_slash = allow_prefix and i == last and part == ""
        if part in ("..", ".") or part.startswith(TEMP_PREFIX) or (part == "" and not trailing_slash):
            raise ValueError(f"invalid key {key!r}")
    return key


def split_prefix(prefix: str) -> tuple[str, str]:
    """'a/b/c' -> ('a/b/', 'c'): the folder to walk and the name start to match."""
    folder, _, start = prefix.rpartition("/")
    return (folder + "/" if folder else ""), start


# --------------------------------------------------------------------------- local


_FATAL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.ENAMETOOLONG}
_TRANSIENT_ERRNOS = {errno.EAGAIN, errno.EINTR, errno.EBUSY, errno.ETIMEDOUT, errno.ESTALE, errno.EIO}


_UNWRITABLE = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}


def _local_error(exc: OSError, what: str, key: str | None = None) -> StoreError:
    """Map an OSError; a full or read-only disk gets one short line naming the key, because that
    line is what an operator reads in the run summary (a temp file path would hide it)."""
    if exc.errno in _TRANSIENT_ERRNOS:
        return TransientStoreError(f"{what}: {exc}")
    if key is not None and exc.errno in _UNWRITABLE:
        return FatalStoreError(f"archive not writable: {_UNWRITABLE[exc.errno]}, at {key}")
    kind = "fatal" if exc.errno in _FATAL_ERRNOS else "unexpected"
    return FatalStoreError(f"{what} ({kind}): {exc}")


_MISSING = (FileNotFoundError, NotADirectoryError, IsADirectoryError)


def _is_stored(path: str) -> bool:
    """One stat: a file is stored, nothing is absent, anything else is a key/folder clash."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(mode):
        raise IsADirectoryError(errno.EISDIR, "key is a folder here", str(path))
    return True


_temp_names = itertools.count()


def _create_temp(folder: str) -> tuple[int, str]:
    """A new temp file in ``folder`` (never a valid key: TEMP_PREFIX), named by process and a
    counter; O_EXCL skips a name a crashed process left. Mode 0644 under the usual umask (readers
    of the archive are often other users)."""
    while True:
        tmp = os.path.join(folder, f"{TEMP_PREFIX}{os.getpid()}-{next(_temp_names)}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644), tmp
        except FileExistsError:
            continue


def _fsync_dir(path: str) -> None:
    """Make a new directory entry durable (the rename/link itself lives in the folder)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalStore:
    """A folder on disk; keys map to sub-folders. Atomic via temp file + ``os.link``."""

    def __init__(self, root: Path, *, retry_attempts: int = 3, retry_delay: float = 0.05) -> None:
        self.root = Path(root).absolute()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _local_error(exc, f"create archive folder {self.root}") from exc
        self.uri = self.root.as_uri()
        self._attempts = retry_attempts
        self._delay = retry_delay

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def _file(self, key: str) -> str:
        """The key's file path as a string (the put path stays off pathlib: it runs several
        times per article)."""
        return os.path.join(self.root, *validate_key(key).split("/"))

    def _path(self, key: str) -> Path:
        return Path(self._file(key))

    def _guard(self, fn: Callable[[], T], what: str, missing_ok: bool = False, key: str | None = None) -> T:
        """Run a file operation, mapping OSError to store errors (and retrying transient ones)."""

        def call() -> T:
            try:
                return fn()
            except _MISSING as exc:
                if missing_ok:
                    raise
                # e.g. key 'a/b' when 'a' is a file: S3 allows both, a folder cannot
                raise FatalStoreError(f"{what}: key collides with a folder or file: {exc}") from exc
            except OSError as exc:
                raise _local_error(exc, what, key) from exc

        return retry_transient(call, self._attempts, self._delay)

    def put_if_absent(self, key: str, data: bytes, content_type: str = "application/json") -> bool:
        path = self._file(key)
        return self._guard(lambda: self._put(path, data), f"put {key}", key=key)

    def _put(self, path: str, data: bytes) -> bool:
        """Plain ``os`` calls: pathlib and ``tempfile.mkstemp`` cost more CPU than the syscalls."""
        if _is_stored(path):
            return False  # cheap answer for the common rerun case; the link below decides races
        folder = os.path.dirname(path)
        self._make_dirs(folder)
        fd, tmp = _create_temp(folder)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
            try:
                _fsync_dir(folder)
            except OSError:
                # The entry is not durable (e.g. ENOSPC at the folder's fsync): take it back so
                # the key is either fully stored or absent, and the rerun writes it again.
                with contextlib.suppress(OSError):
                    os.unlink(path)
                raise
            return True
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def _make_dirs(self, folder: str) -> None:
        """mkdir -p that also fsyncs each parent that gained an entry."""
        missing = []
        current = folder
        while not os.path.exists(current):
            missing.append(current)
            current = os.path.dirname(current)
        for new in reversed(missing):
            with contextlib.suppress(FileExistsError):
                os.mkdir(new)
            _fsync_dir(os.path.dirname(new))

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return self._guard(path.read_bytes, f"get {key}", missing_ok=True)
        except _MISSING:
            raise NotFound(key) from None

    def get_range(self, key: str, start: int, length: int) -> bytes:
        _check_range(start, length)
        path = self._path(key)

        def read() -> bytes:
            with path.open("rb") as fh:
                fh.seek(start)
                return fh.read(length)

        try:
            return self._guard(read, f"get_range {key}", missing_ok=True)
        except _MISSING:
            raise NotFound(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str) -> Iterator[str]:
        folder, start = split_prefix(validate_key(prefix, allow_prefix=True))
        base = self.root.joinpath(*folder.split("/")[:-1])
        yield from self._walk(base, folder, start)

    def _walk(self, folder: Path, key_prefix: str, start: str = "") -> Iterator[str]:
        """Depth-first in S3 key order: a folder sorts as its name plus '/'."""
        for name, is_dir in self._entries(folder, start):
            if is_dir:
                yield from self._walk(folder / name, f"{key_prefix}{name}/")
            else:
                yield key_prefix + name

    def _entries(self, folder: Path, start: str) -> _Entries:
        try:
            with os.scandir(folder) as it:
                found = [
                    (e.name, e.is_dir())
                    for e in it
                    if e.name.startswith(start) and not e.name.startswith(TEMP_PREFIX)
                ]
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            raise _local_error(exc, f"list {folder}") from exc
        return sorted(found, key=lambda entry: entry[0] + ("/" if entry[1] else ""))

    def list_dirs(self, prefix: str) -> KeyList:
        folder, start = split_prefix(validate_key(prefix, allow_prefix=True))
        base = self.root.joinpath(*folder.split("/")[:-1])
        return [
            f"{folder}{name}/"
            for name, is_dir in self._entries(base, start)
            if is_dir and next(self._walk(base / name, ""), None) is not None  # S3 has no empty folders
        ]


def _check_range(start: int, length: int) -> None:
    if start < 0 or length < 0:
        raise ValueError(f"bad range start={start} length={length}")


# --------------------------------------------------------------------------- S3

_FATAL_CODES = {
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "NoSuchBucket",
    "InvalidBucketName",
    "AllAccessDisabled",
    "AccountProblem",
    "ExpiredToken",
    "InvalidToken",
    "AuthorizationHeaderMalformed",
    "RequestTimeTooSkewed",
    "InvalidRequest",
    "InvalidArgument",
    "MethodNotAllowed",
    "NotImplemented",
}
_TRANSIENT_CODES = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestTimeout",
    "InternalError",
    "ServiceUnavailable",
    "BadDigest",  # the body was damaged on the way: sending it again can succeed
    "OperationAborted",
}
_TRANSIENT_BOTO = (
    bexc.ConnectionError,  # refused, timeouts, closed connections, DNS
    bexc.HTTPClientError,
    bexc.ResponseStreamingError,
    bexc.IncompleteReadError,
)
_FATAL_BOTO = (bexc.NoCredentialsError, bexc.PartialCredentialsError, bexc.NoRegionError)
_NO_ANSWER = (bexc.ReadTimeoutError, bexc.ConnectTimeoutError)  # the endpoint is silent, not down


class _WriteConflict(TransientStoreError):
    """409 ConditionalRequestConflict: another conditional write of the key is in flight."""


def _error_code(exc: bexc.ClientError) -> tuple[str, int]:
    error: Any = exc.response.get("Error", {})
    meta: Any = exc.response.get("ResponseMetadata", {})
    return str(error.get("Code", "")), int(meta.get("HTTPStatusCode", 0) or 0)


def classify_s3_error(exc: Exception, what: str) -> StoreError | None:
    """Map a botocore exception to a store error; None means 'not ours, re-raise'."""
    if isinstance(exc, bexc.ClientError):
        code, status = _error_code(exc)
        transient = code in _TRANSIENT_CODES or status >= 500 or status in (408, 429)
        if transient and code not in _FATAL_CODES:
            return TransientStoreError(f"{what}: {code} (HTTP {status})")
        return FatalStoreError(f"{what}: {code} (HTTP {status}): {exc}")
    if isinstance(exc, _TRANSIENT_BOTO):
        return TransientStoreError(f"{what}: {exc}")
    if isinstance(exc, _FATAL_BOTO):
        return FatalStoreError(f"{what}: {exc}")
    return None


def _verified(body: bytes, response: Any, key: str) -> bytes:
    """Check a whole-object body against its ETag when the ETag is its MD5.

    That holds for single-part uploads without KMS/customer keys, i.e. for
    everything this archive writes; a mismatch means damage on the way.
    """
    etag = str(response.get("ETag", "")).strip('"')
    encrypted = str(response.get("ServerSideEncryption", "")).startswith("aws:kms")
    if encrypted or response.get("SSECustomerAlgorithm") or len(etag) != 32 or "-" in etag:
        return body
    if hashlib.md5(body).hexdigest() != etag.lower():
        raise TransientStoreError(f"get {key}: body does not match its ETag (damaged in transit)")
    return body


def _is_missing(exc: bexc.ClientError) -> bool:
    code, status = _error_code(exc)
    return code in ("NoSuchKey", "NotFound", "404") or (status == 404 and code != "NoSuchBucket")


class S3Store:
    """An S3 (or S3-compatible) bucket, optionally under a key prefix.

    Endpoint, credentials and region come only from the standard AWS
    environment/config, so the same code talks to AWS, SeaweedFS or MinIO.

    Retries are ours, not botocore's, so their total time is bounded: a transient error
    (refused connection, 5xx, throttling) is retried with backoff for up to ``outage_seconds``
    (default ``$DATELINE_S3_OUTAGE_SECONDS``, else 90 s: an S3 restart or a failover is ridden
    out, and the variable reaches crawl children and workers alike); what still fails surfaces as
    TransientStoreError, and while the store stays down later calls try once instead of
    waiting the whole budget again. An endpoint that accepts connections but never answers
    is given ``timeout_attempts`` tries of ``read_timeout`` seconds, then StoreUnavailableError.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        client: S3Client | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 8.0,
        outage_seconds: float | None = None,
        timeout_attempts: int = 2,
        conflict_attempts: int = 5,
        list_page_size: int = 1000,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.uri = f"s3://{bucket}/{self.prefix}".rstrip("/")
        self._conflict_attempts = conflict_attempts
        self._page_size = list_page_size
        self._outage = outage_budget() if outage_seconds is None else outage_seconds
        self._timeout_attempts = timeout_attempts
        self._down = False  # the last call used up its retry budget: try once until one succeeds
        self._silent = False  # ... and it did so because the endpoint never answered
        self._client = client or make_s3_client(connect_timeout, read_timeout)

    def __repr__(self) -> str:
        return f"S3Store({self.uri!r})"

    def _key(self, key: str) -> str:
        return self.prefix + validate_key(key)

    def _call(self, fn: Callable[[], T], what: str) -> T:
        """Run one S3 call with bounded retries (see the class doc); errors become store errors."""
        deadline = time.monotonic() + (0 if self._down else self._outage)
        silent, delay = 0, 0.5
        silent_limit = 1 if self._silent else self._timeout_attempts
        while True:
            try:
                result = self._once(fn, what)
            except _WriteConflict:
                raise  # put_if_absent retries the race itself, quickly
            except TransientStoreError as exc:
                silent = silent + 1 if isinstance(exc.__cause__, _NO_ANSWER) else 0
                if silent >= silent_limit:
                    self._down = self._silent = True
                    raise StoreUnavailableError(
                        f"archive not reachable: S3 endpoint {self._client.meta.endpoint_url} does not "
                        f"answer ({silent} tries timed out), at {what}"
                    ) from exc
                if time.monotonic() + delay > deadline:
                    self._down = True
                    raise
                time.sleep(delay * random.uniform(0.75, 1.25))
                delay = min(delay * 2, 8.0)
                continue
            self._down = self._silent = False
            return result

    @staticmethod
    def _once(fn: Callable[[], T], what: str) -> T:
        try:
            return fn()
        except Exception as exc:
            mapped = classify_s3_error(exc, what)
            if mapped is None:
                raise
            raise mapped from exc

    def put_if_absent(self, key: str, data: bytes, content_type: str = "application/json") -> bool:
        full = self._key(key)
        digest = hashlib.md5(data)
        md5 = base64.b64encode(digest.digest()).decode("ascii")
        maybe_landed = False  # an earlier try of ours failed without a clear "not stored"

        def put() -> bool:
            nonlocal maybe_landed
            try:
                self._client.put_object(
                    Bucket=self.bucket,
                    Key=full,
                    Body=data,
                    ContentType=content_type,
                    ContentMD5=md5,
                    IfNoneMatch="*",
                )
            except bexc.ClientError as exc:
                code, status = _error_code(exc)
                if status == 412 or code == "PreconditionFailed":
                    if maybe_landed:  # maybe our own earlier try, cut off: make sure it landed whole
                        # the same bytes are there: our cut-off try landed (or an equal write did,
                        # which is the same object), so this call did store it
                        return self._check_landed(full, digest.hexdigest())
                    return False  # someone else stored it: done
                if status == 409 and code == "ConditionalRequestConflict":
                    raise _WriteConflict(f"put {full}: concurrent conditional write") from exc
                maybe_landed = maybe_landed or status >= 500
                raise
            except Exception:
                maybe_landed = True  # cut off on the way: the server may have stored it
                raise
            return True

        # _call retries network errors and 5xx; the 409 race is retried here.
        return retry_transient(
            lambda: self._call(put, f"put {full}"), self._conflict_attempts, 0.1, retry_on=_WriteConflict
        )

    def _check_landed(self, full: str, md5_hex: str) -> bool:
        """After a retried put found the key taken: the object there must be complete.

        Put-if-absent cannot replace it, so a damaged one is an error for this page (and
        ``dateline verify`` names it), never a silent success. True when it holds our bytes
        (a small PUT sends its body with its headers, so a try cut off after the server stored
        it is common under connection cuts); False when its ETag cannot tell.
        """
        head = self._client.head_object(Bucket=self.bucket, Key=full)
        etag = str(head.get("ETag", "")).strip('"').lower()
        if len(etag) == 32 and "-" not in etag and etag != md5_hex:
            size = head.get("ContentLength")
            raise FatalStoreError(f"put {full}: the stored object differs from what was sent ({size} bytes)")
        return etag == md5_hex

    def get(self, key: str) -> bytes:
        full = self._key(key)

        def get() -> bytes:
            response = self._client.get_object(Bucket=self.bucket, Key=full)
            return _verified(response["Body"].read(), response, full)

        return self._missing_to_notfound(get, key, f"get {full}")

    def get_range(self, key: str, start: int, length: int) -> bytes:
        _check_range(start, length)
        if length == 0:
            return b""
        full = self._key(key)
        byte_range = f"bytes={start}-{start + length - 1}"

        def get() -> bytes:
            try:
                response = self._client.get_object(Bucket=self.bucket, Key=full, Range=byte_range)
            except bexc.ClientError as exc:
                if _error_code(exc)[1] == 416:
                    return b""  # past the end: same answer as reading a short file
                raise
            return response["Body"].read()

        return self._missing_to_notfound(get, key, f"get_range {full}")

    def _missing_to_notfound(self, fn: Callable[[], T], key: str, what: str) -> T:
        def call() -> T:
            try:
                return fn()
            except bexc.ClientError as exc:
                if _is_missing(exc):
                    raise NotFound(key) from None
                raise

        return self._call(call, what)

    def exists(self, key: str) -> bool:
        full = self._key(key)

        def head() -> bool:
            self._client.head_object(Bucket=self.bucket, Key=full)
            return True

        try:
            return self._missing_to_notfound(head, key, f"head {full}")
        except NotFound:
            return False

    def _pages(self, full: str, **extra: Any) -> Iterator[Any]:
        """list_objects_v2 page by page, each page its own retried call (a failed page is asked
        again from its continuation token: a listing is never silently cut short)."""
        token: str | None = None
        while True:
            args: Any = {"Bucket": self.bucket, "Prefix": full, "MaxKeys": self._page_size, **extra}
            if token:
                args["ContinuationToken"] = token
            page: Any = self._call(functools.partial(self._client.list_objects_v2, **args), f"list {full}")
            yield page
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return

    def list(self, prefix: str) -> Iterator[str]:
        full = self.prefix + validate_key(prefix, allow_prefix=True)
        for page in self._pages(full):
            for item in page.get("Contents", []):
                yield item["Key"][len(self.prefix) :]

    def list_dirs(self, prefix: str) -> KeyList:
        full = self.prefix + validate_key(prefix, allow_prefix=True)
        found = []
        for page in self._pages(full, Delimiter="/"):
            found += [p["Prefix"][len(self.prefix) :] for p in page.get("CommonPrefixes", [])]
        return sorted(found)


def outage_budget() -> float:
    """Seconds an S3 call retries transient errors: ``$DATELINE_S3_OUTAGE_SECONDS``, else 90."""
    raw = os.environ.get(OUTAGE_ENV, "").strip()
    if not raw:
        return DEFAULT_OUTAGE_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise ValueError(f"{OUTAGE_ENV}={raw!r}: expected a number of seconds >= 0")
    return seconds


def make_s3_client(
    connect_timeout: float, read_timeout: float, *, attempts: int = 1, anonymous: bool = False
) -> S3Client:
    """A client configured only from the standard AWS env vars / config files.

    ``attempts`` per botocore call, 1 by default: S3Store retries itself, within a bounded time.
    ``anonymous`` signs nothing when no credentials are configured (public buckets such as
    ``commoncrawl``, read by the WARC importer).
    """
    region = os.environ.get("AWS_REGION") or None  # botocore itself only reads AWS_DEFAULT_REGION
    session = boto3.session.Session(region_name=region)
    unsigned = anonymous and session.get_credentials() is None
    config = Config(
        retries={"mode": "standard", "total_max_attempts": attempts},
        signature_version=UNSIGNED if unsigned else None,
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        max_pool_connections=POOL_CONNECTIONS,
        tcp_keepalive=True,
    )
    client = session.client("s3", config=config)
    events = client.meta.events
    events.unregister("before-call.s3", handlers.add_expect_header)
    events.register("before-call.s3", _expect_large_bodies)
    return client


def _expect_large_bodies(model: Any, params: dict[str, Any], **_: Any) -> None:
    """``Expect: 100-continue`` only for bodies of 1 MiB and more (or of unknown size).

    botocore asks it for every PUT with a body, so each small archive object waited one more
    round trip (headers, the server's "100 Continue", then the body); a server that refuses a
    small put (412: already there) costs about the same either way.
    """
    body = params.get("body")
    if model.http.get("method") not in ("PUT", "POST") or not hasattr(body, "read"):
        return
    size = botocore_utils.determine_content_length(body)
    if size is None or size >= EXPECT_CONTINUE_BYTES:
        params["headers"]["Expect"] = "100-continue"


def open_store(uri: str) -> ObjectStore:
    """``s3://bucket/prefix`` -> S3Store; a path or ``file://`` URI -> LocalStore (created)."""
    parsed = urlparse(uri)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ValueError(f"no bucket in {uri!r}")
        return S3Store(parsed.netloc, parsed.path)
    if parsed.scheme == "file":
        return LocalStore(Path(unquote(parsed.path)))
    return LocalStore(Path(uri).expanduser())
