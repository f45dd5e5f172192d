"""Assessment family endpoints (`/api/scoring/...`, `/api/validating/...`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from orato.api.auth import authenticate
from orato.api.errors import request_id_of
from orato.api.forms import RequestBody, read_body
from orato.api.idempotency import check_idempotency
from orato.api.openapi import form_choice, merged, reply
from orato.api.wire_assessment import Envelope, ValidateTextSuccess
from orato.api.work import run_engine
from orato.dialect_support import dialects
from orato.errors import UnknownWordsError
from orato.lang.lexicon import english_lexicon, unknown_words
from orato.lang.script import script_words
from orato.params import Params, served_version
from orato.scoring.envelope import success_body
from orato.scoring.service import markup_enabled

router = APIRouter()


_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Replays the stored result of a repeated request for 24 h (api-scoring.md 1.10).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
}
_USER_ID = {"name": "user_id", "in": "query", "schema": {"type": "string", "maxLength": 256}}
_REPLAYED = {"Idempotent-Replayed": {"description": "true on a replay", "schema": {"type": "string"}}}


def answers(model: type[Envelope]) -> dict[str, Any]:
    """The ``openapi_extra`` of an assessment endpoint's success (api-scoring.md 1.5)."""
    return reply(model, headers=_REPLAYED)


# What a JSON body's member may be besides the form's string (orato.api.forms._as_text): a
# number or boolean is read as its text, a list of strings joined with commas, null as not sent.
_JSON_SCALARS = ({"type": ["number", "boolean", "null"]}, {"type": "array", "items": {"type": "string"}})


def json_form(schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON encoding of a form's ``schema`` (api-scoring.md 1.3). Unknown members are
    ignored, but like every member they must be a string, number, boolean or string list."""
    properties = {name: {"anyOf": [field, *_JSON_SCALARS]} for name, field in schema["properties"].items()}
    return {**schema, "properties": properties, "additionalProperties": {"anyOf": [{"type": "string"}, *_JSON_SCALARS]}}


_VALIDATE_TEXT_FIELDS = {
    "text": {"type": "string"},
    "dialect": form_choice(dialects("markup"), default="en-us"),
    "markup_language": form_choice(["arpa_mark"]),
    "question_info": {"type": "string", "maxLength": 256},
}
_VALIDATE_TEXT_DOC = {
    "description": "Checks that every word of a script is in the lexicon (api-scoring.md 5). Parameters "
    "may come in the query or the body; the body wins.",
    "parameters": [
        {"name": "text", "in": "query", "required": True, "schema": {"type": "string"}},
        {"name": "dialect", "in": "query", "schema": _VALIDATE_TEXT_FIELDS["dialect"]},
        {"name": "markup_language", "in": "query", "schema": _VALIDATE_TEXT_FIELDS["markup_language"]},
        _USER_ID,
        _IDEMPOTENCY_KEY,
    ],
    "requestBody": {
        "required": False,
        "content": {
            "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": _VALIDATE_TEXT_FIELDS}},
            "application/json": {"schema": json_form({"type": "object", "properties": _VALIDATE_TEXT_FIELDS})},
        },
    },
}


def any_encoding_doc(
    description: str, task_type: dict[str, Any], dialects: Sequence[str], fields: dict[str, Any],
    required: Sequence[str] = (), files: Sequence[str] = (),
) -> dict[str, Any]:
    """OpenAPI of an endpoint whose parameters come in the query or any body encoding (1.3),
    ``task_type`` in the query too; ``files`` are multipart-only parts (score task's audio)."""
    binary = {name: {"type": "string", "format": "binary"} for name in files}
    schema: dict[str, Any] = {"type": "object", "properties": fields, **({"required": list(required)} if required else {})}
    return {
        "description": description,
        "parameters": [
            {"name": "task_type", "in": "query", "schema": task_type},
            {"name": "dialect", "in": "query", "schema": form_choice(dialects, default="en-us")},
            _USER_ID,
        ],
        "requestBody": {"required": True, "content": {
            "multipart/form-data": {"schema": {**schema, "properties": {**fields, **binary}}},
            "application/x-www-form-urlencoded": {"schema": schema},
            "application/json": {"schema": json_form(schema)},
        }},
    }  # fmt: skip


def assessment_route(path: str, **openapi: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Registers ``/api{path}`` and its documented alias without the ``/api`` prefix."""

    def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        router.post(f"/api{path}", openapi_extra=openapi, response_class=JSONResponse)(endpoint)
        router.post(path, include_in_schema=False)(endpoint)
        return endpoint

    return register


def success(request: Request, payload: dict[str, Any] | None = None) -> JSONResponse:
    body = success_body(payload or {}, request_id_of(request).replace("-", ""), request.scope["state"]["api_version"])
    return JSONResponse(body, media_type="application/json; charset=utf-8")


async def begin(request: Request, version: str, feature: str) -> RequestBody:
    """The checks every assessment endpoint starts with, in the documented order (1.11, steps 1-5).

    Route and version, key, feature and concurrency slot, then the body (within the transport
    limits) and the Idempotency-Key, which may end the request with a replay or a 409.
    """
    request.scope["state"]["api_version"] = served_version(version)
    principal = await authenticate(request, feature)
    settings = request.app.state.services.settings
    body = await read_body(
        request,
        max_bytes=settings.max_upload_bytes,
        max_json_bytes=settings.max_json_body_bytes,
    )
    try:
        await check_idempotency(request, principal, body)
    except BaseException:
        await body.close()
        raise
    return body


@assessment_route("/validating/text/{version}/json", summary="Validate text",
                  **merged(_VALIDATE_TEXT_DOC, answers(ValidateTextSuccess)))
async def validate_text(request: Request, version: str) -> JSONResponse:
    body = await begin(request, version, "pronunciation")
    await body.close()
    params = Params(request.query_params, body.fields)
    log_identifiers(request, params)
    params.require(["text"])
    params.check_identifiers()
    dialect = params.dialect("markup")
    text = params.get("text") or ""
    markup = markup_enabled(params, dialect, text)
    limit = request.app.state.services.settings.max_text_chars
    missing = await run_engine(request, _check_text, params, text, markup, dialect, limit)
    request.scope["state"]["log_fields"]["char_count"] = len(text)
    if missing:
        raise UnknownWordsError(missing)
    return success(request)


def _check_text(params: Params, text: str, markup: bool, dialect: str, limit: int) -> list[str]:
    """Steps 7, 9 and 11 for a script: markup, length, then the words the lexicon lacks."""
    words = script_words(text, markup=markup, dialect=dialect)
    params.check_length("text", limit)
    return unknown_words((w.text for w in words if w.markup is None), english_lexicon())


def log_identifiers(request: Request, params: Params) -> None:
    """Caller-chosen pseudonymous ids are the only request values the log may keep."""
    request.scope["state"]["log_fields"] = {
        "user_id": (params.get("user_id") or "")[:256] or None,
        "question_info": (params.get("question_info") or "")[:256] or None,
    }
