"""Reading Orato's error bodies: the assessment rendering, problem+json and the moderation envelope.

The three shapes are those :mod:`orato.api.errors` writes (errors.md 5.1, 6.1, 6.5). A body that is
none of them (a proxy's 502 page) still becomes an :class:`APIError` of its status's class.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from orato.client.errors import APIError, error_class


def api_error(response: httpx.Response, retry_after: float | None) -> APIError:
    body = json_object(response)
    code, detail, request_id, fields = _error_fields(body)
    status = response.status_code
    request_id = request_id or response.headers.get("x-request-id")
    return error_class(status)(status, code or f"http_{status}", detail or response.reason_phrase, request_id, fields, retry_after)


def _error_fields(body: dict[str, Any]) -> tuple[str | None, str | None, str | None, dict[str, Any]]:
    moderation = body.get("error")
    if isinstance(moderation, dict):  # errors.md 6.5
        return _text(moderation.get("code")), _text(moderation.get("message")), _text(moderation.get("request_id")), moderation
    if "short_message" in body:  # errors.md 5.1
        return _text(body.get("short_message")), _text(body.get("detail_message")), _text(body.get("request_id")), body
    return _text(body.get("code")), _text(body.get("detail")), _text(body.get("request_id")), body  # errors.md 6.1


def json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
