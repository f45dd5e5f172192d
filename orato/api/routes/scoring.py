"""Scripted pronunciation endpoints: score text, score word, score phone list (api-scoring.md 2-4).

Each route is the order of checks (1.11) and nothing else: the work is done by
:mod:`orato.scoring.service`, in a worker thread, so the event loop keeps serving.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from orato.api.audio import receive_audio
from orato.api.forms import RequestBody
from orato.api.openapi import form_choice, merged
from orato.api.routes.assessment import answers, begin, log_identifiers, success
from orato.api.wire_assessment import Envelope, SpeechScoreSuccess, TextScoreSuccess, WordScoreSuccess
from orato.api.work import run_engine
from orato.audio import DecodedAudio
from orato.dialect_support import dialects
from orato.params import Params
from orato.scoring.engines import Engine, engine_for
from orato.scoring.render import phone_list_json, text_json, word_score_json
from orato.scoring.scripted import score_phone_list, score_text, score_word
from orato.scoring.service import prepare_phone_list, prepare_text, prepare_word
from orato.scoring.speech import MAX_RELEVANCE_CHARS, prepare_speech, score_speech_with_models, speech_json
from orato.settings import Settings
from orato.store.keys import Principal

router = APIRouter()

FLAG_SCHEMA = form_choice(["0", "1", "true", "false"], default="0")
PRONUNCIATION_MODE = form_choice(["default", "strict"], default="default")
_MARKUP = form_choice(["arpa_mark"])
_QUERY = [
    {"name": "dialect", "in": "query", "schema": form_choice(dialects(), default="en-us")},
    {"name": "user_id", "in": "query", "schema": {"type": "string", "maxLength": 256}},
    {"name": "key", "in": "query", "schema": {"type": "string"}},
]


def _multipart(text_param: str | None, answer: type[Envelope], **options: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI description of an audio endpoint's form (for /docs and schema-driven tests)."""
    properties = {
        **({text_param: {"type": "string"}} if text_param else {}),
        "user_audio_file": {"type": "string", "format": "binary"},
        "question_info": {"type": "string", "maxLength": 256},
        **options,
    }
    required = [text_param, "user_audio_file"] if text_param else ["user_audio_file"]
    schema = {"type": "object", "required": required, "properties": properties}
    body = {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    return merged({"parameters": _QUERY, "requestBody": body}, answers(answer))


async def _scored(
    request: Request,
    version: str,
    prepare: Callable[[Params, Principal], Any],
    score: Callable[[Any, DecodedAudio, Engine], Any],
    render: Callable[[Any], dict[str, Any]],
    max_seconds: Callable[[Any], float],
    text_param: str,
    feature: str = "pronunciation",
    dialect: Callable[[Any], str] = lambda prepared: prepared.dialect,
) -> JSONResponse:
    """Parse (steps 1-10), score on an engine worker (11-14) with the dialect's engine, render
    the typed result."""
    body: RequestBody = await begin(request, version, feature)
    try:
        principal: Principal = request.scope["state"]["principal"]
        params = Params(request.query_params, body.fields)
        log_identifiers(request, params)
        prepared = prepare(params, principal)
        request.scope["state"]["log_fields"]["char_count"] = len(params.get(text_param) or "")
        audio = await receive_audio(request, body, principal, endpoint_max_seconds=max_seconds(prepared))
    finally:
        await body.close()
    settings = request.app.state.services.settings
    result = await run_engine(request, _score_with_engine, score, prepared, audio, settings, dialect(prepared))
    return success(request, render(result))


def _score_with_engine(
    score: Callable[[Any, DecodedAudio, Engine], Any], prepared: Any, audio: DecodedAudio, settings: Settings,
    dialect: str,
) -> Any:
    """On an engine worker, so a first (unpreloaded) model load never blocks the event loop."""
    return score(prepared, audio, engine_for(settings, dialect))


@router.post("/api/scoring/text/{version}/json", summary="Score text", openapi_extra=_multipart(
    "text", TextScoreSuccess, no_mc=FLAG_SCHEMA, include_unknown_words=FLAG_SCHEMA, include_fluency=FLAG_SCHEMA,
    include_intonation=FLAG_SCHEMA, detect_dialect=FLAG_SCHEMA, enforce_dialect=FLAG_SCHEMA,
    include_interference_metrics=FLAG_SCHEMA, markup_language=_MARKUP,
))  # fmt: skip
@router.post("/scoring/text/{version}/json", include_in_schema=False)
async def text(request: Request, version: str) -> JSONResponse:
    max_chars = request.app.state.services.settings.max_text_chars
    return await _scored(
        request, version, lambda params, key: prepare_text(params, key.features, max_chars),
        score_text, text_json, lambda prepared: prepared.max_seconds, "text",
    )  # fmt: skip


@router.post("/api/scoring/word/{version}/json", summary="Score word", openapi_extra=_multipart(
    "word", WordScoreSuccess, include_unknown_words=FLAG_SCHEMA, include_interference_metrics=FLAG_SCHEMA, markup_language=_MARKUP,
))  # fmt: skip
@router.post("/scoring/word/{version}/json", include_in_schema=False)
async def word(request: Request, version: str) -> JSONResponse:
    return await _scored(
        request, version, lambda params, key: prepare_word(params, key.features),
        score_word, word_score_json, lambda prepared: prepared.max_seconds, "word",
    )  # fmt: skip


@router.post("/api/scoring/phone_list/{version}/json", summary="Score phone list",
             openapi_extra=_multipart("phone_list", WordScoreSuccess))  # fmt: skip
@router.post("/scoring/phone_list/{version}/json", include_in_schema=False)
async def phone_list(request: Request, version: str) -> JSONResponse:
    return await _scored(
        request, version, lambda params, key: prepare_phone_list(params),
        score_phone_list, phone_list_json, lambda prepared: float("inf"), "phone_list",
        dialect=lambda phone_list: phone_list.pronunciation.dialect,
    )  # fmt: skip


@router.post("/api/scoring/speech/{version}/json", summary="Score speech", openapi_extra=_multipart(
    None, SpeechScoreSuccess, include_ielts_feedback=FLAG_SCHEMA, detect_dialect=FLAG_SCHEMA, enforce_dialect=FLAG_SCHEMA,
    relevance_context={"type": "string", "maxLength": MAX_RELEVANCE_CHARS},
    pronunciation_score_mode=PRONUNCIATION_MODE,
))  # fmt: skip
@router.post("/scoring/speech/{version}/json", include_in_schema=False)
async def speech(request: Request, version: str) -> JSONResponse:
    """Score speech (api-scoring.md 6): the ``speech`` feature, no script, the plan's audio limits."""
    settings = request.app.state.services.settings
    return await _scored(
        request, version, lambda params, key: prepare_speech(params),
        lambda prepared, audio, engine: score_speech_with_models(prepared, audio, engine, settings),
        speech_json, lambda prepared: float("inf"), "relevance_context", feature="speech",
    )  # fmt: skip
