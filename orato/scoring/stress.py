"""Lexical stress of English syllables: what was heard (``predicted_stress_level``) and how
well it matches the lexicon (``stress_score``, api-scoring.md 9.5).

What a listener hears as stress is prominence: a stressed syllable is longer, louder and
higher than its neighbours. Each spoken syllable gets one prominence value, in units of a
doubling of its duration:

    log2(syllable seconds) + INTENSITY_WEIGHT × dB + PITCH_WEIGHT × semitones
                           - WORD_FINAL_DISCOUNT (on the last syllable of a word)

with loudness and pitch measured on the syllable's vowel and taken relative to the
utterance's mean (an unmeasured cue counts as that mean). Then:

* **A word of two or more syllables** is judged against itself: its most prominent syllable is
  the primary stress (1), any other syllable within :data:`SECONDARY_MARGIN` of it is also
  heard as stressed (2), the rest are unstressed (0). Lexical stress is a contrast inside a
  word, so the word is the right frame; the utterance would mix in sentence accent.
* **A monosyllable** has nothing to contrast with inside its word, so it is judged against the
  syllables spoken just before and after it (the mean of the two, or the one at an edge): at
  least :data:`SECONDARY_MARGIN` above them is 1, as far below is 0, in between 2. A syllable
  said alone (score word of ``cat``) is the utterance's only accent and is 1. speechocean762
  marks no stress on monosyllables, so the contrast was checked on the syllables of
  polysyllables, whose stress is known: it ranks a stressed one above an unstressed one with
  a probability (AUC) of 0.84 on held-out speakers.
* **An unspoken word** produced no prominence at all: its syllables are 0, and 9.5's table
  scores them (an expected 1 gets 0, an expected 0 gets 100).

Note that the en-us lexicon (CMUdict) gives many function words a citation stress of 1
(``to``, ``it``, ``than``): when a reader reduces them, as fluent readers do, they are
heard as 0 and score 0 against that expectation.

The constants were tuned on half of the speakers of speechocean762 and checked on the other
half (``python -m training.stress_eval``); the figures are in that module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import accumulate, pairwise

import numpy as np

from orato.acoustic.pitch import FRAME_SECONDS, ProsodyTrack
from orato.lang import phone_set
from orato.lang.pronunciation import syllabify
from orato.scoring.results import ScoredPhone, ScoredSyllable, ScoredWord, StressVerdict

UNSTRESSED, PRIMARY, SECONDARY = 0, 1, 2
# 9.5, normative (decision 24): (expected, predicted) -> stress_score. Primary and secondary
# both count as stressed; an expected 2 heard as 0, or a 0 heard as 2, is half wrong.
STRESS_SCORES: dict[tuple[int, int], int] = {
    (1, 1): 100, (1, 2): 100, (2, 1): 100, (2, 2): 100, (0, 0): 100,
    (2, 0): 50, (0, 2): 50,
    (1, 0): 0, (0, 1): 0,
}  # fmt: skip
# Tuned on speechocean762 (training.stress_eval): 10 dB of loudness weigh as much as doubling
# the duration, and so do about 17 semitones of pitch. Duration is the learners' strongest
# cue; pitch also carries intonation (declination, final falls), which blurs it as a stress cue.
INTENSITY_WEIGHT = 0.1
PITCH_WEIGHT = 0.06
# A word's last syllable is long whatever its stress (final lengthening, which Mandarin
# speakers exaggerate, and the word's coda): it counts this many doublings less. Without it,
# the primary stress was found on the expected syllable of correctly stressed words 0.76 of
# the time on the tuning half (balanced over final and other stress); with it, 0.83.
WORD_FINAL_DISCOUNT = 0.8
# Syllables closer than this to the most prominent one are heard as stressed too: 0.2 is 15 %
# longer or 2 dB louder, roughly one just-noticeable difference of segment duration or
# loudness. The agreement with the experts is flat for margins from 0 to 0.5, so the margin
# rests on that perceptual argument, not on the data.
SECONDARY_MARGIN = 0.2


@dataclass(frozen=True)
class SyllableSpan:
    """Where a spoken syllable lies, in 10 ms frames: the whole syllable and its vowel(s)."""

    start: float
    end: float
    vowel_start: float
    vowel_end: float


@dataclass(frozen=True)
class StressRule:
    """The constants of the rule; the defaults are the shipped ones (tuning varies them)."""

    intensity_weight: float = INTENSITY_WEIGHT
    pitch_weight: float = PITCH_WEIGHT
    word_final_discount: float = WORD_FINAL_DISCOUNT
    secondary_margin: float = SECONDARY_MARGIN


@dataclass(frozen=True)
class Cues:
    """The prominence cues of an utterance's spoken syllables, in order, measured once so that
    several rules can be tried on them (``training.stress_eval``)."""

    # Syllables of each word, None for an unspoken word (or one without a vowel).
    word_sizes: tuple[int | None, ...]
    duration: np.ndarray  # seconds, the whole syllable
    intensity: np.ndarray  # mean dB over the vowel; NaN when unmeasured
    pitch: np.ndarray  # median f0 over the vowel, in semitones (re 1 Hz); NaN when unvoiced


def stress_score(expected: int, predicted: int) -> int:
    """9.5's table."""
    return STRESS_SCORES[(expected, predicted)]


