"""Voice activity detection with the Silero VAD model that faster-whisper ships.

Scoring silence or noise produces confident nonsense, so the API answers ``error_no_speech``
instead (api-scoring.md 1.8). The segments are also the cheapest evidence of where the learner
actually spoke.
"""

from __future__ import annotations

from dataclasses import dataclass

from faster_whisper.vad import SileroVADModel, VadOptions, get_speech_timestamps, get_vad_model

from orato.audio.decode import TARGET_SAMPLE_RATE, DecodedAudio
from orato.errors import NoSpeechError
from orato.registry import models

# Silero's own recommended threshold; tighter padding and silence gaps than faster-whisper's
# transcription defaults (400 ms / 2 s), because the segments describe speech, not ASR chunks.
VAD_OPTIONS = VadOptions(
    threshold=0.5,
    min_speech_duration_ms=90,
    min_silence_duration_ms=250,
    speech_pad_ms=30,
)
# Less voiced audio than this is a cough or a click, not an answer worth scoring.
MIN_SPEECH_SECONDS = 0.15


@dataclass(frozen=True)
class SpeechSegment:
    start_seconds: float
    end_seconds: float

    @property
    def duration_seconds(self) -> float:
        return self.end_seconds - self.start_seconds


def load_vad_model() -> SileroVADModel:
    """The ONNX model, loaded once per process; call at startup to keep it off the first request.

    ``get_speech_timestamps`` fetches the same instance through faster-whisper's own cache.
    """
    return models.get("vad:silero", get_vad_model)


def detect_speech(audio: DecodedAudio) -> list[SpeechSegment]:
    """Where the audio holds speech, in seconds from its start."""
    if audio.sample_rate != TARGET_SAMPLE_RATE:
        raise ValueError(f"VAD needs {TARGET_SAMPLE_RATE} Hz audio, got {audio.sample_rate} Hz")
    load_vad_model()
    chunks = get_speech_timestamps(audio.samples, VAD_OPTIONS, sampling_rate=TARGET_SAMPLE_RATE)
    return [
        SpeechSegment(c["start"] / TARGET_SAMPLE_RATE, c["end"] / TARGET_SAMPLE_RATE)
        for c in chunks
    ]


def require_speech(audio: DecodedAudio) -> list[SpeechSegment]:
    """The speech segments, or :class:`NoSpeechError` when there is nothing worth scoring."""
    segments = detect_speech(audio)
    if sum(s.duration_seconds for s in segments) < MIN_SPEECH_SECONDS:
        raise NoSpeechError()
    return segments
