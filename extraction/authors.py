"""Authors of a page as a clean list of names.

Sources in order of trust: JSON-LD, meta tags, visible bylines; a newsroom-only credit gives
way to a person shown to readers. Names lose "By", job titles, parentheses and clutter. Split
from ``extraction.metadata`` (which keeps ``choose_authors`` as its entry point).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from lxml.html import HtmlElement

from extraction.dom import texts
from extraction.metadata import clean_text, headline_element, squash
from extraction.structured import Structured, as_text, types_of

_BY_PREFIX = re.compile(
    r"^\s*(?:(?:by|von|por|par|di|da|door|av|af|przez|от|автор|written by|text|texte|"
    r"reporting by|an article by|un articolo di|ein (?:beitrag|artikel) von|eine analyse von)\s+|"
    r"(?:autor(?:in)?|author|authors|text|texte|reporter|von|by|redaktion|verfasser)\s*:\s*)",
    re.I,
)
_SPLIT_NAMES = re.compile(r"\s*(?:;|\||/|&|、|，|\band\b|\bund\b|\by\b|\bet\b|\bog\b|\boch\b|\bsowie\b)\s*")
_PARENS = re.compile(r"\s*[(\[][^)\]]*[)\]]")
_URLS = re.compile(r"\S*(?:https?://|www\.)\S*")
_JOB_SUFFIX = re.compile(r"\s*(?:기자|특파원|記者|特派員|編集委員|論説委員)(?:\s.*)?$")
_NOT_A_NAME = re.compile(
    r"@|\d|\.(?:com|de|net|org|at|ch|co|uk|fr|es|it)\b|\b(?:getty|images?|photos?|fotos?|facebook|twitter|"
    r"instagram|e-?mail)\b|updated|aktualisiert|published|veröffentlicht|^(?:quelle|source|fuente)\b",
    re.I,
)
_FUNCTION_WORDS = frozenset({"von", "by", "and", "und", "der", "die", "the", "red", "mit", "with", "de"})
_NO_SPACE_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def clean_author(value: str) -> str | None:
    """One author name without "By", parentheses, job titles or clutter; None if it is no name."""
    name = _BY_PREFIX.sub("", clean_text(value))
    name = _PARENS.sub("", name)
    name = _JOB_SUFFIX.sub("", name)
    name = name.strip(" ,;:-–—|·")
    if not name or _NOT_A_NAME.search(name) or len(name) > 60 or len(name.split()) > 6:
        return None
    if not any(ch.isalpha() for ch in name) or name.casefold() in _FUNCTION_WORDS:
        return None
    return name


_JOB_WORDS = re.compile(
    r"(?:correspondent|editor|reporter|writer|journalist|columnist|contributor|staff|chief|senior|producer|"
    r"analyst|professor|director|redakteur|korrespondent|autor|redaktion|ressort|leiter|corresponsal|"
    r"redactor|periodista|journaliste|rédact|envoyé|giornalista|inviat|redattor|jornalista|redakt|"
    r"medewerker|verslaggever|fotograf|photographer|intern|university|universität|universidad)",
    re.I,
)


_AGENCY = re.compile(
    r"^(?:dpa|afp|ap|apa|sda|kna|epd|reuters|efe|ansa|ats|belga|anp|ntb|tt|ritzau|pap|ctk|tass|aa|ians|pti|aap|yonhap|kyodo|xinhua)$",
    re.I,
)


def _looks_like_name_part(part: str) -> bool:
    """After a comma: another person ("A, B C") or a news agency credited beside them ("A, dpa"),
    rather than a job title or a place ("A, Reporter")."""
    if _AGENCY.match(part.strip()):
        return True
    words = part.split()
    if _JOB_WORDS.search(part):
        return False
    if _NO_SPACE_SCRIPT.search(part):
        return True
    return 2 <= len(words) <= 4 and all(w[0].isupper() for w in words if len(w) > 3)


def split_authors(value: str, commas: bool = True) -> list[str]:
    """Names from "By A and B", "A und B", "A, B"; text after a comma that is no name is dropped
    (job titles, places); with ``commas=False`` everything after the first comma is dropped."""
    value = _URLS.sub(" ", _PARENS.sub("", clean_text(value)))
    value = _BY_PREFIX.sub("", value)
    names: list[str] = []
    for chunk in _SPLIT_NAMES.split(value):
        pieces = [p.strip() for p in chunk.split(",") if p.strip()]
        if not pieces:
            continue
        kept = [pieces[0]]
        if commas:
            kept += [p for p in pieces[1:] if _looks_like_name_part(p)]
        else:
            kept += [p for p in pieces[1:] if _AGENCY.match(p)]
        for piece in kept:
            name = clean_author(piece)
            if name:
                names.append(name)
    return names


def dedupe(names: Iterable[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        key = squash(name)
        if key and key not in seen:
            seen.add(key)
            out.append(name)
    return out


_LIST_FORM = re.compile(r",[^,]+(?:\s(?:and|und|y|et|e|og|och|en|i)\s|&)", re.I)


def _node_by_id(structured: Structured, ref: str) -> dict[str, Any] | None:
    return next((n for n in structured.nodes if n.get("@id") == ref), None)


def _jsonld_entries(structured: Structured) -> list[tuple[str, bool]]:
    """(raw name, is_organisation) of the main article node's author entries, references resolved."""
    article = structured.article
    if not article:
        return []
    value = article.get("author") or article.get("creator")
    found: list[tuple[str, bool]] = []
    entries = value if isinstance(value, list) else [value]
    # a list nested in the list ("author": [{A}, [{B}]]), as some CMS templates emit, is flattened
    entries = [e for item in entries for e in (item if isinstance(item, list) else [item])]
    for entry in entries:
        if isinstance(entry, dict) and "name" not in entry and isinstance(entry.get("@id"), str):
            entry = _node_by_id(structured, entry["@id"]) or entry
        if isinstance(entry, str):
            found.append((entry, False))
        elif isinstance(entry, dict):
            name = as_text(entry.get("name"))
            if not name and (entry.get("givenName") or entry.get("familyName")):
                name = f"{as_text(entry.get('givenName')) or ''} {as_text(entry.get('familyName')) or ''}"
            if name:
                found.append((name, bool(types_of(entry) & {"organization", "newsmediaorganization"})))
    return found


