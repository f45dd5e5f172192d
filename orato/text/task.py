"""Task achievement by meaning (api-scoring.md 7): how much of a model text an answer covers.

``describe-image`` and ``retell-lecture`` compare a (transcribed) answer with ``task_context``,
the model description or summary, sentence by sentence:

* **coverage by meaning**: for each context sentence, its best cosine (MiniLM) with any answer
  sentence, averaged over the context;
* **coverage by words**: the share of the context's content stems the answer uses (a stem is a
  word's first ``STEM_CHARS`` letters, a content word one of at least ``CONTENT_CHARS`` letters:
  crude, but the same in all six dialects' languages);
* **grounding**: for each answer sentence, its best cosine with any context sentence, averaged
  over the answer: an answer padded with unrelated talk is less grounded;
* **substance**: the answer's content words against the context's, capped at 1.

A linear map of the four (``WEIGHTS``, fitted by ``training.task_eval`` on answers of known
completeness cut from ELLIPSE essays, validated on held-out prompts; figures in the scoring
model card) gives 0-5, clipped, with one decimal. ``answer-question`` has its own rules in
:func:`matches_accepted`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from orato.text.tokens import sentences, words

STEM_CHARS = 5
CONTENT_CHARS = 4
FEATURES = ("coverage", "word_coverage", "grounding", "substance")
# Fitted by training.task_eval (least squares on the development prompts' answers, 0-5 truth;
# held-out prompts: Pearson 0.956 with the truth, answer length alone 0.193). Grounding and
# substance weigh negatively once coverage is known: more words that cover nothing more.
WEIGHTS = (2.3586, 4.4776, -0.4309, -1.0288)
INTERCEPT = -0.5888
# Cosine from which an answer means the same as an accepted answer: above every near miss of
# training.task_eval's written pairs (the closest, "a week" for "two weeks", is 0.794), so a
# wrong answer is not accepted; it then accepts 3 of the 10 paraphrases there (MiniLM is weak
# on single words), which accepted answers listing the forms they take make up for.
SYNONYM_THRESHOLD = 0.8


class Encoder(Protocol):
    """What the scorers need of :class:`~orato.text.embeddings.SentenceEncoder` (unit vectors)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class CoverageFeatures:
    """The four measures of the module docstring, each 0-1."""

    coverage: float
    word_coverage: float
    grounding: float
    substance: float

    def vector(self) -> tuple[float, ...]:
        return (self.coverage, self.word_coverage, self.grounding, self.substance)


def _stems(text: str) -> set[str]:
    return {t.norm[:STEM_CHARS] for t in words(text) if len(t.norm) >= CONTENT_CHARS}


def _content_count(text: str) -> int:
    return sum(1 for t in words(text) if len(t.norm) >= CONTENT_CHARS)


def _sentence_texts(text: str) -> list[str]:
    return [s.text for s in sentences(text)] or [text.strip()]


def coverage_features(answer: str, context: str, encoder: Encoder) -> CoverageFeatures:
    """The measures for one answer against its context (an empty answer covers nothing)."""
    if not words(answer):
        return CoverageFeatures(0.0, 0.0, 0.0, 0.0)
    mine, theirs = _sentence_texts(answer), _sentence_texts(context)
    vectors = encoder.encode([*mine, *theirs])
    similarity = np.clip(vectors[len(mine) :] @ vectors[: len(mine)].T, 0.0, 1.0)  # context x answer
    context_stems = _stems(context)
    word_coverage = len(context_stems & _stems(answer)) / len(context_stems) if context_stems else 0.0
    substance = min(1.0, _content_count(answer) / max(_content_count(context), 1))
    return CoverageFeatures(
        float(similarity.max(axis=1).mean()), word_coverage, float(similarity.max(axis=0).mean()), substance
    )


def task_score(features: CoverageFeatures) -> float:
    """0-5 with one decimal (7.2): the fitted linear map, clipped."""
    raw = INTERCEPT + sum(w * x for w, x in zip(WEIGHTS, features.vector(), strict=True))
    return round(min(5.0, max(0.0, raw)), 1)


_ARTICLES = frozenset({"a", "an", "the", "le", "la", "les", "l", "un", "une", "des", "el", "los", "las", "una", "unos", "unas"})
_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
          "sixteen seventeen eighteen nineteen").split()  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_NUMBER_WORDS = {**{w: i for i, w in enumerate(_UNITS)}, **_TENS, "hundred": 100, "thousand": 1000}
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def normalised_words(text: str) -> tuple[str, ...]:
    """Case, accents' composition, punctuation and articles gone; number words as digits
    ("twenty-one" -> "21"); a plural or third-person ``-s``/``-es`` stripped (7.1's normalised forms)."""
    tokens = [t for t in _TOKEN.findall(unicodedata.normalize("NFC", text).lower()) if t not in _ARTICLES]
    return tuple(_singular(t) for t in _numbers_as_digits(tokens))


def _numbers_as_digits(tokens: Sequence[str]) -> list[str]:
    out: list[str] = []
    pending: int | None = None
    for token in [*tokens, ""]:
        value = _NUMBER_WORDS.get(token)
        if value is None and token == "and" and pending is not None:
            continue
        if value is None:
            if pending is not None:
                out.append(str(pending))
                pending = None
            if token:
                out.append(token)
            continue
        pending = _combine(pending, value)
    return out


def _combine(pending: int | None, value: int) -> int:
    if pending is None:
        return value
    if value in (100, 1000):
        return max(pending, 1) * value
    return pending + value


def _singular(token: str) -> str:
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith(("ses", "xes", "zes", "ches", "shes")):
        return token[:-2]
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def accepted_answers(task_context: str) -> list[str]:
    """7.1 (revised): one accepted answer per line; blank lines are not answers."""
    return [line.strip() for line in task_context.splitlines() if line.strip()]


def matches_accepted(answer: str, accepted: Sequence[str], encoder: Encoder) -> bool:
    """Whether the answer gives one of the accepted answers: its normalised words contain one's
    (so "It is a kitten." gives "kitten"), or, failing that, it means the same by embedding
    similarity (``SYNONYM_THRESHOLD``), which lets "fourteen days" answer "two weeks"."""
    said = normalised_words(answer)
    if not said:
        return False
    for option in accepted:
        wanted = normalised_words(option)
        if wanted and _contains(said, wanted):
            return True
    return best_similarity(answer, accepted, encoder) >= SYNONYM_THRESHOLD


def best_similarity(answer: str, accepted: Sequence[str], encoder: Encoder) -> float:
    """The highest cosine between the answer and an accepted answer (0 with none)."""
    if not accepted:
        return 0.0
    vectors = encoder.encode([answer, *accepted])
    return float((vectors[1:] @ vectors[0]).max())


def _contains(said: Sequence[str], wanted: Sequence[str]) -> bool:
    size = len(wanted)
    return any(tuple(said[i : i + size]) == tuple(wanted) for i in range(len(said) - size + 1))
