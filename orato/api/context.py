"""Per-request context, as the outermost ASGI layer.

It runs before anything else so that every response, including the ones produced by crashes
and by errors raised before routing, carries the request id; so that every request is
written to the request log and the access log without its text, audio or key; and so that what
a request holds is given back when it ends, however it ends (:func:`on_finish`). It also sets
the request's processing deadline, which model work must meet.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orato.api.errors import error_response, family_of
from orato.errors import OratoError

access_log = logging.getLogger("orato.access")
logger = logging.getLogger("orato.api")

RequestRecorder = Callable[[dict[str, Any]], None]


Finisher = Callable[["Outcome"], Awaitable[None]]
_MAX_CAPTURE_BYTES = 1 << 20


@dataclass
class Outcome:
    """What the client was sent, as the finishers of a request see it."""

    status: int = 500
    started: bool = False
    complete: bool = False  # the app returned normally after sending its response
    content_type: str | None = None
    body: bytearray | None = field(default_factory=bytearray)  # None once over the capture limit

    def capture(self, chunk: bytes) -> None:
        if self.body is not None and len(self.body) + len(chunk) <= _MAX_CAPTURE_BYTES:
            self.body += chunk
        else:
            self.body = None


def on_finish(scope: Scope, finisher: Finisher) -> None:
    """Runs ``finisher`` once the response is over, also after errors and client disconnects.

    This is how anything a request holds (a concurrency slot, an idempotency claim) is given
    back whatever happens to the request. Finishers run last-registered first.
    """
    scope["state"].setdefault("finishers", []).append(finisher)


async def _run_finishers(state: dict[str, Any], outcome: Outcome) -> None:
    for finisher in reversed(state.pop("finishers", [])):
        try:
            await finisher(outcome)
        except Exception as error:  # noqa: BLE001 - one failing finisher must not skip the others
            logger.error("request finisher failed request_id=%s type=%s", state["request_id"], type(error).__name__)


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, record: RequestRecorder | None = None, deadline_seconds: float = 120.0) -> None:
        self.app = app
        self.record = record
        self.deadline_seconds = deadline_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        _strip_trailing_slash(scope)
        request_id = str(uuid.uuid4())
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["deadline"] = time.monotonic() + self.deadline_seconds
        started = time.perf_counter()
        outcome = Outcome()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome.status, outcome.started = message["status"], True
                headers = MutableHeaders(scope=message)
                headers["X-Request-Id"] = request_id
                outcome.content_type = headers.get("content-type")
                if scope["path"].startswith("/v1/audio/"):
                    headers["x-speechbase-request-id"] = request_id
            elif message["type"] == "http.response.body" and state.get("capture_response"):
                outcome.capture(message.get("body", b""))
            await send(message)

        try:
            await self._respond(scope, receive, send_with_id, outcome)
        finally:
            with anyio.CancelScope(shield=True):
                await _run_finishers(state, outcome)
        latency_ms = int((time.perf_counter() - started) * 1000)
        await self._finish(scope, state, outcome.status, latency_ms)

    async def _respond(self, scope: Scope, receive: Receive, send: Send, outcome: Outcome) -> None:
        try:
            await self.app(scope, receive, send)
            outcome.complete = True
        except Exception as error:  # noqa: BLE001 - the last line of defence
            if outcome.started:
                raise
            logger.error(
                "internal error request_id=%s type=%s",
                scope["state"]["request_id"],
                type(error).__name__,
                exc_info=(type(error), error, error.__traceback__),
            )
            response = error_response(Request(scope), OratoError())
            await response(scope, receive, send)

    async def _finish(self, scope: Scope, state: dict[str, Any], status: int, latency_ms: int) -> None:
        principal = state.get("principal")
        error: OratoError | None = state.get("error")
        access_log.info(
            "%s %s status=%d ms=%d request_id=%s key_id=%s error=%s",
            scope["method"],
            scope["path"],
            status,
            latency_ms,
            state["request_id"],
            principal.key_id if principal else "-",
            error.code if error else "-",
        )
        if self.record is None or principal is None:
            return
        row = {
            "request_id": uuid.UUID(state["request_id"]),
            "organisation_id": principal.organisation_id,
            "key_id": principal.key_id,
            "family": family_of(scope["path"]).value,
            "method": scope["method"],
            "path": scope["path"][:200],
            "status": status,
            "error_code": error.code if error else None,
            "error_detail": _loggable_detail(error),
            "latency_ms": latency_ms,
            **state.get("log_fields", {}),
        }
        try:
            await anyio.to_thread.run_sync(self.record, row)
        except Exception as error:  # noqa: BLE001 - a failing log write must not fail the request
            # The type only: a database error's text may quote the row it failed to write.
            logger.error("request log write failed request_id=%s type=%s", state["request_id"], type(error).__name__)


def _loggable_detail(error: OratoError | None) -> str | None:
    """Parameter names and measured sizes only: unknown words are content, so only their count."""
    if error is None:
        return None
    words = getattr(error, "words", None)
    if words is not None:
        return f"{len(words)} unknown words"
    return error.detail[:200]


def _strip_trailing_slash(scope: Scope) -> None:
    """One trailing slash is tolerated (api-scoring.md 1.1) without a redirect."""
    path: str = scope["path"]
    if len(path) > 1 and path.endswith("/"):
        scope["path"] = path[:-1]
        scope["raw_path"] = scope["path"].encode()
