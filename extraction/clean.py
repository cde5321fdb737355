"""Structural boilerplate removal before trafilatura, and article text it would miss.

Elements whose class, id, role or aria-label say they are navigation, teasers, share rows,
newsletters, captions ... are pruned from the DOM; lists of links go too. The visible lead
(standfirst) is found before pruning, and script-rendered pages get their body from structured
data. Line-level cleaning after trafilatura lives in ``extraction.lines``. Nothing here names a
publisher: the same rules must hold on sites never seen. Every rule has a name so its effect can
be measured on the whole evaluation set by switching it off (``disabled``).
"""

from __future__ import annotations

import functools
import re

from lxml.html import HtmlElement

from extraction.dom import text_of, texts
from extraction.metadata import clean_text, squash
from extraction.phrases import SOURCES_HEADING

SHORT_TEXT = 200  # characters: below this the extracted body is considered missing
disabled: set[str] = set()  # rule names switched off (evaluation / ablation only)

# ---------------------------------------------------------------------------------------------
# DOM pruning
# ---------------------------------------------------------------------------------------------

_CAMEL = re.compile(r"([a-z0-9])([A-Z])")

DOM_RULES: dict[str, re.Pattern[str]] = {
    "nav": re.compile(
        r"(?<![a-z])(?:nav|navbar|navigation|main-?menu|menu|breadcrumbs?|skip-?links?|pagination|pager|"
        r"site-?header|masthead)(?![a-z])"
    ),
    "related": re.compile(
        r"(?<![a-z])(?:related|recommend\w*|recirc\w*|read-?more|read-?next|up-?next|more-?(?:from|on|stories|articles|news|"
        r"like-?this)|also-?read|further-?reading|most-?(?:read|popular|viewed|shared|recent)|trending|"
        r"popular|next-?(?:article|story|up|read)|you-?may|outbrain|taboola|teaser-?(?:list|grid|box)|"
        r"teasers|weitere|mehr-?zum|lesen-?sie-?auch|article-?list|story-?list|card-?list)"
    ),
    "share": re.compile(r"(?<![a-z])(?:share|sharing|social|shariff|follow-?us|sociallinks|sharebar)"),
    "newsletter": re.compile(
        r"(?<![a-z])(?:newsletter|subscribe|subscription|signup|sign-?up|promo|cta|app-?(?:promo|teaser|"
        r"banner|download|hint|install)|download-?app|donat\w*|membership|access-?wall|registration-?wall|"
        r"reg-?wall)(?![a-z]{3})"
    ),
    "comments": re.compile(
        r"(?<![a-z])(?:comments?|disqus|discussion|kommentare|reader-?comments|coral)(?![a-z])"
    ),
    "bio": re.compile(
        r"(?<![a-z])(?:author-?(?:bio|box|info|card|profile|about|details|footer)|about-?(?:the-?)?author|"
        r"bio|biography|contributor-?bio|autor(?:en)?-?(?:box|info|bio))(?![a-z])"
    ),
    "caption": re.compile(
        r"(?<![a-z])(?:caption|credits?|copyright|photo-?credit|image-?credit|media-?credit|"
        r"bildunterschrift|bildnachweis|bildquelle|img-?source|image-?source|figcaption|"
        r"(?:image|img|photo|media)-?(?:description|desc|subline)|video-?(?:heading|title|kicker))"
    ),
    "ads": re.compile(
        r"(?<![a-z])(?:ad|ads|advert\w*|anzeige|werbung|sponsor\w*|banner|dfp|gpt|ad-?slot|adunit|"
        r"commercial|native-?ad|publicidad|publicite)(?![a-z])"
    ),
    # machine-written summaries above the article are not the publisher's text
    "ai-summary": re.compile(
        r"(?<![a-z])(?:ai|ki|llm)-?(?:summary|summaries|zusammenfassung|generated|resumen)"
    ),
    "poll": re.compile(r"(?<![a-z])(?:poll|polls|survey|umfrage|abstimmung|voting|quiz)(?![a-z])"),
    "tags": re.compile(r"(?<![a-z])(?:tags|tag-?list|keywords|schlagworte|topic-?list)(?![a-z])"),
    "meta": re.compile(
        r"(?<![a-z])(?:reading-?time|read-?time|lesezeit|print-?only|sr-?only|visually-?hidden)"
    ),
    "embed": re.compile(
        r"(?<![a-z])(?:twitter-?tweet|instagram-?media|tiktok-?embed|fb-?post|social-?embed|embed-?(?:twitter|"
        r"instagram|tiktok|facebook|youtube|social)|(?:twitter|instagram|tiktok|facebook|youtube)-?embed)"
    ),
}
_DOM_RULE_ITEMS = tuple(DOM_RULES.items())  # built once, in rule order
_ROLE_REMOVE = frozenset(
    {"navigation", "menu", "menubar", "banner", "contentinfo", "complementary", "search"}
)
_TAG_REMOVE = {"aside": "aside", "figcaption": "caption", "nav": "nav", "footer": "nav", "form": "nav"}
_NEVER_REMOVE = frozenset({"html", "body", "main", "h1"})
# text blocks are judged by their class only for captions, credits and hidden helper text:
# a "paywall" paragraph or a subheading classed "nav_..." is still article text
_TEXT_TAGS = frozenset({"p", "h2", "h3", "h4", "h5", "h6", "blockquote", "li"})
_TEXT_TAG_RULES = frozenset({"caption", "meta", "embed"})
_MARKER_ATTRS = ("class", "id", "role", "aria-label", "data-component", "data-testid", "data-type")


