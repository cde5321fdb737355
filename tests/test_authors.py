"""Author choice: newsroom credits, meta fallbacks, bylines next to the headline."""

from __future__ import annotations

import json

from lxml import html as lxml_html
from lxml.html import HtmlElement

from extraction.authors import choose_authors
from extraction.structured import Structured, read_structured


def parse(head: str = "", body: str = "") -> tuple[HtmlElement, Structured]:
    tree = lxml_html.fromstring(f"<html><head>{head}</head><body>{body}<p>x</p></body></html>")
    return tree, read_structured(tree)


def jsonld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def test_declared_newsroom_credit_with_digits_or_domain_beats_teaser_bylines() -> None:
    teaser = (
        '<div id="page"><main><article><header><h1>Storm</h1></header></article></main></div>'
        '<div class="teasers"><span class="author">Max Other</span></div>'
    )
    for credit in ("Example24 Redaktion", "Redaktion example24.de"):
        head = jsonld({"@type": "NewsArticle", "author": {"@type": "Person", "name": credit}})
        tree, structured = parse(head, teaser)
        assert choose_authors(tree, structured, {"example24"}) == [credit]


def test_declared_newsroom_credit_gives_way_to_the_headline_byline() -> None:
    head = jsonld(
        {"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Example24 Redaktion"}}
    )
    body = '<main><header><h1>Storm</h1><p class="byline">Von Erika Muster</p></header></main>'
    tree, structured = parse(head, body)
    assert choose_authors(tree, structured, {"example24"}) == ["Erika Muster"]


def test_rejected_jsonld_name_of_another_organisation_is_not_a_credit() -> None:
    head = jsonld({"@type": "NewsArticle", "author": {"@type": "Person", "name": "Updated 12:30"}})
    tree, structured = parse(head)
    assert choose_authors(tree, structured, {"example24"}) == []


def test_written_by_label_meta_pairs_name_the_author_when_meta_author_is_an_address() -> None:
    head = '<meta name="author" content="a.lee@example.com">'
    pair = '<meta name="twitter:label1" content="Verfasst von"><meta name="twitter:data1" content="Ann Lee">'
    misc = '<meta name="twitter:misc:Written by" content="Bo Kim">'
    other = (
        '<meta name="twitter:label2" content="Est. reading time"><meta name="twitter:data2" content="3 min">'
    )
    byline = '<main><h1>Storm</h1><p class="byline">ex Frankfurt</p></main>'
    for tags, name in ((pair + other, "Ann Lee"), (misc, "Bo Kim")):
        tree, structured = parse(head + tags, byline)
        assert choose_authors(tree, structured, set()) == [name]


def test_plain_credit_line_names_authors_when_no_markup_does() -> None:
    text = "".join(f"<p>Paragraph {i} of the story.</p>" for i in range(4))
    for line, names in (
        ('<div class="edit">（责编：牛甲、岳乙）</div>', ["牛甲", "岳乙"]),
        ("<li>Von: <a>Ann Lee</a>, <a>Bo Kim</a></li>", ["Ann Lee", "Bo Kim"]),
    ):
        tree, structured = parse("", f"<main><h1>Storm</h1>{text}{line}</main>")
        assert choose_authors(tree, structured, set()) == names


def test_long_sentence_with_a_colon_is_no_credit_line() -> None:
    body = "<main><h1>Storm</h1><p>Author: the man who wrote it</p></main>"
    tree, structured = parse("", body)
    assert choose_authors(tree, structured, set()) == []


def test_by_line_below_the_headline_without_markup_is_the_credit() -> None:
    body = (
        "<article><h1>Storm</h1><div><p>Lead text.</p></div><p>By Example Desk, in <a>News</a></p></article>"
    )
    tree, structured = parse("", body)
    assert choose_authors(tree, structured, set()) == ["Example Desk"]


def test_sentence_opening_with_a_by_word_is_no_credit() -> None:
    body = "<article><h1>Grève</h1><p>Par ailleurs, le gouvernement a annoncé des mesures.</p></article>"
    tree, structured = parse("", body)
    assert choose_authors(tree, structured, set()) == []


