"""Word timings of English speech for synthesis timestamps, from the scoring aligner.

One pocketsphinx aligner serves both families: scoring asks it for phones, synthesis for the
words of a text it rendered itself. This refuses rather than guesses: a word outside CMUdict
(numbers, names) or a word the aligner could not place yields None, and the caller moves on
to another aligner.
"""

from __future__ import annotations

import re

import numpy as np

from orato.acoustic.aligner import FRAME_SECONDS, load_aligner
from orato.errors import WordAlignmentError
from orato.lang.lexicon import english_lexicon

_NOT_SPOKEN = re.compile(r"[^\w']+")
_STRESS = re.compile(r"\d")


def align_english_words(samples: np.ndarray, words: list[str]) -> list[tuple[float, float]] | None:
    """(start, end) in seconds per word of ``words``, for 16 kHz mono float audio."""
    lexicon = english_lexicon()
    keys = [_NOT_SPOKEN.sub("", w.lower()).strip("'") for w in words]
    if not keys or any(not k or k not in lexicon for k in keys):
        return None
    phones = [[_STRESS.sub("", p) for p in lexicon.pronunciations(k)[0]] for k in keys]
    try:
        alignment = load_aligner().align(samples, phones)
    except WordAlignmentError:
        return None
    if not all(w.spoken for w in alignment.words):
        return None
    return [(w.start * FRAME_SECONDS, w.end * FRAME_SECONDS) for w in alignment.words]
