"""The shape of a pronunciation, shared by lexicon words, inferred words, markup and phone lists.

A :class:`Pronunciation` is what the response layer needs (syllables with dialect phones,
stress, letters and ``word_extent``, sections 9.1-9.3 and 13) *and* what the engine needs
(acoustic phones with stresses, :class:`ExpectedWord`), plus the link between the two: the
engine works in ARPAbet without digits while responses speak the dialect's wire notation,
and one en-gb phone may stand for two acoustic phones (``ia`` -> ``IH AH``).

French and Spanish phones map onto the units of the fr/es phone model
(:mod:`orato.lang.romance_units`): a contract phone owns one or two units (Spanish ``AI`` =
``a j``), and a dialect variant may give a phone other units than its own (fr-ca ``T`` said
``t s`` before ``i``), which :attr:`Phone.units` then holds.

Also here: syllabification by maximum onset and the assignment of written letters to
syllables (decision 25), because markup, lexicon and inferred words all need them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from orato.lang.align import align
from orato.lang.expected import ExpectedWord
from orato.lang.languages import language
from orato.lang.phones import phone_set
from orato.lang.romance_units import VOWEL_UNITS, contract_units

Extent = tuple[int, int]

# --- dialect phone -> acoustic phones -----------------------------------------------------

# The engine's acoustic model knows the 39 CMUdict phones (ARPAbet, en-us). en-us wire codes
# are those phones in lower case. en-gb has five vowels en-us lacks; each is mapped onto the
# American phone(s) a British speaker's sound is closest to:
#   ax (ə)  -> AH   the en-us schwa is AH0
#   oh (ɒ)  -> AA   "lot" words are AA in en-us (CMUdict), the acoustic neighbour of ɒ
#   ea (eə) -> EH   modern RP says [ɛː] (square); a glide to ə is optional, an r is absent
#   ia (ɪə) -> IH AH  a real centring diphthong: two acoustic phones
#   ua (ʊə) -> UH AH  likewise (cure, tour)
# The other en-gb codes are the en-us codes and map to themselves (er -> ER: the nearest,
# though British ɜː has no r-colour). Both acoustic phones of a two-phone vowel carry the
# vowel's stress.
_GB_ACOUSTIC: dict[str, tuple[str, ...]] = {
    "ax": ("AH",),
    "oh": ("AA",),
    "ea": ("EH",),
    "ia": ("IH", "AH"),
    "ua": ("UH", "AH"),
}
ACOUSTIC_PHONES = tuple(
    p.upper() for p in phone_set("en-us").phones
)  # the 39 CMUdict phones


def acoustic_phones(code: str, dialect: str) -> tuple[str, ...]:
    """The acoustic phones the engine expects for one dialect phone: ARPAbet without digit for
    English, the fr/es model's units for French and Spanish (``AI`` -> ``a j``, ``GN`` ->
    ``n j`` in French). KeyError for a dialect or code the layer cannot pronounce."""
    lang = language(dialect)
    if lang == "fr" or lang == "es":
        return contract_units(code, lang)
    if dialect == "en-gb":
        mapped = _GB_ACOUSTIC.get(code)
        if mapped is not None:
            return mapped
    if lang != "en":
        raise KeyError(dialect)
    return (code.upper(),)


def acoustic_inventory(dialect: str) -> tuple[str, ...]:
    """Every acoustic phone the dialect's phones own, in the contract's order: the competitors
    a ``sound_most_like`` is chosen from (es-mx has no ``θ`` or ``ʎ``, French no ``r``)."""
    return tuple(
        dict.fromkeys(a for code in phone_set(dialect).phones for a in acoustic_phones(code, dialect))
    )


# Acoustic phone -> the dialect code a response shows for it when it is *not* the expected
# phone's own rendering (sound_most_like of a mispronounced phone).
_GB_FROM_ACOUSTIC = {"AH": "ah", "AA": "aa", "EH": "eh", "IH": "ih", "UH": "uh"}


# fr/es unit -> the code ``sound_most_like`` reports for it heard alone, where no contract phone
# of the language is that one unit: the glide ``w`` alone is Spanish ``UW`` (its diphthongs all
# need a vowel), the other language's units are their nearest phone here. A French uvular ``ʁ``
# in Spanish reads ``X`` (a fricative like the jota), not ``RT``, so that the error shows.
_ROMANCE_NEAREST: dict[str, dict[str, str]] = {
    "fr": {"ɲ": "GN", "r": "RW", "ɾ": "RW", "x": "RW", "θ": "S", "ʎ": "Y", "tʃ": "SH"},
    "es": {
        "w": "UW", "ɑ̃": "AD", "ə": "EE", "ɛ": "EE", "ɛ̃": "EE", "ø": "EE", "œ": "EE", "œ̃": "EE",
        "y": "IY", "ɔ": "UO", "ɔ̃": "UO", "ɥ": "YI", "ŋ": "N", "ʁ": "X", "ʃ": "CH", "ʒ": "YI",
        "v": "B", "z": "S",
    },
}
_ES_MX_NEAREST = {"θ": "S", "ʎ": "YI"}  # seseo and yeísmo (decision 32)


@lru_cache(maxsize=512)
def _romance_phone(unit: str, dialect: str, lang: str) -> str | None:
    if dialect == "es-mx" and unit in _ES_MX_NEAREST:
        return _ES_MX_NEAREST[unit]
    single = next(
        (c for c in phone_set(dialect).phones if acoustic_phones(c, dialect) == (unit,)), None
    )
    return single if single is not None else _ROMANCE_NEAREST[lang].get(unit)


def dialect_phone(
    acoustic: str,
    dialect: str,
    expected: str | None = None,
    units: tuple[str, ...] | None = None,
) -> str | None:
    """The dialect wire code for an acoustic phone, e.g. for ``sound_most_like``.

    When ``expected`` (a dialect code) maps onto ``acoustic``, the answer is ``expected``: an
    en-gb ``oh`` heard as ``AA`` was said right and must read ``oh``, not ``aa``, and a Spanish
    ``AI`` whose ``j`` was heard is ``AI``. ``units`` are the expected phone's own in the
    variant scored (:attr:`Phone.units`): a fr-ca ``T`` said ``t s`` was said right. Otherwise the plain inverse of
    :func:`acoustic_phones` (fr/es: the code owning just that unit, ``j`` -> ``YI`` in
    Spanish, ``Y`` in French, else the nearest code above); ``sil`` and ``spn`` pass
    through, and an unknown phone gives None.
    """
    if acoustic in ("sil", "spn", "SIL", "SPN"):
        return acoustic.lower()
    if expected is not None and acoustic in (units or acoustic_phones(expected, dialect)):
        return expected
    lang = language(dialect)
    if lang == "fr" or lang == "es":
        return _romance_phone(acoustic, dialect, lang)
    code = acoustic.lower()
    if dialect == "en-gb":
        return _GB_FROM_ACOUSTIC.get(acoustic, code if code in phone_set("en-gb").phones else None)
    return code if code in phone_set(dialect).phones else None


# --- the data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phone:
    """One dialect phone of a pronunciation.

    ``stress`` is 0/1/2 on vowels, None on consonants and on vowels whose stress is not
    known (relaxed markup, phone lists without digits). ``word_extent`` is the half-open
    code-point range of the written word the phone spells (section 13), None when no
    mapping is known (inferred words, markup without ``2|``).
    """

    code: str
    stress: int | None = None
    word_extent: Extent | None = None
    # The acoustic units this phone is said with when a dialect variant says it otherwise than
    # its code's own units (fr-ca ``T`` as ``t s``); None: :func:`acoustic_phones` of the code.
    units: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Syllable:
    """A phonological syllable with the written letters assigned to it.

    ``letters`` keeps the word's casing (responses lower-case it, 9.3) and may be empty.
    ``stress`` is the stress of its vowel (9.5: a syllable's stress fields are its vowel's).
    """

    letters: str
    phones: tuple[Phone, ...]
    stress: int | None


@dataclass(frozen=True)
class PhoneRef:
    """Where an acoustic phone came from: its syllable, and its dialect phone's index in the
    word's flat phone list (the index in ``phone_score_list``)."""

    syllable: int
    phone: int


