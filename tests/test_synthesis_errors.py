"""Every error code of the synthesis family, with status and body shape (errors.md 6-8),
the remote adapters against a fake upstream, and routing (api-synthesis.md 2.3-2.5)."""

from __future__ import annotations

import base64
import json
from types import UnionType
from typing import Union, get_args, get_origin

import numpy as np
import pytest
from conftest import issue_key
from fake_upstream import FakeUpstream, Reply, json_reply
from fastapi import FastAPI
from starlette.testclient import TestClient
from test_api_errors import assert_problem

from orato.synthesis.audio import decode, mp3_bytes
from orato.synthesis.schemas import (
    ConversationRequest,
    InlineRule,
    Output,
    Pronunciations,
    SpeechRequest,
    StreamOutput,
    StreamRequest,
    Turn,
)
from orato.synthesis.wav import int16_bytes

ESPEAK = {"model": "espeak-ng/default", "voice": "en-us"}
OPENAI = {"model": "openai/gpt-4o-mini-tts", "voice": "alloy"}
ELEVEN = {"model": "elevenlabs/eleven_multilingual_v2", "voice": "21m00Tcm4TlvDq8ikWAM"}
SPEECH = "/v1/audio/speech"
OPENAI_SPEECH = "/openai/v1/audio/speech"
ELEVEN_TTS = "/elevenlabs/v1/text-to-speech/"


