"""Machine-readable page data read once per page: JSON-LD nodes and meta tags.

Dates, title, authors and page type all prefer what the publisher declared for machines over
what heuristics guess from the layout, so these are collected once and shared.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement

ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "reviewnewsarticle",
        "backgroundnewsarticle",
        "askpublicnewsarticle",
        "satiricalarticle",
        "blogposting",
        "liveblogposting",
        "report",
        "techarticle",
        "scholarlyarticle",
        "socialmediaposting",
        "posting",
    }
)

_TRAILING_COMMA = re.compile(r",\s*([\]}])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MAX_DEPTH = 12


@dataclass
class Structured:
    """JSON-LD nodes (flattened) and meta tag values of one page."""

    nodes: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, list[str]] = field(default_factory=dict)

    def first_meta(self, *names: str) -> str | None:
        """The first non-empty value of the first listed meta name present."""
        for name in names:
            for value in self.meta.get(name, []):
                if value.strip():
                    return value.strip()
        return None

    @property
    def articles(self) -> list[dict[str, Any]]:
        """Article-like nodes, in page order."""
        return [node for node in self.nodes if types_of(node) & ARTICLE_TYPES]

    @property
    def article(self) -> dict[str, Any] | None:
        """The main article node: the first article-like node, else the first node with a headline."""
        found = self.articles
        if found:
            return found[0]
        return next((n for n in self.nodes if "headline" in n or "datePublished" in n), None)


def types_of(node: dict[str, Any]) -> set[str]:
    """The node's @type values, lowercased (a string or a list in the wild)."""
    value = node.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v.lower().rsplit("/", 1)[-1] for v in values if isinstance(v, str)}


def parse_json_loosely(text: str) -> Any:
    """JSON as publishers write it: with comments, CDATA, control characters or trailing commas."""
    text = text.strip()
    for junk in ("<!--", "-->", "<![CDATA[", "]]>", "//<![CDATA[", "//]]>"):
        text = text.replace(junk, "")
    text = text.strip().rstrip(";")
    try:
        return json.loads(text, strict=False)
    except ValueError:
        pass
    try:
        return json.loads(_TRAILING_COMMA.sub(r"\1", _CONTROL.sub(" ", text)), strict=False)
    except ValueError:
        return None


def walk_nodes(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object with a @type, through lists, @graph and nested values (mainEntity ...)."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(data, list):
        for item in data:
            yield from walk_nodes(item, depth + 1)
    elif isinstance(data, dict):
        if "@type" in data:
            yield data
        for key, value in data.items():
            if key in ("@graph", "mainEntity", "mainEntityOfPage", "hasPart", "itemListElement", "item"):
                yield from walk_nodes(value, depth + 1)


def read_jsonld(tree: HtmlElement) -> list[dict[str, Any]]:
    """All typed JSON-LD nodes of the page, in document order."""
    nodes: list[dict[str, Any]] = []
    for script in tree.iterfind(".//script[@type]"):
        if "ld+json" not in (script.get("type") or "").lower() or not script.text:
            continue
        data = parse_json_loosely(script.text)
        nodes.extend(walk_nodes(data))
    return nodes


def read_meta(tree: HtmlElement) -> dict[str, list[str]]:
    """Meta values keyed by lowercased name/property/itemprop/http-equiv."""
    meta: dict[str, list[str]] = {}
    for element in tree.iterfind(".//meta"):
        content = element.get("content")
        if content is None:
            content = element.get("datetime") or element.get("value")
        if content is None:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = element.get(attr)
            if key:
                meta.setdefault(key.strip().lower(), []).append(content)
    return meta


def read_structured(tree: HtmlElement) -> Structured:
    """JSON-LD and meta tags of a parsed page."""
    return Structured(nodes=read_jsonld(tree), meta=read_meta(tree))


def as_text(value: Any) -> str | None:
    """A JSON-LD value as one string (first of a list, @value / name of an object)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name")
    if isinstance(value, str | int | float) and str(value).strip():
        return str(value).strip()
    return None
