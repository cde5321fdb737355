"""Boilerplate removal: DOM pruning before trafilatura and line rules after it, per family.

The fixtures recreate the families of ../shared/examples/outlet-texts (city menus, "Others are
reading now", template placeholders, "Read next", section labels, captions, bios ...).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from lxml import html as lxml_html
from lxml.html import HtmlElement

from extraction.clean import (
    DOM_RULES,
    add_lead,
    any_rule,
    boilerplate_rule,
    embedded_body,
    find_lead,
    prune_tree,
)
from extraction.extract import extract_page
from extraction.lines import clean_lines
from extraction.model import PageHints

PARAGRAPH = (
    "Russian Foreign Minister Sergey Lavrov has expressed doubts about the sincerity of claims that "
    "Washington wants to restore economic cooperation, citing the continuation of sanctions. "
)
ARTICLE = "".join(
    f"<p>{PARAGRAPH}Paragraph number {i} adds its own detail to the story.</p>" for i in range(6)
)
HINTS = PageHints(
    url="https://news.example.com/world/lavrov-doubts-economic-ties", crawled_at=datetime.now(UTC)
)


def tree_of(body: str) -> HtmlElement:
    return lxml_html.fromstring(f"<html><head><title>x</title></head><body>{body}</body></html>")


def text_after_pruning(body: str) -> str:
    tree = tree_of(body)
    prune_tree(tree)
    return " ".join(tree.find(".//body").itertext())


# --- DOM pruning ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("element", "rule"),
    [
        ('<div class="c-navigation">Atlanta Austin</div>', "nav"),
        ('<ul role="navigation"><li>a</li></ul>', "nav"),
        ('<div class="breadcrumb">Home / World</div>', "nav"),
        ('<section class="related-articles">Also read</section>', "related"),
        ('<div id="mostReadWidget">Others are reading now</div>', "related"),
        ('<div class="share-buttons">Share</div>', "share"),
        ('<div class="newsletter-signup">Sign up</div>', "newsletter"),
        ('<div class="col appHint">E-Paper und News in einer App</div>', "newsletter"),
        ('<div class="comments">Leave the first comment</div>', "comments"),
        ('<div class="author-bio">Tim is a reporter</div>', "bio"),
        ('<div class="image-caption">Photo: AFP</div>', "caption"),
        ("<figcaption>Lavrov in Moscow. (Getty Images)</figcaption>", "caption"),
        ('<span class="atc-image-description-text">Commuters in Berlin.</span>', "caption"),
        ('<p class="video-heading">Live from the stadium</p>', "caption"),
        ('<div class="ad-slot">Advertisement</div>', "ads"),
        ('<div class="article_element-poll">Should platforms be regulated?</div>', "poll"),
        ('<div class="app-access-wall registration-wall">Enjoying our content?</div>', "newsletter"),
        ('<div id="aiSummaryContent"><ul><li>Key point</li></ul></div>', "ai-summary"),
        ('<span class="reading-time">3 min read</span>', "meta"),
        ("<aside>Read more</aside>", "aside"),
        ('<blockquote class="twitter-tweet">tweet</blockquote>', "embed"),
    ],
)
def test_boilerplate_rule_families(element: str, rule: str) -> None:
    node = lxml_html.fragment_fromstring(element)
    assert boilerplate_rule(node) == rule


def test_any_rule_matches_exactly_where_some_rule_matches() -> None:
    combined = any_rule(tuple(DOM_RULES.values()))
    words = ["article-body", "main-nav", "share-bar", "related-stories", "navy-blue", "bio", "biology",
             "photo-credit", "story", "newsletter-box", "newsletters", "x", "", "comments-section"]  # fmt: skip
    for w in words:
        assert bool(combined.search(w)) == any(p.search(w) for p in DOM_RULES.values()), w
    mixed = (re.compile("a"), re.compile("b", re.I))
    assert any_rule(mixed).search("anything")  # different flags: no shortcut, every element is tried


@pytest.mark.parametrize(
    "element",
    [
        '<p class="paywall">Article text behind a metered wall is still article text.</p>',
        '<h3 class="nav_subheading">A subheading</h3>',
        '<div class="article-body">text</div>',
        '<p class="commentary">An opinion paragraph.</p>',
    ],
)
def test_article_elements_are_not_boilerplate(element: str) -> None:
    assert boilerplate_rule(lxml_html.fragment_fromstring(element)) is None


def test_prune_removes_city_menu_teasers_and_share_rows_but_keeps_the_article() -> None:
    cities = "".join(f'<li><a href="/{c}">{c}</a></li>' for c in ["Atlanta", "Austin", "Baltimore", "Berwyn"])
    body = (
        f"<header><ul>{cities}</ul></header>"
        f"<article><h1>Lavrov doubts ties</h1>{ARTICLE}"
        '<div class="share-row"><a>Facebook</a><a>Twitter</a></div>'
        '<section class="read-next"><h3>Read next</h3><p><a href="/x">Unrelated headline</a></p></section>'
        "</article>"
    )
    text = text_after_pruning(body)
    assert "Paragraph number 5" in text and "Lavrov doubts ties" in text
    for junk in ("Atlanta", "Facebook", "Read next", "Unrelated headline"):
        assert junk not in text


def test_link_lists_are_pruned_content_lists_are_kept() -> None:
    links = "<ul>" + "".join(f'<li><a href="/{i}">Teaser headline {i}</a></li>' for i in range(4)) + "</ul>"
    facts = "<ul><li>Sanctions remain in place</li><li>Talks continue next week</li></ul>"
    text = text_after_pruning(f"<article><h1>T</h1>{ARTICLE}{links}{facts}</article>")
    assert "Teaser headline" not in text and "Sanctions remain in place" in text


def test_teaser_list_with_h1_headlines_inside_links_is_pruned() -> None:
    teasers = "<ul>" + "".join(
        f'<li><a href="/{i}"><div><h1>Other story {i}</h1><p>Teaser text of story {i}.</p></div></a></li>'
        for i in range(3)
    )
    text = text_after_pruning(f"<div><h1>Lavrov doubts ties</h1>{ARTICLE}</div><div>{teasers}</ul></div>")
    assert "Paragraph number 5" in text and "Lavrov doubts ties" in text
    assert "Other story" not in text and "Teaser text" not in text


def test_teaser_cards_and_linked_headlines_are_pruned_subheadings_kept() -> None:
    card = '<a href="/other"><div><h3>Other story headline</h3><p>Its teaser.</p></div></a>'
    linked = '<h2><a href="/more">Another linked headline</a></h2>'
    body = f"<article><h1>Lavrov doubts ties</h1>{ARTICLE}{card}<h2>What comes next</h2>{ARTICLE}{linked}</article>"
    text = text_after_pruning(body)
    assert "What comes next" in text and "Paragraph number 5" in text
    assert "Other story headline" not in text and "Another linked headline" not in text
    anchored = f'<article><h1>T</h1>{ARTICLE}<h2><a href="#next">What comes next</a></h2>{ARTICLE}</article>'
    assert "What comes next" in text_after_pruning(anchored)
    # a link wrapped around a whole article body is no teaser card
    wrapped = f'<div><h1>T</h1><a href="/self"><h2>What comes next</h2>{ARTICLE}{ARTICLE}</a></div>'
    assert "What comes next" in text_after_pruning(wrapped)


def test_heading_of_a_removed_teaser_list_goes_with_it_article_subheadings_stay() -> None:
    links = "<ul>" + "".join(f'<li><a href="/{i}">Teaser headline {i}</a></li>' for i in range(3)) + "</ul>"
    body = (
        f"<article><h1>T</h1>{ARTICLE}<h3>Exclusive background, researched for you</h3>{links}"
        f"<h2>What comes next</h2>{ARTICLE}"
        f'<h3>Most shared</h3><div class="wrap"><div class="related-box"><p>Other story</p></div></div>'
        f"</article>"
    )
    text = text_after_pruning(body)
    assert "What comes next" in text and "Paragraph number 5" in text
    for junk in ("Exclusive background", "Teaser headline", "Most shared", "Other story"):
        assert junk not in text
    # text between the heading and the list, or more than the box in its wrapper: the heading stays
    kept = f"<article><h1>T</h1>{ARTICLE}<h3>Sources</h3>Our reporting used:{links}</article>"
    assert "Sources" in text_after_pruning(kept)
    wrapped = f"<article><h1>T</h1><h2>Chapter two</h2><section>{links}{ARTICLE}</section></article>"
    assert "Chapter two" in text_after_pruning(wrapped)


def test_prune_never_takes_most_of_the_article() -> None:
    body = f'<div class="paywall-wrapper related"><h1>T</h1>{ARTICLE}</div>'
    assert "Paragraph number 5" in text_after_pruning(body)


def test_lead_is_found_from_description_and_prepended_once() -> None:
    lead = "Moscow says it remains formally open to cooperation, but expectations are fading."
    tree = tree_of(f'<h1>Title</h1><p class="standfirst">{lead}</p>{ARTICLE}')
    assert find_lead(tree, lead) == lead
    assert add_lead("Body text.", lead) == f"{lead}\nBody text."
    assert add_lead(f"{lead}\nBody text.", lead) == f"{lead}\nBody text."


def test_marked_lead_must_follow_the_headline() -> None:
    tree = tree_of(
        f'<p class="intro">Site slogan before the headline, long enough to count.</p><h1>T</h1>{ARTICLE}'
    )
    assert find_lead(tree, None) is None


def test_body_from_json_state_of_script_rendered_pages() -> None:
    state = '{"props": {"contentHtml": "' + ("\\u003cp\\u003e" + PARAGRAPH + "\\u003c/p\\u003e") * 3 + '"}}'
    tree = tree_of(f"<div id='app'></div><script>self.__next_f.push({state})</script>")
    body = embedded_body(None, tree)
    assert body is not None and body.count("Lavrov") == 3
    assert embedded_body(PARAGRAPH * 2, tree) == (PARAGRAPH * 2).strip()


# --- line rules ------------------------------------------------------------------------------------

TITLE = "Russia doubts bright future for US economic ties"


def clean(text: str, title: str = TITLE, authors: tuple[str, ...] = ()) -> list[str]:
    return clean_lines(text, title, authors).splitlines()


def test_city_navigation_run_is_removed() -> None:
    menu = "\n".join(
        f"- {c}" for c in ["Atlanta", "Austin", "Baltimore", "Berwyn", "Beverly Hills", "Boston"]
    )
    assert clean(f"{menu}\n{PARAGRAPH}") == [PARAGRAPH.strip()]


def test_breadcrumb_trail_opening_the_text_is_removed_but_a_later_short_list_is_kept() -> None:
    crumbs = "- Home\n- World\n- Europe\n- Lavrov doubts ties"
    assert clean(f"{crumbs}\n{PARAGRAPH}") == [PARAGRAPH.strip()]
    two = "- Sanctions stay in place\n- Talks go on next week"
    assert clean(f"{two}\n{PARAGRAPH}")[:2] == two.splitlines()
    listing = f"{PARAGRAPH}\n- Sanctions stay\n- Talks go on\n- Prices rise"
    assert clean(listing) == listing.replace(PARAGRAPH, PARAGRAPH.strip()).splitlines()


def test_short_real_list_is_kept() -> None:
    text = f"{PARAGRAPH}\n- Sanctions stay\n- Talks go on"
    assert clean(text) == [PARAGRAPH.strip(), "- Sanctions stay", "- Talks go on"]


def test_teaser_headings_and_their_items() -> None:
    text = (
        f"{PARAGRAPH}\nOthers are reading now\n{PARAGRAPH}\nAlso read\n{PARAGRAPH}\n"
        "Read next\n23:00\ntariff talks\n"
        "Lesen Sie auch\n- Kanzler reist nach Paris\nLee también\nLes også\n"
    )
    assert clean(text) == [PARAGRAPH.strip()] * 3


@pytest.mark.parametrize(
    "line",
    [
        "READ MORE: Europe's lesser-known theme park has terrifying rollercoasters",
        "Lesen Sie auch: Kanzler reist nach Paris",
        "Czytaj więcej: AfD rośnie w siłę",
        "FUNDA OLUNYE UDABA LAPHA | Kuboshwe abahlanu",
        ">> Hier finden Sie alle Termine",
        "MORE: Putin prepared to discuss ceasefire",
        "Lea también: Impiden ingreso a reportero",
        "LE PUEDE INTERESAR: La ficha del expresidente",
        "VEA TAMBIÉN: Estrella de la educación no brilla",
        "Auch lesen: Diese 3 Sternzeichen verschenken ihr Herz",
    ],
)
def test_inline_teaser_lines(line: str) -> None:
    assert clean(f"{PARAGRAPH}\n{line}") == [PARAGRAPH.strip()]


@pytest.mark.parametrize(
    "heading",
    [
        "NOTAS RELACIONADAS",
        "Contenido Relacionado",
        "Schon gelesen?",
        "Empfohlene Beiträge",
        "Las más leídas",
    ],
)
def test_more_teaser_headings(heading: str) -> None:
    assert clean(f"{PARAGRAPH}\n{heading}\nOtro titular de la portada") == [PARAGRAPH.strip()]


def test_a_no_break_space_does_not_hide_a_teaser_heading() -> None:
    lines = clean_lines(
        f"{PARAGRAPH}\n|\xa0\xa0Weitere\xa0Artikel\xa0zum\xa0Thema |\n| Kommentierte Artikel |"
    )
    assert lines.splitlines() == [PARAGRAPH.strip()]


def test_a_label_before_a_links_text_is_an_inline_teaser() -> None:
    links = ["El cantante da positivo a COVID-19", "Inicio"]
    text = (
        f"{PARAGRAPH}\nMire: El cantante da positivo a COVID-19\nNota: el cantante sigue de gira por el país"
    )
    kept = clean_lines(text, link_texts=links).splitlines()
    assert kept == [PARAGRAPH.strip(), "Nota: el cantante sigue de gira por el país"]
    # an abbreviation before the colon is part of a credit line, not a teaser label
    credit = f"{PARAGRAPH}\n*feat.: El cantante da positivo a COVID-19"
    assert clean_lines(credit, link_texts=links).splitlines()[-1].startswith("*feat.")


@pytest.mark.parametrize(
    "line",
    [
        "Got story updates? Submit your updates here. ›",
        "What is your opinion on this topic?",
        "Leave the first comment",
        "Sign up for our newsletter to get the latest news.",
        "Folgen Sie uns auf WhatsApp",
        "Abonnez-vous à notre newsletter",
        "Suscríbete al boletín",
        "Iscriviti alla newsletter",
        "この記事は会員限定です。",
        "Share",
        "Show More",
        "Advertisement",
        "Anzeige",
    ],
)
def test_prompts_and_share_rows(line: str) -> None:
    assert clean(f"{PARAGRAPH}\n{line}") == [PARAGRAPH.strip()]


@pytest.mark.parametrize(
    "line",
    [
        "Du musst Eingeloggt sein um Kommentare zu schreiben!",
        "Sie sind aktuell nicht eingeloggt.",
        "Verraten Sie gerne in den Kommentaren: Was bedeutet der Preis für Sie?",
        "For the latest stories download the Example apps for iOS and Android.",
        "¿Ya sabías que tenemos canal de Telegram? Únete desde tu celular.",
        "HAZTE MIEMBRO Y DISFRUTA DE BENEFICIOS EXCLUSIVOS",
        "Unterstütze Example bereits mit 2,50!",
        "Pour lire la suite",
        "Want More?",
        "Vorschau auf den nächsten Artikel",
        "Temas",
        "Crédits photos : Example Agency",
        "Titelbild: Jane Doe/Agency",
        "Letzte Änderung 14.02.2019",
        "Telefon: +49 - (40) - 300 30 - 1141",
        "Pressesprecher*in Jane Doe",
        "This post contains references to products from one or more of our advertisers.",
        "*Werbung. Dieser Beitrag enthält Werbung für Example.",
        "This article is the copyrighted property of Example News.",
        "Klicken Sie auf den unteren Button, um den Inhalt von www.example.de zu laden.",
    ],
)
def test_account_support_disclosure_and_contact_lines(line: str) -> None:
    assert clean(f"{PARAGRAPH}\n{line}") == [PARAGRAPH.strip()]


@pytest.mark.parametrize(
    "line",
    [
        "Weitere Infos unter www.example.de.",
        "(Alle Angaben ohne Gewähr)",
        "Informationsschreiben vom 14. Oktober 2021PDF | 38 KB | Datei ist nicht barrierefrei",
        "ANZEIGE - Heute mal ausgehen? Wie wäre es mit:",
        "Abbildung 4: klassische Schwachschicht.",
        "EXAMPLENEWS.COM",
        "News date : 04/21/2022 Category : Press Releases",
        "Gefällt dir unser Magazin? Wir haben entschieden, keine Bezahlschranke einzuführen, und das bleibt so.",
        "Аdvеrtіѕе wіth thе most visited news site ~ Wе оffеr flexible packages",
    ],
)
def test_pointer_notice_caption_and_advert_lines(line: str) -> None:
    assert clean(f"{PARAGRAPH}\n{line}") == [PARAGRAPH.strip()]


def test_words_of_two_scripts_side_by_side_are_text() -> None:
    line = "Президент Путин (Vladimir Putin) said in Москва that the talks would go on next week."
    assert line in clean(f"{PARAGRAPH}\n{line}")


def test_an_about_box_closing_the_text_goes_a_late_section_of_that_name_stays() -> None:
    box = "Über diese Reihe\nDie Stiftung ist in 110 Ländern mit einem eigenen Büro vertreten."
    assert clean(f"{PARAGRAPH}\n{PARAGRAPH}\n{box}") == [PARAGRAPH.strip()] * 2
    early = f"{PARAGRAPH}\nÜber uns\n{PARAGRAPH}\n{PARAGRAPH}\n{PARAGRAPH}\n{PARAGRAPH}"
    assert "Über uns" in clean(early)


def test_instructions_that_need_an_account_are_text() -> None:
    line = "Um Beiträge online einzureichen, müssen Sie registriert und eingeloggt sein."
    assert line in clean(f"{PARAGRAPH}\n{line}")


def test_template_placeholders() -> None:
    text = "{{dayPoint.date | date : 'd MMMM yyyy'}}\nPrice ${price} today %%AUTHOR%%\n" + PARAGRAPH
    assert clean(text) == ["Price  today", PARAGRAPH.strip()]


def test_section_label_reading_time_duplicated_headline_and_captions() -> None:
    text = (
        f"Politics\n{TITLE}\n3 min read\n{TITLE}\n"
        "Russian Foreign Minister Sergei Lavrov in Moscow. (Alexander Zemlianichenko / POOL / AFP via Getty Images)\n"
        f"{PARAGRAPH}\nPhoto: Reuters\nFoto: dpa\nLesezeit: 3 Min.\nImage: Jane Doe / Getty Images\n{PARAGRAPH}"
    )
    assert clean(text) == [PARAGRAPH.strip()] * 2


def test_author_bio_and_byline() -> None:
    bio = (
        "Tim Zadorozhnyy is the reporter for the Kyiv Independent, specializing in foreign policy "
        "and political developments across Europe."
    )
    text = f"By Tim Zadorozhnyy\n{PARAGRAPH}\n{PARAGRAPH}\n{PARAGRAPH}\nTim Zadorozhnyy\nReporter\n{bio}"
    assert clean(text, authors=("Tim Zadorozhnyy",)) == [PARAGRAPH.strip()] * 3


def test_closing_paragraph_signed_by_the_author_in_a_script_without_spaces_is_kept() -> None:
    last = "政府は十三日、新しい計画を発表した。関係者によると、実施は来年になる見通しだ。【東京山田太郎】"
    text = f"{PARAGRAPH}\n{PARAGRAPH}\n{PARAGRAPH}\n{last}"
    assert clean(text, authors=("山田太郎",))[-1] == last
    bio = "山田太郎 1990年生まれ。2015年入社、社会部などを経て現在は政治部で外交を担当している。"
    assert clean(f"{text}\n{bio}", authors=("山田太郎",))[-1] == last


@pytest.mark.parametrize(
    "line",
    [
        "Sources: Reuters, Digi24.",
        "Quellen: dpa, AFP",
        "Mit Material von dpa",
        "(dpa)",
        "With files from The Associated Press",
        "Dieses Thema im Programm: EXAMPLE RADIO - Das Radio | Nachrichten | 28. April 2023 | 10:00 Uhr",
        "—Associated Press writer Jane Doe in Paris contributed to this report.",
        "With reports from Example Daily and Example Times",
        "Additional reporting by Jane Doe",
        "Aus dem Englischen von Jane Doe",
        "(dmk)",
        "SDA/sep",
        "• Email: jdoe@example.com",
        "Passer la publicité",
        "- 评论",
        "Die Autorin",
        "Gastkommentare wie dieser müssen nicht der Meinung der Redaktion entsprechen.",
        "The views expressed here do not necessarily reflect those of Example News.",
        "Mit Informationen der Korrespondentinnen und Korrespondenten sowie der Nachrichtenagenturen AFP, AP, "
        "dpa, KNA und Reuters, die hier zusammengefasst werden und die Grundlage dieses Überblicks bilden",
        "Our members get special offers and adverts from us and our partners. You can check out at any time.",
        "With reporting by Associated Press writer Jane Doe",
        "First published in The Example Review.",
        "Dieser Artikel ist zuerst bei Example Magazin erschienen.",
        "We independently select everything we recommend. Buying through us may earn us a commission.",
        "Übersetzung: Ann Lee, Redaktion: Bo Kim, Schlussredaktion: Cy Diaz, Audioversion: Di Eck und Fa Gru",
        "An dieser Stelle finden Sie einen von unseren Redakteuren ausgewählten, externen Inhalt, der den "
        "Artikel für Sie mit zusätzlichen Informationen anreichert. Sie können sich hier den externen Inhalt "
        "mit einem Klick anzeigen lassen oder wieder ausblenden.",
    ],
)
def test_source_credit_lines(line: str) -> None:
    assert clean(f"{PARAGRAPH}\n{line}") == [PARAGRAPH.strip()]


def test_long_subscription_and_newsletter_blurbs_are_removed_only_at_the_end() -> None:
    newsletter = (
        '"Here is the region": the Example newsletter brings you the most important news of the day every '
        "weekday evening, compact and direct to your inbox, so you never miss what matters where you live."
    )
    account = (
        "Si quieres compartir tu cuenta, cambia tu suscripción a la modalidad Premium, así podrás añadir otro "
        "usuario. Cada uno accederá con su propia cuenta de email, lo que os permitirá personalizar la experiencia."
    )
    assert clean(f"{PARAGRAPH}\n{PARAGRAPH}\n{newsletter}\n{account}") == [PARAGRAPH.strip()] * 2
    episode = "In the latest episode of Example This Week, our reporter examines the new satellite rules."
    assert clean(f"{PARAGRAPH}\n{PARAGRAPH}\n{episode}") == [PARAGRAPH.strip()] * 2
    # in the middle of the text a long paragraph about a newsletter is article text
    assert newsletter in clean(f"{PARAGRAPH}\n{newsletter}\n{PARAGRAPH}")


def test_consent_wording_in_prose_is_article_text() -> None:
    prose = (
        "Der Minister sagte, er sei damit einverstanden, dass die Verhandlungen im Herbst fortgesetzt werden."
    )
    assert prose in clean(f"{PARAGRAPH}\n{prose}\n{PARAGRAPH}")


def test_an_agency_credit_does_not_make_a_closing_paragraph_a_bio() -> None:
    closing = "Wie dpa unter Berufung auf die Behörden berichtet, sollen die Gespräche am Montag weitergehen."
    text = f"{PARAGRAPH}\n{PARAGRAPH}\n{PARAGRAPH}\n{closing}"
    assert clean(text, authors=("Jane Doe", "dpa"))[-1] == closing


def test_lines_listing_only_the_authors_and_every_co_author_bio_go() -> None:
    authors = ("Ann Lee", "Bo Kim")
    bios = "Ann Lee is a senior researcher at the Example Institute in Cape Town.\nBo Kim is a professor of planning."
    text = f"Ann Lee, Bo Kim\n{PARAGRAPH}\n{PARAGRAPH}\n{PARAGRAPH}\n{bios}"
    assert clean(text, authors=authors) == [PARAGRAPH.strip()] * 3


def test_read_also_label_run_into_a_headline_and_colon_labels() -> None:
    text = f"{PARAGRAPH}\nÀ lire aussi La natalité menacée d'effondrement\nNote:\n{PARAGRAPH}"
    assert clean(text) == [PARAGRAPH.strip()] * 2
    kept = "Lesen Sie auch die Analyse unseres Korrespondenten, der seit Jahren aus Moskau berichtet."
    assert kept in clean(f"{PARAGRAPH}\n{kept}\n{PARAGRAPH}")


def test_icon_labels_after_a_closing_prompt_go_with_it() -> None:
    prompt = "Si continúas leyendo en este dispositivo, no se podrá leer en el otro."
    assert clean(f"{PARAGRAPH}\n{PARAGRAPH}\n{prompt}\nFlecha") == [PARAGRAPH.strip()] * 2


def test_read_next_widget_with_time_stamped_items_and_summaries() -> None:
    widget = (
        "Read next\n23:00\nTariff talks\nThe president will attend a key meeting with trade officials on "
        "Wednesday, signalling his direct involvement in the negotiations.\n22:30\nElection delay\nThe "
        "president has postponed the next election by several months, fuelling speculation about a second term."
    )
    assert clean(f"{PARAGRAPH}\n{widget}\n{PARAGRAPH}") == [PARAGRAPH.strip()] * 2


def test_headline_shown_twice_and_a_caption_with_a_slash_credit() -> None:
    caption = "The occupied regions in the east, shown on a map. (Jane Doe/The Example Times)"
    text = f"{TITLE}\n3 min read\n{TITLE}\n{PARAGRAPH}\n{caption}\n{PARAGRAPH}"
    assert clean(text, title="") == [TITLE, PARAGRAPH.strip(), PARAGRAPH.strip()]


def test_byline_with_colon_at_the_top() -> None:
    assert clean(f"- Von: Ann LEE, Bo KIM\n{PARAGRAPH}") == [PARAGRAPH.strip()]


@pytest.mark.parametrize(
    "line",
    [
        "© 2024 Example Media. All rights reserved.",
        "Alle Rechte vorbehalten.",
        "Copyright Example Media 2024",
    ],
)
def test_legal_lines(line: str) -> None:
    assert clean(f"{PARAGRAPH}\n{line}") == [PARAGRAPH.strip()]


def test_datelines_and_dates() -> None:
    text = (
        f"Published on Feb. 5, 2026\nStand: 22.04.2024, 06:00 Uhr\n{PARAGRAPH}\n23:00\n2025年1月14日 01時28分"
    )
    assert clean(text) == [PARAGRAPH.strip()]


@pytest.mark.parametrize(
    "line",
    [
        "Freitag, 28.04.2023, 19:25",
        "28. April 2023",
        "Monday, April 28, 2024 at 10:30 am",
        "28 de abril de 2023",
        "Tuesday 5 March 2024 14:00 GMT",
    ],
)
def test_lines_holding_only_a_date_with_weekday_or_month_name(line: str) -> None:
    assert clean(f"{line}\n{PARAGRAPH}") == [PARAGRAPH.strip()]


def test_a_sentence_starting_with_a_time_or_date_is_text() -> None:
    for line in (
        "12:30 Uhr ist es so weit.",
        "Am Freitag, 28.04.2023 kam er zurück.",
        "12:30 Uhr ist es so weit",
    ):
        assert line in clean(f"{PARAGRAPH}\n{line}\n{PARAGRAPH}")


@pytest.mark.parametrize(
    "line",
    [
        "Link zum YouTube-Inhalt",
        "View this post on Instagram",
        "A post shared by Example News (@examplenews)",
        "Mehr Infos",
        "Learn more",
        "Flecha",
        "- Übersetzung und Adaptierung: Example Agency",
        "Translated by Jane Doe",
    ],
)
def test_embed_placeholders_link_labels_and_translation_credits(line: str) -> None:
    assert clean(f"{PARAGRAPH}\n{line}\n{PARAGRAPH}") == [PARAGRAPH.strip()] * 2


@pytest.mark.parametrize(
    "line",
    [
        "Example-Redaktion",
        "Redaktion Example",
        "Example Weekly / Última Hora",
    ],
)
def test_newsroom_and_source_sign_offs_closing_the_text(line: str) -> None:
    assert clean(f"{PARAGRAPH}\n{line}") == [PARAGRAPH.strip()]
    assert line in clean(f"{PARAGRAPH}\n{line}\n{PARAGRAPH}")  # only as the closing line


def test_tip_prompts_and_advice_disclaimers() -> None:
    tip = "Have a tip? Send us a message on Signal, our reporters read every one."
    tipp = "Sie haben Hinweise zum Themengebiet? Melden Sie vertraulich und sicher via Signal."
    risk = (
        "Aktien und andere Investments sind mit einem Risiko verbunden. Auch ein Totalverlust des eingesetzten "
        "Kapitals kann nicht ausgeschlossen werden. Die Artikel sind keine Aufforderung zum Kauf oder Verkauf von "
        "Wertpapieren und ersetzen keine fachliche Beratung."
    )
    advice = "This article is for information only and does not constitute financial advice."
    for line in (tip, tipp, risk, advice):
        assert clean(f"{PARAGRAPH}\n{line}\n{PARAGRAPH}") == [PARAGRAPH.strip()] * 2
    prose = "Anleger müssen mit einem Totalverlust rechnen, warnte die Aufsicht am Montag."
    assert prose in clean(f"{PARAGRAPH}\n{prose}\n{PARAGRAPH}")


def test_to_the_article_teaser_line() -> None:
    assert (
        clean(f"{PARAGRAPH}\n- Zum Artikel: Was jetzt verhandelt wird\n{PARAGRAPH}")
        == [PARAGRAPH.strip()] * 2
    )


def test_summary_box_heading_and_its_bullets() -> None:
    box = "Summary\n- The court heard final arguments on Friday.\n- A ruling is expected within months."
    assert clean(f"{PARAGRAPH}\n{box}\n{PARAGRAPH}") == [PARAGRAPH.strip()] * 2
    assert clean(f"Das Wichtigste in Kürze\n- Punkt eins steht hier.\n- Punkt zwei folgt.\n{PARAGRAPH}") == [
        PARAGRAPH.strip()
    ]
    # a box after all of the text restates it; one after most of the text with prose still
    # following is a section of the text (a guide's key points) and stays
    assert clean(f"{PARAGRAPH}\n{PARAGRAPH}\n{box}") == [PARAGRAPH.strip()] * 2
    assert "Summary" in clean(f"{PARAGRAPH}\n{PARAGRAPH}\n{box}\nTips\n{PARAGRAPH[:120].rstrip()}.")
    # a "Summary" heading over prose, or over a single point, stays
    assert "Summary" in clean(f"{PARAGRAPH}\nSummary\n{PARAGRAPH}")
    assert "- Only one point here." in clean(f"{PARAGRAPH}\nKey points\n- Only one point here.\n{PARAGRAPH}")


def test_link_hints_are_cut_out_of_sentences_other_brackets_stay() -> None:
    line = (
        "VW promised its investors(öffnet im neuen Fenster) , among them banks, a lot (opens in a new tab)."
    )
    assert clean(line) == ["VW promised its investors , among them banks, a lot."]
    kept = "The party (Linke) voted against the plan (see below)."
    assert clean(kept) == [kept]


def test_headline_without_the_kicker_of_the_title_at_the_top() -> None:
    title = "State election: Two candidates and the accusation of a lie on live television"
    top = "Two candidates and the accusation of a lie on live television"
    assert clean(f"{top}\n{PARAGRAPH}", title=title) == [PARAGRAPH.strip()]
    # an opening line sharing only the title's first words stays
    assert "State election: two candidates" in clean(
        f"State election: two candidates\n{PARAGRAPH}", title=title
    )


def test_short_real_paragraphs_survive() -> None:
    text = f"{PARAGRAPH}\nHe declined to comment.\nWhy it matters\n{PARAGRAPH}\nThe takeaway\nTalks go on."
    assert clean(text) == [
        PARAGRAPH.strip(),
        "He declined to comment.",
        "Why it matters",
        PARAGRAPH.strip(),
        "The takeaway",
        "Talks go on.",
    ]


def test_outlet_families_end_to_end_in_html() -> None:
    """One page carrying the five outlets' boilerplate families, through extract_page."""
    cities = "".join(
        f'<li><a href="/{c}">{c}</a></li>' for c in ["Atlanta", "Austin", "Baltimore", "Boston", "Chicago"]
    )
    teasers = "".join(
        f'<li><a href="/t{i}"><span>23:0{i}</span> Unrelated headline {i}</a></li>' for i in range(5)
    )
    html = f"""<html lang="en"><head><title>{TITLE} | Example</title>
    <meta property="og:title" content="{TITLE}"><meta property="og:type" content="article">
    <meta property="article:published_time" content="2026-02-09T10:00:00+03:00"></head><body>
    <nav><ul>{cities}</ul></nav>
    <article><span class="section-label">Politics</span><h1>{TITLE}</h1>
    <div class="article-meta"><span class="reading-time">3 min read</span></div>
    <p class="byline">By Tim Zadorozhnyy</p>
    <figure><img src="a.jpg"><figcaption>Lavrov in Moscow. Photo: AFP via Getty Images</figcaption></figure>
    <p>{{{{dayPoint.date | date : 'd MMMM yyyy'}}}}</p>
    {ARTICLE}
    <div class="others-reading"><h4>Others are reading now</h4><ul>{teasers}</ul></div>
    <p>Got story updates? Submit your updates here.</p>
    {ARTICLE}
    <p>Sources: Reuters, Digi24.</p>
    <div class="author-bio"><p>Tim Zadorozhnyy is the reporter for the Kyiv Independent.</p></div>
    <section class="read-next"><h3>Read next</h3><ul>{teasers}</ul></section>
    <div class="comments-teaser"><p>What is your opinion on this topic?</p><p>Leave the first comment</p></div>
    </article><footer>Show More</footer></body></html>"""
    result = extract_page(html, HINTS)
    assert result.text.count("Paragraph number 5") == 2
    for junk in (
        "Atlanta", "Unrelated headline", "Others are reading", "Got story updates", "Sources:", "dayPoint",
        "Read next", "opinion on this topic", "first comment", "3 min read", "Getty", "is the reporter",
        "Show More", TITLE,
    ):  # fmt: skip
        assert junk not in result.text, junk
    assert result.title == TITLE and result.published.date == "2026-02-09"


