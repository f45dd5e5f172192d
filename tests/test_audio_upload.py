"""Audio intake through the API: multipart upload, plan limits and the assessment errors.

The scoring endpoints arrive with the pronunciation engine; this test mounts the same intake
steps (checks 1-3, 10 and 12 of api-scoring.md 1.11) on a probe route.
"""

from __future__ import annotations

import io
import time
import wave

import numpy as np
import pytest
from conftest import issue_key
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from learner_speech import learner_clip
from starlette.concurrency import run_in_threadpool
from starlette.testclient import TestClient
from test_api_errors import assert_assessment_error

from orato.api.audio import receive_audio
from orato.api.routes.assessment import begin, success
from orato.audio import decode_audio, require_speech

PROBE = "/api/scoring/probe/v9/json"
CLIP = learner_clip("010330035")


@pytest.fixture
def probe(app: FastAPI) -> TestClient:
    @app.post(PROBE)
    async def intake(request: Request) -> JSONResponse:
        body = await begin(request, "v9", "pronunciation")
        try:
            audio = await receive_audio(request, body, request.scope["state"]["principal"])
        finally:
            await body.close()
        segments = await run_in_threadpool(require_speech, audio)
        return success(request, {"seconds": audio.duration_seconds, "segments": len(segments)})

    with TestClient(app) as client:
        yield client


def wav(samples: np.ndarray, rate: int = 16_000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def upload(client: TestClient, key: str, data: bytes | None, name: str = "a.wav"):
    files = {"user_audio_file": (name, data, "audio/wav")} if data is not None else {"text": (None, "x")}
    return client.post(PROBE, params={"key": key}, files=files)


def test_real_speech_is_received(probe: TestClient, key: str) -> None:
    response = upload(probe, key, CLIP, name="recording.mp3")  # the name is not trusted
    assert response.status_code == 200
    assert abs(response.json()["seconds"] - 3.21) < 0.05
    assert response.json()["segments"] >= 1


def test_missing_audio(probe: TestClient, key: str) -> None:
    assert_assessment_error(upload(probe, key, None), 400, "error_audio_missing", "user_audio_file")


@pytest.mark.parametrize(
    "data",
    [b"", b"RIFF\x24\x00\x00\x00WAVE", bytes(np.random.default_rng(1).integers(0, 256, 50_000, dtype=np.uint8)),
     b"just some text, not audio\n" * 100],
    ids=["empty", "header-only", "random-bytes", "text-file"],
)
def test_undecodable_audio(probe: TestClient, key: str, data: bytes) -> None:
    assert_assessment_error(upload(probe, key, data), 400, "error_convert_audio")


def test_file_size_follows_the_plan(probe: TestClient, app: FastAPI) -> None:
    basic = issue_key(app, "small", "basic")
    big = wav(np.zeros(16_000 * 60))  # 1.92 MB: over basic's 1.9 MB, under premium's 3.8 MB
    body = assert_assessment_error(upload(probe, basic, big), 400, "error_file_too_large")
    assert "1,900,000" in body["detail_message"]


def test_duration_follows_the_plan(probe: TestClient, app: FastAPI) -> None:
    basic = issue_key(app, "short", "basic")
    long_speech = wav(np.tile(clip_samples(), 6))  # ~19 s
    body = assert_assessment_error(upload(probe, basic, long_speech), 400, "error_audio_too_long")
    assert "15" in body["detail_message"]


def clip_samples() -> np.ndarray:
    return decode_audio(io.BytesIO(CLIP), max_seconds=15).samples


@pytest.mark.parametrize("kind", ["silence", "noise"])
def test_no_speech(probe: TestClient, key: str, kind: str) -> None:
    rng = np.random.default_rng(7)
    samples = np.zeros(16_000 * 3) if kind == "silence" else rng.normal(0, 0.1, 16_000 * 3)
    assert_assessment_error(upload(probe, key, wav(samples)), 402, "error_no_speech")


def test_upload_log_row_records_sizes_not_audio(probe: TestClient, app: FastAPI, key: str) -> None:
    from orato.store.models import RequestLog

    upload(probe, key, CLIP)
    with app.state.services.db.session() as session:
        row = session.query(RequestLog).one()
        assert row.audio_bytes == len(CLIP) and 3100 < row.audio_ms < 3300


def test_hostile_audio_is_judged_by_content_in_bounded_time(probe: TestClient, key: str) -> None:
    from test_audio_intake import flac_bomb, pcm16, wav_bytes

    claims_hours = wav_bytes(pcm16(clip_samples()), data_size=0xFFFF_FF00)
    started = time.process_time()
    response = upload(probe, key, claims_hours)
    assert response.status_code == 200 and abs(response.json()["seconds"] - 3.21) < 0.05
    assert_assessment_error(upload(probe, key, flac_bomb(), name="bomb.flac"), 400, "error_audio_too_long")
    assert time.process_time() - started < 10
