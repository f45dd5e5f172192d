"""Step 4 of the French and Spanish scoring: unit features -> "another sound was said" -> 0-100.

No French or Spanish learner speech with human ratings exists to fit a scorer on, so the
scores are calibrated instead (``training/fres_calibrate.py``): per language, a logistic
regression over :data:`~orato.scoring.unit_features.FEATURES` separates the units of native
readings from units planted wrong (the reading scored against a script with one word swapped
for its minimal pair). Its probability is the English decision's (:mod:`orato.scoring.decision`)
"another sound (or none) was said", and the scores follow the English decision's shape as is
(:func:`~orato.scoring.decision.decided_scores`): a unit judged wrong falls to the red band,
its word to where raters put a word with one wrong sound; a unit judged right is native-like
(90-100) while the evidence favours it and falls to the red band's top only as the evidence
leans towards another sound (:func:`right_quality`), so a native reading stays green.

The English decision's fitted weights cannot be reused: its inputs are hama's posteriors and
pocketsphinx's HMM likelihoods, which have no French or Spanish models, and the scorer's
estimate fitted to speechocean762's English ratings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from orato.lang.romance_units import Language
from orato.scoring.decision import RED_TOP, DecidedScores, PhoneVerdicts, decided_scores, logistic
from orato.scoring.scorer import PHONE_SCALE, TEN_POINT_SCALE, Predictions
from orato.scoring.unit_features import BLANK, UnitFeatures

QUALITY_SCALE = 100.0
PARAMETERS = ("mean", "std", "coef", "intercept", "threshold")
# The class-balanced calibration's probability at which the evidence is as likely from another
# sound as from the expected one, and the floor of api-scoring.md 10.1's native-like band.
EVEN_ODDS = 0.5
NATIVE_LIKE = 90.0


@dataclass(frozen=True)
class CalibratedScores:
    verdicts: PhoneVerdicts
    predictions: Predictions
    scores: DecidedScores


class UnitCalibration:
    """Weights: ``<language>.<parameter>`` for each language and each of :data:`PARAMETERS`."""

    def __init__(self, weights: Mapping[str, np.ndarray]) -> None:
        self._w = {
            language: {p: np.asarray(weights[f"{language}.{p}"], np.float64) for p in PARAMETERS}
            for language in ("fr", "es")
            if f"{language}.coef" in weights
        }

    def languages(self) -> tuple[str, ...]:
        return tuple(self._w)

    def __call__(self, features: UnitFeatures, n_words: int, language: Language) -> CalibratedScores:
        weights = self._w[language]
        threshold = float(weights["threshold"])
        probability = logistic(features.columns, weights)
        wrong = (probability >= threshold) & features.spoken
        heard = _rivals(features)
        # No contested band: the calibration's probability already says how near a rival came.
        verdicts = PhoneVerdicts(probability, wrong, heard, np.zeros(len(probability)))
        predictions = _predictions(probability, threshold, features, n_words)
        return CalibratedScores(verdicts, predictions, decided_scores(predictions, verdicts, features.word_of_unit, threshold))


def _rivals(features: UnitFeatures) -> np.ndarray:
    """The likeliest competitor of each unit (deletion, class BLANK, included): never itself."""
    shares = features.shares.copy()
    shares[np.arange(len(shares)), features.labels] = -np.inf
    heard: np.ndarray = np.argmax(shares, axis=1)
    return heard


def right_quality(probability: np.ndarray, threshold: float) -> np.ndarray:
    """0-100 for a unit judged right: 100 when surely right, the native-like band's floor at
    even odds, the red band's top at the threshold.

    The calibration is class-balanced, so below EVEN_ODDS the evidence favours the expected
    sound: such a unit is shown native-like, as a rater would hear it, and only evidence that
    leans towards another sound (between even odds and the threshold) takes it down towards
    the red band. A straight fall from 100 to the threshold put a native unit with half the
    threshold's probability at 80, short of native-like.
    """
    doubt = np.clip((probability - EVEN_ODDS) / max(threshold - EVEN_ODDS, 1e-9), 0.0, 1.0)
    trust = np.clip(probability / EVEN_ODDS, 0.0, 1.0)
    below = QUALITY_SCALE - (QUALITY_SCALE - NATIVE_LIKE) * trust
    above = NATIVE_LIKE - (NATIVE_LIKE - RED_TOP) * doubt
    quality: np.ndarray = np.where(probability <= EVEN_ODDS, below, above)
    return quality


def _predictions(probability: np.ndarray, threshold: float, features: UnitFeatures, n_words: int) -> Predictions:
    """The calibration in the English scorer's scales, for the decision's shape to apply to:
    a word is the mean of its units, the reading the mean of its said words."""
    quality = right_quality(probability, threshold)
    words = np.zeros(n_words)
    counts = np.bincount(features.word_of_unit, minlength=n_words)
    np.add.at(words, features.word_of_unit, quality)
    words = words / np.maximum(counts, 1)
    said = np.zeros(n_words, bool)
    said[features.word_of_unit[features.spoken]] = True
    sentence = float(words[said].mean()) if said.any() else 0.0
    scale = TEN_POINT_SCALE / QUALITY_SCALE
    return Predictions(quality / QUALITY_SCALE * PHONE_SCALE, words * scale, sentence * scale, sentence * scale)


def heard_unit(features: UnitFeatures, verdicts: PhoneVerdicts, unit: int) -> int:
    """The class the unit sounded most like: its rival when judged wrong, else the likeliest
    class of the GOP (itself, or a close runner-up the results show only below 90)."""
    if verdicts.wrong[unit]:
        return int(verdicts.heard[unit])
    shares = features.shares[unit].copy()
    shares[BLANK] = -np.inf
    return int(np.argmax(shares))