# --- second precision pass: source lists, media teasers, widgets ----------------------------------


def test_source_list_under_a_sources_heading_is_pruned_other_lists_stay() -> None:
    sources = "<ul><li>Eigene Recherche</li><li>nytimes.com: Behind the tanker (Englisch)</li></ul>"
    body = (
        f"<article><h1>T</h1>{ARTICLE}<ul><li>Machines</li><li>Textiles</li></ul>"
        f"<div><div>Verwendete Quellen</div></div>{sources}<details><ul><li>wsj.com: More</li></ul>"
        f"<summary><p>Quellen anzeigen</p></summary></details>"
        f"</article>"
    )
    text = text_after_pruning(body)
    assert "Machines" in text and "Textiles" in text and "Paragraph number 5" in text
    for junk in ("Verwendete Quellen", "Eigene Recherche", "nytimes.com", "wsj.com"):
        assert junk not in text
    # a "Quellen:" paragraph before a list wrapper goes too; a sources heading over paragraphs stays
    assert "Landtag" not in text_after_pruning(
        f"{ARTICLE}<p>Quellen:<br/></p><div><ul><li>Landtag NRW</li></ul></div>"
    )
    kept = text_after_pruning(f"<h1>T</h1>{ARTICLE}<h2>Sources</h2><p>Three officials spoke to us.</p>")
    assert "Sources" in kept and "Three officials" in kept


