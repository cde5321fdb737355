"""Title, authors, language and canonical URL."""

from __future__ import annotations

import json

import pytest
from lxml import html as lxml_html
from lxml.html import HtmlElement

from extraction.authors import split_authors
from extraction.metadata import (
    choose_authors,
    choose_canonical,
    choose_language,
    choose_title,
    declared_canonical,
    normalise_url,
    site_names,
    strip_site_name,
    title_candidates,
)
from extraction.structured import Structured, read_structured

URL = "https://www.example-news.com/politik/story-123"


def parse(head: str = "", body: str = "") -> tuple[HtmlElement, Structured]:
    tree = lxml_html.fromstring(f"<html><head>{head}</head><body>{body}<p>x</p></body></html>")
    return tree, read_structured(tree)


def jsonld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def title_of(head: str, body: str = "", url: str = URL) -> str | None:
    tree, structured = parse(head, body)
    return choose_title(title_candidates(tree, structured), site_names(structured, url))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Budget talks collapse | Example News", "Budget talks collapse"),
        ("Budget talks collapse - Example News", "Budget talks collapse"),
        ("Budget talks collapse – Politics – example-news.com", "Budget talks collapse – Politics"),
        ("Example News: Budget talks collapse", "Budget talks collapse"),
        ("Budget talks collapse | Politics | Example News", "Budget talks collapse"),
        ("Budget talks: a collapse", "Budget talks: a collapse"),
        ("Ceasefire - what we know", "Ceasefire - what we know"),
        ("Anti-Israel protest | Example News", "Anti-Israel protest"),
    ],
)
def test_strip_site_name(raw: str, expected: str) -> None:
    assert strip_site_name(raw, {"examplenews"}) == expected


def test_strip_site_name_and_a_hyphenated_section_in_a_script_without_spaces() -> None:
    assert strip_site_name("북한 미사일 발사-정치ㅣ예시일보", {"예시일보"}) == "북한 미사일 발사"
    assert strip_site_name("COVID-19 in Korea | Example News", {"examplenews"}) == "COVID-19 in Korea"


def test_title_prefers_headline_that_sources_agree_on_over_seo_title() -> None:
    head = (
        '<meta property="og:site_name" content="Example News">'
        '<meta property="og:title" content="Budget talks collapse">'
        "<title>Budget talks collapse after all-night session | Example News</title>"
    )
    assert title_of(head, "<h1>Budget talks collapse</h1>") == "Budget talks collapse"


def test_title_site_name_from_publisher_and_unspaced_separator() -> None:
    head = jsonld(
        {"@type": "NewsArticle", "headline": "Budget talks collapse", "publisher": {"name": "Daily Planet"}}
    )
    head += '<meta property="og:title" content="Budget talks collapse-Politicsㅣ Daily Planet">'
    assert title_of(head) == "Budget talks collapse"


def test_title_falls_back_to_title_tag_without_site_name() -> None:
    head = (
        '<meta property="og:site_name" content="Example News"><title>Storm hits coast - Example News</title>'
    )
    assert title_of(head) == "Storm hits coast"


def test_title_of_h1_with_kicker_matching_og() -> None:
    head = '<meta property="og:title" content="Storm hits coast">'
    body = '<h1><span class="kicker">Weather alert</span> <span>Storm hits coast</span></h1>'
    assert title_of(head, body) == "Storm hits coast"


def test_title_drops_kicker_line_and_screen_reader_separator_from_h1() -> None:
    body = (
        '<h1><span class="title__overline">Weather alert</span>'
        '<span class="offscreen"> - </span><span class="title__text">Storm hits coast</span></h1>'
    )
    assert title_of("", body) == "Storm hits coast"


def test_h1_in_breadcrumb_trail_is_an_seo_title_and_the_next_h2_is_the_headline() -> None:
    head = jsonld({"@type": "NewsArticle", "headline": "Weather: storm hits the coast overnight"})
    head += '<meta property="og:title" content="Storm hits coast">'
    body = (
        '<nav class="breadcrumb"><a href="/">Home</a><h1>Weather: storm hits the coast overnight</h1></nav>'
        '<article><h2><span class="article__kicker">Weather</span>'
        '<span class="article__headline">Storm hits coast</span></h2></article>'
    )
    assert title_of(head, body) == "Storm hits coast"