def tone(seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def use_byok(synth: TestClient, provider: str = "openai", secret: str = "sk-test-secret-9Qz") -> None:
    assert synth.put(f"/v1/api-keys/{provider}", json={"keyValue": secret}).status_code == 200


def assert_validation(response, path: list) -> dict:
    body = assert_problem(response, 400, "invalid_input")
    assert body["validation"][0]["path"] == path, body
    assert body["detail"].startswith(".".join(map(str, path)))
    return body


# --- invalid_input: schema, addressing, models, capabilities ---------------------------------


@pytest.mark.parametrize("payload,path", [
    ({"text": "hi", **ESPEAK, "extra": 1}, ["extra"]),
    ({"text": "", **ESPEAK}, ["text"]),
    ({"text": "   ", **ESPEAK}, ["text"]),
    ({"text": "x" * 4097, **ESPEAK}, ["text"]),
    ({"text": "hi", **ESPEAK, "speed": "fast"}, ["speed"]),
    ({"text": "hi", **ESPEAK, "volumeDbfs": 3}, ["volumeDbfs"]),
    ({"text": "hi", **ESPEAK, "output": {"format": "wav", "bitrate": 96}}, ["output", "bitrate"]),
    ({"text": "hi", **ESPEAK, "output": {"format": "mp3", "bitrate": 100}}, ["output", "bitrate"]),
    ({"text": "hi", **ESPEAK, "timestamps": "maybe"}, ["timestamps"]),
    ({"text": "hi", **ESPEAK, "moderation_ruleset_id": "nope"}, ["moderation_ruleset_id"]),
    ({"text": "hi", "voice": "en-us"}, ["model"]),
    ({"text": "hi", "model": "espeak-ng/default"}, []),
    ({"text": "hi", "voiceId": "6b1f0c9e-2a43-4e8b-9d51-7c2e8f3a1b60", "model": "espeak-ng/default"}, ["model"]),
    ({"text": "hi", **ESPEAK, "mode": "voice"}, ["mode"]),
    ({"text": "hi", **ESPEAK, "mode": "speech"}, ["mode"]),
    ({"text": "hi", "model": "espeak-ng", "voice": "en-us"}, ["model"]),
    ({"text": "hi", "model": "nobody/default", "voice": "en-us"}, ["model"]),
    ({"text": "hi", "model": "espeak-ng/default", "voice": "fr-ca"}, ["voice"]),
    ({"text": "hi", **ESPEAK, "speed": 3.0}, ["speed"]),
    ({"text": "hi", **ESPEAK, "instructions": "Warmly."}, ["instructions"]),
    ({"text": "hi", **ESPEAK, "providerOptions": {"rate": 300}}, ["providerOptions", "rate"]),
    ({"text": "hi", **ESPEAK, "providerOptions": {"pitch": 120}}, ["providerOptions", "pitch"]),
    ({"text": "hi", **OPENAI, "providerOptions": {"voice": "x"}}, ["providerOptions", "voice"]),
    ({"text": "hi", **ELEVEN, "providerOptions": {"voice_settings": {"speed": 1}}}, ["providerOptions", "voice_settings", "speed"]),
    ({"text": "hi", **ESPEAK, "pronunciations": {"rules": [{"word": "", "replacement": "x"}]}}, ["pronunciations", "rules", 0, "word"]),
])
def test_invalid_input_names_the_path(synth: TestClient, payload: dict, path: list) -> None:
    assert_validation(synth.post(SPEECH, json=payload), path)


def test_body_that_is_not_json_or_too_large(synth: TestClient) -> None:
    assert_validation(synth.post(SPEECH, content=b"{nope", headers={"content-type": "application/json"}), [])
    assert_validation(synth.post(SPEECH, content=b"[]", headers={"content-type": "application/json"}), [])
    big = json.dumps({"text": "a", "providerOptions": {"x": "y" * 1_100_000}, **ESPEAK})
    assert_validation(synth.post(SPEECH, content=big, headers={"content-type": "application/json"}), [])


def test_stream_rejects_whole_clip_members(synth: TestClient) -> None:
    assert_validation(synth.post(f"{SPEECH}/stream", json={"text": "hi", **ESPEAK, "output": "mp3"}), ["output"])
    assert_validation(synth.post(f"{SPEECH}/stream", json={"text": "hi", **ESPEAK, "volumeDbfs": -20}), ["volumeDbfs"])


def test_stream_output_may_only_name_the_providers_own_format(synth: TestClient, upstream: FakeUpstream) -> None:
    stream = f"{SPEECH}/stream"
    body = assert_validation(synth.post(stream, json={"text": "hi", **ESPEAK, "output": {"format": "mp3"}}), ["output", "format"])
    assert body["detail"] == "output.format: must be wav: this provider streams wav"
    assert_validation(synth.post(stream, json={"text": "hi", **ESPEAK, "output": {"format": "pcm"}}), ["output", "format"])
    assert_validation(synth.post(stream, json={"text": "hi", **ESPEAK, "output": {"sampleRate": 96000}}), ["output", "sampleRate"])
    use_byok(synth)
    assert_validation(synth.post(stream, json={"text": "hi", **OPENAI, "output": {"format": "wav"}}), ["output", "format"])
    assert not upstream.calls(OPENAI_SPEECH), "refused before the provider was called"


WRONG_OUTPUTS = [
    ({"format": "ogg"}, ["output", "format"], "input should be 'wav', 'mp3' or 'pcm'"),
    ({"format": "wav", "sampleRate": 7999}, ["output", "sampleRate"], "input should be greater than or equal to 8000"),
    ({"format": "pcm", "sampleRate": 48001}, ["output", "sampleRate"], "input should be less than or equal to 48000"),
    ({"format": "wav", "sampleRate": 22050.5}, ["output", "sampleRate"], "input should be a valid integer"),
    ({"format": "wav", "sampleRate": "22050"}, ["output", "sampleRate"], "input should be a valid integer"),
    ({"format": "mp3", "sampleRate": 10000}, ["output", "sampleRate"],
     "must be one of 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000 with mp3"),
    ({"format": "wav", "sampleRate": 16000, "channels": 2}, ["output", "channels"], "extra inputs are not permitted"),
    ({"format": "pcm", "bitrate": 96}, ["output", "bitrate"], "is only allowed with mp3"),
    ({"sampleRate": 16000}, ["output", "format"], "field required"),
    ("ogg", ["output"], "input should be 'wav', 'mp3' or 'pcm'"),
]


@pytest.mark.parametrize("path", [SPEECH, f"{SPEECH}/with-timestamps", "/v1/audio/conversation"])
def test_a_wrong_output_member_is_named_not_the_first_arm_of_the_union(synth: TestClient, path: str) -> None:
    """output is "wav" | {...}: the detail is the complaint of the arm the value was meant for."""
    for output, member, message in WRONG_OUTPUTS:
        payload = {"turns": [{"text": "hi", **ESPEAK}]} if "conversation" in path else {"text": "hi", **ESPEAK}
        body = assert_validation(synth.post(path, json={**payload, "output": output}), member)
        assert body["detail"] == f"{'.'.join(member)}: {message}"
        assert len(body["validation"]) == 1, body["validation"]


def test_every_union_of_the_synthesis_schemas_is_covered_by_the_test_above() -> None:
    """A new union member needs its own cases in WRONG_OUTPUTS' style."""
    models = [SpeechRequest, StreamRequest, ConversationRequest, Turn, Output, StreamOutput, Pronunciations, InlineRule]
    unions = {
        (model.__name__, name)
        for model in models
        for name, field in model.model_fields.items()
        if get_origin(field.annotation) in (Union, UnionType)
        and len([arm for arm in get_args(field.annotation) if arm is not type(None)]) > 1
    }
    assert unions == {("SpeechRequest", "output"), ("ConversationRequest", "output")}


def test_text_too_long_after_substitution(synth: TestClient) -> None:
    payload = {"text": "ab " * 1365, **ESPEAK, "pronunciations": {"rules": [{"word": "ab", "replacement": "abcdef"}]}}
    assert_validation(synth.post(SPEECH, json=payload), ["text"])


@pytest.mark.parametrize("payload,path", [
    ({"turns": []}, ["turns"]),
    ({"turns": [{"text": "a", **ESPEAK}] * 51}, ["turns"]),
    ({"mode": "inline", "turns": [{"text": "a", **ESPEAK}]}, ["mode"]),
    ({"model": "espeak-ng/default", "turns": [{"text": "a", **ESPEAK}]}, ["turns", 0, "model"]),
    ({"turns": [{"text": "a", **ESPEAK}, {"text": "b", "voice": "en-us"}]}, ["turns", 1, "model"]),
    ({"turns": [{"text": "a", **ESPEAK}, {"text": "", **ESPEAK}]}, ["turns", 1, "text"]),
    ({"turns": [{"text": "a", **ESPEAK}, {"text": "b", **ESPEAK, "speed": 3}]}, ["turns", 1, "speed"]),
    ({"turns": [{"text": "a" * 4000, **ESPEAK}] * 6}, ["turns"]),
    ({"turns": [{"text": "a", **ESPEAK}], "gapMs": 6000}, ["gapMs"]),
])
def test_conversation_invalid_input(synth: TestClient, payload: dict, path: list) -> None:
    assert_validation(synth.post("/v1/audio/conversation", json=payload), path)


# --- auth, not_found ---------------------------------------------------------------------


def test_unauthorized_and_forbidden(synth: TestClient, synth_app: FastAPI) -> None:
    response = synth.post(SPEECH, json={"text": "hi", **ESPEAK}, headers={"Authorization": "Bearer orato_nope"})
    assert_problem(response, 401, "unauthorized")
    assert response.headers["x-speechbase-request-id"] == response.headers["x-request-id"]
    from orato.store.models import ApiKey

    with synth_app.state.services.db.session() as session:
        session.query(ApiKey).update({ApiKey.synthesis_enabled: False})
    assert_problem(synth.post(SPEECH, json={"text": "hi", **ESPEAK}), 403, "forbidden")


def test_unknown_saved_voice_and_dictionary_are_not_found(synth: TestClient) -> None:
    missing = "6b1f0c9e-2a43-4e8b-9d51-7c2e8f3a1b60"
    assert_problem(synth.post(SPEECH, json={"text": "hi", "voiceId": missing}), 404, "not_found")
    payload = {"text": "hi", **ESPEAK, "pronunciations": {"dictionaryIds": [missing]}}
    assert_problem(synth.post(SPEECH, json=payload), 404, "not_found")


# --- routing: provider_disabled, no_api_key, BYOK, managed ----------------------------------


def test_provider_disabled_comes_before_everything_else(synth: TestClient, synth_app: FastAPI, upstream: FakeUpstream) -> None:
    services = synth_app.state.services
    org = services.keys.authenticate(synth.headers["Authorization"].split()[1]).organisation_id
    services.router.states.set(org, "espeak-ng", enabled=False)
    body = assert_problem(synth.post(SPEECH, json={"text": "hi", **ESPEAK}), 403, "provider_disabled")
    assert body["provider"] == "espeak-ng"
    providers = {p["id"]: p for p in synth.get("/v1/audio/providers").json()["data"]}
    assert providers["espeak-ng"]["enabled"] is False and providers["piper"]["enabled"] is True


def test_no_api_key_without_byok_or_managed(synth: TestClient, upstream: FakeUpstream) -> None:
    body = assert_problem(synth.post(SPEECH, json={"text": "hi", **OPENAI}), 403, "no_api_key")
    assert body["provider"] == "openai"
    assert upstream.seen == []


def test_managed_key_is_used_when_allowed(synth_settings, upstream: FakeUpstream) -> None:
    from orato.api.app import create_app

    synth_settings.managed_keys = {"openai": "sk-managed-1234"}
    app = create_app(synth_settings)
    upstream.replies[OPENAI_SPEECH] = Reply(body=int16_bytes(tone(1.0, 24000)))
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {issue_key(app, 'acme')}"
        providers = {p["id"]: p for p in client.get("/v1/audio/providers").json()["data"]}
        assert providers["openai"]["managed"] is True and providers["openai"]["byok"] is False
        response = client.post(SPEECH, json={"text": "hi", **OPENAI})
        assert response.status_code == 200 and response.headers["x-audio-sample-rate"] == "24000"
        assert upstream.seen[-1].headers["Authorization"] == "Bearer sk-managed-1234"
        use_byok(client)
        client.post(SPEECH, json={"text": "hi", **OPENAI})
        assert upstream.seen[-1].headers["Authorization"] == "Bearer sk-test-secret-9Qz"  # BYOK wins


def test_openai_request_shape_and_audio(synth: TestClient, upstream: FakeUpstream) -> None:
    use_byok(synth)
    upstream.replies[OPENAI_SPEECH] = Reply(body=int16_bytes(tone(1.5, 24000)))
    response = synth.post(SPEECH, json={"text": "Welcome back!", **OPENAI, "instructions": "Warm.", "speed": 1.25,
                                        "providerOptions": {"seed": 3}})
    assert response.status_code == 200
    assert response.headers["x-audio-duration-ms"] == "1500"
    sent = upstream.calls(OPENAI_SPEECH)[-1].body
    assert sent == {"model": "gpt-4o-mini-tts", "input": "Welcome back!", "voice": "alloy", "response_format": "pcm",
                    "speed": 1.25, "instructions": "Warm.", "seed": 3}


def test_elevenlabs_native_character_timings(synth: TestClient, upstream: FakeUpstream) -> None:
    use_byok(synth, "elevenlabs", "el-secret-abcd")
    text = "Hello there"
    audio = mp3_bytes(tone(1.2, 44100), 44100, 128)
    starts = [i * 0.1 for i in range(len(text))]
    upstream.replies[ELEVEN_TTS] = json_reply({"audio_base64": base64.b64encode(audio).decode(), "alignment": {
        "characters": list(text), "character_start_times_seconds": starts,
        "character_end_times_seconds": [s + 0.1 for s in starts]}})
    response = synth.post(f"{SPEECH}/with-timestamps", json={"text": text, **ELEVEN})
    assert response.status_code == 200, response.text
    items = response.json()["timestamps"]
    assert [i["text"] for i in items] == ["Hello", "there"]
    assert items[0]["start"] < 0.1 and items[1]["start"] >= 0.5
    seen = upstream.calls(ELEVEN_TTS)[-1]
    assert seen.path.endswith("/with-timestamps?output_format=mp3_44100_128")
    assert seen.headers["xi-api-key"] == "el-secret-abcd"
    assert seen.body["voice_settings"] == {"speed": 1.0}


@pytest.mark.parametrize("status,code,problem", [
    (400, "invalid_voice", "invalid_input"),
    (422, None, "invalid_input"),
    (401, "invalid_api_key", "forbidden"),
    (403, None, "forbidden"),
    (500, "server_error", "provider_unavailable"),
    (503, None, "provider_unavailable"),
])
def test_upstream_status_is_translated(synth: TestClient, upstream: FakeUpstream, status: int, code, problem: str) -> None:
    use_byok(synth)
    document = {"error": {"code": code, "message": "echo: Secret user text"}} if code else {"detail": "Secret user text"}
    upstream.replies[OPENAI_SPEECH] = json_reply(document, status)
    response = synth.post(SPEECH, json={"text": "Secret user text", **OPENAI})
    body = assert_problem(response, {"invalid_input": 400, "forbidden": 403}.get(problem, 503), problem)
    assert body["provider"] == "openai" and body["upstream_status"] == status
    assert body.get("upstream_code") == code
    assert "Secret" not in response.text


def test_upstream_rate_limit_forwards_retry_after(synth: TestClient, upstream: FakeUpstream) -> None:
    use_byok(synth)
    upstream.replies[OPENAI_SPEECH] = json_reply({"error": {"code": "rate_limit_exceeded"}}, 429, headers={"Retry-After": "7"})
    response = synth.post(SPEECH, json={"text": "hi", **OPENAI})
    body = assert_problem(response, 429, "rate_limited")
    assert response.headers["retry-after"] == "7" and body["provider"] == "openai"


def test_upstream_timeout_and_connection_failure(synth: TestClient, synth_settings, upstream: FakeUpstream) -> None:
    use_byok(synth)
    upstream.replies[OPENAI_SPEECH] = Reply(body=b"late", delay=1.5)
    body = assert_problem(synth.post(SPEECH, json={"text": "hi", **OPENAI}), 503, "provider_unavailable")
    assert body["provider"] == "openai" and "upstream_status" not in body

    from orato.api.app import create_app

    synth_settings.openai_base_url = "http://127.0.0.1:9"  # discard port: nothing listens
    app = create_app(synth_settings)
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {issue_key(app, 'other')}"
        use_byok(client)
        assert_problem(client.post(SPEECH, json={"text": "hi", **OPENAI}), 503, "provider_unavailable")


def test_stream_passes_provider_chunks_and_truncates_on_a_late_failure(synth: TestClient, upstream: FakeUpstream) -> None:
    use_byok(synth)
    upstream.replies[OPENAI_SPEECH] = Reply(chunks=[b"ID3" + b"a" * 100, b"b" * 100], content_type="audio/mpeg")
    response = synth.post(f"{SPEECH}/stream", json={"text": "hi", **OPENAI})
    assert response.status_code == 200 and response.headers["content-type"] == "audio/mpeg"
    assert response.content == b"ID3" + b"a" * 100 + b"b" * 100
    assert upstream.calls(OPENAI_SPEECH)[-1].body["response_format"] == "mp3"

    upstream.replies[OPENAI_SPEECH] = Reply(chunks=[b"ID3" + b"a" * 100], stall=1.5, content_type="audio/mpeg")
    with pytest.raises(RuntimeError):  # the test client surfaces the cut-off response body as a RuntimeError
        with synth.stream("POST", f"{SPEECH}/stream", json={"text": "hi", **OPENAI}) as streamed:
            assert streamed.status_code == 200
            b"".join(streamed.iter_bytes())
    rows = synth.get("/v1/logs", params={"provider": "openai"}).json()["data"]
    assert rows[0]["error_code"] == "provider_unavailable" and rows[0]["status"] == 200

    upstream.replies[OPENAI_SPEECH] = json_reply({"error": {"code": "server_error"}}, 502)
    assert_problem(synth.post(f"{SPEECH}/stream", json={"text": "hi", **OPENAI}), 503, "provider_unavailable")


def test_conversation_failure_names_the_turn(synth: TestClient, upstream: FakeUpstream) -> None:
    use_byok(synth)
    upstream.replies[OPENAI_SPEECH] = json_reply({"error": {"code": "server_error"}}, 500)
    turns = [{"text": "one", **ESPEAK}, {"text": "two", **OPENAI}]
    body = assert_problem(synth.post("/v1/audio/conversation", json={"turns": turns}), 503, "provider_unavailable")
    assert body["turn_index"] == 1
    turns = [{"text": "one", **ESPEAK}, {"text": "two", **ELEVEN}]
    body = assert_problem(synth.post("/v1/audio/conversation", json={"turns": turns}), 403, "no_api_key")
    assert body["turn_index"] == 1


# --- timestamps_unavailable ------------------------------------------------------------------


@pytest.mark.slow
def test_timestamps_unavailable_returns_no_audio(synth: TestClient, upstream: FakeUpstream) -> None:
    use_byok(synth)
    upstream.replies[OPENAI_SPEECH] = Reply(body=int16_bytes(np.zeros(24000, np.float32)))  # silence: nothing to align
    response = synth.post(f"{SPEECH}/with-timestamps", json={"text": "Hello world", **OPENAI})
    body = assert_problem(response, 503, "timestamps_unavailable")
    assert "audio" not in body
    conversation = synth.post("/v1/audio/conversation/with-timestamps", json={"turns": [{"text": "Hello world", **OPENAI}]})
    assert conversation.status_code == 200
    assert conversation.json()["timestamps"] == []
    assert conversation.json()["warnings"][0].startswith("timestamps_missing:")


def test_a_remote_mp3_stream_is_re_encoded_at_the_asked_rate(synth: TestClient, upstream: FakeUpstream) -> None:
    use_byok(synth)
    source = mp3_bytes(tone(1.5, 24000), 24000, 64)
    upstream.replies[OPENAI_SPEECH] = Reply(chunks=[source[i:i + 800] for i in range(0, len(source), 800)], content_type="audio/mpeg")
    request = {"text": "hi", **OPENAI, "output": {"sampleRate": 16000}}
    with synth.stream("POST", f"{SPEECH}/stream", json=request) as response:
        assert response.status_code == 200 and response.headers["content-type"] == "audio/mpeg"
        data = b"".join(response.iter_bytes())
    decoded, rate = decode(data)
    assert rate == 16000 and abs(len(decoded) / rate - 1.5) < 0.25  # two MP3 encoders' padding
    assert upstream.calls(OPENAI_SPEECH)[-1].body["response_format"] == "mp3"
