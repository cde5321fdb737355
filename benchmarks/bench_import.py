"""Speed of the WARC import vs plain trafilatura on the same pages (a benchmark, not a test).

    uv run python benchmarks/bench_import.py [DATASET] [--pages N] [--workers W] [--repeat R] [--json FILE]

- import: a ``.warc.gz`` of N real pages (the news-pages dataset cycled; each copy made unique by
  its URL and its article text, chrome shared as on a real site: every copy is a new store) imported into a fresh local archive for sites covering
  their hosts, with W cleaning processes: reading, cleaning with site profiles, dating, storing
  (record, similarity, feed, markers). Wall time from the start of the import to its end (the
  pool's start included).
- trafilatura: ``bare_extraction(html, url=..., with_metadata=True)`` over the same decoded pages
  in a pool of W processes (started before timing), same run. With ``--repeat R`` the two
  alternate R times (a fresh archive each time) and the ratio is of each one's best time: this
  machine's speed drifts by tens of percent over minutes, and one pair can land on different
  speeds (every time is printed too).
- skip: a WARC of the same N pages under hosts no site covers, imported on one core: records/s
  of deciding "other domain" (what most records of a CC-NEWS file cost); baseline: warcio
  iterating the same file with the same decision per record (it inflates every member).
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import re
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.warc import parse_warc_date, warc_date  # noqa: E402
from backfill.importer import import_warc  # noqa: E402
from backfill.selection import build_selection  # noqa: E402
from core.times import utcnow  # noqa: E402
from extraction.evaluate import _load_page, load_truth  # noqa: E402

DEFAULT_DATASET = ROOT.parent / "shared" / "datasets" / "news-pages"
_BODY = re.compile(r"(<body[^>]*>)", re.IGNORECASE)
_MARK = "{{dateline-copy-mark}}"  # where a copy's number goes: the end of each article text block
# text blocks; a block holding another block is a container, not a text block
_BLOCKS = frozenset(
    {
        "p",
        "li",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "td",
        "th",
        "blockquote",
        "figcaption",
        "dd",
        "dt",
        "pre",
        "div",
    }
)


def _mark_article_text(html: str, body: list[str]) -> str:
    """The page with ``_MARK`` at the end of every text block whose text is part of the article
    (the truth body), and nowhere else: a site's copies then share their chrome (menus, footers,
    teasers), as a real site's pages do, and differ in all of their article text, as a real
    site's articles do. (Marking every ``<p>`` left the article's other blocks, lists and
    subheadings, shared by a page's ~9 copies, so the site profile learned them as boilerplate,
    and cut text no real profile cuts.)"""
    from lxml import html as lxml_html

    article = " ".join(" ".join(line.split()) for line in body)
    tree = lxml_html.document_fromstring(html)
    for element in tree.iter(*_BLOCKS):
        if any(d.tag in _BLOCKS for d in element.iterdescendants()):
            continue
        text = " ".join(element.text_content().split())
        if len(text) < 15 or text not in article:
            continue
        if len(element):
            element[-1].tail = (element[-1].tail or "") + _MARK
        else:
            element.text = (element.text or "") + _MARK
    return lxml_html.tostring(tree.getroottree(), encoding="unicode")


def copy_word(n: int) -> str:
    """``n`` in letters (a, b, ..., z, ba, bb ...). Not digits: the site profile folds digits
    (dates, counters), so "(copy 3)" and "(copy 4)" read as one text to it, and a site's copies
    of one page looked like one page repeated: its whole article text was learned as boilerplate."""
    letters = ""
    while True:
        n, r = divmod(n, 26)
        letters = "abcdefghijklmnopqrstuvwxyz"[r] + letters
        if not n:
            return letters


def _copy(n: int, url: str, html: str) -> tuple[str, str]:
    """Copy ``n`` of a marked page: a path of its own and every article text block ending with
    the copy's word."""
    parts = urlsplit(url)  # a path of its own (query parameters may be normalised away)
    word = copy_word(n)
    note = f"<p>Archive copy {word}: this sentence makes the page unique for the benchmark.</p>"
    at = m.end() if (m := _BODY.search(html)) else 0
    unique = parts._replace(path=f"/copy-{n}{parts.path}").geturl()
    return unique, (html[:at] + note + html[at:]).replace(_MARK, f" (copy {word})")


def _copies_differ(html: str) -> bool:
    """Whether the copy mark reaches the page's main text (not only the added note)."""
    import trafilatura

    return f"(copy {copy_word(1)})" in (trafilatura.extract(_copy(1, "http://x.test/", html)[1]) or "")


def unique_copies(dataset: Path, count: int) -> list[tuple[int, str, str]]:
    """(truth row index, url, html) x count: the dataset cycled, each copy with its own URL and
    article text, so each copy's article text (content hash) is new and every record is a new
    store, not an alias or an "unchanged" no-op. Pages whose article text the mark does not reach
    (their copies would be exact duplicates) are left out; trafilatura tells them, on two
    processes, once per run."""
    return list(iter_unique_copies(dataset, count))


def iter_unique_copies(dataset: Path, count: int, start: int = 0) -> Iterator[tuple[int, str, str]]:
    """``unique_copies`` ``start`` .. ``count - 1``, made one at a time: a caller that keeps only
    each copy's bytes holds ~1/3 of the memory (20,000 copies as a list of str and then of bytes
    took ~21 GB, since the heap kept what the str copies had used)."""
    rows = load_truth(dataset)
    base = []
    for row in rows:
        html, hints = _load_page(str(dataset), row)
        base.append((hints.url, _mark_article_text(html, row.get("body") or [])))
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        marked = pool.map(_copies_differ, [html for _, html in base], chunksize=8)
        usable = [i for i, ok in enumerate(marked) if ok]
    for n in range(start, count):
        index = usable[n % len(usable)]
        yield (index, *_copy(n, *base[index]))


