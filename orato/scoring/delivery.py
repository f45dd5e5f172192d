"""Fluency and prosody scores: ridge regressions over timing, pitch and pronunciation figures.

Experts rate fluency and prosody of a whole reading; what they hear is mostly tempo (speech
and articulation rate), hesitation (pauses, short runs, drawn-out sounds), melody (pitch
movement, loudness contrast) and, because halting readers are also weaker speakers, how well
the words were said. Each figure below is computed the same way for a sentence and for the
whole attempt, so one model scores both. The weights are fitted by ``training.delivery`` on
speechocean762's fluency and prosodic ratings.

What these figures miss, the voice itself carries: the mean Whisper-base encoder state over
the attempt's speech (the engine computes the states anyway) predicts the experts' ratings
about as well as all the figures together (held-out Pearson 0.84 / 0.83 alone). A ridge over
it gives a ``voice_estimate`` that joins the figures (stacking); together they reach 0.86 /
0.85 held out where the figures alone reach 0.83 / 0.82. An assessment without states (the
French and Spanish engine) is scored by the figures alone (``<score>/plain``).

Score speech has no script: its words are the recogniser's, and a mispronounced word comes out
of the recogniser as a well-said other word, so every verdict the pronunciation engine gives on
that transcript flatters the speaker. Its fluency is therefore scored without the figures that
rest on those verdicts (``<score>/unscripted``), and its sentence pronunciation comes from the
voice state alone (:meth:`DeliveryScorer.unscripted_pronunciation`), which no transcript can
flatter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np

from orato.acoustic.aligner import Alignment
from orato.acoustic.pitch import ProsodyTrack
from orato.registry import models
from orato.scoring.decision import SentenceSpread
from orato.scoring.features import extents_20ms
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
    # The pronunciation engine's sentence predictions for the whole attempt (0-10): how
    # proficient the reader sounds colours every sentence's delivery.
    proficiency: tuple[float, float]
    # The attempt's mean encoder state over its speech (``voice_state``), shared by every
    # sentence like ``proficiency``; None where the engine has none.
    voice: np.ndarray | None = None
    # False when the words are a recogniser's transcript, not a script (module docstring).
    scripted: bool = True

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


def _vowels(e: SpanEvidence) -> list[tuple[float, float, int | None]]:
    return [v for w in e.words if w.spoken for v in w.vowels if v[1] > v[0]]


def _npvi(e: SpanEvidence) -> float:
    """Rhythm: the normalised pairwise variability of successive vowel durations (stress-timed
    English alternates long and short vowels; a syllable-timed reading does not)."""
    d = np.asarray([end - start for start, end, _ in _vowels(e)], float)
    if len(d) < 2:
        return 0.0
    return float(np.mean(np.abs(np.diff(d)) / ((d[1:] + d[:-1]) / 2)) * 100)


def _stress_contrast(e: SpanEvidence, measure: Callable[[tuple[float, float, int | None]], float]) -> float:
    """How much stressed vowels stand out from unstressed ones by ``measure`` (0 without both)."""
    stressed = [measure(v) for v in _vowels(e) if v[2] in (1, 2)]
    unstressed = [measure(v) for v in _vowels(e) if v[2] == 0]
    stressed, unstressed = [x for x in stressed if np.isfinite(x)], [x for x in unstressed if np.isfinite(x)]
    return float(np.mean(stressed) - np.mean(unstressed)) if stressed and unstressed else 0.0


def _vowel_loudness(e: SpanEvidence) -> Callable[[tuple[float, float, int | None]], float]:
    def loudness(v: tuple[float, float, int | None]) -> float:
        _, intensity = e.track.span(v[0], v[1])  # type: ignore[union-attr]
        return float(np.nanmean(intensity)) if np.any(~np.isnan(intensity)) else float("nan")

    return loudness


def _syllable_melody(e: SpanEvidence) -> float:
    """Spread of the vowels' median pitch in semitones: melody across syllables, robust to the
    frame-level octave jumps of a pitch tracker."""
    medians = []
    for start, end, _ in _vowels(e):
        f0, _ = e.track.span(start, end)  # type: ignore[union-attr]
        f0 = f0[~np.isnan(f0)]
        if len(f0):
            medians.append(np.median(f0))
    if len(medians) < 2:
        return 0.0
    return float(np.std(SEMITONES_PER_OCTAVE * np.log2(np.asarray(medians) / np.median(medians))))


def _sd(values: np.ndarray) -> float:
    """Standard deviation, 0 for no values: a span can hold speech but no voiced frame
    (whispered, or a word aligned to zero frames), and NaN must never reach a score."""
    return float(np.std(values)) if len(values) else 0.0


def _share_at_least(values: np.ndarray, threshold: float) -> float:
    """The share of ``values`` at or above ``threshold``, 0 for no values."""
    return float(np.mean(values >= threshold)) if len(values) else 0.0


def _cv(values: np.ndarray) -> float:
    return float(values.std() / values.mean()) if len(values) > 1 and values.mean() > 0 else 0.0


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0


Feature = Callable[[SpanEvidence], float]

FLUENCY_FEATURES: dict[str, Feature] = {
    "articulation_rate": lambda e: e.metrics.articulation_rate,
    "speech_rate": lambda e: e.metrics.speech_rate,
    "pause_share": lambda e: _share(e.metrics.pause_duration, e.metrics.duration),
    "pauses_per_word": lambda e: _share(len(e.metrics.pauses), e.metrics.word_count),
    "mean_length_run": lambda e: e.metrics.mean_length_run,
    "max_run_share": lambda e: _share(e.metrics.max_length_run, e.metrics.duration),
    "log_duration": lambda e: float(np.log1p(e.metrics.duration)),
    "phone_duration_cv": lambda e: _cv(_phone_frames(e)),
    "long_phone_share": lambda e: _share_at_least(_phone_frames(e), LONG_PHONE_FRAMES),
    "mean_quality": lambda e: e.metrics.mean_quality / QUALITY_SCALE,
    "correct_word_share": lambda e: _share(e.metrics.correct_word_count, e.metrics.word_count),
    "predicted_accuracy": lambda e: e.proficiency[0],
    "predicted_total": lambda e: e.proficiency[1],
    "vowel_npvi": _npvi,
    "stress_duration_contrast": lambda e: _stress_contrast(e, lambda v: float(np.log(v[1] - v[0]))),
}
MELODY_FEATURES: dict[str, Feature] = {
    "pitch_spread_semitones": lambda e: _spread(_voiced_semitones(e), 10, 90),
    "pitch_sd_semitones": lambda e: _sd(_voiced_semitones(e)),
    "intensity_spread_db": _intensity_spread,
    "voiced_share": _voiced_share,
    "syllable_melody_semitones": _syllable_melody,
    "stress_loudness_contrast_db": lambda e: _stress_contrast(e, _vowel_loudness(e)),
}
FEATURES: dict[str, Feature] = {**FLUENCY_FEATURES, **MELODY_FEATURES}
# The figures each score uses; prosody adds melody to what fluency hears.
SCORE_FEATURES: dict[str, tuple[str, ...]] = {
    "fluency": tuple(FLUENCY_FEATURES),
    "prosody": tuple(FEATURES),
}
# The figures that rest on the pronunciation engine's verdicts on the words (module docstring).
SCRIPT_BOUND_FEATURES = frozenset({"mean_quality", "correct_word_share", "predicted_accuracy", "predicted_total"})
# The scores an unscripted answer gets (score speech reports fluency, not prosody).
UNSCRIPTED_SCORES = ("fluency",)


def feature_vector(evidence: SpanEvidence, names: Sequence[str]) -> np.ndarray:
    if evidence.metrics.span is None:
        return np.zeros(len(names))
    return np.asarray([FEATURES[name](evidence) for name in names], float)


def voice_state(states: np.ndarray, alignment: Alignment) -> np.ndarray | None:
    """The mean of the encoder ``states`` (20 ms, counted like the ``alignment``'s frames) from
    the first spoken phone's start to the last one's end: the voice of the speech without the
    silence around it. None when no phone was spoken."""
    spoken = np.asarray([w.spoken for w in alignment.words for _ in w.phones], bool)
    if not spoken.any() or not len(states):
        return None
    extents = extents_20ms(alignment, len(states))[spoken]
    return np.asarray(states[extents[:, 0].min() : extents[:, 1].max()], np.float64).mean(0)


def with_squares(x: np.ndarray) -> np.ndarray:
    """Each figure and its square: ratings saturate at both ends of the scale (a fast reader
    is not ever more fluent), which a straight line cannot follow."""
    return np.concatenate([x, x**2], axis=-1)


@dataclass(frozen=True)
class RidgeModel:
    names: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray
    coef: np.ndarray
    intercept: float

    def predict(self, x: np.ndarray) -> float:
        return float((x - self.mean) / self.std @ self.coef + self.intercept)


# The stacked feature: the voice ridge's ten-point estimate, last in a model's names.
VOICE_ESTIMATE = "voice_estimate"


def _ridge(weights: Mapping[str, np.ndarray], prefix: str) -> RidgeModel:
    names = tuple(str(n) for n in weights[f"{prefix}/names"]) if f"{prefix}/names" in weights else ()
    return RidgeModel(
        names, weights[f"{prefix}/mean"], weights[f"{prefix}/std"], weights[f"{prefix}/coef"],
        float(weights[f"{prefix}/intercept"]),
    )  # fmt: skip


class DeliveryScorer:
    """The fluency and prosody models. Weights per score: ``<score>/voice/<array>`` (ridge on
    the voice state), ``<score>/<array>`` (figures, their voice estimate, and squares),
    ``<score>/plain/<array>`` (figures and squares, for evidence without a voice state) and,
    for an unscripted answer, ``<score>/unscripted/<array>`` (as the first, without the
    script-bound figures). ``pronunciation/voice/<array>`` and ``pronunciation/spread``
    estimate an unscripted answer's sentence pronunciation."""

    def __init__(self, weights: Mapping[str, np.ndarray]) -> None:
        self._voice = {score: _ridge(weights, f"{score}/voice") for score in SCORE_FEATURES}
        self._models = {score: _ridge(weights, score) for score in SCORE_FEATURES}
        self._plain = {score: _ridge(weights, f"{score}/plain") for score in SCORE_FEATURES}
        self._unscripted = {score: _ridge(weights, f"{score}/unscripted") for score in UNSCRIPTED_SCORES}
        self._pronunciation = _ridge(weights, "pronunciation/voice")
        self._pronunciation_spread = SentenceSpread(*(float(v) for v in weights["pronunciation/spread"]))

    def ten_point(self, name: str, evidence: SpanEvidence) -> float:
        """The model's estimate of the experts' 0-10 rating of what was spoken."""
        if evidence.voice is None:
            plain = self._plain[name]
            return plain.predict(with_squares(feature_vector(evidence, plain.names)))
        model = self._models[name] if evidence.scripted else self._unscripted[name]
        figures = feature_vector(evidence, model.names[:-1])
        voice = self._voice[name].predict(evidence.voice)
        return model.predict(with_squares(np.append(figures, voice)))

    def unscripted_pronunciation(self, voice: np.ndarray) -> float:
        """An unscripted answer's sentence pronunciation (0-100) from its voice state: the
        ridge's estimate of the experts' sentence accuracy, stretched to their spread as the
        scripted sentence estimate is (``SentenceSpread``)."""
        sentence = self._pronunciation_spread(10 * self._pronunciation.predict(voice))
        return float(np.clip(sentence, 0.0, 100.0))

    def score(self, name: str, evidence: SpanEvidence) -> int:
        """``name`` ("fluency" or "prosody") on the 0-100 scale.

        The model hears only what was said; as in pronunciation, an unspoken word counts 0, so
        the score is scaled by the share of the span's words that were spoken (a reading that
        stops halfway cannot be fluent on the whole script; an unspoken span scores 0, 9.7).
        """
        if evidence.metrics.span is None:
            return 0
        ten_point = self.ten_point(name, evidence)
        spoken = evidence.metrics.spoken_word_count / evidence.metrics.word_count
        return round_half_up(float(np.clip(ten_point * 10, 0, 100)) * spoken)


def load_delivery_scorer() -> DeliveryScorer:
    def load() -> DeliveryScorer:
        with resources.files(WEIGHTS_PACKAGE).joinpath(DELIVERY_WEIGHTS).open("rb") as handle:
            with np.load(handle) as arrays:
                return DeliveryScorer({k: arrays[k] for k in arrays.files})

    return models.get("delivery-scorer", load)

