"""Fluency and prosody scores: ridge regressions over timing, pitch and pronunciation figures.

Experts rate fluency and prosody of a whole reading; what they hear is mostly tempo (speech
and articulation rate), hesitation (pauses, short runs, drawn-out sounds), melody (pitch
movement, loudness contrast) and, because halting readers are also weaker speakers, how well
the words were said. Each figure below is computed the same way for a sentence and for the
whole attempt, so one model scores both. The weights are fitted by ``training.delivery`` on
speechocean762's fluency and prosodic ratings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np

from orato.acoustic.pitch import ProsodyTrack
from orato.registry import models
from orato.scoring.fluency import Metrics, Span, TimedWord
from orato.scoring.rubric import round_half_up

WEIGHTS_PACKAGE = "orato.scoring.weights"
DELIVERY_WEIGHTS = "delivery.npz"
# A phone held this long (300 ms) is drawn out: a hesitation inside a word.
LONG_PHONE_FRAMES = 30
SEMITONES_PER_OCTAVE = 12.0
QUALITY_SCALE = 100.0


@dataclass(frozen=True)
class SpanEvidence:
    """What one sentence (or the whole attempt) offers the delivery models."""

    metrics: Metrics
    words: Sequence[TimedWord]  # the span's script words
    track: ProsodyTrack | None  # None when no prosody score was asked for

    @property
    def span(self) -> Span:
        assert self.metrics.span is not None, "an unspoken span has no delivery figures"
        return self.metrics.span


def _phone_frames(e: SpanEvidence) -> np.ndarray:
    return np.asarray([f for w in e.words if w.spoken for f in w.phone_frames], float)


def _voiced_semitones(e: SpanEvidence) -> np.ndarray:
    f0, _ = e.track.span(*e.span)  # type: ignore[union-attr]
    f0 = f0[~np.isnan(f0)]
    return SEMITONES_PER_OCTAVE * np.log2(f0 / np.median(f0)) if len(f0) else f0


def _spread(values: np.ndarray, low: float, high: float) -> float:
    return float(np.percentile(values, high) - np.percentile(values, low)) if len(values) > 1 else 0.0


def _intensity_spread(e: SpanEvidence) -> float:
    _, intensity = e.track.span(*e.span)  # type: ignore[union-attr]
    return _spread(intensity[~np.isnan(intensity)], 10, 90)


def _voiced_share(e: SpanEvidence) -> float:
    f0, _ = e.track.span(*e.span)  # type: ignore[union-attr]
    return float(np.mean(~np.isnan(f0))) if len(f0) else 0.0


def _cv(values: np.ndarray) -> float:
    return float(values.std() / values.mean()) if len(values) > 1 and values.mean() > 0 else 0.0


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0


Feature = Callable[[SpanEvidence], float]

TIMING_FEATURES: dict[str, Feature] = {
    "articulation_rate": lambda e: e.metrics.articulation_rate,
    "speech_rate": lambda e: e.metrics.speech_rate,
    "pause_share": lambda e: _share(e.metrics.pause_duration, e.metrics.duration),
    "pauses_per_word": lambda e: _share(len(e.metrics.pauses), e.metrics.word_count),
    "mean_length_run": lambda e: e.metrics.mean_length_run,
    "max_run_share": lambda e: _share(e.metrics.max_length_run, e.metrics.duration),
    "log_duration": lambda e: float(np.log1p(e.metrics.duration)),
    "phone_duration_cv": lambda e: _cv(_phone_frames(e)),
    "long_phone_share": lambda e: float(np.mean(_phone_frames(e) >= LONG_PHONE_FRAMES)) if e.metrics.duration else 0.0,
    "mean_quality": lambda e: e.metrics.mean_quality / QUALITY_SCALE,
    "correct_word_share": lambda e: _share(e.metrics.correct_word_count, e.metrics.word_count),
    "spoken_share": lambda e: _share(e.metrics.spoken_word_count, e.metrics.word_count),
}
PITCH_FEATURES: dict[str, Feature] = {
    "pitch_spread_semitones": lambda e: _spread(_voiced_semitones(e), 10, 90),
    "pitch_sd_semitones": lambda e: float(np.std(_voiced_semitones(e))) if e.metrics.duration else 0.0,
    "intensity_spread_db": _intensity_spread,
    "voiced_share": _voiced_share,
}
FEATURES: dict[str, Feature] = {**TIMING_FEATURES, **PITCH_FEATURES}
# The figures each score uses; prosody adds melody to what fluency hears.
SCORE_FEATURES: dict[str, tuple[str, ...]] = {
    "fluency": tuple(TIMING_FEATURES),
    "prosody": tuple(FEATURES),
}


def feature_vector(evidence: SpanEvidence, names: Sequence[str]) -> np.ndarray:
    if evidence.metrics.span is None:
        return np.zeros(len(names))
    return np.asarray([FEATURES[name](evidence) for name in names], float)


@dataclass(frozen=True)
class RidgeModel:
    names: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray
    coef: np.ndarray
    intercept: float

    def predict(self, x: np.ndarray) -> float:
        return float((x - self.mean) / self.std @ self.coef + self.intercept)


class DeliveryScorer:
    """The fluency and prosody models; weights hold ``<score>/<array>`` per score."""

    def __init__(self, weights: Mapping[str, np.ndarray]) -> None:
        self._models = {
            score: RidgeModel(
                tuple(str(n) for n in weights[f"{score}/names"]),
                weights[f"{score}/mean"], weights[f"{score}/std"], weights[f"{score}/coef"],
                float(weights[f"{score}/intercept"]),
            )  # fmt: skip
            for score in SCORE_FEATURES
        }

    def score(self, name: str, evidence: SpanEvidence) -> int:
        """``name`` ("fluency" or "prosody") on the 0-100 scale; 0 for an unspoken span (9.7)."""
        if evidence.metrics.span is None:
            return 0
        model = self._models[name]
        ten_point = model.predict(feature_vector(evidence, model.names))
        return round_half_up(float(np.clip(ten_point * 10, 0, 100)))


def load_delivery_scorer() -> DeliveryScorer:
    def load() -> DeliveryScorer:
        with resources.files(WEIGHTS_PACKAGE).joinpath(DELIVERY_WEIGHTS).open("rb") as handle:
            with np.load(handle) as arrays:
                return DeliveryScorer({k: arrays[k] for k in arrays.files})

    return models.get("delivery-scorer", load)

