"""Relevance by meaning (api-scoring.md 9.11, 6.5): is an answer about its context's topic?

The answer and the context are embedded (MiniLM) and compared by cosine; the threshold was
chosen on ELLIPSE essays against their own prompt and against other prompts, on prompts the
shipped threshold was not measured on (``training.text_traits``; figures in MODEL_CARD.md).
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


def judge_relevance(answer: str, answer_vector: np.ndarray, context_vector: np.ndarray, context: str, threshold: float) -> Relevance:
    """The verdict for unit vectors of the answer and the context (cosine = dot product)."""
    similarity = float(np.dot(answer_vector, context_vector))
    too_similar = trigram_containment(answer, context) >= TOO_SIMILAR_CONTAINMENT
    return Relevance(similarity, on_topic=similarity >= threshold and not too_similar, too_similar=too_similar)


def trigram_containment(answer: str, context: str) -> float:
    """Share of the answer's word trigrams (unigrams for answers under three words) in the context."""
    mine, theirs = _grams([t.norm for t in words(answer)]), set(_grams([t.norm for t in words(context)]))
    return sum(1 for g in mine if g in theirs) / len(mine) if mine else 0.0


def _grams(tokens: Sequence[str]) -> list[tuple[str, ...]]:
    size = 3 if len(tokens) >= 3 else 1
    return [tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)]
