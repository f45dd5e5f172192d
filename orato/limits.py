"""Concurrency and rate limits per API key and per organisation (errors.md 9).

A request takes one *slot* of its key and of its organisation before any parameter is read
(api-scoring.md 1.11, step 4) and gives both back when its response is finished. Each key and
organisation also has a request rate, enforced with GCRA: a full minute's worth of requests may
come as a burst, after which they are admitted at the sustained rate.

Two backends keep the counts. :class:`MemoryBackend` counts inside one server process (the
default). :class:`RedisBackend` shares them between processes through one atomic script, and
keeps every slot as a lease with an expiry, so a process that dies holding slots cannot leak
them for longer than ``request_lease_seconds``. While Redis is unreachable the limiter falls back
to per-process counting rather than refusing every request.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from orato.errors import RateLimitedError
from orato.settings import Settings
from orato.store.keys import Principal

logger = logging.getLogger("orato.limits")

WINDOW_SECONDS = 60.0
# Orato's own limiter sends Retry-After: 1 for a full slot table (errors.md 9).
SLOT_RETRY_AFTER = 1


def _interval_ms(per_minute: int | None) -> int:
    """The spacing between two requests a per-minute rate allows; 0 when there is no rate."""
    return int(WINDOW_SECONDS * 1000 / per_minute) if per_minute else 0


@dataclass(frozen=True)
class Quota:
    """The limits that apply to one request, resolved from its key, plan and settings."""

    key_id: str
    org_id: str
    key_in_flight: int
    org_in_flight: int | None
    key_per_minute: int | None
    org_per_minute: int | None

    @classmethod
    def of(cls, principal: Principal, settings: Settings) -> Quota:
        return cls(
            key_id=str(principal.key_id),
            org_id=str(principal.organisation_id),
            key_in_flight=principal.max_in_flight,
            org_in_flight=settings.org_max_in_flight,
            key_per_minute=principal.requests_per_minute,
            org_per_minute=settings.org_requests_per_minute,
        )


@dataclass(frozen=True)
class Refusal:
    reason: str  # "in_flight" or "rate"
    retry_after: int


class Backend(Protocol):
    async def acquire(self, quota: Quota, token: str) -> Refusal | None: ...

    async def release(self, quota: Quota, token: str) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class Lease:
    """A granted slot: given back exactly once, to the backend that granted it."""

    token: str
    quota: Quota
    backend: Backend


class Limiter:
    def __init__(self, primary: Backend, fallback: Backend | None = None) -> None:
        self.primary = primary
        self.fallback = fallback

    async def acquire(self, quota: Quota) -> Lease:
        """A slot for the request, or :class:`RateLimitedError` with its Retry-After."""
        token = uuid.uuid4().hex
        backend = self.primary
        try:
            refusal = await backend.acquire(quota, token)
        except BackendUnavailable:
            if self.fallback is None:
                raise
            backend = self.fallback
            refusal = await backend.acquire(quota, token)
        if refusal is not None:
            raise _refused(refusal)
        return Lease(token, quota, backend)

    async def release(self, lease: Lease) -> None:
        try:
            await lease.backend.release(lease.quota, lease.token)
        except BackendUnavailable:
            logger.warning("slot release failed; the lease expires by itself")

    async def close(self) -> None:
        await self.primary.close()
        if self.fallback is not None:
            await self.fallback.close()


def _refused(refusal: Refusal) -> RateLimitedError:
    if refusal.reason == "rate":
        return RateLimitedError("Too many requests per minute for this key or organisation.",
                                retry_after=refusal.retry_after)
    return RateLimitedError(retry_after=refusal.retry_after)


class BackendUnavailable(Exception):
    """The shared store of counts cannot be reached."""


def build_limiter(settings: Settings) -> Limiter:
    memory = MemoryBackend(settings.request_lease_seconds)
    if settings.limiter_backend == "redis":
        return Limiter(RedisBackend(settings), fallback=memory)
    return Limiter(memory)


# --- in-process ----------------------------------------------------------------------------


class MemoryBackend:
    """Counts for one process. A lock, not the event loop, guards them: threads may call too."""

    def __init__(self, lease_seconds: float) -> None:
        self._lock = threading.Lock()
        self._slots: dict[str, dict[str, float]] = {}  # scope -> token -> lease expiry
        self._tat: dict[str, float] = {}  # scope -> GCRA theoretical arrival time
        self._lease_seconds = lease_seconds

    async def acquire(self, quota: Quota, token: str) -> Refusal | None:
        with self._lock:
            return self._acquire(quota, token, time.monotonic())

    def _acquire(self, quota: Quota, token: str, now: float) -> Refusal | None:
        slot_scopes = [(f"key:{quota.key_id}", quota.key_in_flight), (f"org:{quota.org_id}", quota.org_in_flight)]
        for scope, limit in slot_scopes:
            if limit is not None and self._in_flight(scope, now) >= limit:
                return Refusal("in_flight", SLOT_RETRY_AFTER)
        rates = [(f"key:{quota.key_id}", quota.key_per_minute), (f"org:{quota.org_id}", quota.org_per_minute)]
        arrivals = {}
        for scope, per_minute in rates:
            if per_minute is None:
                continue
            arrival, wait = gcra(self._tat.get(scope, now), now, per_minute)
            if wait > 0:
                return Refusal("rate", max(1, math.ceil(wait)))
            arrivals[scope] = arrival
        self._tat.update(arrivals)
        for scope, limit in slot_scopes:
            if limit is not None:
                self._slots.setdefault(scope, {})[token] = now + self._lease_seconds
        return None

    def _in_flight(self, scope: str, now: float) -> int:
        leases = self._slots.get(scope, {})
        for token in [t for t, expiry in leases.items() if expiry <= now]:
            del leases[token]
        return len(leases)

    async def release(self, quota: Quota, token: str) -> None:
        with self._lock:
            for scope in (f"key:{quota.key_id}", f"org:{quota.org_id}"):
                leases = self._slots.get(scope)
                if leases is not None:
                    leases.pop(token, None)
                    if not leases:
                        del self._slots[scope]

    async def close(self) -> None:
        return None


def gcra(tat: float, now: float, per_minute: int) -> tuple[float, float]:
    """(next theoretical arrival time, seconds to wait): admitted when the wait is not positive."""
    interval = WINDOW_SECONDS / per_minute
    arrival = max(tat, now) + interval
    return arrival, arrival - now - WINDOW_SECONDS


# --- Redis ---------------------------------------------------------------------------------

# Slots are sorted sets of lease tokens scored by expiry (ms, Redis clock); rates keep a GCRA
# arrival time. Checks and updates happen in one script, so two processes cannot both take
# the last slot. KEYS: key slots, org slots, key rate, org rate. ARGV: token, lease ms,
# key limit, org limit, key interval ms, org interval ms, window ms (0 switches a limit off).
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease, window = tonumber(ARGV[2]), tonumber(ARGV[7])
for i = 1, 2 do
  local limit = tonumber(ARGV[2 + i])
  if limit > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
    if redis.call('ZCARD', KEYS[i]) >= limit then return {0, 0} end
  end
end
local arrivals = {}
for i = 1, 2 do
  local interval = tonumber(ARGV[4 + i])
  if interval > 0 then
    local tat = math.max(tonumber(redis.call('GET', KEYS[2 + i]) or now), now)
    arrivals[i] = tat + interval
    local wait = arrivals[i] - now - window
    if wait > 0 then return {0, wait} end
  end
end
for i = 1, 2 do
  if arrivals[i] then redis.call('SET', KEYS[2 + i], arrivals[i], 'PX', arrivals[i] - now + 1) end
  if tonumber(ARGV[2 + i]) > 0 then
    redis.call('ZADD', KEYS[i], now + lease, ARGV[1])
    redis.call('PEXPIRE', KEYS[i], lease)
  end
end
return {1, 0}
"""


