"""Saved pages as extraction inputs (`dateline extract`): HTML, gzipped HTML, WARC, manifests.

A page that cannot be read or cleaned becomes an output line with ``error`` set, never a crash.
Pages of one site (same ``--site``, or same ``site`` in a manifest) are cleaned in two passes:
the first fingerprints every page and learns the site's profile (on top of the profile stored in
an archive, if given), the second cleans with it.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.warc import read_warc_responses
from core.times import utcnow
from extraction.extract import decode_html, extract_and_fingerprint
from extraction.model import ExtractionError, PageHints
from extraction.profile import PageFingerprint, ProfileRules, SiteProfile, learn


@dataclass
class PageInput:
    source: str  # file path (and WARC record id) for the output's `source`
    url: str | None
    site: str | None
    body: bytes | None = None
    encoding: str | None = None
    error: str | None = None  # set when the input could not even be read
    crawled_at: str | None = None


def _read_file(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _is_warc(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith((".warc", ".warc.gz", ".arc.gz"))


def iter_inputs(files: Iterable[Path], *, site: str | None, url: str | None) -> Iterator[PageInput]:
    for path in files:
        try:
            if _is_warc(path):
                with path.open("rb") as fh:
                    for resp in read_warc_responses(fh.read()):
                        yield PageInput(f"{path}#{resp.record_id}", resp.url, site, resp.body,
                                        _charset(resp.headers), crawled_at=resp.fetched_at.isoformat() if resp.fetched_at else None)  # fmt: skip
                continue
            yield PageInput(str(path), url or path.resolve().as_uri(), site, _read_file(path))
        except (OSError, EOFError, ValueError, gzip.BadGzipFile) as e:
            yield PageInput(str(path), url, site, error=f"unreadable: {type(e).__name__}: {e}")


def iter_manifest(manifest: Path) -> Iterator[PageInput]:
    """Lines of {"path", "url", "site"[, "crawled_at"]}; paths are relative to the manifest's folder."""
    base = manifest.parent
    with manifest.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                path = base / entry["path"]
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                yield PageInput(f"{manifest}:{n}", None, None, error=f"bad manifest line: {e}")
                continue
            for page in iter_inputs([path], site=entry.get("site"), url=entry.get("url")):
                page.crawled_at = entry.get("crawled_at") or page.crawled_at
                yield page


def _charset(headers: list[tuple[str, str]]) -> str | None:
    for k, v in headers:
        if k.lower() == "content-type" and "charset=" in v.lower():
            return v.lower().split("charset=", 1)[1].split(";")[0].strip() or None
    return None


def _hints(page: PageInput) -> PageHints:
    return PageHints(url=page.url or "", site=page.site, crawled_at=page.crawled_at or utcnow().isoformat())


def _fingerprint_one(page: PageInput) -> PageFingerprint | None:
    """Pass 1 (a pool worker): the page's fingerprint, or None when it cannot be cleaned."""
    if page.error or page.body is None:
        return None
    try:
        ex, fp = extract_and_fingerprint(decode_html(page.body, page.encoding), _hints(page))
    except Exception:  # reported by pass 2
        return None
    return fp if ex.is_article else None


def _extract_one(job: PageInput | tuple[PageInput, ProfileRules | None]) -> dict[str, Any]:
    page, rules = job if isinstance(job, tuple) else (job, None)
    out: dict[str, Any] = {"source": page.source, "url": page.url, "site": page.site}
    if page.error or page.body is None:
        return {**out, "error": page.error or "unreadable"}
    try:
        hints = _hints(page)
        ex = extract_and_fingerprint(decode_html(page.body, page.encoding), hints, rules, learn=False)[0]
    except ExtractionError as e:
        return {**out, "error": e.reason, "detail": e.detail}
    except Exception as e:  # a bug on one page must not lose the others
        return {**out, "error": "extractor-crash", "detail": f"{type(e).__name__}: {e}"[:500]}
    return {
        **out,
        "url": ex.url,
        "canonical_url": ex.canonical_url,
        "title": ex.title,
        "authors": ex.authors,
        "date": ex.published.date,
        "published": ex.published.model_dump(),
        "modified": ex.modified.model_dump() if ex.modified else None,
        "language": ex.language,
        "page_type": ex.page_type,
        "is_article": ex.is_article,
        "paywalled": ex.paywalled,
        "text": ex.text,
    }


ProfileLoader = Callable[[str], SiteProfile | None]


def extract_inputs(
    pages: Iterable[PageInput],
    workers: int | None = None,
    profiles: bool = True,
    stored: ProfileLoader | None = None,
) -> Iterator[dict[str, Any]]:
    """Clean pages on all cores, in input order. With ``profiles``, each named site's profile is
    learned first from its pages (on top of its stored profile when ``stored`` finds one; all
    pages are then held in memory until cleaned)."""
    workers = workers or os.cpu_count() or 1
    with ProcessPoolExecutor(max_workers=workers) as pool:
        if not profiles:
            yield from pool.map(_extract_one, pages, chunksize=4)
            return
        inputs = list(pages)
        rules = learn_site_rules(inputs, pool, stored)
        jobs = [(page, rules.get(page.site or "")) for page in inputs]
        yield from pool.map(_extract_one, jobs, chunksize=4)


def learn_site_rules(
    inputs: list[PageInput], pool: ProcessPoolExecutor, stored: ProfileLoader | None = None
) -> dict[str, ProfileRules]:
    """Pass 1: a profile per named site with two or more readable pages, or with a stored profile."""
    by_site: dict[str, list[PageInput]] = {}
    for page in inputs:
        if page.site and page.body is not None and not page.error:
            by_site.setdefault(page.site, []).append(page)
    bases = {site: stored(site) for site in by_site} if stored is not None else {}
    learnable = [
        page for site, group in by_site.items() if len(group) > 1 or bases.get(site) for page in group
    ]
    fingerprints: dict[str, list[PageFingerprint]] = {site: [] for site in bases if bases[site]}
    for page, fp in zip(learnable, pool.map(_fingerprint_one, learnable, chunksize=4), strict=True):
        if fp is not None and page.site:
            fingerprints.setdefault(page.site, []).append(fp)
    return {
        site: learn(site, fps, base=bases.get(site)).rules()
        for site, fps in fingerprints.items()
        if len(fps) > 1 or bases.get(site)
    }
