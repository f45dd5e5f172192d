"""Finding listed words and phrases in a text at word boundaries (api-synthesis.md 5.2, 10.2).

Pronunciation rules (synthesis) and blocklists (moderation) match terms the same way, so the
pattern lives here, below both.
"""

from __future__ import annotations

import re


def whole_words(words: list[str], case_sensitive: bool = False) -> re.Pattern[str] | None:
    """Words or phrases at Unicode word boundaries, longest first (5.2); also the blocklist's."""
    if not words:
        return None
    ordered = sorted(set(words), key=len, reverse=True)
    alternatives = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", 0 if case_sensitive else re.IGNORECASE)
