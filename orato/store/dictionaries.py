"""Pronunciation dictionaries and their rules (api-synthesis.md 5, 11).

Every organisation has exactly one default dictionary, created on first use; it can be neither
deleted nor un-defaulted, only replaced by making another dictionary the default.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orato.errors import ConflictError, InvalidParametersError, NotFoundError
from orato.store.db import Database
from orato.store.models import PronunciationDictionary, PronunciationRule
from orato.store.pages import Page, paginate
from orato.store.resources import add_named, count, owned, parse_id, update_named
from orato.synthesis.text import Rule

MAX_RULES_PER_DICTIONARY = 10_000
MAX_DICTIONARIES = 100
DEFAULT_NAME = "Default"


class DictionaryStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def default_id(self, organisation_id: uuid.UUID) -> uuid.UUID | None:
        """The default's id without creating it: the organisation endpoint only reports."""
        with self._db.session() as session:
            return session.execute(select(PronunciationDictionary.id).where(
                PronunciationDictionary.organisation_id == organisation_id,
                PronunciationDictionary.is_default.is_(True))).scalar()

    def create(self, organisation_id: uuid.UUID, fields: dict[str, Any]) -> PronunciationDictionary:
        with self._db.session() as session:
            _default(session, organisation_id)
            query = select(PronunciationDictionary).where(PronunciationDictionary.organisation_id == organisation_id)
            if count(session, query) >= MAX_DICTIONARIES:
                raise _limit("an organisation holds at most 100 dictionaries")
            return add_named(session, PronunciationDictionary, organisation_id, fields)

    def get(self, organisation_id: uuid.UUID, dictionary_id: str) -> PronunciationDictionary:
        with self._db.session() as session:
            _default(session, organisation_id)
            return owned(session, PronunciationDictionary, organisation_id, dictionary_id)

    def update(self, organisation_id: uuid.UUID, dictionary_id: str, fields: dict[str, Any]) -> PronunciationDictionary:
        with self._db.session() as session:
            _default(session, organisation_id)
            row = owned(session, PronunciationDictionary, organisation_id, dictionary_id)
            if fields.get("is_default") is False and row.is_default:
                raise ConflictError("The default dictionary stays default until another one is made default.")
            return update_named(session, PronunciationDictionary, row, fields)

    def delete(self, organisation_id: uuid.UUID, dictionary_id: str) -> None:
        with self._db.session() as session:
            _default(session, organisation_id)
            row = owned(session, PronunciationDictionary, organisation_id, dictionary_id)
            if row.is_default:
                raise ConflictError("The default dictionary cannot be deleted.")
            session.delete(row)

    def page(self, organisation_id: uuid.UUID, limit: int, cursor: str | None) -> Page:
        with self._db.session() as session:
            _default(session, organisation_id)
            query = select(PronunciationDictionary).where(PronunciationDictionary.organisation_id == organisation_id)
            return paginate(session, query, PronunciationDictionary.created_at, PronunciationDictionary.id,
                            limit=limit, cursor=cursor, scope="dictionaries")

    def rule_count(self, dictionary_id: uuid.UUID) -> int:
        with self._db.session() as session:
            return count(session, select(PronunciationRule).where(PronunciationRule.dictionary_id == dictionary_id))

    # --- rules ------------------------------------------------------------------------

    def add_rule(self, organisation_id: uuid.UUID, dictionary_id: str, fields: dict[str, Any]) -> PronunciationRule:
        with self._db.session() as session:
            dictionary = owned(session, PronunciationDictionary, organisation_id, dictionary_id)
            rules = select(PronunciationRule).where(PronunciationRule.dictionary_id == dictionary.id)
            if count(session, rules) >= MAX_RULES_PER_DICTIONARY:
                raise _limit("a dictionary holds at most 10000 rules")
            rule = PronunciationRule(dictionary_id=dictionary.id, **fields)
            _check_unique_word(session, rule)
            session.add(rule)
            session.flush()
            return rule

    def get_rule(self, organisation_id: uuid.UUID, dictionary_id: str, rule_id: str) -> PronunciationRule:
        with self._db.session() as session:
            return _owned_rule(session, organisation_id, dictionary_id, rule_id)

    def update_rule(self, organisation_id: uuid.UUID, dictionary_id: str, rule_id: str, fields: dict[str, Any]) -> PronunciationRule:
        with self._db.session() as session:
            rule = _owned_rule(session, organisation_id, dictionary_id, rule_id)
            for name, value in fields.items():
                setattr(rule, name, value)
            _check_unique_word(session, rule)
            session.flush()
            return rule

    def delete_rule(self, organisation_id: uuid.UUID, dictionary_id: str, rule_id: str) -> None:
        with self._db.session() as session:
            session.delete(_owned_rule(session, organisation_id, dictionary_id, rule_id))

    def rule_page(self, organisation_id: uuid.UUID, dictionary_id: str, limit: int, cursor: str | None) -> Page:
        with self._db.session() as session:
            dictionary = owned(session, PronunciationDictionary, organisation_id, dictionary_id)
            query = select(PronunciationRule).where(PronunciationRule.dictionary_id == dictionary.id)
            return paginate(session, query, PronunciationRule.created_at, PronunciationRule.id,
                            limit=limit, cursor=cursor, scope=f"rules:{dictionary.id}")

    def rule_sources(self, organisation_id: uuid.UUID, dictionary_ids: list[uuid.UUID]) -> list[list[Rule]]:
        """The default dictionary's rules, then each listed dictionary's, in order (5.1)."""
        with self._db.session() as session:
            default = _default(session, organisation_id)
            listed = [owned(session, PronunciationDictionary, organisation_id, i) for i in dictionary_ids]
            return [_rules_of(session, d.id) for d in [default, *listed]]


