"""The request log: one metadata row per request (never text, audio or keys).

A row that cannot be written while the database is unreachable is kept in memory (up to
``max_pending`` rows, the oldest dropped first) and written with the next row once the
database is back, so a restart of the database loses no rows of a running server. Rows are
inserted ignoring duplicates: a write whose commit succeeded but whose acknowledgement was lost
can be retried without doubling the row.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from orato.errors import EngineUnavailableError
from orato.store.db import Database
from orato.store.models import RequestLog, utcnow

logger = logging.getLogger("orato.store")


class RequestLogStore:
    def __init__(self, db: Database, max_pending: int = 10_000) -> None:
        self._db = db
        self._pending: deque[dict[str, Any]] = deque(maxlen=max_pending)
        self._lock = threading.Lock()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def record(self, row: dict[str, Any]) -> None:
        """Writes ``row`` and any rows kept back; keeps them all back if the database is down."""
        with self._lock:
            rows = [*self._pending, {"ts": utcnow(), **row}]
            self._pending.clear()
        self._write(rows)

    def flush(self) -> None:
        with self._lock:
            rows = list(self._pending)
            self._pending.clear()
        if rows:
            self._write(rows)

    def _write(self, rows: list[dict[str, Any]]) -> None:
        try:
            with self._db.session() as session:
                dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
                for row in rows:
                    session.execute(dialect.insert(RequestLog).values(**row).on_conflict_do_nothing())
        except EngineUnavailableError:
            with self._lock:
                self._pending.extend(rows)
            logger.warning("request log kept back %d row(s) until the database is back", len(rows))
            raise

    def delete_older_than(self, days: int) -> int:
        """Retention: drops rows past their age; returns how many went."""
        with self._db.session() as session:
            result = session.execute(delete(RequestLog).where(RequestLog.ts < utcnow() - timedelta(days=days)))
            return result.rowcount or 0
