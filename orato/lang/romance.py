"""French and Spanish dialects: pronunciations of words in the contract's phones (11.3, 11.4).

* **Pronunciations** — espeak-ng in the dialect's voice (fr-fr and fr-ca: French; es-es:
  Spanish with *distinción*; es-mx: es-419, with *seseo* and *yeísmo*), read into the fr/es
  units (:func:`~orato.lang.romance_units.espeak_segments`) and grouped into contract phones:
  Spanish falling diphthongs (with espeak-ng's unstressed ``i``/``u`` next to a vowel read as
  glides) are one phone (``a j`` -> ``AI``) unless the glide is a written
  final *y* (*rey* ``EE YI``, *hoy* ``UO YI``, *muy* ``UW YI``), a glide before a vowel is a
  rising diphthong (``w e`` -> ``WE``) or ``YI`` before its vowel (*piano* ``YI AD``); French
  ``n j`` spelled *gn* is ``GN``. Each contract phone owns exactly the units it was grouped
  from, so the units of :meth:`~orato.lang.Pronunciation.expected_word` are espeak-ng's.
* **Stress** — Spanish vowels 1 where espeak-ng marks primary stress, else 0; a word espeak-ng
  leaves unstressed (*pero*, said alone) gets its secondary mark, else its penultimate vowel
  (the default Spanish stress of a word ending in a vowel). French: always None (11.3).
* **Dialect variants**, extra pronunciations the engine may match, each correct in its own
  dialect only: fr-ca *assibilation* (``T`` said ``t s``, ``D`` said ``d z`` before ``IY``,
  ``IO``, ``Y``, ``HJ``) and *laxing* of ``IY IO UW`` in a word's final closed syllable
  (unless closed by ``RW V Z ZH``, which lengthen instead): the lax vowels [ɪ ʏ ʊ] have no
  unit, so the nearest ones stand in, the close-mid vowels of the same rounding and place
  (``e ø o``). es-es *yeísmo* (``YL`` said as ``YI``: most of Spain merges them). es-mx needs
  none: its voice already says ``S`` and ``YI`` (decision 32).
* **Known words** — the dialect's language in ``wordfreq`` (installed data, read offline): a
  word is known when each of its wordfreq tokens is listed (*l'homme* = *l'* + *homme*,
  *porte-monnaie*), and a word with a digit never is (numbers are inferred, as in English).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from orato.lang import espeak
from orato.lang.align import fold
from orato.lang.languages import language
from orato.lang.lexicon import WordSet, normalise_word
from orato.lang.phones import phone_set
from orato.lang.pronunciation import Phone, Pronunciation, with_extents, without_extents
from orato.lang.romance_units import CONTRACT_UNITS, VOWEL_UNITS, Language, espeak_segments
from orato.registry import models

Segment = tuple[str, int | None]

# French words espeak-ng misreads, in espeak-ng's notation: *pull* and *parking* its French
# rules switch to English (``p_ˈʊ_l``, no r), the word *y* it spells as the letter (*i grec*).
_FRENCH_READINGS = {"pull": "p_ˈy_l", "parking": "p_a_ʁ_k_ˈi_ŋ", "y": "ˈi"}

_ES_FALLING = {("a", "j"): "AI", ("e", "j"): "EI", ("o", "j"): "OI",
               ("a", "w"): "AU", ("e", "w"): "EW", ("o", "w"): "OU"}
_ES_RISING = {"a": "WA", "e": "WE", "i": "WI", "o": "WO"}
_ES_MX_MERGED = {"TH": "S", "YL": "YI"}


class FrequencyWords:
    """The words of one language's ``wordfreq`` list: what the dialect knows (2.8)."""

    def __init__(self, lang: Language) -> None:
        from wordfreq import get_frequency_dict
        from wordfreq.tokens import tokenize

        self._lang = lang
        self._tokenize = tokenize
        self._frequencies = get_frequency_dict(lang)

    def __contains__(self, word: str) -> bool:
        if any(c.isdigit() for c in word):
            return False
        tokens = self._tokenize(normalise_word(word), self._lang)
        return bool(tokens) and all(t in self._frequencies for t in tokens)


