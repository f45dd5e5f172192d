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

from orato.api.errors import error_response, family_of, problem_detail
from orato.errors import OratoError

access_log = logging.getLogger("orato.access")
logger = logging.getLogger("orato.api")

RequestRecorder = Callable[[dict[str, Any]], None]


Finisher = Callable[["Outcome"], Awaitable[None]]
_MAX_HELD_BYTES = 1 << 20


@dataclass
class Outcome:
    """What the client was sent (or is about to be sent), as hooks and finishers see it."""

    status: int = 500
    started: bool = False  # the status line has gone to the client
    complete: bool = False  # the app returned normally after sending its response
    content_type: str | None = None
    body: bytearray = field(default_factory=bytearray)  # only of held responses


def on_finish(scope: Scope, finisher: Finisher) -> None:
    """Runs ``finisher`` once the response is over, also after errors and client disconnects.

    This is how anything a request holds (a concurrency slot, an idempotency claim) is given
    back whatever happens to the request. Finishers run last-registered first.
    """
    scope["state"].setdefault("finishers", []).append(finisher)


def before_response(scope: Scope, hook: Finisher) -> None:
    """Runs ``hook`` on the complete response before its first byte goes out.

    The response is held back meanwhile, so what the hook stores is what the client gets; if
    the hook raises an :class:`OratoError`, the client gets that error instead. Only for small
    responses (JSON): one over 1 MiB is sent without the hook.
    """
    scope["state"].setdefault("before_response", []).append(hook)


async def _run_finishers(state: dict[str, Any], outcome: Outcome) -> None:
    for finisher in reversed(state.pop("finishers", [])):
        try:
            await finisher(outcome)
        except Exception as error:  # noqa: BLE001 - one failing finisher must not skip the others
            logger.error("request finisher failed request_id=%s type=%s", state["request_id"], type(error).__name__)


class _Sender:
    """The ASGI ``send`` of one request: adds the request id and holds responses for the hooks."""

    def __init__(self, scope: Scope, send: Send, outcome: Outcome) -> None:
        self.scope, self.state, self.send, self.outcome = scope, scope["state"], send, outcome
        self.held: list[Message] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._start(message)
        if not self.state.get("before_response"):
            await self._forward(message)
            return
        self.held.append(message)
        if message["type"] == "http.response.body":
            self.outcome.body += message.get("body", b"")
            if not message.get("more_body", False) or len(self.outcome.body) > _MAX_HELD_BYTES:
                await self._release()

    def _start(self, message: Message) -> None:
        headers = MutableHeaders(scope=message)
        headers["X-Request-Id"] = self.state["request_id"]
        if self.scope["path"].startswith("/v1/audio/"):
            headers["x-speechbase-request-id"] = self.state["request_id"]
        self.outcome.status, self.outcome.content_type = message["status"], headers.get("content-type")

    async def _release(self) -> None:
        hooks = self.state.pop("before_response", [])
        if len(self.outcome.body) <= _MAX_HELD_BYTES:
            for hook in hooks:
                try:
                    await hook(self.outcome)
                except OratoError as error:
                    self.state["send_error"] = error  # rendered by the middleware instead
                    self.held.clear()
                    raise
        for message in self.held:
            await self._forward(message)
        self.held.clear()

    async def _forward(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.outcome.started = True
        await self.send(message)


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
        state = scope.setdefault("state", {})
        state["request_id"] = str(uuid.uuid4())
        state["deadline"] = time.monotonic() + self.deadline_seconds
        started = time.perf_counter()
        outcome = Outcome()
        try:
            await self._respond(scope, receive, _Sender(scope, send, outcome), outcome)
        except Exception as error:
            # Only a stream cut short after it started gets here: log it, then let the server
            # drop the body without its terminating chunk (errors.md 6.6).
            if isinstance(error, OratoError):
                state["error"] = error
            await self._finish(scope, state, outcome.status, int((time.perf_counter() - started) * 1000))
            raise
        finally:
            with anyio.CancelScope(shield=True):
                await _run_finishers(state, outcome)
        latency_ms = int((time.perf_counter() - started) * 1000)
        await self._finish(scope, state, outcome.status, latency_ms)

    async def _respond(self, scope: Scope, receive: Receive, send: _Sender, outcome: Outcome) -> None:
        try:
            await self.app(scope, receive, send)
            outcome.complete = True
        except Exception as error:  # noqa: BLE001 - the last line of defence
            if outcome.started:
                raise
            scope["state"].pop("before_response", None)
            reported = scope["state"].pop("send_error", None)
            if reported is None:
                logger.error(
                    "internal error request_id=%s type=%s",
                    scope["state"]["request_id"],
                    type(error).__name__,
                    exc_info=(type(error), error, error.__traceback__),
                )
            response = error_response(Request(scope), reported or OratoError())
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
        if error is not None or status >= 400:
            row["credits_used"] = 0  # usage counts only for requests that succeeded (12.2)
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
    detail = problem_detail(error)  # validation path and message, never the offending value
    upstream = error.extras.get("upstream_status")
    return (f"{detail} (upstream {upstream})" if upstream else detail)[:200]


def _strip_trailing_slash(scope: Scope) -> None:
    """One trailing slash is tolerated (api-scoring.md 1.1) without a redirect."""
    path: str = scope["path"]
    if len(path) > 1 and path.endswith("/"):
        scope["path"] = path[:-1]
        scope["raw_path"] = scope["path"].encode()
