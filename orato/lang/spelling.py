"""How a language spells its phones: the data the letter aligner (:mod:`orato.lang.align`) reads.

One aligner serves every language; what differs is this data, so English (in ``align``) and
French and Spanish (in ``romance_spelling``) each fill one :class:`Spelling`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Spelling:
    """A language's graphemes per wire phone and the costs of its irregularities.

    ``table``: the graphemes (folded letters) each phone may spell at no cost. ``vowels``: the
    vowel phones (a vowel spelled by a consonant letter, or the other way round, costs more).
    ``shared``: two phones spelled by one grapheme (*x* -> ``k s``). ``silent(letters, j)``:
    the cost of leaving letter ``j`` unspoken. ``no_letter(phone, letters, j)``: the cost of
    ``phone`` spelling nothing at position ``j``. ``vowel_letters``: letters that spell
    vowels. ``letter_names``: whether acronyms are read letter by letter (English).
    """

    table: Mapping[str, frozenset[str]]
    vowels: frozenset[str]
    shared: Mapping[tuple[str, str], frozenset[str]]
    silent: Callable[[str, int], float]
    no_letter: Callable[[str, str, int], float]
    vowel_letters: frozenset[str]
    letter_names: bool = False
