"""The acoustic units of French and Spanish: what the fr/es phone model hears and aligns.

English is heard in ARPAbet (the CMUSphinx and CTC heads' set); French and Spanish have no
acoustic model to inherit a set from, so theirs is built here, once, for both languages:
IPA phones, shared where the two languages share a sound (``a``, ``e``, ``s``...), so that
one CTC head learns both from little speech. A contract phone (api-scoring.md 11.3-11.4)
owns one or two units: Spanish diphthongs are a vowel and a glide (``AI`` = ``a j``,
``WA`` = ``w a``), as espeak-ng speaks and writes them, and French ``GN`` is ``n j``,
as espeak-ng writes it, so training targets (from espeak-ng's IPA) and run-time
expectations (from the contract's phones) are the same unit strings.

Spanish spirants (``β ð ɣ``) are allophones of ``b d g`` and ``ʝ`` of the glide ``j``:
the contract writes them as the stops and ``YI``, and so do the units.
"""

from __future__ import annotations

from typing import Literal

Language = Literal["fr", "es"]

FRENCH_UNITS = (
    "a", "ɑ̃", "ə", "e", "ɛ", "ɛ̃", "ø", "y", "i", "œ", "œ̃", "ɔ", "ɔ̃", "o", "u",
    "b", "d", "f", "g", "ɥ", "k", "l", "m", "n", "ŋ", "p", "ʁ", "s", "ʃ", "t", "v", "w", "j", "z", "ʒ",
)
SPANISH_ONLY_UNITS = ("ɲ", "r", "ɾ", "θ", "x", "ʎ", "tʃ")
# Index 0 of the head's output is the CTC blank; unit k is output k + 1.
UNITS = FRENCH_UNITS + SPANISH_ONLY_UNITS
UNIT_INDEX = {unit: k + 1 for k, unit in enumerate(UNITS)}
BLANK = 0

_FRENCH = {
    "AD": ("a",), "AGN": ("ɑ̃",), "AH": ("ə",), "EE": ("e",), "EH": ("ɛ",), "EHN": ("ɛ̃",), "EU": ("ø",),
    "IO": ("y",), "IY": ("i",), "OE": ("œ",), "OEN": ("œ̃",), "OO": ("ɔ",), "OON": ("ɔ̃",), "UO": ("o",),
    "UW": ("u",), "B": ("b",), "D": ("d",), "F": ("f",), "G": ("g",), "GN": ("n", "j"), "HJ": ("ɥ",),
    "K": ("k",), "L": ("l",), "M": ("m",), "N": ("n",), "NG": ("ŋ",), "P": ("p",), "RW": ("ʁ",),
    "S": ("s",), "SH": ("ʃ",), "T": ("t",), "V": ("v",), "W": ("w",), "Y": ("j",), "Z": ("z",), "ZH": ("ʒ",),
}
_SPANISH = {
    "AD": ("a",), "EE": ("e",), "IY": ("i",), "UO": ("o",), "UW": ("u",),
    "AI": ("a", "j"), "AU": ("a", "w"), "EI": ("e", "j"), "EW": ("e", "w"), "OI": ("o", "j"), "OU": ("o", "w"),
    "WA": ("w", "a"), "WE": ("w", "e"), "WI": ("w", "i"), "WO": ("w", "o"), "YI": ("j",),
    "B": ("b",), "CH": ("tʃ",), "D": ("d",), "F": ("f",), "G": ("g",), "GN": ("ɲ",), "K": ("k",),
    "L": ("l",), "M": ("m",), "N": ("n",), "P": ("p",), "RR": ("r",), "RT": ("ɾ",), "S": ("s",),
    "T": ("t",), "TH": ("θ",), "X": ("x",), "YL": ("ʎ",),
}
CONTRACT_UNITS: dict[Language, dict[str, tuple[str, ...]]] = {"fr": _FRENCH, "es": _SPANISH}

# espeak-ng symbols that are not units themselves, read as the unit(s) they stand for here.
_ESPEAK_READINGS: dict[str, tuple[str, ...]] = {
    "ɡ": ("g",), "β": ("b",), "ð": ("d",), "ɣ": ("g",), "ʝ": ("j",), "ɑ": ("a",),
    "aɪ": ("a", "j"), "aʊ": ("a", "w"), "eɪ": ("e", "j"), "eʊ": ("e", "w"), "oɪ": ("o", "j"), "oʊ": ("o", "w"),
    # English inside French or Spanish text ("parking", "week-end"): the nearest native units.
    "iː": ("i",), "ɪ": ("i",), "æ": ("a",), "ɑː": ("a",), "ɒ": ("ɔ",), "ɔː": ("ɔ",), "ʊ": ("u",),
    "uː": ("u",), "ʌ": ("œ",), "ɜː": ("œ",), "ɚ": ("œ", "ʁ"), "əʊ": ("o",), "ɔɪ": ("ɔ", "j"),
    "ɹ": ("ʁ",), "dʒ": ("d", "ʒ"), "h": (), "ʔ": (),
}
# Units a language has no contract phone for, read as that language's nearest units. espeak-ng
# writes them for allophones (Spanish ``ŋ`` in *tengo*), for mid vowels Spanish does not
# contrast (``ɛ`` in *cuarenta*), for French ``ɲ`` (its ``GN`` is ``n j``) and for English words
# read with English rules (Spanish *show*: ``ʃ``). French refuses the other Spanish-only units:
# no French voice writes them, so one would be a new espeak-ng release's surprise.
_NATIVE: dict[Language, dict[str, tuple[str, ...]]] = {
    "fr": {"ɲ": ("n", "j"), "tʃ": ("t", "ʃ")},
    "es": {
        "ɛ": ("e",), "ɔ": ("o",), "ə": ("e",), "ŋ": ("n",), "z": ("s",), "v": ("b",),
        "ʃ": ("tʃ",), "ʒ": ("j",), "ʁ": ("ɾ",), "y": ("i",), "ɥ": ("w",), "ø": ("e",),
        "œ": ("e",), "ɑ̃": ("a",), "ɛ̃": ("e",), "œ̃": ("e",), "ɔ̃": ("o",),
    },
}
_MARKS = str.maketrans("", "", "ˈˌː-")
VOWEL_UNITS = frozenset({"a", "ɑ̃", "ə", "e", "ɛ", "ɛ̃", "ø", "y", "i", "œ", "œ̃", "ɔ", "ɔ̃", "o", "u"})


