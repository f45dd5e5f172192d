"""Score writing's feedback items (api-scoring.md 8.2) from the engine's findings.

Each item names the contract's category for its rule, quotes ``original_phrase`` exactly as
``answer[span[0]:span[1]]``, proposes the engine's first replacement and lists the
character-level edits (:mod:`orato.text.edits`) that turn one into the other. Findings
without a replacement are left out: an item must say what to write instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from orato.text.edits import Edit, character_edits
from orato.text.grammar import GrammarIssue

# Which feedback array a finding goes to, and under which label (8.2's labels first).
_GRAMMAR_LABELS = (
    (re.compile(r"AGREEMENT|SVA|_AGR|NON3PRS|3SG|PERS_PRONOUN|SUBJECT_VERB|DOES_X|HE_VERB"), "Subject-Verb Agreement"),
    (re.compile(r"TENSE|VERB_FORM|PAST|PART|BASEFORM|MD_|_VBD|_VBN|_VBG|GERUND|INFINITIVE|WILL"), "Verb Tense Consistency"),
    (re.compile(r"(^|_)(A|AN|THE|DT|DET|ARTICLE|DETERMINER|POSS|POSSESSIVE|YOUR|ITS)(_|$)|EN_A_VS_AN|A_UNCOUNTABLE|NO_ARTICLE"),
     "Articles and Determiners"),
)  # fmt: skip
_CATEGORY_LABELS = {
    "TYPOS": ("grammar", "Spelling"),
    "PUNCTUATION": ("grammar", "Punctuation"),
    "CASING": ("grammar", "Capitalization"),
    "TYPOGRAPHY": ("grammar", "Punctuation"),
    "REDUNDANCY": ("vocab", "Redundancy and Tautology"),
    "CONFUSED_WORDS": ("vocab", "Word Appropriateness"),
    "COLLOCATIONS": ("vocab", "Word Appropriateness"),
    "SEMANTICS": ("vocab", "Precision and Nuance"),
    "PLAIN_ENGLISH": ("vocab", "Precision and Nuance"),
    "NONSTANDARD_PHRASES": ("vocab", "Word Appropriateness"),
}
_REPEATED_WORD = re.compile(r"WORD_REPEAT_RULE|DUPLICATION|REDUNDAN|TAUTOLOG")
_REPEATED_START = re.compile(r"REPEAT_BEGINNING|SENTENCE_START|AND_BEGINNING|BUT_BEGINNING|TRANSITION|LINKING")
_RATIONALE = {
    "Subject-Verb Agreement": "The verb must agree with its subject.",
    "Verb Tense Consistency": "Use the verb form the sentence needs.",
    "Articles and Determiners": "The noun needs the right article or determiner.",
    "Spelling": "Correct the spelling.",
    "Punctuation": "Correct the punctuation.",
    "Capitalization": "Correct the capitalization.",
    "Redundancy and Tautology": "Say it once; the extra words repeat the meaning.",
    "Word Appropriateness": "A more suitable word fits here.",
    "Precision and Nuance": "A more precise wording is clearer.",
    "Effective Use of Linking Words": "Vary how sentences connect to keep the argument flowing.",
}


@dataclass(frozen=True)
class FeedbackItem:
    section: str  # the feedback array: grammar, vocab or coherence
    category: str
    original_phrase: str
    replacement_phrase: str
    rationale: str
    span: tuple[int, int]
    replacements: tuple[Edit, ...]


def classify(issue: GrammarIssue) -> tuple[str, str]:
    """The feedback array and category label of a finding."""
    if _REPEATED_START.search(issue.rule_id):
        return "coherence", "Effective Use of Linking Words"
    for pattern, label in _GRAMMAR_LABELS:  # a rule's own name is the most specific
        if pattern.search(issue.rule_id):
            return "grammar", label
    if _REPEATED_WORD.search(issue.rule_id):
        return "vocab", "Redundancy and Tautology"
    if issue.category_id in _CATEGORY_LABELS:
        return _CATEGORY_LABELS[issue.category_id]
    if issue.category_id == "STYLE":
        return "vocab", "Precision and Nuance"
    return "grammar", "Grammar"


def feedback_items(answer: str, issues: Sequence[GrammarIssue]) -> tuple[FeedbackItem, ...]:
    """One item per finding with a replacement, in the order of the answer."""
    items = []
    for issue in issues:
        if not issue.replacements or issue.span[0] >= issue.span[1]:
            continue
        section, category = classify(issue)
        original = answer[issue.span[0] : issue.span[1]]
        replacement = issue.replacements[0]
        items.append(FeedbackItem(
            section, category, original, replacement, _rationale(category, issue), issue.span,
            character_edits(original, replacement, issue.span[0]),
        ))  # fmt: skip
    return tuple(items)


def _rationale(category: str, issue: GrammarIssue) -> str:
    return _RATIONALE.get(category) or issue.message
