"""How far a cleaned text can be trusted, and the fallback when it cannot.

Our cleaning prunes the DOM before trafilatura and drops boilerplate lines after it. Pruning also
changes which container trafilatura picks, so on pages nobody tuned for it can lose most of the
text: a forum thread, a live ticker, an FAQ. Plain trafilatura on the unpruned page (with the same
line and profile cleaning) is the reference: when our text keeps little of it, the dropped part
needs evidence to stay dropped. Link text is such evidence (teaser lists, menus); a long text of
ours is too (trafilatura on the full page then grabbed more than the article, e.g. a feed of other
stories). Without it the better-supported text, the reference, is used instead.

The confidence is one minus a sum of risks (``score``): agreement with plain trafilatura (asked
for short texts only) and with a second extractor, how much the line rules dropped, length and the
fallback. Further signals are recorded for consumers and operators. Nothing here names a site.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

from archive.records import LOW_CONFIDENCE, ExtractionQuality

SHINGLE = 4
REMOVED_SHARE = 0.7  # our text keeps under 30% of plain trafilatura's ...
SHORT_OURS = 1500  # ... and is this short (characters) ...
ASK_REFERENCE_BELOW = SHORT_OURS  # plain trafilatura is run only where a fallback can happen
EXTRA_LINKS = 0.3  # ... and what we dropped is mostly not link text: fall back
SECOND_BELOW = 0.8  # agreement with plain trafilatura under which a second extractor is asked

_WORD = re.compile(r"\w+")
_NO_SPACE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0eff\u1000-\u109f]")


def tokens(text: str) -> list[str]:
    """Casefolded words; characters of scripts written without spaces count one each."""
    out: list[str] = []
    for word in _WORD.findall(unicodedata.normalize("NFKC", text).casefold()):
        if _NO_SPACE.search(word):
            out.extend(_NO_SPACE.findall(word) or [word])
        else:
            out.append(word)
    return out


def shingle_set(text: str, n: int = SHINGLE) -> set[tuple[str, ...]]:
    """The text's word n-grams (a text shorter than n is one shingle)."""
    words = tokens(text)
    if 0 < len(words) < n:
        return {tuple(words)}
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def kept_share(reference: set[tuple[str, ...]], text: set[tuple[str, ...]]) -> float:
    """Share of the reference's shingles found in the text (1.0 for an empty reference)."""
    return len(reference & text) / len(reference) if reference else 1.0


def linked_shingles(anchors: Iterable[str]) -> set[tuple[str, ...]]:
    """The shingles of the page's link texts."""
    linked: set[tuple[str, ...]] = set()
    for anchor in anchors:
        linked |= shingle_set(anchor)
    return linked


def share_in(part: set[tuple[str, ...]], linked: set[tuple[str, ...]]) -> float:
    """Share of ``part``'s shingles found in ``linked`` (0.0 for an empty part)."""
    return len(part & linked) / len(part) if part else 0.0


def link_share(dropped: set[tuple[str, ...]], anchors: Iterable[str]) -> float:
    """Share of the dropped shingles that are link text on the page."""
    return share_in(dropped, linked_shingles(anchors))


def should_fall_back(removed: float, ours_chars: int, extra_links: float) -> bool:
    """Our cleaning dropped most of plain trafilatura's text without evidence (module docstring)."""
    return removed > REMOVED_SHARE and ours_chars < SHORT_OURS and extra_links < EXTRA_LINKS


def score(
    agree_trafilatura: float,
    ours_chars: int,
    precision_second: float | None,
    lines_removed_share: float,
    fallback: bool,
) -> float:
    """The confidence in [0, 1], one minus a sum of risks. Weights were fitted on half A of both dev
    sets (ranking bad pages into the lowest decile) and checked on half B: plain trafilatura's text
    we did not keep, the share of ours a second extractor lacks (half weight), the share of
    trafilatura's characters our line rules dropped (a line rule that fires a lot is where a
    headline or a paragraph goes missing), a short text (a little) and a fallback taken. The
    structured-body agreement, link share, pruned share, markup ratio and profile coverage are
    recorded but did not rank bad pages on half B, so they carry no weight."""
    risk = 1 - agree_trafilatura
    if precision_second is not None:
        risk += 0.5 * (1 - precision_second)
    risk += lines_removed_share
    risk += 0.1 * max(0.0, 1 - ours_chars / SHORT_OURS)
    risk += 1.0 if fallback else 0.0
    return round(max(0.0, min(1.0, 1 - risk)), 3)


def assess(
    ours: str,
    plain: str | None,
    *,
    structured_body: str | None,
    html_chars: int,
    anchors: Callable[[], Iterable[str]],
    second: Callable[[], str | None],
    profile_coverage: float = 0.0,
    pruned_share: float = 0.0,
    lines_removed_share: float = 0.0,
) -> tuple[str, ExtractionQuality]:
    """The text to keep (ours, or ``plain`` when ours is unsupported) and its quality record.

    ``plain`` is None where the reference was not asked (a long text of ours: no fallback can
    happen there). ``anchors`` and ``second`` are called only when needed (link texts of the
    unpruned page, the second extractor's text).
    """
    ours_sh = shingle_set(ours)
    plain_sh = shingle_set(plain) if plain else set()
    agree = kept_share(plain_sh, ours_sh) if plain else 1.0
    structured = None
    if structured_body and len(structured_body) >= 200:
        structured = kept_share(shingle_set(structured_body), ours_sh)
    linked = linked_shingles(anchors())
    extra_links = share_in(plain_sh - ours_sh, linked) if agree < 1 - REMOVED_SHARE else 0.0
    own_links = share_in(ours_sh, linked)
    precision_second = None
    if agree < SECOND_BELOW:
        second_text = second()
        if second_text:
            precision_second = kept_share(ours_sh, shingle_set(second_text))
    ratio = len(ours) / html_chars if html_chars else 0.0
    fallback = None
    if plain and should_fall_back(1 - agree, len(ours), extra_links):
        fallback = "trafilatura"
    confidence = score(agree, len(ours), precision_second, lines_removed_share, fallback is not None)
    quality = ExtractionQuality(
        confidence=confidence,
        agree_trafilatura=round(agree, 3) if plain else None,
        agree_structured=None if structured is None else round(structured, 3),
        precision_second=None if precision_second is None else round(precision_second, 3),
        removed_share=round(1 - agree, 3),
        extra_link_share=round(extra_links, 3),
        text_markup_ratio=round(ratio, 4),
        profile_coverage=round(profile_coverage, 3),
        own_link_share=round(own_links, 3),
        pruned_share=round(pruned_share, 3),
        lines_removed_share=round(lines_removed_share, 3),
        fallback=fallback,
    )
    return (plain if plain and fallback else ours), quality


def is_low(quality: ExtractionQuality | None) -> bool:
    """Whether a record's text should be treated as unsure (for filters and per-site counts)."""
    return quality is not None and quality.confidence < LOW_CONFIDENCE
