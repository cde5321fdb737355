"""Site profiles across crawls and in `dateline extract`: learned from one crawl, stored in the
archive, applied by the next; repeated chrome the generic cleaning misses goes, a shared quote stays.

The local site serves real pages of different publishers with the same injected site chrome (a
held-out check: nothing here is in the evaluation set's truth or tuned on it).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html
from typer.testing import CliRunner

from archive.reader import ArchiveReader
from archive.store import open_store
from core.config import parse_sites
from core.profiles import load_profile, save_profile
from dateline.cli import app
from demosite import NewsSite, SourcePage
from extraction.extract import extract_and_fingerprint, extract_page
from extraction.model import PageHints
from extraction.profile import learn
from spiders.crawljob import run_site_crawl
from tests.e2e_helpers import FAST_SETTINGS
from tests.fixtures.sites import truth_pages

# Site chrome in neutral markup and words no generic rule knows, placed inside the article body.
CHROME = "Weekend picks from the culture desk sit in our calendar"
LEGAL = (
    "All material on this page is the property of the publishing house and may be reused only "
    "with the written consent of its editors and the named photographers."
)
QUOTE = (
    "The harbour wall will be rebuilt before the winter storms arrive, whatever it costs, "
    "the mayor told the assembled residents on the quay."
)


def _main_paragraph(tree: Any) -> Any:
    """The first paragraph of the container holding the most paragraph text."""
    weight: dict[Any, int] = {}
    for p in tree.iter("p"):
        parent = p.getparent()
        if parent is not None:
            weight[parent] = weight.get(parent, 0) + len(p.text_content())
    container = max(weight, key=lambda k: weight[k])
    return next(p for p in container if p.tag == "p")


def with_chrome(page: SourcePage, quote: bool) -> SourcePage:
    """The page with the site's chrome (and optionally the quote) after its first paragraph."""
    tree = lxml_html.document_fromstring(page.html)
    first = _main_paragraph(tree)
    extra = [CHROME, LEGAL, *([QUOTE] if quote else [])]
    for text in reversed(extra):
        p = lxml_html.Element("p")
        p.text = text
        first.addnext(p)
    body = lxml_html.tostring(tree, encoding="utf-8", doctype="<!DOCTYPE html>")
    return dataclasses.replace(page, html=body, encoding="utf-8")


def chrome_pages(n: int = 8, seed: int = 3) -> list[SourcePage]:
    return [with_chrome(page, quote=i < 2) for i, page in enumerate(truth_pages(n, seed=seed))]


def _hints(url: str) -> PageHints:
    return PageHints(url=url, crawled_at=datetime.now(UTC))


def _texts(archive: str) -> dict[str, str]:
    return {r.url: r.text for r in ArchiveReader(open_store(archive)).iter_records()}


@pytest.mark.slow
def test_a_crawl_writes_a_profile_and_the_next_crawl_applies_it(
    site_factory: Callable[..., NewsSite], archive_uri: str
) -> None:
    pages = chrome_pages()
    local = site_factory(pages, name="chrome-news")
    site = parse_sites({"sites": [local.site_config()]}).sites[0]

    first = run_site_crawl(site, user_agent="t", archive_uri=archive_uri, run_id="r1", settings=FAST_SETTINGS)
    assert first.manifest.complete
    store = open_store(archive_uri)
    keys = ArchiveReader(store).profile_keys("chrome-news")
    assert len(keys) == 1 and keys[0].startswith("profiles/site=chrome-news/")
    profile = load_profile(store, "chrome-news")
    assert profile is not None and profile.pages == len(pages) and profile.run_id == "r1"
    learned = {e.text for e in profile.learned()["texts"]}
    assert CHROME in learned and LEGAL in learned and QUOTE not in learned

    assert len(_texts(archive_uri)) == len(pages)
    for page in pages:  # without a profile, generic cleaning keeps the chrome
        assert CHROME in extract_page(page.html.decode("utf-8"), _hints(page.meta["url"])).text

    second = run_site_crawl(
        site, user_agent="t", archive_uri=archive_uri, run_id="r2", refresh=True, settings=FAST_SETTINGS
    )
    assert second.manifest.complete
    # pages cleaned in the first crawl before it had evidence get cleaner text now: the loaded
    # profile applies from the second crawl's first page on
    assert second.manifest.stats.stored_new_version >= 1
    after = _texts(archive_uri)
    assert not any(CHROME in t or LEGAL in t for t in after.values())
    assert sum(QUOTE in t for t in after.values()) == 2, "a quote two articles share is kept"
    # the same pages again teach nothing new: no new profile version
    assert ArchiveReader(store).profile_keys("chrome-news") == keys


def test_extract_learns_from_all_pages_of_a_site(tmp_path: Path) -> None:
    pages = chrome_pages(6, seed=5)
    entries = []
    for i, page in enumerate(pages):
        path = tmp_path / f"page{i}.html"
        path.write_bytes(page.html)
        entries.append({"path": path.name, "url": page.meta["url"], "site": "chrome-news"})
    manifest = tmp_path / "pages.jsonl"
    manifest.write_text("\n".join(json.dumps(e) for e in entries) + "\n", encoding="utf-8")
    runner = CliRunner()

    result = runner.invoke(app, ["extract", "--manifest", str(manifest)])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(pages) and all("text" in o for o in out)
    assert not any(CHROME in o["text"] or LEGAL in o["text"] for o in out)
    assert sum(QUOTE in o["text"] for o in out) == 2

    files = [str(tmp_path / e["path"]) for e in entries[:1]]
    single = runner.invoke(app, ["extract", "--site", "chrome-news", *files])
    assert CHROME in json.loads(single.stdout)["text"], "one page: nothing to learn, plain cleaning"

    # with the site's stored profile (here learned from the other pages), one page is enough
    archive = str(tmp_path / "archive")
    fps = []
    for page, entry in zip(pages[1:], entries[1:], strict=True):
        fp = extract_and_fingerprint(page.html.decode("utf-8"), _hints(entry["url"]))[1]
        assert fp is not None
        fps.append(fp)
    save_profile(open_store(archive), learn("chrome-news", fps), datetime.now(UTC))
    stored = runner.invoke(app, ["extract", "--site", "chrome-news", "--profiles-from", archive, *files])
    assert stored.exit_code == 0, stored.output
    assert CHROME not in json.loads(stored.stdout)["text"]