class RedisBackend:
    """Counts shared by every process that uses the same Redis and key prefix.

    After a failure Redis is left alone for ``retry_seconds``, so an outage costs each request
    nothing instead of a connection timeout.
    """

    def __init__(self, settings: Settings, retry_seconds: float = 1.0) -> None:
        import redis.asyncio as aioredis

        self._client = aioredis.Redis.from_url(
            settings.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5, retry_on_timeout=False
        )
        self._script = self._client.register_script(_ACQUIRE)
        self._prefix = settings.redis_key_prefix
        self._lease_ms = int(settings.request_lease_seconds * 1000)
        self._retry_seconds = retry_seconds
        self._down_until = 0.0

    def _keys(self, quota: Quota) -> list[str]:
        p = self._prefix
        return [f"{p}:slots:key:{quota.key_id}", f"{p}:slots:org:{quota.org_id}",
                f"{p}:rate:key:{quota.key_id}", f"{p}:rate:org:{quota.org_id}"]

    async def acquire(self, quota: Quota, token: str) -> Refusal | None:
        args: list[str | int] = [token, self._lease_ms, quota.key_in_flight, quota.org_in_flight or 0,
                _interval_ms(quota.key_per_minute), _interval_ms(quota.org_per_minute), int(WINDOW_SECONDS * 1000)]
        granted, wait_ms = await self._call(self._script(keys=self._keys(quota), args=args))
        if granted:
            return None
        if wait_ms:
            return Refusal("rate", max(1, math.ceil(int(wait_ms) / 1000)))
        return Refusal("in_flight", SLOT_RETRY_AFTER)

    async def release(self, quota: Quota, token: str) -> None:
        keys = self._keys(quota)[:2]
        pipeline = self._client.pipeline(transaction=False)
        for key in keys:
            pipeline.zrem(key, token)
        await self._call(pipeline.execute())

    async def _call(self, pending: Coroutine[Any, Any, Any]) -> Any:
        from redis.exceptions import ConnectionError, TimeoutError

        if time.monotonic() < self._down_until:
            pending.close()
            raise BackendUnavailable()
        try:
            return await pending
        except (ConnectionError, TimeoutError, OSError) as error:
            self._down_until = time.monotonic() + self._retry_seconds
            logger.warning("redis unavailable (%s); counting slots per process", type(error).__name__)
            raise BackendUnavailable() from None

    async def close(self) -> None:
        await self._client.aclose()
