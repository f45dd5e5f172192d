"""From a request's text to what the engine and the response need, per word.

:func:`analyse_script` is the one call score text and score word make: it reads the script
(2.1, markup 12), refuses or infers unknown words (2.8), and gives every word its
pronunciations in the dialect's wire phones (with syllables, stress, letters and
``word_extent``) and in the engine's acoustic phones (:class:`ExpectedWord`), with the link
between the two. :func:`parse_phone_list` does the same for score phone list (4).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from orato.dialect_support import offers
from orato.errors import InvalidParametersError, UnknownWordsError
from orato.lang.align import align
from orato.lang.dialects import dialect as get_dialect
from orato.lang.expected import ExpectedWord
from orato.lang.languages import language
from orato.lang.lexicon import normalise_word, unknown_words
from orato.lang.phones import phone_set
from orato.lang.pronunciation import (
    Phone,
    PhoneRef,
    Pronunciation,
    Syllable,
    build_syllables,
)
from orato.lang.script import MarkupWord, plain_text, script_words

MAX_PHONE_LIST = 50


@dataclass(frozen=True)
class AnalysedWord:
    """One script word with everything needed to score it and report on it.

    ``text`` is the word as written (9.4 ``word``); ``char_start``/``char_end`` locate it (or
    its markup token) in the NFC-normalised request text. ``pronunciations`` holds every
    variant, the first being the default; all are in the same dialect. ``inferred`` marks a
    word guessed with ``include_unknown_words=1`` (no ``word_extent``), ``markup`` one whose
    pronunciation a token fixed.
    """

    text: str
    char_start: int
    char_end: int
    ending_punctuation: str | None
    is_number: bool
    pronunciations: tuple[Pronunciation, ...]
    inferred: bool = False
    markup: bool = False

    @property
    def pronunciation(self) -> Pronunciation:
        return self.pronunciations[0]

    def expected(self, variant: int = 0) -> ExpectedWord:
        """The engine's input for this word, in the given pronunciation variant."""
        return self.pronunciations[variant].expected_word(self.text)

    def links(self, variant: int = 0) -> tuple[PhoneRef, ...]:
        """Acoustic phone *k* of :meth:`expected` -> (syllable index, dialect phone index)."""
        return self.pronunciations[variant].links


@dataclass(frozen=True)
class ScriptAnalysis:
    """A script read in one dialect: ``text`` is ``text_score.text`` (markup removed)."""

    dialect: str
    text: str
    words: tuple[AnalysedWord, ...]

    def expected_words(self, variants: Sequence[int] | None = None) -> list[ExpectedWord]:
        """One :class:`ExpectedWord` per script word, default variants unless chosen."""
        if variants is None:
            return [w.expected() for w in self.words]
        return [w.expected(v) for w, v in zip(self.words, variants, strict=True)]


def _check_dialect(name: str) -> None:
    if language(name) is None:
        raise InvalidParametersError("dialect", "no pronunciations for this dialect")


def _check_english(name: str) -> None:
    """ARPAbet input (phone lists) is English only (1.9)."""
    if not offers(name, "markup"):
        raise InvalidParametersError("dialect", "phone lists are English only")


def analyse_script(
    text: str,
    dialect: str,
    *,
    markup: bool = False,
    include_unknown_words: bool = False,
    relaxed: bool = False,
    param: str = "text",
) -> ScriptAnalysis:
    """Read ``text`` in ``dialect`` (en-us, en-gb, fr-fr, fr-ca, es-es, es-mx) and pronounce
    every word.

    ``markup``: ``markup_language=arpa_mark`` was sent (English only: otherwise
    InvalidParametersError("markup_language")). ``relaxed`` and ``param="word"`` are for score
    word (12.4). Raises InvalidParametersError for markup errors (naming ``param``) and for a
    dialect the layer cannot pronounce, and UnknownWordsError (2.8) for words missing from
    the dialect's word list (CMUdict; French and Spanish: wordfreq) unless
    ``include_unknown_words`` — or, with it, for words nothing can be inferred for. A text
    without words gives an analysis without words.
    """
    _check_dialect(dialect)
    words = script_words(text, markup=markup, dialect=dialect, relaxed=relaxed, param=param)
    source = get_dialect(dialect)
    missing = unknown_words((w.text for w in words if w.markup is None), source.words)
    if missing and not include_unknown_words:
        raise UnknownWordsError(missing)
    missing_keys = {normalise_word(w) for w in missing}
    analysed: list[AnalysedWord] = []
    failed: list[str] = []
    for word in words:
        inferred = False
        if word.markup is not None:
            prons: tuple[Pronunciation, ...] = (markup_pronunciation(word.markup, dialect),)
        elif normalise_word(word.text) in missing_keys:
            prons = tuple(source.infer(word.text))
            inferred = True
            if not prons:
                failed.append(word.text)
                continue
        else:
            prons = tuple(source.pronounce(word.text))
            if not prons:  # a known word espeak-ng could not say (French, Spanish)
                failed.append(word.text)
                continue
        analysed.append(
            AnalysedWord(
                text=word.text,
                char_start=word.char_start,
                char_end=word.char_end,
                ending_punctuation=word.ending_punctuation,
                is_number=word.is_number,
                pronunciations=prons,
                inferred=inferred,
                markup=word.markup is not None,
            )
        )
    if failed:
        raise UnknownWordsError(unknown_words(failed, _NoWords()))
    return ScriptAnalysis(dialect, plain_text(text, words), tuple(analysed))