def espeak_units(ipa_word: str, language: Language) -> tuple[str, ...]:
    """The units of one word as espeak-ng writes it (``_``-separated IPA, stress marks kept).

    French ``y`` before a vowel is the glide ``ɥ`` (espeak-ng writes *huit* ``y_ˈi_t``);
    language-switch marks (``(en)``) are dropped and the switched phones read natively.
    Raises ValueError for a symbol that has no reading, so a new espeak-ng release cannot
    slip unknown units into training targets or expectations.
    """
    return tuple(unit for unit, _ in espeak_segments(ipa_word, language))


def espeak_segments(ipa_word: str, language: Language) -> tuple[tuple[str, int | None], ...]:
    """:func:`espeak_units` with each unit's stress: 1 after espeak-ng's ``ˈ``, 2 after ``ˌ``
    (on the next vowel unit), 0 on other vowel units, None on consonants and glides."""
    segments: list[tuple[str, int | None]] = []
    pending: int | None = None
    for token in ipa_word.split("_"):
        if not token or (token.startswith("(") and token.endswith(")")):
            continue
        if "ˈ" in token or "ˌ" in token:
            pending = 1 if "ˈ" in token else 2
        key = token if token in _ESPEAK_READINGS else token.translate(_MARKS)
        if not key:
            continue
        for unit in _read(key, token, language):
            stress: int | None = None
            if unit in VOWEL_UNITS:
                stress = pending if pending is not None else 0
                pending = None
            segments.append((unit, stress))
    if language == "es":
        # es-419 writes intervocalic *ll* as two glides (*calle* ``k_ˈa_j_j_e``): one ʝ is said.
        segments = [s for k, s in enumerate(segments) if not (k and s[0] == "j" == segments[k - 1][0])]
        segments = _spanish_glides(segments)
    if language == "fr":
        segments = [
            ("ɥ", None) if u == "y" and k + 1 < len(segments) and segments[k + 1][0] in VOWEL_UNITS
            else (u, s)
            for k, (u, s) in enumerate(segments)
        ]
    return tuple(segments)


_SPANISH_GLIDES = {"i": "j", "u": "w"}


def _spanish_glides(segments: list[tuple[str, int | None]]) -> list[tuple[str, int | None]]:
    """An unstressed ``i`` or ``u`` next to another vowel is a glide in Spanish, which espeak-ng
    sometimes writes as a vowel (*pingüino* ``g_u_ˈi``, *estudiáis* ``ˈa_i_s``): read it as
    ``w``/``j``, so the diphthong is one phone (``WI``, ``AI``), as 11.4 writes them. A
    stressed one stays a vowel (*país*, *reúne*), the first of two glides goes first."""
    out = list(segments)
    for k, (unit, stress) in enumerate(out):
        if unit not in _SPANISH_GLIDES or stress != 0:
            continue
        before = k > 0 and out[k - 1][0] in VOWEL_UNITS
        after = k + 1 < len(out) and out[k + 1][0] in VOWEL_UNITS
        if before or after:
            out[k] = (_SPANISH_GLIDES[unit], None)
    return out


def _read(key: str, token: str, language: Language) -> tuple[str, ...]:
    if key in _ESPEAK_READINGS:
        read = _ESPEAK_READINGS[key]
    elif key in UNIT_INDEX:
        read = (key,)
    else:
        raise ValueError(f"no {language} unit for espeak-ng symbol {token!r}")
    native = _NATIVE[language]
    units = tuple(unit for r in read for unit in native.get(r, (r,)))
    if language == "fr" and any(u in SPANISH_ONLY_UNITS for u in units):
        raise ValueError(f"no fr unit for espeak-ng symbol {token!r}")
    return units


def contract_units(code: str, language: Language) -> tuple[str, ...]:
    """The units a contract phone (upper case wire code) owns; KeyError for a code of no inventory."""
    return CONTRACT_UNITS[language][code]
