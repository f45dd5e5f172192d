"""Rendering of :class:`~orato.errors.OratoError` at the edge, one renderer per API family.

The family is decided by the path alone (errors.md 1, item 2), so errors raised before routing
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
    entries = [_validation_entry(item) for item in _chosen_union_arms(list(error.errors()))]
    first_param = str(entries[0]["path"][-1]) if entries and entries[0]["path"] else "body"
    return error_response(request, InvalidParametersError(first_param, validation=entries))


def _validation_entry(item: Mapping[str, Any]) -> dict[str, Any]:
    """The path of body members and pydantic's wording; the input itself is never repeated."""
    location = list(item.get("loc", ()))
    if location and location[0] == "body":
        location = location[1:]
    if item.get("type") == "json_invalid":
        return {"path": [], "message": "is not valid JSON"}
    message = str(item.get("msg", "is invalid")).removeprefix("Value error, ")
    return {"path": _member_path(location), "message": message[:1].lower() + message[1:]}


def _member_path(location: list[Any]) -> list[Any]:
    """Union arms and validator wrappers add loc parts that are not body members."""
    return [p for p in location if not _is_schema_label(p)]


def _is_schema_label(part: Any) -> bool:
    """Pydantic names an arm by its type: a model class, a builtin, or a bracketed description."""
    if not isinstance(part, str):
        return False
    return part[:1].isupper() or part in _TYPE_LABELS or part.startswith(("function-", "constrained-")) or "[" in part


_TYPE_LABELS = {"str", "int", "float", "bool", "dict", "list", "none", "uuid"}


def _chosen_union_arms(items: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """For each union, the complaints of the one arm the input was meant for (api-synthesis.md 1.5).

    Pydantic reports every arm of a union that failed: ``{"format": "ogg"}`` under
    ``output: "wav" | Output`` gets "should be 'wav', 'mp3' or 'pcm'" from the string arm as well
    as the object arm's complaint about ``output.format``. The arm meant is the one that took
    the input's JSON type: it reached inside the input, or at least did not refuse its type.
    """
    arms: dict[tuple[Any, ...], dict[str, list[Mapping[str, Any]]]] = {}
    for item in items:
        location = tuple(item.get("loc", ()))
        label = next((n for n, part in enumerate(location) if _is_schema_label(part)), None)
        if label is not None:
            arms.setdefault(location[:label], {}).setdefault(location[label], []).append(item)
    dropped: set[int] = set()
    for prefix, by_arm in arms.items():
        if len(by_arm) > 1:
            chosen = max(by_arm.values(), key=lambda arm: _fit(arm, len(prefix) + 1))
            dropped.update(id(i) for arm in by_arm.values() if arm is not chosen for i in arm)
    return [item for item in items if id(item) not in dropped]


def _fit(arm: list[Mapping[str, Any]], depth: int) -> tuple[bool, int]:
    """(took the input's type, how far it got into the input): higher is the arm meant."""
    reached = max(len(_member_path(list(item.get("loc", ())[depth:]))) for item in arm)
    refused = all(len(item.get("loc", ())) == depth and _refuses_type(item) for item in arm)
    return not refused, reached


def _refuses_type(item: Mapping[str, Any]) -> bool:
    """A type error, or a literal compared with an object or array (strict literals say so)."""
    kind = str(item.get("type", ""))
    return kind.endswith("_type") or (kind == "literal_error" and isinstance(item.get("input"), dict | list))


def validation_entries(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One entry per problem and path; of a union, only the arm the input was meant for."""
    entries: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for item in _chosen_union_arms(list(items)):
        entry = _validation_entry(item)
        if tuple(entry["path"]) not in seen:
            seen.add(tuple(entry["path"]))
            entries.append(entry)
    return entries


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(OratoError, _on_orato_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
