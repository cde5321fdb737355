"""Duplicates and retellings: exact copies become aliases, near-copies share a cluster id, and
the five tellings of one story (tests/data/outlet-texts) find each other but no unrelated
article of the news-pages dataset, even one about Russia and Ukraine in the same week."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from archive import feed, keys, similarity, simindex
from archive.reader import ArchiveReader
from archive.records import ArticleRecord
from archive.store import open_store
from archive.writer import ArchiveWriter
from dateline.cli import app
from tests.fixtures.s3 import SeaweedFS, s3_env
from tests.fixtures.sites import DATASET_DIR, SHARED_DATASET, load_truth, needs_shared_dataset
from tests.test_writer import make_record

OUTLETS = DATASET_DIR.parent / "outlet-texts"
TOPICAL_TRUTH = DATASET_DIR.parent / "topical-truth.jsonl"  # hard negatives: same countries, same words
# (headline, publication date) of each telling, as the texts state them
TELLINGS = {
    "outlet-1": ("Russia Doubts Bright Future for US Economic Ties, Lavrov Says", "2026-02-05"),
    "outlet-2": ("Lavrov sees no bright economic future with the US", "2026-02-09"),
    "outlet-3": ("Lavrov talks US reluctance to follow through with peace proposals", "2026-02-09"),
    "outlet-4": ("Lavrov: agreeing a peace deal with the US is not easy", "2026-02-10"),
    "outlet-5": (
        "Russia accuses US of backing out of alleged Ukraine territory surrender agreement",
        "2026-02-09",
    ),
}
SAME_WEEK = "2026-02-09"  # every unrelated article is filed in the tellings' week: content must decide
TOPICAL = re.compile(r"Russia|Russland|Ukrain|Putin|Kremlin|NATO|Nato|Lavrov|Moscow|Moskau|Washington")


def telling(name: str) -> ArticleRecord:
    title, published = TELLINGS[name]
    text = (OUTLETS / f"{name}.txt").read_text(encoding="utf-8")
    return make_record(text, url=f"https://{name}.example/story", site=name, published=published, title=title)


def dataset_record(truth: dict[str, str | list[str]], published: str = SAME_WEEK) -> ArticleRecord:
    site = str(truth["publisher"]).lower()
    text = "\n\n".join(truth["body"])
    return make_record(text, url=str(truth["url"]), site=site, published=published, title=str(truth["title"]))


def full_dataset_truth() -> list[dict[str, Any]]:
    """The truth of the whole news-pages dataset beside the repo (the dataset-wide gate)."""
    lines = (SHARED_DATASET / "truth.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def repo_truth() -> list[dict[str, Any]]:
    """The in-repo pages' truth plus the texts of the dataset's other topical articles."""
    lines = TOPICAL_TRUTH.read_text(encoding="utf-8").splitlines()
    return [*load_truth(), *(json.loads(line) for line in lines if line.strip())]


def unrelated(
    every: int, limit: int | None = None, truths: Sequence[dict[str, Any]] = ()
) -> list[ArticleRecord]:
    """Every dataset article about Russia, Ukraine, NATO or Washington, plus every n-th other
    one (of ``truths``, default the in-repo pages); with ``limit``, only that many, the
    closest to the story first."""
    truths = truths or repo_truth()
    picked = [t for i, t in enumerate(truths) if TOPICAL.search(" ".join(t["body"])) or i % every == 0]
    return hardest_first([dataset_record(t) for t in picked])[:limit]


def hardest_first(records: list[ArticleRecord]) -> list[ArticleRecord]:
    """Unrelated articles by their best story score against any telling, highest first."""
    features = [similarity.story_features(telling(name).text) for name in TELLINGS]

    def best(rec: ArticleRecord) -> float:
        own = similarity.story_features(rec.text)
        return max(similarity.weighted_jaccard(own, f) for f in features)

    return sorted(records, key=best, reverse=True)


@dataclass
class Archive:
    reader: ArchiveReader
    writer: ArchiveWriter
    uri: str
    tellings: dict[str, str]  # site -> id
    others: dict[str, ArticleRecord]  # URL -> record
    kind: str  # local or s3

    def hardest(self) -> list[ArticleRecord]:
        return hardest_first(list(self.others.values()))


@pytest.fixture(
    scope="module",
    params=[
        "local",
        pytest.param("full-dataset", marks=needs_shared_dataset),
        pytest.param("s3", marks=pytest.mark.slow),
    ],
)
def stories(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    """The five tellings and the unrelated articles, archived once per store for the module."""
    with pytest.MonkeyPatch.context() as mp:
        if request.param == "s3":
            server: SeaweedFS = request.getfixturevalue("seaweedfs")
            bucket = f"test-{uuid.uuid4().hex[:20]}"
            server.client().create_bucket(Bucket=bucket)
            for name, value in s3_env(server).items():
                mp.setenv(name, value)
            uri, every, limit = f"s3://{bucket}/archive", 1000, 16  # the closest ones: S3 puts are slower
        else:
            # all 40 in-repo pages; of the full dataset (235) the topical ones and every 4th
            every = 4 if request.param == "full-dataset" else 1
            uri, limit = str(tmp_path_factory.mktemp("stories") / "archive"), None
        truths = full_dataset_truth() if request.param == "full-dataset" else repo_truth()
        store = open_store(uri)
        writer = ArchiveWriter(store)
        tellings = {}
        for name in TELLINGS:
            rec = telling(name)
            assert writer.store_article(rec) == "new"
            tellings[name] = rec.id
        with ThreadPoolExecutor(max_workers=4) as pool:  # as a crawl does: stores run in threads
            records = unrelated(every, limit, truths)
            statuses = list(pool.map(writer.store_article, records))
        others = {rec.url: rec for rec, status in zip(records, statuses, strict=True) if status == "new"}
        announced = sum(status in ("new", "new_version") for status in statuses)  # what the feed carries
        assert simindex.update(store) == len(tellings) + announced  # the batch step (compaction)
        yield Archive(ArchiveReader(store), writer, uri, tellings, others, request.param)


def test_the_five_tellings_find_each_other_and_nothing_else(stories: Archive) -> None:
    assert len(stories.others) >= 16
    ids = set(stories.tellings.values())
    for site, id_ in stories.tellings.items():
        found = stories.reader.similar(id_)
        assert {m.id for m in found} == ids - {id_}, (site, [(m.site, m.score) for m in found])
        assert all(m.score >= similarity.STORY_THRESHOLD and not m.near_duplicate for m in found)
        assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    clusters = {stories.reader.cluster(id_) for id_ in ids}
    assert len(clusters) == 5  # retellings, not copies: each its own near-duplicate cluster
    story = {stories.reader.story_cluster(id_) for id_ in ids}
    assert story == {stories.tellings["outlet-1"]}  # one story cluster, named by the first stored
    others = {stories.reader.story_cluster(rec.id) for rec in stories.others.values()}
    assert not others & story, "an unrelated article was clustered with the tellings"


def test_unrelated_articles_do_not_find_the_tellings(stories: Archive) -> None:
    """From their side too (locally every one; on S3 the ten closest to the story)."""
    ids = set(stories.tellings.values())
    checked = stories.hardest()[: 10 if stories.kind == "s3" else None]
    assert sum(bool(TOPICAL.search(r.text)) for r in checked) >= 10
    for rec in checked:
        found = {m.id for m in stories.reader.similar(rec.id)}
        assert not found & ids, rec.url


def test_cli_similar_lists_id_site_title_score(stories: Archive) -> None:
    result = CliRunner().invoke(app, ["similar", stories.tellings["outlet-3"], "--archive", stories.uri])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["site"] for r in rows} == {"outlet-1", "outlet-2", "outlet-4", "outlet-5"}
    assert all({"id", "site", "title", "score"} <= set(r) for r in rows)
    missing = CliRunner().invoke(app, ["similar", "0" * 20, "--archive", stories.uri])
    assert missing.exit_code == 1


def test_an_article_stored_since_the_last_indexing_batch_is_signed_on_the_fly(stories: Archive) -> None:
    late = telling("outlet-2").model_copy(update={"site": "outlet-2-mirror"})
    late = late.model_copy(
        update={"id": keys.article_id("https://mirror.example/x"), "url": "https://mirror.example/x"}
    )
    ArchiveWriter(stories.writer.store).store_article(late)
    assert stories.reader.signature(late.id) is None
    found = {m.site for m in stories.reader.similar(late.id)}
    assert {"outlet-1", "outlet-3", "outlet-4", "outlet-5"} <= found
    assert "outlet-2" in found  # the same text elsewhere: a near-duplicate
    # the next batch indexes it (and only it): then the others find it too
    assert simindex.update(stories.writer.store) == 1
    assert stories.reader.cluster(late.id) == stories.tellings["outlet-2"]
    assert "outlet-2-mirror" in {m.site for m in stories.reader.similar(stories.tellings["outlet-1"])}
    assert simindex.update(stories.writer.store) == 0


def test_lsh_parameters_are_datasketchs_optimum() -> None:
    from datasketch import MinHashLSH

    near = MinHashLSH(threshold=similarity.NEAR_THRESHOLD, num_perm=similarity.NEAR_PERM)
    assert (near.b, near.r) == (similarity.NEAR_BANDS, similarity.NEAR_ROWS)
    story = MinHashLSH(threshold=0.05, num_perm=similarity.STORY_PERM)
    assert (story.b, story.r) == (similarity.STORY_BANDS, similarity.STORY_ROWS)


# ------------------------------------------------------------------ near and exact duplicates


def test_near_duplicates_share_a_cluster(archive_uri: str) -> None:
    store = open_store(archive_uri)
    writer, reader = ArchiveWriter(store), ArchiveReader(store)
    original = telling("outlet-3").model_copy(update={"site": "wire"})
    copy_text = (
        original.text.replace("Moscow", "MOSCOW").replace("said", "told reporters")
        + "\n\nReporting by staff."
    )
    copy = make_record(
        copy_text, url="https://copy.example/a", site="copy", published="2026-02-09", title="Copy"
    )
    other = telling("outlet-4")
    for rec in (original, copy, other):
        assert writer.store_article(rec) == "new"
    assert simindex.update(store) == 3
    assert reader.cluster(copy.id) == reader.cluster(original.id) == original.id
    assert reader.cluster(other.id) == other.id
    assert reader.story_cluster(copy.id) == reader.story_cluster(other.id) == original.id  # same story
    found = {m.id: m for m in reader.similar(original.id)}
    assert found[copy.id].near_duplicate and found[copy.id].score >= similarity.NEAR_THRESHOLD
    assert not found[other.id].near_duplicate


def test_a_republished_dataset_article_is_a_near_duplicate(tmp_path: Path) -> None:
    """Two pages of the dataset carry one taz article (3-shingle Jaccard 0.81)."""
    truths = {t["file"].rsplit("/", 1)[-1]: t for t in load_truth()}
    assert DATASET_DIR.is_dir()
    a, b = (dataset_record(truths[f"Taz_{d}.html.gz"], "2023-04-28") for d in ("2023_04_28", "2024_10_23"))
    b = b.model_copy(update={"id": keys.article_id(b.url + "#2"), "url": b.url + "#2"})
    store = open_store(str(tmp_path / "archive"))
    writer, reader = ArchiveWriter(store), ArchiveReader(store)
    writer.store_article(a)
    simindex.update(store)  # two batches: the second finds the first in the index
    writer.store_article(b)
    simindex.update(store)
    assert len(list(store.list("sims/segments/"))) == 2
    assert reader.cluster(b.id) == reader.cluster(a.id) == a.id


def test_same_text_under_another_url_is_stored_once_as_an_alias(archive_uri: str) -> None:
    store = open_store(archive_uri)
    writer, reader = ArchiveWriter(store), ArchiveReader(store)
    first = make_record("The harbour reopened on Sunday.", url="https://news.example/a/harbour")
    print_copy = make_record(
        "The harbour reopened on Sunday.",
        url="https://news.example/print/harbour",
        aliases=["https://news.example/print/harbour?page=1"],
    )
    assert first.content_hash == print_copy.content_hash and first.id != print_copy.id
    assert writer.store_article(first) == "new"
    assert writer.store_article(print_copy) == "alias"
    assert writer.store_article(print_copy) == "alias"  # a rerun changes nothing
    assert len(list(store.list("articles/"))) == 1
    assert len(feed.changes(store)[0]) == 1  # the alias is not a new record

    [alias] = reader.aliases(first.id)
    assert (alias.id, alias.alias_id, alias.url) == (first.id, print_copy.id, print_copy.url)
    for url in alias.urls():
        assert writer.is_archived("example", url)  # incremental crawls skip the alias URLs
        got = reader.get_by_url(url)
        assert got is not None and got.id == first.id

    # another publication date or another site: not the same publication
    next_day = make_record(
        "The harbour reopened on Sunday.", url="https://news.example/b", published="2026-11-21"
    )
    other_site = make_record("The harbour reopened on Sunday.", url="https://other.example/a", site="other")
    assert writer.store_article(next_day) == "new"
    assert writer.store_article(other_site) == "new"
