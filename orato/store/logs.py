"""The request log: one metadata row per request (never text, audio or keys), and feedback.

A row that cannot be written while the database is unreachable is kept in memory (up to
``max_pending`` rows, the oldest dropped first) and written with the next row once the
database is back, so a restart of the database loses no rows of a running server. Rows are
inserted ignoring duplicates: a write whose commit succeeded but whose acknowledgement was lost
can be retried without doubling the row.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from orato.errors import EngineUnavailableError, InvalidParametersError, NotFoundError
from orato.store.db import Database
from orato.store.models import Feedback, RequestLog, utcnow
from orato.store.pages import Page, paginate


@dataclass(frozen=True)
class LogFilters:
    provider: str | None = None
    status: int | None = None
    parent_request_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    family: str | None = None

    def scope(self) -> str:
        return f"logs:{self.provider}:{self.status}:{self.parent_request_id}:{self.since}:{self.until}:{self.family}"

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
        """Retention: drops rows and feedback past their age; returns how many log rows went."""
        cutoff = utcnow() - timedelta(days=days)
        with self._db.session() as session:
            session.execute(delete(Feedback).where(Feedback.created_at < cutoff))
            result = session.execute(delete(RequestLog).where(RequestLog.ts < cutoff))
            return cast(CursorResult[Any], result).rowcount or 0

    def page(self, organisation_id: uuid.UUID, filters: LogFilters, limit: int, cursor: str | None) -> Page:
        query = select(RequestLog).where(RequestLog.organisation_id == organisation_id)
        for column, value in (
            (RequestLog.provider, filters.provider),
            (RequestLog.status, filters.status),
            (RequestLog.parent_request_id, filters.parent_request_id),
            (RequestLog.family, filters.family),
        ):
            if value is not None:
                query = query.where(column == value)
        if filters.since is not None:
            query = query.where(RequestLog.ts >= filters.since)
        if filters.until is not None:
            query = query.where(RequestLog.ts < filters.until)
        with self._db.session() as session:
            return paginate(session, query, RequestLog.ts, RequestLog.request_id, limit=limit, cursor=cursor,
                            scope=filters.scope())

    def get(self, organisation_id: uuid.UUID, request_id: str) -> RequestLog:
        """Hyphenated or 32-hex ids both resolve (12.1)."""
        try:
            ident = uuid.UUID(request_id)
        except ValueError:
            raise NotFoundError("No such request.") from None
        with self._db.session() as session:
            row = session.get(RequestLog, ident)
            if row is None or row.organisation_id != organisation_id:
                raise NotFoundError("No such request.")
            return row

    def add_feedback(self, organisation_id: uuid.UUID, request_id: uuid.UUID, score: int, comment: str | None,
                     feedback_id: uuid.UUID | None) -> uuid.UUID:
        self.get(organisation_id, str(request_id))
        with self._db.session() as session:
            if feedback_id is not None:
                earlier = session.execute(select(Feedback).where(
                    Feedback.feedback_id == feedback_id, Feedback.organisation_id == organisation_id)).scalars().first()
                if earlier is None:
                    raise NotFoundError("No such feedback.")
                if earlier.request_id != request_id:
                    raise InvalidParametersError("feedbackId", validation=[
                        {"path": ["feedbackId"], "message": "belongs to another requestId"}])
            timeline = feedback_id or uuid.uuid4()
            session.add(Feedback(feedback_id=timeline, organisation_id=organisation_id, request_id=request_id,
                                 score=score, comment=comment))
            return timeline
