"""The model registry: one load per name, shared across threads, loaders may nest."""

from __future__ import annotations

import threading

from orato.registry import ModelRegistry


def test_loads_once_and_shares() -> None:
    registry = ModelRegistry()
    calls: list[int] = []

    def load() -> object:
        calls.append(1)
        return object()

    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(registry.get("m", load))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len({id(r) for r in results}) == 1


def test_a_loader_may_load_its_parts_through_the_registry() -> None:
    registry = ModelRegistry()
    engine = registry.get("engine", lambda: ("engine", registry.get("part", lambda: "part")))
    assert engine == ("engine", "part") and registry.loaded() == ["engine", "part"]
