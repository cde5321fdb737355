"""End-to-end crawl through the real CLI vs plain trafilatura on the same pages (a benchmark, not a test).

    uv run python benchmarks/bench_crawl.py [DATASET] [--pages 2000] [--rss-pages 1000,10000]
        [--s3] [--sites 200 --site-pages 10 --delay 0.5] [--workers 2] [--json FILE]

- rate: one loopback news site (``demosite``: front page, section pages, RSS/Atom,
  sitemaps) serving ``--pages`` pages of the news-pages dataset, each copy made unique
  (``bench_import.unique_copies``: its own text, so every page is a new store), crawled by
  ``uv run dateline crawl --sites FILE --archive DIR`` (no politeness delay) into a fresh local
  archive. Timed: the CLI's wall time (Prefect's temporary API included) and the crawl child's
  life (``spiders.run``, seen in the process table). Baseline in the same run:
  ``trafilatura.bare_extraction(html, url=..., with_metadata=True)`` over the same served pages
  in a pool of ``--workers`` processes (started before timing). Ratio = baseline s / crawl s.
- rss: peak RSS of the crawl child plus its extraction workers (summed per sample, /proc every
  0.2 s) for each size of ``--rss-pages`` (the rate crawl's own size is measured too).
- objects per article: files the crawl wrote into the local archive / records stored (versions).
- ``--s3``: the same crawl into SeaweedFS on loopback (tests/fixtures/s3.py starts it) vs local.
- ``--sites N``: N small sites of ``--site-pages`` pages each with ``--delay`` s politeness,
  crawled twice by the CLI into one archive: wall time of the first and the second
  (incremental) run, requests the sites received in each.

Every case is an option, so a quick run is ``--pages 300 --rss-pages ''``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_import import DEFAULT_DATASET, iter_unique_copies, time_trafilatura  # noqa: E402
from demosite import NewsSite, SourcePage, slugify  # noqa: E402
from extraction.evaluate import load_truth  # noqa: E402

SECTIONS = ("world", "politics", "culture", "business", "science", "sport")
CRAWL_CHILD = "spiders.run"  # the crawl process's module (its cmdline names it)


# --------------------------------------------------------------------------- pages and sites


def source_pages(dataset: Path, count: int, start: int = 0) -> list[SourcePage]:
    """``count`` unique pages (copies ``start`` .. ``start + count - 1`` of ``unique_copies``) as
    local-site pages: the truth's title and date, a slug of their own, sections cycled."""
    rows = load_truth(dataset)
    out = []
    for n, (index, _url, html) in enumerate(iter_unique_copies(dataset, start + count, start), start):
        row = rows[index]
        published = row.get("publishing_date")
        when = datetime.fromisoformat(published).isoformat() if published else None
        out.append(
            SourcePage(
                html=html.encode("utf-8"),
                title=str(row.get("title") or f"Page {n}"),
                published=when,
                slug=f"{slugify(str(row.get('title') or ''), fallback='page', max_len=50)}-{n}",
                section=SECTIONS[n % len(SECTIONS)],
            )
        )
    return out


def site_entry(site: NewsSite, pages: int, delay: float) -> dict[str, Any]:
    """The site's sites.yaml entry with limits that let a whole large site be crawled."""
    entry = site.site_config()
    entry["limits"] = {
        **entry["limits"],
        "download_delay": delay,
        "max_pages": pages * 2 + 100,
        "timeout": 30,
        "max_run_minutes": 120,
    }
    return entry


def write_sites_file(path: Path, entries: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump({"sites": entries}, sort_keys=False), encoding="utf-8")
    return path


def served_pages(site: NewsSite) -> list[tuple[str, str]]:
    """(absolute URL, html) of the site's articles, as the crawler gets them."""
    return [(site.url(path), page.html.decode("utf-8")) for path, page in site.layout.articles.items()]


# --------------------------------------------------------------------------- RSS of a process tree


