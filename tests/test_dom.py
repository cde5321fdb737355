"""The C-level subtree text reader gives exactly what lxml's ``itertext()`` gives."""

from __future__ import annotations

import re

import pytest
from lxml import html as lxml_html

from extraction.clean import _no_links
from extraction.dom import text_of, texts

PAGE = (
    "<html><head><title>T</title></head><body>lead <!-- note -->after comment"
    "<div class='x'>one <b>bold</b> tail<?pi data?>after pi<p>para <a href='/x'>link</a> end</p></div>"
    "<script>var s = 1;</script>after script<ul><li>a</li><li></li><li>b<br>c</li></ul></body>"
    "</html>"
)


@pytest.mark.parametrize("path", [".//body", ".//div", ".//p", ".//a", ".//ul", ".//head"])
def test_texts_equal_itertext_on_every_kind_of_node(path: str) -> None:
    element = lxml_html.fromstring(PAGE).find(path)
    assert texts(element) == list(element.itertext())
    assert text_of(element) == "".join(element.itertext())
    # the element's own tail is not its text
    assert "after script" not in text_of(lxml_html.fromstring(PAGE).find(".//script"))


_OLD_SENTENCE = re.compile(r"(?:\S+\s+){5,}\S*[.!?…][\"'»”)]?(?:\s|$)")


@pytest.mark.parametrize(
    "text",
    [
        "Also read",
        "Others are reading now",
        "one two three four five six.",
        "one two three four five. six",
        "one two three four five six seven eight nine ten",
        "one two three four five six.' seven",
        "one two three four five six.'' seven",
        "one two three four five six …",
        "one two three four five six?» more",
        "one two three four five six.x and so on",
        "a b c d e f! g",
        "   spaced    out   words   here   and   there   done.  ",
        "",
    ],
)
def test_sentence_check_matches_the_regex_it_replaced(text: str) -> None:
    element = lxml_html.fromstring(f"<div><span>{text}</span></div>")
    old = _OLD_SENTENCE.search(" ".join(text.split())) is not None
    assert _no_links(element) == old


def test_parsed_pages_get_one_element_class_from_lxmls_c_lookup() -> None:
    """parse_html (trafilatura's parser) makes every element a plain HtmlElement, form fields
    included, so no Python class lookup runs per element; lxml.html's methods still work."""
    from lxml.html import HtmlElement

    from extraction.extract import parse_html

    tree = parse_html(
        "<html><body><form action='/s'><label>Q</label><input name='q'><select><option>a</option>"
        "</select><textarea>t</textarea></form><p>Text <a href='/x'>link</a> tail</p></body></html>"
    )
    assert {type(element) for element in tree.iter()} == {HtmlElement}
    paragraph = tree.find(".//p")
    assert paragraph is not None and paragraph.text_content() == "Text link tail"
    paragraph.find("a").drop_tree()
    assert paragraph.text_content() == "Text  tail"
