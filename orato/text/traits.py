"""Trait scorers: ridge models on standardised text features, blended with boosted regression
trees on the same features, fitted on human scores.

Each trait's ridge reads the hand-made features of the analysis and, stacked beside them, the
estimates of one ridge per trait on the text's hashed n-gram profile (``ngrams.py``; the
``ngram_<trait>`` features) and of one per trait on its MPNet form vector (``vector_<trait>``;
``form_encoder.FormEncoder.read``), all fitted out of fold so the stack learns how far to trust them.
The weights (``orato/text/weights/traits.json`` and ``ngrams.npz``) are rebuilt by
``python -m training.text_traits --data ../shared/data/ellipse-train``; MODEL_CARD.md beside
them gives the data (ELLIPSE, CC BY-NC-SA 4.0), the method and the held-out figures.

Beside each ridge, gradient-boosted trees (fitted by LightGBM at training time, ``trees.npz``)
read the same features and the trait's estimate is a blend of the two, its share chosen on the
development prompts: the trees can follow thresholds and interactions between features that
a straight fit cannot, the ridge keeps the many small linear signals the trees would need many
splits for, and the blend had a lower cross-validated error than either for every trait. The
run time is numpy only: a profile, a gather per n-gram model, a dot product and a walk down
each tree's nodes per trait.

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
from typing import Any

import numpy as np

from orato.text.grammar import Source
from orato.text.ngrams import NgramModel, dense_profile, profile

WEIGHTS = Path(__file__).resolve().parent / "weights" / "traits.json"
NGRAM_WEIGHTS = WEIGHTS.with_name("ngrams.npz")
TREE_WEIGHTS = WEIGHTS.with_name("trees.npz")
TREE_ARRAYS = ("roots", "feature", "threshold", "left", "right", "value")
NGRAM_PREFIX = "ngram_"
VECTOR_PREFIX = "vector_"
VECTOR_GROUP = "vector-{source}"  # the form-vector ridges' group of each source in ngrams.npz
LOW, HIGH = 1.0, 5.0
POINTS_PER_STEP = 20.0  # 0-100 points per step of the 1-5 scale


@dataclass(frozen=True)
class BoostedTrees:
    """Regression trees whose leaves are summed, as flat node arrays over all trees: an inner
    node (``feature >= 0``) sends a row to ``left`` when the row's feature is at most
    ``threshold`` and to ``right`` otherwise; a leaf (``feature == -1``) holds ``value``. Tree
    ``k`` starts at node ``roots[k]``."""

    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray

    def predict(self, rows: np.ndarray) -> np.ndarray:
        """The sum of every tree's leaf for each row of ``rows`` (rows x features): all trees
        step down one level at a time, so the loop runs as often as the deepest tree is deep."""
        node = np.broadcast_to(self.roots, (len(rows), len(self.roots)))
        inner = self.feature[node] >= 0
        while inner.any():
            value = np.take_along_axis(rows, np.maximum(self.feature[node], 0), axis=1)
            step = np.where(value <= self.threshold[node], self.left[node], self.right[node])
            node = np.where(inner, step, node)
            inner = self.feature[node] >= 0
        return np.asarray(self.value[node].sum(axis=1), dtype=np.float64)


@dataclass(frozen=True)
class TraitModel:
    """One trait's model: a ridge, ``intercept + coefficients . (features - means) / scales``
    clipped to the scale, blended with boosted ``trees`` on the same features, which take
    ``tree_share`` of the estimate."""

    features: tuple[str, ...]
    means: np.ndarray
    scales: np.ndarray
    coefficients: np.ndarray
    intercept: float
    trees: BoostedTrees
    tree_share: float

    @classmethod
    def from_spec(cls, spec: dict[str, Any], trees: BoostedTrees) -> TraitModel:
        """The model as ``traits.json`` stores it (``training.text_traits`` writes it)."""
        return cls(
            tuple(spec["features"]), np.asarray(spec["means"], dtype=float), np.asarray(spec["scales"], dtype=float),
            np.asarray(spec["coefficients"], dtype=float), float(spec["intercept"]), trees, float(spec["tree_share"]),
        )  # fmt: skip

    def predict(self, features: dict[str, float]) -> float:
        """The 1-5 estimate, clipped to the scale; a missing feature counts as its mean."""
        values = np.array([features.get(name, float(mean)) for name, mean in zip(self.features, self.means, strict=False)])
        raw = self.intercept + float(np.dot(self.coefficients, (values - self.means) / self.scales))
        if not math.isfinite(raw):
            return (LOW + HIGH) / 2
        grown = float(self.trees.predict(values[None, :])[0])
        estimate = (1.0 - self.tree_share) * min(HIGH, max(LOW, raw)) + self.tree_share * grown
        return min(HIGH, max(LOW, estimate))


class TraitScorers:
    """The fitted models, by source (``speech``, ``writing``) and trait name."""

    def __init__(
        self, models: dict[str, dict[str, TraitModel]], ngrams: dict[str, dict[str, NgramModel]], version: str
    ) -> None:
        self._models = models
        self._ngrams = ngrams
        self.version = version

    def traits(self, source: Source) -> tuple[str, ...]:
        return tuple(self._models[source])

    def model(self, source: Source, trait: str) -> TraitModel:
        return self._models[source][trait]

    def predict(
        self, source: Source, features: dict[str, float], text: str | None = None, vector: np.ndarray | None = None
    ) -> dict[str, float]:
        """Each trait's 1-5 estimate for a text's ``features``; with its ``text`` and form ``vector``
        the n-gram and vector estimates join them (without, for a language they were not
        fitted on, they are held at their training mean)."""
        if text is not None and vector is not None:
            features = {**features, **self._stacked(source, text, vector)}
        return {trait: model.predict(features) for trait, model in self._models[source].items()}

    def _stacked(self, source: Source, text: str, vector: np.ndarray) -> dict[str, float]:
        text_profile, vector_profile = profile(text, source), dense_profile(vector)
        ngrams = {f"{NGRAM_PREFIX}{trait}": model.predict(text_profile) for trait, model in self._ngrams[source].items()}
        vector_models = self._ngrams[VECTOR_GROUP.format(source=source)]
        vectors = {f"{VECTOR_PREFIX}{t}": m.predict(vector_profile) for t, m in vector_models.items()}
        return {**ngrams, **vectors}


def to_hundred(value: float) -> int:
    """The contract's 0-100 score of a 1-5 estimate (20 points a step; see the module doc)."""
    return int(min(100, max(0, round(value * POINTS_PER_STEP))))