def test_og_title_gives_way_only_when_jsonld_and_visible_headline_agree() -> None:
    head = jsonld({"@type": "NewsArticle", "headline": "Storm hits the coast overnight"})
    head += '<meta property="og:title" content="Storm hits coast">'
    assert title_of(head, "<h1>Storm hits coast</h1>") == "Storm hits coast"
    assert title_of(head, "<h1>Coastal towns brace</h1>") == "Storm hits coast"
    assert title_of(head, "<h1>Storm hits the coast overnight</h1>") == "Storm hits the coast overnight"


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("By Jane Doe", ["Jane Doe"]),
        ("Von Max Mustermann und Erika Musterfrau", ["Max Mustermann", "Erika Musterfrau"]),
        ("Por Ana García y Luis Pérez", ["Ana García", "Luis Pérez"]),
        ("Par Jean Dupont", ["Jean Dupont"]),
        ("Di Mario Rossi", ["Mario Rossi"]),
        ("Jane Doe, Senior Correspondent", ["Jane Doe"]),
        ("Jane Doe, John Smith", ["Jane Doe", "John Smith"]),
        ("Jane Doe and John Smith", ["Jane Doe", "John Smith"]),
        ("Jane Doe (jd)", ["Jane Doe"]),
        ("Jane Doe und John Smith, dpa", ["Jane Doe", "John Smith", "dpa"]),
        ("Email the author", []),
        ("https://www.facebook.com/janedoe", []),
        ("jane.doe@example.com", []),
        ("신현주 기자", ["신현주"]),
        ("Mark Sigetty", ["Mark Sigetty"]),
        ("Photo: Jane Doe", []),
    ],
)
def test_split_authors(raw: str, names: list[str]) -> None:
    assert split_authors(raw) == names


def test_authors_from_jsonld_persons_with_reference_and_given_family_names() -> None:
    head = jsonld(
        {
            "@graph": [
                {
                    "@type": "NewsArticle",
                    "headline": "X",
                    "author": [
                        {"@id": "#p1"},
                        {"@type": "Person", "givenName": "Ada", "familyName": "Lovelace"},
                    ],
                },
                {"@type": "Person", "@id": "#p1", "name": "Grace Hopper"},
            ]
        }
    )
    tree, structured = parse(head)
    assert choose_authors(tree, structured, set()) == ["Grace Hopper", "Ada Lovelace"]


def test_authors_drop_the_site_credit_when_persons_exist_but_keep_it_alone() -> None:
    head = jsonld(
        {
            "@type": "NewsArticle",
            "author": [
                {"@type": "Organization", "name": "Example News"},
                {"@type": "Person", "name": "Jane Doe"},
            ],
        }
    )
    tree, structured = parse(head)
    assert choose_authors(tree, structured, {"examplenews"}) == ["Jane Doe"]
    alone = jsonld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Example News"}})
    tree, structured = parse(alone)
    assert choose_authors(tree, structured, {"examplenews"}) == ["Example News"]


def test_authors_fall_back_to_meta_then_byline() -> None:
    tree, structured = parse('<meta name="author" content="Jane Doe, John Smith">')
    assert choose_authors(tree, structured) == ["Jane Doe", "John Smith"]
    tree, structured = parse("", '<div class="article-byline">By <a rel="author">Jane Doe</a></div>')
    assert choose_authors(tree, structured) == ["Jane Doe"]


def test_authors_site_credit_gives_way_to_the_person_in_the_headline_byline() -> None:
    head = jsonld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Example News"}})
    body = (
        '<div id="page"><main><article><header><h1>Storm hits coast</h1><div class="byline">By Jane Doe'
        '</div></header></article></main><div class="more"><ul class="story-list"><li><span class="author">'
        "Max Other</span></li></ul></div></div>"
    )
    tree, structured = parse(head, body)
    assert choose_authors(tree, structured, {"examplenews"}) == ["Jane Doe"]
    # a desk or initials next to the headline is no person: the site credit stays
    tree, structured = parse(head, body.replace("By Jane Doe", "red"))
    assert choose_authors(tree, structured, {"examplenews"}) == ["Example News"]


def test_byline_fallback_reads_the_headline_byline_before_teaser_authors() -> None:
    body = (
        '<div id="page"><div class="teasers"><span class="author">Max Other</span></div><main><article>'
        '<div class="head"><h1>Storm hits coast</h1><p class="author">Von Erika Muster, EXAMPLE SACHSEN</p>'
        '</div><blockquote><span class="quoteAuthor">Hans Zitat</span></blockquote></article></main></div>'
    )
    tree, structured = parse("", body)
    assert choose_authors(tree, structured, {"example"}) == ["Erika Muster"]


def test_site_credit_gives_way_to_an_author_label_or_a_bold_signature() -> None:
    head = '<meta name="author" content="Example News">'
    paragraphs = "".join(f"<p>Paragraph {i} of the story tells what happened.</p>" for i in range(4))
    labelled = f"<article>{paragraphs}</article><ul><li><strong>Autorin/Autor</strong> Ann Lee</li></ul>"
    tree, structured = parse(head, labelled)
    assert choose_authors(tree, structured, {"examplenews"}) == ["Ann Lee"]
    signed = f'<div class="entry"><p>&nbsp;</p><p><strong>Bo Kim</strong></p>{paragraphs}</div>'
    tree, structured = parse(head, signed)
    assert choose_authors(tree, structured, {"examplenews"}) == ["Bo Kim"]
    # a bold name in the middle of the text is a subheading or a speaker, not a signature
    middle = f'<div class="entry">{paragraphs}<p><strong>Bo Kim</strong></p>{paragraphs}</div>'
    tree, structured = parse(head, middle)
    assert choose_authors(tree, structured, {"examplenews"}) == ["Example News"]