def _default(session: Session, organisation_id: uuid.UUID) -> PronunciationDictionary:
    row = session.execute(
        select(PronunciationDictionary).where(
            PronunciationDictionary.organisation_id == organisation_id, PronunciationDictionary.is_default.is_(True)
        )
    ).scalar_one_or_none()
    if row is None:
        name = DEFAULT_NAME
        taken = session.execute(select(PronunciationDictionary).where(
            PronunciationDictionary.organisation_id == organisation_id,
            PronunciationDictionary.name_key == name.casefold())).scalar_one_or_none()
        if taken is not None:  # an organisation that named its own dictionary "Default"
            taken.is_default = True
            return taken
        row = PronunciationDictionary(organisation_id=organisation_id, name=name, name_key=name.casefold(), is_default=True)
        session.add(row)
        session.flush()
    return row


def _rules_of(session: Session, dictionary_id: uuid.UUID) -> list[Rule]:
    rows = session.execute(
        select(PronunciationRule).where(PronunciationRule.dictionary_id == dictionary_id)
        .order_by(PronunciationRule.created_at, PronunciationRule.id)
    ).scalars()
    return [Rule(r.word, r.replacement, r.case_sensitive) for r in rows]


def _owned_rule(session: Session, organisation_id: uuid.UUID, dictionary_id: str, rule_id: str) -> PronunciationRule:
    dictionary = owned(session, PronunciationDictionary, organisation_id, dictionary_id)
    rule = session.get(PronunciationRule, parse_id(rule_id))
    if rule is None or rule.dictionary_id != dictionary.id:
        raise NotFoundError("No such resource.")
    return rule


def _check_unique_word(session: Session, rule: PronunciationRule) -> None:
    """A word is unique per dictionary, ignoring case unless either rule is case-sensitive."""
    others = session.execute(
        select(PronunciationRule).where(PronunciationRule.dictionary_id == rule.dictionary_id)
    ).scalars()
    for other in others:
        if other is rule or other.id == rule.id:
            continue
        same = Rule(other.word, "", other.case_sensitive).key == Rule(rule.word, "", rule.case_sensitive).key
        if same:
            raise ConflictError("The dictionary already has a rule for this word.")


def _limit(message: str) -> InvalidParametersError:
    return InvalidParametersError("body", validation=[{"path": [], "message": message}])