@dataclass(frozen=True)
class Pronunciation:
    """One way to say a word, in the dialect's phones, with its acoustic rendering.

    ``source`` says where it came from: ``cmudict`` (en-us lexicon), ``espeak`` (en-gb, fr and
    es lexicon words), ``rules`` (en-gb derived from CMUdict; fr-ca and es-es variants),
    ``g2p`` (inferred unknown word, variants included), ``markup`` or ``phone_list``.
    """

    dialect: str
    syllables: tuple[Syllable, ...]
    source: str

    @property
    def phones(self) -> tuple[Phone, ...]:
        return tuple(p for s in self.syllables for p in s.phones)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.phones)

    @property
    def has_word_extents(self) -> bool:
        return all(p.word_extent is not None for p in self.phones)

    @property
    def acoustic(self) -> tuple[tuple[str, int | None, PhoneRef], ...]:
        """(acoustic phone, stress, origin) for each acoustic phone, in order."""
        out: list[tuple[str, int | None, PhoneRef]] = []
        flat = 0
        for s_idx, syllable in enumerate(self.syllables):
            for phone in syllable.phones:
                units = phone.units
                for a in units if units is not None else acoustic_phones(phone.code, self.dialect):
                    stress = phone.stress if _is_acoustic_vowel(a) else None
                    out.append((a, stress, PhoneRef(s_idx, flat)))
                flat += 1
        return tuple(out)

    @property
    def links(self) -> tuple[PhoneRef, ...]:
        """For acoustic phone *k* of :meth:`expected_word`, the dialect phone it belongs to."""
        return tuple(ref for _, _, ref in self.acoustic)

    def expected_word(self, text: str) -> ExpectedWord:
        """The engine's view of this pronunciation of the word written ``text``."""
        acoustic = self.acoustic
        return ExpectedWord(
            text=text,
            phones=tuple(a for a, _, _ in acoustic),
            stresses=tuple(s for _, s, _ in acoustic),
        )


