"""The text models of one process, each loaded once through the model registry.

``load_text_models()`` is what score speech, score writing and score task call; the server
calls it at start-up (``preload_models``) so /health says ready only when they are in memory.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from orato.registry import models
from orato.text.embeddings import MultilingualEncoder, SentenceEncoder, load_sentence_encoder
from orato.text.feedback import FeedbackNorms
from orato.text.form_encoder import FormEncoder, load_form_encoder
from orato.text.grammar import GrammarChecker, load_grammar_checker
from orato.text.language import LanguageIdentifier, load_language_identifier
from orato.text.relevance import REFERENCE_TOPICS, RelevanceScale
from orato.text.traits import WEIGHTS, TraitScorers, load_trait_scorers
from orato.text.trigrams import TrigramModel, load_trigram_model


@dataclass(frozen=True)
class Calibration:
    """Constants fitted with the trait scorers (weights/traits.json)."""

    relevance: RelevanceScale  # MiniLM, English answers
    multilingual_relevance: RelevanceScale  # USE v3, French and Spanish answers
    norms: FeedbackNorms


@dataclass(frozen=True)
class TextModels:
    checker: GrammarChecker
    encoder: SentenceEncoder
    form: FormEncoder
    multilingual: MultilingualEncoder
    scorers: TraitScorers
    calibration: Calibration
    languages: LanguageIdentifier
    trigrams: TrigramModel


def _scale(fitted: dict[str, float], encode: Callable[[Sequence[str]], np.ndarray], languages: Sequence[str]) -> RelevanceScale:
    references = {language: encode(REFERENCE_TOPICS[language]) for language in languages}
    return RelevanceScale(
        float(fitted["threshold"]), float(fitted["title_threshold"]), float(fitted["on_topic_low"]),
        float(fitted["off_topic_median"]), references,
    )


def _load_calibration(encoder: SentenceEncoder, multilingual: MultilingualEncoder) -> Calibration:
    document = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    return Calibration(
        _scale(document["relevance"], encoder.encode, ("en",)),
        _scale(document["relevance_multilingual"], multilingual.encode, tuple(REFERENCE_TOPICS)),
        FeedbackNorms(document["norms"]),
    )


def load_text_models() -> TextModels:
    encoder = models.get("text-encoder", load_sentence_encoder)
    multilingual = models.get("text-encoder-multilingual", MultilingualEncoder)
    return TextModels(
        checker=models.get("text-grammar", load_grammar_checker),
        encoder=encoder,
        form=models.get("text-form-encoder", load_form_encoder),
        multilingual=multilingual,
        scorers=models.get("text-traits", load_trait_scorers),
        calibration=models.get("text-calibration", lambda: _load_calibration(encoder, multilingual)),
        languages=models.get("text-language", load_language_identifier),
        trigrams=models.get("text-trigrams", load_trigram_model),
    )
