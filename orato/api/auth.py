"""Who is calling, and whether they may call now.

The key comes from `Authorization: Bearer` or the `key` query parameter. Every endpoint of both
families authenticates through :func:`authenticate`, which is also where the request takes its
concurrency slot (api-scoring.md 1.11, step 4, after the key and the feature), so no endpoint,
present or future, can forget the limits.
"""

from __future__ import annotations

import hmac

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from orato.api.context import Outcome, on_finish
from orato.errors import FeatureUnavailableError, InvalidParametersError, UnauthorizedError
from orato.limits import Limiter, Quota
from orato.store.keys import KeyService, Principal


def presented_key(request: Request) -> str:
    header = request.headers.get("authorization")
    query = request.query_params.get("key") or None
    bearer = None
    if header is not None:
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise UnauthorizedError()
        bearer = value.strip()
    if bearer and query and not hmac.compare_digest(bearer.encode(), query.encode()):
        raise InvalidParametersError("key", "differs between the header and the query")
    key = bearer or query
    if not key:
        raise UnauthorizedError()
    return key


async def authenticate(request: Request, feature: str | None = None) -> Principal:
    """The caller's key, checked against the store, and the feature the endpoint needs."""
    keys: KeyService = request.app.state.services.keys
    principal = await run_in_threadpool(keys.authenticate, presented_key(request))
    request.scope["state"]["principal"] = principal
    if feature is not None and not principal.has(feature):
        raise FeatureUnavailableError(feature)
    await _take_slot(request, principal)
    return principal


async def _take_slot(request: Request, principal: Principal) -> None:
    services = request.app.state.services
    limiter: Limiter = services.limiter
    lease = await limiter.acquire(Quota.of(principal, services.settings))

    async def give_back(_outcome: Outcome) -> None:
        await limiter.release(lease)

    on_finish(request.scope, give_back)
