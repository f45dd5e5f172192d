"""Language analysis of learner text, shared by score speech, score task and score writing.

On the layer of :mod:`orato.lang`: it imports nothing from scoring, api or store. Entry points:

``load_text_models() -> TextModels``
    The LanguageTool engine (en, fr, es), the MiniLM (English) and USE v3 (French, Spanish)
    sentence encoders, the MPNet form encoder (English), the English trigram model, the trait scorers, their calibration and the
    language identifier, each loaded once per process (model registry).

``analyze(text, dialect, source, models) -> TextAnalysis``
    ``source="speech"`` for a transcript (the recogniser's spelling, casing, punctuation and
    typography are not the learner's and are dropped), ``"writing"`` for a written answer.
    ``TextAnalysis.issues`` are the errors with code-point spans; ``.features`` the measures;
    ``.text_vector`` the meaning, ``.form_vector`` how it is written. Dialects with rules here: all six
    (``models.checker.supports(dialect)``; fr-ca and es-mx read with the fr and es rules).

``score_traits(analysis, models) -> TraitScores``
    ``grammar``, ``vocab``, ``coherence`` (and ``overall`` for writing) on the 1-5 scale and as
    the contract's 0-100 (``.hundred``): 20 points per step.

``relevance(analysis, context, models) -> Relevance``
    9.11: ``.wire_class`` ("TRUE"/"FALSE") and ``.warning`` for score_issue_list.

``speech_feedback(analysis, models)``
    The ``grammar``/``vocab``/``coherence`` nodes of 9.14 (English only).

``feedback_items(answer, issues)``, ``apply_edits``
    Score writing's feedback items (8.2) and how their character edits apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orato.text.analysis import TextAnalysis, language_neutral
from orato.text.analysis import analyze as _analyze
from orato.text.edits import Edit, apply_edits, character_edits
from orato.text.feedback import grammar_errors
from orato.text.feedback import speech_feedback as _speech_feedback
from orato.text.grammar import GrammarIssue, Source
from orato.text.models import TextModels, load_text_models
from orato.text.relevance import Relevance, judge_relevance
from orato.text.traits import to_hundred
from orato.text.writing import FeedbackItem, feedback_items

__all__ = [
    "Edit", "FeedbackItem", "GrammarIssue", "Relevance", "Source", "TextAnalysis", "TextModels", "TraitScores",
    "analyze", "apply_edits", "character_edits", "feedback_items", "grammar_errors", "load_text_models",
    "relevance", "score_traits", "speech_feedback",
]  # fmt: skip


@dataclass(frozen=True)
class TraitScores:
    """Trait estimates on the human 1-5 scale, by trait name."""

    scale: dict[str, float]

    @property
    def hundred(self) -> dict[str, int]:
        """The contract's 0-100 scores (20 points per step of the 1-5 scale)."""
        return {trait: to_hundred(value) for trait, value in self.scale.items()}


def analyze(text: str, dialect: str, source: Source, models: TextModels) -> TextAnalysis:
    return _analyze(text, dialect, source, models.checker, (models.encoder, models.form), models.trigrams)


def score_traits(analysis: TextAnalysis, models: TextModels) -> TraitScores:
    """The scorers were fitted on English; for another language the features read through
    English word lists and the n-gram and form-vector estimates are left out (held at their
    training mean)."""
    if analysis.dialect.startswith("en"):
        return TraitScores(models.scorers.predict(analysis.source, analysis.features, analysis.text, analysis.form_vector))
    return TraitScores(models.scorers.predict(analysis.source, language_neutral(analysis.features)))


def relevance(analysis: TextAnalysis, context: str, models: TextModels) -> Relevance:
    """English answers are read by MiniLM (the analysis's own vector), French and Spanish ones
    by USE v3, which was trained on those languages too."""
    language = analysis.dialect.split("-", 1)[0]
    if language == "en":
        (context_vector,) = models.encoder.encode([context])
        vectors = (analysis.text_vector, context_vector)
        return judge_relevance(analysis.text, context, vectors, models.calibration.relevance, language)
    answer_vector, context_vector = models.multilingual.encode([analysis.text, context])
    vectors = (answer_vector, context_vector)
    return judge_relevance(analysis.text, context, vectors, models.calibration.multilingual_relevance, language)


def speech_feedback(analysis: TextAnalysis, models: TextModels) -> dict[str, Any]:
    return _speech_feedback(analysis, models.calibration.norms)
