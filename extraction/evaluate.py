"""Score our extractor and plain trafilatura against dev sets of saved pages with truth.

Two truth kinds, told apart per row: news-pages style (``body`` paragraphs, title, authors,
publishing_date; scored with token-shingle precision/recall per page) and trafilatura-eval style
(``with`` / ``without`` snippets; a snippet counts when found in the whitespace-collapsed text,
summed over all snippets of all pages). Both extractors see the same decoded HTML and the same URL,
so the numbers are directly comparable; the CLI only wires these functions, and the report
(halves, worse-than-trafilatura pages, confidence deciles) is ``extraction.evalreport``.

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
import zlib
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
SNIPPET_METRICS = ("f1", "precision", "recall", "accuracy", "pages_with_miss")
FIXED_CRAWL_TIME = "2026-08-01T00:00:00+00:00"  # snippet sets carry no crawl date

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
    # snippet truth only: indices of ``with`` snippets missing and ``without`` snippets present
    lost: list[int] = Field(default_factory=list)
    kept: list[int] = Field(default_factory=list)


class PageResult(BaseModel):
    """Both extractors' output and scores on one page, kept for diffs of the worst pages."""

    file: str
    url: str
    dataset: str = ""  # the set's folder, as given
    ours: Scores
    trafilatura: Scores
    plain: Scores | None = None  # ours without the site profile (None: profiles not evaluated)
    site: str = ""
    text: str = ""
    trafilatura_text: str = ""
    truth_body: list[str] = Field(default_factory=list)
    truth_with: list[str] = Field(default_factory=list)  # snippet truth (trafilatura-eval style)
    truth_without: list[str] = Field(default_factory=list)
    found: dict[str, Any] = Field(default_factory=dict)  # our title/authors/date vs truth
    confidence: float | None = None  # ours: extraction.confidence
    signals: dict[str, Any] = Field(default_factory=dict)  # what the confidence was made of

    @property
    def snippets(self) -> bool:
        """Whether this page has snippet truth (else body paragraphs)."""
        return bool(self.truth_with or self.truth_without)


class EvalReport(BaseModel):
    """Per-page results plus averages for both extractors."""

    name: str = ""  # the dataset folder's name (what floors are keyed by)
    kind: str = "body"  # body | snippets
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


def collapse(text: str) -> str:
    """Whitespace collapsed to single spaces (how snippets are matched)."""
    return " ".join(text.split())


def score_snippets(text: str, with_: Sequence[str], without: Sequence[str]) -> Scores:
    """One page's snippet outcome: TP/FN from ``with``, FP/TN from ``without`` (page-level P/R/F1
    for sorting; the set's own figures sum the counts over all pages)."""
    flat = collapse(text)
    lost = [i for i, snippet in enumerate(with_) if collapse(snippet) not in flat]
    kept = [i for i, snippet in enumerate(without) if collapse(snippet) in flat]
    tp, fp = len(with_) - len(lost), len(kept)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / len(with_) if with_ else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(f1=f1, precision=precision, recall=recall, lost=lost, kept=kept)


def _score(
    text: str, title: str | None, authors: list[str], date: str | None, row: dict[str, Any], secs: float
) -> Scores:
    if "body" not in row:
        scores = score_snippets(text, row.get("with") or [], row.get("without") or [])
        scores.seconds = secs
        return scores
    return Scores(
        **score_body(text, row["body"]),
        date=float(date is not None and date == truth_date(row.get("publishing_date"))),
        title=float(fold(title) == fold(row.get("title"))),
        authors=float(same_authors(authors, row.get("authors"))),
        seconds=secs,
    )


_Ours = tuple[Scores, str, dict[str, Any], PageFingerprint | None, dict[str, Any]]


def _run_ours(
    html: str, hints: PageHints, row: dict[str, Any], rules: ProfileRules | None = None, learn: bool = False
) -> _Ours:
    start = time.perf_counter()
    try:
        result, fingerprint = extract_and_fingerprint(html, hints, rules, learn=learn)
    except ExtractionError as exc:
        return Scores(seconds=time.perf_counter() - start, error=exc.reason), "", {}, None, {}
    secs = time.perf_counter() - start
    found = {
        "title": [result.title, row.get("title")],
        "authors": [result.authors, row.get("authors")],
        "date": [result.published.datetime or result.published.date, row.get("publishing_date")],
        "date_source": result.published.source,
    }
    scores = _score(result.text, result.title, result.authors, result.published.date, row, secs)
    quality = result.quality.model_dump() if result.quality else {}
    return scores, result.text, found, fingerprint, quality