def measure(track: ProsodyTrack, words: Sequence[Sequence[SyllableSpan] | None]) -> Cues:
    """Cues of the syllables of ``words`` (None: an unspoken word)."""
    spans = [span for syllables in words if syllables for span in syllables]
    intensity, pitch = np.full(len(spans), np.nan), np.full(len(spans), np.nan)
    for n, span in enumerate(spans):
        f0, db = track.span(span.vowel_start, span.vowel_end)
        if np.any(~np.isnan(db)):
            intensity[n] = np.nanmean(db)
        if np.any(~np.isnan(f0)):
            pitch[n] = 12.0 * np.log2(np.nanmedian(f0))
    duration = np.array([max(s.end - s.start, 1.0) * FRAME_SECONDS for s in spans])
    return Cues(tuple(len(s) if s else None for s in words), duration, intensity, pitch)


def prominence(cues: Cues, rule: StressRule = StressRule()) -> np.ndarray:
    """Each spoken syllable's prominence, in doublings of duration (see the module's formula)."""
    final = np.concatenate([np.arange(n) == n - 1 for n in cues.word_sizes if n] or [np.zeros(0, bool)])
    return (
        np.log2(cues.duration)
        + rule.intensity_weight * _centred(cues.intensity)
        + rule.pitch_weight * _centred(cues.pitch)
        - rule.word_final_discount * final
    )


def predict(cues: Cues, rule: StressRule = StressRule()) -> list[list[int] | None]:
    """The predicted stress of each word's syllables; None for an unspoken word."""
    values = list(prominence(cues, rule))
    out: list[list[int] | None] = []
    at = 0
    for size in cues.word_sizes:
        if not size:
            out.append(None)
            continue
        own = values[at : at + size]
        if size > 1:
            out.append(_within_word(own, rule.secondary_margin))
        else:
            neighbours = values[max(at - 1, 0) : at] + values[at + 1 : at + 2]
            out.append([_against_neighbours(own[0], neighbours, rule.secondary_margin)])
        at += size
    return out


def _centred(values: np.ndarray) -> np.ndarray:
    """Deviation from the utterance's mean; an unmeasured value counts as the mean."""
    if not np.any(~np.isnan(values)):
        return np.zeros(len(values))
    return np.nan_to_num(values - np.nanmean(values))


def _within_word(prominence: list[float], margin: float) -> list[int]:
    top = int(np.argmax(prominence))
    return [
        PRIMARY if n == top else SECONDARY if prominence[top] - value <= margin else UNSTRESSED
        for n, value in enumerate(prominence)
    ]


