"""Batch items scored in worker processes, each within the server's processing deadline.

``orato score-batch`` must behave as the endpoint would on every item (api-scoring.md 1.8): an
item still running at the deadline gets the endpoint's 503 body, and since a thread cannot be
stopped, items run in processes that can. Each worker loads the engine once, then scores one
item at a time; a worker past its deadline (or one that died) is killed and replaced. Leaving
the pool (an interrupt included) kills every worker at once, so nothing computes on unseen.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from multiprocessing.context import SpawnContext, SpawnProcess
from types import TracebackType

from orato.errors import DEADLINE_MISSED, EngineUnavailableError, OratoError
from orato.scoring.batch import BatchItem, ItemResult, failed_item, score_item
from orato.scoring.engines import load_engines
from orato.settings import Settings

READY = "ready"
Scorer = Callable[[Settings, BatchItem], ItemResult]
logger = logging.getLogger(__name__)


class WorkerStartError(RuntimeError):
    """A worker died before its engine was loaded: no item can be scored."""


def _serve(connection: Connection, settings: Settings, score: Scorer) -> None:
    """A worker's life: load the engine, then score the items it is sent until the pipe closes."""
    # An interrupt is the parent's to handle; the worker is killed when it stops the run.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    load_engines(settings)
    connection.send(READY)
    while True:
        try:
            item = connection.recv()
        except EOFError:
            return
        connection.send(score(settings, item))


class _Worker:
    """One scoring process and the item it is on (None while loading or idle)."""

    def __init__(self, context: SpawnContext, settings: Settings, score: Scorer) -> None:
        self.connection, child = context.Pipe()
        self.process: SpawnProcess = context.Process(
            target=_serve, args=(child, settings, score), name="orato-score", daemon=True
        )
        self.process.start()
        child.close()
        self.ready = False
        self.item: BatchItem | None = None
        self.deadline = math.inf

    def assign(self, item: BatchItem, seconds: float) -> None:
        self.connection.send(item)
        self.item, self.deadline = item, time.monotonic() + seconds

    def finish(self) -> BatchItem:
        assert self.item is not None, "only a busy worker finishes an item"
        item, self.item, self.deadline = self.item, None, math.inf
        return item

    def kill(self) -> None:
        self.process.kill()
        self.process.join()
        self.connection.close()


class ScoringPool:
    """``workers`` scoring processes; use as a context manager so that they always end with it."""

    def __init__(self, settings: Settings, workers: int, score: Scorer = score_item) -> None:
        """``score`` scores one item inside a worker (a picklable module-level function: the
        tests plant failures through it, where a monkeypatch would not reach)."""
        # Spawned, not forked: a fork would copy a parent's loaded models without the threads
        # they run on (CTranslate2, ONNX Runtime), and the copies would hang.
        self._context = multiprocessing.get_context("spawn")
        self._settings, self._size, self._score = settings, workers, score
        self._deadline = settings.processing_deadline_seconds
        self._workers: list[_Worker] = []

    def __enter__(self) -> ScoringPool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for worker in self._workers:
            worker.kill()
        self._workers = []

    def run(self, items: Iterable[BatchItem]) -> Iterator[ItemResult]:
        """One result per item, in the order they finish."""
        queue = deque(items)
        while queue or any(w.item is not None for w in self._workers):
            self._top_up(len(queue))
            for worker in self._workers:
                if worker.ready and worker.item is None and queue:
                    worker.assign(queue.popleft(), self._deadline)
            readable = wait([w.connection for w in self._workers], timeout=self._time_to_deadline())
            for worker in list(self._workers):
                result = self._collect(worker, worker.connection in readable)
                if result is not None:
                    yield result

    def _top_up(self, waiting: int) -> None:
        """Start workers up to the pool's size, but no more than the waiting items need."""
        idle = sum(w.item is None for w in self._workers)
        for _ in range(min(self._size - len(self._workers), waiting - idle)):
            self._workers.append(_Worker(self._context, self._settings, self._score))

    def _time_to_deadline(self) -> float | None:
        nearest = min((w.deadline for w in self._workers), default=math.inf)
        return None if nearest == math.inf else max(nearest - time.monotonic(), 0.0)

    def _collect(self, worker: _Worker, readable: bool) -> ItemResult | None:
        """What ``worker`` has to say: readiness, a result, its death or a missed deadline."""
        if readable:
            try:
                message = worker.connection.recv()
            except EOFError:
                return self._died(worker)
            if message == READY:
                worker.ready = True
                return None
            worker.finish()
            assert isinstance(message, ItemResult)
            return message
        if worker.item is not None and time.monotonic() >= worker.deadline:
            return failed_item(self._retire(worker).id, EngineUnavailableError(DEADLINE_MISSED))
        return None

    def _died(self, worker: _Worker) -> ItemResult | None:
        if not worker.ready:
            worker.kill()
            raise WorkerStartError(f"a scoring worker exited while loading the engine (status {worker.process.exitcode})")
        if worker.item is None:  # died idle: the next round starts another if items wait
            worker.kill()
            self._workers.remove(worker)
            return None
        result = failed_item(self._retire(worker).id, OratoError())
        logger.error("internal error request_id=%s type=WorkerExit status=%s", result.response["request_id"],
                     worker.process.exitcode)  # fmt: skip
        return result

    def _retire(self, worker: _Worker) -> BatchItem:
        """Kill ``worker`` (past its deadline, or dead) and return its item; the next round
        starts another if items are waiting."""
        item = worker.finish()
        worker.kill()
        self._workers.remove(worker)
        return item