@pytest.mark.parametrize(
    "line",
    [
        "Nach dem Angriff auf Israel wurden in Brüssel Sanktionen beschlossen. 18.04.2024 | 0:21 min",
        "Der Politologe hält neue Sanktionen für begrenzt. 17.04.2024 | 6:00 min",
        "Ein Klick für den Datenschutz",
        "Folgst du schon 20 Minuten auf Whatsapp?",
        "❤ Example unterstützen",
        "um Example zu unterstützen:",
        "- Jetzt bei Examplemobil (Crash) abschließen",
        "Jetzt als Amazon Blitzangebot",
        "Mehr zur Lage im Nahen Osten lesen Sie in unserem Liveblog:",
        "Auf dieser Seite:",
        "Table of contents",
        "Embed",
        "- false",
        "Example Aktienkurs",
        "박준석 기자 외 1명",
        "カテゴリーをフォローする",
        "Welches dieser Mittel ist dein Favorit, wenn du dich erkältet fühlst?",
        "- → Schwerpunkt",
        "Get real-time updates and result insights on the exam results.",
        "Durch den Angriff eskalierte die Lage. Aktuelle Entwicklungen im Liveblog.",
        "Example ist eine Partnermarke des Beispiel, beide gehören zu Example News. Sie können diesen Inhalt sehen, "
        "weil wir ausgewählte Stücke auch Ihnen zur Verfügung stellen.",
    ],
)
def test_media_teasers_consent_support_and_shopping_widgets(line: str) -> None:
    assert clean(f"{PARAGRAPH}\n{line}") == [PARAGRAPH.strip()]


