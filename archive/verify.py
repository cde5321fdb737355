"""Walks the archive and checks what its contract promises (docs/archive.md, "Guarantees").

Operators run it after an incident (`dateline verify`), the health flow on recent days. It
only lists and reads, so it is safe on a live archive: an object is listed whole or not at all,
and pointers are written after what they name, so a problem found here is real damage (or a
crash the next run has not completed yet), never a race with a writer.

What is checked:
- every article record parses, sits under the key its fields give, and its ``content_hash``
  (and ``version``) match its title and text;
- its raw WARC exists and holds the response its ``raw`` pointer names;
- its id-index pointer exists and names it;
- every URL marker names an article whose id pointers name existing records;
- every change-feed entry names an existing record of that id and version;
- (with ``since``) the records the runs since then say they wrote exist.

``since`` limits the walk to what recent runs touched: article partitions from that published
date on (and ``date=unknown``), records named by run manifests started since, feed logs opened
since the day before, and the URL markers of the records checked (markers carry no date).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from pydantic import ValidationError

from archive import keys
from archive.feed import FeedEntry, LogEnd, LogOpened
from archive.reader import ARTICLES_ROOT, URLS_ROOT
from archive.records import ArticleRecord, RunManifest, content_hash
from archive.store import NotFound, ObjectStore
from archive.warc import find_response
from archive.writer import IdIndexEntry, UrlMarker, key_stem

FIRST_PROBLEMS = 20  # problems kept with their detail; all are counted
FEED_LOGS_ROOT = f"{keys.FEED_ROOT}logs/"

# Problem kinds (stable strings: tests and operators match on them).
UNREADABLE = "unreadable"  # an object that does not parse (truncated, not JSON, wrong schema)
HASH_MISMATCH = "hash-mismatch"  # content_hash/version do not match title + text
KEY_MISMATCH = "key-mismatch"  # the record's fields give another key than where it sits
MISSING_RAW = "missing-raw"  # raw pointer null, WARC missing or without that response
MISSING_ID_POINTER = "missing-id-pointer"  # the record has no id-index pointer (not found by id)
DANGLING_POINTER = "dangling-id-pointer"  # an id pointer names a missing record
DANGLING_MARKER = "dangling-marker"  # a URL marker names an article with no record
DANGLING_FEED_ENTRY = "dangling-feed-entry"  # a feed entry names a missing or other record
MISSING_RECORD = "missing-record"  # a run manifest names a record that is not there


@dataclass(frozen=True)
class Problem:
    kind: str
    key: str
    detail: str = ""

    def line(self) -> str:
        return f"{self.kind}: {self.key}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class VerifyReport:
    """Counts of objects checked and of problems by kind; the first problems in full."""

    checked: Counter[str] = field(default_factory=Counter)
    problem_counts: Counter[str] = field(default_factory=Counter)
    first: list[Problem] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return sum(self.problem_counts.values())

    @property
    def ok(self) -> bool:
        return self.problems == 0

    def add(self, kind: str, key: str, detail: str = "") -> None:
        self.problem_counts[kind] += 1
        if len(self.first) < FIRST_PROBLEMS:
            self.first.append(Problem(kind, key, detail[:300]))

    def summary(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "checked": dict(sorted(self.checked.items())),
            "problems": dict(sorted(self.problem_counts.items())),
            "first_problems": [p.line() for p in self.first],
        }


class _Verifier:
    def __init__(self, store: ObjectStore, report: VerifyReport) -> None:
        self.store = store
        self.report = report
        self.records: dict[str, ArticleRecord | None] = {}  # key -> parsed (None: bad or missing)
        self.missing: set[str] = set()  # record keys that hold no object
        self.articles_ok: dict[str, bool] = {}  # id -> its pointers name existing records

    # -------------------------------------------------------------- records

    def record(self, key: str) -> ArticleRecord | None:
        """Check one article record once; None when it is missing or damaged."""
        if key in self.records:
            return self.records[key]
        self.records[key] = None
        try:
            data = self.store.get(key)
        except NotFound:
            self.missing.add(key)
            return None
        self.report.checked["records"] += 1
        try:
            rec = ArticleRecord.model_validate_json(data)
        except ValidationError as exc:
            self.report.add(UNREADABLE, key, _first_error(exc))
            return None
        expected_hash = content_hash(rec.title, rec.text)
        if rec.content_hash != expected_hash or rec.version != expected_hash[:12]:
            self.report.add(
                HASH_MISMATCH, key, f"stored {rec.content_hash[:12]}, text gives {expected_hash[:12]}"
            )
        expected_key = keys.article_key(rec.site, rec.published.date, rec.id, rec.version)
        if expected_key != key:
            self.report.add(KEY_MISMATCH, key, f"fields give {expected_key}")
        self._raw(key, rec)
        self._id_pointer(key, rec)
        self.records[key] = rec
        return rec

    def _raw(self, key: str, rec: ArticleRecord) -> None:
        if rec.raw is None:
            self.report.add(MISSING_RAW, key, "raw pointer is null")
            return
        try:
            find_response(self.store.get(rec.raw.key), rec.raw.record_id)
        except NotFound:
            self.report.add(MISSING_RAW, key, f"no object {rec.raw.key}")
        except KeyError:
            self.report.add(MISSING_RAW, key, f"{rec.raw.key} has no response {rec.raw.record_id}")
        except Exception as exc:  # warcio/gzip errors on a damaged WARC
            self.report.add(MISSING_RAW, key, f"{rec.raw.key} unreadable: {type(exc).__name__}: {exc}")
        else:
            self.report.checked["raw_pages"] += 1

    def _id_pointer(self, key: str, rec: ArticleRecord) -> None:
        pointer_key = keys.id_index_key(rec.id, rec.version)
        try:
            pointer = IdIndexEntry.model_validate_json(self.store.get(pointer_key))
        except NotFound:
            self.report.add(MISSING_ID_POINTER, key, f"no {pointer_key}")
            return
        except ValidationError as exc:
            self.report.add(UNREADABLE, pointer_key, _first_error(exc))
            return
        self.report.checked["id_pointers"] += 1
        if pointer.key != key:
            self.report.add(DANGLING_POINTER, pointer_key, f"names {pointer.key}, record is {key}")

    def article_resolves(self, id_: str) -> bool:
        """The article has id pointers and each names an existing record (cached per id).

        A damaged record is reported as such; only a missing one makes the article dangle.
        """
        if id_ not in self.articles_ok:
            pointers = 0
            ok = True
            for pointer_key in self.store.list(keys.id_index_prefix(id_)):
                pointers += 1
                try:
                    pointer = IdIndexEntry.model_validate_json(self.store.get(pointer_key))
                except NotFound:
                    continue
                except ValidationError as exc:
                    self.report.add(UNREADABLE, pointer_key, _first_error(exc))
                    ok = False
                    continue
                self.record(pointer.key)
                if pointer.key in self.missing:
                    self.report.add(DANGLING_POINTER, pointer_key, f"names missing {pointer.key}")
                    ok = False
            self.articles_ok[id_] = ok and pointers > 0
        return self.articles_ok[id_]

    # -------------------------------------------------------------- markers and feed

    def marker(self, key: str) -> None:
        try:
            marker = UrlMarker.model_validate_json(self.store.get(key))
        except NotFound:
            return
        except ValidationError as exc:
            self.report.add(UNREADABLE, key, _first_error(exc))
            return
        self.report.checked["url_markers"] += 1
        if key_stem(key) != keys.url_hash(marker.url):
            self.report.add(KEY_MISMATCH, key, f"marker of {marker.url}")
        if not self.article_resolves(marker.id):
            self.report.add(DANGLING_MARKER, key, f"{marker.url} -> article {marker.id} has no record")

    def feed_slot(self, key: str, site: str | None) -> None:
        try:
            body = json.loads(self.store.get(key))
            if body.get("kind") == "end":
                LogEnd.model_validate(body)
                return
            entry = FeedEntry.model_validate(body)
        except NotFound:
            return
        except (ValueError, AttributeError) as exc:  # JSONDecodeError and ValidationError are ValueErrors
            self.report.add(UNREADABLE, key, str(exc).splitlines()[0][:200])
            return
        if site is not None and entry.site != site:
            return
        self.report.checked["feed_entries"] += 1
        rec = self.record(entry.key)
        if entry.key in self.missing:
            self.report.add(DANGLING_FEED_ENTRY, key, f"record missing: {entry.key}")
        elif rec is not None and (rec.id, rec.version) != (entry.id, entry.version):
            self.report.add(DANGLING_FEED_ENTRY, key, f"{entry.key} is {rec.id}-{rec.version}")


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors()
    return str(errors[0].get("msg", exc))[:200] if errors else str(exc)[:200]


def _partition_in_scope(prefix: str, since: date | None) -> bool:
    value = keys.partition_value(prefix, "date") or ""
    return since is None or value == keys.UNDATED or value >= since.isoformat()


def _sites(store: ObjectStore, site: str | None) -> list[str]:
    if site is not None:
        return [site]
    found = set()
    for root in (ARTICLES_ROOT, URLS_ROOT, keys.runs_prefix()):
        for prefix in store.list_dirs(root):
            name = keys.partition_value(prefix, "site")
            if name:
                found.add(name)
    return sorted(found)


def _article_keys(store: ObjectStore, site: str, since: date | None) -> Iterator[str]:
    for partition in store.list_dirs(keys.articles_prefix(site)):
        if _partition_in_scope(partition, since):
            yield from (k for k in store.list(partition) if k.endswith(".json"))


def _manifest_keys(store: ObjectStore, site: str, since: date, report: VerifyReport) -> Iterator[str]:
    """Keys of records the runs started since ``since`` say they stored (aliases store none)."""
    first = since.strftime("%Y%m%d")
    for key in store.list(keys.runs_prefix(site)):
        if not key.endswith(".json") or key.rsplit("/", 1)[-1][:8] < first:
            continue
        try:
            manifest = RunManifest.model_validate_json(store.get(key))
        except ValidationError as exc:
            report.add(UNREADABLE, key, _first_error(exc))
            continue
        report.checked["run_manifests"] += 1
        yield from (w["key"] for w in manifest.written if w.get("key") and w.get("status") != "alias")


def _feed_slot_keys(store: ObjectStore, since: date | None) -> Iterator[str]:
    """Slots of the feed logs opened since the day before ``since`` (a log may span midnight)."""
    first = (since - timedelta(days=1)).isoformat() if since else ""
    for day in store.list_dirs(FEED_LOGS_ROOT):
        if (keys.partition_value(day, "date") or "") >= first:
            for log in store.list_dirs(day):
                yield from (k for k in store.list(log) if k.endswith(".json"))


def _registry_ok(store: ObjectStore, report: VerifyReport) -> None:
    for key in store.list(f"{keys.FEED_ROOT}registry/"):
        try:
            LogOpened.model_validate_json(store.get(key))
        except ValidationError as exc:
            report.add(UNREADABLE, key, _first_error(exc))


def _urls_of(rec: ArticleRecord) -> Iterable[str]:
    return dict.fromkeys([rec.canonical_url, rec.url, *rec.aliases])


def verify(store: ObjectStore, site: str | None = None, since: date | None = None) -> VerifyReport:
    """Check the archive (or one site, or what was written since a day); see the module doc."""
    report = VerifyReport()
    v = _Verifier(store, report)
    for name in _sites(store, site):
        for key in _article_keys(store, name, since):
            v.record(key)
        if since is None:
            for key in store.list(keys.url_markers_prefix(name)):
                v.marker(key)
            continue
        for key in _manifest_keys(store, name, since, report):
            v.record(key)
            if key in v.missing:
                report.add(MISSING_RECORD, key, "named by a run manifest")
        for rec in [r for r in v.records.values() if r is not None and r.site == name]:
            for url in _urls_of(rec):
                v.marker(keys.url_marker_key(name, url))
    if since is None and site is None:
        _registry_ok(store, report)
    for key in _feed_slot_keys(store, since):
        v.feed_slot(key, site)
    return report
