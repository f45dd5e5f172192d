"""orato.client against a real server (uvicorn in a subprocess): typed results of both families,
the retry rules of errors.md 11 with a fake upstream answering 429 then 200, a killed connection,
a truncated stream, and the exception hierarchy."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from cutting_proxy import CuttingProxy
from fake_upstream import FakeUpstream, Reply, json_reply
from servers import server_env, start_dev_server

from orato.client import (
    AsyncClient,
    AuthenticationError,
    Client,
    ModerationBlockedError,
    RateLimitedError,
    RetryPolicy,
    StreamTruncatedError,
    UnscorableError,
)

pytestmark = pytest.mark.slow

ESPEAK = {"model": "espeak-ng/default", "voice": "en-us"}
OPENAI = {"model": "openai/tts-1", "voice": "alloy"}
OPENAI_SPEECH = "/openai/v1/audio/speech"
QUICK = RetryPolicy(base_seconds=0.05)
SENTENCE = "Hello world, how are you today?"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, upstream: FakeUpstream) -> Iterator[dict]:
    data_dir = tmp_path_factory.mktemp("client-server")
    env = server_env(data_dir, openai_base_url=upstream.url + "/openai/v1", upstream_timeout_seconds="1")
    running, key = start_dev_server(env, data_dir / "server.log")
    try:
        headers = {"Authorization": f"Bearer {key}"}
        assert httpx.put(f"{running.base}/v1/api-keys/openai", headers=headers, json={"keyValue": "sk-x-1234"}).status_code == 200
        yield {"base": running.base, "key": key, "port": running.port, "headers": headers}
    finally:
        running.stop()


@pytest.fixture(scope="module")
def orato(server: dict) -> Iterator[Client]:
    with Client(server["base"], server["key"], retry=QUICK) as client:
        yield client


@pytest.fixture(scope="module")
def hello_wav(orato: Client) -> bytes:
    return orato.speech(SENTENCE, **ESPEAK).audio


@pytest.fixture
def proxy(server: dict) -> Iterator[CuttingProxy]:
    running = CuttingProxy(server["port"]).start()
    yield running
    running.stop()


def test_importing_the_client_loads_none_of_the_servers_packages() -> None:
    heavy = ("numpy", "faster_whisper", "onnxruntime", "fastapi", "sqlalchemy", "orato.api", "orato.scoring", "orato.acoustic")
    probe = f"import sys, orato.client; print([m for m in sys.modules if m.startswith({heavy!r})])"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"


def test_score_text_returns_typed_words_phones_fluency_and_intonation(orato: Client, hello_wav: bytes) -> None:
    result = orato.score_text(hello_wav, SENTENCE, include_fluency=True, include_intonation=True)
    score = result.text_score
    assert [w.word for w in score.word_score_list] == ["Hello", "world", "how", "are", "you", "today"]
    assert len(result.request_id) == 32 and result.version == "9.17"
    hello = score.word_score_list[0]
    assert [p.phone for p in hello.phone_score_list] == ["hh", "ah", "l", "ow"]
    assert all(0 <= p.quality_score <= 100 and p.extent[0] < p.extent[1] for p in hello.phone_score_list)
    assert all(s.intonation is not None for s in hello.syllable_score_list)
    assert score.fluency is not None and score.fluency.overall_metrics.word_count == 6
    assert isinstance(score.speechace_score["pronunciation"], int) and "fluency" in score.speechace_score
    assert score.word_intonation_list is not None and score.word_intonation_list[0].word == "Hello"


def test_score_word_and_phone_list_return_word_scores(orato: Client, server: dict) -> None:
    audio = orato.speech("ship", **ESPEAK).audio
    word = orato.score_word(audio, "ship").word_score
    assert word.word == "ship" and word.quality_class in ("pass", "fail") and len(word.syllable_score_list) == 1
    phones = orato.score_phone_list(audio, "sh|ih1|p").word_score
    assert [p.phone for p in phones.phone_score_list] == ["sh", "ih", "p"] and phones.quality_class is None


def test_unknown_words_raise_an_unscorable_error_with_code_status_and_request_id(orato: Client) -> None:
    assert orato.validate_text("hello world").status == "success"
    with pytest.raises(UnscorableError) as raised:
        orato.validate_text("hello wrld")
    error = raised.value
    assert (error.status, error.code, error.detail) == (402, "error_unknown_words", "wrld")
    assert error.request_id is not None and len(error.request_id) == 32


def test_a_bad_key_raises_an_authentication_error_in_both_families(server: dict) -> None:
    with Client(server["base"], "not-a-key") as stranger:
        with pytest.raises(AuthenticationError) as assessment:
            stranger.validate_text("hello")
        with pytest.raises(AuthenticationError) as synthesis:
            stranger.speech("hello", **ESPEAK)
    assert assessment.value.code == "error_unauthorized" and synthesis.value.code == "unauthorized"
    assert synthesis.value.request_id is not None and "-" in synthesis.value.request_id  # the /v1 UUID form


def test_speech_with_timestamps_is_typed_and_decoded(orato: Client) -> None:
    spoken = orato.speech_with_timestamps("Hello world", **ESPEAK)
    assert spoken.audio[:4] == b"RIFF" and spoken.mediaType == "audio/wav"
    assert [t.text for t in spoken.timestamps] == ["Hello", "world"]
    assert 0 <= spoken.timestamps[0].start < spoken.timestamps[0].end <= spoken.timestamps[1].start


def test_stream_speech_yields_the_audio_as_chunks(orato: Client) -> None:
    chunks = list(orato.stream_speech("Hello world, this is a stream.", **ESPEAK))
    assert chunks and b"".join(chunks)[:4] == b"RIFF"


def test_an_upstream_429_then_200_is_retried_after_retry_after(orato: Client, upstream: FakeUpstream) -> None:
    audio = Reply(body=b"\0\0" * 24000)
    upstream.replies[OPENAI_SPEECH] = [json_reply({"error": {"code": "rate_limit_exceeded"}}, 429, headers={"Retry-After": "1"}), audio]
    before, started = len(upstream.calls(OPENAI_SPEECH)), time.monotonic()
    speech = orato.speech("hi", **OPENAI)
    assert time.monotonic() - started >= 1.0, "Retry-After was not honoured"
    assert len(upstream.calls(OPENAI_SPEECH)) - before == 2
    assert speech.media_type == "audio/wav" and speech.duration_ms == 1000


def test_a_429_that_outlasts_the_retries_raises_rate_limited(server: dict, upstream: FakeUpstream) -> None:
    upstream.replies[OPENAI_SPEECH] = json_reply({"error": {"code": "rate_limit_exceeded"}}, 429, headers={"Retry-After": "1"})
    before = len(upstream.calls(OPENAI_SPEECH))
    with Client(server["base"], server["key"], retry=RetryPolicy(max_retries=1, base_seconds=0.05)) as impatient:
        with pytest.raises(RateLimitedError) as raised:
            impatient.speech("hi", **OPENAI)
    assert (raised.value.code, raised.value.retry_after, raised.value.body["provider"]) == ("rate_limited", 1.0, "openai")
    assert len(upstream.calls(OPENAI_SPEECH)) - before == 2


def test_a_retry_after_beyond_the_cap_is_raised_without_waiting(orato: Client, upstream: FakeUpstream) -> None:
    upstream.replies[OPENAI_SPEECH] = json_reply({"error": {"code": "rate_limit_exceeded"}}, 429, headers={"Retry-After": "3600"})
    before, started = len(upstream.calls(OPENAI_SPEECH)), time.monotonic()
    with pytest.raises(RateLimitedError) as raised:
        orato.speech("hi", **OPENAI)
    assert raised.value.retry_after == 3600 and time.monotonic() - started < 5
    assert len(upstream.calls(OPENAI_SPEECH)) - before == 1


def test_a_killed_connection_is_retried_with_the_same_idempotency_key_and_replayed(
    server: dict, proxy: CuttingProxy, hello_wav: bytes
) -> None:
    proxy.kills_left = 1
    with Client(proxy.url, server["key"], retry=QUICK) as client:
        result = client.score_text(hello_wav, SENTENCE)
    assert [e.killed for e in proxy.exchanges] == [True, False]
    first, second = proxy.header_values("Idempotency-Key")
    assert first == second
    assert "idempotent-replayed: true" in proxy.exchanges[1].response_head.lower()  # scored once, not twice
    assert result.text_score.word_score_list[0].word == "Hello"


def test_other_4xx_and_moderation_blocks_are_never_retried(server: dict, proxy: CuttingProxy) -> None:
    blocked = httpx.post(f"{server['base']}/v1/moderation/rulesets", headers=server["headers"],
                         json={"name": "client-test", "is_default": False, "config": {"evaluators": {"blocklist": {"terms": ["darn"]}}}})
    assert blocked.status_code == 201, blocked.text
    with Client(proxy.url, server["key"], retry=QUICK) as client:
        with pytest.raises(UnscorableError):
            client.validate_text("hello wrld")
        with pytest.raises(ModerationBlockedError) as raised:
            client.speech("oh darn", moderation_ruleset_id=blocked.json()["id"], **ESPEAK)
    assert raised.value.reason["type"] == "blocklist" and raised.value.code == "content_moderation_blocked"
    assert len(proxy.exchanges) == 2


def test_a_stream_cut_after_its_first_byte_raises_stream_truncated(orato: Client, upstream: FakeUpstream) -> None:
    upstream.replies[OPENAI_SPEECH] = Reply(chunks=[b"ID3" + b"a" * 500], stall=2.0, content_type="audio/mpeg")
    received = b""
    with pytest.raises(StreamTruncatedError):
        for chunk in orato.stream_speech("hi", **OPENAI):
            received += chunk
    assert received == b"ID3" + b"a" * 500


@pytest.mark.anyio
async def test_the_async_client_scores_synthesises_and_streams(server: dict, hello_wav: bytes) -> None:
    async with AsyncClient(server["base"], server["key"], retry=QUICK) as client:
        scored = await client.score_text(hello_wav, SENTENCE)
        spoken = await client.speech_with_timestamps("Hello world", **ESPEAK)
        chunks = [chunk async for chunk in await client.stream_speech("Hello world", **ESPEAK)]
        with pytest.raises(UnscorableError):
            await client.validate_text("hello wrld")
    assert scored.text_score.word_score_list[-1].word == "today"
    assert [t.text for t in spoken.timestamps] == ["Hello", "world"]
    assert b"".join(chunks)[:4] == b"RIFF"
