"""The language side of score speech: :mod:`orato.text` run on the transcript (api-scoring.md 6.2).

The transcript is analysed once as speech (``source="speech"``: the recogniser's spelling,
casing and punctuation are not held against the learner) and that one analysis gives the
``grammar``, ``vocab`` and ``coherence`` sub-scores, relevance against ``relevance_context``
(9.11, with its one warning of 9.9) and, when asked, the feedback nodes of 9.14.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from orato.text import TextModels, analyze, load_text_models, relevance, score_traits, speech_feedback

LANGUAGE_KEYS = ("grammar", "coherence", "vocab")
# 9.9: the detail_message of each relevance warning.
WARNING_DETAILS = {
    "response_relevance_false": "The response is not relevant to the context.",
    "response_too_similar": "The response is too similar to the context.",
}


@dataclass(frozen=True)
class LanguageReport:
    """The three language sub-scores (0-100) and, as asked, relevance (9.11), its warning (9.9)
    and the feedback nodes (9.14) as wire objects."""

    scores: dict[str, int]
    relevance: str | None = None
    issues: tuple[dict[str, str], ...] = ()
    feedback: dict[str, Any] = field(default_factory=dict)


# (transcript, dialect, relevance context, feedback wanted) -> the report.
LanguageJudge = Callable[[str, str, str | None, bool], LanguageReport]


def judge_transcript(
    models: TextModels, transcript: str, dialect: str, context: str | None, feedback: bool
) -> LanguageReport:
    analysis = analyze(transcript, dialect, "speech", models)
    hundred = score_traits(analysis, models).hundred
    scores = {key: hundred[key] for key in LANGUAGE_KEYS}
    nodes = speech_feedback(analysis, models) if feedback else {}
    if context is None:
        return LanguageReport(scores, feedback=nodes)
    verdict = relevance(analysis, context, models)
    warning = verdict.warning
    issues = () if warning is None else (
        {"status": "warning", "short_message": warning, "detail_message": WARNING_DETAILS[warning], "source": "overall"},
    )  # fmt: skip
    return LanguageReport(scores, verdict.wire_class, issues, nodes)


def load_language_judge() -> LanguageJudge:
    """The judge over the process's text models (each loaded once, through the registry)."""
    return partial(judge_transcript, load_text_models())
