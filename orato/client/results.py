"""Typed results of both families (api-scoring.md 1.5, 2.2, 3.2, 4.2, 5.2, 9; api-synthesis.md 3.4-3.6, 6).

Each model keeps the members it does not declare (``extra="allow"``): a newer server's additions are
read with ``result.model_extra`` or as attributes, as the contracts ask clients to tolerate them.
"""

from __future__ import annotations

import base64

from pydantic import BaseModel, ConfigDict

__all__ = [
    "ChildPhone",
    "Fluency",
    "FluencyMetrics",
    "Phone",
    "ScoreIssue",
    "Speech",
    "SpeechWithTimestamps",
    "Syllable",
    "TextScore",
    "TextScoreResult",
    "ValidateTextResult",
    "Word",
    "WordIntonation",
    "WordScore",
    "WordScoreResult",
    "WordTimestamp",
]

RubricScores = dict[str, int | float | str]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class ChildPhone(_Open):
    """api-scoring.md 9.2."""

    extent: tuple[float, float]
    quality_score: float
    sound_most_like: str


class Phone(_Open):
    """api-scoring.md 9.1."""

    phone: str
    quality_score: float
    stress_level: int | None = None
    stress_score: float | None = None
    predicted_stress_level: int | None = None
    extent: tuple[float, float]
    word_extent: tuple[int, int] | None = None
    sound_most_like: str
    child_phones: list[ChildPhone] | None = None


class Syllable(_Open):
    """api-scoring.md 9.3; ``intonation`` is ``[secondary, primary]`` (9.8)."""

    letters: str
    phone_count: int
    quality_score: int
    stress_level: int | None = None
    stress_score: float | None = None
    predicted_stress_level: int | None = None
    extent: tuple[float, float]
    intonation: tuple[str | None, str | None] | None = None
    pitch_range: tuple[float | None, float | None] | None = None


class Word(_Open):
    """api-scoring.md 9.4."""

    word: str
    quality_score: int
    phone_score_list: list[Phone]
    syllable_score_list: list[Syllable] = []
    ending_punctuation: str | None = None


class FluencyMetrics(_Open):
    """api-scoring.md 9.7; segments also carry the rubric objects, kept as extra members."""

    segment: tuple[int, int]
    duration: float
    articulation_length: float
    syllable_count: int
    correct_syllable_count: int
    word_count: int
    correct_word_count: int
    speech_rate: float
    articulation_rate: float
    syllable_correct_per_minute: float
    word_correct_per_minute: float
    all_pause_count: int
    all_pause_duration: float
    all_pause_list: list[tuple[float, float]]
    mean_length_run: float
    max_length_run: float


class Fluency(_Open):
    segment_metrics_list: list[FluencyMetrics]
    overall_metrics: FluencyMetrics


class ScoreIssue(_Open):
    """api-scoring.md 9.9: a warning on a successful response."""

    status: str
    short_message: str
    detail_message: str
    source: str | None = None


class WordIntonation(_Open):
    word: str
    syllable_intonation_list: list[tuple[str | None, str | None]]


class TextScore(_Open):
    """api-scoring.md 2.2."""

    text: str
    word_score_list: list[Word]
    speechace_score: RubricScores = {}
    ielts_score: RubricScores = {}
    pte_score: RubricScores = {}
    toeic_score: RubricScores = {}
    cefr_score: RubricScores = {}
    fidelity_class: str | None = None
    score_issue_list: list[ScoreIssue] = []
    fluency: Fluency | None = None
    word_intonation_list: list[WordIntonation] | None = None
    detected_dialect: dict[str, str] | None = None
    interference_ratio: float | None = None


class WordScore(_Open):
    """api-scoring.md 3.2 and 4.2 (phone list: no syllables, no ``quality_class``)."""

    word: str
    quality_score: int
    quality_class: str | None = None
    phone_score_list: list[Phone]
    syllable_score_list: list[Syllable] = []
    interference_ratio: float | None = None


class _Envelope(_Open):
    """api-scoring.md 1.5."""

    status: str
    quota_remaining: int = -1
    request_id: str
    version: str


class TextScoreResult(_Envelope):
    text_score: TextScore


class WordScoreResult(_Envelope):
    word_score: WordScore


class ValidateTextResult(_Envelope):
    """api-scoring.md 5.2: success means every word is known; unknown words raise ``UnscorableError``."""


class WordTimestamp(_Open):
    """api-synthesis.md 6.1: seconds from the start of the audio."""

    text: str
    start: float
    end: float
    turnIndex: int | None = None


class Speech(_Open):
    """The audio of ``/v1/audio/speech`` with the headers that describe it (api-synthesis.md 3.4)."""

    audio: bytes
    media_type: str
    request_id: str | None = None
    sample_rate: int | None = None
    duration_ms: int | None = None


class SpeechWithTimestamps(_Open):
    """``/v1/audio/speech/with-timestamps`` (api-synthesis.md 3.5), the audio already decoded from base64."""

    audio: bytes
    mediaType: str
    warnings: list[str] = []
    timestamps: list[WordTimestamp] = []

    @classmethod
    def from_wire(cls, body: dict[str, object]) -> SpeechWithTimestamps:
        encoded = body.get("audio")
        return cls.model_validate({**body, "audio": base64.b64decode(encoded if isinstance(encoded, str) else "")})
