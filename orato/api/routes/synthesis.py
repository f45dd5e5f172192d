"""Synthesis endpoints (`/v1/audio/...`): thin wrappers over :mod:`orato.synthesis.service`."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import RootModel
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from orato.api.auth import authenticate
from orato.api.json_body import read_json
from orato.api.openapi import audio_reply, json_body, merged, reply
from orato.api.wire_synthesis import ProviderList, SplitConversation, TimedConversation, TimedSpeech
from orato.errors import OratoError
from orato.store.keys import Principal
from orato.synthesis import audio
from orato.synthesis.conversation import Segment, TurnTimings, join_turns, split_turns, timing_warnings, turn_timings
from orato.synthesis.schemas import ConversationRequest, SpeechRequest, StreamRequest, output_of
from orato.synthesis.service import Synthesis, TurnResult, encode_clip, speech_timestamps
from orato.synthesis.timestamps import Item

router = APIRouter()
_AUDIO = ("audio/wav", "audio/mpeg", "application/octet-stream")
_AUDIO_HEADERS = {
    "X-Audio-Sample-Rate": {"description": "Samples per second.", "schema": {"type": "string"}},
    "X-Audio-Duration-Ms": {"description": "The clip's length.", "schema": {"type": "string"}},
}


class TimedConversationAnswer(RootModel[TimedConversation | SplitConversation]):
    """The joined clip with its timestamps, or (``split: true``) one segment per turn."""


def _synthesis(request: Request) -> Synthesis:
    synthesis: Synthesis = request.app.state.services.synthesis
    return synthesis


def _log(request: Request) -> dict[str, Any]:
    fields: dict[str, Any] = request.scope["state"].setdefault("log_fields", {})
    return fields


async def _begin(request: Request, model: type) -> tuple[Principal, Any]:
    principal = await authenticate(request, "synthesis")
    return principal, await read_json(request, model)


def _audio_headers(encoded: audio.Encoded) -> dict[str, str]:
    return {"X-Audio-Sample-Rate": str(encoded.sample_rate), "X-Audio-Duration-Ms": str(encoded.duration_ms)}


def _log_audio(request: Request, encoded: audio.Encoded, upstream_ms: int) -> None:
    _log(request).update(audio_ms=encoded.duration_ms, audio_bytes=len(encoded.data), upstream_latency_ms=upstream_ms)


async def _speech(request: Request, timed: bool) -> tuple[SpeechRequest, TurnResult, Any, audio.Encoded]:
    principal, body = await _begin(request, SpeechRequest)
    synthesis = _synthesis(request)
    prepared = await run_in_threadpool(synthesis.prepare_speech, principal.organisation_id, body, _log(request))
    want = timed and body.timestamps != "off"
    result = await run_in_threadpool(synthesis.render, prepared.turns[0], prepared.spoken[0], want)
    outcome = await run_in_threadpool(speech_timestamps, synthesis, result, body.timestamps) if timed else None
    encoded = await run_in_threadpool(
        encode_clip, result.rendered.samples, result.rendered.sample_rate, output_of(body.output), body.volumeDbfs
    )
    _log_audio(request, encoded, result.upstream_ms)
    warnings = [*prepared.warnings, *(outcome.warnings if outcome else ()), *encoded.warnings]
    return body, result, (outcome, warnings), encoded


@router.post("/v1/audio/speech", summary="Synthesise speech (audio bytes)", response_class=Response,
             openapi_extra=merged(json_body(SpeechRequest), audio_reply(
                 "The clip, in the output format asked for", *_AUDIO, headers=_AUDIO_HEADERS)))
async def speech(request: Request) -> Response:
    _, _, _, encoded = await _speech(request, timed=False)
    return Response(encoded.data, media_type=encoded.media_type, headers=_audio_headers(encoded))


@router.post("/v1/audio/speech/with-timestamps", summary="Synthesise speech with word timestamps (JSON)",
             openapi_extra=merged(json_body(SpeechRequest), reply(TimedSpeech)))
async def speech_with_timestamps(request: Request) -> JSONResponse:
    _, _, (outcome, warnings), encoded = await _speech(request, timed=True)
    items: list[Item] = outcome.items or []
    return JSONResponse({
        "audio": base64.b64encode(encoded.data).decode(),
        "mediaType": encoded.media_type,
        "warnings": warnings,
        "timestamps": [i.as_json() for i in items],
    })


@router.post("/v1/audio/speech/stream", summary="Stream speech as it is produced", response_class=StreamingResponse,
             openapi_extra=merged(json_body(StreamRequest), audio_reply("Audio in the provider's stream format", *_AUDIO[:2])))
async def speech_stream(request: Request) -> StreamingResponse:
    principal, body = await _begin(request, StreamRequest)
    synthesis = _synthesis(request)
    prepared = await run_in_threadpool(synthesis.prepare_speech, principal.organisation_id, body, _log(request))
    chunks = synthesis.stream(prepared, body.output)
    first = await run_in_threadpool(next, chunks, b"")  # failures up to here are ordinary responses
    media_type = prepared.turns[0].provider.info.stream_media_type
    return StreamingResponse(_recording(request, first, chunks), media_type=media_type)


async def _recording(request: Request, first: bytes, chunks: Iterator[bytes]) -> Any:
    """Passes chunks on; a late failure is logged and ends the body early (3.6)."""
    sent = len(first)
    yield first
    try:
        async for chunk in iterate_in_threadpool(chunks):
            sent += len(chunk)
            yield chunk
    except OratoError as error:
        request.scope["state"]["error"] = error
        raise
    finally:
        _log(request)["audio_bytes"] = sent


# --- conversations ------------------------------------------------------------------------


@router.post("/v1/audio/conversation", summary="Render several turns as one clip or as segments", response_class=Response,
             openapi_extra=merged(json_body(ConversationRequest), audio_reply(
                 "The joined clip; with split: true, the segments as JSON", *_AUDIO, json_model=SplitConversation, headers=_AUDIO_HEADERS)))
async def conversation(request: Request) -> Response:
    return await _conversation(request, timed=False)


@router.post("/v1/audio/conversation/with-timestamps", summary="Conversation with word timestamps (JSON)",
             openapi_extra=merged(json_body(ConversationRequest), reply(TimedConversationAnswer)))
async def conversation_with_timestamps(request: Request) -> Response:
    return await _conversation(request, timed=True)


async def _conversation(request: Request, timed: bool) -> Response:
    principal, body = await _begin(request, ConversationRequest)
    synthesis = _synthesis(request)
    prepared = await run_in_threadpool(synthesis.prepare_conversation, principal.organisation_id, body, _log(request))
    want = timed and body.timestamps != "off"
    results = [await run_in_threadpool(synthesis.render, p, s, want) for p, s in zip(prepared.turns, prepared.spoken, strict=True)]
    timings: list[TurnTimings | None] = [None] * len(results)
    if timed:
        timings = await run_in_threadpool(turn_timings, synthesis, results, body.timestamps)
    warnings = [*prepared.warnings, *(timing_warnings(timings) if timed else [])]
    per_turn = _record_turns(request, principal, results)
    output = output_of(body.output)
    upstream_ms = sum(r.upstream_ms for r in results)
    if body.split:
        segments = await run_in_threadpool(split_turns, results, timings, output, body.volumeDbfs)
        return _split_response(request, segments, timed, warnings, per_turn, upstream_ms)
    joined = await run_in_threadpool(join_turns, results, timings, body.gapMs, output, body.volumeDbfs)
    _log_audio(request, joined.encoded, upstream_ms)
    if not timed:
        return Response(joined.encoded.data, media_type=joined.encoded.media_type, headers=_audio_headers(joined.encoded))
    return JSONResponse({
        "audio": base64.b64encode(joined.encoded.data).decode(), "mediaType": joined.encoded.media_type,
        "warnings": [*warnings, *joined.encoded.warnings], "timestamps": joined.timestamps,
        "providerMetadata": {"perTurn": per_turn},
    })


def _split_response(request: Request, segments: list[Segment], timed: bool, warnings: list[str],
                    per_turn: list[dict[str, Any]], upstream_ms: int) -> Response:
    rendered = []
    for segment in segments:
        encoded = segment.encoded
        item = {"audio": base64.b64encode(encoded.data).decode(), "mediaType": encoded.media_type,
                "durationMs": encoded.duration_ms, "turnIndex": segment.turn_index}
        if timed:
            item["timestamps"] = [i.as_json() for i in segment.timestamps]
        rendered.append(item)
        warnings += [w for w in encoded.warnings if w not in warnings]
    _log(request).update(audio_ms=sum(s.encoded.duration_ms for s in segments),
                         audio_bytes=sum(len(s.encoded.data) for s in segments), upstream_latency_ms=upstream_ms)
    return JSONResponse({"audioSegments": rendered, "warnings": warnings, "providerMetadata": {"perTurn": per_turn}})


def _record_turns(request: Request, principal: Principal, results: list[TurnResult]) -> list[dict[str, Any]]:
    """One child log row per turn (12.2), whose id is the turn's ``requestId``."""
    parent = uuid.UUID(request.scope["state"]["request_id"])
    logs = request.app.state.services.logs
    per_turn = []
    for index, result in enumerate(results):
        child = uuid.uuid4()
        plan = result.plan
        logs.record({
            "request_id": child, "parent_request_id": parent, "turn_index": index,
            "organisation_id": principal.organisation_id, "key_id": principal.key_id,
            "family": "synthesis", "method": "POST", "path": request.url.path, "status": 200,
            "latency_ms": result.upstream_ms, "upstream_latency_ms": result.upstream_ms,
            "provider": plan.provider.info.id, "model": plan.model, "voice_id": plan.voice_id,
            "voice_ref": plan.voice_ref[:256], "char_count": len(plan.caller_text),
            "credits_used": len(result.spoken.spoken), "audio_ms": round(result.rendered.duration * 1000),
        })
        per_turn.append({"provider": plan.provider.info.id, "model": plan.model, "voice": plan.voice_ref, "requestId": str(child)})
    return per_turn


# --- catalogue ----------------------------------------------------------------------------


@router.get("/v1/audio/providers", summary="Providers with this organisation's access", openapi_extra=reply(ProviderList))
async def providers(request: Request) -> dict[str, Any]:
    principal = await authenticate(request, "synthesis")
    services = request.app.state.services
    return {"data": await run_in_threadpool(_catalogue, services, principal.organisation_id)}


def _catalogue(services: Any, organisation_id: uuid.UUID) -> list[dict[str, Any]]:
    entries = []
    for provider in services.providers.values():
        info = provider.info
        access = services.router.access(organisation_id, provider)
        entries.append({
            "id": info.id, "name": info.name, "enabled": access.enabled, "byok": access.byok,
            "managed": access.managed, "local": info.local, "models": [f"{info.id}/{m}" for m in info.models],
            "voices": list(info.voices) if info.voices is not None else None,
            "timestamps": "native" if info.native_timestamps else "aligned", "streaming": True,
        })
    return entries