def unique_pages(dataset: Path, count: int) -> list[tuple[str, str]]:
    """(url, html) of ``unique_copies``."""
    return [(url, html) for _, url, html in unique_copies(dataset, count)]


def write_warc(path: Path, pages: list[tuple[str, str]], host_map: dict[str, str] | None = None) -> None:
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        for url, html in pages:
            if host_map is not None:
                parts = urlsplit(url)
                url = parts._replace(netloc=host_map[parts.netloc]).geturl()
            body = html.encode("utf-8")
            http = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                               http_headers=http, warc_headers_dict={"WARC-Date": warc_date(utcnow())})  # fmt: skip
            writer.write_record(record)


def sites_file(path: Path, pages: list[tuple[str, str]]) -> Path:
    hosts = sorted({urlsplit(url).netloc for url, _ in pages})
    sites = [{"name": re.sub(r"[^a-z0-9]+", "-", h.lower()).strip("-")[:60], "start_urls": [f"https://{h}/"]}
             for h in hosts]  # fmt: skip
    path.write_text(yaml.safe_dump({"sites": sites}), encoding="utf-8")
    return path


def _trafilatura(page: tuple[str, str]) -> int:
    import trafilatura

    doc = trafilatura.bare_extraction(page[1], url=page[0], with_metadata=True)
    return len(getattr(doc, "text", "") or "") if doc is not None else 0


def _warm(_: int) -> int:
    import trafilatura  # noqa: F401

    return 0


def time_trafilatura(pages: list[tuple[str, str]], workers: int) -> float:
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_warm, range(workers * 2)))
        t0 = time.perf_counter()
        list(pool.map(_trafilatura, pages, chunksize=8))
        return time.perf_counter() - t0


def time_warcio_skip(path: Path, selection: Any) -> tuple[int, float]:
    """Baseline of the skip rate: warcio iterating the file (it inflates every member) with the
    same decision per record; (records, seconds)."""
    records, t0 = 0, time.perf_counter()
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh, check_digests=False):
            records += 1
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            selection.wanted(url, parse_warc_date(record.rec_headers.get_header("WARC-Date")))
    return records, time.perf_counter() - t0


def _children_cpu() -> float:
    """CPU seconds of this process's ended and reaped children (the import's pool workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dataset", nargs="?", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--repeat", type=int, default=1, help="alternate import and baseline N times; best of each"
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        pages = unique_pages(args.dataset, args.pages)
        warc = work / "pages.warc.gz"
        write_warc(warc, pages)
        selection = build_selection(sites_file(work / "sites.yaml", pages))

        # the machine's speed drifts by tens of percent over minutes (shared host): with --repeat,
        # import and baseline alternate, and the ratio is taken of each one's best time
        imports: list[tuple[float, float, float, Any]] = []  # (wall, parent CPU, workers CPU, stats)
        trafs: list[float] = []
        for rep in range(args.repeat):
            t0, cpu0, kids0 = time.perf_counter(), time.process_time(), _children_cpu()
            stats = import_warc(
                str(work / f"archive-{rep}"), [warc.as_uri()], selection, workers=args.workers
            )
            # where the import's CPU goes: this process (reading, records, stores) vs the cleaning pool
            imports.append(
                (time.perf_counter() - t0, time.process_time() - cpu0, _children_cpu() - kids0, stats)
            )
            trafs.append(time_trafilatura(pages, args.workers))
        import_s, parent_cpu, workers_cpu, stats = min(imports, key=lambda r: r[0])
        traf_s = min(trafs)

        other = work / "other.warc.gz"
        hosts = sorted({urlsplit(u).netloc for u, _ in pages})
        write_warc(other, pages, {h: f"news-{n}.other.example" for n, h in enumerate(hosts)})
        t0, cpu0 = time.perf_counter(), time.process_time()
        skipped = import_warc(str(work / "archive-skip"), [other.as_uri()], selection, workers=1)
        skip_s, skip_cpu = time.perf_counter() - t0, time.process_time() - cpu0
        warcio_records, warcio_s = time_warcio_skip(other, selection)
        result: dict[str, Any] = {
            "pages": args.pages,
            "workers": args.workers,
            "import_seconds": round(import_s, 2),
            "import_seconds_all": [round(r[0], 2) for r in imports],
            "trafilatura_seconds_all": [round(t, 2) for t in trafs],
            "import_records_per_s": round(args.pages / import_s, 1),
            "trafilatura_seconds": round(traf_s, 2),
            "trafilatura_pages_per_s": round(args.pages / traf_s, 1),
            "ratio_import_vs_trafilatura": round(traf_s / import_s, 3),
            "import_parent_cpu_seconds": round(parent_cpu, 2),
            "import_workers_cpu_seconds": round(workers_cpu, 2),
            "stored": dict(stats.stored),
            "already_archived": stats.already_archived,
            "not_article": dict(stats.not_article),
            "failed": dict(stats.failed),
            "skip_records_per_s_one_core": round(skipped.records / skip_s, 1),
            "skip_records_per_cpu_s": round(skipped.records / skip_cpu, 1),  # what a loaded machine hides
            "skip_warcio_records_per_s_one_core": round(warcio_records / warcio_s, 1),
            "ratio_skip_vs_warcio": round((skipped.records / skip_s) / (warcio_records / warcio_s), 2),
            "skipped": dict(skipped.skipped),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
