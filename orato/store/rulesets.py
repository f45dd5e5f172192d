"""Moderation rulesets as stored rows, owned by an organisation (api-synthesis.md 10.1).

The moderation step reads them through :class:`orato.moderation.service.Rulesets`; the rows and
their queries live here, with the rest of the store.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from orato.moderation.config import RulesetConfig
from orato.store.db import Database
from orato.store.models import ModerationRuleset
from orato.store.pages import Page, paginate
from orato.store.resources import add_named, owned, update_named


class RulesetStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, organisation_id: uuid.UUID, fields: dict[str, Any]) -> ModerationRuleset:
        with self._db.session() as session:
            return add_named(session, ModerationRuleset, organisation_id, fields)

    def get(self, organisation_id: uuid.UUID, ruleset_id: str | uuid.UUID) -> ModerationRuleset:
        with self._db.session() as session:
            return owned(session, ModerationRuleset, organisation_id, ruleset_id)

    def update(self, organisation_id: uuid.UUID, ruleset_id: str, fields: dict[str, Any]) -> ModerationRuleset:
        with self._db.session() as session:
            row = owned(session, ModerationRuleset, organisation_id, ruleset_id)
            return update_named(session, ModerationRuleset, row, fields)

    def delete(self, organisation_id: uuid.UUID, ruleset_id: str) -> None:
        with self._db.session() as session:
            session.delete(owned(session, ModerationRuleset, organisation_id, ruleset_id))

    def page(self, organisation_id: uuid.UUID, limit: int, cursor: str | None) -> Page:
        with self._db.session() as session:
            query = select(ModerationRuleset).where(ModerationRuleset.organisation_id == organisation_id)
            return paginate(session, query, ModerationRuleset.created_at, ModerationRuleset.id,
                            limit=limit, cursor=cursor, scope="rulesets")

    def default_id(self, organisation_id: uuid.UUID) -> uuid.UUID | None:
        with self._db.session() as session:
            return session.execute(select(ModerationRuleset.id).where(
                ModerationRuleset.organisation_id == organisation_id, ModerationRuleset.is_default.is_(True))).scalar()

    def resolve(self, organisation_id: uuid.UUID, requested: uuid.UUID | None) -> tuple[RulesetConfig | None, bool]:
        """The named ruleset, else the default (decision 27); True when a named one did not resolve."""
        with self._db.session() as session:
            if requested is not None:
                row = session.get(ModerationRuleset, requested)
                if row is not None and row.organisation_id == organisation_id:
                    return RulesetConfig.model_validate(row.config), False
            default = session.execute(select(ModerationRuleset).where(
                ModerationRuleset.organisation_id == organisation_id, ModerationRuleset.is_default.is_(True))).scalar()
            config = RulesetConfig.model_validate(default.config) if default else None
            return config, requested is not None
