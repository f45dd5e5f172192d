"""Which language a text is written in (api-scoring.md 9.12 for score writing and transcripts).

`lingua-language-detector` in its low-accuracy (trigram) mode, restricted to the languages
learners on this server most often write instead of the target one: 0.6 s and about 60 MB to
load, under a millisecond per text. A mismatch needs the top language at 0.5 or more (9.12),
so a short or mixed text that lingua cannot place is never one.
"""

from __future__ import annotations

from typing import Any

MISMATCH_MIN_PROBABILITY = 0.5
LANGUAGES = (
    "ENGLISH", "FRENCH", "SPANISH", "GERMAN", "ITALIAN", "PORTUGUESE", "DUTCH", "RUSSIAN", "CHINESE",
    "JAPANESE", "KOREAN", "ARABIC", "TURKISH", "POLISH", "VIETNAMESE", "HINDI",
)  # fmt: skip
_LANG_IDS = {"de": "ge"}  # 9.12: German is "ge" for compatibility


class LanguageIdentifier:
    def __init__(self, detector: Any) -> None:
        self._detector = detector

    def probabilities(self, text: str) -> dict[str, float]:
        """Probability of each contract ``lang_id`` (ISO 639-1, German ``ge``)."""
        values = self._detector.compute_language_confidence_values(text)
        found: dict[str, float] = {}
        for value in values:
            code = value.language.iso_code_639_1.name.lower()
            found[_LANG_IDS.get(code, code)] = float(value.value)
        return found

    def foreign_language(self, text: str, dialect: str) -> str | None:
        """The ``lang_id`` the text is mainly in when it is not the dialect's language, else None."""
        probabilities = self.probabilities(text)
        if not probabilities:
            return None
        lang_id, probability = max(probabilities.items(), key=lambda item: item[1])
        if lang_id == dialect.split("-", 1)[0] or probability < MISMATCH_MIN_PROBABILITY:
            return None
        return lang_id


def load_language_identifier() -> LanguageIdentifier:
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, name) for name in LANGUAGES]
    builder = LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode()
    return LanguageIdentifier(builder.with_preloaded_language_models().build())
