"""Rendering of :class:`~orato.errors.OratoError` at the edge, one renderer per API family.

The family is decided by the path alone (errors.md 1.2), so errors raised before routing
(oversized bodies, unknown routes) are rendered like those raised inside an endpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from enum import StrEnum
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from orato.errors import (
    InvalidParametersError,
    ModerationBlockedError,
    NotFoundError,
    OratoError,
    ParameterError,
)
from orato.scoring.envelope import error_body

logger = logging.getLogger("orato.api")

_ASSESSMENT_PREFIXES = ("/api/", "/scoring/", "/validating/")


class Family(StrEnum):
    ASSESSMENT = "assessment"
    SYNTHESIS = "synthesis"


def family_of(path: str) -> Family:
    return Family.ASSESSMENT if path.startswith(_ASSESSMENT_PREFIXES) else Family.SYNTHESIS


def request_id_of(request: Request) -> str:
    return str(request.scope["state"]["request_id"])


def error_response(request: Request, error: OratoError) -> JSONResponse:
    request.scope["state"]["error"] = error
    if family_of(request.url.path) is Family.ASSESSMENT:
        response = _assessment_response(request, error)
    elif isinstance(error, ModerationBlockedError):
        response = _moderation_response(request, error)
    else:
        response = _problem_response(request, error)
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _assessment_response(request: Request, error: OratoError) -> JSONResponse:
    body = error_body(error, request_id_of(request).replace("-", ""), request.scope["state"].get("api_version"))
    return JSONResponse(body, status_code=error.status, media_type="application/json; charset=utf-8")


def _problem_response(request: Request, error: OratoError) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(error.status).phrase,
        "status": error.status,
        "detail": problem_detail(error),
        "code": error.problem_code,
    }
    if error.validation:
        body["validation"] = error.validation
    body.update(error.extras)
    body["request_id"] = request_id_of(request)
    return JSONResponse(body, status_code=error.status, media_type="application/problem+json")


def problem_detail(error: OratoError) -> str:
    if error.validation:
        first = error.validation[0]
        return f"{'.'.join(str(p) for p in first['path'])}: {first['message']}"
    if isinstance(error, ParameterError):
        return f"{error.param}: {error.message}"
    if error.problem_detail is not None and error.detail == error.default_detail:
        return error.problem_detail
    return error.detail


def _moderation_response(request: Request, error: ModerationBlockedError) -> JSONResponse:
    body: dict[str, Any] = {
        "code": "content_moderation_blocked",
        "message": error.detail,
        "reason": error.reason,
        "request_id": request_id_of(request),
    }
    body.update(error.extras)
    return JSONResponse({"error": body}, status_code=422)


async def _on_orato_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, OratoError)
    return error_response(request, error)


async def _on_http_exception(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    # Unknown routes and wrong methods are both "no such endpoint" (api-scoring.md 1.1).
    if error.status_code in (404, 405):
        return error_response(request, NotFoundError("path"))
    logger.error("unexpected HTTP exception status=%s", error.status_code)
    return error_response(request, OratoError())


async def _on_validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    entries = [_validation_entry(item) for item in error.errors()]
    first_param = str(entries[0]["path"][-1]) if entries and entries[0]["path"] else "body"
    return error_response(request, InvalidParametersError(first_param, validation=entries))


def _validation_entry(item: Mapping[str, Any]) -> dict[str, Any]:
    location = list(item.get("loc", ()))
    if location and location[0] == "body":
        location = location[1:]
    if item.get("type") == "json_invalid":
        return {"path": [], "message": "is not valid JSON"}
    # Union members and validator wrappers add loc parts that are not body members.
    location = [p for p in location if not _is_schema_label(p)]
    # Pydantic messages may quote the offending input; keep only its own wording.
    message = str(item.get("msg", "is invalid")).removeprefix("Value error, ")
    return {"path": location, "message": message[:1].lower() + message[1:]}


def _is_schema_label(part: Any) -> bool:
    if not isinstance(part, str):
        return False
    return part in ("str", "Output", "function-after[_not_blank(), str]") or part.startswith(("literal[", "function-", "constrained-"))


def validation_entries(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One entry per problem; a union reports each arm, so repeated paths are kept once."""
    entries: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for item in items:
        entry = _validation_entry(item)
        if tuple(entry["path"]) not in seen:
            seen.add(tuple(entry["path"]))
            entries.append(entry)
    return entries


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(OratoError, _on_orato_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
