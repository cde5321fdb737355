"""Per-site boilerplate profiles: learn what repeats across a site's pages, remove it.

A crawl sees many pages of one site. Its chrome (menus, "Read next" heads, newsletter and app
prompts, bios, share rows, legal lines) repeats from page to page while article text does not.
Each cleaned page yields a light ``PageFingerprint``: its text blocks as (DOM signature, normalised
text) hashes. A ``SiteProfile`` counts on how many distinct pages each block and each text was
seen; ``ProfileRules`` (the compiled, small part shipped to extraction workers) says which to drop.

Why it is safe:
- A block needs the same DOM signature *and* the same text on >= 2 pages (small sites) or >= 3
  pages and a share of the pages; text alone (any position) needs a larger share.
- Long sentences inside the page's main text container are protected: two articles quoting the
  same sentence never remove it; only presence on half the pages (and >= 4) does. After
  trafilatura, where the position is unknown, every long line is protected that way.
- A site seen once has no repeated blocks, so nothing changes (plain pipeline).
- Removal never takes more than ``max_removed_share`` of a page's block text.

Nothing here names a site: signatures are learned from markup, per site, from pages already seen.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from lxml.html import HtmlElement
from pydantic import BaseModel, Field

from extraction.clean import drop_keep_tail
from extraction.dom import text_of

PROFILE_SCHEMA_VERSION = 1

# Elements whose whole text is one paragraph-like block.
_LEAF_TAGS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "blockquote", "figcaption", "pre", "address"}
)
# Children that make a generic container a layout box rather than a paragraph.
_BLOCKISH = frozenset(
    {
        *_LEAF_TAGS,
        "div",
        "section",
        "article",
        "aside",
        "header",
        "footer",
        "nav",
        "main",
        "ul",
        "ol",
        "dl",
        "table",
        "form",
        "figure",
    }
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "math", "iframe", "object", "head"})
_TABLE_CELLS = frozenset({"td", "th", "tr", "tbody", "thead", "table"})
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")
_BULLET = re.compile(r"^(?:[-•*·|>–—]\s*)+")
_LETTER = re.compile(r"[^\W\d_]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_CLASS_TOKEN = re.compile(r"[^a-z#_-]+")
SAMPLE_CHARS = 160
MAX_CLASSES = 3


# ---------------------------------------------------------------------------------------------
# Normalisation and hashing (pure)
# ---------------------------------------------------------------------------------------------


def short_hash(value: str) -> str:
    """48-bit hex digest: collisions are negligible at the scale of one site's profile."""
    return hashlib.blake2b(value.encode("utf-8"), digest_size=6).hexdigest()


def normalise_text(text: str) -> str:
    """The text as compared across pages: NFKC, casefolded, digits folded (dates, counters),
    whitespace collapsed, leading list bullets dropped (trafilatura prints items as "- ...")."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _SPACE.sub(" ", text).strip()
    text = _BULLET.sub("", text)
    return _DIGITS.sub("0", text).strip()


def words(text: str) -> int:
    """Word count; two CJK characters count as one word (those scripts do not use spaces)."""
    cjk = len(_CJK.findall(text))
    return len(text.split()) + cjk // 2


_STEPS: dict[tuple[str, str], str] = {}


def step(element: HtmlElement) -> str:
    """One level of a DOM signature: tag plus up to three class tokens, digits folded (ids such as
    ``post-123`` differ per page, the rest of the class name does not)."""
    tag = element.tag if isinstance(element.tag, str) else "?"
    return _step(tag, element.get("class") or "")


def _step(tag: str, class_attr: str) -> str:
    """Memoised: a page repeats the same few class strings hundreds of times."""
    memo = (tag, class_attr)
    found = _STEPS.get(memo)
    if found is None:
        tokens = {_CLASS_TOKEN.sub("", _DIGITS.sub("#", c.lower())) for c in class_attr.split()} - {""}
        found = ".".join([tag, *sorted(tokens)[:MAX_CLASSES]])
        if len(_STEPS) > 50_000:
            _STEPS.clear()
        _STEPS[memo] = found
    return found


# ---------------------------------------------------------------------------------------------
# Fingerprints of one page
# ---------------------------------------------------------------------------------------------


@dataclass
class PageBlock:
    """A text block of a page as the profile sees it (the element is kept for pruning)."""

    element: HtmlElement
    path: str  # DOM signature, readable: "div.page>article.story>p"
    key: str  # hash of path + normalised text
    text_key: str  # hash of the normalised text alone
    text: str  # the block's text, whitespace-folded (samples and budget)
    long: bool  # a sentence worth protecting
    in_main: bool  # inside the page's main text container


class BlockPrint(BaseModel):
    """One block in a fingerprint: what the profile counts (plus a readable sample)."""

    key: str
    text_key: str
    path: str
    text: str  # sample, at most SAMPLE_CHARS
    protected: bool = False  # long and inside the main container on this page


class PageFingerprint(BaseModel):
    """What a page contributes to its site's profile: distinct blocks, no HTML."""

    page: str  # short hash of the fetched URL, so a page fetched again counts once
    blocks: list[BlockPrint] = Field(default_factory=list)


