"""Line rules applied to the text trafilatura extracted (one paragraph per line).

Each rule removes one kind of boilerplate that survives DOM pruning: duplicated headlines,
teaser headings and their items, prompts, credits, datelines, bylines, author bios. Rules are
named in ``LINE_RULES`` so their effect can be measured one by one (``clean.disabled``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from extraction.clean import disabled
from extraction.folded import FoldedPattern
from extraction.metadata import squash
from extraction.phrases import (
    BYLINE_LINE,
    CAPTION_LINE,
    CJK,
    CONSENT,
    CONTACT_LINE,
    CREDIT,
    CREDIT_INLINE,
    DATE_ONLY_LINE,
    DATELINE,
    DISCLAIMER,
    EMBED_PLACEHOLDER,
    END_CREDIT,
    EXACT_JUNK,
    HEADING_LINE,
    LEGAL,
    LINK_HINT,
    MEDIA_TEASER,
    PLACEHOLDER,
    PROMPTS,
    READ_ALSO_RUN_IN,
    READING_TIME,
    SOURCES,
    SUMMARY_HEADING,
    TAIL_PROMPTS,
    TEASER_LINE,
    TOP_BYLINE,
    TWEET,
)


def word_count(line: str) -> int:
    """Words, counting two CJK characters as one word (those scripts do not separate words)."""
    cjk = len(CJK.findall(line))
    return len(line.split()) + cjk // 2 if cjk else len(line.split())


# the long phrase lists, searched over lowercased lines (3-6x faster, same lines: folded.py)
FOLDED = {
    name: FoldedPattern(pattern)
    for name, pattern in [
        ("prompts", PROMPTS),
        ("tail-prompts", TAIL_PROMPTS),
        ("consent", CONSENT),
        ("credit-inline", CREDIT_INLINE),
        ("legal", LEGAL),
        ("disclaimer", DISCLAIMER),
    ]
}
_FOLDED_PROMPTS = FOLDED["prompts"]
_FOLDED_TAIL_PROMPTS = FOLDED["tail-prompts"]

_LIST_ITEM = re.compile(r"^\s*(?:[-•*]|\d+\.)\s+")
_SENTENCE_END = re.compile(r"[.!?…:;»“\"')]\s*$")

LineRule = Callable[[list[str], "LineContext"], list[str]]


class LineContext:
    """What line rules may use besides the lines: the headline and the authors."""

    def __init__(
        self,
        title: str | None,
        authors: Iterable[str],
        title_variants: Iterable[str] = (),
        link_texts: Iterable[str] | None = None,
    ) -> None:
        self.title_key = squash(title or "")
        # squashed texts of the page's links (None: unknown, every short-item run counts as a menu)
        self._link_texts = None if link_texts is None else list(link_texts)
        self._link_keys: set[str] | None = None
        self.title_keys = {k for k in (squash(t) for t in [title or "", *title_variants]) if len(k) >= 8}
        self.authors = [a for a in authors if a]
        self.author_keys = {squash(a) for a in self.authors if squash(a)}
        self.first_names = {a.split()[0] for a in self.authors if len(a.split()) >= 2}
        # one-word credits ("dpa", initials) are too common in text to mark a paragraph as a bio
        self.bio_names = [a for a in self.authors if len(a.split()) >= 2 or CJK.search(a)]

    @property
    def link_keys(self) -> set[str] | None:
        """Squashed texts of the page's links, built when a rule first asks (only runs of short
        list items do: squashing every link text of every page cost ~3% of extraction CPU)."""
        if self._link_texts is None:
            return None
        if self._link_keys is None:
            self._link_keys = {k for k in map(squash, self._link_texts) if k}
        return self._link_keys


def _drop_matching(pattern: re.Pattern[str] | FoldedPattern, max_words: int | None = None) -> LineRule:
    # the word count first: it is cheap, and long paragraphs are where the phrase search is slow
    found = pattern.found if isinstance(pattern, FoldedPattern) else pattern.search

    def rule(lines: list[str], ctx: LineContext) -> list[str]:
        return [
            line
            for line in lines
            if not ((max_words is None or word_count(line) <= max_words) and found(line))
        ]

    return rule


def _placeholders(lines: list[str], ctx: LineContext) -> list[str]:
    out = []
    for line in lines:
        stripped = PLACEHOLDER.sub("", line).strip()
        if stripped:
            out.append(stripped if stripped != line.strip() else line)
    return out


def _link_hints(lines: list[str], ctx: LineContext) -> list[str]:
    """Screen-reader hints of links ("(opens in a new window)") cut out of the sentence they sit in."""
    return [LINK_HINT.sub("", line) if "(" in line else line for line in lines]


def _duplicate_title(lines: list[str], ctx: LineContext) -> list[str]:
    """The headline (or its og:title/h1 variant, with or without kicker) repeated at the top; also
    the headline shown without the kicker the title carries ("Kicker: Headline" -> "Headline")."""
    if not ctx.title_keys:
        return lines
    out = list(lines)
    for index, line in enumerate(lines[:5]):
        if _prose(line) and "title-before-text" not in disabled:
            break  # the text has started: a headline-like line below it is a subheading or text
        key = squash(line)
        if key and _headline_like(line) and any(_duplicate_title_line(key, line, t) for t in ctx.title_keys):
            out[index] = ""
    return [line for line in out if line]


_PROSE_WORDS = 15
_SENTENCE_STOP = re.compile(r"[.!?…][\"'»«“”‘’)\]]*\s*$")


def _prose(line: str) -> bool:
    """A paragraph of running text: long and closing with a full stop (quotes may follow it)."""
    return word_count(line) >= _PROSE_WORDS and _SENTENCE_STOP.search(line) is not None


def _headline_like(line: str) -> bool:
    """Headlines and kickers start with a capital, a digit or a mark; a line starting with a
    lowercase word ("für das Rezept ...") is a piece of text that names the subject."""
    if "title-lowercase" in disabled:
        return True
    first = next((ch for ch in line if ch.isalnum()), "")
    return not (first.isalpha() and first.islower())


def _teaser_blocks(lines: list[str], ctx: LineContext) -> list[str]:
    """A teaser heading ("Read more", "Lesen Sie auch" ...) and the list/short items under it.
    Items stamped with a time ("23:00 / Headline / summary") keep the widget going, summaries
    included, for as long as each item starts with its stamp."""
    out: list[str] = []
    skipping = False
    since_stamp = 99  # lines skipped since the last time stamp inside the widget
    for line in lines:
        if HEADING_LINE.match(line):
            skipping, since_stamp = True, 99
            continue
        if skipping and DATE_ONLY_LINE.match(line):
            since_stamp = 0
            continue
        if (
            skipping
            and not _prose_item(line)
            and (
                _LIST_ITEM.match(line)
                or (word_count(line) <= 12 and not _SENTENCE_END.search(line))
                or since_stamp < 2
            )
        ):
            since_stamp += 1
            continue
        skipping = False
        out.append(line)
    return out


def _prose_item(line: str) -> bool:
    """A list item of running text (15+ words, full stop) under a teaser-like heading
    ("Empfehlungen") is advice in the text: teaser items are headlines, not sentences."""
    item = _LIST_ITEM.match(line) is not None
    return item and "teaser-prose" not in disabled and _prose(_LIST_ITEM.sub("", line))


def _repeats(lines: list[str], ctx: LineContext) -> list[str]:
    """A headline-like line (3-30 words, no closing full stop) repeated right after itself."""
    out: list[str] = []
    for line in lines:
        headline = 3 <= word_count(line) <= 30 and not line.rstrip().endswith(".")
        if out and headline and squash(line) == squash(out[-1]):
            continue
        out.append(line)
    return out


def _summary_boxes(lines: list[str], ctx: LineContext) -> list[str]:
    """A "Summary" / "Das Wichtigste in Kürze" heading and the bullet points under it: a box
    restating the article. Such a box stands before most of the text or after all of it; one
    after most of the text with prose still following is a section of the text (a guide's key
    points) and stays. Without bullets right below, the heading stays too (it may title a section)."""
    out: list[str] = []
    index = 0
    while index < len(lines):
        end = index + 1
        if SUMMARY_HEADING.match(lines[index]):
            while end < len(lines) and _LIST_ITEM.match(lines[end]):
                end += 1
            before = sum(len(line) for line in lines[:index])
            after = sum(len(line) for line in lines[end:])
            restates = before <= after or not any(_prose(line) for line in lines[end:])
            if end - index >= 3 and restates:  # heading plus at least two points
                index = end
                continue
        out.append(lines[index])
        index += 1
    return out


def _teaser_lines(lines: list[str], ctx: LineContext) -> list[str]:
    return [
        line
        for line in lines
        if not (TEASER_LINE.match(line) or (READ_ALSO_RUN_IN.match(line) and word_count(line) <= 25))
    ]


_LABELLED = re.compile(r"^\W*(\w[^:]{0,28}?)(?<!\.)\s*:\s*(\S.*)$")  # not "feat.: <title>"


def _linked_teasers(lines: list[str], ctx: LineContext) -> list[str]:
    """A short label and a colon before the text of one of the page's links ("Mire: <headline>",
    "Also on our site: <headline>"): an inline teaser for another page, in any language."""
    keys = ctx.link_keys
    if not keys:
        return lines
    out: list[str] = []
    for line in lines:
        found = _LABELLED.match(line)
        if found and word_count(found[1]) <= 4 and word_count(found[2]) >= 3 and squash(found[2]) in keys:
            continue
        out.append(line)
    return out


_ABOUT_HEADING = re.compile(
    r"^\W*(?:über (?:diese (?:reihe|serie)|uns|das projekt)|about (?:this (?:series|project)|us)|"
    r"sobre (?:nosotros|esta serie)|à propos(?: de nous| de cette série)?|chi siamo)\W*$",
    re.I,
)


def _about_box(lines: list[str], ctx: LineContext) -> list[str]:
    """An "About this series" / "Über uns" heading among the last three lines and the short
    blurb under it: the publisher describing itself, the same under every article."""
    for index in range(max(1, len(lines) - 3), len(lines)):
        if _ABOUT_HEADING.match(lines[index]) and sum(map(word_count, lines[index:])) <= 120:
            return lines[:index]
    return lines


_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_MIXED_WORD = re.compile(r"\b(?=[^\W\d_]*[a-zA-Z])(?=[^\W\d_]*[\u0400-\u04ff])[^\W\d_]+\b")


def _homoglyphs(lines: list[str], ctx: LineContext) -> list[str]:
    """Words spelled with Cyrillic look-alikes inside Latin ones ("Аdvеrtіѕе"): an advertisement
    hiding from filters. Real text mixes scripts between words, never inside them."""
    return [line for line in lines if not (_CYRILLIC.search(line) and len(_MIXED_WORD.findall(line)) >= 3)]


_LABEL = re.compile(r"^\W*\w[\w.'’-]*(?:\s\w[\w.'’-]*)?\s*:\s*$")
_COLON_HEADING = re.compile(r"^[^.!?]{2,80}:\s*$")


def _label_lines(lines: list[str], ctx: LineContext) -> list[str]:
    """A one- or two-word label ending in a colon on its own line ("Note:", "NEW DELHI:").
    Where two or more short colon lines each head a prose paragraph, they are the text's
    subheadings ("Private Solaranlagen:" among "Preisbremsen im Bereich Energie:") and stay."""
    headings = {
        index
        for index, line in enumerate(lines[:-1])
        if _COLON_HEADING.match(line) and word_count(line) <= 8 and _prose(lines[index + 1])
    }
    if len(headings) < 2 or "label-structure" in disabled:
        headings = set()
    return [line for index, line in enumerate(lines) if index in headings or not _LABEL.match(line)]


def _prompts(lines: list[str], ctx: LineContext) -> list[str]:
    """Subscription/app/login prompts of up to 30 words. A line that stops without punctuation
    and is continued by a line starting lowercase is one sentence broken by a link ("... you can
    email us at" / "name@example.org and we will ..."): running text, not a prompt."""
    out = []
    for index, line in enumerate(lines):
        if word_count(line) <= 30 and _FOLDED_PROMPTS.found(line):
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if not (_continued(line, following) and "prompt-continued" not in disabled):
                continue
        out.append(line)
    return out


def _continued(line: str, following: str) -> bool:
    first = next((ch for ch in following if ch.isalnum()), "")
    return not _SENTENCE_END.search(line) and first.isalpha() and first.islower()


def _author_lines(lines: list[str], ctx: LineContext) -> list[str]:
    """Bylines at the top, and author bios (a paragraph starting with an author's name) at the end."""
    if not ctx.author_keys:
        return lines
    out = list(lines)
    for index, line in enumerate(lines):
        key = squash(BYLINE_LINE.sub("", line) if BYLINE_LINE.match(line) else line)
        if key in ctx.author_keys or (
            index < 4 and BYLINE_LINE.match(line) and any(a in key for a in ctx.author_keys)
        ):
            out[index] = ""
    tail_start = max(len(out) - 3, int(len(out) * 0.7))
    for index in range(tail_start, len(out)):
        line = out[index]
        if line and word_count(line) >= 8 and _is_bio(line, ctx):
            while index > 1 and out[index - 1] and _is_bio(out[index - 1], ctx):
                index -= 1  # one bio paragraph per co-author
            # what follows a bio goes with it (its links, "more by"), but not a long paragraph of
            # running text that is no bio itself: the text went on after a sentence naming the author
            after = [x for x in out[index:] if x and _text_after_bio(x, ctx)]
            return [x for x in out[:index] if x] + after
    return [line for line in out if line]


_TEXT_AFTER_BIO_WORDS = 25


def _text_after_bio(line: str, ctx: LineContext) -> bool:
    if "bio-text-after" in disabled:
        return False
    return word_count(line) >= _TEXT_AFTER_BIO_WORDS and _prose(line) and not _is_bio(line, ctx)


_FIRST_PERSON = re.compile(r"(?<!\w)(?:I|ich|mich|mir|je|j'|moi|yo|io)(?!\w)")


def _is_bio(line: str, ctx: LineContext) -> bool:
    """A closing paragraph about the author: starts with their name, or names them in a
    sentence about their job ("Korrespondent X ist ...", "A veteran journalist, Lance has ...")."""
    if "bio" in disabled:
        return False
    if "bio-first-person" not in disabled and _FIRST_PERSON.search(line):
        return False  # a bio speaks of the author; "ich biete ..." is the author's own text (blogs)
    if any(line.startswith(author + " ") for author in ctx.bio_names):
        return True
    # in scripts without spaces one "word" may be the whole paragraph: only its start counts
    head = line[:20] if CJK.search(line[:40]) else " ".join(line.split()[:12])
    return any(author in head for author in ctx.bio_names) or any(
        re.search(rf"\b{re.escape(first)} (?:has|is|was|ist|war|es|est|è)\b", head)
        for first in ctx.first_names
    )


def _nav_runs(lines: list[str], ctx: LineContext) -> list[str]:
    """Runs of five or more one-to-four-word list items (city menus, section lists). Where the
    page's links are known, most items must be link texts: an ingredient list or a ranking is
    made of the same short items, but not of links."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) < 5 or not _mostly_links(run, ctx):
            out.extend(run)
        run.clear()

    for line in lines:
        if _LIST_ITEM.match(line) and word_count(line) <= 5 and not _SENTENCE_END.search(line):
            run.append(line)
            continue
        flush()
        out.append(line)
    flush()
    return out


def _mostly_links(items: list[str], ctx: LineContext) -> bool:
    if ctx.link_keys is None or "nav-run-links" in disabled:
        return True
    linked = sum(1 for item in items if squash(_LIST_ITEM.sub("", item)) in ctx.link_keys)
    return linked * 2 >= len(items)


def _duplicate_title_line(key: str, line: str, title_key: str) -> bool:
    """Whether a line (squashed ``key``) repeats the headline: equal, the headline with a kicker
    or tail around it, or a long part of it. A full sentence that merely contains a short headline
    ("The next meetup is on ...") is text."""
    if key == title_key:
        return True
    if title_key in key and len(key) <= len(title_key) + 60:
        sentence = _SENTENCE_STOP.search(line) is not None
        return not (sentence and len(key) > 2 * len(title_key) and "title-sentence" not in disabled)
    return len(key) >= max(20, len(title_key) // 2) and (title_key.endswith(key) or title_key.startswith(key))


def _top_bylines(lines: list[str], ctx: LineContext) -> list[str]:
    """ "By X", "Von X, Frankfurt": a short byline among the first lines."""
    return [
        line
        for index, line in enumerate(lines)
        if not (
            index < 6 and TOP_BYLINE.match(line) and word_count(line) <= 8 and not _SENTENCE_END.search(line)
        )
    ]


def _top_label(lines: list[str], ctx: LineContext) -> list[str]:
    """A section label or kicker as the first line ("World", "Politics")."""
    first = lines[0] if lines else ""
    if len(lines) > 2 and word_count(first) <= 3 and not _SENTENCE_END.search(first):
        if first.rstrip().endswith(",") and "label-salutation" not in disabled:
            return lines  # "Liebe Leserinnen," opens a letter: a salutation, not a section label
        return lines[1:]
    return lines


def _tail_prompts(lines: list[str], ctx: LineContext) -> list[str]:
    """Newsletter, app and subscription blurbs closing the text: longer than a prompt line may be
    elsewhere, so only the last lines are judged, from the end while they keep matching."""
    cut = end = len(lines)
    while end > 0 and len(lines) - end < 5:
        line = lines[end - 1]
        words = word_count(line)
        if (_FOLDED_PROMPTS.found(line) and words <= 40) or (
            _FOLDED_TAIL_PROMPTS.found(line) and words <= 60
        ):
            cut = end - 1
        elif word_count(line) > 2 or _SENTENCE_END.search(line):  # icon labels ("Arrow") pass
            break
        end -= 1
    return lines[:cut]


def _author_only_lines(lines: list[str], ctx: LineContext) -> list[str]:
    """A line that only lists the authors ("A, B, C"): a byline or closing signature."""
    if len(ctx.author_keys) < 2:
        return lines
    out = []
    for line in lines:
        parts = [squash(p) for p in re.split(r"\s*(?:,|;|/|\band\b|\bund\b|&)\s*", line) if p.strip()]
        if not (len(parts) >= 2 and all(p in ctx.author_keys for p in parts)):
            out.append(line)
    return out


def _breadcrumbs(lines: list[str], ctx: LineContext) -> list[str]:
    """Three or more short link-like list items opening the text: a breadcrumb trail."""
    start = 0
    while start < len(lines) and _LIST_ITEM.match(lines[start]) and word_count(lines[start]) <= 6:
        if _SENTENCE_END.search(lines[start]):
            break
        start += 1
    return lines[start:] if start >= 3 else lines


def _end_credit(lines: list[str], ctx: LineContext) -> list[str]:
    """A closing newsroom credit such as "MDR (ab)" or "ORF (red)"."""
    while lines and END_CREDIT.match(lines[-1]):
        lines = lines[:-1]
    return lines


_SENTENCE_BREAK = re.compile(r"[.!?…][\"'»“”’)]*\s+[\"'„«“‘]?[A-ZÀ-ÝĀ-ŽА-Я]")


def _caption_lines(lines: list[str], ctx: LineContext) -> list[str]:
    """Photo captions ("Pictured: ...", "... (Name/AFP)"). A paragraph of three or more sentences
    closing with a newsroom credit ("... (FR mit dpa)") is the text itself, credited."""
    out = []
    for line in lines:
        words = word_count(line)
        if words <= 60 and CAPTION_LINE.search(line):
            paragraph = words >= 35 and len(_SENTENCE_BREAK.findall(line)) >= 2
            if not paragraph or "caption-paragraph" in disabled:
                continue
        out.append(line)
    return out


LINE_RULES: dict[str, LineRule] = {
    "placeholder": _placeholders,
    "link-hint": _link_hints,
    "tail-prompt": _tail_prompts,  # before "prompt": icon labels after a closing prompt go with it
    "duplicate-title": _duplicate_title,
    "teaser-block": _teaser_blocks,
    "teaser-line": _teaser_lines,
    "linked-teaser": _linked_teasers,
    "homoglyph": _homoglyphs,
    "summary-box": _summary_boxes,
    "label": _label_lines,
    "prompt": _prompts,
    "consent": _drop_matching(FOLDED["consent"], max_words=60),
    "exact-junk": _drop_matching(EXACT_JUNK),
    "credit": _drop_matching(CREDIT, max_words=20),
    "credit-inline": _drop_matching(FOLDED["credit-inline"], max_words=14),
    "reading-time": _drop_matching(READING_TIME),
    "sources": _drop_matching(SOURCES),
    "legal": _drop_matching(FOLDED["legal"], max_words=25),
    "disclaimer": _drop_matching(FOLDED["disclaimer"], max_words=90),
    "dateline": _drop_matching(DATELINE, max_words=10),
    "date-only": _drop_matching(DATE_ONLY_LINE),
    "contact": _drop_matching(CONTACT_LINE, max_words=10),
    "author": _author_lines,
    "author-only": _author_only_lines,
    "breadcrumbs": _breadcrumbs,
    "nav-run": _nav_runs,
    "top-byline": _top_bylines,
    "top-label": _top_label,
    "tail-prompt-late": _tail_prompts,  # again once other rules have cleared the closing lines
    "end-credit": _end_credit,
    "about-box": _about_box,
    "tweet": _drop_matching(TWEET),
    "embed-placeholder": _drop_matching(EMBED_PLACEHOLDER),
    "media-teaser": _drop_matching(MEDIA_TEASER, max_words=80),
    "caption-line": _caption_lines,
    "repeat": _repeats,  # last: what stood between two copies is gone by now
}


_SPACES = str.maketrans({"\xa0": " ", "\u2007": " ", "\u202f": " "})


def clean_lines(
    text: str,
    title: str | None = None,
    authors: Iterable[str] = (),
    title_variants: Iterable[str] = (),
    link_texts: Iterable[str] | None = None,
) -> str:
    """Apply the enabled line rules to extracted text (one paragraph per line); ``link_texts``
    (the page's link texts) is evidence for rules about link lists."""
    # a no-break space ("Weitere\xa0Artikel") must not hide a phrase; other spacing (code) stays
    lines = [line.translate(_SPACES).strip() for line in text.splitlines() if line.strip()]
    ctx = LineContext(title, list(authors), title_variants, link_texts)
    for name, rule in LINE_RULES.items():
        if name not in disabled:
            lines = rule(lines, ctx)
    return "\n".join(lines)
