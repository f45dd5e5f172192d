"""Who is calling: the key from `Authorization: Bearer` or the `key` query parameter."""

from __future__ import annotations

import hmac

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from orato.errors import FeatureUnavailableError, InvalidParametersError, UnauthorizedError
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
    return principal