def _has_letter(text: str | None) -> bool:
    if not text or text.isspace():
        return False
    return _LETTER.search(text) is not None


def iter_blocks(tree: HtmlElement) -> Iterator[tuple[HtmlElement, str]]:
    """Text blocks of the body in document order, with their DOM signature path.

    Blocks are paragraph-like leaves (p, h*, li, blockquote ...) and containers holding loose
    text (a paragraph written as a div or span) without block children. Tables are skipped (cells
    repeat numbers, not chrome). One pass; each element's children are listed once.
    """
    body = tree.find(".//body")
    if body is None:
        body = tree
    stack: list[tuple[HtmlElement, str]] = [(child, "") for child in reversed(body)]
    while stack:
        element, parent_path = stack.pop()
        tag = element.tag
        if tag.__class__ is not str or tag in _SKIP_TAGS or tag in _TABLE_CELLS:
            continue
        own = _step(tag, element.get("class") or "")
        path = f"{parent_path}>{own}" if parent_path else own
        if tag in _LEAF_TAGS:
            yield element, path
            continue
        children = list(element)
        loose = _has_letter(element.text)
        boxed = False
        for child in children:
            child_tag = child.tag
            if child_tag.__class__ is str and child_tag in _BLOCKISH:
                boxed = True
                break
            if not loose and _has_letter(child.tail):
                loose = True
        if loose and not boxed:
            yield element, path
            continue
        stack.extend((child, path) for child in reversed(children))


def _main_container(blocks: list[PageBlock], rules: ProfileRules | None) -> str | None:
    """Path of the container holding the most paragraph text: the article body. Text the
    profile already knows as boilerplate does not count (a login modal full of paragraphs repeated
    on every page must not pass for the article)."""
    weight: dict[str, int] = {}
    for block in blocks:
        if block.element.tag != "p" or ">" not in block.path:
            continue
        if rules is not None and (block.key in rules.blocks_strong or block.key in rules.blocks_weak):
            continue
        parent = block.path.rsplit(">", 1)[0]
        weight[parent] = weight.get(parent, 0) + len(block.text)
    if not weight:
        return None
    return max(weight.items(), key=lambda item: item[1])[0]


def page_blocks(tree: HtmlElement, rules: ProfileRules | None = None) -> list[PageBlock]:
    """The page's text blocks with their keys, protection and main-container flags (``rules``, the
    site's profile if any, helps find the main container)."""
    long_words = rules.long_words if rules is not None else Thresholds().long_words
    out: list[PageBlock] = []
    for element, path in iter_blocks(tree):
        text = _SPACE.sub(" ", text_of(element)).strip()
        if not text or not _LETTER.search(text):
            continue
        norm = normalise_text(text)
        out.append(
            PageBlock(
                element=element,
                path=path,
                key=short_hash(f"{path}\x00{norm}"),
                text_key=short_hash(norm),
                text=text,
                long=words(text) >= long_words,
                in_main=False,
            )
        )
    main = _main_container(out, rules)
    if main is not None:
        prefix = main + ">"
        for block in out:
            block.in_main = block.path.startswith(prefix)
    return out


def fingerprint(page_id: str, blocks: Iterable[PageBlock]) -> PageFingerprint:
    """The page's distinct blocks (each key once: a block twice on one page is one page)."""
    seen: dict[str, BlockPrint] = {}
    for block in blocks:
        known = seen.get(block.key)
        protected = block.long and block.in_main
        if known is None:
            seen[block.key] = BlockPrint.model_construct(  # our own values: no validation needed
                key=block.key,
                text_key=block.text_key,
                path=block.path,
                text=block.text[:SAMPLE_CHARS],
                protected=protected,
            )
        elif protected:
            known.protected = True
    return PageFingerprint(page=short_hash(page_id), blocks=list(seen.values()))


# ---------------------------------------------------------------------------------------------
# Profile: counts over pages, thresholds, compiled rules
# ---------------------------------------------------------------------------------------------


class Thresholds(BaseModel):
    """When a repeated block or text counts as boilerplate (see the module docstring)."""

    few_pages: int = 5  # a site with at most this many pages needs only 2 pages of evidence
    min_pages: int = 3  # otherwise: seen on at least this many distinct pages
    min_share: float = 0.2  # ... and on at least this share of the pages
    text_min_pages: int = 3  # text at any position: more pages ...
    text_min_share: float = 0.3  # ... and a larger share
    protected_min_pages: int = 4  # a long sentence in the main text: at least this many pages ...
    protected_share: float = 0.5  # ... and half the pages
    long_words: int = 12
    window: int = 400  # counts decay so the profile reflects about this many recent pages
    max_entries: int = 30_000  # single sightings beyond this are forgotten, oldest first
    max_removed_share: float = 0.5  # never remove more than this share of a page's block text


