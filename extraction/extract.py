"""Entry point of page extraction: decoded HTML + crawl hints -> clean text and metadata.

The page is parsed once; the tree feeds our metadata readers and then, after generic boilerplate
pruning, trafilatura's body extractor (given the tree, not the string, so nothing is parsed twice).
Our own line cleaning runs last. A per-site profile (``extraction.profile``), when given, removes
the site's learned boilerplate blocks after the generic pruning and its boilerplate lines after the
line cleaning; the page's fingerprint (what it teaches its site's profile) is taken on the way.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import trafilatura
from lxml import etree
from lxml import html as lxml_html
from lxml.html import HtmlElement
from trafilatura import utils as trafilatura_utils
from trafilatura.utils import load_html
from w3lib.encoding import html_to_unicode

from extraction import clean, confidence, dates, lines, metadata, pagetype
from extraction import profile as site_profile
from extraction.dom import text_of, texts
from extraction.model import Extraction, ExtractionError, PageHints
from extraction.structured import Structured, as_text, read_structured

LOGGER = logging.getLogger(__name__)

EXTRACTOR_VERSION = "1.0.0"

MAX_HTML_CHARS = 20_000_000  # trafilatura's own input limit
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1a]")


def decode_html(body: bytes, declared_encoding: str | None = None) -> str:
    """Bytes to text: a BOM wins, then valid UTF-8 (pages often declare a legacy charset but are
    UTF-8), then the HTTP/meta charset via w3lib. Undecodable bytes become U+FFFD, never an error."""
    if not body.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    header = f"text/html; charset={declared_encoding}" if declared_encoding else None
    try:
        return html_to_unicode(header, body)[1]
    except (LookupError, ValueError):  # unknown declared charset name
        return body.decode("utf-8", errors="replace")


# lxml.html's parser picks each element's class in Python (form elements get their own classes),
# once per element proxy made: ~1M calls per 235 pages, ~7% of cleaning CPU. Neither trafilatura nor
# we use the form classes, so trafilatura's parser gets lxml's C lookup of one class per node kind.
trafilatura_utils.HTML_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=HtmlElement,
        comment=lxml_html.HtmlComment,
        pi=lxml_html.HtmlProcessingInstruction,
        entity=lxml_html.HtmlEntity,
    )
)


def parse_html(html: str) -> HtmlElement:
    """Parse once, refusing input that is empty, binary or not HTML at all."""
    if not html or not html.strip():
        raise ExtractionError("empty-body")
    if len(html) > MAX_HTML_CHARS:
        raise ExtractionError("too-large", f"{len(html)} characters")
    sample = html[:4096]
    if len(_BINARY.findall(sample)) > 8 or sample.count("\ufffd") > 200:
        raise ExtractionError("not-html", "binary content")
    if "<" not in sample and "<" not in html[:65536]:
        raise ExtractionError("not-html", "no markup")
    try:
        tree = load_html(html)
    except Exception as exc:  # lxml raises several types on hostile input
        raise ExtractionError("unparseable", f"{type(exc).__name__}: {exc}") from exc
    if tree is None or (tree.find(".//body") is None and len(tree) == 0):
        raise ExtractionError("unparseable", "no document tree")
    return tree


def run_trafilatura(tree: HtmlElement, url: str) -> str:
    """Body text from trafilatura on our (pruned) tree; comments are not article text."""
    try:
        document = trafilatura.bare_extraction(
            tree,
            url=url,
            include_comments=False,
            include_tables=True,
            with_metadata=False,
        )
    except RecursionError:
        raise ExtractionError("unparseable", "document nested too deeply") from None
    if document is None:
        return ""
    text: str = getattr(document, "text", None) or ""
    return text


def second_extractor(tree: HtmlElement) -> str | None:
    """A second opinion on the main text: trafilatura's bundled readability port (no extra
    dependency), on a copy of the pruned tree; asked only when the two trafilatura runs disagree."""
    from copy import deepcopy

    from trafilatura.readability_lxml import Document

    try:
        summary = Document(deepcopy(tree)).summary()
        fragment = lxml_html.fromstring(summary) if summary.strip() else None
    except Exception:  # a second opinion is optional: no text, no signal
        return None
    if fragment is None:
        return None
    parts = (" ".join(texts(e)).strip() for e in fragment.iter("p", "h2", "h3", "li", "td", "blockquote"))
    return "\n".join(p for p in parts if p) or None


def _metadata(tree: HtmlElement, structured: Structured, hints: PageHints) -> dict[str, Any]:
    names = metadata.site_names(structured, hints.url)
    claimed = metadata.declared_canonical(tree, structured, hints.url)
    candidates = metadata.title_candidates(tree, structured)
    return {
        "title": metadata.choose_title(candidates, names),
        "title_variants": metadata.title_variants(candidates, names),
        "authors": metadata.choose_authors(tree, structured, names),
        "language": metadata.choose_language(tree, structured),
        "description": metadata.choose_description(structured),
        "declared_canonical": claimed,
        "canonical_url": metadata.choose_canonical(claimed, hints.url, hints.allowed_domains),
    }


def extract_page(
    html: str,
    hints: PageHints,
    profile: site_profile.ProfileRules | site_profile.SiteProfile | None = None,
) -> Extraction:
    """Clean text and metadata of one page; ExtractionError for pages that cannot be cleaned.

    ``profile``: the page's site profile (or its compiled rules, cheaper when cleaning many pages),
    applied on top of the generic cleaning; None or an empty profile gives the plain pipeline.
    """
    rules = profile.rules() if isinstance(profile, site_profile.SiteProfile) else profile
    return extract_and_fingerprint(html, hints, rules, learn=False)[0]


def extract_and_fingerprint(
    html: str, hints: PageHints, rules: site_profile.ProfileRules | None = None, *, learn: bool = True
) -> tuple[Extraction, site_profile.PageFingerprint | None]:
    """``extract_page`` plus, with ``learn``, the page's fingerprint for its site's profile
    (taken before the profile's own pruning, so learned blocks keep being counted)."""
    tree = parse_html(html)
    try:
        return _extract(tree, hints, rules, learn, html)
    except ExtractionError:
        raise
    except RecursionError:
        raise ExtractionError("unparseable", "document nested too deeply") from None
    except Exception as exc:  # a bug or library failure on odd input must not kill the crawl
        LOGGER.exception("extraction failed for %s", hints.url)
        raise ExtractionError("extractor-error", f"{type(exc).__name__}: {exc}") from exc


def _extract(
    tree: HtmlElement, hints: PageHints, rules: site_profile.ProfileRules | None, learn: bool, html: str
) -> tuple[Extraction, site_profile.PageFingerprint | None]:
    structured = read_structured(tree)
    meta = _metadata(tree, structured, hints)
    rejected: set[str] = set()  # declared days later than the crawl, refused as guesses too
    published = dates.find_declared(tree, structured, hints.crawled_at, rejected)
    modified = dates.find_modified(tree, structured, hints.crawled_at)

    signals = pagetype.read_signals(tree, structured, hints.url)
    lead = clean.find_lead(tree, meta["description"])
    link_texts = [text_of(a) for a in tree.iter("a")]  # before pruning removes menus

    paragraphs_before = clean.paragraph_chars(tree)
    clean.prune_tree(tree)  # in place: metadata is read already and trafilatura copies the tree
    pruned = 1 - clean.paragraph_chars(tree) / paragraphs_before if paragraphs_before else 0.0
    if published.date is None:
        published = dates.find_guessed(
            tree, hints.url, hints.crawled_at, hints.feed_date, hints.sitemap_date, rejected
        )
    # The profile acts after every metadata and date read: a repeated "Updated: <date>" line is
    # chrome to the profile but may be the page's only date.
    fingerprint = None
    coverage = 0.0
    if rules or learn:
        blocks = site_profile.page_blocks(tree, rules)
        if learn:
            fingerprint = site_profile.fingerprint(hints.url, blocks)
        if rules:
            coverage = site_profile.coverage(blocks, rules)
            site_profile.prune_blocks(blocks, rules)

    text = run_trafilatura(tree, hints.url)
    structured_body = as_text((structured.article or {}).get("articleBody"))
    if len(text) < clean.SHORT_TEXT:
        text = clean.embedded_body(structured_body, tree) or text
    variants = meta.pop("title_variants")

    def finish(raw: str) -> str:
        done = lines.clean_lines(raw, meta["title"], meta["authors"], variants, link_texts)
        if rules:
            done = site_profile.clean_lines(done, rules, keep=[lead or ""])
        return clean.add_lead(done, lead)

    raw_chars = len(text)
    text = finish(text)
    # the reference for "do no harm", plain trafilatura on the unpruned page, is only asked where
    # a fallback can happen (a short text): a second trafilatura run on every page costs 30%
    plain = (
        parse_html(html)
        if len(text) < confidence.ASK_REFERENCE_BELOW and "fallback" not in clean.disabled
        else None
    )
    reference = run_trafilatura(plain, hints.url) if plain is not None else ""
    text, quality = confidence.assess(
        text,
        finish(reference) if reference.strip() else None,
        structured_body=structured_body,
        html_chars=len(html),
        anchors=lambda: link_texts,
        second=lambda: second_extractor(tree),
        profile_coverage=coverage,
        pruned_share=pruned,
        lines_removed_share=1 - len(text) / raw_chars if raw_chars else 0.0,
    )
    if not text.strip():
        raise ExtractionError("no-text", "no article text found")

    kind = pagetype.classify(signals, text)
    result = Extraction(
        url=hints.url,
        published=published,
        modified=modified,
        text=text,
        page_type=kind.page_type,
        is_article=kind.is_article,
        paywalled=kind.paywalled,
        reasons=kind.reasons,
        quality=quality,
        **meta,
    )
    return result, fingerprint