def known_words(lang: Language) -> FrequencyWords:
    return models.get(f"lexicon:wordfreq-{lang}", lambda: FrequencyWords(lang))


@dataclass(frozen=True)
class RomanceDialect:
    """One French or Spanish dialect's pronunciation source; see the module docstring."""

    name: str
    lang: Language

    @property
    def words(self) -> WordSet:
        return known_words(self.lang)

    def pronounce(self, word: str) -> list[Pronunciation]:
        """Every pronunciation of a known ``word`` (first = default), with ``word_extent``;
        empty when the word list lacks it or espeak-ng cannot say it."""
        if word not in self.words:
            return []
        return list(_pronounce(self.name, word, True))

    def infer(self, word: str) -> list[Pronunciation]:
        """Pronunciations of any word from espeak-ng's rules, without ``word_extent`` (2.8)."""
        return list(_pronounce(self.name, word, False))


def romance_dialect(name: str) -> RomanceDialect:
    """The French or Spanish dialect ``name``; KeyError for any other."""
    lang = language(name)
    if lang != "fr" and lang != "es":
        raise KeyError(name)
    return RomanceDialect(name, lang)


@lru_cache(maxsize=32768)
def _pronounce(dialect: str, word: str, placed: bool) -> tuple[Pronunciation, ...]:
    lang = romance_dialect(dialect).lang
    segments = _segments(word, dialect, lang)
    if not segments:
        return ()
    default = contract_phones(segments, word, lang, dialect)
    listed, derived = ("espeak", "rules") if placed else ("g2p", "g2p")
    variants = [(default, listed)] + [(v, derived) for v in _variants(default, dialect)]
    build = with_extents if placed else without_extents
    out: list[Pronunciation] = []
    seen: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
    for phones, source in variants:
        pronunciation = build(word, phones, dialect, source)
        key = (pronunciation.codes, pronunciation.expected_word(word).phones)
        if key not in seen:
            seen.add(key)
            out.append(pronunciation)
    return tuple(out)


def _segments(word: str, dialect: str, lang: Language) -> tuple[Segment, ...]:
    """espeak-ng's units of ``word`` with stresses; empty when espeak-ng cannot say it."""
    text = normalise_word(word)
    try:
        ipa = (
            (_FRENCH_READINGS[text],)
            if lang == "fr" and text in _FRENCH_READINGS
            else espeak.ipa_words(text, dialect)
        )
        return tuple(s for w in ipa for s in espeak_segments(w, lang))
    except (espeak.EspeakUnavailable, OSError, ValueError):
        return ()


def contract_phones(
    segments: Sequence[Segment], word: str, lang: Language, dialect: str
) -> list[Phone]:
    """Group units (with stresses) into the dialect's contract phones, each phone owning the
    units it was grouped from (see the module docstring for the rules)."""
    phones = _french(segments, word) if lang == "fr" else _spanish(segments, word, dialect)
    return _stressed(phones) if lang == "es" else phones


def _single_codes(lang: Language) -> dict[str, str]:
    return {units[0]: code for code, units in CONTRACT_UNITS[lang].items() if len(units) == 1}


_FR_SINGLE = _single_codes("fr")
_ES_SINGLE = _single_codes("es")


def _french(segments: Sequence[Segment], word: str) -> list[Phone]:
    """French: one unit, one phone, except ``n j`` spelled *gn* (``GN``)."""
    letters = fold(word)
    units = [u for u, _ in segments]
    pronounced_g = sum(1 for a, b in zip(units, units[1:], strict=False) if (a, b) == ("g", "n"))
    gn_left = letters.count("gn") - pronounced_g
    out: list[Phone] = []
    i = 0
    while i < len(units):
        if gn_left > 0 and units[i : i + 2] == ["n", "j"]:
            out.append(Phone("GN"))
            gn_left -= 1
            i += 2
            continue
        out.append(Phone(_FR_SINGLE[units[i]]))
        i += 1
    return out