_ACOUSTIC_VOWELS = frozenset(p.upper() for p in phone_set("en-us").vowels) | VOWEL_UNITS


def _is_acoustic_vowel(phone: str) -> bool:
    return phone in _ACOUSTIC_VOWELS


# --- syllabification -----------------------------------------------------------------------

# Legal English onsets over the shared consonant codes (maximum-onset principle). Word-
# initial clusters are always onsets and word-final ones codas, so this list only decides
# where consonants between two vowels go.
_ONSETS_2 = frozenset(
    tuple(o.split())
    for o in (
        "p r,p l,b r,b l,t r,d r,k r,k l,g r,g l,f r,f l,th r,sh r,v r,"
        "s p,s t,s k,s m,s n,s l,s w,s f,t w,d w,k w,g w,s w,th w,"
        "p y,b y,k y,g y,m y,f y,v y,hh y,t y,d y"
    ).split(",")
)
_ONSETS_3 = frozenset(
    tuple(o.split()) for o in "s p r,s p l,s t r,s k r,s k w,s k l,s p y,s k y,s t y".split(",")
)


def _legal_onset(cluster: Sequence[str]) -> bool:
    n = len(cluster)
    if n == 0:
        return True
    if n == 1:
        return cluster[0] != "ng"
    if n == 2:
        return tuple(cluster) in _ONSETS_2
    return n == 3 and tuple(cluster) in _ONSETS_3


# French and Spanish onsets (contract codes): an obstruent before a liquid (*pla*, *tra*), a
# consonant before a glide (*pied*, *piano*), both (*trois*). Spanish glides after a vowel
# (*rey* ``EE YI``) are codas; French s + stop splits (*es|pace*).
_ROMANCE_LIQUIDS = {"fr": frozenset({"L", "RW"}), "es": frozenset({"L", "RT"})}
_ROMANCE_GLIDES = {"fr": frozenset({"Y", "W", "HJ"}), "es": frozenset({"YI"})}
_ROMANCE_OBSTRUENTS = frozenset({"P", "B", "T", "D", "K", "G", "F", "V"})


def _romance_onset(lang: str) -> Callable[[Sequence[str]], bool]:
    liquids, glides = _ROMANCE_LIQUIDS[lang], _ROMANCE_GLIDES[lang]

    def legal(cluster: Sequence[str]) -> bool:
        body = list(cluster)
        if len(body) > 1 and body[-1] in glides:
            body.pop()  # a glide may follow any onset
        if len(body) <= 1:
            return True
        return (
            len(body) == 2
            and body[0] in _ROMANCE_OBSTRUENTS
            and body[1] in liquids
            and tuple(body) not in {("T", "L"), ("D", "L")}
        )

    return legal