@pytest.mark.parametrize(
    "line",
    [
        "Der Bundestag stimmte am 18.04.2024 um 14:30 Uhr ab, danach ging es weiter.",
        "Die Länder wollen Kiew weiter unterstützen, um die Ukraine zu unterstützen.",
        "Vor allem junge Menschen unterstützen Nadeschdin",
        "Ukraine unterstützen",
        "They said the party would always support us in the vote.",
        "True",
        "Ein Preisvergleich lohnt sich vor dem Kauf.",
        "Die Studie entstand in partnership with the university, sagte sie.",
        "Das Team stimmte ab, und die Mehrheit war dafür.",
        "Schwerpunkt",
        "Die Redaktion berichtet im Liveblog über die aktuellen Entwicklungen in der Region und darüber hinaus.",
    ],
)
def test_sentences_near_those_widgets_are_kept(line: str) -> None:
    assert clean(f"{PARAGRAPH}\n{line}") == [PARAGRAPH.strip(), line]


def test_further_links_heading_and_its_items_go() -> None:
    text = f"{PARAGRAPH}\nWeiterführende Links\nJetzt als Amazon Blitzangebot\nNeue Nachrichten\n{PARAGRAPH}"
    assert clean(text) == [PARAGRAPH.strip(), PARAGRAPH.strip()]


