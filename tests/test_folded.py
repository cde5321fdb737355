"""FoldedPattern finds exactly the lines its IGNORECASE pattern finds (extraction/folded.py)."""

from __future__ import annotations

import _sre  # type: ignore[import-not-found]
import gzip
import json
import re
import sys
from pathlib import Path

import pytest

from extraction import lines as line_rules
from extraction.folded import FoldedPattern

DATA = Path(__file__).parent / "data" / "news-pages"


def test_one_character_lowercasing_is_sres_simple_mapping_and_keeps_the_classes() -> None:
    """What folded.py rests on, over every code point: where ``str.lower`` gives one character it
    is sre's own lowercase, has the same \\w, \\s and \\d class, and is a cased letter to sre
    (an uncased literal is matched as itself, so lowering onto one would add matches)."""
    classes = [re.compile(r"\w"), re.compile(r"\s"), re.compile(r"\d")]
    wrong = []
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        lowered = char.lower()
        if len(lowered) != 1 or lowered == char:
            continue
        if (
            ord(lowered) != _sre.unicode_tolower(code)
            or any(bool(c.match(char)) != bool(c.match(lowered)) for c in classes)
            or not _sre.unicode_iscased(ord(lowered))
        ):
            wrong.append(char)
    assert wrong == []


PHRASES = re.compile(
    r"(?:subscribe|abonnieren)\s+(?:to\s+)?(?:our|unseren?)\s+newsletter|\bsign\s+in\b|σας|в\s+сети", re.I
)
TRICKY = [
    "Subscribe to our Newsletter",
    "SUBSCRIBE TO OUR NEWSLETTER",
    "ſubſcribe to our newsletter",  # long s: sre matches it for "s", lowercasing keeps it
    "SIGN İN",  # "İ" lowercases to two characters
    "sıgn in",  # dotless i
    "Jetzt unseren Newsletter abonnieren",
    "Abonnieren Sie unseren Newsletter",
    "ABONNIEREN UNSEREN NEWSLETTER",
    "ΣΑΣ",  # final sigma: str.lower gives "σας"
    "ΣΑΣ ΚΑΙ",
    "σαΣ",
    "ᲀ сети",  # rounded ve: sre matches it for "в"
    "В СЕТИ",
    "Straße",
    "STRASSE ẞ",
    "Kelvin \u212a sign in",
    "",
    "no phrase at all",
]


def test_found_agrees_with_the_ignorecase_search_on_tricky_letters() -> None:
    folded = FoldedPattern(PHRASES)
    for text in TRICKY:
        assert folded.found(text) == bool(PHRASES.search(text)), text


@pytest.mark.parametrize(
    "pattern",
    [
        re.compile(r"Subscribe", re.I),  # uppercase literal: never in a lowered line
        re.compile(r"[A-Z]+ now", re.I),  # a range lowercasing leaves
        re.compile(r"(?-i:Share)", re.I),
        re.compile(r"(a)\1", re.I),
        re.compile(r"subscribe"),  # not IGNORECASE: nothing to fold
    ],
)
def test_what_lowercasing_cannot_stand_in_for_is_refused(pattern: re.Pattern[str]) -> None:
    with pytest.raises(ValueError):
        FoldedPattern(pattern)


def _dataset_lines() -> list[str]:
    out = []
    for line in (DATA / "truth.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        for text in [row.get("title") or "", *(row.get("body") or [])]:
            if text.strip():
                out.append(text.strip())
    for page in sorted((DATA / "html").rglob("*.html.gz")):  # menus, widgets and footers too
        html = gzip.decompress(page.read_bytes()).decode("utf-8", "replace")
        out.extend(t.strip() for t in re.split(r"<[^>]+>", html) if 3 < len(t.strip()) < 400)
    return [
        *out,  # and the consent and disclaimer kinds, which the test pages lack
        "Externer Inhalt: Ich bin damit einverstanden, dass mir externe Inhalte angezeigt werden.",
        "Click here to load the content. We need your consent to show third-party content.",
        "Dieser Artikel stellt keine Anlageberatung dar. Totalverlust des eingesetzten Kapitals möglich.",
        "This is not financial advice; your capital is at risk.",
    ]


def test_the_line_rules_folded_phrases_find_what_their_patterns_find() -> None:
    """Every folded phrase list of the line rules, over the test pages' lines in their own, upper
    and title case and with sre's odd case-equivalents swapped in."""
    patterns = list(line_rules.FOLDED.values())
    assert all(isinstance(p, FoldedPattern) for p in patterns)
    texts = _dataset_lines()
    assert len(texts) > 1000
    variants = [
        *texts,
        *(t.upper() for t in texts[::5]),
        *(t.title() for t in texts[1::5]),
        *(t.replace("i", "ı").replace("s", "ſ") for t in texts[:300]),
        *(t.replace("I", "İ") for t in texts[:300]),
    ]
    for folded in patterns:
        found = [folded.found(t) for t in variants]
        assert found == [bool(folded.pattern.search(t)) for t in variants], folded.pattern.pattern[:40]
        assert any(found), "the lines should hold some phrases, or the comparison proves little"