def jsonld_authors(structured: Structured) -> list[tuple[str, bool]]:
    """(name, is_organisation) of the main article node's authors, split and cleaned."""
    found: list[tuple[str, bool]] = []
    for name, is_org in _jsonld_entries(structured):
        commas = bool(_LIST_FORM.search(name))  # "A, B and C" lists; else "A, Job title"
        found.extend((n, is_org) for n in split_authors(name, commas=commas))
    return found


def jsonld_site_credits(structured: Structured, names: set[str]) -> list[str]:
    """JSON-LD author entries that name the site's own newsroom in a form our name cleaning
    refuses ("BR24 Redaktion", "Redaktion example.de"): the publisher's declared credit, kept
    when no person is named anywhere rather than guessing from teaser bylines further down."""
    found = []
    for raw, _ in _jsonld_entries(structured):
        name = clean_text(raw).strip(" ,;:-–—|·")
        if name and len(name) <= 60 and not _URLS.search(name) and is_site_credit(name, names):
            found.append(name)
    return dedupe(found)


# "Example News (www.example.com)": a newsroom credit naming the web site, not a person
_DOMAIN_CREDIT = re.compile(r"\(\s*(?:https?://)?(?:www\.)?[\w-]+\.[a-z]{2,}[^)]*\)")
_CMS_ACCOUNT = re.compile(
    r"/(?:author|autor|user|profile)s?/(?:admin|administrator|webmaster|editor|redaktion)\b", re.I
)


def cms_accounts(structured: Structured) -> set[str]:
    """Squashed names of JSON-LD authors that are the CMS's default account (".../author/admin/"):
    a display name for the site's login, to be treated like a newsroom credit."""
    article = structured.article or {}
    value = article.get("author")
    found: set[str] = set()
    for entry in value if isinstance(value, list) else [value]:
        if isinstance(entry, dict):
            ref = f"{entry.get('@id') or ''} {entry.get('url') or ''}"
            name = as_text(entry.get("name"))
            if name and _CMS_ACCOUNT.search(ref):
                found.add(squash(name))
    return found


