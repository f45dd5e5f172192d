"""The request log: one metadata row per request (never text, audio or keys)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete

from orato.store.db import Database
from orato.store.models import RequestLog, utcnow


class RequestLogStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, row: dict[str, Any]) -> None:
        with self._db.session() as session:
            session.add(RequestLog(**row))

    def delete_older_than(self, days: int) -> int:
        """Retention: drops rows past their age; returns how many went."""
        with self._db.session() as session:
            result = session.execute(delete(RequestLog).where(RequestLog.ts < utcnow() - timedelta(days=days)))
            return result.rowcount or 0