def test_cms_admin_account_is_no_author() -> None:
    admin = {"@type": "Person", "name": "Example D", "@id": "https://example.co.za/author/admin/"}
    head = jsonld({"@type": "NewsArticle", "author": admin})
    paragraphs = "".join(f"<p>Paragraph {i} of the story tells what happened.</p>" for i in range(4))
    body = (
        f'<span class="author vcard">Example D</span><div><p><strong>ANN LEE</strong></p>{paragraphs}</div>'
    )
    tree, structured = parse(head, body)
    assert choose_authors(tree, structured, set()) == ["ANN LEE"]


def test_meta_author_naming_a_web_domain_is_a_newsroom_credit() -> None:
    head = '<meta name="author" content="Example Wave (www.example.com)">'
    body = "<div><strong>Author</strong> Cy Diaz</div><p>Text.</p>"
    tree, structured = parse(head, body)
    assert choose_authors(tree, structured, {"examplenews"}) == ["Cy Diaz"]


def test_lowercase_brand_label_beside_a_person_is_dropped_agency_kept() -> None:
    body = '<div class="authors"><span class="brand">x</span><span class="author">capital</span>'
    body += '<span class="author">von Ann Lee</span><span class="author">dpa</span></div>'
    tree, structured = parse("", body)
    assert choose_authors(tree, structured, set()) == ["Ann Lee", "dpa"]


def test_jsonld_person_holding_a_list_of_names_is_split() -> None:
    head = jsonld(
        {"@type": "NewsArticle", "author": {"@type": "Person", "name": "Ann Lee, Bo Kim and Cy Diaz"}}
    )
    tree, structured = parse(head)
    assert choose_authors(tree, structured) == ["Ann Lee", "Bo Kim", "Cy Diaz"]
    head = jsonld({"@type": "NewsArticle", "author": {"@type": "Person", "name": "Ann Lee, New York"}})
    tree, structured = parse(head)
    assert choose_authors(tree, structured) == ["Ann Lee"]


def test_language_sources() -> None:
    assert choose_language(*parse_lang('<html lang="de-CH">')) == "de"
    assert choose_language(*parse_lang("<html>", '<meta property="og:locale" content="es_ES">')) == "es"
    assert choose_language(*parse_lang("<html>", '<meta http-equiv="content-language" content="fr">')) == "fr"
    assert choose_language(*parse_lang("<html>")) is None


def parse_lang(html_tag: str, head: str = "") -> tuple[HtmlElement, Structured]:
    tree = lxml_html.fromstring(f"{html_tag}<head>{head}</head><body><p>x</p></body></html>")
    return tree, read_structured(tree)


def test_canonical_trusted_only_on_same_host_or_allowed_domain() -> None:
    fetched = "https://www.example-news.com/a/story?utm_source=rss&fbclid=abc&id=7"
    assert choose_canonical("https://www.example-news.com/a/story", fetched, []) == (
        "https://www.example-news.com/a/story"
    )
    assert choose_canonical("https://m.example-news.com/a/story", fetched, ["example-news.com"]) == (
        "https://m.example-news.com/a/story"
    )
    spoofed = choose_canonical("https://evil.example.org/a/story", fetched, ["example-news.com"])
    assert spoofed == "https://www.example-news.com/a/story?id=7"


def test_declared_canonical_is_absolute_and_kept() -> None:
    tree, structured = parse('<link rel="canonical" href="/a/story">')
    assert declared_canonical(tree, structured, URL) == "https://www.example-news.com/a/story"
    tree, structured = parse('<meta property="og:url" content="https://other.example/x">')
    assert declared_canonical(tree, structured, URL) == "https://other.example/x"


def test_normalise_url_strips_tracking_parameters_and_fragment() -> None:
    assert (
        normalise_url("https://Example.com/a?gclid=1&utm_medium=x&page=2#top")
        == "https://example.com/a?page=2"
    )


def test_meta_title_cut_at_an_unescaped_quote_is_made_whole_from_the_title_tag() -> None:
    # as served: the quote inside content="..." ends the attribute, lxml keeps "... und "
    head = (
        '<meta property="og:title" content="Hamburg Marathon 2024: Überlegener Sieger und "royaler Besuch"">'
        '<meta name="twitter:title" content="Hamburg Marathon 2024: Überlegener Sieger und "royaler Besuch"">'
        '<title>Hamburg Marathon 2024: Überlegener Sieger und "royaler Besuch"</title>'
    )
    assert title_of(head) == 'Hamburg Marathon 2024: Überlegener Sieger und "royaler Besuch"'


def test_meta_title_that_is_a_shorter_headline_form_is_not_extended() -> None:
    head = (
        '<meta property="og:title" content="Your $1 bill could be worth up THOUSANDS - here\'s how to check">'
        "<title>Your $1 bill could be worth up THOUSANDS - here's how to check if you have the rare buck</title>"
    )
    assert title_of(head) == "Your $1 bill could be worth up THOUSANDS - here's how to check"