_AUTHOR_META = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "byl")


_WRITTEN_BY = re.compile(
    r"^\s*(?:written by|author|by|verfasst von|geschrieben von|autor(?:in)?|escrito por|écrit par|"
    r"scritto da|geschreven door|skrevet av|skrevet af|skriven av|napisane przez|yazan|автор)\s*:?\s*$",
    re.I,
)


def _labelled_meta(structured: Structured) -> list[str]:
    """Values of "Written by" label/data meta pairs (twitter:label1 + twitter:data1, or
    twitter:misc:Written by) that blog and CMS plug-ins emit for link previews: the display name
    of the article's author, often the only machine-readable credit when meta author is an
    e-mail address."""
    values: list[str] = []
    for key, found in structured.meta.items():
        label = re.match(r"twitter:label(\d+)$", key)
        if label and any(_WRITTEN_BY.match(v) for v in found):
            values.extend(structured.meta.get(f"twitter:data{label[1]}", []))
        elif key.startswith("twitter:misc:") and _WRITTEN_BY.match(key.removeprefix("twitter:misc:")):
            values.extend(found)
    return values


def meta_authors(structured: Structured) -> list[tuple[str, bool]]:
    """Author names from meta tags (URLs, handles and e-mail addresses are ignored)."""
    for key in (*_AUTHOR_META, "labelled"):
        names: list[str] = []
        values = _labelled_meta(structured) if key == "labelled" else structured.meta.get(key, [])
        for value in values:
            if value.strip().startswith(("http", "@")) or _DOMAIN_CREDIT.search(value):
                continue
            names.extend(split_authors(value))
        if names:
            return [(n, False) for n in names]
    return []


_BYLINE_XPATH = (
    "//*[@rel='author'] | //*[@itemprop='author'] | "
    "//*[contains(@class,'author') or contains(@class,'byline') or contains(@class,'Author') "
    "or contains(@class,'Byline')]"
)
_BYLINE_SKIP = re.compile(
    r"bio|avatar|image|img|photo|social|follow|more|related|teaser|comment|quote|date|time", re.I
)


# Links to an author's page ("von <a href="/autoren/max-muster">Max Muster</a>"): a byline
# without byline markup. Read next to the headline only (teasers link their authors too).
_AUTHOR_LINK_XPATH = (
    "//a[contains(@href,'/author') or contains(@href,'/autor') or contains(@href,'/auteur') "
    "or contains(@href,'/journalist') or contains(@href,'/redakt')]"
)
_AUTHOR_PAGE = re.compile(r"/(?:authors?|autor\w*|auteurs?|journalist\w*|redakt\w*)/[^/?#]{3,}", re.I)


def _header_ancestors(tree: HtmlElement, levels: int = 3) -> list[HtmlElement]:
    """The visible headline's closest ancestors: what lies inside them is the article header."""
    headline = headline_element(tree)
    if headline is None:
        return []
    return [a for _, a in zip(range(levels), headline.iterancestors(), strict=False)]


def byline_authors(tree: HtmlElement, header_only: bool = False) -> list[tuple[str, bool]]:
    """Names from visible byline elements (rel=author, itemprop=author, class*=author/byline).

    Only the innermost matching elements are read (a "bylines" box around two "byline" entries
    would run both names together). With ``header_only`` only bylines near the headline count:
    author names in teaser lists further down belong to other articles; there, links to an
    author page count as bylines too when their text looks like a person's name."""
    elements = tree.xpath(_BYLINE_XPATH)[:40]
    links = tree.xpath(_AUTHOR_LINK_XPATH)[:40] if header_only else []
    links = [link for link in links if _AUTHOR_PAGE.search(link.get("href") or "")]  # not the index
    link_ids = set(map(id, links)) - set(map(id, elements))
    elements += [link for link in links if id(link) in link_ids]
    matched = set(map(id, elements))
    header_elements = _header_ancestors(tree) if header_only else []  # kept alive: ids stay valid
    header = set(map(id, header_elements))
    names: list[str] = []
    read = 0
    for element in elements:
        if _BYLINE_SKIP.search(element.get("class") or ""):
            continue
        if any(id(d) in matched for d in element.iterdescendants()):
            continue
        if header_only and not any(id(a) in header for a in element.iterancestors()):
            continue
        read += 1
        text = clean_text(" ".join(texts(element)))
        if text and len(text) <= 80:
            found = split_authors(text)
            names.extend(n for n in found if id(element) not in link_ids or looks_like_person(n))
        if len(names) >= 4 or read >= 12:
            break
    return [(n, False) for n in names]


