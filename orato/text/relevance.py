"""Relevance by meaning (api-scoring.md 9.11, 6.5): is an answer about its context's topic?

The answer and the context are embedded (MiniLM) and compared by cosine. A raw cosine means
little on its own (a long answer is a little similar to everything), so it is read against the
answer's cosines with a fixed set of everyday topics (:data:`REFERENCE_TOPICS`): the verdict is
how many standard deviations the context stands above them. The threshold was chosen on ELLIPSE
essays against their own prompt and against other prompts, on prompts the shipped threshold was
not measured on (``training.text_traits``; figures in MODEL_CARD.md).
An answer that mostly restates the context is on topic by meaning but not an answer: when
most of its word trigrams occur in the context it is ``too_similar`` (9.9's
``response_too_similar``). No per-prompt training is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from orato.text.tokens import words

# Share of the answer's word trigrams found in the context from which it only restates it.
TOO_SIMILAR_CONTAINMENT = 0.6
# Everyday topics a learner may be asked about, written for Orato: the background an answer's
# similarity to its context is measured against.
REFERENCE_TOPICS = (
    "What is your favourite food and how do you cook it?", "Describe a holiday you enjoyed.",
    "How has technology changed the way people communicate?", "Which sport do you like to play or watch?",
    "What do you like about your school?", "Describe your job or the job you would like to have.",
    "Tell me about your family.", "How do you stay healthy?", "What can people do to protect the environment?",
    "What kind of music do you listen to?", "Describe a film you saw recently.", "Do you like shopping?",
    "Would you rather live in a city or in the countryside?", "Do you have a pet?",
    "What is the weather like where you live?", "Tell me about a book you have read.",
    "What makes a good friend?", "How do you save money?", "How do you travel to work or school?",
    "What do you do in your free time?", "Why is science important?", "Describe a painting or a piece of art.",
    "Which period of history interests you?", "Should young people do community service?",
)  # fmt: skip


@dataclass(frozen=True)
class Relevance:
    """``on_topic`` is 9.11's class TRUE; ``too_similar`` decides which warning a FALSE gets."""

    similarity: float
    on_topic: bool
    too_similar: bool

    @property
    def wire_class(self) -> str:
        return "TRUE" if self.on_topic else "FALSE"

    @property
    def warning(self) -> str | None:
        """The one score_issue_list warning of a FALSE (9.11), or None."""
        if self.on_topic:
            return None
        return "response_too_similar" if self.too_similar else "response_relevance_false"


def standing(answer_vector: np.ndarray, context_vector: np.ndarray, references: np.ndarray) -> float:
    """How many standard deviations the answer's cosine with the context stands above its cosines
    with the reference topics (unit vectors throughout)."""
    background = references @ answer_vector
    return float((answer_vector @ context_vector - background.mean()) / max(float(background.std()), 1e-6))


def judge_relevance(
    answer: str, context: str, vectors: tuple[np.ndarray, np.ndarray], references: np.ndarray, threshold: float
) -> Relevance:
    """The verdict for the unit vectors ``(answer, context)``; ``threshold`` is on :func:`standing`."""
    answer_vector, context_vector = vectors
    too_similar = trigram_containment(answer, context) >= TOO_SIMILAR_CONTAINMENT
    on_topic = standing(answer_vector, context_vector, references) >= threshold and not too_similar
    return Relevance(float(answer_vector @ context_vector), on_topic=on_topic, too_similar=too_similar)


def trigram_containment(answer: str, context: str) -> float:
    """Share of the answer's word trigrams (unigrams for answers under three words) in the context."""
    mine, theirs = _grams([t.norm for t in words(answer)]), set(_grams([t.norm for t in words(context)]))
    return sum(1 for g in mine if g in theirs) / len(mine) if mine else 0.0


def _grams(tokens: Sequence[str]) -> list[tuple[str, ...]]:
    size = 3 if len(tokens) >= 3 else 1
    return [tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)]
