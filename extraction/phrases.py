"""Multilingual phrase patterns of boilerplate lines (data for ``extraction.lines``).

Phrases cover the dataset's languages (German, English, Spanish, Japanese first; French, Italian,
Portuguese, Dutch, Scandinavian, Polish, Czech, Russian, Turkish, Korean, Chinese, isiZulu where
cheap). They describe kinds of boilerplate (teaser headings, prompts, credits), never a site.
"""

from __future__ import annotations

import re


def phrases(*items: str) -> str:
    return "|".join(items)


# Headings of teaser blocks ("Read more", "Also read" ...), in the dataset's languages.
TEASER_HEADINGS = phrases(
    r"read (?:more|next|also)(?: on this topic)?",
    r"also read",
    r"more (?:from|on|about|stories|news|in)\b.{0,40}",
    r"related(?: (?:articles?|stories|content|news|topics|coverage))?",
    r"recommended(?: for you| videos?| reading| stories)?",
    r"you (?:may|might) (?:also )?(?:like|be interested in)",
    r"others are reading(?: now)?",
    r"most (?:read|popular|viewed)(?: in [\w &-]{1,30})?",
    r"trending(?: now)?",
    r"top stories",
    r"latest (?:news|stories|articles)",
    r"further (?:reading|links)",
    r"(?:\w+ )?access ranking",
    r"lesen sie (?:auch|mehr|hier)(?: die folgenden (?:beiträge|artikel))?",
    r"auch lesen",
    r"schon gelesen",
    r"zum (?:artikel|beitrag|video|interview|liveblog|ticker)",
    r"hier geht(?:'|’)?s zum (?:artikel|beitrag|video)",
    r"auch interessant",
    r"mehr zum thema.{0,40}",
    r"weitere (?:aktuelle )?(?:artikel|nachrichten|themen|beiträge).{0,30}",
    r"weiterführende (?:links|artikel|beiträge)",
    r"(?:neue|neueste) (?:nachrichten|artikel|meldungen)",
    r"mehr themen\b.{0,40}",
    r"das könnte sie (?:auch )?interessieren",
    r"meistgelesen",
    r"empfehlungen",
    r"empfohlene (?:beiträge|artikel|inhalte)",
    r"ähnliche",
    r"lee (?:también|más)",
    r"lea (?:también|más)",
    r"vea (?:también|más)",
    r"puedes ver",
    r"le puede interesar",
    r"(?:las|los|lo) más (?:leíd[oa]s?|vist[oa]s?)",
    r"leer más",
    r"te puede interesar",
    r"más información",
    r"(?:noticias?|notas?|artículos?|contenidos?) relacionad[oa]s?",
    r"(?:à )?lire aussi",
    r"sur le même sujet",
    r"leggi anche",
    r"potrebbe interessarti",
    r"leia (?:também|mais)",
    r"veja também",
    r"lees (?:ook|meer)",
    r"les (?:også|mer)",
    r"läs (?:också|mer)",
    r"læs (?:også|mere)",
    r"czytaj (?:także|też|więcej)",
    r"přečtěte si (?:také|též)",
    r"читайте также",
    r"читайте такожі?",
    r"devamını oku",
    r"ilgili haberler",
    r"関連記事",
    r"関連キーワード",
    r"アクセスランキング",
    r"おすすめ(?:情報|記事)?",
    r"あわせて読みたい",
    r"人気記事",
    r"많이 본 뉴스",
    r"관련\s?기사",
    r"相关新闻",
    r"funda (?:olunye )?udaba lapha",
)
HEADING_LINE = re.compile(rf"^\W*(?:{TEASER_HEADINGS})\W*$", re.I)
TEASER_LINE = re.compile(rf"^\W*(?:{TEASER_HEADINGS}|more)\s*[:|»>›\-–—]+\s*\S|^\s*>{{1,2}}(?!>)\s*\S", re.I)
# "À lire aussi Headline": a read-also label run into the linked headline, without a separator
READ_ALSO_RUN_IN = re.compile(
    r"^\W*(?i:(?:à )?lire aussi|lesen sie (?:auch|mehr)|read (?:more|also)|also read|leia também|lee también|lea también|vea también|"
    r"leggi anche|czytaj (?:także|też)|läs också|les også|læs også|lees ook|přečtěte si také|читайте также)"
    r"\s+[\"'«„“‘]?[A-ZÀ-ÝĄĆĘŁŃÓŚŹŻА-ЯČŘŠŽ]",
)

