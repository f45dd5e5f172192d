"""Character-level edits between a phrase and its replacement (api-scoring.md 8.2 ``replacements``).

An ``omission`` deletes ``answer[s:e]`` (``text`` is what it deletes); an ``insertion`` puts
``text`` at ``s`` (span ``[s, s]``). Spans are in the coordinates of the original answer.
:func:`apply_edits` is the reading a client applies: edits from the highest position down, an
omission before an insertion at the same position, which turns the original into the
replacement (property-tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

EditType = Literal["omission", "insertion"]


@dataclass(frozen=True)
class Edit:
    span: tuple[int, int]
    text: str
    type: EditType


def character_edits(original: str, replacement: str, offset: int = 0) -> tuple[Edit, ...]:
    """Omissions and insertions that turn ``original`` (at ``offset`` in its text) into ``replacement``."""
    edits: list[Edit] = []
    matcher = SequenceMatcher(None, original, replacement, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("delete", "replace"):
            edits.append(Edit((offset + i1, offset + i2), original[i1:i2], "omission"))
        if tag in ("insert", "replace"):
            edits.append(Edit((offset + i2, offset + i2), replacement[j1:j2], "insertion"))
    return tuple(edits)


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """``text`` with the ``edits`` applied (see the module doc for the order)."""
    ordered = sorted(edits, key=lambda e: (e.span[0], e.type == "omission"), reverse=True)
    for edit in ordered:
        start, end = edit.span
        text = text[:start] + text[end:] if edit.type == "omission" else text[:start] + edit.text + text[start:]
    return text
