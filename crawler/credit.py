"""Whom an article credits for its news: "according to Politico", "(Reuters) -", "сообщает ТАСС".

A gazetteer of news organisations (the big wires and papers, in the spellings the languages we
follow use, plus every outlet in feeds.yaml) and, around each mention, the attribution phrases of
English, Ukrainian, Russian, German, French, Spanish and Polish. The first attributed mention wins;
an outlet never credits itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# canonical name -> spellings (matched case-insensitively, on word boundaries)
KNOWN_SOURCES: dict[str, tuple[str, ...]] = {
    "Politico": ("Politico", "Політико", "Политико", "Politico Europe"),
    "Reuters": ("Reuters", "Рейтер", "Рейтерс", "Рейтерсу", "агентства Reuters"),
    "Associated Press": (
        "Associated Press",
        "AP",
        "Ассошиэйтед Пресс",
        "Асошіейтед Прес",
        "Ассошиэйтед пресс",
    ),
    "AFP": ("AFP", "Agence France-Presse", "Франс Пресс", "Франс Прес", "France-Presse"),
    "Bloomberg": ("Bloomberg", "Блумберг", "Bloomberg News"),
    "The New York Times": ("New York Times", "NYT", "Нью-Йорк Таймс", "Нью-Йорк таймс"),
    "The Washington Post": ("Washington Post", "Вашингтон пост", "The Post"),
    "The Wall Street Journal": (
        "Wall Street Journal",
        "WSJ",
        "Уолл-стрит джорнэл",
        "Волл-стріт джорнал",
    ),
    "CNN": ("CNN", "Си-эн-эн", "Сі-Ен-Ен"),
    "BBC": ("BBC", "Би-би-си", "Бі-бі-сі"),
    "Financial Times": (
        "Financial Times",
        "FT",
        "Файненшл таймс",
        "Файненшл Таймс",
        "Financial Timesu",
    ),
    "The Guardian": ("The Guardian", "Guardian", "Гардиан", "Гардіан"),
    "Axios": ("Axios", "Аксиос", "Аксіос"),
    "The Economist": ("The Economist", "Economist"),
    "Der Spiegel": ("Der Spiegel", "Spiegel", "Шпигель", "Шпігель"),
    "Bild": ("Bild", "Бильд", "Більд"),
    "dpa": ("dpa", "Deutsche Presse-Agentur"),
    "Le Monde": ("Le Monde", "Ле Монд"),
    "TASS": ("TASS", "ТАСС", "ТАРС"),
    "RIA Novosti": ("RIA Novosti", "РИА Новости", "РІА Новини", "RIA"),
    "Interfax": ("Interfax", "Интерфакс", "Інтерфакс"),
    "Ukrinform": ("Ukrinform", "Укрінформ", "Укринформ"),
    "Ukrainska Pravda": ("Ukrainska Pravda", "Українська правда", "Украинская правда"),
    "The Kyiv Independent": ("Kyiv Independent", "Kyiv Independent"),
    "Meduza": ("Meduza", "Медуза"),
    "The Times": ("The Times",),
    "The Telegraph": ("The Telegraph", "Telegraph"),
    "ABC News": ("ABC News",),
    "NBC News": ("NBC News", "NBC"),
    "CBS News": ("CBS News", "CBS"),
    "Fox News": ("Fox News",),
    "PBS NewsHour": ("PBS NewsHour", "PBS"),
    "NPR": ("NPR", "National Public Radio"),
    "Forbes": ("Forbes", "Форбс"),
    "Business Insider": ("Business Insider",),
    "The Atlantic": ("The Atlantic",),
    "Newsweek": ("Newsweek", "Ньюсвік", "Ньюсуик"),
    "Sky News": ("Sky News",),
    "The Independent": ("The Independent",),
    "Daily Telegraph": ("Daily Telegraph",),
    "Deutsche Welle": ("Deutsche Welle", "DW"),
    "Die Welt": ("Die Welt", "Welt am Sonntag"),
    "Süddeutsche Zeitung": ("Süddeutsche Zeitung",),
    "FAZ": ("Frankfurter Allgemeine Zeitung", "Frankfurter Allgemeine", "FAZ"),
    "Le Figaro": ("Le Figaro",),
    "El País": ("El País",),
    "Kommersant": ("Kommersant", "Коммерсант", "Коммерсантъ"),
    "RBC": ("RBC", "РБК"),
    "Izvestia": ("Izvestia", "Известия"),
    "Vedomosti": ("Vedomosti", "Ведомости"),
    "UNIAN": ("UNIAN", "УНІАН", "УНИАН"),
    "RFE/RL": ("Radio Free Europe", "RFE/RL", "Radio Liberty", "Радіо Свобода", "Радио Свобода"),
    "Nikkei": ("Nikkei",),
    "Yonhap": ("Yonhap",),
    "Xinhua": ("Xinhua", "Синьхуа"),
    "ISW": (
        "Institute for the Study of War",
        "ISW",
        "Институт изучения войны",
        "Інститут вивчення війни",
    ),
}

# Phrases that, right before a source's name, attribute the news to it.
BEFORE = [
    r"according to", r"citing", r"cited by", r"reported by", r"first reported by", r"told",
    r"a report (?:by|from|in)", r"report(?:ed)? in", r"as reported by", r"per",
    r"сообщает", r"сообщило", r"сообщила", r"передает", r"передаёт", r"по данным",
    r"по информации", r"со ссылкой на", r"пишет", r"писал[аио]?", r"как сообщил[аио]?",
    r"за даними", r"за інформацією", r"повідомляє", r"повідомило", r"повідомила", r"пише",
    r"з посиланням на", r"як повідомил[ао]", r"як пише", r"як повідомляє",
    r"berichtet(?:e)?", r"laut", r"meldet(?:e)?", r"wie", r"unter berufung auf",
    r"berichten", r"schreibt", r"bericht", r"spoke to", r"told", r"in an interview with",
    r"interview with", r"in comments to", r"in an interview to", r"interview to",
    r"в інтерв'ю", r"в інтерв’ю", r"в интервью", r"в розмові з", r"в беседе с",
    r"im gespräch mit", r"im interview mit", r"dem sender", r"sagte (?:dem|der)",
    r"entretien à", r"dans un entretien (?:à|au|avec)", r"a déclaré à", r"en una entrevista con",
    r"declaró a", r"w rozmowie z", r"w wywiadzie dla", r"powiedział[ao]? (?:dla)?",
    r"selon", r"d'après", r"d’après", r"rapporte", r"révèle", r"cité par", r"citant",
    r"selon le média", r"selon le journal",
    r"según", r"informa", r"informó", r"citando", r"de acuerdo con", r"publica", r"publicó",
    r"według", r"podaje", r"podał[ao]?", r"powołując się na", r"jak podaje", r"jak podał[ao]?",
    r"jak informuje", r"informuje", r"pisze",
    # plural reports ("повідомляють Politico та AP"), interview verbs ("заявив PBS"),
    # report nouns ("сообщения NYT"), and more Polish, German and Greek
    r"повідомляють", r"пишуть", r"сообщают", r"пишут", r"заявив", r"заявила", r"сказав",
    r"сказала", r"розповів", r"розповіла", r"заявил", r"заявила", r"сказал", r"сказала",
    r"рассказал", r"рассказала", r"сообщени[еяй]", r"публикаци[яи]", r"повідомлення",
    r"poinformował[ao]?", r"poinformowały", r"podają", r"in einem interview mit",
    r"einem bericht (?:der|des|von)", r"rapportent", r"informan",
    r"σύμφωνα με(?: τ(?:ο|η|ην|ον|ους|α))?", r"όπως μεταδίδει", r"όπως αναφέρει",
    r"όπως γράφει", r"μεταδίδει", r"αναφέρει", r"γράφει", r"δήλωσε στ(?:ο|η|ην|ον)",
    r"σε συνέντευξη στ(?:ο|η|ην|ον)",
]  # fmt: skip
# Phrases that, right after a source's name, attribute the news to it.
AFTER = [
    r"reported", r"reports", r"has reported", r"first reported", r"said", r"wrote", r"writes",
    r"revealed", r"reporting", r"was first to report", r"broke the news",
    r"сообщил[аио]?", r"пишет", r"передает", r"повідомил[аио]?", r"пише", r"зазначає",
    r"berichtet(?:e)?", r"zufolge", r"meldet(?:e)?", r"schreibt", r"hatte berichtet",
    r"a rapporté", r"rapporte", r"révèle", r"a révélé", r"indique",
    r"informó", r"informa", r"publicó", r"reveló", r"adelantó",
    r"podał[ao]?", r"poinformował[ao]?", r"ujawnił[ao]?", r"pisze", r"informuje",
    r"μετέδωσε", r"αναφέρει", r"γράφει", r"αποκάλυψε",
]  # fmt: skip


# How far before and after a name an attribution can reach: the longest phrase plus up to three
# words before it ("laut einem Bericht des US-Magazins Politico"), a phrase after it.
REACH_BEFORE = 160
REACH_AFTER = 60
_WORD = re.compile(r"\w+")


@dataclass
class Gazetteer:
    pattern: re.Pattern[str]
    canonical: dict[str, str]  # lower-cased spelling -> canonical name
    names: re.Pattern[str]  # the spellings alone: where an attribution can be
    first_words: frozenset[str]  # lower-cased first word of every spelling


def build_gazetteer(extra_outlets: Iterable[str] = ()) -> Gazetteer:
    canonical: dict[str, str] = {}
    for name, spellings in KNOWN_SOURCES.items():
        for spelling in (name, *spellings):
            canonical.setdefault(spelling.lower(), name)
    for outlet in extra_outlets:
        if outlet and len(outlet) >= 3:
            canonical.setdefault(outlet.lower(), outlet)
            if outlet.lower().startswith("the "):
                canonical.setdefault(outlet[4:].lower(), outlet)
    names = sorted(canonical, key=len, reverse=True)
    alternation = "|".join(re.escape(n) for n in names)
    before = "|".join(BEFORE)
    after = "|".join(AFTER)
    # b: "<phrase> NAME"; a: "NAME <phrase>"; w: a wire dateline "(NAME) -"
    pattern = re.compile(
        # up to three words (no punctuation) may stand between: "laut einem Bericht des
        # US-Magazins Politico", "according to officials who spoke to Politico"; the nearest
        # name wins ("повідомляють Politico та AP" credits Politico)
        rf"(?:\b(?:{before})\s+(?:[^\s.,;:!?()\"«»„“”]+\s+){{0,3}}?[\"«„“]?(?P<b>{alternation})\b)"
        rf"|(?:(?<![\w-])[\"«„“]?(?P<a>{alternation})[\"»“”]?,?\s+(?:{after})\b)"
        rf"|(?:\((?P<w>{alternation})\)\s*[-–—])",
        re.IGNORECASE,
    )
    names_only = re.compile(rf"(?<!\w)(?:{alternation})\b", re.IGNORECASE)
    first_words = frozenset(w[0] for w in (_WORD.findall(n) for n in canonical) if w)
    return Gazetteer(pattern, canonical, names_only, first_words)


def _windows(text: str, gazetteer: Gazetteer) -> list[tuple[int, int]]:
    """Stretches of the text around mentions of a known name, overlapping ones merged.

    Every attribution contains a name, so the full pattern (slow: it tries every phrase at
    every position) only has to run here. Names are found word by word: a set lookup of each
    word, and the names pattern tried only where a name's first word stands."""
    spans: list[tuple[int, int]] = []
    for word in _WORD.finditer(text):
        if word.group().lower() not in gazetteer.first_words:
            continue
        m = gazetteer.names.match(text, word.start())
        if m is None:
            continue
        start, end = max(0, m.start() - REACH_BEFORE), m.end() + REACH_AFTER
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def credited_source(
    text: str | None, own_outlet: str | None, gazetteer: Gazetteer, limit: int = 3000
) -> str | None:
    """The organisation the article attributes its news to, or None."""
    if not text:
        return None
    own = (own_outlet or "").lower()
    wire = None
    text = text[:limit]
    matches = (
        match
        for start, end in _windows(text, gazetteer)
        for match in gazetteer.pattern.finditer(text, start, end)
    )
    for match in matches:
        spelled = match.group("b") or match.group("a") or match.group("w")
        name = gazetteer.canonical.get(spelled.lower())
        if not name:
            continue
        if name.lower() == own or (own and (own in name.lower() or name.lower() in own)):
            continue
        if match.group("w"):
            # "(Reuters) -" says whose copy this is; an explicit "Politico reported" in the
            # same text says who had the news, and wins.
            wire = wire or name
            continue
        return name
    return wire
