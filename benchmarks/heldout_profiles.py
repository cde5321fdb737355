"""Held-out check of site profiles on real site chrome: one template page, other articles' text.

    uv run python benchmarks/heldout_profiles.py [DATASET] [--pages K] [--limit N] [--json FILE]

The evaluation set has few pages per site, often years apart (templates changed), so profiles
barely get evidence there. This builds the situation a crawl sees: for each dataset page whose
article paragraphs can be located in its DOM (the template), K synthetic pages keep everything
of the template (menus, teasers, prompts, footers, in-article boxes: real chrome of ~150
publishers) but carry the paragraphs and headline of K other dataset articles instead. Two of the
K pages also share one long quote (in their truth). A profile is learned from the K pages of each
template and every page is scored with and without it against its donor's paragraphs. Nothing
here was used to tune the profile thresholds.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lxml.html import HtmlElement  # noqa: E402

from extraction.evaluate import _load_page, load_truth, score_body  # noqa: E402
from extraction.extract import extract_and_fingerprint, parse_html  # noqa: E402
from extraction.model import ExtractionError, PageHints  # noqa: E402
from extraction.profile import learn  # noqa: E402

DEFAULT_DATASET = ROOT.parent / "shared" / "datasets" / "news-pages"
_TEXT_TAGS = ("p", "h2", "h3", "h4", "li", "blockquote")
_HEADINGS = frozenset({"h2", "h3", "h4"})
_SPACE = re.compile(r"\s+")
MIN_COVERAGE = 0.95  # share of the template's truth text located in its DOM


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def locate(tree: HtmlElement, body: list[str]) -> tuple[list[HtmlElement], float]:
    """The template's article elements (innermost, in document order) and the share of its truth
    text they cover."""
    wanted = {_norm(p): len(p) for p in body if p.strip()}
    found: list[HtmlElement] = []
    covered: set[str] = set()
    for element in tree.iter(*_TEXT_TAGS):
        key = _norm(element.text_content())
        if key in wanted and key not in covered:
            if any(a in found for a in element.iterancestors()):
                continue
            found.append(element)
            covered.add(key)
    total = sum(wanted.values()) or 1
    return found, sum(wanted[k] for k in covered) / total


def synthesize(template: HtmlElement, slots: list[HtmlElement], title: str, paragraphs: list[str]) -> str:
    """The template with its article paragraphs and headline replaced by another article's."""
    tree = copy.deepcopy(template)
    index = {id(e): i for i, e in enumerate(template.iter())}
    by_index = list(tree.iter())
    targets = []
    for element in (by_index[index[id(e)]] for e in slots):
        if element.tag in _HEADINGS:  # a paragraph in a subheading slot would read as a heading
            element.getparent().remove(element)
        else:
            targets.append(element)
    for i, element in enumerate(targets):
        if i < len(paragraphs):
            for child in list(element):
                element.remove(child)
            element.text = paragraphs[i] if i < len(targets) - 1 else "\n".join(paragraphs[i:])
        else:
            element.getparent().remove(element)
    if len(paragraphs) > len(targets) and targets:
        last = targets[-1]
        last.text = paragraphs[len(targets) - 1]
        for text in reversed(paragraphs[len(targets) :]):
            extra = copy.deepcopy(last)
            extra.text = text
            extra.tail = None
            last.addnext(extra)
    h1 = tree.find(".//h1")
    if h1 is not None:
        for child in list(h1):
            h1.remove(child)
        h1.text = title
    for element in tree.xpath(
        '//script[@type="application/ld+json"] | //meta[@name="description"] | //meta[@property="og:description"]'
    ):
        element.getparent().remove(element)
    from lxml.html import tostring

    return str(tostring(tree, encoding="unicode"))