def marker(element: HtmlElement) -> str:
    """The element's class/id/role/aria-label words, camelCase split and lowercased."""
    attributes = element.items()  # one call: most elements have none or one of them
    if not attributes:
        return ""
    values = dict(attributes)
    return _marker_words(" ".join(v for v in (values.get(a) for a in _MARKER_ATTRS) if v))


@functools.lru_cache(maxsize=65536)
def _marker_words(joined: str) -> str:
    """Markers repeat across the elements and pages of a site: split and lowercase each once."""
    return _CAMEL.sub(r"\1-\2", joined).lower()


@functools.lru_cache(maxsize=65536)
def _matching_rules(words: str) -> tuple[str, ...]:
    """The names of the DOM rules whose pattern occurs in ``words``, in rule order (a few
    thousand distinct markers cover a whole crawl: each is searched once). Keyed on ``words``
    alone: a tuple of patterns as a key is hashed anew on every call (~4.5 us for the 13 rules,
    ~3% of cleaning CPU)."""
    if not _ANY_DOM_RULE.search(words):
        return ()
    return tuple(name for name, pattern in _DOM_RULE_ITEMS if pattern.search(words))


def any_rule(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str]:
    """One pattern that matches wherever one of ``patterns`` does: most elements match no rule,
    so one search replaces a dozen (the rules are still tried in order on a hit)."""
    flags = {p.flags for p in patterns}
    if len(flags) != 1:  # rules compiled with different flags: no shortcut (matches everything)
        return re.compile("")
    return re.compile("|".join(f"(?:{p.pattern})" for p in patterns), flags.pop())


_ANY_DOM_RULE = any_rule(tuple(DOM_RULES.values()))


def boilerplate_rule(element: HtmlElement) -> str | None:
    """The name of the first enabled rule that says this element is boilerplate, if any."""
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in _NEVER_REMOVE:
        return None
    rule = _TAG_REMOVE.get(tag)
    if rule and rule not in disabled:
        return rule
    role = (element.get("role") or "").lower()
    if role in _ROLE_REMOVE and "nav" not in disabled:
        return "nav"
    words = marker(element)
    if not words:
        return None
    for name in _matching_rules(words):
        if name in disabled or (tag in _TEXT_TAGS and name not in _TEXT_TAG_RULES):
            continue
        if name == "related" and _no_links(element):
            continue  # a "read more" expander holding the text itself links nowhere
        return name
    return None


# a word ending a sentence, after at least five others (what a block holding a sentence has)
_SENTENCE_WORD = re.compile(r"[.!?…][\"'»”)]?$")
_SENTENCE_MIN_BEFORE = 5


