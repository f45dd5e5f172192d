"""Pitch and loudness of an utterance on the aligner's 10 ms frame grid (Praat via parselmouth).

Stress, intonation and the prosody score all compare pitch and intensity between syllables,
so the track is computed once per request and indexed with the same frame numbers as the
phone extents: frame ``i`` covers ``[i * 10 ms, (i + 1) * 10 ms)`` of the submitted audio.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import parselmouth

SAMPLE_RATE = 16_000
FRAME_SECONDS = 0.01
# Praat's defaults for speech (75-600 Hz) cover children and high voices; an adult male at
# 75 Hz is at the floor, where Praat's autocorrelation still tracks him.
PITCH_FLOOR_HZ = 75.0
PITCH_CEILING_HZ = 600.0
# Below this many samples Praat cannot fit one analysis window at the pitch floor.
MIN_SAMPLES = int(3 / PITCH_FLOOR_HZ * SAMPLE_RATE) + 1


@dataclass(frozen=True)
class ProsodyTrack:
    f0: np.ndarray  # [frames] Hz, NaN where the frame is unvoiced
    intensity: np.ndarray  # [frames] dB SPL as Praat measures it, NaN outside the analysis

    @property
    def n_frames(self) -> int:
        return len(self.f0)

    def span(self, start: float, end: float) -> tuple[np.ndarray, np.ndarray]:
        """f0 and intensity of frames ``[start, end)`` (extents may carry a half frame)."""
        first, last = max(int(start), 0), min(int(np.ceil(end)), self.n_frames)
        return self.f0[first:last], self.intensity[first:last]


def prosody_track(samples: np.ndarray) -> ProsodyTrack:
    """Pitch (autocorrelation) and intensity of 16 kHz mono ``samples``, one value per 10 ms."""
    n_frames = int(np.ceil(len(samples) / (SAMPLE_RATE * FRAME_SECONDS)))
    centres = (np.arange(n_frames) + 0.5) * FRAME_SECONDS
    if len(samples) < MIN_SAMPLES:
        empty = np.full(n_frames, np.nan)
        return ProsodyTrack(empty, empty.copy())
    sound = parselmouth.Sound(samples.astype(np.float64), sampling_frequency=SAMPLE_RATE)
    pitch = sound.to_pitch_ac(
        time_step=FRAME_SECONDS, pitch_floor=PITCH_FLOOR_HZ, pitch_ceiling=PITCH_CEILING_HZ
    )
    f0 = _sample(pitch.xs(), pitch.selected_array["frequency"], centres)
    f0[f0 <= 0] = np.nan  # Praat writes 0 for unvoiced frames
    intensity = sound.to_intensity(minimum_pitch=PITCH_FLOOR_HZ, time_step=FRAME_SECONDS)
    return ProsodyTrack(f0, _sample(intensity.xs(), intensity.values[0], centres))


def _sample(times: np.ndarray, values: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Praat's frames (their own time grid) read at our frame centres, nearest neighbour;
    frames outside Praat's analysis range are NaN."""
    out = np.full(len(centres), np.nan)
    if len(times) == 0:
        return out
    step = times[1] - times[0] if len(times) > 1 else FRAME_SECONDS
    index = np.rint((centres - times[0]) / step).astype(int)
    inside = (index >= 0) & (index < len(times))
    out[inside] = values[index[inside]]
    return out