class _NoWords:
    """A lexicon that knows nothing: reuses unknown_words' dedup order for failed inferences."""

    def __contains__(self, word: str) -> bool:
        return False


def expected_words(
    words: Sequence[str], dialect: str, *, include_unknown_words: bool = False
) -> list[ExpectedWord]:
    """Default pronunciations of plain ``words`` as the engine's input (tests, benchmarks,
    training). Same unknown-word rules as :func:`analyse_script`."""
    _check_dialect(dialect)
    source = get_dialect(dialect)
    missing = unknown_words(words, source.words)
    if missing and not include_unknown_words:
        raise UnknownWordsError(missing)
    out: list[ExpectedWord] = []
    for word in words:
        prons = source.pronounce(word) or source.infer(word)
        if not prons:
            raise UnknownWordsError([word])
        out.append(prons[0].expected_word(word))
    return out


# --- markup -----------------------------------------------------------------------------------


def markup_pronunciation(markup: MarkupWord, dialect: str) -> Pronunciation:
    """The pronunciation a markup token states (12).

    Plain tokens give phones without ``word_extent``; ``2|`` tokens give exactly the stated
    extents. A relaxed token written without ``|`` breaks (12.4) is split into syllables by
    maximum onset and its letters assigned by hyphenation, guided by the stated mapping or,
    without one, by the letter aligner (whose extents are then not reported).
    """
    vowels = phone_set(dialect).vowels
    if not markup.needs_syllabification:
        syllables = tuple(
            Syllable(
                s.letters,
                tuple(Phone(p.code, p.stress, p.word_extent) for p in s.phones),
                next((p.stress for p in s.phones if p.code in vowels), None),
            )
            for s in markup.syllables
        )
        return Pronunciation(dialect, syllables, "markup")
    phones = [Phone(p.code, p.stress, p.word_extent) for p in markup.phones]
    written = markup.written
    guide: Sequence[tuple[int, int]] | None
    if markup.mapped:
        guide = [p.word_extent for p in phones if p.word_extent is not None]
    elif any(c.isalpha() for c in written) and len(written) <= 40 and len(phones) <= 60:
        guide = align(written, tuple(p.code for p in phones), dialect)
    else:
        guide = None
    return Pronunciation(dialect, build_syllables(written, phones, dialect, guide), "markup")


# --- phone lists ------------------------------------------------------------------------------

_STRESS = {"0": 0, "1": 1, "2": 2}
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class PhoneList:
    """A parsed ``phone_list`` (4): ``text`` is the value as sent, trimmed (``word_score.word``).

    Its pronunciation has a single pseudo-syllable with empty letters, only so that the
    acoustic mapping works as for words: section 4 responses carry no syllables.
    """

    text: str
    pronunciation: Pronunciation

    @property
    def phones(self) -> tuple[Phone, ...]:
        return self.pronunciation.phones

    def expected(self) -> ExpectedWord:
        return self.pronunciation.expected_word(self.text)

    def links(self) -> tuple[PhoneRef, ...]:
        return self.pronunciation.links


def parse_phone_list(value: str, dialect: str) -> PhoneList:
    """Parse score phone list's ``phone_list`` (4.1, decision 20).

    Phones are separated by ``|`` (whitespace between phones is accepted too); spaces around
    them are ignored and codes are case-insensitive. A vowel may carry a stress digit; one
    without keeps ``stress`` None (no stress fields in the response). An unknown phone, a
    digit on a consonant, an empty element or more than 50 phones raise
    ``InvalidParametersError("phone_list")``. The en-gb input ``ah0`` is the schwa ``ax``.
    """
    _check_english(dialect)
    inventory = phone_set(dialect)
    text = value.strip()
    phones: list[Phone] = []
    for element in text.split("|"):
        tokens = _WHITESPACE.split(element.strip())
        if tokens == [""]:
            raise InvalidParametersError("phone_list", "empty phone")
        for token in tokens:
            stress = _STRESS.get(token[-1:])
            code = inventory.canonical(token[:-1] if stress is not None else token)
            if code is None:
                raise InvalidParametersError("phone_list", "unknown phone")
            if stress is not None and code not in inventory.vowels:
                raise InvalidParametersError("phone_list", "stress digit on a consonant")
            if dialect == "en-gb" and code == "ah" and stress == 0:
                code = "ax"
            phones.append(Phone(code, stress))
            if len(phones) > MAX_PHONE_LIST:
                raise InvalidParametersError("phone_list", f"at most {MAX_PHONE_LIST} phones")
    stress = next((p.stress for p in phones if p.code in inventory.vowels), None)
    syllable = Syllable("", tuple(phones), stress)
    return PhoneList(text, Pronunciation(dialect, (syllable,), "phone_list"))
