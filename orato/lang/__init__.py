"""Language data and text handling: lexicons, phone inventories, script words, arpa_mark markup,
and English, French and Spanish pronunciations for the pronunciation engine.

Entry points for the scoring endpoints (issue #3)
-------------------------------------------------
``analyse_script(text, dialect, *, markup=False, include_unknown_words=False, relaxed=False,
param="text") -> ScriptAnalysis`` (``orato.lang.analysis``)
    Score text: ``analyse_script(text, dialect, markup=markup_language == "arpa_mark",
    include_unknown_words=flag)``. Score word: the same with ``relaxed=True, param="word"``
    (the single-word check stays in the route). en-us, en-gb, fr-fr, fr-ca, es-es, es-mx
    (``orato.lang.languages``, whatever ``dialect_support`` serves yet); another dialect raises
    ``InvalidParametersError("dialect")``. Raises ``UnknownWordsError`` (2.8) and markup
    ``InvalidParametersError`` (12.3; ``markup_language`` outside English). For multiple
    choice, call it once per option.

French and Spanish (``orato.lang.romance``): ``Phone.code`` is the upper-case contract code
(11.3, 11.4), ``ExpectedWord.phones`` are the fr/es model's units (``orato.lang.romance_units``,
IPA: ``analyse_script("aire", "es-es").words[0].expected()`` is ``("a", "j", "ɾ", "e")`` with
stresses ``(1, None, None, 0)``; French stresses are all None) and ``links`` ties each unit to
its contract phone (``AI`` owns ``a`` and ``j``; merge their verdicts as for en-gb ``ia``).
``pronunciations[1:]`` are dialect variants (fr-ca ``T`` said ``t s``, es-es yeísmo): score
against each and keep the best-matching, as for English heteronyms.

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

``dialect_phone(acoustic, dialect, expected=None)`` turns an engine phone (fr/es: a unit)
back into a wire code (``sound_most_like``: ``dialect_phone("j", "es-es") == "YI"``,
``dialect_phone("ʁ", "es-es", "RT") == "X"``); ``acoustic_phones(code, dialect)`` goes the
other way (``acoustic_phones("GN", "fr-fr") == ("n", "j")``); ``acoustic_inventory(dialect)``
lists the acoustic phones a dialect's phones own (the competitors for ``sound_most_like``).
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
from orato.lang.dialects import Dialect, dialect
from orato.lang.expected import ExpectedWord
from orato.lang.languages import language
from orato.lang.lexicon import Lexicon, english_lexicon, unknown_words
from orato.lang.phones import PhoneSet, phone_set
from orato.lang.pronunciation import (
    Phone,
    PhoneRef,
    Pronunciation,
    Syllable,
    acoustic_inventory,
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
    "acoustic_inventory",
    "acoustic_phones",
    "analyse_script",
    "contains_markup",
    "dialect",
    "dialect_phone",
    "english_lexicon",
    "expected_words",
    "language",
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
