"""The synthesis family's success bodies as pydantic models (api-synthesis.md 3-13).

They are what ``/openapi.json`` says each ``/v1`` route answers: the routes' renderers build
these bodies as dicts, and the schema-driven tests check every answer against these models, so
the document cannot drift from the wire without a test failing.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from orato.moderation.config import RulesetConfig

TIMESTAMP_PATTERN = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"
Timestamp = Field(pattern=TIMESTAMP_PATTERN)
T = TypeVar("T")
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


class Wire(BaseModel):
    """A response body: every member listed, nothing else sent."""

    model_config = ConfigDict(extra="forbid")


class WordTime(Wire):
    text: str
    start: float = Field(ge=0)
    end: float = Field(ge=0)


class TurnWordTime(WordTime):
    turnIndex: int = Field(ge=0)


class TimedSpeech(Wire):
    """``/v1/audio/speech/with-timestamps`` (3.4): the clip in base64 and its word times."""

    audio: str = Field(description="The clip, base64-encoded.")
    mediaType: Literal["audio/wav", "audio/mpeg", "application/octet-stream"]
    warnings: list[str]
    timestamps: list[WordTime]


class TurnOrigin(Wire):
    provider: str
    model: str
    voice: str
    requestId: str = Field(pattern=UUID_PATTERN)


class PerTurn(Wire):
    perTurn: list[TurnOrigin]


class TimedConversation(Wire):
    """A joined conversation with word timestamps (4.3), measured from the clip's start."""

    audio: str = Field(description="The clip, base64-encoded.")
    mediaType: Literal["audio/wav", "audio/mpeg", "application/octet-stream"]
    warnings: list[str]
    timestamps: list[TurnWordTime]
    providerMetadata: PerTurn


class AudioSegment(Wire):
    audio: str = Field(description="The turn's clip, base64-encoded.")
    mediaType: Literal["audio/wav", "audio/mpeg", "application/octet-stream"]
    durationMs: int = Field(ge=0)
    turnIndex: int = Field(ge=0)
    timestamps: list[WordTime] | None = Field(default=None, description="Only from the with-timestamps route.")


class SplitConversation(Wire):
    """A conversation with ``split: true`` (4.4): one segment per turn."""

    audioSegments: list[AudioSegment]
    warnings: list[str]
    providerMetadata: PerTurn


class ProviderEntry(Wire):
    id: str
    name: str
    enabled: bool
    byok: bool
    managed: bool
    local: bool
    models: list[str]
    voices: list[str] | None
    timestamps: Literal["native", "aligned"]
    streaming: bool


class ProviderList(Wire):
    data: list[ProviderEntry]


class Stamped(Wire):
    created_at: str = Timestamp
    updated_at: str = Timestamp


class Owned(Stamped):
    """A resource of one organisation (api-synthesis.md 8-11)."""

    id: str = Field(pattern=UUID_PATTERN)
    org_id: str = Field(pattern=UUID_PATTERN)


class Voice(Owned):
    title: str
    provider: str
    model: str
    voice_id: str
    tags: list[str]
    gender: Literal["male", "female"] | None
    description: str | None
    provider_options: dict[str, Any]


class Dictionary(Owned):
    name: str
    description: str | None
    is_default: bool
    rule_count: int = Field(ge=0)


class Rule(Stamped):
    id: str = Field(pattern=UUID_PATTERN)
    dictionary_id: str = Field(pattern=UUID_PATTERN)
    word: str
    replacement: str
    case_sensitive: bool


class Ruleset(Owned):
    name: str
    description: str | None
    is_default: bool
    config: RulesetConfig


class ProviderKey(Wire):
    providerId: str
    lastFour: str = Field(min_length=1, max_length=4)
    updatedAt: str = Timestamp


class LogEntry(Wire):
    request_id: str = Field(pattern=UUID_PATTERN)
    parent_request_id: str | None
    ts: str = Timestamp
    key_id: str | None
    voice_id: str | None
    family: Literal["assessment", "synthesis"]
    path: str
    status: int
    provider: str | None
    model: str | None
    voice_ref: str | None
    char_count: int | None
    audio_ms: int | None
    audio_bytes: int | None
    credits_used: int | None
    latency_ms: int | None
    upstream_latency_ms: int | None
    error_code: str | None
    error_detail: str | None
    provider_options: dict[str, Any] | None
    moderation_decision: str | None
    moderation_reason_type: str | None
    moderation_reason_detail: str | None
    moderation_confidence: float | None
    moderation_latency_ms: int | None
    turn_index: int | None
    user_id: str | None
    question_info: str | None


class FeedbackReceipt(Wire):
    feedbackId: str = Field(pattern=UUID_PATTERN)


class One(Wire, Generic[T]):
    """A single resource in its ``data`` envelope (api-synthesis.md 1.4)."""

    data: T


class Listing(Wire, Generic[T]):
    """A page of a list (api-synthesis.md 1.6): ``next_cursor`` continues it."""

    data: list[T]
    next_cursor: str | None
    has_more: bool
    limit: int = Field(ge=1, le=200)