def is_site_credit(name: str, names: set[str]) -> bool:
    """The site's own name used as a byline (a newsroom credit rather than a person), also as the
    first or last word of a desk credit ("MDR THÜRINGEN")."""
    key = squash(name)
    words = {squash(w) for w in name.split()[:1] + name.split()[-1:]}
    return any(
        key == n or (len(n) >= 4 and n in key) or (len(name.split()) > 1 and n in words) for n in names
    )


_LOWER_LABEL = re.compile(r"^[a-zäöüéèà][a-zäöüéèà.-]*$")  # "capital", "red": a brand or desk mark
_HIRAGANA = re.compile("[\u3040-\u309f]")


def looks_like_person(name: str) -> bool:
    """Shaped like a personal name: two to five words, at least two capitalised (or a short name
    in a script without spaces). Initials, desks ("unserer Redaktion") and labels fail."""
    if ":" in name:
        return False
    if _NO_SPACE_SCRIPT.search(name):
        return 2 <= len(name.replace(" ", "")) <= 8 and not _HIRAGANA.search(name)
    words = name.split()
    return 2 <= len(words) <= 5 and sum(w[:1].isupper() for w in words) >= 2


def choose_authors(tree: HtmlElement, structured: Structured, names: set[str] | None = None) -> list[str]:
    """The first source naming anyone: JSON-LD, meta tags, visible bylines. Within it, the site's
    own name is dropped when persons are named too; other organisations (agencies) are kept.
    When the source credits only the site itself (or nothing names anyone), a person shown to
    readers wins: in the byline next to the headline, after an "Author" label, or signed in bold."""
    names = (names or set()) | cms_accounts(structured)
    sources: list[Callable[[], list[tuple[str, bool]]]] = [
        lambda: jsonld_authors(structured),
        lambda: meta_authors(structured),
        lambda: byline_authors(tree, header_only=True) or _page_bylines(tree),
    ]
    for source in sources:
        found = dedupe(n for n, _ in source())
        if found:
            persons = [n for n in found if not is_site_credit(n, names)]
            if any(looks_like_person(n) for n in persons):  # beside a person, a lowercase label
                persons = [n for n in persons if not _LOWER_LABEL.match(n) or _AGENCY.match(n)]
            return persons or _visible_person(tree, names) or found
        if source is sources[0]:
            credits = jsonld_site_credits(structured, names)
            if credits:  # a person declared in meta tags or shown to readers still wins
                declared = [n for n, _ in meta_authors(structured) if looks_like_person(n)]
                declared = [n for n in declared if not is_site_credit(n, names)]
                return declared or _visible_person(tree, names) or credits
    return _visible_person(tree, names) or _by_line_after_headline(tree)


def _page_bylines(tree: HtmlElement) -> list[tuple[str, bool]]:
    """Byline elements anywhere on the page, when none sits next to the headline: they count only
    when one of them is shaped like a person's name (a lone first name or a label in an author
    box or a sidebar is no credit for the article; an agency beside a person still is)."""
    found = byline_authors(tree)
    return found if any(looks_like_person(n) for n, _ in found) else []


def _visible_person(tree: HtmlElement, names: set[str]) -> list[str]:
    for finder in (_header_persons, _labelled_persons, _credit_line_persons, _signed_persons):
        found = [n for n in finder(tree) if looks_like_person(n) and not is_site_credit(n, names)]
        if found:
            return found[:4]
    return []


def _header_persons(tree: HtmlElement) -> list[str]:
    """The first person's name in the byline next to the headline (brand labels before it skipped)."""
    return [n for n, _ in byline_authors(tree, header_only=True) if looks_like_person(n)][:1]


# words that label an author credit, shared by the bold-label and the credit-line readers
_LABEL_WORDS = r"autor(?:in)?|author|written by|texto|texte|tekst|reporter(?:in)?"
_AUTHOR_LABEL = re.compile(
    rf"^\s*(?:autor(?:in)?\s*/\s*autor(?:in)?|{_LABEL_WORDS}|periodista|journaliste|giornalista)\s*:?\s*$",
    re.I,
)


