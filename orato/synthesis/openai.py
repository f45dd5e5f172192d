"""OpenAI speech (``POST /audio/speech``), with the organisation's or the operator's key.

Buffered requests ask for ``pcm`` (24 kHz, 16-bit, mono), which needs no decoding; streams ask
for MP3, the format the contract announces for this provider. OpenAI gives no word timings, so
``/with-timestamps`` always goes through Orato's aligner.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from orato.synthesis.base import Job, ProviderInfo, Rendered, reserved_option_errors
from orato.upstream import Upstream

SAMPLE_RATE = 24_000
VOICES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse", "marin", "cedar")
RESERVED = {"input", "model", "voice", "response_format", "speed", "instructions"}


class OpenAIProvider:
    info = ProviderInfo(
        id="openai",
        name="OpenAI",
        local=False,
        models=("gpt-4o-mini-tts", "tts-1", "tts-1-hd"),
        voices=VOICES,
        native_timestamps=False,
        speed_range=(0.25, 4.0),
        stream_media_type="audio/mpeg",
        instructions_models=("gpt-4o-mini-tts",),
    )

    def __init__(self, base_url: str, timeout: float) -> None:
        self.upstream = Upstream("openai", base_url, timeout)

    def option_errors(self, options: dict[str, Any]) -> list[tuple[list[str | int], str]]:
        return reserved_option_errors(options, RESERVED)

    def _body(self, job: Job, response_format: str) -> dict[str, Any]:
        body = {**job.options, "model": job.model, "input": job.text, "voice": job.voice}
        body.update(response_format=response_format, speed=job.speed)
        if job.instructions is not None:
            body["instructions"] = job.instructions
        return body

    def _headers(self, job: Job) -> dict[str, str]:
        return {"Authorization": f"Bearer {job.credential}"}

    def render(self, job: Job) -> Rendered:
        response = self.upstream.post("/audio/speech", self._headers(job), self._body(job, "pcm"))
        pcm = response.content[: len(response.content) // 2 * 2]
        samples = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768
        return Rendered(samples, SAMPLE_RATE, None)

    def stream(self, job: Job) -> Iterator[bytes]:
        return self.upstream.stream("/audio/speech", self._headers(job), self._body(job, "mp3"))
