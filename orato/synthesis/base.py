"""What every synthesis provider offers, local engine or remote adapter.

A provider turns spoken text into mono float32 samples at its native rate and, when it can, the
start and end of each spoken word (the tokens of :func:`orato.synthesis.text.spoken_words`).
Everything else (substitution, moderation, loudness, encoding, fallback alignment) is done once,
outside the providers, so that all of them behave the same on the wire.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

WordTimes = list[tuple[float, float]]


@dataclass(frozen=True)
class ProviderInfo:
    id: str
    name: str
    local: bool
    models: tuple[str, ...]
    voices: tuple[str, ...] | None
    native_timestamps: bool
    speed_range: tuple[float, float]
    stream_media_type: str
    instructions_models: tuple[str, ...] = ()
    audio_tag_models: tuple[str, ...] = ()


@dataclass(frozen=True)
class Job:
    """One provider call: everything has been validated, substituted and moderated already."""

    model: str
    voice: str
    text: str
    speed: float = 1.0
    instructions: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    credential: str | None = None
    want_timings: bool = False


@dataclass
class Rendered:
    samples: np.ndarray
    sample_rate: int
    # Per spoken word, seconds from the start; None when the provider gave no timings.
    word_times: WordTimes | None = None

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


class Provider(Protocol):
    info: ProviderInfo

    def option_errors(self, options: dict[str, Any]) -> list[tuple[list[str | int], str]]:
        """Problems with ``providerOptions``, as (path below providerOptions, message)."""
        ...

    def render(self, job: Job) -> Rendered: ...

    def stream(self, job: Job) -> Iterator[bytes]:
        """Audio bytes in ``info.stream_media_type`` as they are produced."""
        ...


class LocalProvider:
    """An engine inside the server: model ``default``, native timings, streamed WAV (2.2)."""

    info: ProviderInfo
    options: dict[str, tuple[float, float]]

    def option_errors(self, options: dict[str, Any]) -> list[tuple[list[str | int], str]]:
        return numeric_option_errors(options, self.options)


def local_info(provider_id: str, name: str, voices: tuple[str, ...]) -> ProviderInfo:
    return ProviderInfo(
        id=provider_id, name=name, local=True, models=("default",), voices=voices, native_timestamps=True,
        speed_range=(0.5, 2.0), stream_media_type="audio/wav",
    )


def share_span(lengths: list[int], start: float, end: float) -> WordTimes:
    """Splits one stretch among several words in proportion to their lengths (at least 1 each)."""
    weights = [max(1, n) for n in lengths]
    total, position, spans = sum(weights), start, []
    for weight in weights:
        later = position + (end - start) * weight / total
        spans.append((position, later))
        position = later
    return spans


def numeric_option_errors(
    options: dict[str, Any], allowed: dict[str, tuple[float, float]]
) -> list[tuple[list[str | int], str]]:
    """Local engines accept only their listed numeric options, each within its range (2.2)."""
    errors: list[tuple[list[str | int], str]] = []
    for name, value in options.items():
        if name not in allowed:
            errors.append(([name], "is not an accepted option for this provider"))
        elif isinstance(value, bool) or not isinstance(value, int | float):
            errors.append(([name], "must be a number"))
        elif not allowed[name][0] <= value <= allowed[name][1]:
            low, high = allowed[name]
            errors.append(([name], f"must be between {low:g} and {high:g}"))
    return errors


def reserved_option_errors(options: dict[str, Any], reserved: set[str]) -> list[tuple[list[str | int], str]]:
    """Remote providers' options that Orato itself sets: the caller may not override them."""
    return [([name], "is reserved: Orato sets it") for name in options if name in reserved]
