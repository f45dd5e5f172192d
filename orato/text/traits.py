"""Trait scorers: ridge models on standardised text features, fitted on human scores.

The weights (``orato/text/weights/traits.json``) are rebuilt by
``python -m training.text_traits --data ../shared/data/ellipse-train``; MODEL_CARD.md beside
them gives the data (ELLIPSE, CC BY-NC-SA 4.0), the method and the held-out figures. The run
time is numpy only: a dot product per trait.

Scales: the models predict the human 1-5 scale; the contract's 0-100 score is 20 x that
(1 -> 20, 3 -> 60, 5 -> 100), so the rubric tables of api-scoring.md 10.2 (speaking) and 10.3
(writing) place an ELLIPSE 3 (a typical grade 8-12 learner) at IELTS 5.5, CEFR B1+ in writing
and A2+ in speaking, and a 4 at IELTS 7, B2+ in writing.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orato.text.grammar import Source

WEIGHTS = Path(__file__).resolve().parent / "weights" / "traits.json"
LOW, HIGH = 1.0, 5.0
POINTS_PER_STEP = 20.0  # 0-100 points per step of the 1-5 scale


@dataclass(frozen=True)
class TraitModel:
    """One trait's ridge model: ``intercept + coefficients . (features - means) / scales``."""

    features: tuple[str, ...]
    means: np.ndarray
    scales: np.ndarray
    coefficients: np.ndarray
    intercept: float

    def predict(self, features: dict[str, float]) -> float:
        """The 1-5 estimate, clipped to the scale; a missing feature counts as its mean."""
        values = np.array([features.get(name, float(mean)) for name, mean in zip(self.features, self.means, strict=False)])
        raw = self.intercept + float(np.dot(self.coefficients, (values - self.means) / self.scales))
        return min(HIGH, max(LOW, raw)) if math.isfinite(raw) else (LOW + HIGH) / 2


class TraitScorers:
    """The fitted models, by source (``speech``, ``writing``) and trait name."""

    def __init__(self, models: dict[str, dict[str, TraitModel]], version: str) -> None:
        self._models = models
        self.version = version

    def traits(self, source: Source) -> tuple[str, ...]:
        return tuple(self._models[source])

    def predict(self, source: Source, features: dict[str, float]) -> dict[str, float]:
        """Each trait's 1-5 estimate for a text's ``features``."""
        return {trait: model.predict(features) for trait, model in self._models[source].items()}


def to_hundred(value: float) -> int:
    """The contract's 0-100 score of a 1-5 estimate (20 points a step; see the module doc)."""
    return int(min(100, max(0, round(value * POINTS_PER_STEP))))


def load_trait_scorers(path: Path = WEIGHTS) -> TraitScorers:
    document = json.loads(path.read_text(encoding="utf-8"))
    models = {
        source: {
            trait: TraitModel(
                tuple(spec["features"]),
                np.asarray(spec["means"], dtype=float),
                np.asarray(spec["scales"], dtype=float),
                np.asarray(spec["coefficients"], dtype=float),
                float(spec["intercept"]),
            )
            for trait, spec in traits.items()
        }
        for source, traits in document["models"].items()
    }
    return TraitScorers(models, str(document["version"]))