def test_nav_runs_need_link_texts_when_the_links_are_known() -> None:
    from extraction.lines import clean_lines

    items = ["- 6 Eier", "- 200 g Zucker", "- 1 Zitrone", "- Frischhaltefolie", "- 250 g Mehl"]
    text = "\n".join(["Zitronenkuchen backen ist einfach.", *items, "Den Ofen vorheizen."])
    assert clean_lines(text).count("- ") == 0  # links unknown: a run of short items is a menu
    assert clean_lines(text, link_texts=["Rezepte", "Kontakt"]).count("- ") == 5  # not links: kept
    menu = ["Berlin", "Hamburg", "München", "Köln", "Frankfurt"]
    text = "\n".join(["Article text here.", *(f"- {m}" for m in menu), "More article text."])
    assert clean_lines(text, link_texts=menu).count("- ") == 0


def test_a_sentence_containing_a_short_headline_is_not_a_duplicate_title() -> None:
    from extraction.lines import clean_lines

    sentence = "Der nächste Stammtisch findet am Mittwoch ab 19 Uhr im Cafe statt."
    assert clean_lines(f"{sentence}\nMehr Text.", title="Stammtisch") == f"{sentence}\nMehr Text."
    kicker = "Berlin: Stammtisch der Piraten"
    assert clean_lines(f"{kicker}\nText.", title="Stammtisch der Piraten") == "Text."