def load_ngram_models(path: Path = NGRAM_WEIGHTS) -> dict[str, dict[str, NgramModel]]:
    """The n-gram ridges, stored as ``<source>/<trait>`` bucket vectors and ``.../intercept``, and
    the form-vector ridges as ``vector-<source>/<trait>``."""
    models: dict[str, dict[str, NgramModel]] = {}
    with np.load(path) as archive:
        for key in archive.files:
            if key.endswith("/intercept"):
                continue
            source, trait = key.split("/")
            weights = np.asarray(archive[key], dtype=np.float32)
            models.setdefault(source, {})[trait] = NgramModel(weights, float(archive[f"{key}/intercept"]))
    return models


def load_trees(path: Path = TREE_WEIGHTS) -> dict[str, BoostedTrees]:
    """The boosted trees by ``<source>/<trait>``, stored as that key's ``/<array>`` entries."""
    with np.load(path) as archive:
        keys = {key.rsplit("/", 1)[0] for key in archive.files}
        return {key: BoostedTrees(*(np.asarray(archive[f"{key}/{name}"]) for name in TREE_ARRAYS)) for key in keys}


def load_trait_scorers(path: Path = WEIGHTS) -> TraitScorers:
    document = json.loads(path.read_text(encoding="utf-8"))
    trees = load_trees(path.with_name(TREE_WEIGHTS.name))
    models = {
        source: {trait: TraitModel.from_spec(spec, trees[f"{source}/{trait}"]) for trait, spec in traits.items()}
        for source, traits in document["models"].items()
    }
    return TraitScorers(models, load_ngram_models(path.with_name(NGRAM_WEIGHTS.name)), str(document["version"]))
