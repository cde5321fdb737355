"""The crawl's archive writes into S3 (SeaweedFS on loopback) vs a local folder (a benchmark).

    uv run python benchmarks/bench_store.py [--pages 500] [--threads 6] [--repeat 3] [--code DIR] [--json FILE]

For ``--pages`` real pages of ``../shared/datasets/news-pages`` (texts made unique, the page's
HTML as the raw body), it runs what the crawl pipeline does per article — raw WARC, record (with
its consumer data), URL markers — from ``--threads`` threads (asyncio's default executor on this
2-core machine has 6; the pipeline's ``asyncio.to_thread`` calls use it), once into a local
folder and once into a fresh SeaweedFS prefix, ``--repeat`` times alternating (the ratio moves
with the load of a shared machine: the median counts), and reports the wall times, their ratio,
the store calls per article and the CPU milliseconds per article of this process (local and
S3 runs) and of the ``weed`` server (S3 runs), which shares the machine's cores.
``--code`` runs another checkout's ``archive`` package (a baseline, e.g.
``git archive main | tar -x -C /tmp/base``) with this script; alternate both for a comparison.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import statistics
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


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(
    store: Any, items: list[tuple[str, str, bytes]], threads: int, server_pid: int
) -> dict[str, float]:
    """Wall seconds of ``crawl_path`` and the CPU seconds it took here and in the server."""
    cpu, server = time.process_time(), process_cpu(server_pid)
    wall = crawl_path(store, items, threads)
    return {"wall": wall, "cpu": time.process_time() - cpu, "server_cpu": process_cpu(server_pid) - server}


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
    ap.add_argument("--repeat", type=int, default=3, help="local/S3 pairs, alternating")
    ap.add_argument("--code", type=Path, default=ROOT, help="checkout whose archive/ package is measured")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    sys.path[:0] = [str(args.code.resolve()), str(ROOT)]

    from archive.store import LocalStore, S3Store
    from tests.fixtures.s3 import running_seaweedfs, s3_env

    items = pages(args.pages)
    runs: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-store-") as tmp,
        running_seaweedfs(Path(tmp) / "seaweedfs") as (server, proc),
    ):
        os.environ.update(s3_env(server))
        server.client().create_bucket(Bucket="bench")
        for n in range(args.repeat):
            local = CountingStore(LocalStore(Path(tmp) / f"archive-{n}"))
            s3 = CountingStore(S3Store("bench", f"archive-{n}"))
            one_local = measured(local, items, args.threads, proc.pid)
            one_s3 = measured(s3, items, args.threads, proc.pid)
            runs.append({"local": one_local, "s3": one_s3, "calls": s3.calls})
    per_article = lambda seconds: round(seconds / args.pages * 1000, 1)  # noqa: E731
    result = {
        "code": str(args.code),
        "pages": args.pages,
        "threads": args.threads,
        "local_seconds": [round(r["local"]["wall"], 2) for r in runs],
        "s3_seconds": [round(r["s3"]["wall"], 2) for r in runs],
        "ratios": [round(r["s3"]["wall"] / r["local"]["wall"], 2) for r in runs],
        "ratio_median": round(statistics.median(r["s3"]["wall"] / r["local"]["wall"] for r in runs), 2),
        "cpu_ms_per_article": {
            "local_client": per_article(statistics.median(r["local"]["cpu"] for r in runs)),
            "s3_client": per_article(statistics.median(r["s3"]["cpu"] for r in runs)),
            "s3_server": per_article(statistics.median(r["s3"]["server_cpu"] for r in runs)),
        },
        "calls_per_article": {k: round(v / args.pages, 2) for k, v in sorted(runs[-1]["calls"].items())},
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