def test_the_author_writing_in_the_first_person_is_not_a_bio() -> None:
    # a blog's author speaks of themselves in the closing paragraphs; a bio speaks of the author
    own = "Neben Gruppenstunden biete ich, Martin Rütter, auch Kurse und Einzeltrainings an, jedes Jahr."
    text = f"{PARAGRAPH}\n{PARAGRAPH}\n{PARAGRAPH}\n{own}\n{PARAGRAPH}"
    assert own in clean(text, authors=("Martin Rütter",))
    bio = "Martin Rütter ist Hundetrainer und schreibt seit zehn Jahren über Hunde und ihre Menschen."
    assert bio not in clean(f"{PARAGRAPH}\n{PARAGRAPH}\n{PARAGRAPH}\n{bio}", authors=("Martin Rütter",))


# -- issue 11: text that a line or DOM rule took although nothing but a phrase spoke for it ------


def test_a_headline_repeated_below_the_first_paragraph_of_text_is_a_subheading() -> None:
    # the duplicate-title rule judges the lines above the text; once prose has started, a line
    # repeating the title with a tail ("Bee Simulator Mehrspieler") is a section heading
    lead = "Entdecke die großen Abenteuer einer kleinen Biene, die im Park ihre Freunde sucht und findet."
    text = f"{lead}\nBee Simulator Mehrspieler\n{PARAGRAPH}\n{PARAGRAPH}"
    assert "Bee Simulator Mehrspieler" in clean(text, title="Bee Simulator")
    above = clean(f"Bee Simulator Mehrspieler\n{text}", title="Bee Simulator")
    assert above[0] == lead and above.count("Bee Simulator Mehrspieler") == 1