def _run_trafilatura(html: str, row: dict[str, Any]) -> tuple[Scores, str]:
    import trafilatura

    start = time.perf_counter()
    doc = trafilatura.bare_extraction(html, url=row["url"], with_metadata=True)
    secs = time.perf_counter() - start
    if doc is None:
        return _score("", None, [], None, row, secs).model_copy(update={"error": "none"}), ""
    fields = doc if isinstance(doc, dict) else doc.as_dict()
    authors = [a.strip() for a in (fields.get("author") or "").split(";") if a.strip()]
    text = fields.get("text") or ""
    return _score(text, fields.get("title"), authors, fields.get("date"), row, secs), text


_DATED_NAME = re.compile(r"_\d{4}_\d{2}_\d{2}(?:_\w+)?\.html(?:\.gz)?$")


def site_of(row: dict[str, Any]) -> str:
    """The page's site: the publisher prefix of its file name (``WAZ_2024_05_03.html.gz`` -> ``WAZ``),
    else the URL's host without ``www.``."""
    name = Path(row.get("file") or "").name
    match = _DATED_NAME.search(name)
    if match and match.start() > 0:
        return name[: match.start()]
    from urllib.parse import urlsplit

    url = row.get("url") or ""
    archived = _ARCHIVED.match(url)  # a web archive's copy belongs to the site it copied
    if archived:
        url = archived.group(1) if "://" in archived.group(1) else f"http://{archived.group(1)}"
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    if not url.startswith(("http://", "https://")) or not host:
        return name.split(".html")[0]  # no usable address: the page is its own site
    return host.removeprefix("www.")


_ARCHIVED = re.compile(r"https?://web\.archive\.org/web/\d+[a-z_]*/(.+)")


def half_of(site: str) -> str:
    """The dev-set half a site belongs to ("A" or "B"), stable across runs and machines: rules are
    designed on half A and checked on half B."""
    return "A" if zlib.crc32(site.encode("utf-8")) % 2 == 0 else "B"


def _load_page(dataset_dir: str, row: dict[str, Any]) -> tuple[str, PageHints]:
    raw = gzip.decompress((Path(dataset_dir) / row["file"]).read_bytes())
    when = crawl_time(row.get("crawl_date") or FIXED_CRAWL_TIME)
    return decode_html(raw), PageHints(url=row["url"], crawled_at=when)


def _page(
    dataset: str, row: dict[str, Any], ours: _Ours, trafilatura: tuple[Scores, str], plain: Scores | None
) -> PageResult:
    return PageResult(
        file=row["file"],
        url=row["url"],
        dataset=dataset,
        ours=ours[0],
        plain=plain,
        trafilatura=trafilatura[0],
        site=site_of(row),
        text=ours[1],
        trafilatura_text=trafilatura[1],
        truth_body=row.get("body") or [],
        truth_with=row.get("with") or [],
        truth_without=row.get("without") or [],
        found=ours[2],
        confidence=ours[4].get("confidence"),
        signals=ours[4],
    )


def evaluate_page(args: tuple[str, dict[str, Any]]) -> PageResult:
    """Run both extractors on one page of the dataset, without a site profile."""
    dataset_dir, row = args
    html, hints = _load_page(dataset_dir, row)
    return _page(dataset_dir, row, _run_ours(html, hints, row), _run_trafilatura(html, row), None)


def evaluate_site(args: tuple[str, list[dict[str, Any]]]) -> list[PageResult]:
    """One site's pages (a pool worker): pass 1 cleans each page plainly and fingerprints it; a
    profile is learned from all of them; pass 2 cleans each page again with the profile."""
    dataset_dir, rows = args
    pages = [_load_page(dataset_dir, row) for row in rows]
    plain = [_run_ours(html, hints, row, learn=True) for (html, hints), row in zip(pages, rows, strict=True)]
    fingerprints = [ours[3] for ours in plain if ours[3] is not None]
    rules = learn(site_of(rows[0]), fingerprints).rules() if len(fingerprints) > 1 else ProfileRules()
    out: list[PageResult] = []
    for (html, hints), row, first in zip(pages, rows, plain, strict=True):
        ours = _run_ours(html, hints, row, rules) if rules else first
        out.append(_page(dataset_dir, row, ours, _run_trafilatura(html, row), first[0]))
    return out


