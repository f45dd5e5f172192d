"""English dialects: pronunciations of words in each dialect's wire phones (French and Spanish:
:mod:`orato.lang.romance`; :func:`dialect` gives either).

* **en-us** — CMUdict, every listed variant, ARPAbet lower-cased without digits; the digit
  is the vowel's lexical stress.
* **en-gb** — espeak-ng's British voice (``gmw/en``), its IPA mapped onto the 44 phones of
  11.2 with :data:`GB_IPA` below. Further CMUdict variants (heteronyms such as *read*) are
  added after it, converted to British phones by :func:`us_to_gb`; the same conversion is
  the fallback when espeak-ng is unavailable or says something :data:`GB_IPA` cannot map.
  Which words are *known* is decided by the lexicon (CMUdict) in both dialects, so a script
  is accepted or refused alike whatever the dialect.
* **Unknown words** (``include_unknown_words=1``) — espeak-ng in the dialect's voice (en-us:
  :data:`US_IPA`), digits spelled out by espeak-ng ("42" -> forty-two). Their phones carry
  no ``word_extent``: nothing guarantees the guessed phones follow the spelling (2.8).

Lexicon pronunciations get ``word_extent`` from :func:`orato.lang.align.align`, and every
pronunciation is syllabified by maximum onset with letters from written hyphenation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from orato.lang import espeak
from orato.lang.align import align, fold
from orato.lang.languages import language
from orato.lang.lexicon import WordSet, english_lexicon, normalise_word
from orato.lang.phones import PhoneSet, phone_set
from orato.lang.pronunciation import Phone, Pronunciation, with_extents, without_extents
from orato.lang.romance import RomanceDialect, romance_dialect

# --- IPA -> wire phones ---------------------------------------------------------------------
# Keys are espeak-ng's IPA phonemes (one token between its "_" separators, stress marks
# removed). A value of several codes is one IPA phoneme the inventory splits (British
# "fire" aɪə -> ay ax; syllabic n̩ -> ax n, so that every syllable keeps a vowel).

_CONSONANT_IPA: dict[str, tuple[str, ...]] = {
    "p": ("p",), "b": ("b",), "t": ("t",), "d": ("d",), "k": ("k",), "ɡ": ("g",), "g": ("g",),
    "f": ("f",), "v": ("v",), "θ": ("th",), "ð": ("dh",), "s": ("s",), "z": ("z",),
    "ʃ": ("sh",), "ʒ": ("zh",), "h": ("hh",), "m": ("m",), "n": ("n",), "ŋ": ("ng",),
    "l": ("l",), "ɫ": ("l",), "ɹ": ("r",), "r": ("r",), "j": ("y",), "w": ("w",),
    "tʃ": ("ch",), "dʒ": ("jh",),
    # Sounds the inventories lack, mapped to the nearest phone a learner is scored on.
    "x": ("k",),  # loch
    "ç": ("hh",),  # huge (some voices)
    "ʔ": ("t",),  # glottal stop for t (button)
    "ɾ": ("t",),  # American flap (water, better)
    "ʍ": ("w",),  # which (some voices)
    "ɬ": ("l",),  # Welsh ll (Llanelli)
}

# en-gb: vowels of 11.2. ɐ and ə are the reduced vowel ax; stressed, they become ah.
GB_IPA: dict[str, tuple[str, ...]] = {
    **_CONSONANT_IPA,
    "ɑː": ("aa",), "ɑ": ("aa",), "a": ("ae",), "æ": ("ae",), "ʌ": ("ah",),
    "ɔː": ("ao",), "ɔ": ("ao",), "oː": ("ao",), "aʊ": ("aw",), "ə": ("ax",), "ɐ": ("ax",),
    "ɚ": ("ax",), "aɪ": ("ay",), "eə": ("ea",), "ɛə": ("ea",), "eː": ("ea",), "ɛː": ("ea",),
    "ɛ": ("eh",), "e": ("eh",), "ɜː": ("er",), "ɜ": ("er",), "eɪ": ("ey",), "iə": ("ia",),
    "ɪə": ("ia",), "ɪ": ("ih",), "ᵻ": ("ih",), "iː": ("iy",), "i": ("iy",), "ɒ": ("oh",),
    "əʊ": ("ow",), "oʊ": ("ow",), "o": ("ow",), "ɔɪ": ("oy",), "ʊə": ("ua",), "ʊ": ("uh",),
    "uː": ("uw",), "u": ("uw",),
    "aɪə": ("ay", "ax"), "aʊə": ("aw", "ax"), "əl": ("ax", "l"), "l̩": ("ax", "l"),
    "n̩": ("ax", "n"), "m̩": ("ax", "m"),
}
# en-us: vowels of 11.1. American r-coloured vowels keep their r as a phone (CMUdict style).
US_IPA: dict[str, tuple[str, ...]] = {
    **_CONSONANT_IPA,
    "ɑː": ("aa",), "ɑ": ("aa",), "ɑːɹ": ("aa", "r"), "ɑɹ": ("aa", "r"), "æ": ("ae",),
    "a": ("ae",), "ʌ": ("ah",), "ə": ("ah",), "ɐ": ("ah",), "ɔː": ("ao",), "ɔ": ("ao",),
    "ɔːɹ": ("ao", "r"), "ɔɹ": ("ao", "r"), "oːɹ": ("ao", "r"), "oɹ": ("ao", "r"),
    "aʊ": ("aw",), "aɪ": ("ay",), "aɪɚ": ("ay", "er"), "aɪə": ("ay", "er"),
    "aʊɚ": ("aw", "er"), "aʊə": ("aw", "er"), "ɛ": ("eh",), "e": ("eh",),
    "ɛɹ": ("eh", "r"), "ɛə": ("eh", "r"), "eə": ("eh", "r"), "ɚ": ("er",), "ɜː": ("er",),
    "ɝ": ("er",), "ɜ": ("er",), "ɜːɹ": ("er",), "eɪ": ("ey",), "ɪ": ("ih",), "ᵻ": ("ih",),
    "ɪɹ": ("ih", "r"), "ɪə": ("ih", "r"), "iə": ("iy", "ah"), "iɚ": ("iy", "er"),
    "iː": ("iy",), "i": ("iy",), "oʊ": ("ow",), "o": ("ow",), "əʊ": ("ow",), "ɔɪ": ("oy",),
    "ʊ": ("uh",), "ʊɹ": ("uh", "r"), "ʊə": ("uh", "r"), "uː": ("uw",), "u": ("uw",),
    "əl": ("ah", "l"), "l̩": ("ah", "l"), "n̩": ("ah", "n"), "m̩": ("ah", "m"),
}
_IPA = {"en-us": US_IPA, "en-gb": GB_IPA}
_REDUCED_IPA = frozenset({"ə", "ɐ", "ɚ", "ᵻ", "əl", "l̩", "n̩", "m̩"})
_IGNORED = str.maketrans("", "", "ˑ\u0361\u035c\u200d-")  # half-long, tie bars, joiners


class UnmappableIpa(ValueError):
    """espeak-ng produced a phoneme the dialect's table does not know."""