def test_a_quoted_sentence_holding_the_title_is_text() -> None:
    line = '- "The Water-Making Spell conjures clean water from the wand."'
    assert line in clean(f"{line}\n{PARAGRAPH}\n{PARAGRAPH}", title="Water-Making Spell")


def test_a_line_starting_lowercase_is_no_headline_repeat() -> None:
    assert "für das Rezept Bienenstich-Muffins" in clean(
        f"für das Rezept Bienenstich-Muffins\n{PARAGRAPH}\n{PARAGRAPH}", title="Bienenstich-Muffins"
    )
    assert "Rezept: Bienenstich-Muffins" not in clean(
        f"Rezept: Bienenstich-Muffins\n{PARAGRAPH}\n{PARAGRAPH}", title="Bienenstich-Muffins"
    )


def test_a_salutation_opening_the_text_is_no_section_label() -> None:
    assert clean(f"Liebe Besucher,\n{PARAGRAPH}\n{PARAGRAPH}")[0] == "Liebe Besucher,"
    assert clean(f"World\n{PARAGRAPH}\n{PARAGRAPH}")[0] != "World"


def test_an_interpreter_prompt_is_no_teaser_arrow() -> None:
    code = ">>> def foo(bar=[]):  # bar is optional and defaults to []"
    assert code in clean(f"{PARAGRAPH}\n{code}\n{PARAGRAPH}")
    assert "> Mehr aus der Region" not in clean(f"{PARAGRAPH}\n> Mehr aus der Region\n{PARAGRAPH}")


