"""Step 10 of the order of checks (api-scoring.md 1.11): the uploaded recording.

Every scoring endpoint calls :func:`receive_audio`; voice activity (step 12) is checked by the
endpoint after the lexicon (step 11) with :func:`orato.audio.require_speech`.
"""

from __future__ import annotations

import math

from starlette.requests import Request

from orato.api.forms import AUDIO_PART, RequestBody
from orato.api.work import run_engine
from orato.audio import DecodedAudio, decode_audio
from orato.errors import AudioMissingError, FileTooLargeError
from orato.store.keys import Principal


async def receive_audio(
    request: Request,
    body: RequestBody,
    principal: Principal,
    *,
    endpoint_max_seconds: float = math.inf,
) -> DecodedAudio:
    """The decoded upload, within the key's file-size and duration limits."""
    upload = body.files.get(AUDIO_PART)
    if upload is None:
        raise AudioMissingError()
    size = upload.size or 0
    if size > principal.max_file_bytes:
        raise FileTooLargeError(
            f"The file is {size:,} bytes; this key allows at most {principal.max_file_bytes:,} bytes."
        )
    max_seconds = min(endpoint_max_seconds, principal.max_audio_seconds)
    await upload.seek(0)
    audio: DecodedAudio = await run_engine(request, _decode, upload.file, max_seconds)
    request.scope["state"].setdefault("log_fields", {}).update(
        audio_ms=int(audio.duration_seconds * 1000), audio_bytes=size
    )
    return audio


def _decode(file: object, max_seconds: float) -> DecodedAudio:
    return decode_audio(file, max_seconds=max_seconds)  # type: ignore[arg-type]
