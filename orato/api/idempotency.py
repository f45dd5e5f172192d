"""The Idempotency-Key header of the assessment family (api-scoring.md 1.10, errors.md 10).

A client that lost a response retries with the same key and gets the stored result instead of
a second scoring run. The check is step 5 of the order of checks and runs inside
:func:`orato.api.routes.assessment.begin`, so every assessment endpoint has it; the synthesis
family never calls it and so ignores the header.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from orato.api.context import Outcome, before_response, on_finish
from orato.api.forms import RequestBody
from orato.errors import InvalidParametersError
from orato.store.idempotency import IdempotencyStore, StoredResponse
from orato.store.keys import Principal

HEADER = "Idempotency-Key"
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]{1,255}")
_CHUNK = 1 << 16


class IdempotentReplay(Exception):
    """Ends a request early with the response stored for its Idempotency-Key."""

    def __init__(self, stored: StoredResponse) -> None:
        super().__init__("idempotent replay")
        self.stored = stored


async def check_idempotency(request: Request, principal: Principal, body: RequestBody) -> None:
    """Claims the key, replays a stored response (raises :class:`IdempotentReplay`), or 409."""
    services = request.app.state.services
    key = request.headers.get(HEADER)
    if key is None or not services.settings.idempotency_enabled:
        return
    if not _PRINTABLE_ASCII.fullmatch(key):
        raise InvalidParametersError(HEADER, "must be 1 to 255 printable ASCII characters")
    fingerprint = await run_in_threadpool(request_fingerprint, request, body)
    store: IdempotencyStore = services.idempotency
    claimed = await run_in_threadpool(store.claim, principal.organisation_id, key, fingerprint)
    if isinstance(claimed, StoredResponse):
        raise IdempotentReplay(claimed)
    _settle(request, store, claimed)


def _settle(request: Request, store: IdempotencyStore, record_id: uuid.UUID) -> None:
    """Keeps final results (200, 4xx but 409 and 429); frees the key after anything else.

    The result is stored before the client sees it, so no client holds an answer that a retry
    could not replay; if the store fails there, the client gets the store's 503 instead.
    """
    settled = False

    async def store_result(outcome: Outcome) -> None:
        nonlocal settled
        settled = True
        final = outcome.status == 200 or (400 <= outcome.status < 500 and outcome.status not in (409, 429))
        if final:
            content_type = outcome.content_type or "application/json"
            await run_in_threadpool(store.complete, record_id, outcome.status, content_type, bytes(outcome.body))
        else:
            await run_in_threadpool(store.abandon, record_id)

    async def abandon_unanswered(_outcome: Outcome) -> None:
        if not settled:  # crashed, cancelled or too big to keep: the key is free again
            await run_in_threadpool(store.abandon, record_id)

    before_response(request.scope, store_result)
    on_finish(request.scope, abandon_unanswered)


def request_fingerprint(request: Request, body: RequestBody) -> str:
    """SHA-256 over the method, the endpoint, every parameter but ``key`` and each file's SHA-256.

    Parameters are merged as the endpoints read them (the body wins over the query), and the
    ``/api`` prefix is optional, so requests that mean the same get the same fingerprint.
    """
    path = request.url.path if request.url.path.startswith("/api/") else "/api" + request.url.path
    params = {**request.query_params, **body.fields}
    params.pop("key", None)
    document = {
        "method": request.method,
        "path": path,
        "params": sorted(params.items()),
        "files": sorted((name, _file_digest(upload.file)) for name, upload in body.files.items()),
    }
    return hashlib.sha256(json.dumps(document, ensure_ascii=True).encode()).hexdigest()


def _file_digest(file) -> str:  # type: ignore[no-untyped-def]
    digest = hashlib.sha256()
    file.seek(0)
    while chunk := file.read(_CHUNK):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


async def _replay(_request: Request, error: Exception) -> Response:
    assert isinstance(error, IdempotentReplay)
    stored = error.stored
    return Response(
        stored.body,
        status_code=stored.status,
        media_type=stored.content_type,
        headers={"Idempotent-Replayed": "true"},
    )


def install_replay_handler(app: FastAPI) -> None:
    app.add_exception_handler(IdempotentReplay, _replay)