_ONSET_RULES = {"fr": _romance_onset("fr"), "es": _romance_onset("es")}


def syllabify(
    codes: Sequence[str],
    vowels: frozenset[str],
    legal_onset: Callable[[Sequence[str]], bool] = _legal_onset,
) -> list[int]:
    """Syllable sizes for ``codes`` by maximum onset: consonants between two vowels go to the
    next syllable as far as they form a legal onset (English by default: ``apple`` ->
    ``ae | p ah l``, as 9.3 shows). A word without a vowel is one syllable."""
    nuclei = [i for i, c in enumerate(codes) if c in vowels]
    if len(nuclei) <= 1:
        return [len(codes)] if codes else []
    starts = [0]
    for left, right in zip(nuclei, nuclei[1:], strict=False):
        cluster = codes[left + 1 : right]
        split = len(cluster)
        for k in range(len(cluster) + 1):
            if legal_onset(cluster[k:]):
                split = k
                break
        starts.append(left + 1 + split)
    starts.append(len(codes))
    return [b - a for a, b in zip(starts, starts[1:], strict=False)]


# --- letters of syllables -------------------------------------------------------------------

# Hyphenation dictionaries per dialect, the dialect's own first (cost 0) and a second one that
# breaks more often (cost 0.5: English's other dictionary).
_PYPHEN_LANGS: dict[str, tuple[str, ...]] = {
    "en-us": ("en_US", "en_GB"), "en-gb": ("en_GB", "en_US"),
    "fr-fr": ("fr",), "fr-ca": ("fr",), "es-es": ("es",), "es-mx": ("es",),
}


@lru_cache(maxsize=4)
def _hyphenator(lang: str):  # type: ignore[no-untyped-def]
    import pyphen

    return pyphen.Pyphen(lang=lang, left=1, right=1)


def hyphenation_points(word: str, dialect: str) -> dict[int, float]:
    """Break positions of written hyphenation, with a preference cost (0 = the dialect's own
    dictionary, 0.5 = the other English dictionary, which breaks more often)."""
    points: dict[int, float] = {}
    for lang, cost in zip(_PYPHEN_LANGS.get(dialect, _PYPHEN_LANGS["en-us"]), (0.0, 0.5), strict=False):
        for pos in _hyphenator(lang).positions(word):
            points.setdefault(pos, cost)
    # Hyphens and apostrophes in the word are natural breaks too.
    for i, char in enumerate(word):
        if char == "-" and 0 < i + 1 < len(word):
            points.setdefault(i + 1, 0.0)
    return points


def syllable_letters(
    word: str,
    sizes: Sequence[int],
    extents: Sequence[Extent] | None,
    dialect: str,
) -> tuple[str, ...]:
    """The written letters of each syllable (decision 25, 9.3).

    Breaks come from written hyphenation where it agrees with the phones, and from the
    letter alignment (or an even split when there is none) where it does not. Guarantees
    the two rules of 9.3: one chunk per syllable (possibly empty), chunks join to ``word``.
    """
    n_syl = len(sizes)
    if n_syl <= 1:
        return (word,) * n_syl
    targets = _targets(word, sizes, extents)
    points = hyphenation_points(word, dialect) if len(word) <= 64 else {}
    breaks = _choose_breaks(len(word), targets, points)
    bounds = [0, *breaks, len(word)]
    return tuple(word[a:b] for a, b in zip(bounds, bounds[1:], strict=False))


def _targets(
    word: str, sizes: Sequence[int], extents: Sequence[Extent] | None
) -> list[tuple[int, int]]:
    """For each syllable boundary, the range of letter positions consistent with the phones."""
    n = len(word)
    if extents is None:
        out = []
        total = sum(sizes)
        seen = 0
        for size in sizes[:-1]:
            seen += size
            pos = round(n * seen / total) if total else 0
            out.append((pos, pos))
        return out
    targets: list[tuple[int, int]] = []
    start = 0
    prev_end = 0
    for size in sizes[:-1]:
        syl = extents[start : start + size]
        nxt = extents[start + size]
        prev_end = max([prev_end, *(b for _, b in syl)])
        first_a, first_b = nxt
        hi = max(first_a, prev_end)
        low_word = word.lower()
        if first_b - first_a == 2 and low_word[first_a] == low_word[first_a + 1]:
            hi = max(hi, first_a + 1)  # a doubled letter splits: ap|ple, hel|lo
        targets.append((min(prev_end, hi), hi))
        start += size
    return targets


