"""Post-processing of rendered audio: loudness, stitching, and encoding (api-synthesis.md 4).

Everything works on mono float32 in [-1, 1). The only resampling is for conversations, whose
turns may come at different native rates (decision 15).
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np

from orato.synthesis.wav import int16_bytes

MP3_BITRATES = (32, 48, 64, 96, 128, 160, 192, 256, 320)
DEFAULT_MP3_BITRATE = 96
LOW_RATE_MP3_CAP = 160
PEAK_LIMIT_DBFS = -1.0
MEDIA_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg", "pcm": "application/octet-stream"}


@dataclass(frozen=True)
class Encoded:
    data: bytes
    media_type: str
    sample_rate: int
    duration_ms: int
    warnings: tuple[str, ...] = ()


def rms_dbfs(samples: np.ndarray) -> float:
    """20·log10(RMS) on the [-1, 1) scale, where a full-scale sine reads -3.01 (decision 14)."""
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0
    return 20 * np.log10(rms) if rms > 0 else float("-inf")


def normalise(samples: np.ndarray, target_dbfs: float) -> np.ndarray:
    """One constant gain to the target RMS, then peaks held at -1 dBFS by a hard limiter."""
    current = rms_dbfs(samples)
    if not np.isfinite(current):
        return samples
    gained = samples * np.float32(10 ** ((target_dbfs - current) / 20))
    ceiling = np.float32(10 ** (PEAK_LIMIT_DBFS / 20))
    return np.clip(gained, -ceiling, ceiling).astype(np.float32)


def resample(samples: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    if source_rate == target_rate or not len(samples):
        return samples
    resampler = av.AudioResampler(format="flt", layout="mono", rate=target_rate)
    frame = av.AudioFrame.from_ndarray(samples[np.newaxis, :].astype(np.float32), format="flt", layout="mono")
    frame.sample_rate, frame.pts, frame.time_base = source_rate, 0, Fraction(1, source_rate)
    out = [f.to_ndarray()[0] for f in resampler.resample(frame) + resampler.resample(None)]
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)


def decode(data: bytes) -> tuple[np.ndarray, int]:
    """A remote provider's audio (MP3, WAV, ...) as mono float32 at its own rate."""
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        parts = [
            out.to_ndarray()[0]
            for frame in container.decode(stream)
            for out in resampler.resample(frame)
        ]
        parts += [out.to_ndarray()[0] for out in resampler.resample(None)]
    samples = np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)
    return samples, rate


def encode(samples: np.ndarray, sample_rate: int, fmt: str, bitrate: int | None = None) -> Encoded:
    duration_ms = round(len(samples) * 1000 / sample_rate)
    warnings: tuple[str, ...] = ()
    if fmt == "wav":
        data = wav_bytes(samples, sample_rate)
    elif fmt == "pcm":
        data = int16_bytes(samples)
    else:
        kbps = bitrate or DEFAULT_MP3_BITRATE
        if sample_rate < 32_000 and kbps > LOW_RATE_MP3_CAP:
            kbps = LOW_RATE_MP3_CAP
            warnings = (f"mp3_bitrate_lowered: the mp3 bitrate was lowered to {kbps} kbps for {sample_rate} Hz audio",)
        data = mp3_bytes(samples, sample_rate, kbps)
    return Encoded(data, MEDIA_TYPES[fmt], sample_rate, duration_ms, warnings)


def wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    pcm = int16_bytes(samples)
    header = (
        b"RIFF"
        + struct.pack("<I", 36 + len(pcm))
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, sample_rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", len(pcm))
    )
    return header + pcm


def mp3_bytes(samples: np.ndarray, sample_rate: int, kbps: int) -> bytes:
    """Constant-bitrate mono MP3 through PyAV's libmp3lame."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp3") as out:
        stream = out.add_stream("libmp3lame", rate=sample_rate, layout="mono")
        stream.codec_context.bit_rate = kbps * 1000
        context = stream.codec_context
        resampler = av.AudioResampler(
            format=context.format.name, layout="mono", rate=sample_rate, frame_size=context.frame_size
        )
        frame = av.AudioFrame.from_ndarray(samples[np.newaxis, :].astype(np.float32), format="flt", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = sample_rate, 0, Fraction(1, sample_rate)
        for chunk in resampler.resample(frame) + resampler.resample(None):
            out.mux(stream.encode(chunk))
        out.mux(stream.encode(None))
    return buffer.getvalue()


def silence(seconds: float, sample_rate: int) -> np.ndarray:
    return np.zeros(int(round(seconds * sample_rate)), np.float32)
