"""``orato score-batch --ray ADDRESS``: the batch's items on a Ray cluster.

One actor per CPU of the cluster loads the engine once and scores items with the same item
runner as the local pool (:func:`orato.scoring.batch.score_item`), so a result line is the same
whichever way it was made. The manifest is consumed as it is read, with at most
``IN_FLIGHT_PER_ACTOR`` items queued per actor, and each result is yielded when it is ready.

A lost worker (the process killed, its node gone) fails only the calls it held: Ray restarts
the actor, and this driver sends each of those items again, to another actor when there is one.
An item is yielded only from the call that returned it, so none is lost and none is written twice.
Ray is an optional extra (``pip install 'orato[ray]'``), imported only here.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ray
from ray.exceptions import RayActorError, RayTaskError

from orato.errors import OratoError
from orato.scoring.batch import VERSION, BatchItem, score_item
from orato.scoring.engine import load_engine
from orato.scoring.envelope import error_body
from orato.settings import Settings

IN_FLIGHT_PER_ACTOR = 2
logger = logging.getLogger("orato.batch")


class ScoringActor:
    """Holds one loaded engine in one worker process for the whole run."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        load_engine(settings)

    def score(self, item: BatchItem) -> dict[str, Any]:
        return score_item(self.settings, item)

    def memory(self) -> dict[str, float]:
        """This worker's process id and resident memory in MB, for the throughput measurements."""
        status = Path("/proc/self/status").read_text().splitlines()
        rss = next((int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:")), 0.0)
        return {"pid": float(os.getpid()), "rss_mb": rss}


@dataclass
class _Call:
    item: BatchItem
    actor: int


class ActorPool:
    """The cluster's actors and the items they hold; items of a lost worker are sent again."""

    def __init__(self, settings: Settings, actors: int) -> None:
        remote = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=0)(ScoringActor)
        # Ray's actor handles are untyped: their methods gain ``.remote`` at run time.
        self.actors: list[Any] = [remote.remote(settings) for _ in range(actors)]
        self.load = [0] * actors
        self.pending: dict[Any, _Call] = {}
        self.resent = 0

    def run(self, items: Iterable[BatchItem]) -> Iterator[dict[str, Any]]:
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

    def memory(self) -> list[dict[str, float]]:
        return [ray.get(actor.memory.remote()) for actor in self.actors]

    def _outcome(self, ready: Any, call: _Call, again: deque[_Call]) -> dict[str, Any] | None:
        try:
            result: dict[str, Any] = ray.get(ready)
        except RayActorError:  # the worker died holding this item: send it again
            again.append(call)
            self.resent += 1
            logger.warning("a Ray worker was lost holding item %s: sent again (%d so far)", call.item.id, self.resent)
            return None
        except RayTaskError:  # the item itself broke the runner: one bad item never ends a batch
            return {"id": call.item.id, "response": error_body(OratoError(), uuid.uuid4().hex, VERSION)}
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


def run_on_ray(settings: Settings, items: Iterable[BatchItem], address: str) -> Iterator[dict[str, Any]]:
    """``{"id", "response"}`` per item as each finishes, on the cluster at ``address`` (or ``auto``)."""
    ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
    try:
        yield from ActorPool(settings, cluster_cpus()).run(items)
    finally:
        ray.shutdown()
