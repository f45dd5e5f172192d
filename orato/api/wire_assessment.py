"""The assessment family's success bodies as pydantic models (api-scoring.md 1.5, 2-9).

:mod:`orato.scoring.render` and its siblings build these bodies as dicts (the wire must not
change, tests/test_golden.py guards it); these models say in ``/openapi.json`` what they build,
and the tests check real answers (the golden files, every fuzzed answer) against them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from orato.api.wire_synthesis import Wire

Extent = Field(min_length=2, max_length=2, description="[start, end] in 10 ms frames.")
Score = Field(ge=0, le=100)
NumericRubric = dict[str, float]
Intonation = Literal["RISE", "FALL", "FLAT", "REDUCED"]


class ChildPhone(Wire):
    extent: list[float] = Extent
    quality_score: float = Score
    sound_most_like: str | None


class Phone(Wire):
    """9.1; the stress fields where stress was judged, ``word_extent`` where known."""

    phone: str
    stress_level: int | None
    extent: list[float] = Extent
    quality_score: float = Score
    stress_score: int | None = Field(default=None, ge=0, le=100)
    predicted_stress_level: int | None = None
    word_extent: list[int] | None = Field(default=None, min_length=2, max_length=2)
    sound_most_like: str | None
    child_phones: list[ChildPhone] | None = None


class Syllable(Wire):
    """9.3, with 9.5's stress and 9.8's intonation where they were measured."""

    phone_count: int = Field(ge=0)
    stress_level: int | None
    letters: str
    quality_score: float = Score
    stress_score: int | None = Field(default=None, ge=0, le=100)
    predicted_stress_level: int | None = None
    intonation: list[Intonation | None] | None = Field(default=None, min_length=2, max_length=2)
    pitch_range: list[float | None] | None = Field(default=None, min_length=2, max_length=2)
    extent: list[float] = Extent


class Word(Wire):
    """9.4: one entry of ``word_score_list``."""

    word: str
    quality_score: float = Score
    phone_score_list: list[Phone]
    syllable_score_list: list[Syllable]
    ending_punctuation: str | None = None


class HeardWord(Word):
    """A transcript word of score speech: how sure the recogniser was of it."""

    asr_probability: float = Field(ge=0, le=1)


class Rubrics(Wire):
    """The five parallel rubric objects of 9.6 (10.2), one member per sub-score."""

    speechace_score: NumericRubric
    ielts_score: NumericRubric
    pte_score: NumericRubric
    toeic_score: NumericRubric
    cefr_score: dict[str, str]


class Metrics(Wire):
    """9.7: the fluency measures of a segment or of the whole answer."""

    segment: list[int] = Field(min_length=2, max_length=2)
    duration: float = Field(ge=0)
    articulation_length: float = Field(ge=0)
    syllable_count: int = Field(ge=0)
    correct_syllable_count: int = Field(ge=0)
    word_count: int = Field(ge=0)
    correct_word_count: int = Field(ge=0)
    speech_rate: float = Field(ge=0)
    articulation_rate: float = Field(ge=0)
    syllable_correct_per_minute: float = Field(ge=0)
    word_correct_per_minute: float = Field(ge=0)
    all_pause_count: int = Field(ge=0)
    all_pause_duration: float = Field(ge=0)
    all_pause_list: list[list[float]]
    mean_length_run: float = Field(ge=0)
    max_length_run: float = Field(ge=0)


class SegmentMetrics(Metrics, Rubrics):
    pass


class Fluency(Wire):
    segment_metrics_list: list[SegmentMetrics]
    overall_metrics: Metrics
    fluency_version: None


class WordIntonation(Wire):
    word: str
    syllable_intonation_list: list[list[Intonation | None]]


class DetectedDialect(Wire):
    lang_id: str


class ScoreIssue(Wire):
    """9.9: a warning that leaves the answer a success; clients accept unlisted messages."""

    status: Literal["warning"]
    short_message: str
    detail_message: str
    source: str


class TextScoreBody(Rubrics):
    """2.3-2.10: ``text_score``."""

    text: str
    word_score_list: list[Word]
    word_intonation_list: list[WordIntonation] | None = None
    detected_dialect: DetectedDialect | None = None
    interference_ratio: float | None = Field(default=None, ge=0, le=10)
    fidelity_class: str | None = None
    score_issue_list: list[ScoreIssue] | None = None
    fluency: Fluency | None = None


class WordScoreBody(Wire):
    """3.2 (score word) and 4.2 (score phone list: no syllables, no class)."""

    word: str
    quality_score: float = Score
    phone_score_list: list[Phone]
    syllable_score_list: list[Syllable] | None = None
    quality_class: Literal["pass", "fail"] | None = None
    interference_ratio: float | None = Field(default=None, ge=0, le=10)


class Relevance(Wire):
    class_: Literal["TRUE", "FALSE"] = Field(alias="class")


class FeedbackNode(BaseModel):
    """9.14: a feedback node (``grammar``, ``vocab``, ``coherence``) with its metrics."""

    model_config = ConfigDict(extra="allow")
    overall_metrics: dict[str, Any]


class SpeechScoreBody(Rubrics):
    """6.2: ``speech_score``."""

    transcript: str
    word_score_list: list[HeardWord]
    fluency: Fluency
    score_issue_list: list[ScoreIssue]
    relevance: Relevance | None = None
    grammar: FeedbackNode | None = None
    vocab: FeedbackNode | None = None
    coherence: FeedbackNode | None = None
    detected_dialect: DetectedDialect | None = None
    asr_version: str


class TaskScoreBody(Wire):
    """7.2: ``task_score``; 0-5 for retellings and descriptions, 0 or 1 for an answer."""

    type: str
    version: str
    score: float = Field(ge=0, le=5)
    transcript: str


class Replacement(Wire):
    span: list[int] = Field(min_length=2, max_length=2)
    text: str
    type: str


class WritingFeedbackItem(Wire):
    category: str
    original_phrase: str
    replacement_phrase: str
    rationale: str
    span: list[int] = Field(min_length=2, max_length=2)
    replacements: list[Replacement]


class WritingRubrics(Wire):
    """8.2's ``writing_score``: one member per metric asked for, and ``overall``."""

    speechace: dict[str, int]
    ielts: NumericRubric
    cefr: dict[str, str]
    pte: NumericRubric
    toeic: NumericRubric


