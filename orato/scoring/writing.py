"""Score writing as a service (api-scoring.md 8): parameters, scores, feedback, language.

``prepare_writing`` is steps 6-9 of the order of checks (1.11) on the merged parameters;
``score_writing`` runs the text analysis (orato.text) and builds the ``writing_score``
payload. The route and any batch caller use both, so they answer alike.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from orato.errors import InvalidParametersError, NonDialectLanguageError
from orato.params import Params
from orato.scoring.judge import Judge, Suggestion
from orato.scoring.rubric import writing_rubrics
from orato.text import (
    FeedbackItem,
    TextAnalysis,
    TextModels,
    analyze,
    character_edits,
    feedback_items,
    relevance,
    score_traits,
)
from orato.text.traits import to_hundred

TASK_TYPES = ("essay-writing", "short-writing", "chat-writing")
METRICS = ("task_response", "vocab", "grammar", "coherence")
FEEDBACK_SECTIONS = ("vocab", "grammar", "coherence")
TASK_VERSION = "0.1"
MAX_PROMPT_CHARS = 2048
MAX_ANSWER_CHARS = 4096
# The words a task type asks for (8.1's guidance): fewer lower task response (8.1: "a short
# answer simply scores lower"), by the square root of the share written.
EXPECTED_WORDS = {"essay-writing": 150, "short-writing": 50, "chat-writing": 50}
# An answer as far from its prompt as a typical essay on another prompt (or one copying the
# prompt) keeps this share of its task response; one as close as a typical essay on its own
# prompt keeps all of it, and the share grows linearly in between.
OFF_TOPIC_SHARE = 0.25
_FLAGS = ("include_feedback", "detect_dialect", "enforce_dialect")


@dataclass(frozen=True)
class WritingRequest:
    """A request that passed steps 6-9."""

    task_type: str
    prompt: str
    answer: str
    dialect: str
    metrics: tuple[str, ...]
    include_feedback: bool
    enhanced: bool
    detect_dialect: bool
    enforce_dialect: bool


def prepare_writing(params: Params, include_metrics: Sequence[str]) -> WritingRequest:
    """Steps 6-9; ``include_metrics`` are the parameter's raw values (repeated fields kept)."""
    params.require(["task_type", "prompt", "answer"])
    params.check_identifiers()
    task_type = (params.get("task_type") or "").strip().lower()
    if task_type not in TASK_TYPES:
        raise InvalidParametersError("task_type", "must be essay-writing, short-writing or chat-writing")
    flags = {name: params.flag(name) for name in _FLAGS}
    metrics = parse_metrics(include_metrics)
    score_mode = (params.get("score_mode") or "standard").strip().lower()
    if score_mode not in ("standard", "enhanced"):
        raise InvalidParametersError("score_mode", "must be standard or enhanced")
    dialect = params.dialect("writing")
    params.check_length("prompt", MAX_PROMPT_CHARS)
    params.check_length("answer", MAX_ANSWER_CHARS)
    return WritingRequest(
        task_type, params.get("prompt") or "", params.get("answer") or "", dialect, metrics,
        flags["include_feedback"], score_mode == "enhanced",
        flags["detect_dialect"] or flags["enforce_dialect"], flags["enforce_dialect"],
    )  # fmt: skip


def parse_metrics(values: Sequence[str]) -> tuple[str, ...]:
    """8.1: repeated fields, a comma-separated string or a JSON-array string; empty means all."""
    names: list[str] = []
    for value in values:
        text = value.strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except ValueError:
                raise InvalidParametersError("include_metrics", "is not a valid JSON array") from None
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise InvalidParametersError("include_metrics", "must be a list of metric names")
            names.extend(items)
        else:
            names.extend(text.split(","))
    cleaned = [n.strip().lower() for n in names if n.strip()]
    unknown = [n for n in cleaned if n not in METRICS]
    if unknown:
        raise InvalidParametersError("include_metrics", "names a metric other than task_response, vocab, grammar, coherence")
    return tuple(m for m in METRICS if m in cleaned) or METRICS


