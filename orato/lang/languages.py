"""Which dialects the language layer can pronounce, and in which language.

Why not ``orato.dialect_support``: that table says what the *API* serves today (1.9), and it
switches a dialect on only when its scoring engine lands. The language layer must be able to
pronounce French and Spanish before that, so that the engine can be built and tested on it;
what it can pronounce is a fact about its own data (CMUdict and espeak-ng voices), kept here.
ARPAbet markup, phone lists and validate text stay English-only through the API table.
"""

from __future__ import annotations

from typing import Literal

LanguageCode = Literal["en", "fr", "es"]

LANGUAGES: dict[str, LanguageCode] = {
    "en-us": "en", "en-gb": "en", "fr-fr": "fr", "fr-ca": "fr", "es-es": "es", "es-mx": "es",
}


def language(dialect: str) -> LanguageCode | None:
    """The language the layer pronounces ``dialect`` in, or None when it cannot."""
    return LANGUAGES.get(dialect)
