"""Site profiles: fingerprints, learning thresholds, protection of quotes, pruning (pure functions)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from lxml.html import document_fromstring

from extraction.extract import extract_and_fingerprint, extract_page
from extraction.model import Extraction, PageHints
from extraction.profile import (
    PageFingerprint,
    ProfileRules,
    SiteProfile,
    clean_lines,
    fingerprint,
    learn,
    normalise_text,
    page_blocks,
    prune_blocks,
    step,
)

CRAWLED = datetime(2026, 11, 23, 12, tzinfo=UTC)
QUOTE = (
    "We will rebuild the harbour wall before the winter storms arrive, whatever it costs us, the mayor said."
)
CHROME = "Get our morning briefing every weekday"
PROMO = "Try the app: stories chosen for you"


def _article(n: int, *, chrome: bool = True, quote: bool = False) -> str:
    """A page of one fictional site: shared chrome around text unique to page ``n``."""
    paragraphs = [
        f"Paragraph {n}.{i}: the council of town {n * 7 + i} met on a windy {['Monday', 'Friday'][i % 2]} "
        f"and argued about budget item {chr(65 + n)}{i} for a long time before voting."
        for i in range(6)
    ]
    if quote:
        paragraphs.insert(3, QUOTE)
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    box = f'<div class="kx-box"><p>{CHROME}</p></div>' if chrome else ""
    promo = f'<div class="zz-slot"><span>{PROMO}</span></div>' if chrome else ""
    return (
        f'<html><head><title>Story {n}</title></head><body><div class="wrap">{promo}'
        f'<main><article><h1>Story number {n} about the town</h1><div class="txt">{body}</div>{box}'
        f"</article></main></div></body></html>"
    )


def _hints(n: int) -> PageHints:
    return PageHints(url=f"https://news.example.org/2026/11/{n:02d}/story-{n}", crawled_at=CRAWLED)


def _profile(pages: list[str], site: str = "example") -> SiteProfile:
    fps = []
    for n, html in enumerate(pages):
        fp = extract_and_fingerprint(html, _hints(n))[1]
        assert fp is not None
        fps.append(fp)
    return learn(site, fps)


def test_normalise_and_step() -> None:
    assert normalise_text("  - Updated 12:30,  2 Nov ") == normalise_text("Updated 09:15, 14 nov")
    assert normalise_text("• Share") == "share"
    element = document_fromstring('<div class="Teaser-12 box  box"></div>').find(".//div")
    assert step(element) == "div.box.teaser-#"


def test_blocks_mark_main_container_and_long_sentences() -> None:
    tree = document_fromstring(_article(1, quote=True))
    blocks = page_blocks(tree)
    texts = {b.text: b for b in blocks}
    assert texts[QUOTE].in_main and texts[QUOTE].long
    assert not texts[CHROME].in_main and not texts[CHROME].long
    assert texts[PROMO].path == "div.wrap>div.zz-slot>span"  # loose text in a box is a block too
    fp = fingerprint("u", blocks + blocks)  # a block twice on one page counts once
    assert len(fp.blocks) == len({b.key for b in blocks})


def test_site_seen_once_learns_nothing_and_changes_nothing() -> None:
    html = _article(1)
    profile = _profile([html])
    assert not profile.rules()
    assert extract_page(html, _hints(1), profile.rules()).text == extract_page(html, _hints(1)).text


def test_repeated_chrome_is_learned_from_two_pages_and_removed() -> None:
    pages = [_article(n) for n in range(2)]
    profile = _profile(pages)
    rules = profile.rules()
    learned = {e.text for e in profile.learned()["blocks"]}
    assert CHROME in learned and PROMO in learned
    plain = extract_page(pages[0], _hints(0)).text
    cleaned = extract_page(pages[0], _hints(0), rules).text
    assert CHROME in plain
    assert CHROME not in cleaned and PROMO not in cleaned
    assert extract_page(pages[0], _hints(0), profile).text == cleaned  # a profile or its rules
    assert "Paragraph 0.3" in cleaned


def test_a_quote_shared_by_two_articles_is_kept() -> None:
    pages = [_article(n, quote=n < 2) for n in range(3)]
    rules = _profile(pages).rules()
    for n in range(2):
        assert QUOTE in extract_page(pages[n], _hints(n), rules).text


def test_a_quote_is_kept_on_a_larger_site_too() -> None:
    pages = [_article(n, quote=n < 3) for n in range(12)]
    profile = _profile(pages)
    assert profile.pages == 12
    text = extract_page(pages[0], _hints(0), profile.rules()).text
    assert QUOTE in text and CHROME not in text


def test_thresholds_need_more_pages_on_bigger_sites() -> None:
    fps = [
        PageFingerprint(page=str(n), blocks=[]) for n in range(10)
    ]  # ten pages, the block on only two of them
    profile = learn("s", fps)
    block = {"key": "k", "text_key": "t", "path": "div>p", "text": "Subscribe now"}
    profile.add(PageFingerprint.model_validate({"page": "a", "blocks": [block]}))
    profile.add(PageFingerprint.model_validate({"page": "b", "blocks": [block]}))
    assert profile.pages == 12 and not profile.rules()
    for page in "cde":
        profile.add(PageFingerprint.model_validate({"page": page, "blocks": [block]}))
    assert "k" in profile.rules().blocks_weak  # 5 of 15 pages


def test_a_page_counts_once_and_counts_decay() -> None:
    block = {"key": "k", "text_key": "t", "path": "div>p", "text": "Menu"}
    fp = PageFingerprint.model_validate({"page": "same", "blocks": [block]})
    profile = learn("s", [fp, fp])
    assert profile.pages == 1 and profile.blocks["k"].n == 1
    profile.thresholds.window = 4
    profile.add_all(PageFingerprint.model_validate({"page": str(n), "blocks": [block]}) for n in range(7))
    assert profile.pages == 4 and profile.blocks["k"].n == 4  # 8 of 8, scaled to the window
    assert profile.pages_total == 8


def test_forgets_oldest_single_sightings_beyond_the_cap() -> None:
    profile = SiteProfile(site="s")
    profile.thresholds.max_entries = 3
    shared = {"key": "shared", "text_key": "ts", "path": "p", "text": "x"}
    fps = [
        PageFingerprint.model_validate(
            {
                "page": str(n),
                "blocks": [shared, {"key": f"k{n}", "text_key": f"t{n}", "path": "p", "text": "y"}],
            }
        )
        for n in range(5)
    ]
    profile.add_all(fps)
    assert set(profile.blocks) == {"shared", "k3", "k4"}


def test_prune_budget_keeps_half_a_duplicate_page() -> None:
    html = _article(1)
    tree = document_fromstring(html)
    blocks = page_blocks(tree)
    rules = ProfileRules(blocks_strong={b.key for b in blocks})
    removed = prune_blocks(blocks, rules)
    total = sum(len(b.text) for b in blocks)
    assert 0 < sum(len(b.text) for b in removed) <= total / 2
    assert tree.find(".//h1") is not None


def test_line_rules_protect_long_lines_and_the_lead() -> None:
    from extraction.profile import short_hash

    short, long = (
        "Follow us",
        "This long line is a sentence of the article with more than twelve words in it.",
    )
    rules = ProfileRules(texts_weak={short_hash(normalise_text(x)) for x in (short, long, "Lead text")})
    body = "Body " * 40
    text = f"Lead text\n{short}\n{long}\n{body}"
    assert clean_lines(text, rules, keep=["Lead text"]) == f"Lead text\n{long}\n{body}"
    strong = ProfileRules(texts_strong={short_hash(normalise_text(long))})
    assert clean_lines(text, strong) == f"Lead text\n{short}\n{body}"
    everything = ProfileRules(texts_strong={short_hash(normalise_text(x)) for x in text.split("\n")})
    assert len(clean_lines(text, everything)) >= len(text) / 2  # the budget keeps half


def test_profile_json_round_trip() -> None:
    profile = _profile([_article(n) for n in range(3)])
    again = SiteProfile.model_validate_json(profile.model_dump_json())
    assert again.rules() == profile.rules()


def test_profile_storage_and_cli(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from archive.reader import ArchiveReader
    from archive.store import open_store
    from core.profiles import load_profile, save_profile
    from dateline.cli import app

    archive = str(tmp_path / "archive")
    store = open_store(archive)
    assert load_profile(store, "example") is None
    profile = _profile([_article(n) for n in range(3)])
    key = save_profile(store, profile, CRAWLED, "run-1")
    assert key == f"profiles/site=example/20261123T120000Z-{(profile.version or '').split('-')[1]}.json"
    assert save_profile(store, profile, CRAWLED, "run-1") == key  # same content: stored once
    later = learn("example", [], base=profile)
    later.add(PageFingerprint(page="new", blocks=[]))
    newer = save_profile(store, later, datetime(2026, 11, 24, tzinfo=UTC))
    assert ArchiveReader(store).profile_keys("example") == [key, newer]
    loaded = load_profile(store, "example")
    assert loaded is not None and loaded.pages == 4 and loaded.rules() == later.rules()

    runner = CliRunner()
    shown = runner.invoke(app, ["profile", "example", "--archive", archive, "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert data["pages"] == 4 and data["version"] == later.version
    assert any(row["text"] == CHROME and row["pages"] == 3 for row in data["blocks"])
    table = runner.invoke(app, ["profile", "example", "--archive", archive])
    assert table.exit_code == 0 and "learned blocks" in table.stdout
    versions = runner.invoke(app, ["profile", "example", "--archive", archive, "--versions"])
    assert versions.stdout.split() == [key, newer]
    assert runner.invoke(app, ["profile", "nothing", "--archive", archive]).exit_code == 1


def test_crawl_pipeline_recompiles_rules_after_its_first_pages(tmp_path: Path) -> None:
    from archive.store import open_store
    from archive.writer import ArchiveWriter
    from core.config import Site
    from core.profiles import REFRESH_FIRST, load_profile
    from spiders.pipelines import ArchivePipeline, clean_in_worker

    pipe = ArchivePipeline.__new__(ArchivePipeline)  # no crawler needed for the profile steps
    pipe.site = Site.model_validate({"name": "example", "feeds": ["https://news.example.org/rss"]})
    pipe.run_id = "r1"
    pipe.writer = ArchiveWriter(open_store(str(tmp_path / "archive")))
    pipe._open_profile()
    initial = pipe.rules_file  # the pool is shared by all sites of a process: rules go by file
    assert not pipe.rules and initial is not None
    for n in range(REFRESH_FIRST):
        fp = extract_and_fingerprint(_article(n), _hints(n))[1]
        assert fp is not None
        pipe.profile_session.learn(fp.model_dump_json())
        pipe.profile_session.learn(fp.model_dump_json())  # the same page again counts once
    assert pipe.profile_session.pages == REFRESH_FIRST and pipe.rules_file not in (None, initial)
    assert extract_page(_article(9), _hints(9), pipe.rules).text.count(CHROME) == 0
    # a worker gets the recompiled rules from the file the page names, not pickled with the page
    cleaned = clean_in_worker(_article(9).encode(), "utf-8", _hints(9).model_dump_json(), pipe.rules_file)
    assert Extraction.model_validate_json(cleaned["ok"]).text.count(CHROME) == 0
    rules_dir = pipe.profile_session.rules_dir
    assert rules_dir is not None and rules_dir.exists()
    pipe.pool = None
    pipe.close_spider()
    assert not rules_dir.exists()
    stored = load_profile(pipe.writer.store, "example")  # close_spider saved it
    assert stored is not None and stored.pages == REFRESH_FIRST and stored.run_id == "r1"


def test_eval_groups_pages_by_site_and_reports_both() -> None:
    from extraction.evalreport import render_report
    from extraction.evaluate import EvalReport, _averages, evaluate_site, load_truth, site_of
    from tests.fixtures.sites import DATASET_DIR as dataset

    assert site_of({"file": "html/de/WAZ_2024_03_08.html.gz", "url": "https://www.waz.de/x"}) == "WAZ"
    assert site_of({"file": "page.html", "url": "https://www.example.org/a"}) == "example.org"
    rows = [row for row in load_truth(dataset) if site_of(row) == "BR"]
    assert len(rows) == 3
    pages = evaluate_site((str(dataset), rows))
    assert all(p.plain is not None and p.site == "BR" for p in pages)
    ours, plain = _averages([p.ours for p in pages]), _averages([p.plain for p in pages if p.plain])
    assert ours["precision"] > plain["precision"] and ours["recall"] >= plain["recall"]  # a repeated line
    report = EvalReport(pages=pages, ours=ours, trafilatura=ours, plain=plain)
    assert "no profile" in render_report(report)


def test_a_long_run_keeps_the_profile_bounded(tmp_path: Path) -> None:
    """A run of many pages compacts as it goes: unique blocks do not pile up until the save."""
    from archive.store import open_store
    from core.profiles import ProfileSession

    session = ProfileSession(open_store(str(tmp_path / "archive")), "big")
    window = session.profile.thresholds.window
    shared = {"key": "shared", "text_key": "ts", "path": "nav", "text": "Menu"}
    for n in range(3 * window):
        own = [{"key": f"k{n}-{i}", "text_key": f"t{n}-{i}", "path": "p", "text": "x"} for i in range(5)]
        fp = PageFingerprint.model_validate({"page": str(n), "blocks": [shared, *own]})
        session.learn(fp.model_dump_json())
    assert session.pages == 3 * window
    assert len(session.profile.blocks) < 2 * 5 * window  # not the 3 * 5 * window sightings
    assert session.profile.pages <= window and session.profile.blocks["shared"].n >= window / 2
    assert "shared" in session.profile.rules().blocks_strong | session.profile.rules().blocks_weak


def test_a_worker_keeps_only_the_latest_rules_file_of_each_session(tmp_path: Path) -> None:
    """A crawl recompiles its rules into a new file per version; a worker holds one set per
    session folder (an import's sites each have theirs), and an older file still reads."""
    import pickle

    from spiders import cleanworker

    files = []
    for folder, n in (("a", 1), ("a", 2), ("b", 1)):
        (tmp_path / folder).mkdir(exist_ok=True)
        path = tmp_path / folder / f"rules-{n}.pickle"
        path.write_bytes(pickle.dumps(ProfileRules(texts_weak={f"{folder}{n}"})))
        files.append(str(path))
    cleanworker._worker_rules_files.clear()
    got = [cleanworker._rules_from(f) for f in files]
    assert [r.texts_weak if r else None for r in got] == [{"a1"}, {"a2"}, {"b1"}]
    assert {k: v[0] for k, v in cleanworker._worker_rules_files.items()} == {
        str(tmp_path / "a"): files[1],
        str(tmp_path / "b"): files[2],
    }
    late = cleanworker._rules_from(files[0])  # a page submitted before the refresh
    assert late is not None and late.texts_weak == {"a1"}
    cleanworker._worker_rules_files.clear()