def _spanish(segments: Sequence[Segment], word: str, dialect: str) -> list[Phone]:
    """Spanish: diphthongs and glides as 11.4 writes them."""
    final_y = fold(word).endswith("y")
    out: list[Phone] = []
    i, n = 0, len(segments)

    def vowel_at(k: int) -> bool:
        return k < n and segments[k][0] in VOWEL_UNITS

    while i < n:
        unit, stress = segments[i]
        nxt = segments[i + 1][0] if i + 1 < n else None
        if unit == "w" and vowel_at(i + 1) and nxt in _ES_RISING:
            out.append(Phone(_ES_RISING[nxt], segments[i + 1][1]))
            i += 2
            continue
        falling = _ES_FALLING.get((unit, nxt or ""))
        if falling is not None and not vowel_at(i + 2):
            written_y = nxt == "j" and final_y and i + 2 == n
            if not written_y:
                out.append(Phone(falling, stress))
                i += 2
                continue
        if unit == "w":
            out.append(Phone("UW", None, units=("w",)))  # a lone glide: the nearest phone
        else:
            code = _ES_SINGLE[unit]
            if dialect == "es-mx" and code in _ES_MX_MERGED:
                code = _ES_MX_MERGED[code]
            out.append(Phone(code, stress))
        i += 1
    return out


def _stressed(phones: list[Phone]) -> list[Phone]:
    """Spanish stress 0/1: espeak-ng's secondary marks become 0 unless the word has no primary
    (then its first secondary, else its penultimate vowel, is the stress)."""
    vowels = [k for k, p in enumerate(phones) if p.stress is not None]
    if not vowels:
        return phones
    if any(phones[k].stress == 1 for k in vowels):
        chosen = {k for k in vowels if phones[k].stress == 1}
    else:
        second = [k for k in vowels if phones[k].stress == 2]
        chosen = {second[0] if second else vowels[-2] if len(vowels) > 1 else vowels[0]}
    return [replace(p, stress=int(k in chosen)) if k in vowels else p for k, p in enumerate(phones)]


# --- dialect variants -----------------------------------------------------------------------

_FR_CA_FRONT_HIGH = frozenset({"IY", "IO", "Y", "HJ"})
_FR_CA_AFFRICATES = {"T": ("t", "s"), "D": ("d", "z")}
_FR_CA_LAX = {"IY": ("e",), "IO": ("ø",), "UW": ("o",)}
_FR_CA_LENGTHENING = frozenset({"RW", "V", "Z", "ZH"})


def _variants(phones: list[Phone], dialect: str) -> list[list[Phone]]:
    """Pronunciations a native speaker of ``dialect`` says besides the default (see above)."""
    if dialect == "fr-ca":
        affricated = _affricated(phones)
        return [_laxed(affricated), affricated]
    if dialect == "es-es" and any(p.code == "YL" for p in phones):
        return [[Phone("YI", p.stress) if p.code == "YL" else p for p in phones]]
    return []


def _affricated(phones: list[Phone]) -> list[Phone]:
    return [
        replace(p, units=_FR_CA_AFFRICATES[p.code])
        if p.code in _FR_CA_AFFRICATES and k + 1 < len(phones)
        and phones[k + 1].code in _FR_CA_FRONT_HIGH
        else p
        for k, p in enumerate(phones)
    ]


def _laxed(phones: list[Phone]) -> list[Phone]:
    vowels = phone_set("fr-ca").vowels
    last = max((k for k, p in enumerate(phones) if p.code in vowels), default=None)
    if last is None or phones[last].code not in _FR_CA_LAX:
        return phones
    coda = phones[last + 1 :]
    if not coda or coda[0].code in _FR_CA_LENGTHENING:
        return phones
    out = list(phones)
    out[last] = replace(phones[last], units=_FR_CA_LAX[phones[last].code])
    return out
