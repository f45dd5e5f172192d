"""Strict request bodies of the synthesis endpoints (api-synthesis.md 3.2, 4.1, 5.1).

Strict: unknown members, wrong JSON types and out-of-range values are 400 ``invalid_input``
with the offending path. Rules that depend on the chosen provider (speed range, options,
instructions, the stream format) are checked later, once the provider is known.

``output.sampleRate`` is an Orato extension (README, "Output sample rate") that Speechbase SDK
clients send: the audio is resampled to it, on every endpoint that takes ``output``.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from orato.synthesis.audio import MP3_BITRATES, MP3_SAMPLE_RATES

MAX_TEXT = 4096
MAX_OPTIONS_BYTES = 16 * 1024


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


SampleRate = Annotated[int, Field(ge=8_000, le=48_000)]
Format = Literal["wav", "mp3", "pcm"]


class Output(Strict):
    format: Format
    bitrate: int | None = Field(default=None, json_schema_extra={"enum": list(MP3_BITRATES)})
    sampleRate: SampleRate | None = None

    @field_validator("bitrate")
    @classmethod
    def _bitrate(cls, value: int, info: ValidationInfo) -> int:
        if info.data.get("format", "mp3") != "mp3":
            raise ValueError("is only allowed with mp3")
        if value not in MP3_BITRATES:
            raise ValueError(f"must be one of {', '.join(map(str, MP3_BITRATES))}")
        return value

    @field_validator("sampleRate")
    @classmethod
    def _mp3_rate(cls, value: int, info: ValidationInfo) -> int:
        """MP3 has nine sample rates; any other would fail in the encoder, after the provider call."""
        if info.data.get("format") == "mp3" and value not in MP3_SAMPLE_RATES:
            raise ValueError(f"must be one of {', '.join(map(str, MP3_SAMPLE_RATES))} with mp3")
        return value


class StreamOutput(Strict):
    """A stream keeps its provider's format (3.6); only its rate may be chosen (the extension)."""

    format: Literal["wav", "mp3"] | None = None
    sampleRate: SampleRate | None = None


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _options_size(value: dict[str, Any]) -> dict[str, Any]:
    if len(json.dumps(value)) > MAX_OPTIONS_BYTES:
        raise ValueError(f"must be at most {MAX_OPTIONS_BYTES} bytes as JSON")
    return value


Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
Speed = Annotated[float, Field(ge=0.25, le=4.0)]
Volume = Annotated[float, Field(ge=-60, le=0)]
Instructions = Annotated[str, Field(min_length=1, max_length=4096)]
VoiceName = Annotated[str, Field(min_length=1, max_length=256)]


class InlineRule(Strict):
    word: Annotated[str, Field(min_length=1, max_length=100)]
    replacement: Annotated[str, Field(min_length=1, max_length=200)]
    case_sensitive: bool = False


class Pronunciations(Strict):
    dictionaryIds: Annotated[list[uuid.UUID], Field(max_length=20)] = []
    rules: Annotated[list[InlineRule], Field(max_length=200)] = []


class Addressed(Strict):
    model: str | None = None
    voice: VoiceName | None = None
    voiceId: uuid.UUID | None = None
    mode: str | None = Field(default=None, json_schema_extra={"enum": ["inline", "voice", None]})
    text: Text
    speed: Speed | None = None
    instructions: Instructions | None = None
    providerOptions: dict[str, Any] | None = None

    _text = field_validator("text")(_not_blank)
    _options = field_validator("providerOptions")(lambda v: v if v is None else _options_size(v))


def _addressing(model_required: bool) -> dict[str, Any]:
    """How a body names its voice (3.1), for the JSON schema: a saved voice by id, or else a
    provider's voice by name with its model (which a conversation's turn may take from the
    conversation). As if/then/else, which client generators read as one object."""
    named: dict[str, Any] = {"required": ["voice"], "properties": {"voice": {"type": "string"}}}
    if model_required:
        named = {"required": ["voice", "model"], "properties": {"voice": {"type": "string"}, "model": {"type": "string"}}}
    return {
        "if": {"required": ["voiceId"], "properties": {"voiceId": {"type": "string"}}},
        "then": {"properties": {"voice": {"type": "null"}, "model": {"type": "null"}}},
        "else": named,
    }


class SingleRequest(Addressed):
    """What /speech, /with-timestamps and /stream share."""

    model_config = ConfigDict(json_schema_extra=_addressing(model_required=True))

    pronunciations: Pronunciations | None = None
    moderation_ruleset_id: uuid.UUID | None = None
    timestamps: Literal["on", "auto", "off"] = "on"


class StreamRequest(SingleRequest):
    output: StreamOutput | None = None


class SpeechRequest(SingleRequest):
    output: Format | Output = "wav"
    volumeDbfs: Volume | None = None


class Turn(Addressed):
    model_config = ConfigDict(json_schema_extra=_addressing(model_required=False))


class ConversationRequest(Strict):
    model: str | None = None
    mode: str | None = Field(default=None, json_schema_extra={"enum": ["conversation", None]})
    turns: Annotated[list[Turn], Field(min_length=1, max_length=50)]
    gapMs: Annotated[int, Field(ge=0, le=5000)] = 300
    split: bool = False
    output: Format | Output = "wav"
    volumeDbfs: Volume = -20.0
    speed: Speed | None = None
    providerOptions: dict[str, Any] | None = None
    pronunciations: Pronunciations | None = None
    moderation_ruleset_id: uuid.UUID | None = None
    timestamps: Literal["on", "auto", "off"] = "on"

    _options = field_validator("providerOptions")(lambda v: v if v is None else _options_size(v))


def output_of(value: Format | Output) -> Output:
    return Output(format=value) if isinstance(value, str) else value