def test_the_word_commission_alone_is_no_affiliate_note() -> None:
    text = "- Wir wollen auch Provisionen - dafür ist das Fixum moderater"
    assert text in clean(f"{PARAGRAPH}\n{text}\n{PARAGRAPH}")
    note = "Für Käufe über diese Links erhalten wir eine Provision."
    assert note not in clean(f"{PARAGRAPH}\n{note}\n{PARAGRAPH}")


def test_a_credited_paragraph_of_several_sentences_is_no_caption() -> None:
    paragraph = (
        "Als Kim im Oktober 2014 wochenlang verschwunden war, hatte es ebenfalls Spekulationen gegeben. "
        "Der Geheimdienst nahm damals an, dass Kim am Sprunggelenk operiert worden sei. Die Regierung "
        "in Pjöngjang äußerte sich dazu nicht, und Bilder zeigten ihn später mit einem Stock. (FR mit dpa)"
    )
    assert paragraph in clean(f"{PARAGRAPH}\n{paragraph}")
    caption = "Kim Jong Un bei einer Parade in Pjöngjang im Oktober. (Foto: AFP)"
    assert caption not in clean(f"{PARAGRAPH}\n{caption}\n{PARAGRAPH}")


def test_running_text_after_a_sentence_naming_the_author_stays() -> None:
    contact = "Für Rückfragen steht Ihnen der Geschäftsführer Danilo Dietsch gerne zur Verfügung."
    apply = (
        "Ihre schriftliche Bewerbung inklusive Anschreiben, Lebenslauf und aktuellen Referenzen richten "
        "Sie bitte mit Angabe des möglichen Eintrittstermins bis zum 1. Februar an die Adresse im Impressum."
    )
    lines = clean(f"{PARAGRAPH}\n{PARAGRAPH}\n{PARAGRAPH}\n{contact}\n{apply}", authors=("Danilo Dietsch",))
    assert apply in lines
    bio = "Danilo Dietsch ist Redakteur und schreibt seit zehn Jahren über Bildung und Medien."
    more = "Mehr von Danilo Dietsch"
    lines = clean(f"{PARAGRAPH}\n{PARAGRAPH}\n{PARAGRAPH}\n{bio}\n{more}", authors=("Danilo Dietsch",))
    assert bio not in lines and more not in lines


def test_a_read_more_box_without_links_is_the_text_folded_away() -> None:
    folded = "<div class='js_readmore'><p>Kinder unter 4 Jahren werden nicht als Personen gezählt.</p></div>"
    assert "Kinder unter 4 Jahren" in text_after_pruning(f"{ARTICLE}{folded}")
    teaser = "<div class='read-more'><p><a href='/other'>Kinder unter 4 Jahren: der Ratgeber</a></p></div>"
    assert "Kinder unter 4 Jahren" not in text_after_pruning(f"{ARTICLE}{teaser}")


def test_sentence_items_under_a_teaser_like_heading_stay() -> None:
    advice = (
        "- Beachten Sie die ausführlichen Informationen zur Gesundheitslage und die bestehenden "
        "Beschränkungen einschließlich der Quarantäne vor jeder Reise in das Land."
    )
    assert advice in clean(f"{PARAGRAPH}\nEmpfehlungen\n{advice}\n{PARAGRAPH}")
    teaser = "- Italien: Die schönsten Strände im Überblick"
    assert teaser not in clean(f"{PARAGRAPH}\nLesen Sie auch\n{teaser}\n{PARAGRAPH}")


def test_short_colon_subheadings_over_paragraphs_stay() -> None:
    text = (
        f"{PARAGRAPH}\nPreisbremsen im Bereich Energie:\n{PARAGRAPH}\nPrivate Solaranlagen:\n{PARAGRAPH}"
        f"\nUmweltbonus sinkt:\n{PARAGRAPH}"
    )
    lines = clean(text)
    assert "Private Solaranlagen:" in lines and "Umweltbonus sinkt:" in lines
    assert "NEW DELHI:" not in clean(f"NEW DELHI:\n{PARAGRAPH}\n{PARAGRAPH}\n{PARAGRAPH}")


def test_a_prompt_phrase_in_a_sentence_broken_by_a_link_stays() -> None:
    broken = "If at any time you would like to unsubscribe from future emails, you can email us at"
    rest = "info@example.org and we will promptly remove you from all correspondence."
    lines = clean(f"{PARAGRAPH}\n{broken}\n{rest}\n{PARAGRAPH}")
    assert broken in lines
    prompt = "Sign up for our newsletter"
    assert prompt not in clean(f"{PARAGRAPH}\n{prompt}\n{PARAGRAPH}")