def _averages(scores: list[Scores]) -> dict[str, float]:
    n = len(scores) or 1
    out = {name: sum(getattr(s, name) for s in scores) / n for name in METRICS}
    seconds = sum(s.seconds for s in scores)
    out["pages_per_s"] = len(scores) / seconds if seconds else 0.0
    out["errors"] = float(sum(1 for s in scores if s.error))
    return out


def snippet_averages(pages: Sequence[PageResult], side: str) -> dict[str, float]:
    """trafilatura's own evaluation: TP/FN/FP/TN summed over all snippets of all pages."""
    scores = [(page, getattr(page, side)) for page in pages]
    tp = sum(len(p.truth_with) - len(s.lost) for p, s in scores)
    fn = sum(len(s.lost) for _, s in scores)
    fp = sum(len(s.kept) for _, s in scores)
    tn = sum(len(p.truth_without) - len(s.kept) for p, s in scores)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    seconds = sum(s.seconds for _, s in scores)
    return {
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "precision": precision,
        "recall": recall,
        "accuracy": (tp + tn) / (tp + fn + fp + tn) if scores else 0.0,
        "pages_with_miss": float(sum(1 for _, s in scores if s.lost or s.kept)),
        "pages_per_s": len(scores) / seconds if seconds else 0.0,
        "errors": float(sum(1 for _, s in scores if s.error)),
    }


def side_averages(pages: Sequence[PageResult], side: str) -> dict[str, float]:
    """One side's ("ours", "trafilatura", "plain") figures over some pages of one set."""
    if pages and pages[0].snippets:
        return snippet_averages(pages, side)
    return _averages([getattr(p, side) for p in pages])


def load_truth(dataset_dir: Path, limit: int | None = None) -> list[dict[str, Any]]:
    rows = [
        json.loads(line) for line in (dataset_dir / "truth.jsonl").read_text("utf-8").splitlines() if line
    ]
    return rows[:limit] if limit is not None else rows


def make_report(name: str, pages: list[PageResult]) -> EvalReport:
    """Averages of every side over the pages of one set."""
    has_plain = bool(pages) and all(p.plain is not None for p in pages)
    return EvalReport(
        name=name,
        kind="snippets" if pages and pages[0].snippets else "body",
        pages=pages,
        ours=side_averages(pages, "ours"),
        trafilatura=side_averages(pages, "trafilatura"),
        plain=side_averages(pages, "plain") if has_plain else {},
    )


def evaluate_sets(
    datasets: Sequence[Path], limit: int | None = None, processes: int = 2, profiles: bool = True
) -> list[EvalReport]:
    """Score ours (with site profiles learned per site unless ``profiles`` is False) and plain
    trafilatura on every page of every set, all sets' sites sharing one process pool (pages/s is
    per core: pages over summed seconds)."""
    jobs: list[tuple[str, list[dict[str, Any]]]] = []
    truth: dict[str, list[dict[str, Any]]] = {}
    for dataset_dir in datasets:
        rows = truth[str(dataset_dir)] = load_truth(dataset_dir, limit)
        by_site: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            key = site_of(row) if profiles else row["file"]
            by_site.setdefault(key, []).append(row)
        jobs.extend((str(dataset_dir), group) for group in by_site.values())
    jobs.sort(key=lambda job: len(job[1]), reverse=True)  # big groups first: better packing
    run = evaluate_site if profiles else _evaluate_group
    if processes > 1 and len(jobs) > 1:
        with get_context("spawn").Pool(processes) as pool:
            results = list(pool.imap_unordered(run, jobs, chunksize=2))
    else:
        results = [run(job) for job in jobs]
    by_file = {(p.dataset, p.file): p for group in results for p in group}
    return [
        make_report(Path(d).name, [by_file[(d, row["file"])] for row in rows]) for d, rows in truth.items()
    ]


def evaluate(
    dataset_dir: Path, limit: int | None = None, processes: int = 2, profiles: bool = True
) -> EvalReport:
    """``evaluate_sets`` for one set."""
    return evaluate_sets([dataset_dir], limit, processes, profiles)[0]


def _evaluate_group(args: tuple[str, list[dict[str, Any]]]) -> list[PageResult]:
    dataset_dir, rows = args
    return [evaluate_page((dataset_dir, row)) for row in rows]