def _choose_breaks(
    n: int, targets: Sequence[tuple[int, int]], points: dict[int, float]
) -> list[int]:
    """Pick one break per boundary, non-decreasing, minimising distance to the phones' range
    plus a preference for hyphenation points (decision 25: letters follow written
    hyphenation); an equal break (empty chunk) costs extra."""
    candidates = sorted(set(points) | {hi for _, hi in targets} | {0, n})
    inf = float("inf")
    best: list[dict[int, tuple[float, int | None]]] = []
    for b, (lo, hi) in enumerate(targets):
        layer: dict[int, tuple[float, int | None]] = {}
        for c in candidates:
            dist = lo - c if c < lo else c - hi if c > hi else 0
            # Written hyphenation wins over the phones' boundary up to two letters away
            # (rock|'n'|roll, pick|et; apple is ap|ple although its p starts syllable 2).
            own = points.get(c, 1.5 if c == hi else 2.5)
            local = 0.6 * dist + own
            if b == 0:
                layer[c] = (local + (3.0 if c == 0 else 0.0), None)
                continue
            choice: tuple[float, int | None] = (inf, None)
            for p, (cost, _) in best[-1].items():
                if p > c:
                    continue
                total = cost + local + (3.0 if p == c else 0.0)
                if total < choice[0]:
                    choice = (total, p)
            layer[c] = choice
        best.append(layer)
    last = best[-1]
    end = min(last, key=lambda c: (last[c][0] + (3.0 if c == n else 0.0), c))
    breaks = [end]
    for layer in reversed(best[1:]):
        prev = layer[breaks[-1]][1]
        assert prev is not None
        breaks.append(prev)
    return breaks[::-1]


def build_syllables(
    word: str,
    phones: Sequence[Phone],
    dialect: str,
    extents_for_letters: Sequence[Extent] | None,
) -> tuple[Syllable, ...]:
    """Split ``phones`` into syllables by maximum onset and give each its letters.

    ``extents_for_letters`` is the letter alignment used to place the letter breaks; it may
    exist even when the phones themselves carry no ``word_extent`` (inferred words).
    """
    vowels = phone_set(dialect).vowels
    lang = language(dialect)
    rule = _ONSET_RULES.get(lang, _legal_onset) if lang is not None else _legal_onset
    sizes = syllabify([p.code for p in phones], vowels, rule)
    letters = syllable_letters(word, sizes, extents_for_letters, dialect)
    out: list[Syllable] = []
    pos = 0
    for size, chunk in zip(sizes, letters, strict=True):
        group = tuple(phones[pos : pos + size])
        out.append(Syllable(chunk, group, _syllable_stress(group, vowels)))
        pos += size
    return tuple(out)


def _syllable_stress(phones: Sequence[Phone], vowels: frozenset[str]) -> int | None:
    for phone in phones:
        if phone.code in vowels:
            return phone.stress
    return None


def with_extents(word: str, phones: Sequence[Phone], dialect: str, source: str) -> Pronunciation:
    """A lexicon pronunciation: every phone gets its ``word_extent`` from the letter aligner."""
    extents = align(word, tuple(p.code for p in phones), dialect)
    placed = [replace(p, word_extent=e) for p, e in zip(phones, extents, strict=True)]
    return Pronunciation(dialect, build_syllables(word, placed, dialect, extents), source)


def without_extents(word: str, phones: Sequence[Phone], dialect: str, source: str) -> Pronunciation:
    """An inferred pronunciation (2.8): no ``word_extent``, though the aligner still places the
    syllables' letters when the word is short enough to align."""
    letters_alignment = None
    if any(c.isalpha() for c in word) and len(word) <= 40 and len(phones) <= 60:
        letters_alignment = align(word, tuple(p.code for p in phones), dialect)
    return Pronunciation(dialect, build_syllables(word, phones, dialect, letters_alignment), source)
