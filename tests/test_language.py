"""crawler/extraction/language.py: a valid declaration is believed unless the text clearly says otherwise;
languages outside newsmon's usual list are stored. (Texts written for these tests.)"""

from __future__ import annotations

import pytest

from crawler.extraction.language import detect_language, language_code

INDONESIAN = (
    "Pemerintah kota mengumumkan bahwa jembatan tua di atas sungai akan dibangun kembali mulai "
    "tahun depan. Para warga menyambut keputusan itu, tetapi meminta agar biaya pembangunan "
    "diawasi dengan ketat dan kontraknya diumumkan kepada masyarakat."
)
ZULU = (
    "Umkhandlu wedolobha uthe ibhuloho elidala phezu komfula lizokwakhiwa kabusha kusukela "
    "ngonyaka ozayo. Izakhamuzi zikwamukele lesi sinqumo kodwa zicela ukuthi izindleko "
    "zilawulwe kahle futhi izinkontileka zishicilelwe emphakathini."
)
SERBIAN_LATIN = (
    "Gradsko veće je u utorak odlučilo da se stari most preko reke obnovi. Radovi bi trebalo da "
    "počnu na proleće i da traju oko tri godine, a za to vreme će pešake i bicikliste prevoziti "
    "skela. Građani su pozdravili odluku, ali su tražili da troškovi budu pod kontrolom."
)
UKRAINIAN = (
    "Міська рада у вівторок ухвалила рішення відбудувати старий міст через річку. Роботи "
    "почнуться навесні й триватимуть близько трьох років, а тим часом пішоходів і "
    "велосипедистів перевозитиме пором."
)


def test_a_declared_language_outside_the_usual_list_is_kept():
    """An Indonesian page that says so was stored as Turkish: the identifier only chose among a
    fixed list of languages, and its answer overrode the page."""
    assert detect_language(INDONESIAN, declared="id") == "id"
    assert detect_language(INDONESIAN, declared="id-ID") == "id"


def test_a_declaration_settles_what_the_text_leaves_open():
    """Serbian in Latin script reads as Croatian or Bosnian to the identifier (none of them
    clearly): the page's own word decides."""
    assert detect_language(SERBIAN_LATIN, declared="sr") == "sr"
    assert detect_language(SERBIAN_LATIN, declared="sr-Latn") == "sr"


@pytest.mark.parametrize(("text", "lang"), [(ZULU, "zu"), (UKRAINIAN, "uk")])
def test_the_text_overrides_a_template_declaration_it_clearly_contradicts(text: str, lang: str):
    """A site's template says lang="en" on every edition; the text is clearly another language."""
    assert detect_language(text, declared="en") == lang


def test_without_a_declaration_a_language_outside_the_list_is_stored():
    assert detect_language(ZULU) == "zu"
    assert detect_language(INDONESIAN) == "id"


def test_a_short_text_keeps_the_declaration():
    assert detect_language("Gradsko veće", declared="sr") == "sr"
    assert detect_language("Gradsko veće") is None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("en-US", "en"),
        ("de_DE", "de"),
        ("PT", "pt"),
        ("iw", "he"),  # withdrawn code
        ("nb-NO", "no"),  # Bokmål stored as Norwegian
        ("x-default", None),
        ("und", None),
        ("english", None),
        ("zz", None),
        ("", None),
    ],
)
def test_only_valid_codes_count_as_declarations(value: str, code: str | None):
    assert language_code(value) == code


def test_an_invalid_declaration_is_no_declaration():
    """ "english" is no code: the text decides, and a short text has no language."""
    assert detect_language(UKRAINIAN, declared="english") == "uk"
    assert detect_language("Short.", declared="english") is None