def _no_links(element: HtmlElement) -> bool:
    """A block holding a sentence and not one link: whatever its class says, it is no list of
    links to other pages (a "js-readmore" box folds the article's own text away). A widget's
    bare heading ("Also read", "Others are reading now") is no sentence and still goes."""
    if "related-needs-links" in disabled or next(element.iter("a"), None) is not None:
        return False
    words = text_of(element).split()
    # a token scan, linear: the equivalent regex backtracked over long link-free blocks
    return any(_SENTENCE_WORD.search(w) for w in words[_SENTENCE_MIN_BEFORE:])


def link_density(element: HtmlElement) -> float:
    """Share of the element's text inside links."""
    total = len(text_of(element).strip())
    if not total:
        return 0.0
    linked = sum(len(text_of(a).strip()) for a in element.iter("a"))
    return linked / total


def is_link_list(element: HtmlElement) -> bool:
    """A list whose items are mostly links: navigation or teaser headlines, not article text."""
    if element.tag not in ("ul", "ol") or "link-list" in disabled:
        return False
    items = [li for li in element if li.tag == "li"]
    return len(items) >= 2 and link_density(element) >= 0.6


_SUBHEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})


def _elsewhere(link: HtmlElement) -> bool:
    """A link to another page (in-page anchors of a table of contents do not count)."""
    href = (link.get("href") or "").strip()
    return bool(href) and not href.startswith(("#", "javascript:"))


def is_teaser_headline(element: HtmlElement) -> bool:
    """A linked headline: a heading whose whole text is a link, or a link wrapping a heading
    (a teaser card). Article subheadings are not links to other pages."""
    if "teaser-headline" in disabled:
        return False
    tag = element.tag
    if tag == "a":  # a card: short, so a link wrapped around a whole article body is not one
        return (
            _elsewhere(element)
            and any(h.tag in _SUBHEADINGS for h in element.iterdescendants())
            and len(text_of(element).strip()) <= 400
        )
    if tag not in _SUBHEADINGS:
        return False
    text = text_of(element).strip()
    if not text:
        return False
    linked = sum(len(text_of(a).strip()) for a in element.iter("a") if _elsewhere(a))
    link = next((a for a in element.iterancestors("a") if _elsewhere(a)), None)
    # a link around a whole article body (seen on real pages) does not make its headings teasers
    inside_card = link is not None and len(text_of(link).strip()) <= 400
    return inside_card or linked >= len(text) * 0.9


def _paragraph_text(element: HtmlElement) -> int:
    """Characters of paragraph text in the element, link text excluded (teaser paragraphs
    wrapped in links are not article text)."""
    total = 0
    for paragraph in [element] if element.tag == "p" else element.iter("p"):
        if next(paragraph.iterancestors("a"), None) is not None:
            continue
        own = len(text_of(paragraph))
        own -= sum(len(text_of(a)) for a in paragraph.iter("a"))
        total += max(own, 0)
    return total


def paragraph_chars(tree: HtmlElement) -> int:
    """Characters of non-link paragraph text in the page body (what pruning spends its budget on)."""
    body = tree.find(".//body")
    return _paragraph_text(body) if body is not None else 0


def prune_tree(tree: HtmlElement, max_share: float = 0.5) -> list[str]:
    """Remove boilerplate elements in place; return the rule names applied (one per element).

    Removal stops short of taking more than ``max_share`` of the page's paragraph text, and never
    takes the h1 with it: class names such as "paywall" or "article-with-related" sometimes sit
    on the article itself. Subtrees of removed elements are not visited again.
    """
    body = tree.find(".//body")
    if body is None:
        return []
    budget = max(_paragraph_text(body), 1) * max_share
    spent = 0
    removed: list[str] = prune_source_lists(body)
    stack = list(reversed(body))
    while stack:
        element = stack.pop()
        if not isinstance(element.tag, str):
            continue
        if is_link_list(element):
            rule: str | None = "link-list"
        elif is_teaser_headline(element):
            rule = "teaser-headline"
        else:
            rule = boilerplate_rule(element)
        cost = _paragraph_text(element) if rule else 0
        if rule and _removable(element, cost, budget - spent):
            spent += cost
            heading = widget_heading(element) if rule in _WIDGET_RULES else None
            drop_keep_tail(element)
            removed.append(rule)
            if heading is not None:
                drop_keep_tail(heading)
                removed.append("widget-heading")
        else:
            stack.extend(reversed(element))
    return removed