def test_person_in_meta_author_beats_a_declared_newsroom_credit() -> None:
    credit = {"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Redaktion example24.de"}}
    tree, structured = parse(jsonld(credit) + '<meta name="author" content="Ann Lee">')
    assert choose_authors(tree, structured, {"example24"}) == ["Ann Lee"]


def test_author_page_link_next_to_the_headline_is_a_byline() -> None:
    head = jsonld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Example24"}})
    body = (
        '<div id="page"><main><article><header><h1>Storm hits coast</h1><p class="meta">von '
        '<a href="/autoren/erika-muster">Dr. Erika Muster</a></p>'
        '<p class="meta"><a href="/autoren/">Alle Autoren</a></p></header></article></main>'
        '<aside class="teasers"><a href="/autoren/max-other">Max Other</a></aside></div>'
    )
    tree, structured = parse(head, body)
    assert choose_authors(tree, structured, {"example24"}) == ["Dr. Erika Muster"]
    tree, structured = parse(head, body.replace("Dr. Erika Muster", "Erika"))
    assert choose_authors(tree, structured, {"example24"}) == ["Example24"]  # a link text, no name


def test_byline_of_a_page_whose_h1_is_a_breadcrumb_seo_title_sits_by_the_h2() -> None:
    body = (
        '<article><div class="header"><nav class="breadcrumb"><a href="/">Home</a><h1>Seo title</h1></nav>'
        '<div class="title"><h2>Storm hits coast</h2></div>'
        '<div class="authors"><span class="brand">capital</span> <span class="author">Erika Muster</span>'
        "</div></div></article>"
    )
    head = jsonld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Example24"}})
    tree, structured = parse(head, body)
    assert choose_authors(tree, structured, {"example24"}) == ["Erika Muster"]


def test_nested_author_list_in_jsonld_is_read_through() -> None:
    # as a public broadcaster's CMS emits it: the second credit sits in a list inside the list
    head = jsonld(
        {
            "@type": "NewsArticle",
            "author": [
                {"@type": "Person", "name": "Engin Haupt", "jobTitle": ["Autor", "Reporter"]},
                [{"@type": "Person", "name": "Anna Trechsel"}],
            ],
        }
    )
    tree, structured = parse(head)
    assert choose_authors(tree, structured, {"mdr", "mdrde"}) == ["Engin Haupt", "Anna Trechsel"]


def test_lowercase_label_beside_a_person_in_a_byline_still_goes() -> None:
    body = '<main><header><h1>Storm</h1><p class="byline">Erika Muster / capital</p></header></main>'
    tree, structured = parse(body=body)
    assert choose_authors(tree, structured, {"example"}) == ["Erika Muster"]


def test_lone_first_name_in_an_author_box_far_from_the_headline_is_no_credit() -> None:
    # a WordPress theme's author box under the article: the display name of the site owner
    body = (
        "<main><h1>Story</h1><p>Text of the story.</p></main>"
        '<div class="author-box"><div class="desc"><div class="td-author-name vcard author">'
        '<span class="fn"><a href="https://example.tv/author/chloe1127/">Eddie</a></span></div>'
        '<div class="td-author-description">Eddie is the founder and owner of www.example.tv. This '
        "website is dedicated to educating and informing people with articles from around the globe."
        "</div></div></div>"
    )
    tree, structured = parse(body=body)
    assert choose_authors(tree, structured, {"example"}) == []


def test_full_name_in_an_author_box_far_from_the_headline_still_counts() -> None:
    body = (
        "<main><h1>Story</h1><p>Text of the story.</p></main>"
        '<div class="td-author-name vcard author"><span class="fn">'
        '<a href="https://example.tv/author/ann/">Ann Lee</a></span></div>'
    )
    tree, structured = parse(body=body)
    assert choose_authors(tree, structured, {"example"}) == ["Ann Lee"]
