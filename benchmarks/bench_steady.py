"""First vs second (incremental) crawl of many small loopback sites (a benchmark, not a test).

    uv run python benchmarks/bench_steady.py [--sites 16] [--pages 5] [--idle-sites 100] [--json FILE]

Each site serves ``--pages`` distinct real pages of ``../shared/datasets/news-pages`` at short-slug
URLs (``/news/<two words>/``, linked from the front and section pages; article pages carry the
site's navigation and links to other articles), no politeness delay. The sites are crawled
first all in ONE crawl process (``spiders.crawljob.run_sites_crawl``, what ``crawl-all`` runs),
then incrementally twice in the same archive: one child process per site, one after another
(``run_site_crawl``, the path before issue 9's "many sites per process"), and all sites in one
process. Reported per run: wall time, HTTP requests the sites received (from their request
logs), article pages requested, 404s. With ``--idle-sites N``: N one-page sites, crawled once,
then again with nothing new in one process (wall time per site: the fixed cost a site adds).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.config import Site  # noqa: E402
from demosite import NewsSite  # noqa: E402
from spiders.crawljob import run_site_crawl, run_sites_crawl  # noqa: E402
from tests.e2e_helpers import FAST_SETTINGS  # noqa: E402
from tests.fixtures.sites import truth_pages  # noqa: E402


def crawl_all(sites: list[NewsSite], archive: str, run: str, one_process: bool = True) -> dict[str, Any]:
    """Crawl every site once, all in one process or one process per site after another; count
    what they served."""
    for site in sites:
        site.clear_requests()
    configs = [Site.model_validate(site.site_config()) for site in sites]
    t0 = time.monotonic()
    failures: Counter[str] = Counter()
    if one_process:
        outcomes = run_sites_crawl(
            configs, {c.name: "bench" for c in configs}, archive, run, settings=FAST_SETTINGS
        )
        bad = [n for n, o in outcomes.items() if o.error is not None]
        assert not bad, bad
        stored = sum(o.manifest.stats.stored_new for o in outcomes.values())
        failures = Counter(
            r for o in outcomes.values() for r in Counter(o.manifest.stats.failures_by_reason).elements()
        )
    else:
        stored = 0
        for config in configs:
            outcome = run_site_crawl(
                config,
                user_agent="bench",
                archive_uri=archive,
                run_id=f"{run}-{config.name}",
                settings=FAST_SETTINGS,
            )
            stored += outcome.manifest.stats.stored_new
            failures.update(outcome.manifest.stats.failures_by_reason)
    seconds = time.monotonic() - t0
    log = [record for site in sites for record in site.log]
    articles = sum(1 for site in sites for p in site.requests if p in site.layout.articles)
    return {
        "seconds": round(seconds, 1),
        "seconds_per_site": round(seconds / len(sites), 2),
        "requests": len(log),
        "article_requests": articles,
        "http_404": sum(1 for site in sites for p in site.requests if p.split("?", 1)[0] not in site.routes),
        "stored_new": stored,
        "failures": dict(failures),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=16)
    ap.add_argument("--pages", type=int, default=5)
    ap.add_argument("--idle-sites", type=int, default=0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    pool = truth_pages(30, seed=9)  # the in-repo truth pages; sites share them (other hosts, other URLs)
    pages = [pool[n % len(pool)] for n in range(args.sites * args.pages)]
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory(prefix="bench-steady-") as tmp:
        sites = [
            stack.enter_context(
                NewsSite(pages[i * args.pages : (i + 1) * args.pages], name=f"short-{i:02d}", short_urls=True)
            )
            for i in range(args.sites)
        ]
        archive = str(Path(tmp) / "archive")
        first = crawl_all(sites, archive, "first")
        second_per_site = crawl_all(sites, archive, "second-per-site", one_process=False)
        second = crawl_all(sites, archive, "second-one-process")
    result: dict[str, Any] = {
        "sites": args.sites,
        "pages_per_site": args.pages,
        "first_one_process": first,
        "second_process_per_site": second_per_site,
        "second_one_process": second,
        "second_speedup": round(second_per_site["seconds"] / max(0.1, second["seconds"]), 2),
    }
    if args.idle_sites:
        idle_pages = [pool[n % len(pool)] for n in range(args.idle_sites)]
        with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory(prefix="bench-idle-") as tmp:
            idle = [
                stack.enter_context(NewsSite([page], name=f"idle-{i:03d}", short_urls=True))
                for i, page in enumerate(idle_pages)
            ]
            archive = str(Path(tmp) / "archive")
            result["idle_first_one_process"] = crawl_all(idle, archive, "idle-first")
            result["idle_nothing_new_one_process"] = crawl_all(idle, archive, "idle-second")
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