_HEADING_TAGS = ("p", "div", "span", "strong", "b", "summary", "dt", *sorted(_SUBHEADINGS))
_LIST_TAGS = frozenset({"ul", "ol", "details"})


def prune_source_lists(body: HtmlElement) -> list[str]:
    """A "Quellen:" / "Verwendete Quellen" / "Sources" heading and the lists right after it: the
    sources a piece used, listed under the text, are not article text (the heading alone is often
    a bare div, so it never reaches the line rules). Only lists directly following the heading go."""
    if "source-list" in disabled:
        return []
    removed: list[str] = []
    for heading in list(body.iter(*_HEADING_TAGS)):
        own = (heading.text or "").strip()
        if not own or len(own) > 40 or not SOURCES_HEADING.match(own) or heading.getparent() is None:
            continue
        if len(" ".join(texts(heading)).strip()) > 40:
            continue
        node = heading
        for _ in range(2):  # the heading may sit alone in a wrapper whose sibling is the list
            sibling = node.getnext()
            if sibling is not None and _is_list_block(sibling):
                break
            parent = node.getparent()
            if parent is None or parent.tag in _NEVER_REMOVE or len(" ".join(texts(parent)).strip()) > 40:
                break
            node = parent
        if (node.tail or "").strip():  # "Sources" run into a sentence ("... used:") is not a bare heading
            continue
        lists = []
        sibling = node.getnext()
        while sibling is not None and _is_list_block(sibling):
            lists.append(sibling)
            sibling = sibling.getnext()
        if lists:
            for element in [*lists, node]:
                drop_keep_tail(element)
            removed.append("source-list")
    return removed


def _is_list_block(element: HtmlElement) -> bool:
    """A list, or a wrapper (a collapsible "more sources") holding lists and no paragraphs (a
    short toggle label such as "Quellen anzeigen" is no paragraph)."""
    if not isinstance(element.tag, str):
        return False
    if element.tag in ("ul", "ol"):
        return True
    return (
        element.tag in _LIST_TAGS | {"div"}
        and any(True for _ in element.iter("ul", "ol"))
        and not any(len(text_of(p).strip()) > 40 for p in element.iter("p"))
    )


# rules whose elements are lists of links to elsewhere: a heading right above one is its title
_WIDGET_RULES = frozenset({"link-list", "related", "newsletter"})
_WIDGET_HEADING_WORDS = 12


def widget_heading(element: HtmlElement) -> HtmlElement | None:
    """The short subheading directly above a teaser list or promo box ("Exklusive Hintergründe –
    für Sie recherchiert" over a list of links): left alone it reads as an article subheading
    introducing whatever paragraph follows. Only a heading with no text between it and the box
    counts, looking one level up when the box is all its wrapper holds."""
    if "widget-heading" in disabled:
        return None
    node = element
    for _ in range(2):
        if (node.text or "").strip() and node is not element:
            return None
        previous = node.getprevious()
        while previous is not None and not isinstance(previous.tag, str):  # comments
            if (previous.tail or "").strip():
                return None
            previous = previous.getprevious()
        if previous is not None:
            if (previous.tail or "").strip() or previous.tag not in _SUBHEADINGS:
                return None
            words = len(text_of(previous).split())
            return previous if 0 < words <= _WIDGET_HEADING_WORDS else None
        parent = node.getparent()
        if parent is None or parent.tag in _NEVER_REMOVE or parent.tag == "article":
            return None
        if len(text_of(parent).strip()) > len(text_of(element).strip()) + 20:
            return None  # the wrapper holds more than the box: a heading above it is not the box's
        node = parent
    return None


def _removable(element: HtmlElement, cost: int, budget_left: float) -> bool:
    """Within the paragraph budget and not holding the headline. An h1 inside a link is a teaser
    headline (some sites mark every teaser up as h1), not the article's."""
    return cost <= budget_left and not element.xpath(".//h1[not(ancestor::a)]")


