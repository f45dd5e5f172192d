"""Phone inventories of every dialect (api-scoring.md section 11).

The codes are the wire codes: English lower case, French and Spanish upper case. Input is
case-insensitive, so :meth:`PhoneSet.canonical` maps what a client typed onto the wire code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class PhoneSet:
    """One dialect's inventory; ``phones`` keeps the order of the contract's tables."""

    dialect: str
    phones: tuple[str, ...]
    vowels: frozenset[str]

    @cached_property
    def _by_lower(self) -> dict[str, str]:
        return {p.lower(): p for p in self.phones}

    def canonical(self, code: str) -> str | None:
        """The wire code for ``code`` typed in any case, or None when the dialect lacks it.

        Non-ASCII input is refused outright: ``str.lower`` folds look-alikes such as the
        Kelvin sign onto ASCII letters, which would let them pass as phones.
        """
        if not code.isascii():
            return None
        return self._by_lower.get(code.lower())


_EN_CONSONANTS = (
    "b", "ch", "d", "dh", "f", "g", "hh", "jh", "k", "l", "m", "n",
    "ng", "p", "r", "s", "sh", "t", "th", "v", "w", "y", "z", "zh",
)
_EN_US_VOWELS = (
    "aa", "ae", "ah", "ao", "aw", "ay", "eh", "er", "ey", "ih", "iy", "ow", "oy", "uh", "uw",
)
_EN_GB_VOWELS = (
    "aa", "ae", "ah", "ao", "aw", "ax", "ay", "ea", "eh", "er",
    "ey", "ia", "ih", "iy", "oh", "ow", "oy", "ua", "uh", "uw",
)
_FR_VOWELS = (
    "AD", "AGN", "AH", "EE", "EH", "EHN", "EU", "IO", "IY", "OE", "OEN", "OO", "OON", "UO", "UW",
)
_FR_CONSONANTS = (
    "B", "D", "F", "G", "GN", "HJ", "K", "L", "M", "N", "NG",
    "P", "RW", "S", "SH", "T", "V", "W", "Y", "Z", "ZH",
)
# YI sits in the contract's vowel column but is a glide that only occurs next to a vowel
# (`EE YI` in *rey* is one syllable), so it is no syllable nucleus and carries no stress.
_ES_VOWELS = (
    "AD", "EE", "IY", "UO", "UW", "AI", "AU", "EI", "EW", "OI", "OU", "WA", "WE", "WI", "WO",
)
_ES_CONSONANTS = (
    "YI", "B", "CH", "D", "F", "G", "GN", "K", "L", "M", "N",
    "P", "RR", "RT", "S", "T", "TH", "X", "YL",
)
_ES_ES_ONLY = frozenset({"TH", "YL"})  # decision 32: es-mx says S and YI instead


def _make(dialect: str, vowels: tuple[str, ...], consonants: tuple[str, ...]) -> PhoneSet:
    return PhoneSet(dialect, vowels + consonants, frozenset(vowels))


EN_US = _make("en-us", _EN_US_VOWELS, _EN_CONSONANTS)
EN_GB = _make("en-gb", _EN_GB_VOWELS, _EN_CONSONANTS)
FR_FR = _make("fr-fr", _FR_VOWELS, _FR_CONSONANTS)
FR_CA = _make("fr-ca", _FR_VOWELS, _FR_CONSONANTS)
ES_ES = _make("es-es", _ES_VOWELS, _ES_CONSONANTS)
ES_MX = _make("es-mx", _ES_VOWELS, tuple(c for c in _ES_CONSONANTS if c not in _ES_ES_ONLY))

_BY_DIALECT = {s.dialect: s for s in (EN_US, EN_GB, FR_FR, FR_CA, ES_ES, ES_MX)}


def phone_set(dialect: str) -> PhoneSet:
    """The inventory of ``dialect``; KeyError for a dialect Orato does not know."""
    return _BY_DIALECT[dialect]
