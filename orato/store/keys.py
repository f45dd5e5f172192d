"""Organisations and API keys.

A key is shown once, when it is issued. The store keeps an HMAC-SHA256 digest of it under the
server secret (a stolen database alone cannot be used to forge or recover keys), plus a
display prefix and the last four characters for operators.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from orato.errors import ConflictError, KeyExpiredError, NotFoundError, UnauthorizedError
from orato.settings import Plan, Settings
from orato.store.db import Database
from orato.store.models import ApiKey, Organisation, utcnow

KEY_PREFIX = "orato_"
_MAX_KEY_LENGTH = 128


@dataclass(frozen=True)
class IssuedKey:
    """The only object that ever holds a key in clear: print it once and drop it."""

    key_id: uuid.UUID
    organisation: str
    plan: str
    secret: str


@dataclass(frozen=True)
class KeyInfo:
    id: uuid.UUID
    organisation: str
    prefix: str
    last_four: str
    plan: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class Principal:
    """Who is calling: the authenticated key with its effective plan and limits."""

    key_id: uuid.UUID
    organisation_id: uuid.UUID
    organisation_name: str
    organisation_created_at: datetime
    plan_name: str
    features: frozenset[str]
    max_audio_seconds: float
    max_file_bytes: int
    max_in_flight: int
    requests_per_minute: int | None
    last_four: str
    expires_at: datetime | None

    def has(self, feature: str) -> bool:
        return feature in self.features


class KeyService:
    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = db
        self._settings = settings

    def _digest(self, key: str) -> str:
        return hmac.new(self._settings.resolved_secret_key, key.encode(), hashlib.sha256).hexdigest()

    def create_organisation(self, name: str) -> uuid.UUID:
        with self._db.session() as session:
            if _find_organisation(session, name) is not None:
                raise ConflictError("An organisation with this name already exists.")
            organisation = Organisation(name=name)
            session.add(organisation)
            session.flush()
            return organisation.id

    def issue(self, organisation: str, plan: str | None = None, *, max_in_flight: int | None = None) -> IssuedKey:
        """Issues a key, creating the organisation on first use; ``max_in_flight`` overrides the plan."""
        plan = plan or self._settings.default_plan
        if plan not in self._settings.plans:
            raise ValueError(f"unknown plan {plan!r}; known: {sorted(self._settings.plans)}")
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        with self._db.session() as session:
            org = _find_organisation(session, organisation) or Organisation(name=organisation)
            session.add(org)
            key = ApiKey(
                organisation=org,
                digest=self._digest(secret),
                prefix=secret[:12],
                last_four=secret[-4:],
                plan=plan,
                max_in_flight=max_in_flight,
            )
            session.add(key)
            session.flush()
            return IssuedKey(key_id=key.id, organisation=org.name, plan=plan, secret=secret)

    def list(self) -> list[KeyInfo]:
        with self._db.session() as session:
            rows = session.execute(
                select(ApiKey, Organisation.name)
                .join(Organisation)
                .order_by(Organisation.name, ApiKey.created_at)
            ).all()
            return [
                KeyInfo(
                    id=key.id,
                    organisation=org_name,
                    prefix=key.prefix,
                    last_four=key.last_four,
                    plan=key.plan,
                    created_at=key.created_at,
                    expires_at=key.expires_at,
                    revoked_at=key.revoked_at,
                )
                for key, org_name in rows
            ]

    def revoke(self, key_id: str) -> None:
        try:
            parsed = uuid.UUID(key_id)
        except ValueError:
            raise NotFoundError("No key has this id.") from None
        with self._db.session() as session:
            key = session.get(ApiKey, parsed)
            if key is None:
                raise NotFoundError("No key has this id.")
            if key.revoked_at is None:
                key.revoked_at = utcnow()

    def authenticate(self, secret: str) -> Principal:
        if not secret.startswith(KEY_PREFIX) or len(secret) > _MAX_KEY_LENGTH:
            raise UnauthorizedError()
        digest = self._digest(secret)
        with self._db.session() as session:
            row = session.execute(
                select(ApiKey, Organisation).join(Organisation).where(ApiKey.digest == digest)
            ).first()
            if row is None or not hmac.compare_digest(row[0].digest, digest):
                raise UnauthorizedError()
            key, org = row
            if key.revoked_at is not None or (key.expires_at and key.expires_at <= utcnow()):
                raise KeyExpiredError()
            return self._principal(key, org)

    def _principal(self, key: ApiKey, org: Organisation) -> Principal:
        plan: Plan = self._settings.plans[key.plan]
        features = plan.features | ({"synthesis"} if key.synthesis_enabled else set())
        return Principal(
            key_id=key.id,
            organisation_id=org.id,
            organisation_name=org.name,
            organisation_created_at=org.created_at,
            plan_name=key.plan,
            features=frozenset(features),
            max_audio_seconds=key.max_audio_seconds or plan.max_audio_seconds,
            max_file_bytes=key.max_file_bytes or plan.max_file_bytes,
            max_in_flight=key.max_in_flight or plan.max_in_flight,
            requests_per_minute=plan.requests_per_minute,
            last_four=key.last_four,
            expires_at=key.expires_at,
        )


def _find_organisation(session: Session, name: str) -> Organisation | None:
    return session.execute(select(Organisation).where(Organisation.name == name)).scalar_one_or_none()