class Envelope(Wire):
    """1.5: what every success carries around its payload."""

    status: Literal["success"]
    quota_remaining: int
    request_id: str = Field(pattern="^[0-9a-f]{32}$")
    version: str = Field(pattern=r"^9\.[0-9]{1,2}$")


# Real answers of this server (tests/golden/espeak.json, with a request id), shown in the
# document; tests/test_openapi.py checks each against its schema.
_REQUEST_ID = "3f2b8c1d9a4e4f6b8c2d1e3f5a7b9c0d"


class ValidateTextSuccess(Envelope):
    """5.2: every word is known; the envelope alone."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "success", "quota_remaining": -1, "request_id": _REQUEST_ID, "version": "9.17"},
    ]})  # fmt: skip


class TextScoreSuccess(Envelope):
    text_score: TextScoreBody


class WordScoreSuccess(Envelope):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "status": "success", "quota_remaining": -1,
        "word_score": {"word": "t|r|iy1|z", "quality_score": 95, "phone_score_list": [
            {"phone": "t", "stress_level": None, "extent": [6, 10], "quality_score": 97.3, "sound_most_like": "t"},
            {"phone": "r", "stress_level": None, "extent": [10, 19], "quality_score": 99.6, "sound_most_like": "r"},
            {"phone": "iy", "stress_level": 1, "extent": [19, 38], "quality_score": 100, "stress_score": 100,
             "predicted_stress_level": 1, "sound_most_like": "iy"},
            {"phone": "z", "stress_level": None, "extent": [38, 42], "quality_score": 83.6, "sound_most_like": "n"},
        ]},
        "request_id": _REQUEST_ID, "version": "9.17",
    }]})  # fmt: skip
    word_score: WordScoreBody


class SpeechScoreSuccess(Envelope):
    speech_score: SpeechScoreBody


class TaskScoreSuccess(Envelope):
    """7.2: with ``speech_score`` as well when ``include_speech_score=1``."""

    task_score: TaskScoreBody
    speech_score: SpeechScoreBody | None = None


class WritingScoreSuccess(Envelope):
    """8.2."""

    task_type: str
    task_version: str
    answer: str
    char_count: int = Field(ge=0)
    writing_score: WritingRubrics
    feedback: dict[str, list[WritingFeedbackItem]] | None = None
    detected_dialect: DetectedDialect | None = None