def parent_pids(proc: Path = Path("/proc")) -> dict[int, int]:
    """pid -> parent pid of every process (from /proc/<pid>/stat; vanished ones left out)."""
    out: dict[int, int] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses
            out[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    return out


def descendants(root: int, parents: dict[int, int]) -> list[int]:
    """``root``'s children, their children ... (not ``root``), in breadth-first order."""
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    out, queue = [], list(children.get(root, []))
    while queue:
        pid = queue.pop(0)
        out.append(pid)
        queue.extend(children.get(pid, []))
    return out


def cpu_ticks(stat_text: str, *, children: bool = False) -> int:
    """utime + stime of a /proc/<pid>/stat text in clock ticks (plus its waited-for children's
    with ``children``)."""
    fields = stat_text[stat_text.rindex(")") + 2 :].split()  # fields[0] is the state (field 3)
    ticks = int(fields[11]) + int(fields[12])
    return ticks + int(fields[13]) + int(fields[14]) if children else ticks


def rss_kib(status_text: str) -> int:
    """VmRSS of a /proc/<pid>/status text in KiB (0 for a zombie, which has none)."""
    for line in status_text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


@dataclass
class TreeSampler:
    """Samples a process tree every ``interval`` s: the peak summed RSS of the crawl child
    (the descendant whose cmdline names ``spiders.run``) plus its descendants (the extraction
    workers), the whole tree's peak, and when the crawl child was first and last seen."""

    root: int
    interval: float = 0.2
    proc: Path = Path("/proc")
    peak_crawl_kib: int = 0
    peak_tree_kib: int = 0
    peak_child_kib: int = 0  # the crawl child alone (the reactor, the pipeline's pending pages)
    peak_worker_kib: int = 0  # the largest single extraction worker
    crawl_cpu_ticks: int = 0  # CPU of the crawl child and its workers (reaped ones included)
    crawl_first: float | None = None
    crawl_last: float | None = None
    workers_seen: set[int] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> None:
        parents = parent_pids(self.proc)
        tree = descendants(self.root, parents)
        rss = {pid: rss_kib(_read(self.proc / str(pid) / "status")) for pid in tree}
        self.peak_tree_kib = max(self.peak_tree_kib, sum(rss.values()))
        crawl = [
            pid for pid in tree if CRAWL_CHILD in _read(self.proc / str(pid) / "cmdline").replace("\0", " ")
        ]
        if not crawl:
            return
        now = time.monotonic()
        self.crawl_first = self.crawl_first if self.crawl_first is not None else now
        self.crawl_last = now
        total = ticks = 0
        for child in crawl:
            below = [pid for pid in descendants(child, parents) if pid in rss]
            self.workers_seen.update(below)
            total += rss.get(child, 0) + sum(rss[pid] for pid in below)
            self.peak_child_kib = max(self.peak_child_kib, rss.get(child, 0))
            self.peak_worker_kib = max([self.peak_worker_kib, *(rss[pid] for pid in below)])
            with contextlib.suppress(ValueError, IndexError):
                ticks += cpu_ticks(_read(self.proc / str(child) / "stat"), children=True)
                ticks += sum(cpu_ticks(_read(self.proc / str(pid) / "stat")) for pid in below)
        self.peak_crawl_kib = max(self.peak_crawl_kib, total)
        self.crawl_cpu_ticks = max(self.crawl_cpu_ticks, ticks)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> TreeSampler:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    @property
    def crawl_seconds(self) -> float | None:
        if self.crawl_first is None or self.crawl_last is None:
            return None
        return self.crawl_last - self.crawl_first


# --------------------------------------------------------------------------- the CLI crawl


def count_files(root: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(root))


def stored_articles(archive: str, env: dict[str, str]) -> int:
    """Articles in the archive (latest versions), as a user lists them."""
    out = subprocess.run(
        ["uv", "run", "--frozen", "dateline", "ls", "--archive", archive, "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return sum(1 for line in out.stdout.splitlines() if line.strip())


def run_cli_crawl(sites_file: Path, archive: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """``uv run dateline crawl`` once, sampled; its wall time, the crawl child's, peak RSS."""
    cmd = ["uv", "run", "--frozen", "dateline", "crawl", "--sites", str(sites_file), "--archive", archive]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with TreeSampler(proc.pid) as sampler:
        _, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 2):  # 2: a site over its failure threshold (still measured)
        raise RuntimeError(f"crawl exited {proc.returncode}:\n{stderr[-3000:]}")
    return {
        "exit_code": proc.returncode,
        "cli_seconds": round(wall, 2),
        "crawl_child_seconds": round(sampler.crawl_seconds or 0.0, 2),
        "crawl_cpu_seconds": round(sampler.crawl_cpu_ticks / os.sysconf("SC_CLK_TCK"), 2),
        "peak_rss_crawl_mb": round(sampler.peak_crawl_kib / 1024, 1),
        "peak_rss_cli_tree_mb": round(sampler.peak_tree_kib / 1024, 1),
        "peak_rss_child_mb": round(sampler.peak_child_kib / 1024, 1),
        "peak_rss_worker_mb": round(sampler.peak_worker_kib / 1024, 1),
        "crawl_descendants_seen": len(sampler.workers_seen),  # extraction workers (+ resource tracker)
        **({"stderr_tail": stderr[-2000:]} if proc.returncode else {}),
    }


@contextlib.contextmanager
def large_site(dataset: Path, pages: int, name: str = "") -> Iterator[NewsSite]:
    # a name of its own per run: the one-run-per-site slot lives in the shared Prefect home, so
    # two benchmarks on one machine would otherwise skip each other's crawl
    with NewsSite(source_pages(dataset, pages), name=name or f"bench-large-{uuid.uuid4().hex[:6]}") as site:
        yield site


def crawl_large(site: NewsSite, pages: int, work: Path, archive: str | None = None,
                env: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    """Crawl the large site once into a fresh archive (local unless ``archive`` is given)."""
    tag = uuid.uuid4().hex[:8]
    sites_file = write_sites_file(work / f"sites-{tag}.yaml", [site_entry(site, pages, 0.0)])
    local = archive is None
    target = archive or str(work / f"archive-{tag}")
    result = run_cli_crawl(sites_file, target, env)
    articles = stored_articles(target, env or dict(os.environ))
    result["articles_stored"] = articles
    result["requests_served"] = len(site.log)
    if local:
        files = count_files(Path(target))
        records = count_files(Path(target) / "articles")  # every stored version costs its objects
        result["archive_files"] = files
        result["records_stored"] = records
        result["objects_per_article"] = round(files / max(1, records), 3)
        shutil.rmtree(target, ignore_errors=True)
    return result


# --------------------------------------------------------------------------- cases


def case_rate(dataset: Path, pages: int, workers: int, work: Path) -> dict[str, Any]:
    with large_site(dataset, pages) as site:
        served = served_pages(site)
        crawl = crawl_large(site, pages, work)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    traf_s = time_trafilatura(served, workers)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool's workers, reaped at its end
    traf_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    crawl_s = crawl["cli_seconds"]
    child_s = crawl["crawl_child_seconds"] or crawl_s
    return {
        "pages": len(served),
        "crawl": crawl,
        "crawl_pages_per_s_cli": round(len(served) / crawl_s, 1),
        "crawl_pages_per_s_child": round(len(served) / child_s, 1),
        "trafilatura_seconds": round(traf_s, 2),
        "trafilatura_pages_per_s": round(len(served) / traf_s, 1),
        "ratio_cli_vs_trafilatura": round(traf_s / crawl_s, 3),
        "ratio_child_vs_trafilatura": round(traf_s / child_s, 3),
        # what a loaded machine hides least: CPU seconds of each (imports of both pools included)
        "trafilatura_cpu_seconds": round(traf_cpu, 2),
        "ratio_cpu_trafilatura_vs_crawl": round(traf_cpu / max(0.01, crawl["crawl_cpu_seconds"]), 3),
    }


def case_rss(dataset: Path, sizes: Sequence[int], work: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for size in sizes:
        with large_site(dataset, size) as site:
            crawl = crawl_large(site, size, work)
        out[str(size)] = {k: crawl[k] for k in ("peak_rss_crawl_mb", "peak_rss_child_mb", "peak_rss_worker_mb",
                                                "crawl_child_seconds", "articles_stored",
                                                "objects_per_article")}  # fmt: skip
    if len(sizes) >= 2:
        first, last = out[str(sizes[0])], out[str(sizes[-1])]
        out["growth"] = round(last["peak_rss_crawl_mb"] / max(1.0, first["peak_rss_crawl_mb"]), 3)
    return out


@contextlib.contextmanager
def seaweedfs(work: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A SeaweedFS on loopback with a fresh bucket: (archive URI, env for the CLI)."""
    from tests.fixtures import s3

    with s3.running_seaweedfs(work / "seaweedfs") as (server, _):
        bucket = f"bench-{uuid.uuid4().hex[:12]}"
        server.client().create_bucket(Bucket=bucket)
        env = {k: v for k, v in os.environ.items() if k not in s3._UNSET}
        env.update(s3.s3_env(server))
        yield f"s3://{bucket}/archive", env


def case_s3(dataset: Path, pages: int, work: Path) -> dict[str, Any]:
    (work / "seaweedfs").mkdir()
    with large_site(dataset, pages) as site, seaweedfs(work) as (uri, env):
        local = crawl_large(site, pages, work)
        site.clear_requests()
        remote = crawl_large(site, pages, work, archive=uri, env=env)
    return {
        "pages": pages,
        "local_cli_seconds": local["cli_seconds"],
        "local_child_seconds": local["crawl_child_seconds"],
        "s3_cli_seconds": remote["cli_seconds"],
        "s3_child_seconds": remote["crawl_child_seconds"],
        "s3_articles_stored": remote["articles_stored"],
        "ratio_s3_vs_local_child": round(
            remote["crawl_child_seconds"] / max(0.01, local["crawl_child_seconds"]), 2
        ),
    }


def case_many_sites(dataset: Path, sites: int, site_pages: int, delay: float, work: Path) -> dict[str, Any]:
    pages = source_pages(dataset, sites * site_pages)
    archive = str(work / "archive-many")
    with contextlib.ExitStack() as stack:
        servers = [
            stack.enter_context(NewsSite(pages[i * site_pages : (i + 1) * site_pages], name=f"site-{i:03d}"))
            for i in range(sites)
        ]
        sites_file = write_sites_file(
            work / "sites-many.yaml", [site_entry(s, site_pages, delay) for s in servers]
        )
        runs = {}
        for run in ("first", "second"):
            for s in servers:
                s.clear_requests()
            crawl = run_cli_crawl(sites_file, archive)
            crawl["requests_served"] = sum(len(s.log) for s in servers)
            crawl["article_requests"] = sum(1 for s in servers for p in s.requests if p in s.layout.articles)
            runs[run] = crawl
        runs["first"]["articles_stored"] = stored_articles(archive, dict(os.environ))
    return {"sites": sites, "pages_per_site": site_pages, "delay": delay, **runs}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset", nargs="?", type=Path, default=DEFAULT_DATASET)
    ap.add_argument("--pages", type=int, default=2000, help="rate case: pages of the large site (0: skip)")
    ap.add_argument("--workers", type=int, default=2, help="trafilatura baseline processes")
    ap.add_argument("--rss-pages", default="", help="comma-separated sizes for peak RSS, e.g. 1000,10000")
    ap.add_argument("--s3", action="store_true", help="also crawl --pages into SeaweedFS vs local")
    ap.add_argument("--sites", type=int, default=0, help="many-sites case: this many sites (0: skip)")
    ap.add_argument("--site-pages", type=int, default=10)
    ap.add_argument("--delay", type=float, default=0.5)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    result: dict[str, Any] = {"load_average_at_start": os.getloadavg()}
    work = Path(tempfile.mkdtemp(prefix="bench-crawl-"))

    def done(case: str, value: dict[str, Any]) -> None:
        """Keep each case's figures as soon as it ends (a long run stopped later loses nothing)."""
        result[case] = value
        print(json.dumps({case: value}), file=sys.stderr, flush=True)
        if args.json:
            args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    try:
        if args.pages:
            done("rate", case_rate(args.dataset, args.pages, args.workers, work))
        sizes = [int(s) for s in args.rss_pages.split(",") if s.strip()]
        if sizes:
            done("rss", case_rss(args.dataset, sizes, work))
        if args.s3:
            done("s3", case_s3(args.dataset, args.pages or 500, work))
        if args.sites:
            done("many_sites", case_many_sites(args.dataset, args.sites, args.site_pages, args.delay, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["load_average_at_end"] = os.getloadavg()
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