# headings of summary boxes (often machine-written) whose bullet points restate the article
SUMMARY_HEADING = re.compile(
    r"^\W*(?:"
    + phrases(
        r"(?:ai |article )?summary",
        r"key (?:points|takeaways|facts)",
        r"in brief",
        r"at a glance",
        r"(?:ki-)?zusammenfassung",
        r"das wichtigste in kürze",
        r"auf einen blick",
        r"kurz und knapp",
        r"en bref",
        r"l'essentiel",
        r"(?:en )?resumen",
        r"lo más importante",
        r"in sintesi",
        r"in breve",
        r"em resumo",
        r"samenvatting",
        r"in het kort",
        r"sammendrag",
        r"sammanfattning",
        r"kort fortalt",
        r"w skrócie",
        r"streszczenie",
        r"shrnutí",
        r"коротко",
        r"главное",
        r"özet",
        r"要約",
        r"요약",
        r"摘要",
    )
    + r")\W*$",
    re.I,
)
PROMPTS = re.compile(
    phrases(
        r"sign up",
        r"subscribe",
        r"newsletter",
        r"download (?:the|our) (?:[\w.-]+ )?apps?\b",
        r"apps? for ios and android",
        r"canal de (?:telegram|youtube|whatsapp)",
        r"follow us",
        r"share this",
        r"leave (?:a|the first) comment",
        r"what is your opinion",
        r"join the (?:conversation|discussion)",
        r"got story updates",
        r"submit your",
        r"click here",
        r"support (?:our|independent) journalism",
        r"become a (?:member|subscriber)",
        r"already a subscriber",
        r"log ?in to",
        r"sign in to",
        r"display name",
        r"please log ?out",
        r"enable javascript",
        r"your privacy settings",
        r"abonnieren",
        r"jetzt testen",
        r"kostenlos testen",
        r"folgen sie uns",
        r"hier geht es zur",
        r"news-?app",
        r"whatsapp-kanal",
        r"privatsphäre-einstellungen",
        r"externer inhalt",
        r"zur anzeige aktiviere",
        r"bitte markieren sie",
        r"fehler gefunden",
        r"jetzt weiterlesen",
        r"suscríbete",
        r"hazte (?:socio|miembro)",
        r"cancela cuando quieras",
        r"síguenos",
        r"boletín",
        r"abonnez-vous",
        r"inscrivez-vous",
        r"suivez-nous",
        r"iscriviti",
        r"abbonati",
        r"seguici",
        r"assine",
        r"inscreva-se",
        r"siga-nos",
        r"abonneer",
        r"nieuwsbrief",
        r"volg ons",
        r"nyhetsbrev",
        r"prenumerera",
        r"følg oss",
        r"följ oss",
        r"会員登録",
        r"有料会員",
        r"会員限定",
        r"ログインして",
        r"メールマガジン",
        r"続きを読む",
        r"e-?mail(?:ing)? us\b",
        r"get in touch",
        r"in your inbox",
        r"create an account",
        r"continue reading",
        r"(?:sigue|seguir|continúas?|continuar) leyendo",
        r"from us and our partners",
        r"(?:unsubscribe|opt out|check out) at any time",
        r"jederzeit (?:abbestellen|abmelden|kündbar|widerrufen)",
        r"story to tell",
        # calls for tips and whistleblowers
        r"(?:send|give) us (?:a |your )?(?:news )?tips?\b",
        r"(?:have|got) (?:a|any) (?:news )?tips?\b",
        r"hinweise (?:zum (?:thema|themengebiet)|an (?:die|unsere) redaktion)",
        r"(?:melden|wenden) sie sich (?:gerne |bitte )?(?:vertraulich|bei uns|an unsere redaktion)",
        r"melden sie (?:vertraulich|sich vertraulich)",
        r"vertraulich und sicher",
        r"securedrop",
        r"more stories like this",
        r"news page",
        r"google news",
        r"preferred source",
        r"reste [\d.,]+ ?% de cet article",
        r"réservée? aux abonnés",
        r"tu suscripción",
        r"einloggen",
        # comments for logged-in readers only: "Du musst eingeloggt sein, um Kommentare zu schreiben"
        r"komment\w*.{0,60}(?:eingeloggt|angemeldet) sein|(?:eingeloggt|angemeldet) sein,? um (?:\w+ )?kommentar|nicht eingeloggt",
        r"hinterlassen? (?:sie )?(?:einfach |gerne )?einen kommentar|(?:verraten|schreiben) sie (?:es )?(?:uns )?(?:gerne )?in den kommentaren",
        r"(?:einfach )?hier klicken",
        r"we need your help",
        # a pointer to another site or a file download: "Weitere Infos unter www.example.de."
        r"^\W*(?:weitere |mehr )?(?:infos?|informationen) (?:unter|auf|bei) (?:www\.|https?://)\S+\W*$",
        r"\b(?:pdf|docx?|xlsx?|zip)\W{0,3}\d+(?:[.,]\d+)? ?[kmg]i?b\b|datei ist nicht barrierefrei",
        # an advertisement's label run into its text: "ANZEIGE - Heute mal ausgehen?"
        r"^\W*(?:anzeige|werbung|advertisement|publicidad|publicité)\s*[-–—:|]\s*\S",
        r"^\W*unterstütze (?:uns|\w+ (?:bereits |schon )?mit)\b",
        r"pour (?:lire la suite|accéder en illimité)",
        r"kommentar abgeben",
        r"ihre meinung (?:ist|interessiert)",
        r"unterstützen sie uns",
        # support-us and donation boxes
        # (anchored: "um die Ukraine zu unterstützen" in a sentence is article text)
        r"^\W*um \w+ zu unterstützen\W*$",
        r"^[^\w\s]+\s*\w+ unterstützen\W*$|^\W*jetzt (?:\w+ )?unterstützen\W*$",
        r"jetzt spenden|spenden sie (?:jetzt|uns)",
        r"(?:donate|contribute) (?:now|today)|^\W*(?:make a (?:donation|contribution)|support us)\b",
        r"^\W*(?:faites un don|faire un don|haz (?:una|tu) donación|dona ahora)",
        r"folgst du (?:uns|schon)",
        # reader polls
        r"(?:ist|wäre) (?:dein|ihr) favorit\b",
        r"stimmen sie (?:jetzt )?ab|stimm (?:jetzt )?ab\b|^\W*(?:vote now|take (?:our|the) poll)\b",
        # a pointer to the live blog or dossier closing the text: "Mehr dazu lesen Sie in unserem Liveblog:"
        r"(?:lesen|finden) sie (?:in unserem|im) (?:liveblog|live-?ticker|newsblog|ticker|dossier)\W*$",
        r"aktuelle entwicklungen (?:im|in unserem) (?:liveblog|live-?ticker|newsblog)\W*$",
        r"(?:latest|live) (?:updates|developments) (?:in|on) our live ?blog\W*$",
        r"get (?:real-time|live|instant|the latest) (?:updates|alerts|news)\b",
        r"(?:カテゴリー|キーワード|著者|記者|トピック)をフォロー",
        # shopping widgets: offers, price comparisons
        r"jetzt (?:bei|auf) \S+(?: \S+)? (?:abschließen|kaufen|bestellen|sichern|buchen)\b",
        r"(?:amazon|original)-?preis|blitzangebot|im preisvergleich",
        r"whatsapp-?kanal",
        r"zitiervorschlag",
        r"\(abgerufen am",
        r"originalartikel",
        r"url이 복사",
        r"무단\s?전재",
        r"재배포\s?금지",
        r"完了しました",
        r"読む$",
        r"登録すると",
        r"読み放題",
        r"電子版",
        r"購読",
        r"externe[nr]? inhalt",
        r"redaktioneller inhalt",
        r"(?:ich bin|sind sie) damit einverstanden|damit einverstanden, dass (?:mir|ihnen|externe)",
        r"affiliate",
        r"earns? (?:us )?a (?:small )?commission",
        r"we independently (?:select|review|choose)",
        r"(?:eine|kleine|erhalten|bekommen|verdienen)(?: wir)? (?:\w+ )?provision|provisions-?links?",
        r"wie hat ihnen (?:dieser|der) artikel gefallen",
        r"bewertung:",
        r"journalismus braucht",
        r"follow along",
        r"latest updates below",
        r"find out more on how",
        r"maschinelle übersetzung",
        r"dieses thema im programm",
        r"kopieren",
        r"copy link",
        r"कॉपी लिंक",
    ),
    re.I,
)
EXACT_JUNK = re.compile(
    r"^\W*(?:"
    + phrases(
        r"share",
        r"teilen",
        r"reporter(?:in)?",
        r"(?:senior |chief )?correspondent",
        r"(?:senior )?editor",
        r"journalist(?:in)?",
        r"redakteur(?:in)?",
        r"korrespondent(?:in)?",
        r"autor(?:in)?",
        r"author",
        r"tweet",
        r"facebook",
        r"twitter",
        r"whatsapp",
        r"e-?mail",
        r"print",
        r"drucken",
        r"copy link",
        r"link kopieren",
        r"compartir",
        r"partager",
        r"condividi",
        r"compartilhar",
        r"delen",
        r"del",
        r"dela",
        r"advertisement",
        r"anzeige",
        r"werbung",
        r"publicidad",
        r"publicité",
        r"pubblicità",
        r"reklame",
        r"annonse",
        r"show more",
        r"want more\?",
        # a site's name as its own line ("EXAMPLENEWS.COM"): a source label, not text
        r"(?:www\.)?[a-z0-9-]+\.(?:com|net|org|info|news|de|at|ch|fr|es|it|nl|co\.uk|us|ca|au|in|vc|pe|mx|ar)",
        r"bild anzeigen",
        r"(?:vorschau auf den )?nächste[nr] (?:artikel|beitrag)|vorherige[rn]? (?:artikel|beitrag)|(?:next|previous) (?:article|post|story)",
        # a tag list's label left once its links are gone
        r"tags|temas|schlagw(?:ö|o)rter?|etiquetas|mots-clés",
        r"load more",
        # link labels left over from teaser and info boxes
        r"more info(?:rmation)?",
        r"mehr infos?",
        r"learn more",
        r"mehr erfahren",
        r"en savoir plus",
        r"saber más",
        r"scopri di più",
        r"saiba mais",
        # icon names read out as text
        r"arrow(?: (?:left|right|up|down))?",
        r"pfeil(?: (?:links|rechts))?",
        r"flecha",
        r"flèche",
        r"freccia",
        r"mehr anzeigen",
        r"mehr laden",
        r"ver más",
        r"voir plus",
        r"mostra altro",
        r"avatar",
        r"article image",
        r"image",
        r"photo",
        r"video",
        r"audio",
        r"listen",
        r"anhören",
        r"zurück",
        r"back to top",
        r"nach oben",
        r"news feed",
        r"close",
        r"embed",
        r"(?<=[→›»] )[\w-]+",  # an arrow link label: "→ Schwerpunkt"
        r"(?-i:false|true|null|undefined|NaN)",
        # table-of-contents headings (the in-page link list under them is pruned)
        r"auf dieser seite|in diesem artikel|inhaltsverzeichnis|table of contents|in this article|contents|"
        r"índice|sommaire|indice|inhoudsopgave|目次|목차",
        # stock ticker widgets: "Example Aktienkurs"
        r"(?:[\w.&-]+ ){1,3}(?:aktienkurs|stock price|share price|cotización)",
        # Korean bylines: "Name 기자 외 1명"
        r"\S{2,4} 기자(?: 외 \d+ ?명)?",
        r"schließen",
        r"menu",
        r"menü",
        r"comments?",
        r"kommentare?",
        r"comentarios?",
        r"commentaires?",
        r"commenti",
        r"評論|评论|关注|關注|分享|收藏|点赞|コメント|シェア|ツイート|댓글|공유|스크랩",
        r"passer la publicité|skip (?:ad|advertisement)|werbung überspringen",
        r"(?:die|der) autor(?:in)?|(?:about|more from) the author|zur person|sobre (?:el|la) autora?|l'auteure?",
        r"dal(?:la)? nostr[oa] (?:inviat[oa]|corrispondente)",
    )
    + r")\W*$",
    re.I,
)
# screen-reader hints next to links, read into the sentence: "(öffnet im neuen Fenster)"
LINK_HINT = re.compile(
    r"\s?\((?:(?:öffnet|opens?|abre|s'ouvre|s’ouvre|apre|åbner|åpnes|öppnas|otwiera|opent|wird) [^()]{0,40}"
    r"(?:fenster|window|tab|onglet|ventana|pestaña|finestra|scheda|vindue|vindu|fönster|flik|oknie|karcie|venster)"
    r"|extern(?:e|al)? link|externer link|link externo|lien externe|link esterno)\)",
    re.I,
)
PLACEHOLDER = re.compile(r"\{\{.*?\}\}|\$\{[^}]*\}|%%[^%\s]{1,40}%%|\[\[[^\]]{1,60}\]\]")
CREDIT = re.compile(
    r"^\W*(?:crédits? photos?|photo credits?|bildnachweis|fotonachweis|titelbild|titelfoto|beitragsbild|photos?|fotos?|bild(?:er)?|images?|picture|credits?|photograph|illustration|grafik|"
    r"quelle|source|fuente|crédits?|crediti|foto ?credit|kuva|zdjęcie|写真|사진)\s*(?:[:©/]|\(c\))",
    re.I,
)
CREDIT_INLINE = re.compile(
    r"getty ?images|shutterstock|istock|imago|picture alliance|\bvia reuters\b|/ ?(?:afp|ap|dpa|reuters|epa)\b|"
    r"\((?:image|photo|foto|bild): [^)]*\)|©|\(c\)\s",
    re.I,
)
READING_TIME = re.compile(
    r"^\W*(?:\d+\s*(?:min(?:ute)?s?\.?|minuten|minutos?|minuti)\s*(?:read|lesezeit|lesedauer|de lectura|"
    r"de lecture|di lettura|leestijd|lesetid|läsning)?|(?:lesezeit|lesedauer|reading time|read time|"
    r"tiempo de lectura|temps de lecture|tempo di lettura|leestijd|lesetid|lästid)\s*:?\s*\d+.{0,12})\W*$",
    re.I,
)
SOURCES = re.compile(
    r"^\W*(?:sources?|quellen?|fuentes?|fonti|fontes|bronn?en?|kilder?|källor|źródła?)\s*:.{0,200}$|"
    r"^\W*(?:redaktion|faktencheck|mitarbeit|recherche|grafik|illustration|übersetzung)(?: und \w+)?\s*:.{0,200}$|"
    r"^\W*(?:(?:translation|traducción|traduction|traduzione|tradução)\s*:|(?:translated|traducido|traduit|tradotto|"
    r"traduzido) (?:by|por|par|da)\s).{0,120}$|"
    r"^\W*(?:mit|with)\s+(?:material|agenturmaterial|agenturen|informationen|files from|dpa|afp|reuters|ap|apa|sda)"
    r"\b.{0,240}$|"
    # contribution and translation credits: "X contributed to this report", "With reports from X"
    r"^.{0,120}\bcontributed (?:reporting )?to this (?:report|story|article)\W*$|"
    r"^\W*(?:(?:with )?(?:additional )?reporting (?:by|from)|with reports? from|aus dem \w+en (?:übersetzt )?von)"
    r"\b.{0,120}$|"
    # where the text first appeared: "First published in X", "Dieser Artikel ist zuerst bei X erschienen"
    r"^\W*(?:first published (?:in|on|by|at)|this (?:article|story) (?:was )?(?:first|originally) "
    r"(?:published|appeared)|dieser (?:artikel|beitrag|text) ist (?:zuerst|ursprünglich)|"
    r"dieser (?:artikel|beitrag) ist eine übersetzung)\b.{0,160}$|"
    r"^\W*\(?(?:dpa|afp|ap|apa|sda|kna|epd|reuters|red|ots)(?:\s*[/,]\s*(?:dpa|afp|ap|apa|sda|kna|epd|reuters|red))*\)?\W*$",
    re.I,
)
LEGAL = re.compile(
    r"all rights reserved|alle rechte vorbehalten|todos los derechos reservados|tous droits réservés|"
    r"angaben ohne gewähr|inhalte dieser (?:web)?(?:site|seite) (?:stehen )?unter|tutti i diritti riservati|todos os direitos reservados|alle rechten voorbehouden|^\W*copyright\b"
    # opinion disclaimers: "... do not necessarily reflect the views of the editors"
    r"|(?:do not|does not|don't) necessarily (?:reflect|represent)|nicht (?:unbedingt |zwingend )?der meinung der "
    r"redaktion|no (?:reflejan?|representan?) necesariamente|ne reflètent? pas nécessairement|"
    r"non riflett\w+ necessariamente",
    re.I,
)
# advice and risk disclaimers under finance, health and legal pieces: long, so matched on phrases
# no article sentence uses
DISCLAIMER = re.compile(
    phrases(
        r"totalverlust des eingesetzten kapitals",
        r"keine aufforderung zum (?:kauf|verkauf)",
        r"(?:ersetzen|ersetzt) keine (?:fachliche |individuelle |persönliche |ärztliche )?(?:anlage)?beratung",
        r"stellt keine (?:anlage|steuer|rechts)beratung dar",
        r"keine (?:anlage|steuer|rechts)beratung dar",
        r"(?:is|are|does) not (?:intended (?:as|to (?:be|provide))|constitute|to be construed as) "
        r"(?:a )?(?:financial|investment|legal|medical|tax) advice",
        r"not (?:financial|investment) advice",
        r"your capital is at risk",
        r"past performance is not (?:a )?(?:reliable )?(?:indicator|guarantee)",
        r"no constituye (?:una )?(?:recomendación|asesoramiento|consejo) (?:de inversión|financier)",
        r"ne constitue pas un conseil (?:en investissement|financier)",
        # syndication notices: a piece shown from a partner brand of the publisher
        r"ist eine partnermarke (?:des|der|von)",
        r"sie können diesen inhalt sehen, weil",
        r"(?:is|are) (?:a|our) partner (?:brand|publication) of",
        # affiliate and advertising disclosures
        r"contains? references to products from",
        r"advertisers? (?:do|does) not influence",
        r"we (?:may|might) (?:receive|earn) (?:a )?(?:compensation|commission)",
        r"(?:beitrag|artikel) enthält (?:werbung|anzeigen|affiliate)",
        # support boxes that open with a question to the reader: "Gefällt dir unser Magazin?"
        r"^\W*gefällt (?:dir|ihnen|euch) unser\w*\b",
        # reprint notices
        r"copyrighted property of",
        r"written permission (?:must|has to) be obtained",
    ),
    re.I,
)
DATELINE = re.compile(
    r"^\W*(?:published|updated|posted|last updated|last modified|letzte änderung|zuletzt (?:geändert|aktualisiert)|stand|aktualisiert|veröffentlicht|erschienen|"
    r"publicado|actualizado|publié|mis à jour|pubblicato|aggiornato|publicerad|publisert|oppdatert|"
    r"gepubliceerd|bijgewerkt|uppdaterad|publicerad|publisert|opdateret|udgivet|sendung|"
    r"dieses thema im programm|verfügbar bis)\b.{0,80}$|"
    r"^\W*(?:(?:news |post |publication )?date|category)\s?:.{0,80}$|"
    r"^\W*\d{4}年\d{1,2}月\d{1,2}日.{0,40}$|"
    r"^\W*\d{1,2}:\d{2}\s*min\b.{0,60}$|"
    r"^\W*\d{1,2}:\d{2}\s*(?:[A-Z]{2,4})?,?\s+\w+\.? \d{1,2},? \d{4}\W*$",
    re.I,
)
WEEKDAYS = phrases(
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|mon|tue|wed|thu|fri|sat|sun",
    r"montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag|mo|di|mi|do|fr|sa|so",
    r"lunes|martes|miércoles|jueves|viernes|sábado|domingo",
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche",
    r"lunedì|martedì|mercoledì|giovedì|venerdì|sabato|domenica",
    r"(?:segunda|terça|quarta|quinta|sexta)(?:-feira)?",
    r"maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag",
    r"mandag|tirsdag|onsdag|torsdag|fredag|lørdag|søndag|måndag|tisdag|lördag|söndag",
)
MONTHS = phrases(
    r"january|february|march|april|may|june|july|august|september|october|november|december",
    r"jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec",
    r"januar|februar|märz|mai|juni|juli|oktober|dezember|jänner",
    r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|sep?tiembre|octubre|noviembre|diciembre",
    r"janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre",
    r"gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre",
    r"janeiro|fevereiro|março|maio|junho|julho|setembro|outubro|novembro|dezembro",
    r"januari|februari|maart|mei|augustus|desember",
)
_NUMERIC_DATE = r"\d{1,2}[./]\s?\d{1,2}[./]\s?\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}"
# "28. April 2023", "28 de abril de 2023", "April 28, 2023": a day, a month name and a year
_NAMED_DATE = rf"\d{{1,2}}\.?\s(?:de\s)?(?:{MONTHS})\.?,?\s(?:de\s)?\d{{4}}|(?:{MONTHS})\.?\s\d{{1,2}}(?:st|nd|rd|th)?,?\s\d{{4}}"
_ZONES = r"(?:gmt|utc|cet|cest|mez|mesz|edt|est|pdt|pst|bst|jst|kst|hkt|sgt|aest|aedt|sast|eat|wat)"
# a line that is only a date or time, with an optional weekday in front ("Freitag, 28.04.2023, 19:25")
DATE_ONLY_LINE = re.compile(
    rf"^\W*(?:(?:{WEEKDAYS})\.?,?\s+)?(?:{_NUMERIC_DATE}|{_NAMED_DATE})"
    rf"(?:[\s,|·-]+(?:um\s|at\s|à\s|a las\s)?(?:\d{{1,2}}[:.]\d{{2}}|uhr|h|am|pm|\d{{4}}|{_ZONES})\b|\s?(?:uhr|h)\b)*\W*$",
    re.I,
)
BYLINE_LINE = re.compile(r"^\W*(?:by|von|por|par|di|door|av|af|przez|від|от)\s+\S.{0,60}$", re.I)
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
CAPTION_LINE = re.compile(
    r"^\W*(?:pictured|above|below|im bild|auf dem bild|en la imagen|sur la photo|nella foto|na foto|"
    r"op de foto|på bildet|på bilden)\b|"
    # numbered figure captions: "Abbildung 4: ...", "Fig. 2."
    r"^\W*(?:abbildung|abb\.|figure|fig\.|figura|grafik|tabelle|table)\s?\d{1,3}\s?[:.]\s|"
    # a caption closing with its credit in parentheses: "... in Moscow. (Name / POOL / AFP via Getty Images)"
    r"\([^()]*(?:getty|afp|reuters|ap photo|epa|dpa|shutterstock|imago|picture alliance|photo|foto|"
    r"bild|image)[^()]*\)\W*$|"
    # "... in eastern Ukraine. (Jane Doe/The Example Times)": a closing credit of names and an outlet
    r"\.\s\((?:[A-Z][\w.'’-]*\s?){1,4}\s?/\s?[A-Z][^()]{1,60}\)\W*$",
    re.I,
)