def _against_neighbours(value: float, neighbours: list[float], margin: float) -> int:
    if not neighbours:
        return PRIMARY
    contrast = value - float(np.mean(neighbours))
    if contrast >= margin:
        return PRIMARY
    return UNSTRESSED if contrast <= -margin else SECONDARY


# --- the wire objects ----------------------------------------------------------------------


def add_stress(words: Sequence[ScoredWord], track: ProsodyTrack, dialect: str) -> list[ScoredWord]:
    """Every vowel with a ``stress_level``, and every syllable with one, with the stress heard
    (``stress_score``, ``predicted_stress_level``; score text and score word, 9.1, 9.3)."""
    vowels = phone_set(dialect).vowels
    pairs = [word.syllable_phones() for word in words]
    voiced = [[i for i, (_, phones) in enumerate(own) if _has_vowel(phones, vowels)] for own in pairs]
    spans = [
        [_span(own[i][1], vowels) for i in indexes] if word.spoken else None
        for word, own, indexes in zip(words, pairs, voiced, strict=True)
    ]
    levels = predict(measure(track, spans))
    return [
        _stressed(word, own, _heard(indexes, heard), vowels)
        for word, own, indexes, heard in zip(words, pairs, voiced, levels, strict=True)
    ]


def add_phone_list_stress(
    phones: Sequence[ScoredPhone], spoken: bool, track: ProsodyTrack, dialect: str
) -> tuple[ScoredPhone, ...]:
    """Score phone list (4.2, decision 20): the phones are one word, split into syllables by
    maximum onset as a word would be; only vowels sent with a digit get the fields."""
    vowels = phone_set(dialect).vowels
    sizes = syllabify([p.phone for p in phones], vowels)
    syllables = [tuple(phones[a:b]) for a, b in pairwise([0, *accumulate(sizes)])]
    indexes = [i for i, syllable in enumerate(syllables) if _has_vowel(syllable, vowels)]
    levels = predict(measure(track, [[_span(syllables[i], vowels) for i in indexes] if spoken else None]))[0]
    heard = _heard(indexes, levels)
    return tuple(
        phone
        for i, syllable in enumerate(syllables)
        for phone in (_annotate_phones(syllable, heard[i], vowels) if i in heard else syllable)
    )


def _heard(indexes: list[int], levels: list[int] | None) -> dict[int, int]:
    """Syllable index -> predicted level; an unspoken word's syllables are heard as unstressed."""
    return dict(zip(indexes, levels or [UNSTRESSED] * len(indexes), strict=True))


def _stressed(
    word: ScoredWord, pairs: list[tuple[ScoredSyllable, tuple[ScoredPhone, ...]]], heard: dict[int, int], vowels: frozenset[str]
) -> ScoredWord:
    syllables: list[ScoredSyllable] = []
    phones: list[ScoredPhone] = []
    for i, (syllable, own) in enumerate(pairs):
        if i in heard:
            syllables.append(replace(syllable, stress=_verdict(syllable.stress_level, heard[i])))
            phones += _annotate_phones(own, heard[i], vowels)
        else:
            syllables.append(syllable)
            phones += own
    return replace(word, syllables=tuple(syllables), phones=tuple(phones))


def _has_vowel(phones: Sequence[ScoredPhone], vowels: frozenset[str]) -> bool:
    return any(p.phone in vowels for p in phones)


def _span(phones: Sequence[ScoredPhone], vowels: frozenset[str]) -> SyllableSpan:
    nuclei = [p.extent for p in phones if p.phone in vowels]
    return SyllableSpan(phones[0].extent[0], phones[-1].extent[1], nuclei[0][0], nuclei[-1][1])


def _annotate_phones(phones: Sequence[ScoredPhone], predicted: int, vowels: frozenset[str]) -> list[ScoredPhone]:
    return [replace(p, stress=_verdict(p.stress_level, predicted)) if p.phone in vowels else p for p in phones]


def _verdict(expected: int | None, predicted: int) -> StressVerdict | None:
    """The stress fields of a phone or syllable whose expected stress is known."""
    if expected is None:
        return None
    return StressVerdict(stress_score(expected, predicted), predicted)
