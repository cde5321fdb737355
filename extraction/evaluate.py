"""Score our extractor and plain trafilatura against a news-pages style dataset.

The dataset layout is ``truth.jsonl`` (one page per line: file, url, crawl_date, title, authors,
publishing_date, body paragraphs) plus ``html/**.html.gz``. Both extractors see the same decoded
HTML and the same URL, so the numbers are directly comparable; the CLI only wires these functions.

Pages are grouped by site (the file name's publisher prefix, else the URL host). A site with
several pages gets a profile learned from all of its pages (``extraction.profile``), as
``dateline extract`` does with several pages of one site; "ours" is scored with that profile and,
side by side, without it ("no profile"), so the profile's own effect is visible.
"""

from __future__ import annotations

import gzip
import json
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from extraction.extract import decode_html, extract_and_fingerprint
from extraction.model import ExtractionError, PageHints
from extraction.profile import PageFingerprint, ProfileRules, learn

SHINGLE = 4
METRICS = ("f1", "precision", "recall", "rouge_l", "date", "title", "authors")

# Scripts written without spaces between words: every character is a token.
_NO_SPACE_RANGES = (
    (0x3040, 0x30FF),  # hiragana, katakana
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x0E00, 0x0E7F),  # Thai
    (0x0E80, 0x0EFF),  # Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0xFF66, 0xFF9F),  # half-width katakana
)
_WORD = re.compile(r"\w+", re.UNICODE)


class Scores(BaseModel):
    """One extractor's scores on one page (body metrics in [0, 1], the rest 0/1)."""

    f1: float = 0.0
    precision: float = 0.0
    recall: float = 0.0
    rouge_l: float = 0.0
    date: float = 0.0
    title: float = 0.0
    authors: float = 0.0
    seconds: float = 0.0
    error: str | None = None


class PageResult(BaseModel):
    """Both extractors' output and scores on one page, kept for diffs of the worst pages."""

    file: str
    url: str
    ours: Scores
    trafilatura: Scores
    plain: Scores | None = None  # ours without the site profile (None: profiles not evaluated)
    site: str = ""
    text: str = ""
    truth_body: list[str] = Field(default_factory=list)
    found: dict[str, Any] = Field(default_factory=dict)  # our title/authors/date vs truth


class EvalReport(BaseModel):
    """Per-page results plus averages for both extractors."""

    pages: list[PageResult]
    ours: dict[str, float]
    trafilatura: dict[str, float]
    plain: dict[str, float] = Field(default_factory=dict)  # ours without site profiles


def _no_space_char(ch: str) -> bool:
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _NO_SPACE_RANGES)


_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")


def tokenize(text: str) -> list[str]:
    """Casefolded word tokens; characters of scripts without spaces (CJK, Thai ...) are one token each.

    Hangul uses spaces, so Korean stays word-based. Soft hyphens and zero-width characters are
    dropped first: a hyphenation hint must not split a word in one text and not in the other.
    """
    tokens: list[str] = []
    for word in _WORD.findall(unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).casefold()):
        if any(_no_space_char(ch) for ch in word):
            run = ""
            for ch in word:
                if _no_space_char(ch):
                    if run:
                        tokens.append(run)
                        run = ""
                    tokens.append(ch)
                else:
                    run += ch
            if run:
                tokens.append(run)
        else:
            tokens.append(word)
    return tokens


