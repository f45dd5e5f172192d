"""Request logs and feedback (api-synthesis.md 12, 13)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from orato.api.auth import authenticate
from orato.api.json_body import read_json
from orato.api.openapi import json_body, merged, reply
from orato.api.routes.platform import iso_timestamp
from orato.api.routes.resources import page_params
from orato.api.wire_synthesis import FeedbackReceipt, Listing, LogEntry, One
from orato.errors import InvalidParametersError
from orato.store.logs import LogFilters
from orato.store.pages import Page
from orato.synthesis.schemas import Strict

router = APIRouter()

_ROW_MEMBERS = (
    "family", "path", "status", "provider", "model", "voice_ref", "char_count", "audio_ms", "audio_bytes",
    "credits_used", "latency_ms", "upstream_latency_ms", "error_code", "error_detail", "provider_options",
    "moderation_decision", "moderation_reason_type", "moderation_reason_detail", "moderation_confidence",
    "moderation_latency_ms", "turn_index", "user_id", "question_info",
)


def log_json(row: Any) -> dict[str, Any]:
    body = {
        "request_id": str(row.request_id),
        "parent_request_id": str(row.parent_request_id) if row.parent_request_id else None,
        "ts": iso_timestamp(row.ts),
        "key_id": str(row.key_id) if row.key_id else None,
        "voice_id": str(row.voice_id) if row.voice_id else None,
    }
    body.update({name: getattr(row, name) for name in _ROW_MEMBERS})
    return body


def _query_error(name: str, message: str) -> InvalidParametersError:
    return InvalidParametersError(name, validation=[{"path": ["query", name], "message": message}])


def _filters(request: Request) -> LogFilters:
    query = request.query_params
    status = query.get("status")
    if status is not None and not (status.isdigit() and 100 <= int(status) <= 599):
        raise _query_error("status", "must be an integer from 100 to 599")
    family = query.get("family")
    if family is not None and family not in ("synthesis", "assessment"):
        raise _query_error("family", "must be synthesis or assessment")
    return LogFilters(
        provider=query.get("provider"),
        status=int(status) if status else None,
        parent_request_id=_uuid(query.get("parent_request_id"), "parent_request_id"),
        since=_moment(query.get("since"), "since"),
        until=_moment(query.get("until"), "until"),
        family=family,
    )


def _uuid(value: str | None, name: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        raise _query_error(name, "must be a UUID") from None


def _moment(value: str | None, name: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value) if value else None
    except ValueError:
        raise _query_error(name, "must be an ISO 8601 timestamp") from None
    if moment is not None and moment.tzinfo is None:
        raise _query_error(name, "must carry a time zone (Z)")
    return moment


@router.get("/v1/logs", openapi_extra=reply(Listing[LogEntry]))
async def list_logs(request: Request) -> dict[str, Any]:
    principal = await authenticate(request, "synthesis")
    limit, cursor = page_params(request)
    logs = request.app.state.services.logs
    page: Page = await run_in_threadpool(logs.page, principal.organisation_id, _filters(request), limit, cursor)
    return page.envelope(log_json)


@router.get("/v1/logs/{request_id}", openapi_extra=reply(One[LogEntry]))
async def get_log(request: Request, request_id: str) -> dict[str, Any]:
    principal = await authenticate(request, "synthesis")
    row = await run_in_threadpool(request.app.state.services.logs.get, principal.organisation_id, request_id)
    return {"data": log_json(row)}


class FeedbackBody(Strict):
    requestId: uuid.UUID
    score: Annotated[int, Field(ge=0, le=100)]
    comment: Annotated[str, Field(max_length=2000)] | None = None
    feedbackId: uuid.UUID | None = None


@router.post("/v1/feedback", status_code=201, openapi_extra=merged(json_body(FeedbackBody), reply(FeedbackReceipt, 201)))
async def feedback(request: Request) -> JSONResponse:
    principal = await authenticate(request, "synthesis")
    body = await read_json(request, FeedbackBody)
    timeline = await run_in_threadpool(
        request.app.state.services.logs.add_feedback, principal.organisation_id, body.requestId, body.score,
        body.comment, body.feedbackId,
    )
    return JSONResponse({"feedbackId": str(timeline)}, status_code=201)