@dataclass(slots=True)
class Entry:
    """How often one block (or text) was seen; samples are kept once it repeats. A plain dataclass
    (pydantic validates and serialises it as a field of SiteProfile): learning updates ~100 entries
    a page, and a model's attribute assignment and init cost 3-4x a dataclass's."""

    n: float  # distinct pages (decayed)
    last: int  # page ordinal of the last sighting (for forgetting)
    text: str | None = None
    path: str | None = None
    protected: bool = False  # ever seen as a long sentence in a page's main container


class SiteProfile(BaseModel):
    """Everything learned about one site; stored in the archive as one JSON object per version."""

    schema_version: int = PROFILE_SCHEMA_VERSION
    site: str
    version: str | None = None
    created_at: str | None = None
    run_id: str | None = None
    pages: float = 0.0  # distinct pages counted (decayed like the entries)
    pages_total: int = 0  # every page ever counted (not decayed), for information
    thresholds: Thresholds = Field(default_factory=Thresholds)
    seen: list[str] = Field(default_factory=list)  # recent page ids, so a page counts once
    blocks: dict[str, Entry] = Field(default_factory=dict)  # (path, text) key -> entry
    texts: dict[str, Entry] = Field(default_factory=dict)  # text key -> entry

    def add(self, fp: PageFingerprint) -> bool:
        """Count one page (once per page id); False when it was counted before."""
        if fp.page in self.seen:
            return False
        self.seen.append(fp.page)
        del self.seen[: -4 * self.thresholds.window]
        self.pages += 1
        self.pages_total += 1
        ordinal = self.pages_total
        texts: dict[str, BlockPrint] = {}
        for block in fp.blocks:
            _count(self.blocks, block.key, ordinal, block, with_path=True)
            texts.setdefault(block.text_key, block)
        for key, block in texts.items():
            _count(self.texts, key, ordinal, block, with_path=False)
        return True

    def add_all(self, fps: Iterable[PageFingerprint]) -> int:
        """Count several pages, then decay and trim once; returns how many were new."""
        added = sum(self.add(fp) for fp in fps)
        self.compact()
        return added

    def compact(self) -> None:
        """Decay counts beyond the window and forget the oldest single sightings."""
        t = self.thresholds
        if self.pages > t.window:
            factor = t.window / self.pages
            self.pages = float(t.window)
            for table in (self.blocks, self.texts):
                for key in list(table):
                    table[key].n *= factor
                    if table[key].n < 0.5:
                        del table[key]
        for table in (self.blocks, self.texts):
            if len(table) > t.max_entries:
                order = sorted(table.items(), key=lambda item: (item[1].n >= 1.5, item[1].last))
                for key, _ in order[: len(table) - t.max_entries]:
                    del table[key]

    def rules(self) -> ProfileRules:
        """The compiled boilerplate sets the extractor applies."""
        t = self.thresholds
        rules = ProfileRules(max_removed_share=t.max_removed_share, long_words=t.long_words)
        for key, entry in self.blocks.items():
            kind = self.block_kind(entry)
            if kind == "strong":
                rules.blocks_strong.add(key)
            elif kind == "weak":
                rules.blocks_weak.add(key)
        for key, entry in self.texts.items():
            kind = self.text_kind(entry)
            if kind == "strong":
                rules.texts_strong.add(key)
            elif kind == "weak":
                rules.texts_weak.add(key)
        return rules

    def block_kind(self, entry: Entry) -> str | None:
        """'strong' (even a protected sentence), 'weak' (unless protected on the page) or None."""
        t = self.thresholds
        need = 2 if self.pages <= t.few_pages else t.min_pages
        if entry.n + 1e-9 < max(need, t.min_share * self.pages):
            return None
        return "strong" if self._strong(entry) else "weak"

    def text_kind(self, entry: Entry) -> str | None:
        """Like ``block_kind`` for a text at any position: needs more pages and a larger share."""
        t = self.thresholds
        need = 2 if self.pages <= t.few_pages else t.text_min_pages
        if entry.n + 1e-9 < max(need, t.text_min_share * self.pages):
            return None
        return "strong" if self._strong(entry) else "weak"

    def _strong(self, entry: Entry) -> bool:
        t = self.thresholds
        return entry.n + 1e-9 >= max(t.protected_min_pages, t.protected_share * self.pages)

    def learned(self) -> dict[str, list[Entry]]:
        """Boilerplate entries (blocks and texts) as a person wants to read them, most frequent first."""
        blocks = [e for e in self.blocks.values() if self.block_kind(e)]
        texts = [e for e in self.texts.values() if self.text_kind(e)]
        return {
            "blocks": sorted(blocks, key=lambda e: (-e.n, e.path or "", e.text or "")),
            "texts": sorted(texts, key=lambda e: (-e.n, e.text or "")),
        }


