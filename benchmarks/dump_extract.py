"""Dump every output field of our extraction on the dev sets, to prove a speedup changes nothing.

    uv run python benchmarks/dump_extract.py OUT.jsonl [--dataset DIR ...] [--limit N]
    uv run python benchmarks/dump_extract.py --compare A.jsonl B.jsonl

Per dataset, per site (as ``dateline eval`` groups pages): pass 1 cleans every page without a
profile and takes its fingerprint (``learn=True``); a profile is learned from the site's
fingerprints when it has several pages; pass 2 cleans the site's pages again with that profile.
Each cleaning writes one JSON line: dataset, file, pass, then the full ``Extraction``
(``model_dump(mode="json")``: text, title, authors, dates, page type, quality ...) and the
fingerprint, or the ExtractionError's reason and detail. The last line per dataset holds the CPU
seconds (``time.process_time``) spent inside the extraction calls only, summed per pass.
One process, pages in a fixed order: the CPU figure is one core's.

``--compare`` lists the pages whose lines differ (by field) and both files' CPU per dataset.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extraction.evaluate import _load_page, load_truth, site_of  # noqa: E402
from extraction.extract import extract_and_fingerprint  # noqa: E402
from extraction.model import ExtractionError, PageHints  # noqa: E402
from extraction.profile import PageFingerprint, ProfileRules, learn  # noqa: E402

DATASETS = [ROOT.parent / "shared" / "datasets" / n for n in ("news-pages", "trafilatura-eval")]


def _clean(
    html: str, hints: PageHints, rules: ProfileRules | None, learning: bool
) -> tuple[dict[str, Any], PageFingerprint | None, float]:
    start = time.process_time()
    try:
        result, fingerprint = extract_and_fingerprint(html, hints, rules, learn=learning)
    except ExtractionError as exc:
        took = time.process_time() - start
        return {"error": exc.reason, "detail": exc.detail}, None, took
    took = time.process_time() - start
    out: dict[str, Any] = {"extraction": result.model_dump(mode="json")}
    out["fingerprint"] = fingerprint.model_dump(mode="json") if fingerprint is not None else None
    return out, fingerprint, took


def dump_dataset(dataset: Path, limit: int | None, out: Any) -> dict[str, float]:
    rows = load_truth(dataset, limit)
    by_site: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_site.setdefault(site_of(row), []).append(row)
    cpu = {"plain": 0.0, "profile": 0.0}
    name = dataset.name
    for site, group in by_site.items():
        pages = [_load_page(str(dataset), row) for row in group]
        fingerprints = []
        for (html, hints), row in zip(pages, group, strict=True):
            line, fp, took = _clean(html, hints, None, True)
            cpu["plain"] += took
            if fp is not None:
                fingerprints.append(fp)
            out.write(json.dumps({"dataset": name, "file": row["file"], "pass": "plain", **line}) + "\n")
        if len(fingerprints) < 2:
            continue
        rules = learn(site, fingerprints).rules()
        if not rules:
            continue
        for (html, hints), row in zip(pages, group, strict=True):
            line, _, took = _clean(html, hints, rules, False)
            cpu["profile"] += took
            out.write(json.dumps({"dataset": name, "file": row["file"], "pass": "profile", **line}) + "\n")
    cpu["total"] = cpu["plain"] + cpu["profile"]
    out.write(json.dumps({"dataset": name, "cpu": cpu, "pages": len(rows)}) + "\n")
    return cpu


def _read(path: Path) -> tuple[dict[tuple[str, str, str], dict[str, Any]], dict[str, dict[str, float]]]:
    pages: dict[tuple[str, str, str], dict[str, Any]] = {}
    cpu: dict[str, dict[str, float]] = {}
    for text in path.read_text("utf-8").splitlines():
        row = json.loads(text)
        if "cpu" in row:
            cpu[row["dataset"]] = row["cpu"]
        else:
            pages[(row["dataset"], row["file"], row["pass"])] = row
    return pages, cpu


def _diff_fields(a: dict[str, Any], b: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        if va == vb:
            continue
        if isinstance(va, dict) and isinstance(vb, dict):
            out.extend(_diff_fields(va, vb, f"{prefix}{key}."))
        else:
            out.append(prefix + key)
    return out


def compare(a_path: Path, b_path: Path) -> int:
    a, cpu_a = _read(a_path)
    b, cpu_b = _read(b_path)
    differing = 0
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b:
            differing += 1
            print(f"{key}: only in {'A' if key in a else 'B'}")
        elif a[key] != b[key]:
            differing += 1
            print(f"{key}: differs in {', '.join(_diff_fields(a[key], b[key]))}")
    per_set: dict[str, int] = {}
    for key in a:
        per_set[key[0]] = per_set.get(key[0], 0) + 1
    print(f"{differing} differing lines of {len(set(a) | set(b))} ({per_set})")
    for name in sorted(set(cpu_a) | set(cpu_b)):
        ca, cb = cpu_a.get(name, {}), cpu_b.get(name, {})
        parts = []
        for part in ("plain", "profile", "total"):
            if part in ca and part in cb:
                ratio = cb[part] / ca[part] if ca[part] else float("nan")
                parts.append(f"{part} {ca[part]:.2f} -> {cb[part]:.2f} s ({ratio:.3f}x)")
        print(f"CPU {name}: " + "; ".join(parts))
    return 1 if differing else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", type=Path)
    ap.add_argument("--dataset", type=Path, action="append", help="default: news-pages and trafilatura-eval")
    ap.add_argument("--limit", type=int, default=None, help="only the first N pages of each set")
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"))
    args = ap.parse_args(argv)
    if args.compare:
        return compare(*args.compare)
    if args.out is None:
        ap.error("OUT is required unless --compare")
    # warm-up outside the timing: lazy imports and caches of lxml / trafilatura / our modules
    warm = load_truth((args.dataset or DATASETS)[0], 2)
    for row in warm:
        html, hints = _load_page(str((args.dataset or DATASETS)[0]), row)
        _clean(html, hints, None, True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as out:
        for dataset in args.dataset or DATASETS:
            cpu = dump_dataset(dataset, args.limit, out)
            print(
                f"{dataset.name}: CPU plain {cpu['plain']:.2f} s, profile {cpu['profile']:.2f} s, "
                f"total {cpu['total']:.2f} s",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