def ipa_to_phones(words: Sequence[str], dialect: str) -> list[Phone]:
    """Map espeak-ng's IPA words (``_``-separated phonemes) onto the dialect's wire phones.

    Stress marks (ˈ primary, ˌ secondary) apply to the next vowel; unmarked vowels get 0.
    espeak-ng leaves function words unstressed in citation form (*for*, *to*), where the
    lexicon gives them a primary stress, so a word without primary stress has its first
    secondary, else its first full vowel, promoted to primary: a word said alone is stressed.
    """
    table = _IPA[dialect]
    vowels = phone_set(dialect).vowels
    out: list[tuple[str, int | None, bool]] = []  # code, stress, reduced
    for word in words:
        pending: int | None = None
        for token in word.split("_"):
            token = _strip_language_marks(token).translate(_IGNORED)
            while token and token[0] in "ˈˌ":
                pending = 1 if token[0] == "ˈ" else 2
                token = token[1:]
            if not token:
                continue
            codes = table.get(token)
            if codes is None:
                raise UnmappableIpa(token)
            reduced = token in _REDUCED_IPA
            if codes == ("r",) and out and out[-1][0] == "r":
                continue  # an r-coloured vowel already brought its r (US ɑːɹ + ɹ)
            if dialect == "en-us" and codes[0] == "r" and [c for c, _, _ in out[-2:]] == ["iy", "ah"]:
                out.pop()  # US iə before r is iy r (zero), not iy ah r
            for code in codes:
                if code in vowels:
                    stress = pending if pending is not None else 0
                    pending = None
                    if dialect == "en-gb" and code == "ax" and stress:
                        code = "ah"  # 11.2: ax is always unstressed
                    out.append((code, stress, reduced))
                else:
                    out.append((code, None, False))
    if out and not any(s == 1 for _, s, _ in out):
        idx = next((i for i, (_, s, _) in enumerate(out) if s == 2), None)
        if idx is None:
            idx = next(
                (i for i, (c, s, r) in enumerate(out) if s == 0 and not r and c != "ax"), None
            )
        if idx is not None:
            out[idx] = (out[idx][0], 1, out[idx][2])
    return [Phone(code, stress) for code, stress, _ in out]


