"""The crawl's archive writes into S3 (SeaweedFS on loopback) vs a local folder (a benchmark).

    uv run python benchmarks/bench_store.py [--pages 500] [--threads 6] [--code DIR] [--json FILE]

For ``--pages`` real pages of ``../shared/datasets/news-pages`` (texts made unique, the page's
HTML as the raw body), it runs what the crawl pipeline does per article — raw WARC, record (with
its consumer data), URL markers — from ``--threads`` threads (asyncio's default executor on this
2-core machine has 6; the pipeline's ``asyncio.to_thread`` calls use it), once into a local
folder and once into a fresh SeaweedFS bucket, and reports both wall times, their ratio and the
store calls per article. ``--code`` runs another checkout's ``archive`` package (a baseline,
e.g. ``git archive main | tar -x -C /tmp/base``) with this script.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATASET = ROOT.parent / "shared" / "datasets" / "news-pages"


class CountingStore:
    """Counts store calls by kind (each is one request on S3)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if name not in ("put_if_absent", "get", "get_range", "exists", "list", "list_dirs"):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return attr(*args, **kwargs)

        return call


def pages(n: int) -> list[tuple[str, str, bytes]]:
    """(url, text, html) for n pages: dataset pages cycled, each text made unique."""
    truth = [json.loads(line) for line in (DATASET / "truth.jsonl").read_text(encoding="utf-8").splitlines()]
    out = []
    for i in range(n):
        t = truth[i % len(truth)]
        html = gzip.decompress((DATASET / t["file"]).read_bytes())
        text = "\n\n".join(t["body"]) + f"\n\nCopy {i}."
        out.append(
            (f"https://bench.example/world/2026/11/20/story-{i}", text, html + f"<!-- {i} -->".encode())
        )
    return out


def crawl_path(store: Any, items: list[tuple[str, str, bytes]], threads: int) -> float:
    from archive.records import ArticleRecord, DateInfo, ExtractorInfo
    from archive.writer import ArchiveWriter

    writer = ArchiveWriter(store)

    def one(item: tuple[str, str, bytes]) -> None:
        url, text, html = item
        raw = writer.store_raw("bench", url, 200, [("Content-Type", "text/html")], html, datetime.now(UTC))
        digest = hashlib.sha256(f"T\n{text}".encode()).hexdigest()
        record = ArticleRecord(
            id=hashlib.sha256(url.encode()).hexdigest()[:20], version=digest[:12], url=url,
            canonical_url=url, site="bench", title="T", text=text, content_hash=digest,
            published=DateInfo(date="2026-11-20", source="meta", raw="2026-11-20"),
            word_count=len(text.split()), crawled_at=datetime.now(UTC).isoformat(), run_id="bench",
            extractor=ExtractorInfo(version="0", trafilatura="0"), raw=raw,
        )  # fmt: skip
        writer.store_article(record)
        writer.mark_urls("bench", [url], record.id)

    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(one, items))
    writer.close()
    return time.monotonic() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=500)
    ap.add_argument("--threads", type=int, default=6)
    ap.add_argument("--code", type=Path, default=ROOT, help="checkout whose archive/ package is measured")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    sys.path[:0] = [str(args.code.resolve()), str(ROOT)]
    import os

    from archive.store import LocalStore, S3Store
    from tests.fixtures.s3 import _launch, _stop, _wait_ready, s3_env, weed_binary

    items = pages(args.pages)
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        server, proc = _launch(weed_binary(), Path(tmp))
        try:
            problem = _wait_ready(server, proc)
            if problem:
                raise SystemExit(f"SeaweedFS did not start: {problem}")
            os.environ.update(s3_env(server))
            server.client().create_bucket(Bucket="bench")
            local = CountingStore(LocalStore(Path(tmp) / "archive"))
            local_s = crawl_path(local, items, args.threads)
            s3 = CountingStore(S3Store("bench", "archive"))
            s3_s = crawl_path(s3, items, args.threads)
        finally:
            _stop(proc, server.ports)
    result = {
        "code": str(args.code),
        "pages": args.pages,
        "threads": args.threads,
        "local_seconds": round(local_s, 2),
        "s3_seconds": round(s3_s, 2),
        "ratio": round(s3_s / local_s, 2),
        "calls_per_article": {k: round(v / args.pages, 2) for k, v in sorted(s3.calls.items())},
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
