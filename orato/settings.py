"""One typed settings object, read from ``ORATO_*`` environment variables.

Nothing else in Orato reads the environment: the server, the CLI and the tests build a
:class:`Settings` and pass it down, so two configurations can live in one process.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Plan(BaseModel):
    """What a key on this plan may use and how much audio it may send (api-scoring.md 1.8)."""

    features: frozenset[str]
    max_audio_seconds: float
    max_file_bytes: int
    max_in_flight: int = 16


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
    processing_deadline_seconds: float = 120.0
    log_retention_days: int = 30

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

    @property
    def max_upload_bytes(self) -> int:
        """The largest body any key may send: the biggest plan's file limit plus form fields."""
        return max(p.max_file_bytes for p in self.plans.values()) + self.max_form_overhead_bytes