def _strip_language_marks(token: str) -> str:
    """espeak-ng wraps words it reads in another language's rules in "(fr)...(en)"."""
    while "(" in token and ")" in token:
        a = token.index("(")
        b = token.index(")", a)
        token = token[:a] + token[b + 1 :]
    return token


# --- CMUdict -> wire phones -------------------------------------------------------------------


def arpabet_to_phones(arpabet: Sequence[str]) -> list[Phone]:
    """CMUdict phones (``AH0``) -> en-us wire phones with stress from the digit."""
    out = []
    for p in arpabet:
        if p[-1].isdigit():
            out.append(Phone(p[:-1].lower(), int(p[-1])))
        else:
            out.append(Phone(p.lower(), None))
    return out


# Vowel + r before a consonant or the end of the word, said the British (non-rhotic) way.
_GB_R_VOWELS: dict[str, tuple[str, ...]] = {
    "ih": ("ia",), "iy": ("ia",), "eh": ("ea",), "ey": ("ea",), "ae": ("ea",),
    "uh": ("ua",), "uw": ("ua",), "aa": ("aa",), "ao": ("ao",), "ow": ("ao",),
    "ay": ("ay", "ax"), "aw": ("aw", "ax"), "ah": ("er",), "oy": ("oy", "ax"),
}


def us_to_gb(word: str, phones: Sequence[Phone]) -> list[Phone]:
    """Rule conversion of an en-us (CMUdict) pronunciation to en-gb phones.

    Non-rhotic r (vowel + r not followed by a vowel becomes ia/ea/ua/aa/ao/er), unstressed
    AH and ER become ax, and AA spelled with an *o* becomes the British lot vowel oh. It
    cannot know the British bath vowel (US ae, GB aa) and keeps ae: the fallback is for
    words espeak-ng cannot say, not a replacement for it.
    """
    us_vowels = phone_set("en-us").vowels
    extents = align(word, tuple(p.code for p in phones), "en-us")
    letters = fold(word)
    out: list[Phone] = []
    i = 0
    while i < len(phones):
        p = phones[i]
        nxt = phones[i + 1] if i + 1 < len(phones) else None
        after = phones[i + 2] if i + 2 < len(phones) else None
        r_coda = (
            nxt is not None and nxt.code == "r" and (after is None or after.code not in us_vowels)
        )
        if p.code in us_vowels and r_coda:
            merged = _GB_R_VOWELS.get(p.code, (p.code,))
            out.append(Phone(merged[0], p.stress))
            out.extend(Phone(c, 0) for c in merged[1:])
            i += 2
            continue
        if p.code == "er":
            out.append(Phone("er" if p.stress else "ax", p.stress))
            if nxt is not None and nxt.code in us_vowels:
                out.append(Phone("r"))  # the linking r of hurry, separate
        elif p.code == "ah":
            out.append(Phone("ax" if p.stress == 0 else "ah", p.stress))
        elif p.code == "aa":
            a, b = extents[i]
            out.append(Phone("oh" if letters[a:b].startswith("o") else "aa", p.stress))
        else:
            out.append(p)
        i += 1
    return out


