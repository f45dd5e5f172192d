"""Relational schema. Changes here need an Alembic revision in ``migrations/versions``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import JSON


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware UTC datetimes on every backend (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    keys: Mapped[list[ApiKey]] = relationship(back_populates="organisation")


class ApiKey(Base):
    """An Orato API key. The key itself is never stored: only its HMAC digest and a display prefix."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    last_four: Mapped[str] = mapped_column(String(4))
    plan: Mapped[str] = mapped_column(String(32))
    synthesis_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Per-key overrides of the plan's limits; NULL means "as the plan says".
    max_audio_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_file_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_in_flight: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    organisation: Mapped[Organisation] = relationship(back_populates="keys")


class RequestLog(Base):
    """One row per request: operational metadata only, never text, audio or keys."""

    __tablename__ = "request_logs"

    request_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    parent_request_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    turn_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    family: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(200))
    status: Mapped[int] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_detail: Mapped[str | None] = mapped_column(String(200), nullable=True)
    latency_ms: Mapped[int] = mapped_column(Integer)
    char_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    audio_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    audio_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    credits_used: Mapped[int] = mapped_column(Integer, default=0)
    user_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    question_info: Mapped[str | None] = mapped_column(String(256), nullable=True)
    # Synthesis metadata (api-synthesis.md 12.2): ids, numbers and allow-listed options only.
    provider: Mapped[str | None] = mapped_column(String(32), nullable=True)
    model: Mapped[str | None] = mapped_column(String(100), nullable=True)
    voice_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    voice_ref: Mapped[str | None] = mapped_column(String(256), nullable=True)
    upstream_latency_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    provider_options: Mapped[str | None] = mapped_column(Text, nullable=True)
    moderation_decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    moderation_reason_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    moderation_reason_detail: Mapped[str | None] = mapped_column(String(200), nullable=True)
    moderation_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    moderation_latency_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (
        Index("ix_request_logs_org_ts", "organisation_id", "ts"),
        Index("ix_request_logs_parent", "parent_request_id"),
    )


class OrgResource:
    """Columns every organisation-owned synthesis resource has: id, owner, timestamps."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ProviderKey(OrgResource, Base):
    """A BYOK provider key: only ciphertext (AES-GCM under the master key) and the last four."""

    __tablename__ = "provider_keys"

    provider: Mapped[str] = mapped_column(String(32))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    last_four: Mapped[str] = mapped_column(String(4))

    __table_args__ = (UniqueConstraint("organisation_id", "provider", name="uq_provider_keys_org"),)


class ProviderState(Base):
    """Operator-set flags per organisation and provider; no row means the defaults (all on)."""

    __tablename__ = "provider_states"

    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    managed_allowed: Mapped[bool] = mapped_column(Boolean, default=True)


class Voice(OrgResource, Base):
    __tablename__ = "voices"

    title: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(100))
    voice_ref: Mapped[str] = mapped_column(String(256))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    gender: Mapped[str | None] = mapped_column(String(8), nullable=True)
    description: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    provider_options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PronunciationDictionary(OrgResource, Base):
    __tablename__ = "pronunciation_dictionaries"

    name: Mapped[str] = mapped_column(String(100))
    # Lower-cased name: uniqueness is case-insensitive on every backend.
    name_key: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (UniqueConstraint("organisation_id", "name_key", name="uq_dictionaries_name"),)


class PronunciationRule(Base):
    __tablename__ = "pronunciation_rules"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    dictionary_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pronunciation_dictionaries.id", ondelete="CASCADE"), index=True
    )
    word: Mapped[str] = mapped_column(String(100))
    replacement: Mapped[str] = mapped_column(String(200))
    case_sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ModerationRuleset(OrgResource, Base):
    __tablename__ = "moderation_rulesets"

    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    config: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("organisation_id", "name_key", name="uq_rulesets_name"),)


class Feedback(Base):
    """One state of a feedback timeline; ``feedback_id`` groups the states of one timeline."""

    __tablename__ = "feedback"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    feedback_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    request_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdempotencyRecord(Base):
    """An assessment request made with an Idempotency-Key, and its final response once known.

    ``response_body`` is the JSON Orato sent back (scores, or an error naming a parameter);
    it is kept only until ``expires_at`` and then deleted by the retention job.
    """

    __tablename__ = "idempotency_records"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    # NULL while the first request runs; a running claim past locked_until may be taken over.
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    content_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    __table_args__ = (UniqueConstraint("organisation_id", "idempotency_key", name="uq_idempotency_org_key"),)
