"""The model registry: the one piece of process-wide state in Orato.

Models and lexicons are expensive to load (hundreds of milliseconds to seconds) and
read-only once loaded, so each is loaded once per process, on first use, and shared by every
request and thread. The worker pools that run beside a request (hama's one worker, the
moderation evaluators) are process-wide too and live here for the same reason. Everything
else is passed explicitly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

from orato.native_memory import share_one_heap
from orato.native_threads import one_blas_thread

T = TypeVar("T")


class ModelRegistry:
    def __init__(self) -> None:
        self._models: dict[str, Any] = {}
        self._executors: dict[str, ThreadPoolExecutor] = {}
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

    def executor(self, name: str, workers: int) -> ThreadPoolExecutor:
        """The process's worker pool called ``name``, started the first time it is asked for."""
        with self._lock:
            pool = self._executors.get(name)
            if pool is None:
                pool = self._executors[name] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
            return pool


models = ModelRegistry()
# The models' threads (and the requests') allocate from one heap (orato.native_memory), and
# numpy's products run on the calling thread alone (orato.native_threads).
share_one_heap()
one_blas_thread()
