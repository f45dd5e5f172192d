"""Language data and text handling: lexicons, phone inventories, script words, arpa_mark markup,
and English pronunciations for the pronunciation engine.

Entry points for the scoring endpoints (issue #3)
-------------------------------------------------
``analyse_script(text, dialect, *, markup=False, include_unknown_words=False, relaxed=False,
param="text") -> ScriptAnalysis`` (``orato.lang.analysis``)
    Score text: ``analyse_script(text, dialect, markup=markup_language == "arpa_mark",
    include_unknown_words=flag)``. Score word: the same with ``relaxed=True, param="word"``
    (the single-word check stays in the route). en-us and en-gb only; another dialect raises
    ``InvalidParametersError("dialect")``. Raises ``UnknownWordsError`` (2.8) and markup
    ``InvalidParametersError`` (12.3). For multiple choice, call it once per option.

``ScriptAnalysis``: ``.text`` (``text_score.text``), ``.words`` (``AnalysedWord`` per script
word, in order), ``.expected_words(variants=None) -> list[ExpectedWord]`` (engine input).

``AnalysedWord``: ``.text`` (9.4 ``word``), ``.ending_punctuation``, ``.char_start/.char_end``,
``.is_number``, ``.inferred`` (G2P: no ``word_extent``), ``.markup``, ``.pronunciations``
(all variants, ``[0]`` = default; the engine may pick the best-matching one),
``.expected(variant=0) -> ExpectedWord``, ``.links(variant=0) -> tuple[PhoneRef, ...]``.

``Pronunciation``: ``.syllables`` -> ``Syllable(letters, phones, stress)`` (letters keep the
written casing: lower-case them for 9.3), ``.phones`` -> ``Phone(code, stress, word_extent)``
(``code`` = wire code without digit; ``stress`` None on consonants and unknown-stress vowels;
``word_extent`` None when no letter mapping is known: emit the member only when not None),
``.links``: acoustic phone *k* of the ExpectedWord -> ``PhoneRef(syllable, phone)`` where
``phone`` indexes the word's flat ``.phones`` (= ``phone_score_list``) and ``syllable``
``.syllables`` (= ``syllable_score_list``). One en-gb phone may own two acoustic phones
(``ia`` -> ``IH AH``, ``ua`` -> ``UH AH``): merge their assessments into one phone.

``parse_phone_list(value, dialect) -> PhoneList`` (section 4): ``.text``, ``.phones``,
``.expected()``, ``.links()``; errors are ``InvalidParametersError("phone_list")``.

``dialect_phone(acoustic, dialect, expected=None)`` turns an engine phone back into a wire
code (``sound_most_like``); ``acoustic_phones(code, dialect)`` goes the other way.
"""

from orato.lang.analysis import (
    MAX_PHONE_LIST,
    AnalysedWord,
    PhoneList,
    ScriptAnalysis,
    analyse_script,
    expected_words,
    markup_pronunciation,
    parse_phone_list,
)
from orato.lang.dialects import DIALECTS, Dialect, dialect
from orato.lang.expected import ExpectedWord
from orato.lang.lexicon import Lexicon, english_lexicon, unknown_words
from orato.lang.phones import PhoneSet, phone_set
from orato.lang.pronunciation import (
    Phone,
    PhoneRef,
    Pronunciation,
    Syllable,
    acoustic_phones,
    dialect_phone,
)
from orato.lang.script import (
    MAX_OPTIONS,
    MarkupPhone,
    MarkupSyllable,
    MarkupWord,
    ScriptWord,
    contains_markup,
    normalize,
    parse_markup,
    plain_text,
    script_words,
    split_options,
    split_sentences,
)

__all__ = [
    "DIALECTS",
    "MAX_OPTIONS",
    "MAX_PHONE_LIST",
    "AnalysedWord",
    "Dialect",
    "ExpectedWord",
    "Lexicon",
    "MarkupPhone",
    "MarkupSyllable",
    "MarkupWord",
    "Phone",
    "PhoneList",
    "PhoneRef",
    "PhoneSet",
    "Pronunciation",
    "ScriptAnalysis",
    "ScriptWord",
    "Syllable",
    "acoustic_phones",
    "analyse_script",
    "contains_markup",
    "dialect",
    "dialect_phone",
    "english_lexicon",
    "expected_words",
    "markup_pronunciation",
    "normalize",
    "parse_markup",
    "parse_phone_list",
    "phone_set",
    "plain_text",
    "script_words",
    "split_options",
    "split_sentences",
    "unknown_words",
]
