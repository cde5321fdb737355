"""Evaluation metrics and the dataset run (small subset)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extraction.evalreport import (
    check_floors,
    confidence_ranking,
    derived,
    halves,
    load_floors,
    page_diff,
    render_report,
    worse_than_trafilatura,
    worst_pages,
)
from extraction.evaluate import (
    METRICS,
    SNIPPET_METRICS,
    EvalReport,
    PageResult,
    Scores,
    evaluate,
    fold,
    half_of,
    lcs_length,
    make_report,
    rouge_l,
    same_authors,
    score_body,
    score_snippets,
    shingles,
    site_of,
    tokenize,
)
from tests.fixtures.sites import DATASET_DIR, SHARED_DATASET, needs_shared_dataset


def test_tokenize_words_and_cjk_characters() -> None:
    assert tokenize("Hello, World! Grüße") == ["hello", "world", "grüsse"]  # casefolded
    assert tokenize("東京都 2024年") == ["東", "京", "都", "2024", "年"]
    assert tokenize("한국 뉴스") == ["한국", "뉴스"]  # Hangul separates words with spaces
    assert tokenize("Brenn\u00adpunkt") == ["brennpunkt"]  # soft hyphens do not split words


def test_shingle_scores() -> None:
    truth = ["one two three four five six"]
    assert score_body("one two three four five six", truth)["f1"] == 1.0
    half = score_body("one two three four five six seven eight nine", truth)
    assert half["recall"] == 1.0 and half["precision"] == pytest.approx(3 / 6)
    assert score_body("", truth)["f1"] == 0.0
    assert score_body("", [])["f1"] == 1.0
    assert sum(shingles(["a", "b"]).values()) == 1  # short texts still count


def test_lcs_and_rouge() -> None:
    assert lcs_length(list("ABCBDAB"), list("BDCABA")) == 4
    assert lcs_length([], ["a"]) == 0
    assert rouge_l(["a", "b", "c"], ["a", "b", "c"]) == 1.0
    assert rouge_l(["x"], ["a", "b"]) == 0.0


def test_title_and_author_folding() -> None:
    assert fold("  Trump’s “Deal”: Done! ") == fold("trump s deal done")
    assert same_authors(["Jane  Doe", "JOHN SMITH"], ["john smith", "Jane Doe"])
    assert same_authors([], None)
    assert not same_authors(["Jane Doe"], None)


def test_check_floors() -> None:
    report_ours = {"f1": 0.97, "date": 0.99}
    report = EvalReport(name="news-pages", pages=[], ours=report_ours, trafilatura={})
    assert check_floors(report, {"f1": 0.96, "date": 0.98, "not_worse": 0.97}) == []
    failures = check_floors(report, {"f1": 0.98, "nonsense": 0.1})
    assert len(failures) == 2 and failures[0].startswith("news-pages: f1")
    floors = load_floors()
    assert {"news-pages", "trafilatura-eval"} <= set(floors)
    known = {*METRICS, *SNIPPET_METRICS, "errors", "pages_per_s", "not_worse"}
    assert all(set(f) <= known for f in floors.values())


def test_load_floors_reads_the_old_flat_file(tmp_path: Path) -> None:
    old = tmp_path / "floors.json"
    old.write_text('{"f1": 0.9, "date": 0.95}')
    assert load_floors(old) == {"news-pages": {"f1": 0.9, "date": 0.95}}


def test_snippet_scores_collapse_whitespace() -> None:
    text = "Die  Stadt\nlädt ein.\nImpressum Kontakt"
    scores = score_snippets(text, ["Stadt lädt ein", "fehlt hier"], ["Impressum", "Newsletter"])
    assert scores.lost == [1] and scores.kept == [0]
    assert scores.precision == 0.5 and scores.recall == 0.5


def _snippet_page(site: str, ours_lost: list[int], base_lost: list[int], kept: list[int]) -> PageResult:
    return PageResult(
        file=f"{site}.html.gz",
        url=f"https://{site}/",
        site=site,
        ours=Scores(lost=ours_lost, kept=kept),
        trafilatura=Scores(lost=base_lost),
        truth_with=["a", "b"],
        truth_without=["x", "y"],
        confidence=0.1 if ours_lost else 0.9,
    )


def test_worse_than_trafilatura_and_the_set_figures() -> None:
    pages = [
        _snippet_page("one.example", [0], [], []),  # loses what trafilatura finds: worse
        _snippet_page("two.example", [0], [0], []),  # both lose it: not worse
        _snippet_page("three.example", [], [], [1]),  # keeps boilerplate trafilatura dropped: worse
        _snippet_page("four.example", [], [1], []),  # better
    ]
    assert [worse_than_trafilatura(p) for p in pages] == [True, False, True, False]
    report = make_report("set", pages)
    assert report.kind == "snippets"
    # 8 with snippets: 2 lost; 8 without: 1 kept
    assert report.ours["recall"] == pytest.approx(6 / 8)
    assert report.ours["precision"] == pytest.approx(6 / 7)
    assert report.ours["pages_with_miss"] == 3
    assert derived(report) == {"not_worse": 0.5, "worse": 2.0, "better": 1.0}
    ranking = confidence_ranking(report, share=0.5)
    assert ranking["pages"] == 2 and ranking["worse_in_low"] == 1 and ranking["worse"] == 2
    assert sum(len(h.pages) for h in halves(report).values()) == 4
    text = render_report(report)
    assert "worse than trafilatura: 2 of 4 pages" in text and "lowest-confidence decile" in text
    assert "lowest decile (1 pages) holds" in text  # the decile per half, too


def test_half_and_site_of_snippet_pages() -> None:
    assert half_of("example.org") == half_of("example.org") and {half_of(f"s{i}") for i in range(9)} == {
        "A",
        "B",
    }
    archived = {"file": "html/a.html.gz", "url": "https://web.archive.org/web/2016/http://www.blog.de/x"}
    assert site_of(archived) == "blog.de"
    assert site_of({"file": "html/odd.page.html.gz", "url": "hard::odd.page.html"}) == "odd.page"


def test_page_diff_and_worst_pages() -> None:
    page = PageResult(
        file="x",
        url="u",
        ours=Scores(f1=0.5),
        trafilatura=Scores(),
        text="kept line that is in the truth\nsubscribe to our newsletter today please",
        truth_body=["kept line that is in the truth", "a missed paragraph of the article text"],
    )
    extra, missed = page_diff(page)
    assert extra == ["subscribe to our newsletter today please"]
    assert missed == ["a missed paragraph of the article text"]
    text = worst_pages(EvalReport(pages=[page], ours={}, trafilatura={}), 1)
    assert "+ subscribe" in text and "- a missed" in text


@pytest.mark.parametrize(
    "dataset", [DATASET_DIR, pytest.param(SHARED_DATASET, marks=needs_shared_dataset)], ids=["repo", "shared"]
)
def test_evaluate_subset_ours_at_least_trafilatura(dataset: Path) -> None:
    report = evaluate(dataset, limit=10)
    assert len(report.pages) == 10
    for side in (report.ours, report.trafilatura):
        for name in METRICS:
            assert 0.0 <= side[name] <= 1.0, (name, side[name])
    assert report.ours["f1"] >= report.trafilatura["f1"]
    assert report.ours["date"] >= report.trafilatura["date"]
    table = render_report(report)
    assert "ours" in table and "trafilatura" in table and "f1" in table
    json.dumps(report.model_dump())  # serialisable for CI artifacts
