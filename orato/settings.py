"""One typed settings object, read from ``ORATO_*`` environment variables.

Nothing else in Orato reads the environment: the server, the CLI and the tests build a
:class:`Settings` and pass it down, so two configurations can live in one process.
"""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Plan(BaseModel):
    """What a key on this plan may use and how much audio it may send (api-scoring.md 1.8)."""

    features: frozenset[str]
    max_audio_seconds: float
    max_file_bytes: int
    max_in_flight: int = Field(default=16, ge=1)
    # Sustained request rate of one key; a full minute's worth may arrive as a burst.
    requests_per_minute: int | None = Field(default=1200, ge=1)


_BASIC = frozenset({"pronunciation"})
_PRO = _BASIC | {"fluency", "intonation"}
_PREMIUM = _PRO | {"speech", "task", "writing"}

DEFAULT_PLANS: dict[str, Plan] = {
    "basic": Plan(features=_BASIC, max_audio_seconds=15, max_file_bytes=1_900_000),
    "pro": Plan(features=_PRO, max_audio_seconds=45, max_file_bytes=2_500_000),
    "premium": Plan(features=_PREMIUM, max_audio_seconds=120, max_file_bytes=3_800_000),
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORATO_", env_nested_delimiter="__")

    data_dir: Path = Field(default=Path("./orato-data"), description="Database, secrets, stored files.")
    model_dir: Path | None = Field(
        default=None,
        description="Cache of model files assembled from packages (default: data_dir/models).",
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is SQLite inside data_dir."
    )
    secret_key: str | None = Field(
        default=None,
        description="Server secret for key hashing; default is generated once into data_dir.",
    )
    preload_engine: bool = Field(
        default=True, description="Load the pronunciation engine before /health reports ready."
    )
    plans: dict[str, Plan] = Field(default_factory=lambda: dict(DEFAULT_PLANS))
    default_plan: str = "premium"

    max_text_chars: int = 1500
    max_json_body_bytes: int = 1_048_576
    # Bytes of non-file form fields tolerated on top of the audio limit before a body is refused.
    max_form_overhead_bytes: int = 262_144
    processing_deadline_seconds: float = Field(default=120.0, gt=0)
    log_retention_days: int = Field(default=30, ge=1)

    # Limits across all keys of one organisation; None switches a limit off.
    org_max_in_flight: int | None = Field(default=64, ge=1)
    org_requests_per_minute: int | None = Field(default=6000, ge=1)
    # "memory" counts per server process; "redis" shares the counts between processes.
    limiter_backend: Literal["memory", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_key_prefix: str = "orato"
    # How long a request counts as running if its process dies: slots and idempotency claims
    # it held are freed after this.
    request_lease_seconds: float = Field(default=300.0, gt=0)

    # Model work: threads that run it and requests that may wait for one before 503.
    engine_workers: int = Field(default_factory=lambda: os.cpu_count() or 2, ge=1)
    engine_queue_size: int = Field(default=64, ge=0)

    idempotency_enabled: bool = True
    idempotency_ttl_hours: float = Field(default=24.0, gt=0)
    audio_retention_days: int = Field(default=30, ge=1)
    retention_interval_seconds: float = Field(default=3600.0, gt=0)

    # Synthesis gateway (api-synthesis.md 2): remote adapters, managed keys, moderation.
    openai_base_url: str = "https://api.openai.com/v1"
    elevenlabs_base_url: str = "https://api.elevenlabs.io"
    openai_moderation_base_url: str | None = Field(
        default=None, description="Moderation endpoint base; default is openai_base_url."
    )
    managed_keys: dict[str, str] = Field(
        default_factory=dict, description="Operator keys per remote provider id (managed access)."
    )
    upstream_timeout_seconds: float = 60.0
    moderation_timeout_seconds: float = 2.0
    custom_rules_default_model: str = "openai/gpt-4o-mini"
    # The operator's judge model: an OpenAI-compatible chat endpoint that score writing's
    # score_mode=enhanced asks for extra feedback (api-scoring.md 8.1). Unset: enhanced equals
    # standard.
    judge_base_url: str | None = None
    judge_model: str = "gpt-4o-mini"
    judge_api_key: str | None = None
    judge_timeout_seconds: float = Field(default=20.0, gt=0)
    master_key: str | None = Field(
        default=None,
        description="Key material for encrypting BYOK provider keys; default derives from secret_key.",
    )

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'orato.db').resolve()}"

    @cached_property
    def resolved_secret_key(self) -> bytes:
        """The explicit secret, or one generated on first use and kept (mode 0600) in data_dir."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip().encode()

    @cached_property
    def resolved_master_key(self) -> bytes:
        """32 bytes for AES-GCM, derived (HKDF) so the raw server secret is never a cipher key."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        material = self.master_key.encode() if self.master_key else self.resolved_secret_key
        return HKDF(hashes.SHA256(), 32, salt=None, info=b"orato provider keys v1").derive(material)

    @property
    def audio_dir(self) -> Path:
        """Where stored recordings live; the retention job deletes them past their age."""
        return self.data_dir / "audio"

    @property
    def max_upload_bytes(self) -> int:
        """The largest body any key may send: the biggest plan's file limit plus form fields."""
        return max(p.max_file_bytes for p in self.plans.values()) + self.max_form_overhead_bytes