def shingles(tokens: Sequence[str], n: int = SHINGLE) -> Counter[tuple[str, ...]]:
    """Multiset of token n-grams (short texts give one shorter shingle so they still count)."""
    if 0 < len(tokens) < n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def prf(found: Counter[tuple[str, ...]], truth: Counter[tuple[str, ...]]) -> tuple[float, float, float]:
    """Precision, recall and F1 of two shingle multisets (both empty counts as perfect)."""
    if not found and not truth:
        return 1.0, 1.0, 1.0
    common = sum((found & truth).values())
    precision = common / sum(found.values()) if found else 0.0
    recall = common / sum(truth.values()) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence, bit-parallel (Hyyrö) so long articles stay fast."""
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for i, token in enumerate(b):
        masks[token] = masks.get(token, 0) | (1 << i)
    full = (1 << len(b)) - 1
    v = full
    for token in a:
        u = v & masks.get(token, 0)
        v = ((v + u) | (v - u)) & full
    return len(b) - v.bit_count()


def rouge_l(found: Sequence[str], truth: Sequence[str]) -> float:
    """ROUGE-L F1 over tokens."""
    if not found and not truth:
        return 1.0
    lcs = lcs_length(found, truth)
    if not lcs:
        return 0.0
    precision, recall = lcs / len(found), lcs / len(truth)
    return 2 * precision * recall / (precision + recall)


def fold(text: str | None) -> str:
    """Case, punctuation and whitespace folded, for title and author comparison."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).casefold()
    # invisible format characters (soft hyphen, zero-width space) join, other marks separate
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    kept = "".join(ch if unicodedata.category(ch)[0] not in "PSZC" else " " for ch in text)
    return " ".join(kept.split())


def same_authors(found: Iterable[str], truth: Iterable[str] | None) -> bool:
    """Same set of folded names; a missing truth equals an empty list."""
    return {fold(a) for a in found if fold(a)} == {fold(a) for a in truth or [] if fold(a)}


def truth_date(publishing_date: str | None) -> str | None:
    """The calendar day of the truth in its own offset (its first ten characters)."""
    return publishing_date[:10] if publishing_date else None


def crawl_time(crawl_date: str) -> datetime:
    """The truth's crawl time as tz-aware UTC (naive values are UTC)."""
    value = datetime.fromisoformat(crawl_date)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def score_body(text: str, body: list[str]) -> dict[str, float]:
    found, truth = tokenize(text), tokenize("\n".join(body))
    precision, recall, f1 = prf(shingles(found), shingles(truth))
    return {"precision": precision, "recall": recall, "f1": f1, "rouge_l": rouge_l(found, truth)}


def _score(
    text: str, title: str | None, authors: list[str], date: str | None, row: dict[str, Any], secs: float
) -> Scores:
    return Scores(
        **score_body(text, row["body"]),
        date=float(date is not None and date == truth_date(row.get("publishing_date"))),
        title=float(fold(title) == fold(row.get("title"))),
        authors=float(same_authors(authors, row.get("authors"))),
        seconds=secs,
    )


_Ours = tuple[Scores, str, dict[str, Any], PageFingerprint | None]


def _run_ours(
    html: str, hints: PageHints, row: dict[str, Any], rules: ProfileRules | None = None, learn: bool = False
) -> _Ours:
    start = time.perf_counter()
    try:
        result, fingerprint = extract_and_fingerprint(html, hints, rules, learn=learn)
    except ExtractionError as exc:
        return Scores(seconds=time.perf_counter() - start, error=exc.reason), "", {}, None
    secs = time.perf_counter() - start
    found = {
        "title": [result.title, row.get("title")],
        "authors": [result.authors, row.get("authors")],
        "date": [result.published.datetime or result.published.date, row.get("publishing_date")],
        "date_source": result.published.source,
    }
    scores = _score(result.text, result.title, result.authors, result.published.date, row, secs)
    return scores, result.text, found, fingerprint


def _run_trafilatura(html: str, row: dict[str, Any]) -> Scores:
    import trafilatura

    start = time.perf_counter()
    doc = trafilatura.bare_extraction(html, url=row["url"], with_metadata=True)
    secs = time.perf_counter() - start
    if doc is None:
        return Scores(seconds=secs, error="none")
    fields = doc if isinstance(doc, dict) else doc.as_dict()
    authors = [a.strip() for a in (fields.get("author") or "").split(";") if a.strip()]
    return _score(fields.get("text") or "", fields.get("title"), authors, fields.get("date"), row, secs)


_DATED_NAME = re.compile(r"_\d{4}_\d{2}_\d{2}(?:_\w+)?\.html(?:\.gz)?$")


