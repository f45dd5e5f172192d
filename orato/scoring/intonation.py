"""Syllable intonation for score text with ``include_intonation=1`` (api-scoring.md 2.7, 9.8).

Each syllable gets the pitch at its start and end (``pitch_range``) and a pair
``[secondary, primary]`` (decision 27): primary is the movement inside the syllable, secondary
a jump from the end of the previous syllable against that movement. The labels are computed
from the rounded ``pitch_range`` values, so a client that recomputes them from the response
gets the same answer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from orato.acoustic.pitch import ProsodyTrack
from orato.scoring.results import Intonation, ScoredWord

RISE, FALL, FLAT, REDUCED = "RISE", "FALL", "FLAT", "REDUCED"
# Decision 27: a movement of at least one semitone counts.
THRESHOLD_SEMITONES = 1.0
# Start and end pitch are medians of this many voiced frames (30 ms) at each edge of the
# syllable: one frame alone is at the mercy of a Praat octave error or of the perturbation a
# consonant release puts on the first glottal pulses; three still sit at the edge.
EDGE_FRAMES = 3
# Fewer voiced frames than this (40 ms, about four pulses of a low voice at the 75 Hz pitch
# floor) carry no measurable movement: the syllable is REDUCED.
MIN_VOICED_FRAMES = 4
PITCH_DECIMALS = 3  # 1.7


def semitones(f1: float, f2: float) -> float:
    """The interval from ``f1`` to ``f2`` in semitones (9.8): ``12 × log2(f2 / f1)``."""
    return 12.0 * math.log2(f2 / f1)


def pitch_range(f0: np.ndarray) -> tuple[float | None, float | None]:
    """Start and end pitch (Hz, 3 decimals) of a syllable's frames, None when unmeasurable.

    Each is the median of the first (last) :data:`EDGE_FRAMES` voiced frames; a short voiced
    stretch is halved so the two edges never share a frame.
    """
    voiced = f0[~np.isnan(f0)]
    if len(voiced) < MIN_VOICED_FRAMES:
        return None, None
    edge = min(EDGE_FRAMES, len(voiced) // 2)
    start, end = np.median(voiced[:edge]), np.median(voiced[-edge:])
    return round(float(start), PITCH_DECIMALS), round(float(end), PITCH_DECIMALS)


def movement(f1: float, f2: float) -> str:
    """RISE, FALL or FLAT for a change of pitch from ``f1`` to ``f2``."""
    interval = semitones(f1, f2)
    if interval >= THRESHOLD_SEMITONES:
        return RISE
    if interval <= -THRESHOLD_SEMITONES:
        return FALL
    return FLAT


def primary(spoken: bool, start: float | None, end: float | None) -> str | None:
    """The movement inside the syllable; REDUCED when spoken but unmeasurable, None unspoken."""
    if not spoken:
        return None
    if start is None or end is None:
        return REDUCED
    return movement(start, end)


def secondary(inside: str | None, start: float | None, previous_end: float | None) -> str | None:
    """A jump against the syllable's own movement: up into a FALL, down into a RISE.

    None when there is no measured previous end pitch (the first syllable, or one after an
    unvoiced syllable) and in every other case 9.8 does not name.
    """
    if start is None or previous_end is None:
        return None
    jump = movement(previous_end, start)
    if inside == FALL and jump == RISE:
        return RISE
    if inside == RISE and jump == FALL:
        return FALL
    return None


def add_intonation(words: Sequence[ScoredWord], track: ProsodyTrack) -> list[ScoredWord]:
    """Every syllable of ``words`` with its intonation (2.7, 9.8).

    The previous syllable of a jump is the previous *spoken* one, across word boundaries: an
    unspoken word has no sound between its neighbours. Its own syllables get ``[null, null]``
    for both members.
    """
    previous_end: float | None = None
    out: list[ScoredWord] = []
    for word in words:
        said = word.spoken
        syllables = []
        for syllable in word.syllables:
            start, end = pitch_range(track.span(*syllable.extent)[0]) if said else (None, None)
            inside = primary(said, start, end)
            entering = secondary(inside, start, previous_end)
            if said:
                previous_end = end
            syllables.append(replace(syllable, intonation=Intonation(entering, inside, (start, end))))
        out.append(replace(word, syllables=tuple(syllables)))
    return out
