"""First vs second (incremental) crawl of many small loopback sites (a benchmark, not a test).

    uv run python benchmarks/bench_steady.py [--sites 16] [--pages 5] [--json FILE]

Each site serves ``--pages`` distinct real pages of ``../shared/datasets/news-pages`` at short-slug
URLs (``/news/<two words>/``, linked from the front and section pages; article pages carry the
site's navigation and links to other articles), no politeness delay. Every site is crawled twice,
one after another, through ``dateline.crawljob.run_site_crawl`` (the child process the flows
run), into one local archive. Reported per run: wall time, HTTP requests the sites received
(from their request logs), article pages requested, 404s, and the ratio second / first.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dateline.config import Site  # noqa: E402
from dateline.crawljob import run_site_crawl  # noqa: E402
from dateline.localsite import NewsSite  # noqa: E402
from tests.e2e_helpers import FAST_SETTINGS  # noqa: E402
from tests.fixtures.sites import truth_pages  # noqa: E402


def crawl_all(sites: list[NewsSite], archive: str, run: str) -> dict[str, Any]:
    """Crawl every site once (sequentially, as ``crawl-all`` does today); count what they served."""
    for site in sites:
        site.clear_requests()
    t0 = time.monotonic()
    stored = 0
    for site in sites:
        config = Site.model_validate(site.site_config())
        outcome = run_site_crawl(
            config,
            user_agent="bench",
            archive_uri=archive,
            run_id=f"{run}-{site.name}",
            settings=FAST_SETTINGS,
        )
        stored += outcome.manifest.stats.stored_new
    seconds = time.monotonic() - t0
    log = [record for site in sites for record in site.log]
    articles = sum(1 for site in sites for p in site.requests if p in site.layout.articles)
    return {
        "seconds": round(seconds, 1),
        "requests": len(log),
        "article_requests": articles,
        "http_404": sum(1 for site in sites for p in site.requests if p.split("?", 1)[0] not in site.routes),
        "stored_new": stored,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=16)
    ap.add_argument("--pages", type=int, default=5)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    pages = truth_pages(args.sites * args.pages, seed=9)
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory(prefix="bench-steady-") as tmp:
        sites = [
            stack.enter_context(
                NewsSite(pages[i * args.pages : (i + 1) * args.pages], name=f"short-{i:02d}", short_urls=True)
            )
            for i in range(args.sites)
        ]
        archive = str(Path(tmp) / "archive")
        first = crawl_all(sites, archive, "first")
        second = crawl_all(sites, archive, "second")
    result = {
        "sites": args.sites,
        "pages_per_site": args.pages,
        "first": first,
        "second": second,
        "time_ratio": round(second["seconds"] / first["seconds"], 3),
        "request_ratio": round(second["requests"] / max(1, first["requests"]), 3),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