def drop_keep_tail(element: HtmlElement) -> None:
    """Remove an element but keep its tail text (which belongs to the parent)."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail and element.tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


# ---------------------------------------------------------------------------------------------
# Lead paragraph and bodies hidden in structured data
# ---------------------------------------------------------------------------------------------

_LEAD_MARK = re.compile(
    r"(?<![a-z])(?:lead|lede|intro|standfirst|summary|sub-?title|subline|sub-?headline|dek|deck|excerpt|"
    r"abstract|description|kurztext|vorspann|entradilla|sumario|chapo|chapeau|sottotitolo|ingress|"
    r"teaser-?text|article-?teaser|header-?teaser|synopsis)"
)
_LEAD_TAGS = ("p", "h2", "div", "span", "strong")


def _near(element: HtmlElement, anchor: HtmlElement, levels: int = 3) -> bool:
    """Whether element lies inside one of anchor's closest ``levels`` ancestors (the article header)."""
    ancestor = anchor
    for _ in range(levels):
        parent = ancestor.getparent()
        if parent is None:
            break
        ancestor = parent
    return any(a is ancestor for a in element.iterancestors())


def find_lead(tree: HtmlElement, description: str | None) -> str | None:
    """The visible lead/standfirst: an element repeating the meta description, else an element
    right after the h1, in its header, marked as lead/intro/summary. Read before pruning (leads
    are often classed as "teaser")."""
    body = tree.find(".//body")
    if body is None:
        return None
    want = squash(description or "")[:60]
    marked: str | None = None
    h1: HtmlElement | None = None
    since_h1 = 0
    for count, element in enumerate(body.iter("h1", *_LEAD_TAGS)):
        if count > 4000:
            break
        if element.tag == "h1":
            h1 = h1 if h1 is not None else element
            continue
        if element.tag in ("div", "span") and not (element.text and element.text.strip()):
            continue
        since_h1 += h1 is not None
        text = ""
        if (
            h1 is not None
            and marked is None
            and since_h1 <= 12
            and "lead-marked" not in disabled
            and (element.get("itemprop") == "description" or _LEAD_MARK.search(marker(element)))
            and _near(element, h1)
        ):
            text = clean_text(" ".join(texts(element)))
            if 40 <= len(text) <= 1200:
                marked = text
        if len(want) >= 30:
            text = text or clean_text(" ".join(texts(element)))
            if squash(text)[:60] == want or (len(want) >= 60 and want in squash(text)[:200]):
                return text if len(text) <= 1500 else None
    return marked


def add_lead(text: str, lead: str | None) -> str:
    """Prepend the lead when the extracted text does not already contain it."""
    if not lead or "lead" in disabled:
        return text
    key = squash(lead)[:80]
    if not key or key in squash(text[: len(lead) * 3 + 2000]):
        return text
    return f"{lead}\n{text}" if text else lead


def embedded_body(structured_body: str | None, tree: HtmlElement) -> str | None:
    """Article text that only exists in structured data (JSON-LD articleBody, or HTML inside a
    JSON state blob of a script-rendered page), for pages where the visible DOM has no body."""
    if "embedded" in disabled:
        return None
    if structured_body and len(structured_body) >= SHORT_TEXT:
        return clean_text_block(structured_body)
    return _html_in_scripts(tree)


_JSON_HTML = re.compile(r'"(?:[A-Za-z]*(?:[Hh]tml|[Bb]ody|[Cc]ontent))"\s*:\s*"((?:[^"\\]|\\.){400,})"')


def _html_in_scripts(tree: HtmlElement) -> str | None:
    import json

    from lxml import html as lxml_html

    best = ""
    for script in tree.iter("script"):
        source = script.text or ""
        if len(source) < 400 or ("\\u003cp" not in source and "<p" not in source):
            continue
        for match in _JSON_HTML.finditer(source):
            try:
                value = json.loads(f'"{match.group(1)}"')
            except ValueError:
                continue
            if value.count("<p") >= 2 and len(value) > len(best):
                best = value
    if not best:
        return None
    fragment = lxml_html.fragment_fromstring(best, create_parent="div")
    for element in fragment.xpath(".//*[contains(@class,'caption') or self::figcaption or self::script]"):
        drop_keep_tail(element)
    paragraphs = [clean_text(" ".join(texts(p))) for p in fragment.iter("p", "h2", "h3", "li")]
    text = "\n".join(p for p in paragraphs if p)
    return text or None


def clean_text_block(value: str) -> str:
    """Paragraphs of a plain-text body, whitespace normalised."""
    lines = [clean_text(line) for line in value.replace("\r", "\n").split("\n")]
    return "\n".join(line for line in lines if line)
