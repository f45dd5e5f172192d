"""The model registry: the one piece of process-wide state in Orato.

Models and lexicons are expensive to load (hundreds of milliseconds to seconds) and
read-only once loaded, so each is loaded once per process, on first use, and shared by every
request and thread. Everything else is passed explicitly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

T = TypeVar("T")


class ModelRegistry:
    def __init__(self) -> None:
        self._models: dict[str, Any] = {}
        # Re-entrant: a loader may itself ask for the models it is built from.
        self._lock = threading.RLock()

    def get(self, name: str, load: Callable[[], T]) -> T:
        """The model called ``name``, loading it with ``load`` the first time it is asked for."""
        try:
            return cast(T, self._models[name])
        except KeyError:
            pass
        with self._lock:  # two threads asking at once must not load twice
            if name not in self._models:
                self._models[name] = load()
            return cast(T, self._models[name])

    def loaded(self) -> list[str]:
        return sorted(self._models)


models = ModelRegistry()