def _count(table: dict[str, Entry], key: str, ordinal: int, block: BlockPrint, *, with_path: bool) -> None:
    entry = table.get(key)
    if entry is None:
        table[key] = Entry(n=1.0, last=ordinal, protected=block.protected)
        return
    entry.n += 1.0
    entry.last = ordinal
    entry.protected = entry.protected or block.protected
    if entry.text is None:  # repeated now: keep a readable sample
        entry.text = block.text
        entry.path = block.path if with_path else None


def learn(site: str, fps: Iterable[PageFingerprint], base: SiteProfile | None = None) -> SiteProfile:
    """A profile from fingerprints, on top of ``base`` (the site's stored profile) if given."""
    profile = base.model_copy(deep=True) if base is not None else SiteProfile(site=site)
    profile.add_all(fps)
    return profile


@dataclass
class ProfileRules:
    """The part of a profile extraction needs: which block and text hashes are boilerplate.

    Small and picklable, so it travels to extraction worker processes with each page.
    """

    blocks_strong: set[str] = field(default_factory=set)
    blocks_weak: set[str] = field(default_factory=set)
    texts_strong: set[str] = field(default_factory=set)
    texts_weak: set[str] = field(default_factory=set)
    max_removed_share: float = 0.5
    long_words: int = 12

    def __bool__(self) -> bool:
        return bool(self.blocks_strong or self.blocks_weak or self.texts_strong or self.texts_weak)

    def drops_block(self, block: PageBlock) -> bool:
        if block.key in self.blocks_strong:
            return True
        return block.key in self.blocks_weak and not (block.long and block.in_main)

    def drops_line(self, line: str) -> bool:
        key = short_hash(normalise_text(line))
        if key in self.texts_strong:
            return True
        return key in self.texts_weak and words(line) < self.long_words


# ---------------------------------------------------------------------------------------------
# Applying a profile to one page
# ---------------------------------------------------------------------------------------------


def prune_blocks(blocks: list[PageBlock], rules: ProfileRules) -> list[PageBlock]:
    """Remove the page's boilerplate blocks from the tree in place; return those removed.

    The h1 stays (the headline is read from it); removal stops at ``max_removed_share`` of the
    page's block text so a page that repeats another (an alias, a reprint) is never emptied.
    """
    if not rules:
        return []
    total = sum(len(b.text) for b in blocks)
    budget = total * rules.max_removed_share
    removed: list[PageBlock] = []
    spent = 0
    for block in blocks:
        if block.element.tag == "h1" or not rules.drops_block(block):
            continue
        if spent + len(block.text) > budget:
            continue
        parent = block.element.getparent()
        if parent is None:
            continue
        drop_keep_tail(block.element)
        spent += len(block.text)
        removed.append(block)
    return removed


def coverage(blocks: list[PageBlock], rules: ProfileRules) -> float:
    """Share of the page's block text the profile recognises as its site's boilerplate."""
    total = sum(len(b.text) for b in blocks)
    known = sum(len(b.text) for b in blocks if rules.drops_block(b))
    return known / total if total else 0.0


def clean_lines(text: str, rules: ProfileRules, keep: Iterable[str] = ()) -> str:
    """Drop extracted lines whose text is boilerplate on this site (any position in the DOM).

    Lines in ``keep`` (the lead found on the page) are never dropped; neither is the last line
    left standing, nor more than ``max_removed_share`` of the text.
    """
    if not rules.texts_strong and not rules.texts_weak:
        return text
    keep_keys = {short_hash(normalise_text(k)) for k in keep if k}
    lines = text.split("\n")
    budget = sum(len(line) for line in lines) * rules.max_removed_share
    out: list[str] = []
    spent = 0
    for line in lines:
        stripped = line.strip()
        if (
            stripped
            and spent + len(stripped) <= budget
            and short_hash(normalise_text(stripped)) not in keep_keys
            and rules.drops_line(stripped)
        ):
            spent += len(stripped)
            continue
        out.append(line)
    return "\n".join(out) if any(line.strip() for line in out) else text


def share(n: float, pages: float) -> float:
    """n out of pages as a fraction (0 for an empty profile)."""
    return n / pages if pages else 0.0


def needed_pages(profile: SiteProfile) -> int:
    """Pages of evidence a block needs in this profile now (for display)."""
    t = profile.thresholds
    need = 2 if profile.pages <= t.few_pages else t.min_pages
    return max(need, math.ceil(t.min_share * profile.pages))