def _labelled_persons(tree: HtmlElement) -> list[str]:
    """A name after an "Author" label set apart in bold ("<li><strong>Autor</strong> Ann Lee</li>")."""
    for label in tree.xpath("//strong | //b | //dt")[:400]:
        if _AUTHOR_LABEL.match(label.text_content() or ""):
            parent = label.getparent()
            if parent is None:
                continue
            rest = clean_text(" ".join(texts(parent)))[len(clean_text(label.text_content())) :]
            found = split_authors(rest)
            if found:
                return found
    return []


_CREDIT_LABEL = re.compile(
    rf"^\s*[(（]?\s*(?:{_LABEL_WORDS}|authors|von|by|作者|记者|記者|撰文|撰稿|责编|责任编辑|責任編輯|编辑|編輯)\s*[:：]",
    re.I,
)
_CREDIT_LINE = re.compile(_CREDIT_LABEL.pattern + r"\s*(?P<names>[^:：]+?)\s*[)）]?$", re.I)


def _credit_line_persons(tree: HtmlElement) -> list[str]:
    """Names in a short line that is only a credit label and names ("Autor: Ann Lee",
    "（责编：甲、乙）"), as pages without byline markup print them under or over the text. Only
    text nodes opening with a label are followed up (cheap on large pages)."""
    for node in tree.xpath("//text()[contains(., ':') or contains(., '：')]")[:2000]:
        if not _CREDIT_LABEL.match(node):
            continue
        element = node.getparent()
        if element is not None and node.is_tail:
            element = element.getparent()
        if element is None or element.tag in ("script", "style"):
            continue
        text = clean_text(element.text_content())
        match = _CREDIT_LINE.match(text) if len(text) <= 60 else None
        found = split_authors(match["names"]) if match else []
        if found:
            return found
    return []


_BY_WORD = re.compile(r"^(?:By|BY|Von|VON|Por|POR|Par|PAR|Door|Av|Af|Di|Przez)\s+\S")


def _capitalised(name: str) -> bool:
    """One to four words, every longer word capitalised: a name or an acronym, not prose."""
    words = name.split()
    return 1 <= len(words) <= 4 and all(w[0].isupper() for w in words if len(w) > 3)


def _by_line_after_headline(tree: HtmlElement, reach: int = 400) -> list[str]:
    """The credit in a "By X" line just below the headline, for pages with no byline markup at all:
    the first text after the visible headline (within ``reach`` characters) that starts with a capitalised "By"
    word. Only the part before the first comma counts ("By Desk, in News, Business")."""
    headline = headline_element(tree)
    if headline is None:
        return []
    seen = 0
    for node in headline.xpath("following::text()")[:200]:
        parent = node.getparent()
        if parent is None or parent.tag in ("script", "style") or not isinstance(parent.tag, str):
            continue
        text = clean_text(node)
        if _BY_WORD.match(text):  # "Par ailleurs, ..." opens a sentence, not a credit
            found = split_authors(text, commas=False)
            return found if all(_capitalised(n) for n in found) else []
        seen += len(text)
        if seen > reach:
            break
    return []


def _signed_persons(tree: HtmlElement) -> list[str]:
    """A paragraph that is only a bold name among the first three or last two paragraphs of the
    article text (a signature, sometimes after one or two strap lines)."""
    for paragraph in tree.xpath("//p[count(*) = 1][strong or b]")[:200]:
        parent = paragraph.getparent()
        siblings = (
            [p for p in parent.iterchildren("p") if clean_text(p.text_content())]
            if parent is not None
            else []
        )
        if len(siblings) < 4 or paragraph not in (*siblings[:3], *siblings[-2:]):  # after straps
            continue
        if (paragraph.text or "").strip() or (paragraph[0].tail or "").strip():
            continue
        name = clean_text(paragraph.text_content())
        if name and not _SENTENCE_MARK.search(name):
            return split_authors(name, commas=False)
    return []


_SENTENCE_MARK = re.compile(r"[.!?:;\"“”«»]")
