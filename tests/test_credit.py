from __future__ import annotations

import pytest

from crawler.credit import build_gazetteer, credited_source

GAZ = build_gazetteer(["Rhein-Kurier"])


@pytest.mark.parametrize(
    ("text", "outlet", "expected"),
    [
        (
            "Biden allowed strikes near Kharkiv, according to two officials, Politico reported.",
            "CNN",
            "Politico",
        ),
        (
            "WASHINGTON (Reuters) - Ukraine said on Friday it had hit a depot.",
            "Yahoo News",
            "Reuters",
        ),
        (
            "WASHINGTON (Reuters) - Biden allowed strikes, Politico reported on Thursday.",
            "Yahoo News",
            "Politico",
        ),
        ("Kyiv pressed allies, citing Reuters sources.", "BBC", "Reuters"),
        ("Про це повідомляє Politico з посиланням на посадовців.", "Ukrainska Pravda", "Politico"),
        ("Как сообщает ТАСС, ракеты были сбиты.", "Meduza", "TASS"),
        ("Das berichtet Politico unter Berufung auf zwei Beamte.", "Der Spiegel", "Politico"),
        (
            "Laut einem Bericht des US-Magazins Politico hat Biden zugestimmt.",
            "Die Zeit",
            "Politico",
        ),
        ("selon Politico, le président a autorisé Kiev.", "Le Monde", "Politico"),
        ("según The New York Times, Biden ha autorizado.", "El País", "The New York Times"),
        ("Prezydent zgodził się - podaje Politico.", "TVN24", "Politico"),
        ("He said so in an interview with The Economist.", "Reuters", "The Economist"),
        ("Biden told ABC News in Normandy that he would not.", "Reuters", "ABC News"),
        # plural verbs credit the first name after them, the nearest one
        ("Удари поблизу Харківщини, повідомляють Politico та AP.", "Ukrinform", "Politico"),
        ("Το ανέφερε, σύμφωνα με το Politico, ο Λευκός Οίκος.", "Kathimerini", "Politico"),
        ("Biden zgodził się na ataki - poinformował Politico.", "Onet", "Politico"),
        ("Biden hat in einem Interview mit ABC News ausgeschlossen.", "Die Welt", "ABC News"),
        (
            "Салліван заявив PBS, що дозвіл поширюється на весь кордон.",
            "Ukrainska Pravda",
            "PBS NewsHour",
        ),  # fmt: skip
        ("В Кремле назвали сообщения NYT провокацией.", "RBC", "The New York Times"),
        ("Politico reported the decision first.", "Politico", None),  # never credits itself
        ("Ukraine said the strike hit. The Washington Post and the BBC covered it.", "X", None),
        ("", "X", None),
    ],
)
def test_credited_source(text, outlet, expected):
    assert credited_source(text, outlet, GAZ) == expected


def test_outlets_from_feeds_yaml_are_known():
    assert (
        credited_source("Wie der Rhein-Kurier berichtet, ist das so.", "Bild", GAZ)
        == "Rhein-Kurier"
    )


def test_attribution_deep_in_a_long_text_among_bare_mentions():
    """The phrase scan runs only around mentions of names: a bare mention early on, a wire
    dateline of the article's own agency and an attribution 2,000 characters in must give the
    attribution, with the longest phrase-to-name distance the pattern allows."""
    filler = "Officials met again on Tuesday to discuss the aid package. " * 35
    text = (
        "(Reuters) - Bloomberg staff attended the briefing. "
        + filler
        + "Laut einem Bericht des US-Magazins Politico hat Biden zugestimmt."
    )
    assert len(text) > 2000
    assert credited_source(text, "Reuters", GAZ) == "Politico"
    assert credited_source(text[:-70], "Reuters", GAZ) is None
    assert credited_source(text[:-70], "Tagesschau", GAZ) == "Reuters"
