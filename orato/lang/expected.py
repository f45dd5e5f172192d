"""What the language layer hands the pronunciation engine: each script word as acoustic phones.

It is the engine's input, built from the script by :mod:`orato.lang.analysis`, so it lives in the
language layer, below the scoring core that consumes it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExpectedWord:
    """One script word as the learner should say it."""

    text: str
    # Acoustic phones in order: ARPAbet without digits (English), the fr/es units (French, Spanish).
    phones: tuple[str, ...]
    # Lexical stress per phone: 0/1/2 on vowels, None on consonants.
    stresses: tuple[int | None, ...]
