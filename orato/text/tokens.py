"""Words and sentences of a learner's text, with their character spans.

Every span is a half-open ``[start, end)`` range of Unicode code points into the text the
caller passed (api-scoring.md 1.7), so feedback built on them points into the answer or the
transcript as the contract requires.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
# A sentence ends at . ! ? … (followed by space or the end) or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\n+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\r\n\s*\r\n")


@dataclass(frozen=True)
class Token:
    """A word as written, lower-cased in ``norm``, at ``[start, end)`` of its text."""

    text: str
    norm: str
    start: int
    end: int


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int
    tokens: tuple[Token, ...]


def words(text: str, offset: int = 0) -> tuple[Token, ...]:
    """The letter words of ``text`` (apostrophes kept inside: "don't"), digits and marks left out."""
    return tuple(
        Token(m.group(), m.group().lower().replace("’", "'"), m.start() + offset, m.end() + offset)
        for m in _WORD.finditer(text)
    )


def sentences(text: str) -> tuple[Sentence, ...]:
    """Sentences split at final punctuation and line breaks; empty pieces are dropped."""
    found: list[Sentence] = []
    start = 0
    for match in [*_SENTENCE_END.finditer(text), None]:
        end = match.start() if match else len(text)
        piece = text[start:end]
        stripped = piece.strip()
        if stripped:
            begin = start + len(piece) - len(piece.lstrip())
            found.append(Sentence(stripped, begin, begin + len(stripped), words(stripped, begin)))
        if match:
            start = match.end()
    return tuple(found)


def paragraph_count(text: str) -> int:
    """Paragraphs separated by blank lines (writing only: a transcript has none)."""
    return sum(1 for part in _PARAGRAPH_BREAK.split(text) if part.strip())
