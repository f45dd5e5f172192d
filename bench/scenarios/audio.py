"""Audio intake scenarios."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from bench.registry import scenario
from orato.audio import decode_audio, require_speech

# Three speechocean762 learner clips, read from ../shared beside the repository (its files are never
# copied into the project; see ../shared/README.md).
LEARNER_AUDIO = Path(__file__).resolve().parents[3] / "shared" / "data" / "speechocean762-train" / "audio"
CLIP_IDS = ("000060082", "000360036", "010330035")
RATE = 16_000


def _speech(seconds: float) -> np.ndarray:
    """The learner clips back to back, looped or cut to exactly ``seconds``."""
    clips = [decode_audio(LEARNER_AUDIO / f"{uttid}.flac", max_seconds=60).samples for uttid in CLIP_IDS]
    return np.resize(np.concatenate(clips), int(seconds * RATE)).astype(np.float32)


def _write_mp3(samples: np.ndarray, path: Path, bit_rate: int = 32_000) -> None:
    with av.open(str(path), "w", format="mp3") as out:
        stream = out.add_stream("libmp3lame", rate=RATE, layout="mono")
        stream.codec_context.bit_rate = bit_rate
        ctx = stream.codec_context
        resampler = av.AudioResampler(
            format=ctx.format.name, layout="mono", rate=RATE, frame_size=ctx.frame_size
        )
        frame = av.AudioFrame.from_ndarray(samples[np.newaxis, :], format="flt", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = RATE, 0, Fraction(1, RATE)
        for chunk in resampler.resample(frame) + resampler.resample(None):
            out.mux(stream.encode(chunk))
        out.mux(stream.encode(None))


@scenario("decode-mp3-10s", audio_seconds=10.0)
def decode_mp3_10s(workdir: Path) -> Callable[[], object]:
    """Decode a 10 s, 32 kbit/s mono MP3 of real speech to 16 kHz and run the VAD on it."""
    path = workdir / "speech-10s.mp3"
    _write_mp3(_speech(10.0), path)

    def run() -> object:
        return require_speech(decode_audio(path, max_seconds=15))

    return run
