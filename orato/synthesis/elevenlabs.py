"""ElevenLabs text-to-speech (``/v1/text-to-speech/{voice_id}``), MP3 at 44.1 kHz / 128 kbps.

Timed requests use the ``/with-timestamps`` variant, whose character alignment of the text we
sent is grouped into the spoken words; its ``normalized_alignment`` is ignored because it no
longer matches the text character for character.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from orato.synthesis.audio import decode
from orato.synthesis.base import Job, ProviderInfo, Rendered, WordTimes, reserved_option_errors
from orato.synthesis.text import spoken_words
from orato.upstream import Upstream

OUTPUT_FORMAT = "mp3_44100_128"
RESERVED = {"text", "model_id", "output_format"}


class ElevenLabsProvider:
    info = ProviderInfo(
        id="elevenlabs",
        name="ElevenLabs",
        local=False,
        models=("eleven_multilingual_v2", "eleven_v3", "eleven_flash_v2_5", "eleven_turbo_v2_5"),
        voices=None,
        native_timestamps=True,
        speed_range=(0.7, 1.2),
        stream_media_type="audio/mpeg",
        audio_tag_models=("eleven_v3",),
    )

    def __init__(self, base_url: str, timeout: float) -> None:
        self.upstream = Upstream("elevenlabs", base_url, timeout)

    def option_errors(self, options: dict[str, Any]) -> list[tuple[list[str | int], str]]:
        errors = reserved_option_errors(options, RESERVED)
        settings = options.get("voice_settings")
        if isinstance(settings, dict) and "speed" in settings:
            errors.append((["voice_settings", "speed"], "is reserved: Orato sets it"))
        return errors

    def _body(self, job: Job) -> dict[str, Any]:
        settings = {**(job.options.get("voice_settings") or {}), "speed": job.speed}
        return {**job.options, "text": job.text, "model_id": job.model, "voice_settings": settings}

    def _headers(self, job: Job) -> dict[str, str]:
        return {"xi-api-key": job.credential or ""}

    def _path(self, job: Job, suffix: str = "") -> str:
        return f"/v1/text-to-speech/{job.voice}{suffix}"

    def render(self, job: Job) -> Rendered:
        params = {"output_format": OUTPUT_FORMAT}
        if not job.want_timings:
            response = self.upstream.post(self._path(job), self._headers(job), self._body(job), params)
            samples, rate = decode(response.content)
            return Rendered(samples, rate, None)
        response = self.upstream.post(self._path(job, "/with-timestamps"), self._headers(job), self._body(job), params)
        document = response.json()
        samples, rate = decode(base64.b64decode(document["audio_base64"]))
        tags = job.model in self.info.audio_tag_models
        return Rendered(samples, rate, word_times_from_characters(job.text, document.get("alignment"), tags))

    def stream(self, job: Job) -> Iterator[bytes]:
        params = {"output_format": OUTPUT_FORMAT}
        return self.upstream.stream(self._path(job, "/stream"), self._headers(job), self._body(job), params)


def word_times_from_characters(text: str, alignment: Any, audio_tags: bool = False) -> WordTimes | None:
    """Each spoken word spans its first character's start to its last character's end."""
    try:
        characters = alignment["characters"]
        starts = alignment["character_start_times_seconds"]
        ends = alignment["character_end_times_seconds"]
    except (KeyError, TypeError):
        return None
    if "".join(characters) != text or not len(characters) == len(starts) == len(ends):
        return None
    return [(float(starts[w.start]), float(ends[w.end - 1])) for w in spoken_words(text, audio_tags)]
