"""Strict JSON bodies for the synthesis family (api-synthesis.md 1.1, 1.5).

Bodies are read within the 1 MiB limit and validated by pydantic in JSON mode, so that a string
is never silently taken for a number, while UUIDs may still arrive as strings.
"""

from __future__ import annotations

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
        return model.model_validate_json(bytes(raw))
    except ValidationError as error:
        # The inputs tell union arms apart (orato.api.errors); they are never rendered.
        entries = validation_entries(error.errors(include_url=False))
        raise InvalidParametersError("body", validation=entries) from None

