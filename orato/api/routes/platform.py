"""Routes shared by the platform: health probe and the calling organisation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from orato import __version__
from orato.api.auth import authenticate

router = APIRouter()


_HEALTH = {
    "type": "object",
    "required": ["status", "version"],
    "properties": {"status": {"enum": ["ok", "unavailable"]}, "version": {"type": "string"}},
}
_HEALTH_DOC = {
    "responses": {
        "200": {"description": "Serving", "content": {"application/json": {"schema": _HEALTH}}},
        "503": {"description": "Starting or stopping", "content": {"application/json": {"schema": _HEALTH}}},
    }
}
_TIMESTAMP = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"}
_ORGANIZATION = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "data": {
            "type": "object",
            "required": ["id", "name", "created_at", "api_key"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "name": {"type": "string"},
                "created_at": _TIMESTAMP,
                "default_moderation_ruleset_id": {"type": ["string", "null"]},
                "default_pronunciation_dictionary_id": {"type": ["string", "null"]},
                "api_key": {
                    "type": "object",
                    "required": ["id", "last_four", "plan", "features", "expires_at"],
                    "properties": {
                        "id": {"type": "string", "format": "uuid"},
                        "last_four": {"type": "string", "minLength": 4, "maxLength": 4},
                        "plan": {"type": "string"},
                        "features": {"type": "array", "items": {"type": "string"}},
                        "expires_at": {"anyOf": [_TIMESTAMP, {"type": "null"}]},
                    },
                },
            },
        }
    },
}
_ORGANIZATION_DOC = {
    "responses": {"200": {"description": "Success", "content": {"application/json": {"schema": _ORGANIZATION}}}}
}


@router.get("/health", summary="Health probe (no key)", openapi_extra=_HEALTH_DOC)
async def health(request: Request) -> JSONResponse:
    ready = request.app.state.services.ready
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "version": __version__},
        status_code=200 if ready else 503,
    )


@router.get(
    "/v1/organization", summary="The organisation that owns the calling key", openapi_extra=_ORGANIZATION_DOC
)
async def organization(request: Request) -> dict[str, Any]:
    principal = await authenticate(request, "synthesis")
    services = request.app.state.services
    ruleset = await run_in_threadpool(services.rulesets.default_id, principal.organisation_id)
    dictionary = await run_in_threadpool(services.dictionaries.default_id, principal.organisation_id)
    return {
        "data": {
            "id": str(principal.organisation_id),
            "name": principal.organisation_name,
            "created_at": iso_timestamp(principal.organisation_created_at),
            "default_moderation_ruleset_id": str(ruleset) if ruleset else None,
            "default_pronunciation_dictionary_id": str(dictionary) if dictionary else None,
            "api_key": {
                "id": str(principal.key_id),
                "last_four": principal.last_four,
                "plan": principal.plan_name,
                "features": sorted(principal.features, key=_feature_rank),
                "expires_at": iso_timestamp(principal.expires_at) if principal.expires_at else None,
            },
        }
    }


_FEATURE_ORDER = ["pronunciation", "fluency", "intonation", "speech", "task", "writing", "synthesis"]


def _feature_rank(feature: str) -> tuple[int, str]:
    """The contract's order first; features an operator added follow alphabetically."""
    rank = _FEATURE_ORDER.index(feature) if feature in _FEATURE_ORDER else len(_FEATURE_ORDER)
    return rank, feature


def iso_timestamp(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a Z (api-synthesis.md 1.8)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
