"""The scenario registry: each benchmark module registers its scenarios with ``@scenario``.

A scenario is a setup function that receives a scratch directory, does everything that must not
be timed (building inputs, loading models) and returns the callable the harness times.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Setup = Callable[[Path], Callable[[], object]]


class Figures(dict[str, float]):
    """Milliseconds a run measured inside itself (e.g. in a child process), reported beside its
    own latency as p50 and p95 per name; the harness cannot time what happens in another process."""


@dataclass(frozen=True)
class Scenario:
    name: str
    setup: Setup
    # Seconds of audio one run processes, for the real-time factor; None for non-audio work.
    audio_seconds: float | None
    description: str


SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str, *, audio_seconds: float | None = None) -> Callable[[Setup], Setup]:
    """Register ``setup`` under ``name``; the first docstring line becomes its description."""

    def register(setup: Setup) -> Setup:
        if name in SCENARIOS:
            raise ValueError(f"benchmark scenario {name!r} is registered twice")
        description = (setup.__doc__ or "").strip().splitlines()[0] if setup.__doc__ else ""
        SCENARIOS[name] = Scenario(name, setup, audio_seconds, description)
        return setup

    return register


def timed(run: Callable[[], object]) -> float:
    """Wall-clock seconds one call of ``run`` takes (for scenarios that time parts of a run)."""
    started = time.perf_counter()
    run()
    return time.perf_counter() - started
