"""Idempotency records (api-scoring.md 1.10): one per organisation and Idempotency-Key.

The first request *claims* the key by inserting its row; the unique constraint decides between
concurrent requests, on SQLite and PostgreSQL alike, and across server processes. The claim
holds a lease: if its process dies before answering, a retry may take the key over once the
lease has run out, instead of being told "in progress" for 24 hours.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import IntegrityError

from orato.errors import IdempotencyConflictError
from orato.store.db import Database
from orato.store.models import IdempotencyRecord, utcnow


@dataclass(frozen=True)
class StoredResponse:
    status: int
    content_type: str
    body: bytes


class IdempotencyStore:
    def __init__(self, db: Database, ttl: timedelta, lease: timedelta) -> None:
        self._db = db
        self._ttl = ttl
        self._lease = lease

    def claim(self, organisation_id: uuid.UUID, key: str, fingerprint: str) -> uuid.UUID | StoredResponse:
        """The new claim's id, the stored response to replay, or a 409 conflict."""
        for _ in range(3):  # a row may vanish or be taken over between our reads
            claimed = self._insert(organisation_id, key, fingerprint)
            if claimed is not None:
                return claimed
            outcome = self._resolve(organisation_id, key, fingerprint)
            if outcome is not None:
                return outcome
        raise IdempotencyConflictError("in progress")

    def _insert(self, organisation_id: uuid.UUID, key: str, fingerprint: str) -> uuid.UUID | None:
        record = IdempotencyRecord(
            organisation_id=organisation_id, idempotency_key=key, **self._fresh(fingerprint, utcnow())
        )
        try:
            with self._db.session() as session:
                session.add(record)
        except IntegrityError:
            return None
        return record.id

    def _resolve(self, organisation_id: uuid.UUID, key: str, fingerprint: str) -> uuid.UUID | StoredResponse | None:
        now = utcnow()
        with self._db.session() as session:
            row = session.execute(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.organisation_id == organisation_id,
                    IdempotencyRecord.idempotency_key == key,
                )
            ).scalar_one_or_none()
            if row is None:
                return None
            if row.expires_at <= now:
                return self._take_over(session, row, fingerprint, now)
            if row.fingerprint != fingerprint:
                raise IdempotencyConflictError("Idempotency-Key")
            if row.status is not None:
                return StoredResponse(row.status, row.content_type or "application/json", row.response_body or b"")
            if row.locked_until <= now:
                return self._take_over(session, row, fingerprint, now)
        raise IdempotencyConflictError("in progress")

    def _take_over(self, session, row: IdempotencyRecord, fingerprint: str, now: datetime) -> uuid.UUID | None:  # type: ignore[no-untyped-def]
        """Reuses an expired or orphaned row; the compare-and-set lets only one request win.

        The row gets a new id, so a late answer of the request it belonged to is not stored.
        """
        new_id = uuid.uuid4()
        result = session.execute(
            update(IdempotencyRecord)
            .where(
                IdempotencyRecord.id == row.id,
                IdempotencyRecord.locked_until == row.locked_until,
                IdempotencyRecord.expires_at == row.expires_at,
            )
            .values(id=new_id, status=None, content_type=None, response_body=None, **self._fresh(fingerprint, now))
            .execution_options(synchronize_session=False)
        )
        return new_id if result.rowcount == 1 else None

    def _fresh(self, fingerprint: str, now: datetime) -> dict[str, object]:
        """The columns of a claim that starts now."""
        return {
            "fingerprint": fingerprint,
            "created_at": now,
            "locked_until": now + self._lease,
            "expires_at": now + self._ttl,
        }

    def complete(self, record_id: uuid.UUID, status: int, content_type: str, body: bytes) -> None:
        with self._db.session() as session:
            session.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.id == record_id, IdempotencyRecord.status.is_(None))
                .values(status=status, content_type=content_type, response_body=body)
                .execution_options(synchronize_session=False)
            )

    def abandon(self, record_id: uuid.UUID) -> None:
        """Frees the key of a request that produced no final result, so a retry runs it again."""
        with self._db.session() as session:
            session.execute(
                delete(IdempotencyRecord)
                .where(IdempotencyRecord.id == record_id, IdempotencyRecord.status.is_(None))
                .execution_options(synchronize_session=False)
            )

    def delete_expired(self) -> int:
        """Retention: stored responses are kept only for the replay window."""
        with self._db.session() as session:
            result = session.execute(
                delete(IdempotencyRecord)
                .where(IdempotencyRecord.expires_at <= utcnow())
                .execution_options(synchronize_session=False)
            )
            return cast(CursorResult[Any], result).rowcount or 0
