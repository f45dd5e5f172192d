"""The bounded queue in front of model work (decoding, scoring, synthesis engines).

Requests beyond ``engine_workers`` running jobs and ``engine_queue_size`` waiting ones are
refused at once with ``503 error_engine_unavailable`` and a Retry-After, instead of piling up
behind a busy engine until every client times out. A job that is not finished by its request's
processing deadline (api-scoring.md 1.8) also answers 503: its thread cannot be killed, so it
is abandoned, its worker slot goes back to the pool and it is counted until it returns. When
as many threads are abandoned as there are workers the engine is stuck, and new work is refused
until they come back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from orato.errors import DEADLINE_MISSED, EngineUnavailableError

logger = logging.getLogger("orato.workers")
T = TypeVar("T")

QUEUE_FULL_RETRY_AFTER = 1


class EngineQueue:
    def __init__(self, workers: int, queue_size: int) -> None:
        self.workers = workers
        self.queue_size = queue_size
        self._limiter: anyio.CapacityLimiter | None = None  # created inside the event loop
        self._admitted = 0  # running + waiting
        self._abandoned = 0
        self._lock = threading.Lock()

    @property
    def admitted(self) -> int:
        return self._admitted

    @property
    def abandoned(self) -> int:
        return self._abandoned

    async def run(self, deadline: float, function: Callable[..., T], *args: object) -> T:
        """``function(*args)`` on a worker thread, finished before ``deadline`` (monotonic)."""
        self._admit()
        job = _Job(self, function)
        try:
            with anyio.fail_after(max(deadline - time.monotonic(), 0)):
                return await anyio.to_thread.run_sync(
                    job, *args, abandon_on_cancel=True, limiter=self._capacity()
                )
        except TimeoutError:
            job.abandon()
            logger.error("engine job missed the processing deadline; abandoned=%d", self._abandoned)
            raise EngineUnavailableError(DEADLINE_MISSED) from None
        finally:
            self._admitted -= 1

    def _admit(self) -> None:
        if self._abandoned >= self.workers:
            raise EngineUnavailableError("The engine is not responding; retry with backoff.",
                                         retry_after=QUEUE_FULL_RETRY_AFTER)
        if self._admitted >= self.workers + self.queue_size:
            raise EngineUnavailableError("The engine is overloaded; retry with backoff.",
                                         retry_after=QUEUE_FULL_RETRY_AFTER)
        self._admitted += 1

    def _capacity(self) -> anyio.CapacityLimiter:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.workers)
        return self._limiter


class _Job:
    """One call on a worker thread; counted as abandoned from its deadline until it returns."""

    def __init__(self, queue: EngineQueue, function: Callable[..., Any]) -> None:
        self._queue = queue
        self._function = function
        self._started = self._done = self._abandoned = False

    def __call__(self, *args: object) -> Any:
        self._started = True
        try:
            return self._function(*args)
        finally:
            with self._queue._lock:
                self._done = True
                if self._abandoned:
                    self._queue._abandoned -= 1

    def abandon(self) -> None:
        with self._queue._lock:
            if self._started and not self._done:
                self._abandoned = True
                self._queue._abandoned += 1