def run_template(args: tuple[str, dict[str, Any], list[dict[str, Any]]]) -> dict[str, Any] | None:
    """K synthetic pages on one template: scores without and with the learned profile."""
    dataset, row, donors = args
    html, hints = _load_page(dataset, row)
    try:
        template = parse_html(html)
    except ExtractionError:
        return None
    slots, coverage = locate(template, row["body"])
    if coverage < MIN_COVERAGE or sum(e.tag not in _HEADINGS for e in slots) < 3:
        return None
    quote = max(donors[0]["body"], key=len)
    pages = []
    for k, donor in enumerate(donors):
        body = [p for p in donor["body"] if p.strip()]
        if k == 1:
            body = [*body[:2], quote, *body[2:]]  # the second page quotes the first one
        url = f"{row['url'].split('?')[0].rstrip('/')}/synthetic-{k}"
        page_hints = PageHints(url=url, crawled_at=hints.crawled_at)
        pages.append((synthesize(template, slots, donor["title"], body), page_hints, body))
    plain = []
    for page_html, page_hints, _ in pages:
        try:
            plain.append(extract_and_fingerprint(page_html, page_hints))
        except ExtractionError:
            return None
    rules = learn(row["file"], [fp for _, fp in plain if fp is not None]).rules()
    out = []
    for (page_html, page_hints, body), (first, _) in zip(pages, plain, strict=True):
        ours = extract_and_fingerprint(page_html, page_hints, rules, learn=False)[0] if rules else first
        out.append(
            {
                "plain": score_body(first.text, body),
                "profile": score_body(ours.text, body),
                "quote_in_truth": quote in body,
                "quote_kept": _norm(quote)[:200] in _norm(ours.text),
                "quote_kept_plain": _norm(quote)[:200] in _norm(first.text),
            }
        )
    return {"template": row["file"], "coverage": coverage, "pages": out}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", nargs="?", type=Path, default=DEFAULT_DATASET)
    ap.add_argument("--pages", type=int, default=4, help="synthetic pages per template (K)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N templates")
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    rows = load_truth(args.dataset)
    donors_pool = [r for r in rows if len([p for p in r["body"] if p.strip()]) >= 4]
    jobs = []
    for i, row in enumerate(rows[: args.limit]):
        others = [d for d in donors_pool if d["file"] != row["file"]]
        start = (i * 7) % len(others)
        donors = [others[(start + j * 13) % len(others)] for j in range(args.pages)]
        jobs.append((str(args.dataset), row, donors))
    with get_context("spawn").Pool(args.processes) as pool:
        results = [r for r in pool.map(run_template, jobs, chunksize=1) if r is not None]
    pages = [p for r in results for p in r["pages"]]
    n = len(pages) or 1
    summary: dict[str, Any] = {"templates": len(results), "pages": len(pages), "per_template": args.pages}
    for side in ("plain", "profile"):
        summary[side] = {m: sum(p[side][m] for p in pages) / n for m in ("f1", "precision", "recall")}
    quoted = [p for p in pages if p["quote_in_truth"]]
    lost = sum(p["quote_kept_plain"] and not p["quote_kept"] for p in quoted)
    summary["shared_quotes"] = {"pages": len(quoted), "lost_to_profile": lost}
    worse = [
        r["template"]
        for r in results
        if any(p["profile"]["f1"] < p["plain"]["f1"] - 1e-9 for p in r["pages"])
    ]
    better = [
        r["template"]
        for r in results
        if any(p["profile"]["f1"] > p["plain"]["f1"] + 1e-9 for p in r["pages"])
    ]
    summary["templates_better"], summary["templates_worse"] = len(better), len(worse)
    print(
        f"{summary['templates']} templates x {args.pages} synthetic pages ({len(jobs)} tried; a template "
        f"needs {MIN_COVERAGE:.0%} of its truth located in the DOM)\n"
        f"  without profile: F1 {summary['plain']['f1']:.4f}  P {summary['plain']['precision']:.4f}  "
        f"R {summary['plain']['recall']:.4f}\n"
        f"  with profile:    F1 {summary['profile']['f1']:.4f}  P {summary['profile']['precision']:.4f}  "
        f"R {summary['profile']['recall']:.4f}\n"
        f"  templates with a better page: {len(better)}, with a worse page: {len(worse)} {worse[:8]}\n"
        f"  shared quote: on {len(quoted)} pages, removed by the profile on {lost}"
    )
    if args.json:
        args.json.write_text(
            json.dumps({"summary": summary, "templates": results}, indent=1), encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
