"""Provider keys (BYOK) and per-organisation provider state.

Keys are sealed with AES-256-GCM under the operator's master key; the organisation and provider
are the associated data, so a ciphertext copied to another row or organisation does not open.
Only the last four characters are kept in clear, for display.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.orm import Session

from orato.errors import NotFoundError
from orato.store.db import Database
from orato.store.models import ProviderKey, ProviderState, utcnow
from orato.store.pages import Page, paginate

_NONCE_BYTES = 12


@dataclass(frozen=True)
class KeyMetadata:
    provider: str
    last_four: str
    updated_at: datetime


@dataclass(frozen=True)
class Flags:
    enabled: bool = True
    managed_allowed: bool = True


class ProviderKeyStore:
    def __init__(self, db: Database, master_key: bytes) -> None:
        self._db = db
        self._cipher = AESGCM(master_key)

    def _seal(self, organisation_id: uuid.UUID, provider: str, secret: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._cipher.encrypt(nonce, secret.encode(), _aad(organisation_id, provider))

    def put(self, organisation_id: uuid.UUID, provider: str, secret: str) -> KeyMetadata:
        sealed = self._seal(organisation_id, provider, secret)
        with self._db.session() as session:
            row = _key_row(session, organisation_id, provider)
            if row is None:
                row = ProviderKey(organisation_id=organisation_id, provider=provider)
                session.add(row)
            row.ciphertext, row.last_four, row.updated_at = sealed, secret[-4:], utcnow()
            session.flush()
            return KeyMetadata(provider, row.last_four, row.updated_at)

    def delete(self, organisation_id: uuid.UUID, provider: str) -> None:
        with self._db.session() as session:
            row = _key_row(session, organisation_id, provider)
            if row is None:
                raise NotFoundError("No key is stored for this provider.")
            session.delete(row)

    def secret(self, organisation_id: uuid.UUID, provider: str) -> str | None:
        """The key in clear, for one upstream call; None when the organisation stored none."""
        with self._db.session() as session:
            row = _key_row(session, organisation_id, provider)
            sealed = row.ciphertext if row else None
        if sealed is None:
            return None
        try:
            plain = self._cipher.decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], _aad(organisation_id, provider))
        except InvalidTag:
            raise RuntimeError("a stored provider key does not open under the master key") from None
        return plain.decode()

    def has(self, organisation_id: uuid.UUID, provider: str) -> bool:
        with self._db.session() as session:
            return _key_row(session, organisation_id, provider) is not None

    def page(self, organisation_id: uuid.UUID, limit: int, cursor: str | None) -> Page:
        """Most recently updated first."""
        with self._db.session() as session:
            query = select(ProviderKey).where(ProviderKey.organisation_id == organisation_id)
            return paginate(
                session, query, ProviderKey.updated_at, ProviderKey.id, limit=limit, cursor=cursor, scope="api-keys"
            )


def _aad(organisation_id: uuid.UUID, provider: str) -> bytes:
    return f"{organisation_id}:{provider}".encode()


def _key_row(session: Session, organisation_id: uuid.UUID, provider: str) -> ProviderKey | None:
    return session.execute(
        select(ProviderKey).where(ProviderKey.organisation_id == organisation_id, ProviderKey.provider == provider)
    ).scalar_one_or_none()


class ProviderStateStore:
    """Operator switches; a missing row means enabled and managed access allowed."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def flags(self, organisation_id: uuid.UUID, provider: str) -> Flags:
        with self._db.session() as session:
            row = session.get(ProviderState, (organisation_id, provider))
            return Flags(row.enabled, row.managed_allowed) if row else Flags()

    def set(self, organisation_id: uuid.UUID, provider: str, *, enabled: bool | None = None, managed_allowed: bool | None = None) -> Flags:
        with self._db.session() as session:
            row = session.get(ProviderState, (organisation_id, provider))
            if row is None:
                row = ProviderState(organisation_id=organisation_id, provider=provider, enabled=True, managed_allowed=True)
                session.add(row)
            if enabled is not None:
                row.enabled = enabled
            if managed_allowed is not None:
                row.managed_allowed = managed_allowed
            return Flags(row.enabled, row.managed_allowed)
