"""Which language an article is written in.

Pages often declare the wrong language (a template's ``lang="en"`` on every edition) and feeds
declare one language for a mixed feed, so the text itself decides when there is enough of it;
the declaration is the fallback for short or empty texts.
"""

from __future__ import annotations

from functools import lru_cache

# Languages newsmon's users read news in. Restricting the identifier to these keeps it from
# answering Aragonese for Spanish or Macedonian for Bulgarian-looking Russian headlines.
NEWS_LANGUAGES = (
    "ar", "be", "bg", "cs", "da", "de", "el", "en", "es", "et", "fa", "fi", "fr", "he", "hi", "hr",
    "hu", "it", "ja", "ka", "kk", "ko", "lt", "lv", "nl", "no", "pl", "pt", "ro", "ru", "sk", "sl",
    "sr", "sv", "tr", "uk", "zh",
)  # fmt: skip
MIN_CHARS = 40  # below this the declared language is more reliable than a guess
SAMPLE_CHARS = 1000  # the opening of a news text tells its language; more only costs time


@lru_cache(maxsize=1)
def _identifier():  # type: ignore[no-untyped-def]
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(NEWS_LANGUAGES))
    return identifier


def detect_language(text: str | None, declared: str | None = None) -> str | None:
    """ISO 639-1 code of ``text``; ``declared`` when the text is too short to tell."""
    sample = " ".join((text or "")[: SAMPLE_CHARS * 2].split())[:SAMPLE_CHARS]
    declared = (declared or "").split("-")[0].lower() or None
    if len(sample) < MIN_CHARS:
        return declared
    lang, prob = _identifier().classify(sample)
    if prob < 0.5 and declared:
        return declared
    return str(lang)