def score_writing(request: WritingRequest, models: TextModels, judge: Judge | None) -> dict[str, Any]:
    """Steps 13 onwards: language, analysis, scores, feedback; the payload of 8.2."""
    foreign = models.languages.foreign_language(request.answer, request.dialect) if request.detect_dialect else None
    if foreign is not None and request.enforce_dialect:
        raise NonDialectLanguageError(
            f"The text is written in '{foreign}' language different from dialect '{request.dialect}'."
        )
    analysis = analyze(request.answer, request.dialect, "writing", models)
    scores = metric_scores(request, analysis, models)
    chosen = {name: scores[name] for name in request.metrics}
    chosen["overall"] = math.floor(sum(chosen.values()) / len(chosen))
    payload: dict[str, Any] = {
        "task_type": request.task_type,
        "task_version": TASK_VERSION,
        "answer": request.answer,
        "char_count": len(request.answer),
        "writing_score": writing_rubrics(chosen),
    }
    if request.include_feedback:
        payload["feedback"] = _feedback(request, analysis, judge)
    if foreign is not None:
        payload["detected_dialect"] = {"lang_id": foreign}
    return payload


def metric_scores(request: WritingRequest, analysis: TextAnalysis, models: TextModels) -> dict[str, int]:
    """0-100 per metric: the trait scorers' estimates; task response from the overall estimate
    lowered for an answer off its prompt (or copying it) and for one shorter than the task asks."""
    traits = score_traits(analysis, models).scale
    verdict = relevance(analysis, request.prompt, models)
    topicality = 0.0 if verdict.too_similar else verdict.topicality
    length_share = min(1.0, analysis.word_count / EXPECTED_WORDS[request.task_type]) ** 0.5
    task = traits["overall"] * length_share * (OFF_TOPIC_SHARE + (1 - OFF_TOPIC_SHARE) * topicality)
    return {
        "task_response": to_hundred(task),
        "vocab": to_hundred(traits["vocab"]),
        "grammar": to_hundred(traits["grammar"]),
        "coherence": to_hundred(traits["coherence"]),
    }


def _feedback(request: WritingRequest, analysis: TextAnalysis, judge: Judge | None) -> dict[str, list[dict[str, Any]]]:
    items = list(feedback_items(request.answer, analysis.issues))
    if request.enhanced and judge is not None:
        items.extend(_judged(request.answer, judge.writing_suggestions(request.prompt, request.answer), items))
    sections = [s for s in FEEDBACK_SECTIONS if s in request.metrics]
    return {section: [_wire(i) for i in sorted(items, key=lambda i: i.span) if i.section == section] for section in sections}


def _judged(answer: str, suggestions: Sequence[Suggestion], taken: Sequence[FeedbackItem]) -> list[FeedbackItem]:
    """The judge's suggestions whose phrase is in the answer and overlaps no other item."""
    spans = [item.span for item in taken]
    items: list[FeedbackItem] = []
    for suggestion in suggestions:
        start = answer.find(suggestion.original_phrase)
        span = (start, start + len(suggestion.original_phrase))
        if start < 0 or suggestion.original_phrase == suggestion.replacement_phrase or any(_overlap(span, s) for s in spans):
            continue
        spans.append(span)
        items.append(FeedbackItem(
            suggestion.section, suggestion.category, suggestion.original_phrase, suggestion.replacement_phrase,
            suggestion.rationale, span, character_edits(suggestion.original_phrase, suggestion.replacement_phrase, start),
        ))  # fmt: skip
    return items


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _wire(item: FeedbackItem) -> dict[str, Any]:
    return {
        "category": item.category,
        "original_phrase": item.original_phrase,
        "replacement_phrase": item.replacement_phrase,
        "rationale": item.rationale,
        "span": list(item.span),
        "replacements": [{"span": list(e.span), "text": e.text, "type": e.type} for e in item.replacements],
    }
