"""Organisation-owned rows: look-up that treats another organisation's row as missing (1.8)."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orato.errors import ConflictError, NotFoundError
from orato.store.models import OrgResource

R = TypeVar("R", bound=OrgResource)


def parse_id(value: str | uuid.UUID) -> uuid.UUID:
    """A malformed id in a path is simply a missing resource."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFoundError("No such resource.") from None


def owned(session: Session, model: type[R], organisation_id: uuid.UUID, ident: str | uuid.UUID) -> R:
    row = session.get(model, parse_id(ident))
    if row is None or row.organisation_id != organisation_id:
        raise NotFoundError("No such resource.")
    return row


def check_unique_name(session: Session, model: Any, organisation_id: uuid.UUID, name: str, own_id: uuid.UUID | None) -> None:
    clash = session.execute(
        select(model.id).where(model.organisation_id == organisation_id, model.name_key == name.casefold(), model.id != own_id)
    ).first()
    if clash is not None:
        raise ConflictError("The name is already used in this organisation.")


def count(session: Session, query: Any) -> int:
    return session.execute(select(func.count()).select_from(query.subquery())).scalar_one()


def clear_default(session: Session, model: Any, organisation_id: uuid.UUID, keep: uuid.UUID | None) -> None:
    """At most one default per organisation: setting one clears the others."""
    for row in session.execute(select(model).where(model.organisation_id == organisation_id, model.is_default.is_(True))).scalars():
        if row.id != keep:
            row.is_default = False


def add_named(session: Session, model: type[R], organisation_id: uuid.UUID, fields: dict[str, Any]) -> R:
    """Creates a row with a name unique per organisation (case-insensitive) and an is_default flag.

    The named models (dictionaries, rulesets) declare ``name_key`` and ``is_default`` each on their
    own, so the row is built untyped and handed back as the model it is.
    """
    check_unique_name(session, model, organisation_id, fields["name"], None)
    build: Any = model
    row = build(organisation_id=organisation_id, name_key=fields["name"].casefold(), **fields)
    session.add(row)
    session.flush()
    if row.is_default:
        clear_default(session, model, organisation_id, row.id)
    return cast(R, row)


def update_named(session: Session, model: type[R], owned_row: R, fields: dict[str, Any]) -> R:
    """Partial update of such a row; becoming the default takes the flag from the previous one."""
    row: Any = owned_row
    if "name" in fields:
        check_unique_name(session, model, row.organisation_id, fields["name"], row.id)
        row.name_key = fields["name"].casefold()
    for name, value in fields.items():
        setattr(row, name, value)
    if row.is_default:
        clear_default(session, model, row.organisation_id, row.id)
    session.flush()
    return owned_row
