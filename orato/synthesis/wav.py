"""Streamed WAV: a header whose sizes are 0, because the length is unknown when it is sent (3.6)."""

from __future__ import annotations

import struct

import numpy as np


def streaming_wav_header(sample_rate: int) -> bytes:
    return (
        b"RIFF"
        + struct.pack("<I", 0)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, sample_rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", 0)
    )


def int16_bytes(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0 - 1 / 32768) * 32768).astype("<i2").tobytes()
