"""Grammar, spelling and style errors from the LanguageTool engine (lingotweaker, `lt_py`).

The engine is a Rust port of LanguageTool with its rules, loaded once per process (about
2.6 s for English) and thread-safe (the shared language-model notes). Two facts shape this module:

* its offsets are UTF-8 *bytes*; every :class:`GrammarIssue` carries code-point spans
  (api-scoring.md 1.7), converted here;
* en-GB falls back to en-US, whose speller flags "colour" and "realise": for en-gb the US
  speller's hits on British spellings (the British/American list of `breame`) are dropped.

A recogniser writes the casing, punctuation and spelling of a transcript, so for
``source="speech"`` those categories are not the learner's and are dropped (issue 10).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Source = Literal["speech", "writing"]

# LanguageTool category ids whose errors a recogniser, not a speaker, makes (the French rules
# file their typography and comma placement under their own ids).
RECOGNISER_CATEGORIES = frozenset({"TYPOS", "CASING", "PUNCTUATION", "TYPOGRAPHY", "CAT_TYPOGRAPHIE", "PONCTUATION_VIRGULE"})
# LanguageTool's locale for each contract dialect with rules on this server: score speech's
# grammar in all six (issue 16), score writing's in those dialect_support lets write.
ENGINE_LOCALES = {"en-us": "en-US", "en-gb": "en-US", "fr-fr": "fr", "fr-ca": "fr", "es-es": "es", "es-mx": "es"}
_US_SPELLER = "MORFOLOGIK_RULE_EN_US"
_SUGGESTION_TAG = re.compile(r"</?suggestion>")


@dataclass(frozen=True)
class GrammarIssue:
    """One engine finding at the half-open code-point range ``span`` of the checked text."""

    rule_id: str
    category_id: str  # LanguageTool's: GRAMMAR, TYPOS, STYLE, COLLOCATIONS, CONFUSED_WORDS, ...
    issue_type: str
    message: str
    span: tuple[int, int]
    matched_text: str
    replacements: tuple[str, ...]


class RuleEngine(Protocol):
    """What Orato needs of a LanguageTool engine (``lt_py.Engine``)."""

    def check(self, text: str) -> list[dict[str, object]]: ...


class GrammarChecker:
    """The rule engines of the dialects this server checks, each loaded once."""

    def __init__(self, engines: dict[str, RuleEngine], british_spellings: frozenset[str]) -> None:
        self._engines = engines
        self._british = british_spellings

    def supports(self, dialect: str) -> bool:
        return ENGINE_LOCALES.get(dialect) in self._engines

    def engine(self, dialect: str) -> RuleEngine:
        return self._engines[ENGINE_LOCALES[dialect]]

    def check(self, text: str, dialect: str, source: Source) -> tuple[GrammarIssue, ...]:
        """The learner's errors in ``text``, in order; recogniser categories dropped for speech."""
        char_at = char_index(text)
        issues = (_issue(text, match, char_at) for match in self.engine(dialect).check(text))
        return tuple(
            issue
            for issue in issues
            if not (source == "speech" and issue.category_id in RECOGNISER_CATEGORIES)
            and not (dialect == "en-gb" and self._is_british_spelling(issue))
        )

    def _is_british_spelling(self, issue: GrammarIssue) -> bool:
        return issue.rule_id == _US_SPELLER and issue.matched_text.lower() in self._british


def char_index(text: str) -> list[int]:
    """Code-point index of every UTF-8 byte offset of ``text`` (and of its end)."""
    index: list[int] = []
    for position, char in enumerate(text):
        index.extend([position] * len(char.encode("utf-8")))
    index.append(len(text))
    return index


def _issue(text: str, match: dict[str, object], char_at: Sequence[int]) -> GrammarIssue:
    offset, length = int(str(match["offset"])), int(str(match["length"]))
    start, end = char_at[min(offset, len(char_at) - 1)], char_at[min(offset + length, len(char_at) - 1)]
    suggestions = match.get("suggestions") or []
    return GrammarIssue(
        rule_id=str(match["rule_id"]),
        category_id=str(match["category_id"]),
        issue_type=str(match.get("issue_type") or ""),
        message=_SUGGESTION_TAG.sub('"', str(match["message"])),
        span=(start, end),
        matched_text=text[start:end],
        replacements=tuple(str(s) for s in suggestions if isinstance(s, str))[:5]
        if isinstance(suggestions, list)
        else (),
    )


def load_grammar_checker() -> GrammarChecker:
    """English (en-us, en-gb) and Spanish (es-es) rules, and the British spellings of `breame`."""
    import lt_py  # type: ignore[import-untyped]
    from breame.spelling import BRITISH_ENGLISH_SPELLINGS  # type: ignore[import-untyped]

    engines: dict[str, RuleEngine] = {locale: lt_py.Engine(locale) for locale in set(ENGINE_LOCALES.values())}
    return GrammarChecker(engines, frozenset(word.lower() for word in BRITISH_ENGLISH_SPELLINGS))
