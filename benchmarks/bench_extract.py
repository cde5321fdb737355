"""Speed and memory of our cleaning vs plain trafilatura on the same pages (a benchmark, not a test).

    uv run python benchmarks/bench_extract.py [DATASET] [--limit N] [--repeat R] [--json FILE]

Both sides get the same decoded HTML and URL, one process, one page at a time:
- trafilatura: ``bare_extraction(html, url=..., with_metadata=True)`` (its defaults);
- ours: ``extract_and_fingerprint`` with the page's site profile rules (learned beforehand from
  the site's pages, untimed: a crawl loads them once) and the page's fingerprint, i.e. exactly
  what a crawl worker does per page (metadata, dates, page type, generic and profile cleaning).
Pages are timed alternately (trafilatura, ours, next page ...) so load from other processes on a
shared machine hits both sides alike. Peak memory is measured in two fresh child processes, one
per side: the peak RSS growth while cleaning all pages, above the process after imports and
loading the pages.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extraction.evaluate import _load_page, load_truth, site_of  # noqa: E402
from extraction.extract import extract_and_fingerprint  # noqa: E402
from extraction.model import ExtractionError, PageHints  # noqa: E402
from extraction.profile import ProfileRules, learn  # noqa: E402

DEFAULT_DATASET = ROOT.parent / "shared" / "datasets" / "news-pages"
Page = tuple[str, PageHints, str]  # html, hints, site


def load_pages(dataset: Path, limit: int | None) -> list[Page]:
    pages = []
    for row in load_truth(dataset, limit):
        html, hints = _load_page(str(dataset), row)
        pages.append((html, hints, site_of(row)))
    return pages


def site_rules(pages: list[Page]) -> dict[str, ProfileRules]:
    """Each site's profile rules, learned from all its pages (as `dateline extract` does)."""
    fingerprints: dict[str, list[Any]] = {}
    for html, hints, site in pages:
        try:
            fp = extract_and_fingerprint(html, hints)[1]
        except ExtractionError:
            continue
        fingerprints.setdefault(site, []).append(fp)
    return {site: learn(site, fps).rules() for site, fps in fingerprints.items() if len(fps) > 1}


def run_trafilatura(page: Page) -> None:
    import trafilatura

    html, hints, _ = page
    trafilatura.bare_extraction(html, url=hints.url, with_metadata=True)


def make_ours(rules: dict[str, ProfileRules], learning: bool = True) -> Callable[[Page], None]:
    def run(page: Page) -> None:
        html, hints, site = page
        with contextlib.suppress(ExtractionError):
            extract_and_fingerprint(html, hints, rules.get(site), learn=learning)

    return run


def time_alternating(pages: list[Page], rules: dict[str, ProfileRules], repeat: int) -> dict[str, Any]:
    sides = {
        "trafilatura": run_trafilatura,
        "ours": make_ours(rules),
        "ours_no_profile": make_ours({}, False),
    }
    for page in pages[:3]:  # warm-up: lazy imports and caches of both libraries
        for fn in sides.values():
            fn(page)
    totals = dict.fromkeys(sides, 0.0)
    per_page: dict[str, list[float]] = {name: [] for name in sides}
    gc.collect()
    for _ in range(repeat):
        for page in pages:
            for name, fn in sides.items():
                start = time.perf_counter()
                fn(page)
                took = time.perf_counter() - start
                totals[name] += took
                per_page[name].append(took)
    n = len(pages) * repeat
    return {
        "pages": len(pages),
        "repeat": repeat,
        "sites_with_profile": len(rules),
        "pages_per_s": {k: n / v for k, v in totals.items()},
        "median_ms": {k: 1000 * statistics.median(v) for k, v in per_page.items()},
        "seconds": totals,
        "time_ratio": totals["ours"] / totals["trafilatura"],
        "profile_overhead": totals["ours"] / totals["ours_no_profile"] - 1,
    }


def _status_mb(field: str) -> float:
    """VmRSS / VmHWM (peak) of this process from /proc, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    """Reset the kernel's peak-RSS mark (Linux: write 5 to clear_refs), so loading and learning
    before the measurement do not count."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def memory_child(side: str, dataset: Path, limit: int | None) -> dict[str, float]:
    """In a fresh process: peak RSS before and after cleaning every page with one side."""
    pages = load_pages(dataset, limit)
    rules = site_rules(pages) if side == "ours" else {}  # ours: learning is its warm-up pass
    fn = make_ours(rules) if side == "ours" else run_trafilatura
    if side == "trafilatura":
        for page in pages:  # the same warm-up pass: caches and allocator arenas filled on both sides
            fn(page)
    gc.collect()
    _reset_peak()
    base = _status_mb("VmRSS")
    for page in pages:
        fn(page)
    peak = _status_mb("VmHWM")
    return {"baseline_mb": base, "peak_mb": peak, "growth_mb": peak - base}


def measure_memory(dataset: Path, limit: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for side in ("trafilatura", "ours"):
        cmd = [sys.executable, __file__, str(dataset), "--memory-child", side]
        if limit is not None:
            cmd += ["--limit", str(limit)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
        out[side] = json.loads(done.stdout.strip().splitlines()[-1])
    growth = out["trafilatura"]["growth_mb"]
    out["growth_ratio"] = out["ours"]["growth_mb"] / growth if growth > 0 else None
    out["peak_ratio"] = out["ours"]["peak_mb"] / out["trafilatura"]["peak_mb"]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", nargs="?", type=Path, default=DEFAULT_DATASET)
    ap.add_argument("--limit", type=int, default=None, help="only the first N pages")
    ap.add_argument("--repeat", type=int, default=1, help="time every page R times")
    ap.add_argument("--no-memory", action="store_true", help="skip the memory measurement")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument("--memory-child", choices=("trafilatura", "ours"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.memory_child:
        print(json.dumps(memory_child(args.memory_child, args.dataset, args.limit)))
        return 0
    pages = load_pages(args.dataset, args.limit)
    result: dict[str, Any] = {"time": time_alternating(pages, site_rules(pages), args.repeat)}
    if not args.no_memory:
        result["memory"] = measure_memory(args.dataset, args.limit)
    t = result["time"]
    print(
        f"{t['pages']} pages x{t['repeat']}, {t['sites_with_profile']} sites with a profile, one process\n"
        f"  trafilatura (with metadata): {t['pages_per_s']['trafilatura']:.2f} pages/s, "
        f"median {t['median_ms']['trafilatura']:.1f} ms\n"
        f"  ours (profiles + metadata):  {t['pages_per_s']['ours']:.2f} pages/s, "
        f"median {t['median_ms']['ours']:.1f} ms\n"
        f"  ours without profile:       {t['pages_per_s']['ours_no_profile']:.2f} pages/s "
        f"(profile + fingerprint overhead {100 * t['profile_overhead']:+.0f}%)\n"
        f"  time ratio ours/trafilatura: {t['time_ratio']:.2f}x"
    )
    if "memory" in result:
        m = result["memory"]
        print(
            f"  peak RSS: trafilatura {m['trafilatura']['peak_mb']:.0f} MB "
            f"(+{m['trafilatura']['growth_mb']:.0f} while cleaning), ours {m['ours']['peak_mb']:.0f} MB "
            f"(+{m['ours']['growth_mb']:.0f}); peak ratio {m['peak_ratio']:.2f}x"
            + (f", growth ratio {m['growth_ratio']:.2f}x" if m["growth_ratio"] is not None else "")
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
