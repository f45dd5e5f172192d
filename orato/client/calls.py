"""The HTTP requests behind each client method, built once for the sync and async clients alike.

Assessment calls are multipart forms with the audio in ``user_audio_file`` (api-scoring.md 1.3);
flags go as ``"1"``/``"0"``. Each assessment POST carries an ``Idempotency-Key`` (api-scoring.md
1.10), made here once per call, so every retry of that call sends the same one and a lost answer
is replayed by the server instead of scored and billed twice. Synthesis bodies are JSON with the
members named as the contract spells them (api-synthesis.md 1.4, 3.2).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

Audio = bytes | os.PathLike[str]

IDEMPOTENCY_HEADER = "Idempotency-Key"
SCORE_TEXT = "/api/scoring/text/v9/json"
SCORE_WORD = "/api/scoring/word/v9/json"
SCORE_PHONE_LIST = "/api/scoring/phone_list/v9/json"
VALIDATE_TEXT = "/api/validating/text/v9/json"
SPEECH = "/v1/audio/speech"
SPEECH_WITH_TIMESTAMPS = "/v1/audio/speech/with-timestamps"
SPEECH_STREAM = "/v1/audio/speech/stream"


class AssessmentOptions(TypedDict, total=False):
    """Query and form options every assessment call takes (api-scoring.md 1.4, 1.10)."""

    dialect: str
    user_id: str
    question_info: str
    idempotency_key: str


class WordOptions(AssessmentOptions, total=False):
    """Score word's options (api-scoring.md 3.1)."""

    markup_language: str
    include_interference_metrics: bool
    include_unknown_words: bool


class TextOptions(WordOptions, total=False):
    """Score text's options (api-scoring.md 2.1)."""

    include_fluency: bool
    include_intonation: bool
    detect_dialect: bool
    enforce_dialect: bool


class SpeechOptions(TypedDict, total=False):
    """Synthesis members besides ``text``, as the wire names them (api-synthesis.md 3.2)."""

    model: str
    voice: str
    voiceId: str
    mode: str
    speed: float
    instructions: str
    output: str | dict[str, Any]
    volumeDbfs: float
    providerOptions: dict[str, Any]
    pronunciations: dict[str, Any]
    moderation_ruleset_id: str
    timestamps: str


@dataclass(frozen=True)
class Call:
    """One logical request; its attempts all send exactly this."""

    path: str
    params: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    json: Mapping[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def assessment(path: str, fields: Mapping[str, object], audio: Audio | None) -> Call:
    """``fields`` are the call's own parameters and its options; the query ones are lifted out."""
    form = {name: _form_value(value) for name, value in fields.items() if value is not None}
    params = {"dialect": form.pop("dialect", "en-us")}
    if "user_id" in form:
        params["user_id"] = form.pop("user_id")
    headers = {IDEMPOTENCY_HEADER: form.pop("idempotency_key", None) or uuid.uuid4().hex}
    files = {"user_audio_file": ("audio", _audio_bytes(audio), "application/octet-stream")} if audio is not None else None
    return Call(path, params=params, data=form, files=files, headers=headers)


def synthesis(path: str, text: str, options: SpeechOptions) -> Call:
    return Call(path, json={"text": text, **options})


def _form_value(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _audio_bytes(audio: Audio) -> bytes:
    return audio if isinstance(audio, bytes) else Path(audio).read_bytes()