TOP_BYLINE = re.compile(r"^\W*(?:by|von|por|par|di|door|av|af|przez)(?:\s+|\s*:\s*)\S", re.I)
END_CREDIT = re.compile(
    r"^\W*[A-ZÄÖÜ][A-ZÄÖÜa-z0-9.-]{1,12}\s*\([^)]{1,60}\)\W*$|"
    # closing sign-offs of initials or agencies: "(dmk)", "SDA/sep", "AFP/dpa/jm"
    r"^\s*\(\s*[a-zäöü]{2,5}(?:\s*[/,]\s*[a-zäöü]{2,5})*\s*\)\s*$|^\s*[A-Za-z]{2,6}(?:\s?/\s?[A-Za-z]{2,6})+\s*$|"
    # a newsroom signing off: "IN-Redaktion", "Redaktion Example", "Redacción Example"
    r"^\W*(?:[\w.]{1,20}[- ])?(?i:redaktion|rédaction|redacción|redazione|redactie|redaksjonen|redaktionen)"
    r"(?:\s[\w.]{1,20})?\W*$|"
    # sources named at the very end: "Example Weekly / Última Hora"
    r"^\W*[A-ZÀ-Ý][\w.'’-]*(?:\s[A-ZÀ-Ý][\w.'’-]*){0,2}(?:\s/\s[A-ZÀ-Ý][\w.'’-]*(?:\s[A-ZÀ-Ý][\w.'’-]*){0,2})+\W*$"
)
# what stays of an embedded post or video that was not rendered: "Link zum YouTube-Inhalt",
# "View this post on Instagram", "A post shared by ..."
EMBED_PLACEHOLDER = re.compile(
    r"^\W*(?:(?:link (?:zum|to)\s)?(?:youtube|instagram|twitter|x|tiktok|facebook|spotify|vimeo|podcast)"
    r"[- ](?:inhalt|content|video|post|embed|beitrag)|view (?:this|the) (?:post|video) on \w+|"
    r"(?:a )?post shared by\b.{0,60}|watch on youtube|ein beitrag geteilt von\b.{0,60}|"
    r"diesen beitrag (?:auf|bei) \w+ (?:ansehen|anzeigen))\W*$",
    re.I,
)
# video and audio teasers: a summary closing with its date and running time ("... 21.04.2024 | 3:18 min")
MEDIA_TEASER = re.compile(
    r"(?:\d{1,2}\.\d{1,2}\.\d{2,4}\s*)?\|\s*\d{1,3}:\d{2}(?::\d{2})?(?:\s*min\.?)?\W*$|"
    r"\d{1,2}\.\d{1,2}\.\d{2,4}\s+\d{1,3}:\d{2}\s*min\.?\W*$|\(\d{1,3}:\d{2}(?::\d{2})?\s*min\.?\)\W*$",
    re.I,
)
# the heading of a source list under the article ("Verwendete Quellen", "Sources"): the list is not text
SOURCES_HEADING = re.compile(
    r"^\W*(?:(?:verwendete|unsere|genutzte|weitere) )?(?:quellen(?:angaben)?|sources?(?: used)?|our sources|"
    r"fuentes|fonti|fontes|bronnen|kilder|källor|źródła|情報源|출처|originalpublikation(?:en)?|original publication)\W*$",
    re.I,
)
TWEET = re.compile(r"pic\.twitter\.com/|^\W*—\s.{1,60}\(@\w+\)\s.{3,30}\d{4}\W*$", re.I)
CONTACT_LINE = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.-]+|^\W*(?:tel(?:efon)?|phone|fax|teléfono|téléphone)\.?\s*:?\s*\+?[\d\s()/.-]{6,}$|"
    r"^\W*(?:ansprechpartner(?:\*?in)?|pressesprecher(?:\*?in)?|pressekontakt|press contact|media contact)\b",
    re.I,
)
# subscription and account notices that run long; only trusted in the closing lines
TAIL_PROMPTS = re.compile(
    phrases(
        r"tu cuenta",
        r"your account",
        r"ihr (?:benutzer)?konto",
        r"abonelik",
        r"abone ol",
        r"abonelere",
        r"testen sie",
        r"e-paper",
        r"push-(?:nachrichten|mitteilungen)",
        r"push notifications",
        r"in the (?:latest|new|newest) episode",
        r"listen to (?:the|our|this) (?:podcast|episode)",
        r"in der (?:neuen|aktuellen) folge",
        r"jetzt (?:anhören|reinhören|ansehen)",
    ),
    re.I,
)
CONSENT = re.compile(
    phrases(
        r"externe[nr]? inhalt",
        r"ich bin damit einverstanden",
        r"(?:klicken|tippen) sie auf (?:den|diesen) (?:\w+ )?(?:button|schalter), um (?:den )?inhalt",
        r"personenbezogene daten an drittplattformen",
        r"ein klick für den datenschutz",
        r"erst wenn sie (?:hier |darauf )?klicken",
        r"ihre ip-adresse (?:wird|an)",
        r"(?:click|tap) (?:here |the button )?to (?:load|show|view|enable) (?:the )?(?:content|embed|graphic|chart|video)",
        r"third[- ]party (?:content|provider|platform)s?.{0,80}(?:consent|accept|allow)",
        r"(?:consent|accept|allow).{0,80}third[- ]party (?:content|provider|platform)s?",
    ),
    re.I,
)
