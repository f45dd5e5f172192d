"""Language data and text handling: lexicons, phone inventories, script words, arpa_mark markup."""

from orato.lang.lexicon import Lexicon, english_lexicon, unknown_words
from orato.lang.phones import PhoneSet, phone_set
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
    "MarkupPhone",
    "MarkupSyllable",
    "Lexicon",
    "MarkupWord",
    "PhoneSet",
    "ScriptWord",
    "contains_markup",
    "english_lexicon",
    "normalize",
    "parse_markup",
    "phone_set",
    "plain_text",
    "script_words",
    "split_options",
    "split_sentences",
    "unknown_words",
]
