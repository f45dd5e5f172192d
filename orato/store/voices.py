"""Saved voices (api-synthesis.md 9)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from orato.store.db import Database
from orato.store.models import Voice
from orato.store.pages import Page, paginate
from orato.store.resources import owned


class VoiceStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, organisation_id: uuid.UUID, fields: dict[str, Any]) -> Voice:
        with self._db.session() as session:
            voice = Voice(organisation_id=organisation_id, **fields)
            session.add(voice)
            session.flush()
            return voice

    def get(self, organisation_id: uuid.UUID, voice_id: str | uuid.UUID) -> Voice:
        with self._db.session() as session:
            return owned(session, Voice, organisation_id, voice_id)

    def update(self, organisation_id: uuid.UUID, voice_id: str, fields: dict[str, Any]) -> Voice:
        with self._db.session() as session:
            voice = owned(session, Voice, organisation_id, voice_id)
            for name, value in fields.items():
                setattr(voice, name, value)
            session.flush()
            return voice

    def delete(self, organisation_id: uuid.UUID, voice_id: str) -> None:
        with self._db.session() as session:
            session.delete(owned(session, Voice, organisation_id, voice_id))

    def page(self, organisation_id: uuid.UUID, limit: int, cursor: str | None) -> Page:
        with self._db.session() as session:
            query = select(Voice).where(Voice.organisation_id == organisation_id)
            return paginate(session, query, Voice.created_at, Voice.id, limit=limit, cursor=cursor, scope="voices")
