"""The crawl benchmark's own parts: process-tree RSS sampling from /proc and its unique pages."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.bench_crawl import TreeSampler, cpu_ticks, descendants, parent_pids, rss_kib, source_pages

DATASET = Path(__file__).resolve().parent / "data" / "news-pages"


def test_rss_kib_reads_vmrss_and_zombies_have_none() -> None:
    status = "Name:\tpython\nVmPeak:\t  9000 kB\nVmRSS:\t  123456 kB\nThreads:\t4\n"
    assert rss_kib(status) == 123456
    assert rss_kib("Name:\tpython\nState:\tZ (zombie)\n") == 0


def test_cpu_ticks_reads_utime_stime_and_children_even_with_odd_names() -> None:
    # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
    stat = "4242 (py (x) 1) S 1 4242 4242 0 -1 4194560 10 0 0 0 70 30 500 100 20 0 9 0"
    assert cpu_ticks(stat) == 100
    assert cpu_ticks(stat, children=True) == 700
    own = cpu_ticks(Path(f"/proc/{os.getpid()}/stat").read_text())
    sum(i * i for i in range(3_000_000))  # burn some CPU: the ticks grow
    assert cpu_ticks(Path(f"/proc/{os.getpid()}/stat").read_text()) > own


def test_descendants_walks_the_whole_tree_but_not_the_root_or_others() -> None:
    parents = {1: 0, 10: 1, 11: 10, 12: 10, 13: 12, 20: 1, 21: 20}
    assert descendants(10, parents) == [11, 12, 13]
    assert descendants(13, parents) == []
    assert set(descendants(1, parents)) == {10, 11, 12, 13, 20, 21}


def test_parent_pids_and_sampler_see_a_real_child_and_its_grandchild() -> None:
    # a child that starts a grandchild holding ~40 MB, with "spiders.run" in its cmdline
    code = (
        "import subprocess, sys, time; "
        "g = subprocess.Popen([sys.executable, '-c', 'b = bytearray(40 << 20); import time; time.sleep(3)']); "
        "time.sleep(3); g.wait()"
    )
    child = subprocess.Popen([sys.executable, "-c", code, "spiders.run"])
    try:
        time.sleep(1.0)
        parents = parent_pids()
        assert parents[child.pid] == os.getpid()
        below = descendants(os.getpid(), parents)
        assert child.pid in below and len(below) >= 2
        sampler = TreeSampler(os.getpid(), interval=0.05)
        with sampler:
            time.sleep(0.5)
        assert sampler.peak_crawl_kib >= 40 << 10  # child + grandchild, the 40 MB included
        assert sampler.peak_tree_kib >= sampler.peak_crawl_kib
        assert sampler.workers_seen and child.pid not in sampler.workers_seen
        assert sampler.crawl_seconds is not None and sampler.crawl_seconds > 0.2
    finally:
        child.wait(10)


def test_source_pages_are_unique_copies_with_their_own_slugs() -> None:
    pages = source_pages(DATASET, 6, start=3)
    assert len(pages) == 6
    assert len({p.slug for p in pages}) == 6
    assert len({p.html for p in pages}) == 6
    assert all(b"(copy " in p.html for p in pages)
    assert pages[0].slug.endswith("-3") and pages[-1].slug.endswith("-8")


def test_copies_differ_in_article_text_even_to_the_site_profile_and_share_their_chrome() -> None:
    from benchmarks.bench_import import _MARK, _copy, _mark_article_text, copy_word
    from extraction.evaluate import _load_page, load_truth
    from extraction.profile import normalise_text

    assert [copy_word(n) for n in (0, 1, 25, 26, 27)] == ["a", "b", "z", "ba", "bb"]
    row = load_truth(DATASET)[0]
    html, hints = _load_page(str(DATASET), row)
    marked = _mark_article_text(html, row["body"])
    assert marked.count(_MARK) >= len(row["body"]) // 2  # the article's text blocks carry the mark
    (_, a), (_, b) = _copy(3, hints.url, marked), _copy(4, hints.url, marked)
    # the profile folds digits: copies told apart by a number would be one page repeated to it
    assert normalise_text(a) != normalise_text(b)

    def title(page: str) -> str:
        return page[page.index("<title") : page.index("</title>")]

    assert title(a) == title(b)  # what is not article text stays the same in every copy
