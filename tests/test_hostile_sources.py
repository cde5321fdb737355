"""Hostile feeds, sitemaps and redirects on a loopback site: each ends as a counted failure
with its reason (manifest and summary), and a 200,000-URL sitemap is read with bounded memory."""

from __future__ import annotations

import gzip
import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core.config import parse_sites
from demosite import LocalSite, Route
from flows.report import SiteResult, Thresholds, summary_row
from spiders.crawljob import run_site_crawl
from tests.e2e_helpers import FAST_SETTINGS

pytestmark = pytest.mark.slow

XML = {"Content-Type": "application/xml"}
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><link>/articles/2026/12/01/laughing-matter-story</link></item>
</channel></rss>"""


def _urlset(base: str, n: int) -> bytes:
    head = (
        b'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    )
    rows = (f"<url><loc>{base}/articles/2026/12/01/story-number-{i}</loc></url>" for i in range(n))
    return head + "".join(rows).encode() + b"</urlset>"


def _crawl(site: LocalSite, name: str, **limits: Any) -> Any:
    config = {"name": name, "start_urls": [], "feeds": [], "sitemaps": [], "allowed_domains": ["127.0.0.1"],
              "obey_robots": False, "limits": {"download_delay": 0, **limits}}  # fmt: skip
    return config


def test_redirect_loops_bombs_and_entity_feeds_are_recorded_failures(tmp_path: Path) -> None:
    with LocalSite() as site:
        base = site.base_url
        site.add_routes({
            "/articles/2026/12/01/loop-story-a": Route(302, {"Location": f"{base}/articles/2026/12/01/loop-story-b"}),
            "/articles/2026/12/01/loop-story-b": Route(302, {"Location": "/articles/2026/12/01/loop-story-a"}),
            "/articles/2026/12/01/self-loop-story": Route(301, {"Location": "/articles/2026/12/01/self-loop-story"}),
            "/rss.xml": Route(200, {"Content-Type": "application/rss+xml"}, (
                b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
                b"<item><link>/articles/2026/12/01/loop-story-a</link></item>"
                b"<item><link>/articles/2026/12/01/self-loop-story</link></item></channel></rss>")),
            "/laughs.xml": Route(200, {"Content-Type": "application/rss+xml"}, BILLION_LAUGHS),
            "/sitemap.xml.gz": Route(200, {"Content-Type": "application/gzip"}, gzip.compress(b" " * (64 << 20))),
            "/bomb.xml": Route(200, {"Content-Type": "application/xml", "Content-Encoding": "gzip"},
                               gzip.compress(b"<urlset>" + b" " * (64 << 20))),
        })  # fmt: skip
        config = _crawl(site, "hostile-sources")
        config.update(feeds=[f"{base}/rss.xml", f"{base}/laughs.xml"],
                      sitemaps=[f"{base}/sitemap.xml.gz", f"{base}/bomb.xml"])  # fmt: skip
        site_cfg = parse_sites({"sites": [config]}).sites[0]
        outcome = run_site_crawl(
            site_cfg,
            user_agent="t",
            archive_uri=str(tmp_path / "archive"),
            run_id="r",
            settings=FAST_SETTINGS,
        )
    m = outcome.manifest
    by_url = {f.url.removeprefix(base): f.reason for f in m.failures}
    assert by_url == {
        "/articles/2026/12/01/loop-story-a": "redirect-loop",
        "/articles/2026/12/01/self-loop-story": "redirect-loop",
        "/laughs.xml": "xml-entities",
        "/sitemap.xml.gz": "decompression-limit",
        "/bomb.xml": "decompression-limit",
    }, m.failures
    assert m.stats.failures_by_reason == {"redirect-loop": 2, "xml-entities": 1, "decompression-limit": 2}
    assert m.stats.failed == 5 and m.complete
    row = summary_row(SiteResult(site_cfg.name, m), Thresholds())
    for reason in ("redirect-loop", "xml-entities", "decompression-limit"):
        assert reason in str(row["reasons"]), row


def crawl_huge_sitemap(archive: str) -> dict[str, Any]:
    """Crawl a 200,000-URL sitemap with max_pages 30; run in a fresh interpreter by the test, so
    the peak RSS of its children is the crawl child's (and its pool's), not other tests'."""
    with LocalSite() as site:
        base = site.base_url
        site.add_routes({"/sitemap.xml": Route(200, XML, _urlset(base, 200_000))})
        config = _crawl(site, "huge-sitemap", max_pages=30)
        config["sitemaps"] = [f"{base}/sitemap.xml"]
        site_cfg = parse_sites({"sites": [config]}).sites[0]
        outcome = run_site_crawl(
            site_cfg, user_agent="t", archive_uri=archive, run_id="r", settings=FAST_SETTINGS
        )
        fetched_articles = [path for path in site.requests if "/articles/" in path]
    m = outcome.manifest
    return {
        "discovered": m.stats.discovered,
        "skipped_over_limit": m.stats.skipped_over_limit,
        "reasons": sorted({f.reason for f in m.failures}),
        "fetched_articles": len(fetched_articles),
        "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def test_huge_sitemap_is_streamed_and_bounded_by_max_pages(tmp_path: Path) -> None:
    script = (
        "import json, sys; from tests.test_hostile_sources import crawl_huge_sitemap; "
        "print(json.dumps(crawl_huge_sitemap(sys.argv[1])))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "archive")],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["discovered"] == 30, got
    assert got["skipped_over_limit"] == 50_000 - 30
    assert "sitemap-too-large" in got["reasons"]
    assert got["fetched_articles"] <= 30
    assert got["peak_mb"] < 500, f"peak RSS of a crawl child {got['peak_mb']:.0f} MB"
    print(f"peak child RSS {got['peak_mb']:.0f} MB")
