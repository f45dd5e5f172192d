"""Grammatical range without a parser: which kinds of structure a learner's sentences use.

No English parser ships as a real registry package here (the shared model notes), so range is read
from closed word classes, which are reliable on learner text and on transcripts alike:
subordinating conjunctions and relative pronouns (clause embedding), modals, passives (a form
of "be" before an -ed/-en word), -ing forms, infinitive "to", and the variety of sentence
openings. Part-of-speech guesses for open words come from the CEFR-J lexicon (`cefrpy`) and
are used only where a word has one part of speech.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

SUBORDINATORS = frozenset(
    [
        "because",
        "although",
        "though",
        "while",
        "whereas",
        "if",
        "unless",
        "when",
        "whenever",
        "since",
        "until",
        "before",
        "after",
        "once",
        "whether",
        "wherever",
    ]
)
RELATIVES = frozenset(["who", "whom", "whose", "which", "where"])
MODALS = frozenset(["can", "could", "may", "might", "must", "should", "would", "will", "shall"])
BE_FORMS = frozenset(["be", "is", "are", "was", "were", "been", "being", "am"])
ADVERB_TAGS = frozenset({"RB", "RBR", "RBS"})
ADJECTIVE_TAGS = frozenset({"JJ", "JJR", "JJS"})
NOUN_TAGS = frozenset({"NN", "NNS", "NNP", "NNPS"})
VERB_TAGS = frozenset({"VB", "VBD", "VBG", "VBN", "VBP", "VBZ"})


@dataclass(frozen=True)
class Structures:
    """Rates per word (or per sentence where named) of the structures a text uses."""

    subordination: float
    relatives: float
    modals: float
    passives: float
    ing_forms: float
    infinitives: float
    opener_variety: float  # distinct first words / sentences
    adjectives: float
    adverbs: float
    nouns: float
    verbs: float
    of_phrases: float  # "the end of the day": post-modified noun phrases


def structures(sentences: Sequence[Sequence[str]]) -> Structures:
    """Rates over lower-cased word lists, one per sentence."""
    tokens = [t for sentence in sentences for t in sentence]
    count = max(len(tokens), 1)
    pairs = list(pairwise(tokens))
    tags = [part_of_speech(t) for t in tokens]
    openers = [s[0] for s in sentences if s]

    def rate(hits: int) -> float:
        return hits / count

    return Structures(
        subordination=rate(sum(t in SUBORDINATORS for t in tokens)),
        relatives=rate(sum(t in RELATIVES for t in tokens)),
        modals=rate(sum(t in MODALS for t in tokens)),
        passives=rate(sum(a in BE_FORMS and b.endswith(("ed", "en")) for a, b in pairs)),
        ing_forms=rate(sum(len(t) > 4 and t.endswith("ing") for t in tokens)),
        infinitives=rate(sum(a == "to" and part_of_speech(b) == "verb" for a, b in pairs)),
        opener_variety=len(set(openers)) / len(openers) if openers else 0.0,
        adjectives=rate(tags.count("adjective")),
        adverbs=rate(tags.count("adverb")),
        nouns=rate(tags.count("noun")),
        verbs=rate(tags.count("verb")),
        of_phrases=rate(sum(t == "of" for t in tokens)),
    )


@lru_cache(maxsize=65536)
def part_of_speech(word: str) -> str | None:
    """``noun``, ``verb``, ``adjective`` or ``adverb`` when the lexicon knows only one, else None."""
    from orato.text.vocabulary import cefr_analyzer

    tags = set(cefr_analyzer().get_all_pos_for_word_as_str(word) or ())
    for name, group in (("adverb", ADVERB_TAGS), ("adjective", ADJECTIVE_TAGS), ("noun", NOUN_TAGS), ("verb", VERB_TAGS)):
        if tags and tags <= group:
            return name
    return None