def site_of(row: dict[str, Any]) -> str:
    """The page's site: the publisher prefix of its file name (``WAZ_2024_05_03.html.gz`` -> ``WAZ``),
    else the URL's host without ``www.``."""
    name = Path(row.get("file") or "").name
    match = _DATED_NAME.search(name)
    if match and match.start() > 0:
        return name[: match.start()]
    from urllib.parse import urlsplit

    return (urlsplit(row.get("url") or "").hostname or "").removeprefix("www.")


def _load_page(dataset_dir: str, row: dict[str, Any]) -> tuple[str, PageHints]:
    raw = gzip.decompress((Path(dataset_dir) / row["file"]).read_bytes())
    return decode_html(raw), PageHints(url=row["url"], crawled_at=crawl_time(row["crawl_date"]))


def evaluate_page(args: tuple[str, dict[str, Any]]) -> PageResult:
    """Run both extractors on one page of the dataset, without a site profile."""
    dataset_dir, row = args
    html, hints = _load_page(dataset_dir, row)
    ours, text, found, _ = _run_ours(html, hints, row)
    return PageResult(
        file=row["file"],
        url=row["url"],
        ours=ours,
        trafilatura=_run_trafilatura(html, row),
        site=site_of(row),
        text=text,
        truth_body=row["body"],
        found=found,
    )


def evaluate_site(args: tuple[str, list[dict[str, Any]]]) -> list[PageResult]:
    """One site's pages (a pool worker): pass 1 cleans each page plainly and fingerprints it; a
    profile is learned from all of them; pass 2 cleans each page again with the profile."""
    dataset_dir, rows = args
    pages = [_load_page(dataset_dir, row) for row in rows]
    plain = [_run_ours(html, hints, row, learn=True) for (html, hints), row in zip(pages, rows, strict=True)]
    fingerprints = [fp for *_, fp in plain if fp is not None]
    rules = learn(site_of(rows[0]), fingerprints).rules() if len(fingerprints) > 1 else ProfileRules()
    out: list[PageResult] = []
    for (html, hints), row, first in zip(pages, rows, plain, strict=True):
        ours = _run_ours(html, hints, row, rules) if rules else first
        out.append(
            PageResult(
                file=row["file"],
                url=row["url"],
                ours=ours[0],
                plain=first[0],
                trafilatura=_run_trafilatura(html, row),
                site=site_of(row),
                text=ours[1],
                truth_body=row["body"],
                found=ours[2],
            )
        )
    return out


def _averages(scores: list[Scores]) -> dict[str, float]:
    n = len(scores) or 1
    out = {name: sum(getattr(s, name) for s in scores) / n for name in METRICS}
    seconds = sum(s.seconds for s in scores)
    out["pages_per_s"] = len(scores) / seconds if seconds else 0.0
    out["errors"] = float(sum(1 for s in scores if s.error))
    return out


def load_truth(dataset_dir: Path, limit: int | None = None) -> list[dict[str, Any]]:
    rows = [
        json.loads(line) for line in (dataset_dir / "truth.jsonl").read_text("utf-8").splitlines() if line
    ]
    return rows[:limit] if limit is not None else rows


def evaluate(
    dataset_dir: Path, limit: int | None = None, processes: int = 2, profiles: bool = True
) -> EvalReport:
    """Score ours (with site profiles unless ``profiles`` is False) and plain trafilatura on every
    page (pages/s is per core: pages over summed seconds)."""
    rows = load_truth(dataset_dir, limit)
    if profiles:
        by_site: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_site.setdefault(site_of(row), []).append(row)
        groups = sorted(by_site.values(), key=len, reverse=True)  # big groups first: better packing
        site_jobs = [(str(dataset_dir), group) for group in groups]
        if processes > 1 and len(site_jobs) > 1:
            with get_context("spawn").Pool(processes) as pool:
                results = pool.map(evaluate_site, site_jobs, chunksize=1)
        else:
            results = [evaluate_site(job) for job in site_jobs]
        order = {row["file"]: i for i, row in enumerate(rows)}
        pages = sorted((p for group in results for p in group), key=lambda p: order[p.file])
    else:
        jobs = [(str(dataset_dir), row) for row in rows]
        if processes > 1 and len(jobs) > 1:
            with get_context("spawn").Pool(processes) as pool:
                pages = pool.map(evaluate_page, jobs, chunksize=1)
        else:
            pages = [evaluate_page(job) for job in jobs]
    plain = [p.plain for p in pages if p.plain is not None]
    return EvalReport(
        pages=pages,
        ours=_averages([p.ours for p in pages]),
        trafilatura=_averages([p.trafilatura for p in pages]),
        plain=_averages(plain) if len(plain) == len(pages) and plain else {},
    )


