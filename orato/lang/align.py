"""Letter-to-phone alignment: the ``word_extent`` of every phone of a lexicon word (section 13).

Why a hand-written grapheme table and a dynamic programme rather than a trained aligner:
the contract fixes the shape of the answer (one letter, several letters, no letter ``[n, n]``,
one letter shared by several phones, silent letters uncovered, monotonic), the table below is
small enough to review, and the alignment must be deterministic and cheap per request.

The programme walks phones and letters left to right and minimises a cost over these moves:

* a phone spells a grapheme listed for it (cost 0; a few irregular spellings cost a little);
* two phones share one grapheme (*x* -> ``k s``, *u* -> ``y uw``);
* a phone spells no letter (cost 1 for a reduced vowel, as in *rhythm*, else 3), placed at
  the current letter position, which gives the ``[n, n]`` extents of the contract;
* a letter is silent (cheap for the usual silent letters: final *e*, *k* in *kn*, *b* in *mb*;
  free for apostrophes and hyphens);
* a phone spells a letter the table does not list for it (expensive, but it keeps every
  word alignable, so the answer always satisfies the contract's invariants).

Letters are compared lower-cased and without accents (*café*), one code point each, so an
extent indexes the word exactly as written. The tables below are English's; French and
Spanish fill the same :class:`~orato.lang.spelling.Spelling` in ``romance_spelling``.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from orato.lang.romance_spelling import FRENCH, SPANISH
from orato.lang.spelling import Spelling

Extent = tuple[int, int]

# --- the grapheme table -------------------------------------------------------------------
# Keys are dialect wire codes (en-us and en-gb share consonants and most vowels).

_CONSONANTS: dict[str, str] = {
    "b": "b bb bh",
    "ch": "ch tch c t ti cz",
    "d": "d dd ld",
    "dh": "th the",
    "f": "f ff ph gh pph",
    "g": "g gg gh gu gue",
    "hh": "h wh j",
    "jh": "j g gg dg d di ge gi dj",
    "k": "k c ck cc ch q kh cq que cch",
    "l": "l ll",
    "m": "m mm",
    "n": "n nn",
    "ng": "ng n ngue",
    "p": "p pp",
    "r": "r rr rh wr",
    "s": "s ss c sc ce ps sw",
    "sh": "sh ti ci ssi si ch s sci ce sch ss",
    "t": "t tt th d",
    "th": "th",
    "v": "v vv f ph",
    "w": "w u wh",
    "y": "y i j e",
    "z": "z zz s ss x",
    "zh": "s si g ge z ti",
}
_VOWELS: dict[str, str] = {
    "aa": "a o ah al ea au aa",
    "ae": "a ai au",
    "ah": "a e i o u ou oo oe io ia iou ai y eo",
    "ao": "o a au aw ough augh oa ou al oo awe",
    "aw": "ou ow au ough",
    "ay": "i y igh ie ye ai ei uy eye ay is ui",
    "eh": "e ea a ai ie ue ay ei eo",
    "er": "er ir ur or ear our yr ar r re err urr eur ere",
    "ey": "a ai ay ei ey ea eigh aigh e ae et",
    "ih": "i y e ui ie a ee u o",
    "iy": "e ee ea ie ei y i ey eo oe ae ay",
    "ow": "o oa ow oe ough ou eau ew au oh",
    "oy": "oi oy uoy",
    "uh": "oo u ou o",
    "uw": "oo u ew ue o ou ui oe wo ough eu",
    # en-gb only; rhotic spellings (vowel + r) are also accepted by rule, see _gb_variants.
    "ax": "a e i o u ou er or ar ur our re io ia ai y eu ure r",
    "ea": "air are ear ere eir a ai ae ayer",
    "ia": "ear eer ere ier ea eir ia i e io",
    "ua": "oor our ure ur ua ewer u oo ou ue",
    "oh": "o a ou ow au",
}
# Extra British spellings of vowels shared with en-us (non-rhotic r and the like).
_GB_EXTRA: dict[str, str] = {
    "aa": "ar are arr ear er",
    "ao": "or ore oar our oor ar oore",
    "er": "er ir ur or ear our yr err urr ere eur",
}
# Two phones spelled by one grapheme: the same extent goes on both (section 13).
_SHARED: dict[tuple[str, str], str] = {
    ("k", "s"): "x xc",
    ("g", "z"): "x",
    ("k", "sh"): "x",
    ("g", "zh"): "x",
    ("y", "uw"): "u ew eu ue eau iew ieu",
    ("y", "uh"): "u eu",
    ("y", "ah"): "u",
    ("y", "ax"): "u",
    ("y", "er"): "ur",
    ("y", "ua"): "u ure eu",
}
_REDUCED = frozenset({"ah", "ax", "er", "ih"})  # may be heard with no vowel letter (rhythm)

_SILENT_FREE = 0.0
_COST_IRREGULAR = 2.5  # a phone spelling an unlisted letter of its kind
_COST_MISMATCH = 4.0  # a vowel spelled by a consonant letter or the other way round
_COST_NO_LETTER = 3.0
_COST_NO_LETTER_REDUCED = 1.0
_VOWEL_LETTERS = frozenset("aeiouy")
_MAX_GRAPHEME = 5


def _split(table: dict[str, str]) -> dict[str, frozenset[str]]:
    return {k: frozenset(v.split()) for k, v in table.items()}


_TABLE_US = _split({**_CONSONANTS, **_VOWELS})
_TABLE_GB = {
    k: v | frozenset(_GB_EXTRA.get(k, "").split()) for k, v in _TABLE_US.items()
}
_SHARED_SETS = {k: frozenset(v.split()) for k, v in _SHARED.items()}


def fold(word: str) -> str:
    """``word`` lower-cased and without accents, one code point per code point of ``word``.

    Why not ``str.lower``: a few letters lower-case to two code points (``İ``), which would
    shift every extent after them.
    """
    out = []
    for char in word:
        low = char.lower()
        if len(low) != 1:
            low = char
        base = unicodedata.normalize("NFD", low)[0]
        if len(base.lower()) == 1:
            base = base.lower()
        out.append(base if base.isascii() else low)
    return "".join(out)


def _silent_cost(letters: str, j: int) -> float:
    """What it costs to leave letter ``j`` unspoken; cheap where English spelling usually does."""
    c = letters[j]
    if not c.isalpha():
        return _SILENT_FREE
    prev = letters[j - 1] if j else ""
    nxt = letters[j + 1] if j + 1 < len(letters) else ""
    if c == "e":
        return 0.3 if not nxt or not nxt.isalpha() else 0.6
    if c == "h":
        return 0.8
    if (c, nxt) in {("k", "n"), ("g", "n"), ("w", "r"), ("p", "s"), ("p", "n"), ("g", "h")}:
        return 0.6
    if (prev, c) in {("m", "b"), ("m", "n"), ("b", "t"), ("s", "t"), ("g", "u"), ("q", "u")}:
        return 0.6
    if c in "ul" or (c == "w" and prev in "aeo"):
        return 1.2
    if c == prev:  # the second of a doubled letter
        return 1.0
    return 2.0


def _no_letter_cost(phone: str, letters: str, j: int) -> float:
    """What it costs for ``phone`` to spell nothing at letter position ``j``."""
    if phone in _REDUCED:
        return _COST_NO_LETTER_REDUCED
    if phone == "w" and letters[j : j + 1] == "o":
        return 0.5  # the w of one, once
    return _COST_NO_LETTER


_ENGLISH_VOWELS = frozenset(_VOWELS)
_SPELLINGS: dict[str, Spelling] = {
    "en-us": Spelling(_TABLE_US, _ENGLISH_VOWELS, _SHARED_SETS, _silent_cost, _no_letter_cost,
                      _VOWEL_LETTERS, letter_names=True),
    "en-gb": Spelling(_TABLE_GB, _ENGLISH_VOWELS, _SHARED_SETS, _silent_cost, _no_letter_cost,
                      _VOWEL_LETTERS, letter_names=True),
    "fr-fr": FRENCH, "fr-ca": FRENCH, "es-es": SPANISH, "es-mx": SPANISH,
}


def _spelling(dialect: str) -> Spelling:
    return _SPELLINGS.get(dialect, _SPELLINGS["en-us"])


def _fallback(phone: str, grapheme: str, spelling: Spelling) -> float | None:
    """A single letter the table does not list for ``phone``: allowed, at a price."""
    if len(grapheme) != 1 or not grapheme.isalpha():
        return None
    vowel_phone = phone in spelling.vowels
    vowel_letter = grapheme in spelling.vowel_letters
    return _COST_IRREGULAR if vowel_phone == vowel_letter else _COST_MISMATCH


@lru_cache(maxsize=1024)
def _costs(phone: str, dialect: str) -> dict[str, float]:
    """Every listed grapheme of ``phone`` with its cost, doubled consonant letters included."""
    spelling = _spelling(dialect)
    known = spelling.table.get(phone, frozenset())
    costs = dict.fromkeys(known, 0.0)
    for g in known:
        if len(g) == 1 and phone not in spelling.vowels:
            costs.setdefault(g + g, 0.0)  # a doubled consonant letter spells one consonant
    return costs


# Letter names, for acronyms read letter by letter (BBC, TV): each letter's phones share it.
_LETTER_NAMES: dict[str, tuple[str, ...]] = {
    "a": ("ey",), "b": ("b iy",), "c": ("s iy",), "d": ("d iy",), "e": ("iy",),
    "f": ("eh f",), "g": ("jh iy",), "h": ("ey ch", "hh ey ch"), "i": ("ay",),
    "j": ("jh ey",), "k": ("k ey",), "l": ("eh l",), "m": ("eh m",), "n": ("eh n",),
    "o": ("ow",), "p": ("p iy",), "q": ("k y uw",), "r": ("aa r", "aa", "ao r"),
    "s": ("eh s",), "t": ("t iy",), "u": ("y uw",), "v": ("v iy",),
    "w": ("d ah b ah l y uw", "d ah b ax l y uw", "d ah b ax y uw", "d ah b ah y uw"),
    "x": ("eh k s",), "y": ("w ay",), "z": ("z iy", "z eh d"),
}
_MAX_SPELLED = 8


def _spelled(letters: str, phones: tuple[str, ...]) -> tuple[Extent, ...] | None:
    """Extents for ``phones`` read as the letter names of ``letters``, or None."""
    positions = [i for i, c in enumerate(letters) if c.isalpha()]
    if not positions or len(positions) > _MAX_SPELLED:
        return None

    def walk(k: int, at: int) -> list[Extent] | None:
        if k == len(positions):
            return [] if at == len(phones) else None
        i = positions[k]
        for name in _LETTER_NAMES.get(letters[i], ()):
            codes = tuple(name.split())
            if phones[at : at + len(codes)] == codes:
                rest = walk(k + 1, at + len(codes))
                if rest is not None:
                    return [(i, i + 1)] * len(codes) + rest
        return None

    found = walk(0, 0)
    return tuple(found) if found is not None else None


@lru_cache(maxsize=65536)
def align(word: str, phones: tuple[str, ...], dialect: str = "en-us") -> tuple[Extent, ...]:
    """The ``word_extent`` of each phone of ``phones`` (wire codes) in ``word`` as written.

    Always returns one extent per phone; extents are monotonic and inside the word.
    """
    letters = fold(word)
    n, m = len(letters), len(phones)
    spelling = _spelling(dialect)
    spelled = _spelled(letters, phones) if m > n and spelling.letter_names else None
    if spelled is not None:
        return spelled
    inf = float("inf")
    # cost[i][j]: best cost having placed the first i phones and consumed j letters.
    cost = [[inf] * (n + 1) for _ in range(m + 1)]
    back: list[list[tuple[int, int, int] | None]] = [[None] * (n + 1) for _ in range(m + 1)]
    cost[0][0] = 0.0
    for i in range(m + 1):
        for j in range(n + 1):
            here = cost[i][j]
            if here == inf:
                continue
            # A silent letter.
            if j < n:
                c = here + spelling.silent(letters, j)
                if c < cost[i][j + 1]:
                    cost[i][j + 1], back[i][j + 1] = c, (i, j, 0)
            if i == m:
                continue
            phone = phones[i]
            # The phone spells no letter.
            c = here + spelling.no_letter(phone, letters, j)
            if c < cost[i + 1][j]:
                cost[i + 1][j], back[i + 1][j] = c, (i, j, 1)
            costs = _costs(phone, dialect)
            shared = spelling.shared.get((phone, phones[i + 1])) if i + 1 < m else None
            for k in range(1, min(_MAX_GRAPHEME, n - j) + 1):
                grapheme = letters[j : j + k]
                g = costs.get(grapheme)
                if g is None and k == 1:
                    g = _fallback(phone, grapheme, spelling)
                if g is not None:
                    c = here + g
                    if c < cost[i + 1][j + k]:
                        cost[i + 1][j + k], back[i + 1][j + k] = c, (i, j, 2)
                if shared is not None and grapheme in shared:
                    c = here + 0.1
                    if c < cost[i + 2][j + k]:
                        cost[i + 2][j + k], back[i + 2][j + k] = c, (i, j, 3)
    extents: list[Extent] = [(0, 0)] * m
    i, j = m, n
    while i or j:
        step = back[i][j]
        assert step is not None
        pi, pj, kind = step
        if kind == 1:
            extents[pi] = (pj, pj)
        elif kind == 2:
            extents[pi] = (pj, j)
        elif kind == 3:
            extents[pi] = extents[pi + 1] = (pj, j)
        i, j = pi, pj
    return tuple(extents)

