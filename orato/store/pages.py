"""Cursor pagination, newest first (api-synthesis.md 1.7).

A cursor carries the last item's (created_at, id) and a digest of the endpoint and filters that
produced it, so it never expires but cannot be replayed against other filters (decision 5).
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from orato.errors import InvalidParametersError


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None
    limit: int

    def envelope(self, render: Any) -> dict[str, Any]:
        return {
            "data": [render(item) for item in self.items],
            "next_cursor": self.next_cursor,
            "has_more": self.next_cursor is not None,
            "limit": self.limit,
        }


def _scope(scope: str) -> str:
    return hashlib.sha256(scope.encode()).hexdigest()[:16]


def encode_cursor(moment: datetime, ident: uuid.UUID, scope: str) -> str:
    raw = json.dumps({"t": moment.isoformat(), "i": str(ident), "s": _scope(scope)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, scope: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        moment, ident = datetime.fromisoformat(raw["t"]), uuid.UUID(raw["i"])
        valid = raw["s"] == _scope(scope)
    except (ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        message = "is malformed or belongs to other filters"
        raise InvalidParametersError("cursor", message, validation=[{"path": ["query", "cursor"], "message": message}])
    return moment, ident


def paginate(
    session: Session,
    query: Select[Any],
    created: InstrumentedAttribute[Any],
    ident: InstrumentedAttribute[Any],
    *,
    limit: int,
    cursor: str | None,
    scope: str,
) -> Page:
    if cursor:
        moment, last = decode_cursor(cursor, scope)
        query = query.where(or_(created < moment, and_(created == moment, ident < last)))
    rows = session.execute(query.order_by(created.desc(), ident.desc()).limit(limit + 1)).scalars().all()
    items = list(rows[:limit])
    more = len(rows) > limit
    next_cursor = None
    if more:
        last_item = items[-1]
        next_cursor = encode_cursor(getattr(last_item, created.key), getattr(last_item, ident.key), scope)
    return Page(items, next_cursor, limit)