def render_report(report: EvalReport) -> str:
    """A side-by-side table (ours vs trafilatura, and ours without site profiles) as plain text."""
    from rich.console import Console
    from rich.table import Table

    sites = len({p.site for p in report.pages if p.site}) or len(report.pages)
    table = Table(title=f"Extraction quality on {len(report.pages)} pages ({sites} sites)")
    table.add_column("metric")
    table.add_column("ours", justify="right")
    if report.plain:
        table.add_column("no profile", justify="right")
    table.add_column("trafilatura", justify="right")
    table.add_column("delta", justify="right")
    for name in (*METRICS, "pages_per_s", "errors"):
        ours, base = report.ours.get(name, 0.0), report.trafilatura.get(name, 0.0)
        plain = [f"{report.plain.get(name, 0.0):.3f}"] if report.plain else []
        table.add_row(name, f"{ours:.3f}", *plain, f"{base:.3f}", f"{ours - base:+.3f}")
    console = Console(width=100, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(table)
    return console.export_text()


def _segment_overlap(segment: str, reference: Counter[tuple[str, ...]]) -> float:
    own = shingles(tokenize(segment))
    total = sum(own.values())
    return sum((own & reference).values()) / total if total else 1.0


def page_diff(page: PageResult, threshold: float = 0.5) -> tuple[list[str], list[str]]:
    """Lines we kept that are (mostly) not in the truth, and truth paragraphs we (mostly) missed."""
    truth_sh = shingles(tokenize("\n".join(page.truth_body)))
    ours_sh = shingles(tokenize(page.text))
    extra = [ln for ln in page.text.splitlines() if ln.strip() and _segment_overlap(ln, truth_sh) < threshold]
    missed = [p for p in page.truth_body if p.strip() and _segment_overlap(p, ours_sh) < threshold]
    return extra, missed


def worst_pages(report: EvalReport, n: int = 10, width: int = 100) -> str:
    """The n pages with the lowest body F1 (ours), each with a short diff against the truth."""
    out: list[str] = []
    for page in sorted(report.pages, key=lambda p: p.ours.f1)[:n]:
        s = page.ours
        out.append(
            f"== {page.file}  F1 {s.f1:.3f} P {s.precision:.3f} R {s.recall:.3f}"
            f" ({f'no profile F1 {page.plain.f1:.3f}, ' if page.plain else ''}"
            f"trafilatura F1 {page.trafilatura.f1:.3f}){' error ' + s.error if s.error else ''}"
        )
        extra, missed = page_diff(page)
        out.extend(f"  + {line[:width]}" for line in extra[:8])
        out.extend(f"  - {line[:width]}" for line in missed[:8])
    return "\n".join(out)


def check_floors(report: EvalReport, floors: dict[str, float]) -> list[str]:
    """Failures of the quality gate: each metric of ours below its pinned floor."""
    failures = []
    for name, floor in floors.items():
        value = report.ours.get(name)
        if value is None:
            failures.append(f"{name}: unknown metric")
        elif value < floor:
            failures.append(f"{name}: {value:.4f} < floor {floor:.4f}")
    return failures


def load_floors(path: Path | None = None) -> dict[str, float]:
    """The pinned floors shipped next to this module."""
    path = path or Path(__file__).with_name("quality_floors.json")
    data: dict[str, float] = json.loads(path.read_text("utf-8"))
    return data
