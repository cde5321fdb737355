"""What `dateline eval` prints and gates: per-set tables split into halves, pages worse than plain
trafilatura with diffs, how well the confidence ranks bad pages, and the pinned floors.

Worse than trafilatura: on body truth, page F1 lower by more than ``WORSE_F1``; on snippet truth,
a ``with`` snippet trafilatura finds and we lose, or a ``without`` snippet it drops and we keep.
Bad page (what a low confidence should catch): body F1 below ``BAD_F1``, or on snippet truth a
page that loses half its ``with`` snippets or keeps half its ``without`` ones; pages worse than
trafilatura count as bad too.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from extraction.evaluate import (
    METRICS,
    SNIPPET_METRICS,
    EvalReport,
    PageResult,
    collapse,
    half_of,
    make_report,
    shingles,
    tokenize,
)

WORSE_F1 = 0.01
BAD_F1 = 0.9


def worse_than_trafilatura(page: PageResult) -> bool:
    """Whether ours loses against plain trafilatura on this page (see the module docstring)."""
    ours, base = page.ours, page.trafilatura
    if page.snippets:
        return bool(set(ours.lost) - set(base.lost) or set(ours.kept) - set(base.kept))
    return ours.f1 < base.f1 - WORSE_F1


def better_than_trafilatura(page: PageResult) -> bool:
    ours, base = page.ours, page.trafilatura
    if page.snippets:
        return bool(set(base.lost) - set(ours.lost) or set(base.kept) - set(ours.kept))
    return ours.f1 > base.f1 + WORSE_F1


def bad_page(page: PageResult) -> bool:
    """A page a consumer would not want as it is (see the module docstring)."""
    if worse_than_trafilatura(page):
        return True
    if page.snippets:
        lost = len(page.ours.lost) * 2 >= max(len(page.truth_with), 1) and bool(page.ours.lost)
        kept = len(page.ours.kept) * 2 >= max(len(page.truth_without), 1) and bool(page.ours.kept)
        return lost or kept
    return page.ours.f1 < BAD_F1


def halves(report: EvalReport) -> dict[str, EvalReport]:
    """The report of each half (sites split by ``half_of``)."""
    split: dict[str, list[PageResult]] = {"A": [], "B": []}
    for page in report.pages:
        split[half_of(page.site)].append(page)
    return {name: make_report(report.name, pages) for name, pages in split.items() if pages}


def derived(report: EvalReport) -> dict[str, float]:
    """Figures computed from the pages rather than averaged: the share of pages not worse than
    trafilatura (a floor, so higher is better) and the counts behind it."""
    n = len(report.pages) or 1
    worse = sum(1 for p in report.pages if worse_than_trafilatura(p))
    better = sum(1 for p in report.pages if better_than_trafilatura(p))
    return {"not_worse": 1 - worse / n, "worse": float(worse), "better": float(better)}


def confidence_ranking(report: EvalReport, share: float = 0.1) -> dict[str, float]:
    """How many of the bad (and of the worse-than-trafilatura) pages sit in the lowest-confidence
    ``share`` of pages: a useful confidence puts most of them there."""
    pages = sorted(report.pages, key=lambda p: p.confidence if p.confidence is not None else 1.0)
    low = pages[: max(1, round(len(pages) * share))] if pages else []
    bad = [p for p in report.pages if bad_page(p)]
    worse = [p for p in report.pages if worse_than_trafilatura(p)]
    return {
        "pages": float(len(low)),
        "bad": float(len(bad)),
        "bad_in_low": float(sum(1 for p in low if bad_page(p))),
        "worse": float(len(worse)),
        "worse_in_low": float(sum(1 for p in low if worse_than_trafilatura(p))),
        "max_confidence_in_low": low[-1].confidence or 0.0 if low else 0.0,
        "fallbacks": float(sum(1 for p in report.pages if p.signals.get("fallback"))),
    }


def render_report(report: EvalReport) -> str:
    """One set: ours vs trafilatura overall and per half, worse/better counts, confidence decile."""
    from rich.console import Console
    from rich.table import Table

    parts = halves(report)
    sites = len({p.site for p in report.pages if p.site}) or len(report.pages)
    title = f"{report.name or 'dataset'}: {len(report.pages)} pages ({sites} sites)"
    table = Table(title=title)
    table.add_column("metric")
    table.add_column("ours", justify="right")
    if report.plain:
        table.add_column("no profile", justify="right")
    table.add_column("trafilatura", justify="right")
    table.add_column("delta", justify="right")
    for name in parts:
        table.add_column(f"{name} ours", justify="right")
        table.add_column(f"{name} traf", justify="right")
    metrics = SNIPPET_METRICS if report.kind == "snippets" else METRICS
    for name in (*metrics, "pages_per_s", "errors"):
        ours, base = report.ours.get(name, 0.0), report.trafilatura.get(name, 0.0)
        plain = [f"{report.plain.get(name, 0.0):.3f}"] if report.plain else []
        by_half = [f"{part.ours.get(name, 0.0):.3f}" for part in parts.values()]
        base_half = [f"{part.trafilatura.get(name, 0.0):.3f}" for part in parts.values()]
        cells = [cell for pair in zip(by_half, base_half, strict=True) for cell in pair]
        table.add_row(name, f"{ours:.3f}", *plain, f"{base:.3f}", f"{ours - base:+.3f}", *cells)
    console = Console(width=140, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(table)
    lines = [console.export_text().rstrip()]
    counts = derived(report)
    per_half = ", ".join(
        f"{name} {int(derived(part)['worse'])}/{len(part.pages)}" for name, part in parts.items()
    )
    lines.append(
        f"worse than trafilatura: {int(counts['worse'])} of {len(report.pages)} pages"
        f" ({1 - counts['not_worse']:.1%}; {per_half}); better: {int(counts['better'])}"
    )
    rank = confidence_ranking(report)
    lines.append(
        f"lowest-confidence decile ({int(rank['pages'])} pages, confidence <= "
        f"{rank['max_confidence_in_low']:.2f}): {int(rank['bad_in_low'])} of {int(rank['bad'])} bad pages,"
        f" {int(rank['worse_in_low'])} of {int(rank['worse'])} worse than trafilatura;"
        f" fallbacks taken: {int(rank['fallbacks'])}"
    )
    for name, part in parts.items():
        low = confidence_ranking(part)
        lines.append(
            f"  half {name}: lowest decile ({int(low['pages'])} pages) holds {int(low['bad_in_low'])} of"
            f" {int(low['bad'])} bad ({low['bad_in_low'] / max(low['bad'], 1):.0%}),"
            f" {int(low['worse_in_low'])} of {int(low['worse'])} worse"
        )
    return "\n".join(lines)


def _segment_overlap(segment: str, reference: Counter[tuple[str, ...]]) -> float:
    own = shingles(tokenize(segment))
    total = sum(own.values())
    return sum((own & reference).values()) / total if total else 1.0


def page_diff(page: PageResult, threshold: float = 0.5) -> tuple[list[str], list[str]]:
    """Lines we kept that are (mostly) not in the truth, and truth paragraphs we (mostly) missed;
    on snippet truth, the ``without`` snippets we kept and the ``with`` snippets we lost."""
    if page.snippets:
        return [page.truth_without[i] for i in page.ours.kept], [page.truth_with[i] for i in page.ours.lost]
    truth_sh = shingles(tokenize("\n".join(page.truth_body)))
    ours_sh = shingles(tokenize(page.text))
    extra = [ln for ln in page.text.splitlines() if ln.strip() and _segment_overlap(ln, truth_sh) < threshold]
    missed = [p for p in page.truth_body if p.strip() and _segment_overlap(p, ours_sh) < threshold]
    return extra, missed


def _lost_to_trafilatura(page: PageResult, threshold: float = 0.5) -> list[str]:
    """Truth that trafilatura has and we do not: what a worse page lost."""
    if page.snippets:
        flat = collapse(page.trafilatura_text)
        return [page.truth_with[i] for i in page.ours.lost if collapse(page.truth_with[i]) in flat]
    ours_sh = shingles(tokenize(page.text))
    base_sh = shingles(tokenize(page.trafilatura_text))
    return [
        p for p in page.truth_body if _segment_overlap(p, ours_sh) < threshold <= _segment_overlap(p, base_sh)
    ]


def _headline(page: PageResult) -> str:
    s, b = page.ours, page.trafilatura
    confidence = f" confidence {page.confidence:.2f}" if page.confidence is not None else ""
    fallback = f" fallback {page.signals['fallback']}" if page.signals.get("fallback") else ""
    return (
        f"== {page.file}  F1 {s.f1:.3f} P {s.precision:.3f} R {s.recall:.3f}"
        f" ({f'no profile F1 {page.plain.f1:.3f}, ' if page.plain else ''}"
        f"trafilatura F1 {b.f1:.3f}){confidence}{fallback}{' error ' + s.error if s.error else ''}"
    )


def worst_pages(report: EvalReport, n: int = 10, width: int = 100) -> str:
    """The n pages with the lowest F1 (ours), each with a short diff against the truth (``+`` kept
    but not truth, ``-`` truth missed), then the n pages most worse than trafilatura (``!`` truth
    that trafilatura kept and we lost)."""
    out: list[str] = [f"-- {report.name}: worst pages"] if report.name else []
    for page in sorted(report.pages, key=lambda p: p.ours.f1)[:n]:
        out.append(_headline(page))
        extra, missed = page_diff(page)
        out.extend(f"  + {line[:width]}" for line in extra[:8])
        out.extend(f"  - {line[:width]}" for line in missed[:8])
    worse = [p for p in report.pages if worse_than_trafilatura(p)]
    if worse:
        out.append(f"-- {report.name}: most worse than trafilatura")
    for page in sorted(worse, key=lambda p: p.ours.f1 - p.trafilatura.f1)[:n]:
        out.append(_headline(page))
        extra, _ = page_diff(page)
        base = collapse(page.trafilatura_text)
        out.extend(f"  + {line[:width]}" for line in extra[:6] if not page.snippets or line not in base)
        out.extend(f"  ! {line[:width]}" for line in _lost_to_trafilatura(page)[:6])
    return "\n".join(out)


def check_floors(report: EvalReport, floors: dict[str, float]) -> list[str]:
    """Failures of the quality gate: each figure of ours below its pinned floor."""
    values = {**report.ours, **derived(report)}
    failures = []
    for name, floor in floors.items():
        value = values.get(name)
        if value is None:
            failures.append(f"{report.name}: {name}: unknown metric")
        elif value < floor:
            failures.append(f"{report.name}: {name}: {value:.4f} < floor {floor:.4f}")
    return failures


def load_floors(path: Path | None = None) -> dict[str, dict[str, float]]:
    """The pinned floors shipped next to this module, per set (folder name); an old flat file
    holds the news-pages floors."""
    path = path or Path(__file__).with_name("quality_floors.json")
    data = json.loads(path.read_text("utf-8"))
    if all(isinstance(v, int | float) for v in data.values()):
        return {"news-pages": {k: float(v) for k, v in data.items()}}
    return {name: {k: float(v) for k, v in floors.items()} for name, floors in data.items()}
