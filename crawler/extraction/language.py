"""Which language an article is written in.

A page, a feed or an import that declares a valid language code is believed unless the text
clearly says otherwise (the identifier gives another language at least ``CLEAR`` probability):
declarations are right far more often than a guess, and where they are wrong it is a whole
template's ``lang="en"`` on a text the identifier recognises with near certainty. Without a
declaration the identifier decides, over every language its model knows, so a Zulu or Icelandic
article is stored as such; only an unsure answer outside the languages newsmon's users mostly
read is replaced by the likeliest of those (a short Spanish headline is not Aragonese). Texts
shorter than ``MIN_CHARS`` keep the declaration.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Languages newsmon's users read news in: an unsure guess outside them (Aragonese for Spanish,
# Macedonian for a Bulgarian-looking Russian headline) gives way to the likeliest of these.
NEWS_LANGUAGES = frozenset(
    (
        "ar", "az", "be", "bg", "bn", "ca", "cs", "da", "de", "el", "en", "es", "et", "fa", "fi",
        "fr", "he", "hi", "hr", "hu", "hy", "id", "is", "it", "ja", "ka", "kk", "ko", "lt", "lv",
        "ms", "nl", "no", "pl", "pt", "ro", "ru", "sk", "sl", "sq", "sr", "sv", "sw", "th", "tr",
        "uk", "ur", "uz", "vi", "zh",
    )
)  # fmt: skip
# Every ISO 639-1 code: a declaration is believed only when it is one of these.
ISO_639_1 = frozenset(
    """aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu
    hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb
    lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om
    or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw
    ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
    """.split()
)
# Codes to store instead: withdrawn ISO 639-1 codes, Norwegian Bokmål as Norwegian (what feeds
# and most pages say), and the identifier's regional varieties as their language.
ALIASES = {
    "iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro", "nb": "no",
    "ary": "ar", "arz": "ar", "wuu": "zh", "yue": "zh", "uzs": "uz", "sdh": "ku", "gug": "gn",
    "fuv": "ff",
}  # fmt: skip
NO_LANGUAGE = "zxx"  # the identifier's answer for text in no language (code, numbers)
CLEAR = 0.9  # the identifier's probability at which the text overrides a declaration
MIN_CHARS = 40  # below this the declared language is more reliable than a guess
SAMPLE_CHARS = 1000  # the opening of a news text tells its language; more only costs time

_CODE = re.compile(r"^\s*([A-Za-z]{2,3})(?:$|[-_\s])")


def language_code(value: str | None) -> str | None:
    """The ISO 639-1 code of a declaration (``en-US``, ``de_DE``, ``EN``, ``iw``), or None when
    it is not a valid one (``x-default``, ``und``, ``english``)."""
    match = _CODE.match(value or "")
    if not match:
        return None
    code = match.group(1).lower()
    code = ALIASES.get(code, code)
    return code if code in ISO_639_1 else None


@lru_cache(maxsize=1)
def _identifier():  # type: ignore[no-untyped-def]
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str | None, declared: str | None = None) -> str | None:
    """ISO 639-1 code of ``text`` (the identifier's own code for a language without one);
    ``declared`` unless the text is long enough and clearly in another language."""
    declared = language_code(declared)
    sample = " ".join((text or "")[: SAMPLE_CHARS * 2].split())[:SAMPLE_CHARS]
    if len(sample) < MIN_CHARS:
        return declared
    ranking = [
        (ALIASES.get(str(lang), str(lang)), float(prob))
        for lang, prob in _identifier().rank(sample)
        if lang != NO_LANGUAGE
    ]
    if not ranking:
        return declared
    top, prob = ranking[0]
    if declared:
        return top if top != declared and prob >= CLEAR else declared
    if top in NEWS_LANGUAGES or prob >= CLEAR:
        return top
    return next((lang for lang, _ in ranking if lang in NEWS_LANGUAGES), top)
