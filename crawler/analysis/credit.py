"""Whom an article credits for its news: "according to Politico", "(Reuters) -", "сообщает ТАСС".

A gazetteer of news organisations (the big wires and papers, in the spellings the languages we
follow use, plus every outlet in feeds.yaml) and, around each mention, the attribution phrases of
about 30 languages: English, Ukrainian, Russian, German, French, Spanish, Polish, Greek, Italian,
Portuguese, Romanian, Dutch, Czech, Slovak, Swedish, Norwegian, Danish, Hungarian, Bulgarian,
Serbian/Croatian, Macedonian, Turkish, Arabic, Persian, Indonesian, Vietnamese and Hindi, and
(without word boundaries, see ``CJK_BEFORE``) Chinese, Japanese and Korean. The first attributed
mention wins; an outlet never credits itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# canonical name -> spellings (matched case-insensitively, on word boundaries)
KNOWN_SOURCES: dict[str, tuple[str, ...]] = {
    "Politico": (
        "Politico",
        "Політико",
        "Политико",
        "Politico Europe",
        "بوليتيكو",
        "ポリティコ",
        "폴리티코",
        "政客新闻网",
        "政客新聞網",
    ),
    "Reuters": (
        "Reuters",
        "Рейтер",
        "Рейтерс",
        "Рейтерсу",
        "агентства Reuters",
        "Ройтерс",
        "رويترز",
        "路透社",
        "路透",
        "ロイター",
        "로이터",
    ),
    "Associated Press": (
        "Associated Press",
        "AP",
        "Асошиейтед прес",
        "أسوشيتد برس",
        "美联社",
        "美聯社",
        "AP通信",
        "Ассошиэйтед Пресс",
        "Асошіейтед Прес",
        "Ассошиэйтед пресс",
    ),
    "AFP": (
        "AFP",
        "Agence France-Presse",
        "Франс Пресс",
        "Франс Прес",
        "France-Presse",
        "فرانس برس",
        "法新社",
        "フランス通信",
    ),
    "Bloomberg": (
        "Bloomberg",
        "Блумберг",
        "Bloomberg News",
        "بلومبرغ",
        "彭博社",
        "彭博",
        "ブルームバーグ",
        "블룸버그",
    ),
    "The New York Times": (
        "New York Times",
        "NYT",
        "Нью-Йорк Таймс",
        "Нью-Йорк таймс",
        "Ню Йорк Таймс",
        "نيويورك تايمز",
        "纽约时报",
        "紐約時報",
        "ニューヨーク・タイムズ",
        "뉴욕타임스",
    ),
    "The Washington Post": (
        "Washington Post",
        "Вашингтон пост",
        "The Post",
        "Вашингтон Пост",
        "واشنطن بوست",
        "华盛顿邮报",
        "華盛頓郵報",
        "ワシントン・ポスト",
        "워싱턴포스트",
    ),
    "The Wall Street Journal": (
        "Wall Street Journal",
        "WSJ",
        "Уолл-стрит джорнэл",
        "Волл-стріт джорнал",
        "Уолстрийт джърнъл",
        "Уол Стрийт Джърнъл",
        "وول ستريت جورنال",
        "华尔街日报",
        "華爾街日報",
        "ウォール・ストリート・ジャーナル",
        "월스트리트저널",
    ),
    "CNN": ("CNN", "Си-эн-эн", "Сі-Ен-Ен", "سي إن إن"),
    "BBC": ("BBC", "Би-би-си", "Бі-бі-сі", "بي بي سي"),
    "Financial Times": (
        "Financial Times",
        "FT",
        "Файненшл таймс",
        "Файненшл Таймс",
        "Financial Timesu",
        "Файненшъл таймс",
        "فايننشال تايمز",
        "金融时报",
        "金融時報",
        "フィナンシャル・タイムズ",
        "파이낸셜타임스",
        "फाइनेंशियल टाइम्स",
    ),
    "The Guardian": ("The Guardian", "Guardian", "Гардиан", "Гардіан"),
    "Axios": ("Axios", "Аксиос", "Аксіос", "أكسيوس", "アクシオス", "악시오스"),
    "The Economist": ("The Economist", "Economist"),
    "Der Spiegel": ("Der Spiegel", "Spiegel", "Шпигель", "Шпігель"),
    "Bild": ("Bild", "Бильд", "Більд"),
    "dpa": ("dpa", "Deutsche Presse-Agentur"),
    "Le Monde": ("Le Monde", "Ле Монд"),
    "TASS": ("TASS", "ТАСС", "ТАРС", "塔斯社", "تاس", "タス通信"),
    "RIA Novosti": ("RIA Novosti", "РИА Новости", "РІА Новини", "RIA", "俄新社", "ريا نوفوستي"),
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
    "Deutsche Welle": ("Deutsche Welle", "DW", "Дойче веле", "Німецька хвиля", "دويتشه فيله"),
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
    "RFE/RL": (
        "Radio Free Europe/Radio Liberty",
        "Radio Free Europe",
        "RFE/RL",
        "Radio Liberty",
        "Радіо Свобода",
        "Радио Свобода",
    ),
    "Nikkei": ("Nikkei",),
    "Yonhap": ("Yonhap",),
    "Xinhua": ("Xinhua", "Синьхуа", "新华社", "新華社"),
    "Sputnik": ("Sputnik", "Спутник", "سبوتنيك"),
    "European Pravda": ("European Pravda", "Європейська правда", "Европейская правда"),
    "Voice of America": ("Voice of America", "VOA", "Голос Америки"),
    "ANSA": ("ANSA",),
    "EFE": ("EFE",),
    "Europa Press": ("Europa Press",),
    "askanews": ("askanews",),
    "Adnkronos": ("Adnkronos",),
    "Italpress": ("Italpress",),
    "Ritzau": ("Ritzau",),
    "NTB": ("NTB",),
    "PAP": ("PAP", "Polska Agencja Prasowa"),
    "ČTK": ("ČTK", "CTK"),
    "BTA": ("BTA", "БТА"),
    "Agerpres": ("Agerpres",),
    "Anadolu": ("Anadolu Agency", "Anadolu Ajansı", "Anadolu"),
    "Kyodo": ("Kyodo", "共同通信"),
    "Belga": ("Belga",),
    "TASR": ("TASR",),
    "Digi24": ("Digi24",),
    "Cumhuriyet": ("Cumhuriyet",),
    "Berliner Zeitung": ("Berliner Zeitung",),
    "NNA": ("NNA", "National News Agency"),
    "SITA": ("SITA",),
    "MTI": ("MTI",),
    "HINA": ("HINA",),
    "Tanjug": ("Tanjug", "Танјуг"),
    "Lusa": ("Lusa",),
    "ANP": ("ANP",),
    "STT": ("STT",),
    "Keystone-SDA": ("Keystone-SDA", "SDA"),
    "dts Nachrichtenagentur": ("dts Nachrichtenagentur", "dts"),
    "ARD": ("ARD", "Tagesschau"),
    "ZDF": ("ZDF",),
    "n-tv": ("n-tv", "ntv"),
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
    r"berichten", r"schreibt", r"bericht", r"spoke to", r"in an interview with",
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
    r"сказала", r"розповів", r"розповіла", r"заявил", r"сказал",
    r"рассказал", r"рассказала", r"сообщени[еяй]", r"публикаци[яи]", r"повідомлення",
    r"poinformował[ao]?", r"poinformowały", r"podają", r"in einem interview mit",
    r"einem bericht (?:der|des|von)", r"rapportent", r"informan",
    r"σύμφωνα με(?: τ(?:ο|η|ην|ον|ους|α))?", r"όπως μεταδίδει", r"όπως αναφέρει",
    r"όπως γράφει", r"μεταδίδει", r"αναφέρει", r"γράφει", r"δήλωσε στ(?:ο|η|ην|ον)",
    r"σε συνέντευξη στ(?:ο|η|ην|ον)",
    # Italian, Portuguese, Romanian, Dutch, Czech, Slovak, Scandinavian, Hungarian, Bulgarian,
    # Serbian/Croatian, Macedonian, Arabic, Indonesian, Vietnamese, Persian; "report" nouns
    r"secondo", r"secondo quanto riportato da", r"come riportato da", r"riporta", r"riferisce",
    r"scrive", r"stando a", r"ha riferito", r"ha riportato", r"ha rivelato", r"riportato da",
    r"segundo", r"de acordo com", r"informou", r"noticiou", r"relata", r"escreve", r"avança",
    r"potrivit", r"conform", r"scrie", r"relatează", r"relateaza", r"informează", r"citat de",
    r"transmite", r"volgens", r"meldt", r"schrijft", r"aldus", r"berichtte", r"meldde",
    r"podle", r"podľa", r"uvedl[ao]?", r"uviedol", r"uviedla", r"informoval[ao]?", r"napsal[ao]?",
    r"napísal[ao]?", r"píše", r"uvádí", r"uvádza", r"enligt", r"rapporterar", r"skriver",
    r"uppger", r"ifølge", r"melder", r"rapporterer", r"opplyser", r"oplyser", r"írja",
    r"според", r"съобщава", r"съобщи", r"информира", r"цитиран[ао]? от", r"предава",
    r"по данни на", r"prema pisanju", r"prema", r"piše", r"javlja", r"prenosi", r"navodi",
    r"према", r"јавља", r"преноси", r"пишува", r"јавува",
    r"وفقا ل", r"وفقاً ل", r"لصحيفة", r"لوكالة", r"لشبكة", r"وفقا لصحيفة", r"وفقاً لصحيفة",
    r"بحسب", r"حسب", r"حسبما ذكرت", r"ذكرت", r"أفادت", r"نقلت",
    r"نقلا عن", r"نقلاً عن", r"صحيفة", r"شبكة", r"وكالة", r"قالت",
    r"menurut", r"dilansir(?: dari)?", r"dikutip dari", r"mengutip", r"theo", r"به گزارش",
    r"a report by(?: the)?(?: publication| newspaper| outlet| magazine)?",
    r"reports? (?:by|from|in) (?:the )?(?:publication|newspaper|outlet|magazine|agency)",
    # "as quoted by Reuters", "citato dall'agenzia Tass", "revealed by the Financial Times",
    # "Selon des informations révélées par le FT", "donosi 'Financial Times'", "Quelle: n-tv"
    r"quoted by", r"citat[oa]", r"citad[oa]", r"revealed by", r"révélées? par", r"révélé par",
    r"revelad[oa] por", r"ha revelado", r"reveló", r"revelou", r"noticiad[oa] por", r"donosi",
    r"notiert", r"speaking to", r"statement to", r"quelle:", r"source:", r"fuente:", r"fonte:",
    r"джерело:", r"источник:", r"pochádzajú z", r"pocházejí z", r"повідомляв", r"повідомляла",
    r"повідомили", r"ha comunicato", r"согласно", r"згідно з", r"report by", r"приводит",
    r"наводить", r"obtained by", r"полученн(?:ом|ому|ым)", r"опубликован[оа]?", r"riferito al",
    r"dilaporkan", r"sebagaimana dilaporkan", r"écrit", r"écrivent", r"riportat[oa] dal?",
    r"kaynak\s*:", r"zdroj:", r"forrás:", r"źródło:", r"izvor:", r"sdělil[ao]?", r"řekl[ao]?",
    r"предаде", r"speaking with", r"reports", r"quoted as saying by", r"dichiarazione all[ae]",
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
    r"estimates", r"estimated", r"says", r"has learned", r"learned",
    r"riporta", r"scrive", r"ha rivelato", r"rivela", r"informou", r"noticiou", r"revelou",
    r"relata", r"scrie", r"a relatat", r"meldt", r"schrijft", r"meldde", r"píše", r"uvádí",
    r"napsal[ao]?", r"informoval[ao]?", r"rapporterar", r"skriver", r"melder", r"szerint",
    r"írja", r"számolt be", r"arról számolt be", r"съобщава", r"съобщи", r"piše",
    r"javlja", r"szacuje", r"оцінює", r"оценивает", r"estima", r"écrit",
    r"göre", r"haberine göre", r"gazetesinin haberine göre", r"bildirdi", r"yazdı", r"aktardı",
    r"melaporkan", r"cho biết", r"đưa tin",
    r"की रिपोर्ट के अनुसार", r"के अनुसार",
    # "CNN, citing Western officials, reported": the outlet citing others is the one with the news
    r"citing", r"со ссылкой на", r"з посиланням на", r"citando", r"citant",
    r"unter Berufung auf", r"powołując się na", r"s odkazem na", r"odvolávajúc sa na",
    r"quoted", r"contributed to this report", r"заявил[аио]?", r"yer alan habere göre",
    r"yer alan haberde", r"uvedla", r"uvedl",
]  # fmt: skip
# Phrases that make the attribution an interview or a quote given to the outlet: the outlet
# spoke to someone, it did not necessarily have the news. Such a credit is kept only when no
# report attribution follows ("Zelensky told CNN ..., Politico reported" credits Politico).
INTERVIEW = re.compile(
    r"interview|told|spoke to|in comments to|інтерв|интервью|розмові|беседе|gespräch|"
    r"entretien|entrevista|rozmowie|wywiadzie|συνέντευξη|заявив|заявил|сказав|сказал|sagte|"
    r"déclaré|declaró|powiedział|δήλωσε",
    re.IGNORECASE,
)
# Scripts without spaces (Chinese, Japanese) or with particles glued to names (Korean, Hindi):
# "据《华尔街日报》报道", "ロイター通信によると", "파이낸셜타임스에 따르면",
# "... की रिपोर्ट के अनुसार".
CJK_BEFORE = r"据|據|根据|根據|援引|引述|引用|综合|綜合|告訴|告诉"
CJK_AFTER = (
    r"报道|報導|報道|称|稱|披露|爆料|透露|引述|援引|によると|によれば|が報じた|は報じた|報じ|"
    r"에 따르면|는 보도|은 보도|가 보도|이 보도|보도에 따르면|की रिपोर्ट|के अनुसार"
)
# Chinese, Japanese, Korean and Devanagari letters: where the unspaced pattern is worth running
_UNSPACED_SCRIPT = re.compile(r"[\u0900-\u097F\u3040-\u30FF\u3400-\u9FFF\uAC00-\uD7AF]")


# How far before and after a name an attribution can reach: the longest phrase plus up to three
# words before it ("laut einem Bericht des US-Magazins Politico"), a phrase after it.
REACH_BEFORE = 160
REACH_AFTER = 60
# the words every attribution of the unspaced pattern contains, and how far its name can stand
_UNSPACED_TRIGGER = re.compile(rf"{CJK_BEFORE}|{CJK_AFTER}|報じ|伝え|보도|\]\s*[-–—]")
UNSPACED_REACH_BEFORE = 120
UNSPACED_REACH_AFTER = 60
# the pattern's groups that name a wire whose copy this is, not who had the news
WIRE_GROUPS = ("w", "w2", "w3", "w4", "w5", "w6", "w7")
# how far from the end of a text a closing wire signature is looked for
SIGNATURE_REACH = 80
_WORD = re.compile(r"\w+")


@dataclass
class Gazetteer:
    pattern: re.Pattern[str]
    canonical: dict[str, str]  # lower-cased spelling -> canonical name
    names: re.Pattern[str]  # the spellings alone: where an attribution can be
    first_words: frozenset[str]  # lower-cased first word of every spelling
    unspaced: re.Pattern[str] | None = None  # attributions in Chinese, Japanese, Korean, Hindi
    signature: re.Pattern[str] | None = None  # a wire's name closing the text


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
        # up to four words (no punctuation) may stand between: "laut einem Bericht des
        # US-Magazins Politico", "according to officials who spoke to Politico"; the nearest
        # name wins ("повідомляють Politico та AP" credits Politico)
        rf"(?:\b(?:{before})\s+(?:[^\s.,;:!?()\"«»„“”‘]+\s+){{0,5}}?(?:l['’])?[\"«»„“‘]?"
        rf"(?P<b>{alternation})\b)"
        # "Politico reported", "WSJ'nin haberine göre" (a suffix glued on), "Politico, which
        # first reported"
        rf"|(?:(?<![\w-])[\"«„“]?(?P<a>{alternation})(?:['’]\w{{1,5}})?[\"»“”]?,?"
        rf"\s+(?:(?:which|who|that)\s+)?(?:\w+\s+){{0,2}}(?:{after})(?!\w))"
        # a wire dateline: "(Reuters) -", "(UrduPoint News / Sputnik - 24th May, 2023)",
        # "(SITA.sk) -", "(AFP/jW)", "ВАШИНГТОН, 7 декабря. /ТАСС/."
        rf"|(?:\((?:[^()]{{0,40}}?/\s*)??(?P<w>{alternation})(?:\.[a-z]{{2,3}})?"
        rf"(?:\)\s*[-–—]|\s+[-–—]\s|/[^()\s]{{1,10}}\)))"
        rf"|(?:/\s*(?P<w2>{alternation})\s*/)"
        # an outlet's own name, then its wire's: "DEMOKRAATTI/STT"
        rf"|(?:(?<=\w)/(?P<w7>{alternation})\b)"
        # a wire's byline opening the text or a sentence: "Reuters, Washington", "Reuters |
        # Moscow", "NNA – US President ...", "Брянск. 14 января. ИНТЕРФАКС - Губернатор", "By AFP"
        rf"|(?:(?:^|[.!?]\s+)(?P<w3>{alternation})\s*(?:\||[-–—]\s|,\s+(?-i:[A-ZА-ЯЁІЇЄ])\w+\s))"
        rf"|(?:\bBy\s+(?P<w4>{alternation})\b)"
        # a dateline's wire after the date: "SIMFEROPOL, May 26 – RIA Novosti", "МОСКВА, 17 окт —"
        rf"|(?:\d{{1,2}}\s*[-–—]\s*(?P<w5>{alternation})\b)"
        # a headline that opens with the source: "Politico: Biden allowed strikes"
        rf"|(?:^\W{{0,3}}(?P<h>{alternation})\s*[:：])",
        re.IGNORECASE,
    )
    # a wire's signature closing the text: "... in Washington. — Reuters", "(AFP)"
    # "... — Reuters", "(AFP/jW)", "/ritzau/", "Quelle: n-tv", or the name alone on the last line
    signature = re.compile(
        rf"(?:[-–—]\s*|\(|/|\n\s*|(?:quelle|source|fuente|fonte|джерело|источник|kaynak|zdroj|"
        rf"forrás|źródło|izvor)\s*:\s*)"
        rf"(?P<w>{alternation})(?:/[^\s/()]{{1,10}}|,\s*\w{{1,4}})?\s*[)/]?\s*\.?\s*$",
        re.IGNORECASE,
    )
    names_only = re.compile(rf"(?<!\w)(?:{alternation})\b", re.IGNORECASE)
    first_words = frozenset(w[0] for w in (_WORD.findall(n) for n in canonical) if w)
    # without word boundaries: in unspaced scripts a name stands between other letters
    unspaced = re.compile(
        rf"(?:(?:{CJK_BEFORE})\s*[《「『“\"]?\s*(?P<b>{alternation}))"
        rf"|(?:(?P<a>{alternation})(?:通信社|通信|紙|社|\([A-Za-z]+\))?[》」』”\"）)]?\s*"
        rf"(?:網站|网站|報導|报道)?(?:\d+日|２\d日|[０-９]+日)?(?:今天|今日|昨天|此前|周.|週.)?\s*"
        rf"(?:{CJK_AFTER}))"
        # a Japanese dateline's wire: "[モスクワ 5日 ロイター] -"
        rf"|(?:\[[^\]]{{0,20}}?(?P<w6>{alternation})\]\s*[-–—])"
        rf"|(?:(?P<j>{alternation})(?:通信社|通信|紙)?(?:は|が)[^。]{{0,60}}?(?:報じ|伝え))"
        # Korean: "파이낸셜타임스(FT)가 현지시간 15일 보도했습니다"
        rf"|(?:(?P<k>{alternation})(?:\([A-Za-z]+\))?(?:가|는|은|이)\s[^.。]{{0,40}}?보도)",
        re.IGNORECASE,
    )
    return Gazetteer(pattern, canonical, names_only, first_words, unspaced, signature)


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


def _trigger_windows(text: str) -> list[tuple[int, int]]:
    """Stretches around the report words of the unspaced scripts (据, 报道, によると, 보도, के
    अनुसार, a dateline's "] -"), overlapping ones merged: every unspaced attribution has one, and
    its name stands at most ``UNSPACED_REACH_BEFORE`` characters before it or
    ``UNSPACED_REACH_AFTER`` after. The unspaced pattern, a long alternation of names tried at
    every position, is run only there instead of over the whole lead."""
    spans: list[tuple[int, int]] = []
    for trigger in _UNSPACED_TRIGGER.finditer(text):
        start = max(0, trigger.start() - UNSPACED_REACH_BEFORE)
        end = trigger.end() + UNSPACED_REACH_AFTER
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def _is_own(name: str, own: str) -> bool:
    """Whether a credited name is the article's own outlet (lower-cased): no self-credit."""
    lower = name.lower()
    return lower == own or bool(own and (own in lower or lower in own))


def credited_source(
    text: str | None, own_outlet: str | None, gazetteer: Gazetteer, limit: int = 3000
) -> str | None:
    """The organisation the article attributes its news to, or None."""
    if not text:
        return None
    own = (own_outlet or "").lower()
    wire = interview = None
    if gazetteer.signature is not None:  # the end of the whole text, however long
        end = gazetteer.signature.search(text[-SIGNATURE_REACH:])
        name = gazetteer.canonical.get(end.group("w").lower()) if end else None
        if name and not _is_own(name, own):
            wire = name
    text = text[:limit]
    matches: Iterable[re.Match[str]] = (
        match
        for start, end in _windows(text, gazetteer)
        for match in gazetteer.pattern.finditer(text, start, end)
    )
    if gazetteer.unspaced is not None and _UNSPACED_SCRIPT.search(text):
        unspaced = (
            match
            for start, end in _trigger_windows(text)
            for match in gazetteer.unspaced.finditer(text, start, end)
        )
        matches = sorted([*matches, *unspaced], key=lambda m: m.start())
    for match in matches:
        groups = match.groupdict()
        spelled = next(v for v in groups.values() if v)
        name = gazetteer.canonical.get(spelled.lower())
        if not name:
            continue
        if _is_own(name, own):
            continue
        if any(groups.get(group) for group in WIRE_GROUPS):
            # "(Reuters) -" says whose copy this is; an explicit "Politico reported" in the
            # same text says who had the news, and wins.
            wire = wire or name
            continue
        if groups.get("b") and INTERVIEW.search(match.group(0)[: match.start("b") - match.start()]):
            interview = interview or name  # a later "Politico reported" wins over it
            continue
        return name
    return interview or wire
