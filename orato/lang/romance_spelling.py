"""How French and Spanish spell the contract's phones (11.3, 11.4): the letter aligner's data.

Keys are the upper-case wire codes; graphemes are folded letters (lower case, accents
removed: *é* is ``e``, *ç* ``c``, *ñ* ``n``; *œ* has no base letter and stays ``œ``). Silent
letters are cheap where the spelling usually leaves them unsaid: French final consonants and
*e*, the *ent* of verb plurals, *h*; Spanish *h* and the *u* of *gue*, *gui*, *que*, *qui*.
"""

from __future__ import annotations

from orato.lang.spelling import Spelling


def _split(table: dict[str, str]) -> dict[str, frozenset[str]]:
    return {k: frozenset(v.split()) for k, v in table.items()}


_FRENCH_TABLE = _split({
    "AD": "a e â à",
    "AGN": "an am en em aon aen ean",
    "AH": "e ai on",
    "EE": "e ai ay ei ae œ",
    "EH": "e ai ei ay",
    "EHN": "in im ain aim ein en yn ym",
    "EU": "eu œu oeu œ",
    "IO": "u eu",
    "IY": "i y ee",
    "OE": "eu œu oeu œ ue u",
    "OEN": "un um eun",
    "OO": "o au u",
    "OON": "on om",
    "UO": "o au eau",
    "UW": "ou aou oo w",
    "B": "b", "D": "d", "F": "f ph", "G": "g gu gh c", "GN": "gn", "HJ": "u",
    "K": "c k q qu ch cqu ck", "L": "l", "M": "m", "N": "n mn", "NG": "ng n",
    "P": "p", "RW": "r rh", "S": "s c sc t x", "SH": "ch sh sch", "T": "t th d",
    "V": "v w", "W": "ou o w u", "Y": "i y il ill ll j", "Z": "z s x", "ZH": "j g ge",
})
_FRENCH_SHARED = {
    ("W", "AD"): frozenset({"oi", "oy", "oe"}),
    ("W", "EHN"): frozenset({"oin"}),
    ("K", "S"): frozenset({"x", "xc", "cc"}),
    ("G", "Z"): frozenset({"x"}),
    # A y between vowels is a vowel and a glide (*appuyer* ``IY Y``, *essayer* ``EH Y``).
    ("IY", "Y"): frozenset({"y"}),
    ("EH", "Y"): frozenset({"ay", "ey"}),
    ("EE", "Y"): frozenset({"ay", "ey"}),
}
# Final consonants French usually leaves unsaid (*petit*, *vous*, *nez*, *trop*, *long*).
_FRENCH_MUTE_FINALS = frozenset("stdxzpg")


def _french_silent(letters: str, j: int) -> float:
    """French leaves final *e* and most final consonants unsaid, *ent* in verbs, and *h*."""
    c = letters[j]
    if not c.isalpha():
        return 0.0
    rest = letters[j + 1 :]
    final = not rest or not rest[0].isalpha()
    if c == "h":
        return 0.3
    if c == "e":
        return 0.3 if final or rest[:1] == "s" and len(rest) == 1 else 0.8
    if c in _FRENCH_MUTE_FINALS and (final or rest in ("s", "e", "es")):
        return 0.3
    if c == "n" and letters[j - 1 :] == "ent":
        return 0.3  # the n of verb plurals (parlent)
    if j and c == letters[j - 1]:  # the second of a doubled letter
        return 1.0
    return 2.0


def _french_no_letter(phone: str, letters: str, j: int) -> float:
    """espeak-ng adds no sounds to French words but the e muet it may say between consonants."""
    return 1.0 if phone == "AH" else 3.0


FRENCH = Spelling(
    _FRENCH_TABLE, frozenset({"AD", "AGN", "AH", "EE", "EH", "EHN", "EU", "IO", "IY", "OE",
                              "OEN", "OO", "OON", "UO", "UW"}),
    _FRENCH_SHARED, _french_silent, _french_no_letter, frozenset("aeiouyœ"),
)

_SPANISH_TABLE = _split({
    "AD": "a", "EE": "e", "IY": "i y", "UO": "o", "UW": "u",
    "AI": "ai ay", "AU": "au", "EI": "ei ey", "EW": "eu", "OI": "oi oy", "OU": "ou",
    "WA": "ua oa", "WE": "ue", "WI": "ui uy", "WO": "uo",
    "YI": "i y ll hi", "B": "b v w", "CH": "ch", "D": "d", "F": "f", "G": "g gu",
    "GN": "n", "K": "c k q qu", "L": "l", "M": "m n", "N": "n", "P": "p", "RR": "rr r",
    "RT": "r", "S": "s c z x", "T": "t", "TH": "c z", "X": "j g x", "YL": "ll",
})
_SPANISH_SHARED = {("K", "S"): frozenset({"x"}), ("K", "TH"): frozenset({"cc"})}


def _spanish_silent(letters: str, j: int) -> float:
    """Spanish leaves *h* unsaid, and the *u* of *gue*, *gui*, *que*, *qui*."""
    c = letters[j]
    if not c.isalpha():
        return 0.0
    if c == "h":
        return 0.2
    if c == "u" and j and letters[j - 1] in "gq" and letters[j + 1 : j + 2] in ("e", "i"):
        return 0.3
    return 2.0


def _spanish_no_letter(phone: str, letters: str, j: int) -> float:
    return 3.0


SPANISH = Spelling(
    _SPANISH_TABLE, frozenset({"AD", "EE", "IY", "UO", "UW", "AI", "AU", "EI", "EW", "OI", "OU",
                               "WA", "WE", "WI", "WO"}),
    _SPANISH_SHARED, _spanish_silent, _spanish_no_letter, frozenset("aeiouy"),
)
