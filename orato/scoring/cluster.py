"""``orato score-batch --ray ADDRESS``: the batch's items on a Ray cluster.

One actor per CPU of the cluster loads the engine once and scores items with the same item
runner as the local pool (:func:`orato.scoring.batch.score_item`), so a result line is the same
whichever way it was made. Items are taken from the iterable as actors free up, at most
``IN_FLIGHT_PER_ACTOR`` queued per actor, so a manifest is never held whole, and each result is
yielded when it is ready. :class:`RayPool` has the local :class:`~orato.scoring.pool.ScoringPool`'s
shape (a context manager with ``run``), so the command drives either the same way.

A lost worker (the process killed, its node gone) fails only the calls it held: Ray restarts
the actor, and this driver sends each of those items again, to another actor when there is one.
An item is yielded only from the call that returned it, so none is lost and none is written twice.
Not here: the processing deadline the local pool enforces per item. Ray is an optional extra
(``pip install 'orato[ray]'``), imported only by this module.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import ray
from ray.exceptions import RayActorError, RayTaskError

from orato.errors import OratoError
from orato.scoring.batch import BatchItem, ItemResult, failed_item, score_item
from orato.scoring.engines import load_engines
from orato.settings import Settings

IN_FLIGHT_PER_ACTOR = 2
logger = logging.getLogger(__name__)


class ScoringActor:
    """Holds the loaded engines in one worker process for the whole run."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        load_engines(settings)

    def score(self, item: BatchItem) -> ItemResult:
        return score_item(self.settings, item)


@dataclass
class _Call:
    item: BatchItem
    actor: int


class RayPool:
    """The cluster at ``address`` (or ``auto``) and one actor per CPU of it, for one run."""

    def __init__(self, settings: Settings, address: str) -> None:
        self._settings, self._address = settings, address
        # Ray's actor handles are untyped: their methods gain ``.remote`` at run time.
        self.actors: list[Any] = []
        self.load: list[int] = []
        self.pending: dict[Any, _Call] = {}
        self.resent = 0

    def __enter__(self) -> RayPool:
        ray.init(address=self._address, logging_level=logging.WARNING, log_to_driver=False)
        remote = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=0)(ScoringActor)
        self.actors = [remote.remote(self._settings) for _ in range(cluster_cpus())]
        self.load = [0] * len(self.actors)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        ray.shutdown()  # the driver's actors end with it

    def run(self, items: Iterable[BatchItem]) -> Iterator[ItemResult]:
        """One result per item, in the order they finish."""
        source, again = iter(items), deque[_Call]()
        self._fill(source, again)
        while self.pending:
            [ready], _ = ray.wait(list(self.pending), num_returns=1)
            call = self.pending.pop(ready)
            self.load[call.actor] -= 1
            result = self._outcome(ready, call, again)
            if result is not None:
                yield result
            self._fill(source, again)

    def _outcome(self, ready: Any, call: _Call, again: deque[_Call]) -> ItemResult | None:
        try:
            result: ItemResult = ray.get(ready)
        except RayActorError:  # the worker died holding this item: send it again
            again.append(call)
            self.resent += 1
            logger.warning("a Ray worker was lost holding item %s: sent again (%d so far)", call.item.id, self.resent)
            return None
        except RayTaskError:  # the runner never raises; this is Ray failing the call: one item, not the batch
            return failed_item(call.item.id, OratoError())
        return result

    def _fill(self, source: Iterator[BatchItem], again: deque[_Call]) -> None:
        while len(self.pending) < IN_FLIGHT_PER_ACTOR * len(self.actors):
            if again:
                lost = again.popleft()
                self._submit(lost.item, avoid=lost.actor)
            elif (item := next(source, None)) is not None:
                self._submit(item, avoid=None)
            else:
                return

    def _submit(self, item: BatchItem, avoid: int | None) -> None:
        target = min(range(len(self.actors)), key=lambda i: (i == avoid, self.load[i]))
        self.pending[self.actors[target].score.remote(item)] = _Call(item, target)
        self.load[target] += 1


def cluster_cpus() -> int:
    resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]  # untyped in Ray
    return max(1, int(resources.get("CPU", 1)))
