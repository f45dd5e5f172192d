"""A conversation's rendered turns made into one clip, or into segments (api-synthesis.md 3.7, 3.8).

Steps 3-6 of 3.7 are the core's work, not the route's: every turn is resampled to the highest
rate among them and joined with ``gapMs`` of silence, then brought to ``output.sampleRate``
when one is asked (README, "Output sample rate"), normalised and encoded; with ``split`` each
turn is normalised and encoded on its own. Word timestamps follow the audio: shifted onto the
joined clip, or kept per segment. The route only renders what comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from orato.synthesis import audio
from orato.synthesis.schemas import Output
from orato.synthesis.service import Synthesis, TurnResult, encode_clip
from orato.synthesis.timestamps import Item


@dataclass(frozen=True)
class TurnTimings:
    """One turn's word timings, from the start of the turn, and what was said about them (6.4)."""

    items: list[Item]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Joined:
    encoded: audio.Encoded
    # Wire items measured from the start of the joined clip, gaps included, each with turnIndex.
    timestamps: list[dict[str, Any]]


@dataclass(frozen=True)
class Segment:
    turn_index: int
    encoded: audio.Encoded
    timestamps: list[Item]  # from the start of this segment


def turn_timings(synthesis: Synthesis, results: list[TurnResult], mode: str) -> list[TurnTimings | None]:
    """Each turn's timings; None for a turn without valid ones (a conversation never fails for it)."""
    timings: list[TurnTimings | None] = []
    for result in results:
        outcome = synthesis.timestamps(result, mode)
        timings.append(None if outcome.items is None else TurnTimings(outcome.items, outcome.warnings))
    return timings


def timing_warnings(timings: list[TurnTimings | None]) -> list[str]:
    """``timestamps_missing`` per turn without timings (3.8), then each turn's own warnings."""
    missing = [f"timestamps_missing: turn {i} has no valid word timings" for i, t in enumerate(timings) if t is None]
    return missing + [w for t in timings if t for w in t.warnings]


def join_turns(
    results: list[TurnResult], timings: list[TurnTimings | None], gap_ms: int, output: Output, volume: float | None
) -> Joined:
    """Steps 3-6 of 3.7: one clip at the highest turn rate, turns in order with gaps between."""
    clips, rate = _common_rate(results)
    gap = audio.silence(gap_ms / 1000, rate)
    pieces: list[np.ndarray] = []
    items: list[dict[str, Any]] = []
    offset = 0
    for index, clip in enumerate(clips):
        if index:
            pieces.append(gap)
            offset += len(gap)
        timing = timings[index]
        if timing:
            items += _shifted(timing.items, offset / rate, index)
        pieces.append(clip)
        offset += len(clip)
    return Joined(encode_clip(np.concatenate(pieces), rate, output, volume), items)


def split_turns(
    results: list[TurnResult], timings: list[TurnTimings | None], output: Output, volume: float | None
) -> list[Segment]:
    """``split``: each turn at the common rate, normalised and encoded on its own; gapMs ignored."""
    clips, rate = _common_rate(results)
    return [
        Segment(index, encode_clip(clip, rate, output, volume), timing.items if timing else [])
        for index, (clip, timing) in enumerate(zip(clips, timings, strict=True))
    ]


def _common_rate(results: list[TurnResult]) -> tuple[list[np.ndarray], int]:
    """Step 3: every turn resampled to the highest sample rate among them."""
    rate = max(r.rendered.sample_rate for r in results)
    return [audio.resample(r.rendered.samples, r.rendered.sample_rate, rate) for r in results], rate


def _shifted(items: list[Item], seconds: float, turn: int) -> list[dict[str, Any]]:
    return [{"text": i.text, "start": round(i.start + seconds, 3), "end": round(i.end + seconds, 3), "turnIndex": turn}
            for i in items]  # fmt: skip
