"""Fluency metrics of a scripted reading, per sentence and overall (api-scoring.md 9.7).

Everything here is measured on the aligned words: a pause is a gap of at least 250 ms between
two spoken words (decision 26). Filled pauses ("um", "er") and other non-speech sounds are
found the same way as silence: the aligner's word pass places only script words, and
pocketsphinx's silence and filler models absorb whatever lies between them, so a hesitation
leaves a gap between the words around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from orato.scoring.results import ScoredWord, wire_frame

FRAME_SECONDS = 0.01
PAUSE_MIN_FRAMES = 25  # decision 26: a pause is at least 250 ms
CORRECT_QUALITY = 70  # 9.7: correct syllables and words have quality_score >= 70

Span = tuple[float, float]  # half-open, in 10 ms frames


@dataclass(frozen=True)
class TimedWord:
    """A script word as fluency sees it: where it was said and how well."""

    spoken: bool
    start: float  # frames
    end: float
    quality: int
    syllable_qualities: tuple[int, ...]
    phone_frames: tuple[float, ...]  # each phone's duration, frames
    # Each vowel's extent (frames) and expected stress (0/1/2, None when unknown).
    vowels: tuple[tuple[float, float, int | None], ...] = ()

    @classmethod
    def of(cls, word: ScoredWord) -> TimedWord:
        phones = word.phones
        return cls(
            spoken=word.spoken,
            start=phones[0].extent[0],
            end=phones[-1].extent[1],
            quality=word.quality_score,
            syllable_qualities=tuple(s.quality_score for s in word.syllables),
            phone_frames=tuple(p.extent[1] - p.extent[0] for p in phones),
            # English vowels are the phones with a stress level (9.1).
            vowels=tuple((*p.extent, p.stress_level) for p in phones if p.stress_level is not None),
        )


def timed_words(words: Sequence[ScoredWord]) -> list[TimedWord]:
    return [TimedWord.of(w) for w in words]


@dataclass(frozen=True)
class Metrics:
    """One ``Metrics`` object of 9.7, before rounding."""

    segment: tuple[int, int]
    span: Span | None  # frames; None when no word of the segment was spoken
    duration: float  # seconds
    pauses: tuple[Span, ...]  # frames, clipped to the span
    internal_pauses: int
    max_length_run: float  # seconds
    syllable_count: int
    correct_syllable_count: int
    word_count: int
    correct_word_count: int
    spoken_word_count: int
    mean_quality: float  # mean word quality_score, unspoken words 0

    @property
    def pause_duration(self) -> float:
        return sum(e - b for b, e in self.pauses) * FRAME_SECONDS

    @property
    def articulation_length(self) -> float:
        return max(self.duration - self.pause_duration, 0.0)

    @property
    def speech_rate(self) -> float:
        return _rate(self.syllable_count, self.duration)

    @property
    def articulation_rate(self) -> float:
        return _rate(self.syllable_count, self.articulation_length)

    @property
    def mean_length_run(self) -> float:
        return self.articulation_length / (self.internal_pauses + 1) if self.duration else 0.0

    def to_wire(self) -> dict[str, Any]:
        return {
            "segment": list(self.segment),
            "duration": round(self.duration, 3),
            "articulation_length": round(self.articulation_length, 3),
            "syllable_count": self.syllable_count,
            "correct_syllable_count": self.correct_syllable_count,
            "word_count": self.word_count,
            "correct_word_count": self.correct_word_count,
            "speech_rate": round(self.speech_rate, 3),
            "articulation_rate": round(self.articulation_rate, 3),
            "syllable_correct_per_minute": round(_rate(self.correct_syllable_count, self.duration) * 60, 2),
            "word_correct_per_minute": round(_rate(self.correct_word_count, self.duration) * 60, 2),
            "all_pause_count": len(self.pauses),
            "all_pause_duration": round(self.pause_duration, 3),
            "all_pause_list": [[wire_frame(b), wire_frame(e)] for b, e in self.pauses],
            "mean_length_run": round(self.mean_length_run, 4),
            "max_length_run": round(self.max_length_run, 3),
        }


def _rate(count: float, seconds: float) -> float:
    """9.7: a rate whose denominator is 0 is 0."""
    return count / seconds if seconds > 0 else 0.0


def find_pauses(words: Sequence[TimedWord]) -> list[Span]:
    """Whole pauses: gaps of at least 250 ms between consecutive spoken words."""
    spoken = [w for w in words if w.spoken]
    return [
        (before.end, after.start)
        for before, after in zip(spoken, spoken[1:], strict=False)
        if after.start - before.end >= PAUSE_MIN_FRAMES
    ]


def segment_spans(words: Sequence[TimedWord], segments: Sequence[tuple[int, int]]) -> list[Span | None]:
    """Each segment's time span; ``None`` for a segment with no spoken word.

    The first spoken segment starts at its first word, the last ends at its last word, and
    the gap between two segments is split at its midpoint (9.7, decision 26).
    """
    bounds = [_spoken_bounds(words[a:b]) for a, b in segments]
    said = [i for i, b in enumerate(bounds) if b is not None]
    spans: list[Span | None] = [None] * len(segments)
    for k, i in enumerate(said):
        start, end = bounds[i]  # type: ignore[misc]
        if k > 0:
            start = (bounds[said[k - 1]][1] + start) / 2  # type: ignore[index]
        if k + 1 < len(said):
            end = (end + bounds[said[k + 1]][0]) / 2  # type: ignore[index]
        spans[i] = (start, end)
    return spans


def _spoken_bounds(words: Sequence[TimedWord]) -> Span | None:
    spoken = [w for w in words if w.spoken]
    return (spoken[0].start, spoken[-1].end) if spoken else None


def span_metrics(
    words: Sequence[TimedWord], segment: tuple[int, int], span: Span | None, pauses: Sequence[Span]
) -> Metrics:
    """The metrics of ``words[segment]`` over ``span``, with the whole ``pauses`` clipped to it."""
    own = words[segment[0] : segment[1]]
    syllables = [q for w in own for q in w.syllable_qualities]
    counts: dict[str, Any] = dict(
        segment=segment,
        syllable_count=len(syllables),
        correct_syllable_count=sum(q >= CORRECT_QUALITY for q in syllables),
        word_count=len(own),
        correct_word_count=sum(w.quality >= CORRECT_QUALITY for w in own),
        spoken_word_count=sum(w.spoken for w in own),
        mean_quality=sum(w.quality for w in own) / len(own) if own else 0.0,
    )
    if span is None:  # 9.7: an unspoken segment has duration 0 and all metrics 0
        return Metrics(span=None, duration=0.0, pauses=(), internal_pauses=0, max_length_run=0.0, **counts)
    start, end = span
    clipped = [(max(b, start), min(e, end)) for b, e in pauses if b < end and e > start]
    internal = [(b, e) for b, e in clipped if b > start and e < end]
    # Runs are the speech between internal pauses; half-pauses at the edges only trim them.
    edges = [start] + [x for b, e in internal for x in (b, e)] + [end]
    runs = _trim_edge_pauses([edges[i + 1] - edges[i] for i in range(0, len(edges), 2)], clipped, start, end)
    return Metrics(
        span=span,
        duration=(end - start) * FRAME_SECONDS,
        pauses=tuple(clipped),
        internal_pauses=len(internal),
        max_length_run=max(runs) * FRAME_SECONDS,
        **counts,
    )


def _trim_edge_pauses(runs: list[float], clipped: Sequence[Span], start: float, end: float) -> list[float]:
    """The first run loses a half-pause at the span's start, the last one at its end; a pause
    that fills the whole span (its only word aligned to zero frames) is taken off once."""
    runs = list(runs)
    for b, e in clipped:
        if b == start:
            runs[0] -= e - b
        elif e == end:
            runs[-1] -= e - b
    return runs


@dataclass(frozen=True)
class FluencyMetrics:
    segments: tuple[Metrics, ...]
    overall: Metrics


def fluency_metrics(words: Sequence[TimedWord], segments: Sequence[tuple[int, int]]) -> FluencyMetrics:
    pauses = find_pauses(words)
    spans = segment_spans(words, segments)
    per_segment = tuple(span_metrics(words, s, span, pauses) for s, span in zip(segments, spans, strict=False))
    overall = span_metrics(words, (0, len(words)), _spoken_bounds(words), pauses)
    return FluencyMetrics(per_segment, overall)
