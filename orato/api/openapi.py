"""The OpenAPI document: every operation's errors in its family's shape, and how to authenticate.

Error responses are added to every operation from the path's family, as the renderers in
:mod:`orato.api.errors` write them, so an endpoint added later is documented (and checked by
the schemathesis test) without repeating them. FastAPI's own ``422`` is removed: Orato never
sends it outside the moderation envelope.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from orato import errors
from orato.api.errors import Family, family_of

_ERROR_TYPES = [
    cls for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, errors.OratoError) and cls is not errors.OratoError
]
ASSESSMENT_STATUSES = (400, 401, 402, 403, 404, 409, 429, 500, 503)
SYNTHESIS_STATUSES = (400, 401, 403, 404, 429, 500, 503)
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "string"}}}

SCHEMAS: dict[str, Any] = {
    "AssessmentSuccess": {
        "type": "object",
        "required": ["status", "quota_remaining", "request_id", "version"],
        "properties": {
            "status": {"const": "success"},
            "quota_remaining": {"type": "integer"},
            "request_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
            "version": {"type": "string", "pattern": r"^9\.[0-9]{1,2}$"},
        },
    },
    "AssessmentError": {
        "type": "object",
        "required": ["status", "short_message", "detail_message", "request_id"],
        "properties": {
            "status": {"const": "error"},
            "short_message": {"enum": sorted({cls.short_message for cls in _ERROR_TYPES})},
            "detail_message": {"type": "string", "minLength": 1},
            "request_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
            "version": {"type": "string", "pattern": r"^9\.[0-9]{1,2}$"},
        },
        "additionalProperties": False,
    },
    "Problem": {
        "type": "object",
        "required": ["type", "title", "status", "detail", "code", "request_id"],
        "properties": {
            "type": {"const": "about:blank"},
            "title": {"type": "string", "minLength": 1},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string", "minLength": 1},
            "code": {"enum": sorted({cls.problem_code for cls in _ERROR_TYPES})},
            "validation": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["path", "message"],
                    "properties": {"path": {"type": "array"}, "message": {"type": "string"}},
                },
            },
            "provider": {"type": "string"},
            "upstream_status": {"type": "integer"},
            "upstream_code": {"type": "string"},
            "turn_index": {"type": "integer"},
            "request_id": {"type": "string", "format": "uuid"},
        },
        "additionalProperties": False,
    },
}

SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "Orato API key (recommended)."},
    "queryKey": {"type": "apiKey", "in": "query", "name": "key", "description": "The same key, as Speechace clients send it."},
}


def _error_responses(family: Family) -> dict[str, Any]:
    statuses: tuple[int, ...]
    if family is Family.ASSESSMENT:
        statuses, media, schema = ASSESSMENT_STATUSES, "application/json", "AssessmentError"
    else:
        statuses, media, schema = SYNTHESIS_STATUSES, "application/problem+json", "Problem"
    return {
        str(status): {
            "description": f"Error ({family.value} family rendering, errors.md)",
            "content": {media: {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
            **({"headers": _RETRY_AFTER} if status in (429, 503) else {}),
        }
        for status in statuses
    }


_VERSION_PATTERN = r"^v9(\.(0|[1-9][0-9]?))?$"


def _document(document: dict[str, Any]) -> dict[str, Any]:
    components = document.setdefault("components", {})
    components.setdefault("schemas", {}).update(SCHEMAS)
    for name in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(name, None)
    components["securitySchemes"] = SECURITY_SCHEMES
    for path, operations in document["paths"].items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            if path == "/health":
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] == "version":
                    parameter["schema"]["pattern"] = _VERSION_PATTERN
            operation["security"] = [{"bearer": []}, {"queryKey": []}]
            for status, response in _error_responses(family_of(path)).items():
                responses.setdefault(status, response)
    return document


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document(get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes,
            ))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