# --- the dialects -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Dialect:
    """One English dialect's pronunciation source; see the module docstring."""

    name: str

    @property
    def inventory(self) -> PhoneSet:
        return phone_set(self.name)

    def pronounce(self, word: str) -> list[Pronunciation]:
        """Every lexicon pronunciation of ``word`` (first = default), with ``word_extent``;
        empty when the lexicon does not know the word."""
        return list(_pronounce(self.name, word))

    def infer(self, word: str) -> list[Pronunciation]:
        """A guessed pronunciation for a word the lexicon lacks (``include_unknown_words``),
        without ``word_extent``; empty when nothing sensible can be produced."""
        return list(_infer(self.name, word))

    def knows(self, word: str) -> bool:
        return word in english_lexicon()

    @property
    def words(self) -> WordSet:
        """The words the dialect knows (2.8): CMUdict's."""
        return english_lexicon()


def dialect(name: str) -> Dialect | RomanceDialect:
    """The dialect called ``name`` (English here, French and Spanish in :mod:`orato.lang.romance`);
    KeyError for one the language layer cannot pronounce."""
    lang = language(name)
    if lang == "en":
        return Dialect(name)
    return romance_dialect(name)


@lru_cache(maxsize=32768)
def _pronounce(dialect_name: str, word: str) -> tuple[Pronunciation, ...]:
    entries = english_lexicon().pronunciations(word)
    if not entries:
        return ()
    us = [arpabet_to_phones(e) for e in entries]
    if dialect_name == "en-us":
        variants = us
        sources = ["cmudict"] * len(us)
    else:
        variants, sources = [], []
        first = _espeak_phones(normalise_word(word), "en-gb")
        if first is None or not first:
            first = us_to_gb(word, us[0])
            sources.append("rules")
        else:
            sources.append("espeak")
        variants.append(first)
        keys = {_variant_key(first)}
        for alt in us:
            # Only alternatives that change what a listener hears as the word: heteronyms
            # (read, live) and the like, not CMUdict's reduced or cot-caught variants.
            if not any(p.stress == 1 for p in alt):
                continue
            converted = us_to_gb(word, alt)
            key = _variant_key(converted)
            if key in keys:
                continue
            keys.add(key)
            variants.append(converted)
            sources.append("rules")
    out: list[Pronunciation] = []
    seen: set[tuple[tuple[str, int | None], ...]] = set()
    for phones, source in zip(variants, sources, strict=True):
        phone_key = tuple((p.code, p.stress) for p in phones)
        if phone_key in seen or not phones:
            continue
        seen.add(phone_key)
        out.append(with_extents(word, phones, dialect_name, source))
    return tuple(out)


_MERGED = {"ao": "aa", "oh": "aa"}


def _variant_key(phones: Sequence[Phone]) -> tuple[str, ...]:
    """Consonants and primary-stressed vowels, the back vowels merged (CMUdict's cot/caught
    variants): what makes two British variants different words to a listener."""
    return tuple(_MERGED.get(p.code, p.code) for p in phones if p.stress in (None, 1))


_GB_CITATION = {"a": [Phone("ax", 0)]}  # espeak-ng reads a lone "a" as the letter name


def _espeak_phones(text: str, dialect_name: str) -> list[Phone] | None:
    if dialect_name == "en-gb" and text in _GB_CITATION:
        return list(_GB_CITATION[text])
    try:
        words = espeak.ipa_words(text, dialect_name)
        return ipa_to_phones(words, dialect_name)
    except (espeak.EspeakUnavailable, OSError, UnmappableIpa, ValueError):
        return None


@lru_cache(maxsize=8192)
def _infer(dialect_name: str, word: str) -> tuple[Pronunciation, ...]:
    phones = _espeak_phones(word, dialect_name)
    if not phones:
        return ()
    return (without_extents(word, phones, dialect_name, "g2p"),)
