"""The text models of one process, each loaded once through the model registry.

``load_text_models()`` is what score speech, score writing and score task call; the server
calls it at start-up (``preload_models``) so /health says ready only when they are in memory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from orato.registry import models
from orato.text.embeddings import SentenceEncoder, load_sentence_encoder
from orato.text.feedback import FeedbackNorms
from orato.text.grammar import GrammarChecker, load_grammar_checker
from orato.text.language import LanguageIdentifier, load_language_identifier
from orato.text.relevance import REFERENCE_TOPICS
from orato.text.traits import WEIGHTS, TraitScorers, load_trait_scorers


@dataclass(frozen=True)
class Calibration:
    """Constants fitted with the trait scorers (weights/traits.json)."""

    relevance_threshold: float  # on relevance.standing
    references: np.ndarray  # unit vectors of relevance.REFERENCE_TOPICS
    # Median cosines of ELLIPSE essays with their own and with other prompts: how on topic a
    # similarity is, between the two (task response).
    on_topic_median: float
    off_topic_median: float
    norms: FeedbackNorms

    def topicality(self, similarity: float) -> float:
        """0 at the typical off-topic similarity, 1 at the typical on-topic one, clipped."""
        span = max(self.on_topic_median - self.off_topic_median, 1e-6)
        return min(1.0, max(0.0, (similarity - self.off_topic_median) / span))


@dataclass(frozen=True)
class TextModels:
    checker: GrammarChecker
    encoder: SentenceEncoder
    scorers: TraitScorers
    calibration: Calibration
    languages: LanguageIdentifier


def _load_calibration(encoder: SentenceEncoder) -> Calibration:
    document = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    relevance = document["relevance"]
    return Calibration(
        float(relevance["threshold"]),
        encoder.encode(REFERENCE_TOPICS),
        float(relevance["on_topic_median"]),
        float(relevance["off_topic_median"]),
        FeedbackNorms(document["norms"]),
    )


def load_text_models() -> TextModels:
    encoder = models.get("text-encoder", load_sentence_encoder)
    return TextModels(
        checker=models.get("text-grammar", load_grammar_checker),
        encoder=encoder,
        scorers=models.get("text-traits", load_trait_scorers),
        calibration=models.get("text-calibration", lambda: _load_calibration(encoder)),
        languages=models.get("text-language", load_language_identifier),
    )
