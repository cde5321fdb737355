"""Evaluation metrics and the dataset run (small subset)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extraction.evaluate import (
    METRICS,
    PageResult,
    Scores,
    check_floors,
    evaluate,
    fold,
    lcs_length,
    load_floors,
    page_diff,
    render_report,
    rouge_l,
    same_authors,
    score_body,
    shingles,
    tokenize,
    worst_pages,
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
    from extraction.evaluate import EvalReport

    report = EvalReport(pages=[], ours=report_ours, trafilatura={})
    assert check_floors(report, {"f1": 0.96, "date": 0.98}) == []
    failures = check_floors(report, {"f1": 0.98, "nonsense": 0.1})
    assert len(failures) == 2 and failures[0].startswith("f1")
    assert set(load_floors()) <= {*METRICS, "errors", "pages_per_s"}


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
    from extraction.evaluate import EvalReport

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
