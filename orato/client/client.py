"""``Client`` and ``AsyncClient``: both API families over httpx, with the contract's retry rules.

The two classes have the same methods; everything but the I/O (which request a method sends, when
to retry, how an answer becomes a result or an error) lives in :mod:`~orato.client.calls`,
:mod:`~orato.client.retry` and :mod:`~orato.client.wire`, shared by both.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import Any, Self

import httpx
from typing_extensions import Unpack

from orato.client import calls
from orato.client.calls import Audio, Call, SpeechOptions, TextOptions, WordOptions
from orato.client.errors import StreamTruncatedError
from orato.client.results import Speech, SpeechWithTimestamps, TextScoreResult, ValidateTextResult, WordScoreResult
from orato.client.retry import Attempt, Retrying, RetryPolicy
from orato.client.wire import json_object

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
# Above the server's own 120 s processing deadline (api-scoring.md 1.8), so its 503 arrives first.
DEFAULT_TIMEOUT = 130.0


def _options(base_url: str, api_key: str, timeout: float) -> dict[str, Any]:
    # The key travels in the header, never in a URL that proxies log (api-scoring.md 1.2).
    return {"base_url": base_url, "timeout": timeout, "headers": {"Authorization": f"Bearer {api_key}"}}


def _request(http: httpx.Client | httpx.AsyncClient, call: Call) -> httpx.Request:
    return http.build_request("POST", call.path, params=call.params, data=call.data, files=call.files,
                              json=call.json, headers=call.headers)


def _speech(response: httpx.Response) -> Speech:
    headers = response.headers
    return Speech(audio=response.content, media_type=headers.get("content-type", ""),
                  request_id=headers.get("x-request-id"), sample_rate=_int(headers.get("x-audio-sample-rate")),
                  duration_ms=_int(headers.get("x-audio-duration-ms")))


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


class Client:
    """A synchronous client. ``with Client(url, key) as orato: orato.score_text(Path("a.wav"), "Hello.")``."""

    def __init__(self, base_url: str = DEFAULT_BASE_URL, api_key: str = "", *, timeout: float = DEFAULT_TIMEOUT,
                 retry: RetryPolicy | None = None) -> None:
        self._http = httpx.Client(**_options(base_url, api_key, timeout))
        self._policy = retry or RetryPolicy()

    def score_text(self, audio: Audio, text: str, **options: Unpack[TextOptions]) -> TextScoreResult:
        """Score text (api-scoring.md 2): ``include_fluency=True`` and the other flags as keywords."""
        return TextScoreResult.model_validate(self._json(calls.assessment(calls.SCORE_TEXT, {"text": text, **options}, audio)))

    def score_word(self, audio: Audio, word: str, **options: Unpack[WordOptions]) -> WordScoreResult:
        """Score word (api-scoring.md 3)."""
        return WordScoreResult.model_validate(self._json(calls.assessment(calls.SCORE_WORD, {"word": word, **options}, audio)))

    def score_phone_list(self, audio: Audio, phone_list: str, **options: Unpack[calls.AssessmentOptions]) -> WordScoreResult:
        """Score phone list (api-scoring.md 4), phones separated by ``|``."""
        fields = {"phone_list": phone_list, **options}
        return WordScoreResult.model_validate(self._json(calls.assessment(calls.SCORE_PHONE_LIST, fields, audio)))

    def validate_text(self, text: str, **options: Unpack[calls.AssessmentOptions]) -> ValidateTextResult:
        """Validate text (api-scoring.md 5); unknown words raise ``UnscorableError`` naming them in ``detail``."""
        return ValidateTextResult.model_validate(self._json(calls.assessment(calls.VALIDATE_TEXT, {"text": text, **options}, None)))

    def speech(self, text: str, **options: Unpack[SpeechOptions]) -> Speech:
        """``/v1/audio/speech`` (api-synthesis.md 3.4): the whole clip."""
        return _speech(self._send(calls.synthesis(calls.SPEECH, text, options)))

    def speech_with_timestamps(self, text: str, **options: Unpack[SpeechOptions]) -> SpeechWithTimestamps:
        """``/v1/audio/speech/with-timestamps`` (api-synthesis.md 3.5)."""
        return SpeechWithTimestamps.from_wire(self._json(calls.synthesis(calls.SPEECH_WITH_TIMESTAMPS, text, options)))

    def stream_speech(self, text: str, **options: Unpack[SpeechOptions]) -> Iterator[bytes]:
        """``/v1/audio/speech/stream`` (api-synthesis.md 3.6) as audio chunks in arrival order.

        The request is sent (and retried) now, before the first chunk; a stream cut later raises
        :class:`StreamTruncatedError` from the iterator and is never retried (errors.md 6.6, 11).
        """
        return _chunks(self._send(calls.synthesis(calls.SPEECH_STREAM, text, options), stream=True))

    def _json(self, call: Call) -> dict[str, Any]:
        return json_object(self._send(call))

    def _send(self, call: Call, stream: bool = False) -> httpx.Response:
        retrying = Retrying(self._policy)
        while (delay := retrying.delay_after(self._attempt(call, stream))) is not None:
            time.sleep(delay)
        return retrying.response

    def _attempt(self, call: Call, stream: bool) -> Attempt:
        try:
            response = self._http.send(_request(self._http, call), stream=stream)
        except httpx.TransportError as failure:
            return Attempt(failure=failure)
        if response.status_code >= 400:
            response.read()
        return Attempt(response=response)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()


class AsyncClient:
    """The asynchronous twin of :class:`Client`: the same methods, awaited; ``stream_speech`` iterates with ``async for``."""

    def __init__(self, base_url: str = DEFAULT_BASE_URL, api_key: str = "", *, timeout: float = DEFAULT_TIMEOUT,
                 retry: RetryPolicy | None = None) -> None:
        self._http = httpx.AsyncClient(**_options(base_url, api_key, timeout))
        self._policy = retry or RetryPolicy()

    async def score_text(self, audio: Audio, text: str, **options: Unpack[TextOptions]) -> TextScoreResult:
        call = calls.assessment(calls.SCORE_TEXT, {"text": text, **options}, audio)
        return TextScoreResult.model_validate(await self._json(call))

    async def score_word(self, audio: Audio, word: str, **options: Unpack[WordOptions]) -> WordScoreResult:
        call = calls.assessment(calls.SCORE_WORD, {"word": word, **options}, audio)
        return WordScoreResult.model_validate(await self._json(call))

    async def score_phone_list(self, audio: Audio, phone_list: str, **options: Unpack[calls.AssessmentOptions]) -> WordScoreResult:
        call = calls.assessment(calls.SCORE_PHONE_LIST, {"phone_list": phone_list, **options}, audio)
        return WordScoreResult.model_validate(await self._json(call))

    async def validate_text(self, text: str, **options: Unpack[calls.AssessmentOptions]) -> ValidateTextResult:
        return ValidateTextResult.model_validate(await self._json(calls.assessment(calls.VALIDATE_TEXT, {"text": text, **options}, None)))

    async def speech(self, text: str, **options: Unpack[SpeechOptions]) -> Speech:
        return _speech(await self._send(calls.synthesis(calls.SPEECH, text, options)))

    async def speech_with_timestamps(self, text: str, **options: Unpack[SpeechOptions]) -> SpeechWithTimestamps:
        return SpeechWithTimestamps.from_wire(await self._json(calls.synthesis(calls.SPEECH_WITH_TIMESTAMPS, text, options)))

    async def stream_speech(self, text: str, **options: Unpack[SpeechOptions]) -> AsyncIterator[bytes]:
        """As :meth:`Client.stream_speech`: sent and retried when awaited, then ``async for chunk in ...``."""
        return _async_chunks(await self._send(calls.synthesis(calls.SPEECH_STREAM, text, options), stream=True))

    async def _json(self, call: Call) -> dict[str, Any]:
        return json_object(await self._send(call))

    async def _send(self, call: Call, stream: bool = False) -> httpx.Response:
        retrying = Retrying(self._policy)
        while (delay := retrying.delay_after(await self._attempt(call, stream))) is not None:
            await asyncio.sleep(delay)
        return retrying.response

    async def _attempt(self, call: Call, stream: bool) -> Attempt:
        try:
            response = await self._http.send(_request(self._http, call), stream=stream)
        except httpx.TransportError as failure:
            return Attempt(failure=failure)
        if response.status_code >= 400:
            await response.aread()
        return Attempt(response=response)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        await self.aclose()


def _chunks(response: httpx.Response) -> Iterator[bytes]:
    try:
        yield from response.iter_bytes()
    except httpx.TransportError as cut:
        raise StreamTruncatedError(f"the audio stream was cut: {type(cut).__name__}") from cut
    finally:
        response.close()


async def _async_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.aiter_bytes():
            yield chunk
    except httpx.TransportError as cut:
        raise StreamTruncatedError(f"the audio stream was cut: {type(cut).__name__}") from cut
    finally:
        await response.aclose()
