"""Strict JSON bodies for the synthesis family (api-synthesis.md 1.1, 1.5).

Bodies are read within the 1 MiB limit and validated by pydantic in JSON mode, so that a string
is never silently taken for a number, while UUIDs may still arrive as strings.
"""

from __future__ import annotations

import json
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from orato.api.errors import validation_entries
from orato.errors import InvalidParametersError, invalid_at

M = TypeVar("M", bound=BaseModel)


async def read_json(request: Request, model: type[M]) -> M:
    limit = request.app.state.services.settings.max_json_body_bytes
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > limit:
            raise invalid_at([], f"the body must be at most {limit} bytes")
    if not raw.strip():
        raise invalid_at([], "a JSON object is required")
    try:
        return model.model_validate_json(_normalised(bytes(raw)))
    except ValidationError as error:
        # The inputs tell union arms apart (orato.api.errors); they are never rendered.
        entries = validation_entries(error.errors(include_url=False))
        raise InvalidParametersError("body", validation=entries) from None



def _normalised(raw: bytes) -> bytes:
    """The body as the models should see it: ``42.0`` is the integer 42 in JSON's data model and
    to JSON Schema, so the document's ``"type": "integer"`` admits it, where strict validation
    would refuse a float; and no string holds NUL, which no database column (PostgreSQL's text)
    stores. Input that is not JSON is passed on unchanged, for the validator to refuse."""
    try:
        document = json.loads(raw, parse_float=_number)
    except (ValueError, RecursionError):
        return raw
    path = _nul_at(document)
    if path is not None:
        raise invalid_at(path, "must not contain the NUL character")
    return json.dumps(document).encode()


def _nul_at(value: object) -> list[str | int] | None:
    """The path of the first string (member name or value) that holds NUL, if any."""
    if isinstance(value, str):
        return [] if "\x00" in value else None
    items: list[tuple[str | int, object]] = []
    if isinstance(value, dict):
        for name, member in value.items():
            if "\x00" in name:
                return [name.replace("\x00", "")]
            items.append((name, member))
    elif isinstance(value, list):
        items = list(enumerate(value))
    for key, member in items:
        inner = _nul_at(member)
        if inner is not None:
            return [key, *inner]
    return None


def _number(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() and abs(value) <= 2**53 else value
